import Foundation
import KioskCore
import Testing

@testable import Display

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ToneSynthesizerTests {
    /// Frequency of a stretch of samples from its zero crossings.
    static func frequency(_ samples: ArraySlice<Int16>, sampleRate: Int) -> Double {
        var crossings = 0
        var previous = samples.first ?? 0
        for sample in samples.dropFirst() where sample != 0 {
            if (sample > 0) != (previous > 0) && previous != 0 { crossings += 1 }
            previous = sample
        }
        return Double(crossings) / 2 / (Double(samples.count) / Double(sampleRate))
    }

    @Test(arguments: SoundCue.allCases, [16_000, 44_100])
    func eachToneHasItsFrequencyAndLength(cue: SoundCue, sampleRate: Int) {
        let samples = ToneSynthesizer.samples(cue.melody, sampleRate: sampleRate)
        #expect(samples.count == cue.melody.map { sampleRate * $0.milliseconds / 1000 }.reduce(0, +))
        var start = 0
        for segment in cue.melody {
            let count = sampleRate * segment.milliseconds / 1000
            let part = samples[start..<(start + count)]
            switch segment {
            case .silence:
                #expect(part.allSatisfy { $0 == 0 })
            case .tone(let hertz, _):
                let measured = Self.frequency(part, sampleRate: sampleRate)
                #expect(abs(measured - Double(hertz)) / Double(hertz) < 0.03, "\(cue): \(measured) Hz for \(hertz)")
                #expect(part.map { abs(Int($0)) }.max()! > 15_000, "\(cue) is loud enough")
                #expect(abs(Int(part.first!)) < 500 && abs(Int(part.last!)) < 2_000, "\(cue) starts and ends softly")
            }
            start += count
        }
    }

    @Test func theCuesSoundDifferent() {
        let shapes = SoundCue.allCases.map { cue in
            cue.melody.compactMap { segment -> Int? in
                if case .tone(let hertz, _) = segment { return hertz }
                return nil
            }
        }
        // rising two-tone, three equal beeps, one low tone, one blip
        #expect(shapes[0].count == 2 && shapes[0][0] < shapes[0][1])
        #expect(shapes[1].count == 3 && Set(shapes[1]).count == 1)
        #expect(shapes[2].count == 1 && shapes[2][0] < shapes.flatMap { $0 }.filter { $0 != shapes[2][0] }.min()!)
        #expect(SoundCue.alert.melody[0].milliseconds > 3 * SoundCue.notice.melody[0].milliseconds)
        #expect(ToneSynthesizer.pcm([.tone(hertz: 1000, milliseconds: 1)], sampleRate: 16_000).count == 32)
    }

    @Test func cuesFollowTheScreen() {
        #expect(SoundCue(screen: Sample.screen(.idle)) == nil)
        #expect(SoundCue(screen: Sample.screen(.reading)) == nil)
        #expect(SoundCue(screen: Sample.screen(Sample.found(Sample.record(.normal)))) == .positive)
        #expect(SoundCue(screen: Sample.screen(Sample.found(Sample.record(.homeObservation)))) == .caution)
        #expect(SoundCue(screen: Sample.screen(Sample.found(Sample.record(.centralizedObservation)))) == .alert)
        #expect(SoundCue(screen: Sample.screen(.invalidID)) == .notice)
        #expect(SoundCue(screen: Sample.screen(.cardProblem(.tapAgain))) == .notice)
    }
}

/// The player through real subprocesses: shell scripts that record what they were given.
@Suite(.timeLimit(.minutes(2))) struct SoundPlayerTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sound-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A script run as `sh SCRIPT ARGS…`.
    func script(_ name: String, _ body: String) throws -> [String] {
        let url = directory.appendingPathComponent(name)
        try body.write(to: url, atomically: true, encoding: .utf8)
        return ["/bin/sh", url.path]
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Waits (without asserting any duration) until `condition` holds; gives up after a generous limit.
    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<2_000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func thePlayerGetsTheCuePCMOnStandardInputAndTheSpeechItsWords() async throws {
        let player = try SoundPlayer(
            configuration: SoundConfiguration(
                enabled: true, playerCommand: try script("record.sh", #"cat > "$1""#) + [path("in.pcm")],
                speechCommand: try script("say.sh", #"printf '%s' "$2" > "$1""#) + [path("words.txt")]))
        var events = player.events().makeAsyncIterator()
        player.play(for: Sample.screen(Sample.found(Sample.record(.centralizedObservation))))
        guard case .started(.alert, "/bin/sh", _)? = await events.next() else { Issue.record("no start"); return }
        let event1 = await events.next()
        #expect(event1 == .finished(.alert, command: "/bin/sh", status: 0))
        guard case .started(.alert, "/bin/sh", _)? = await events.next() else { Issue.record("no speech"); return }
        let event2 = await events.next()
        #expect(event2 == .finished(.alert, command: "/bin/sh", status: 0))
        let recorded = try Data(contentsOf: URL(fileURLWithPath: path("in.pcm")))
        #expect(Array(recorded) == ToneSynthesizer.pcm(SoundCue.alert.melody, sampleRate: 16_000))
        #expect(try String(contentsOfFile: path("words.txt"), encoding: .utf8) == "集中观察")
    }

    @Test func theDisplayNeverWaitsAndANewerCueKillsTheOlder() async throws {
        let player = try SoundPlayer(
            configuration: SoundConfiguration(
                enabled: true,
                playerCommand: try script("slow.sh", #"cat > "$1.$$"; exec sleep 60"#) + [path("in")]))
        let display = RecordingDisplay()
        let renderer = SoundingRenderer(display: display, player: player)
        var events = player.events().makeAsyncIterator()

        try await renderer.draw(Sample.screen(Sample.found(Sample.record(.normal))))
        #expect(await display.drawn.count == 1)
        guard case .started(.positive, _, let first)? = await events.next() else { Issue.record("no start"); return }
        // The frame is drawn and the call has returned while the player is still running.
        #expect(kill(first, 0) == 0)
        let expected = ToneSynthesizer.pcm(SoundCue.positive.melody, sampleRate: 16_000)
        try await eventually { (try? Data(contentsOf: URL(fileURLWithPath: path("in.\(first)"))))?.count == expected.count }
        #expect(
            Array(try Data(contentsOf: URL(fileURLWithPath: path("in.\(first)"))))
                == expected)

        try await renderer.draw(Sample.screen(.idle))  // silent: the positive cue plays on
        try await renderer.draw(Sample.screen(Sample.found(Sample.record(.homeObservation))))
        #expect(await display.drawn.map(\.tone) == [.green, .blue, .yellow])
        let event3 = await events.next()
        #expect(event3 == .stopped(.positive, command: "/bin/sh", reason: .superseded))
        guard case .started(.caution, _, let second)? = await events.next() else { Issue.record("no start"); return }
        #expect(second != first)
        await player.stop()
        let event4 = await events.next()
        #expect(event4 == .stopped(.caution, command: "/bin/sh", reason: .superseded))
        #expect(kill(second, 0) != 0)
    }

    /// The default player command, as is, through the real `aplay` (alsa-utils) on ALSA's null device: it accepts
    /// the PCM format the synthesizer writes.
    @Test(arguments: SoundCue.allCases)
    func realAplayPlaysEveryCue(cue: SoundCue) async throws {
        var command = SoundConfiguration.defaultPlayerCommand
        command.insert(contentsOf: ["-D", "null"], at: 1)
        let player = try SoundPlayer(configuration: SoundConfiguration(enabled: true, playerCommand: command))
        var events = player.events().makeAsyncIterator()
        player.play(cue)
        guard case .started(cue, "aplay", _)? = await events.next() else { Issue.record("aplay did not start"); return }
        let event = await events.next()
        #expect(event == .finished(cue, command: "aplay", status: 0))
    }

    @Test func aPlayerPastItsTimeoutIsKilled() async throws {
        let player = try SoundPlayer(
            configuration: SoundConfiguration(
                enabled: true, playerCommand: try script("hang.sh", "exec sleep 60"), timeout: .milliseconds(100)))
        var events = player.events().makeAsyncIterator()
        player.play(.notice)
        guard case .started(.notice, _, let pid)? = await events.next() else { Issue.record("no start"); return }
        let event5 = await events.next()
        #expect(event5 == .stopped(.notice, command: "/bin/sh", reason: .timedOut))
        #expect(kill(pid, 0) != 0)
    }

    @Test func offByDefaultAndAMissingPlayerIsReported() async throws {
        #expect(SoundConfiguration().enabled == false)
        let silent = try SoundPlayer(configuration: SoundConfiguration(playerCommand: ["/bin/false"]))
        var silentEvents = silent.events().makeAsyncIterator()
        silent.play(.positive)
        let loud = try SoundPlayer(
            configuration: SoundConfiguration(enabled: true, playerCommand: ["kiosk-no-such-player-\(UUID())"]))
        var events = loud.events().makeAsyncIterator()
        loud.play(.positive)
        guard case .started? = await events.next() else { Issue.record("no start"); return }
        let event6 = await events.next()
        #expect(event6 == .finished(.positive, command: loud.configuration.playerCommand[0], status: 127))
        // The disabled player started nothing: its stream ends empty when it is dropped.
        await silent.stop()
        _ = consume silent
        let event7 = await silentEvents.next()
        #expect(event7 == nil)
    }
}

/// A display that only records what it was asked to draw.
actor RecordingDisplay: Renderer {
    private(set) var drawn: [Screen] = []
    func draw(_ screen: Screen) async throws { drawn.append(screen) }
}
