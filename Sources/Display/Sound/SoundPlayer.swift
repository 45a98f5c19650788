public import Foundation
import KioskCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Sound settings. Off by default: a venue turns it on.
///
/// - `enabled` (bool, default `false`).
/// - `playerCommand` (argv, default `aplay -q -t raw -f S16_LE -r 16000 -c 1`): reads the cue as raw signed 16-bit
///   little-endian mono PCM at `sampleRate` on standard input. Found on `PATH`.
/// - `sampleRate` (Hz, default 16000): must match the player command.
/// - `speechCommand` (argv, default none, e.g. `espeak-ng -v zh`): run after the cue with the screen's title as its
///   last argument, in `speechLanguage` (`zh` or `en`).
/// - `timeout` (default 5 s): a player still running after it is killed.
public struct SoundConfiguration: Sendable {
    /// Which language the speech command is given.
    public enum Language: String, Sendable, Hashable, CaseIterable { case zh, en }

    public var enabled: Bool
    public var playerCommand: [String]
    public var sampleRate: Int
    public var speechCommand: [String]?
    public var speechLanguage: Language
    public var timeout: Duration

    public static let defaultPlayerCommand = ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-r", "16000", "-c", "1"]

    public init(
        enabled: Bool = false, playerCommand: [String] = SoundConfiguration.defaultPlayerCommand,
        sampleRate: Int = 16_000, speechCommand: [String]? = nil, speechLanguage: Language = .zh,
        timeout: Duration = .seconds(5)
    ) {
        self.enabled = enabled
        self.playerCommand = playerCommand
        self.sampleRate = sampleRate
        self.speechCommand = speechCommand
        self.speechLanguage = speechLanguage
        self.timeout = timeout
    }
}

/// Plays a ``SoundCue`` (and optionally speaks the result) through external commands, without ever making the
/// caller wait: ``play(_:words:)`` returns at once; the commands run in a task of their own, each killed after the
/// timeout, and a newer cue kills whatever is still playing.
///
/// The PCM of every cue is generated once (``ToneSynthesizer``) into a private temporary directory and given to
/// the player as its standard input, so no pipe can block or raise SIGPIPE.
public final class SoundPlayer: Sendable {
    /// What happened to a command, for logs and tests.
    public enum Event: Sendable, Hashable {
        /// The command started with this process id.
        case started(SoundCue, command: String, pid: Int32)
        /// It ended by itself with this exit status.
        case finished(SoundCue, command: String, status: Int32)
        /// It was killed (and is gone): a newer cue came, or it ran past the timeout.
        case stopped(SoundCue, command: String, reason: StopReason)
        /// It could not be started (not installed, not executable).
        case failed(SoundCue, command: String, reason: String)
    }

    public enum StopReason: String, Sendable, Hashable { case superseded, timedOut }

    private struct State {
        var current: Task<Void, Never>?
        var observers: [UUID: AsyncStream<Event>.Continuation] = [:]
    }

    public let configuration: SoundConfiguration
    private let directory: URL
    private let state = Mutex(State())

    /// Writes the PCM of every cue into a new temporary directory.
    /// - Throws: the file system error if the directory or a file cannot be written.
    public init(configuration: SoundConfiguration) throws {
        self.configuration = configuration
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-sound-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for cue in SoundCue.allCases {
            try Data(ToneSynthesizer.pcm(cue.melody, sampleRate: configuration.sampleRate))
                .write(to: pcmFile(for: cue))
        }
    }

    deinit {
        state.withLock { state in
            state.current?.cancel()
            for continuation in state.observers.values { continuation.finish() }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The PCM file given to the player for `cue`.
    public func pcmFile(for cue: SoundCue) -> URL { directory.appendingPathComponent("\(cue.rawValue).pcm") }

    /// Events of every command from now on.
    public func events() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(64))
        let id = UUID()
        state.withLock { $0.observers[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.observers.removeValue(forKey: id) } }
        return stream
    }

    /// The cue and words for `screen` (nothing for idle and reading); returns at once.
    public func play(for screen: Screen) {
        guard let cue = SoundCue(screen: screen) else { return }
        let words: String? =
            configuration.speechCommand == nil
            ? nil : (configuration.speechLanguage == .zh ? screen.title.zh : screen.title.en)
        play(cue, words: words)
    }

    /// Starts `cue` (then `words` through the speech command, if configured) and returns at once. Anything still
    /// playing is killed first. Does nothing unless ``SoundConfiguration/enabled``.
    public func play(_ cue: SoundCue, words: String? = nil) {
        guard configuration.enabled else { return }
        state.withLock { state in
            let previous = state.current
            previous?.cancel()
            state.current = Task {
                await previous?.value
                guard !Task.isCancelled else { return }
                await self.run(self.configuration.playerCommand, input: self.pcmFile(for: cue), cue: cue)
                if let speech = self.configuration.speechCommand, let words, !Task.isCancelled {
                    await self.run(speech + [words], input: nil, cue: cue)
                }
            }
        }
    }

    /// Kills whatever is playing and waits until it is gone.
    public func stop() async {
        let current = state.withLock { state in
            defer { state.current = nil }
            return state.current
        }
        current?.cancel()
        await current?.value
    }

    private func emit(_ event: Event) {
        state.withLock { state in
            for continuation in state.observers.values { continuation.yield(event) }
        }
    }

    /// Runs `argv` (found on PATH) with `input` as standard input, until it exits, the timeout, or cancellation.
    private func run(_ argv: [String], input: URL?, cue: SoundCue) async {
        let name = argv.first ?? ""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        var inputHandle: FileHandle?
        if let input {
            do {
                inputHandle = try FileHandle(forReadingFrom: input)
            } catch {
                emit(.failed(cue, command: name, reason: "cannot read \(input.path): \(error)"))
                return
            }
            process.standardInput = inputHandle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let (exits, exit) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(1))
        process.terminationHandler = { process in
            exit.yield(process.terminationStatus)
            exit.finish()
        }
        do {
            try process.run()
        } catch {
            try? inputHandle?.close()
            emit(.failed(cue, command: name, reason: "\(error)"))
            return
        }
        try? inputHandle?.close()
        let pid = process.processIdentifier
        emit(.started(cue, command: name, pid: pid))
        let timeout = configuration.timeout
        let timer = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        // Waited for in a task of its own: iterating the stream here would end at once on cancellation, before
        // the killed player is gone.
        let exited = Task {
            var status: Int32 = -1
            for await value in exits { status = value }
            return status
        }
        let status = await withTaskCancellationHandler {
            await exited.value
        } onCancel: {
            kill(pid, SIGKILL)
        }
        timer.cancel()
        if Task.isCancelled {
            emit(.stopped(cue, command: name, reason: .superseded))
        } else if case .success = await timer.result {
            emit(.stopped(cue, command: name, reason: .timedOut))
        } else {
            emit(.finished(cue, command: name, status: status))
        }
    }
}

/// A renderer that also sounds each screen's cue: draws first, then starts the sound without waiting for it.
public struct SoundingRenderer: Renderer {
    public let display: any Renderer
    public let player: SoundPlayer

    public init(display: any Renderer, player: SoundPlayer) {
        self.display = display
        self.player = player
    }

    public func draw(_ screen: Screen) async throws {
        defer { player.play(for: screen) }
        try await display.draw(screen)
    }
}
