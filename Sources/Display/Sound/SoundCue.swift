#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The short sound that goes with a screen, so the result is heard as well as seen. One per result colour, and
/// one for every problem; waiting screens (idle, reading) are silent.
public enum SoundCue: String, Sendable, Hashable, CaseIterable {
    /// Green, no abnormality: a rising two-tone.
    case positive
    /// Yellow, home observation or a pop-up to act on: three short beeps.
    case caution
    /// Red, centralized observation: one low, long tone.
    case alert
    /// Anything that is not a status (card not read, unknown person, cannot verify): a neutral blip.
    case notice

    /// The cue for `screen`, or `nil` for the silent screens.
    public init?(screen: Screen) {
        switch screen.kind {
        case .idle, .reading:
            return nil
        case .result, .severalPeople:
            // 他人代查: the screen's tone is the worst tile's.
            switch screen.tone {
            case .green: self = .positive
            case .yellow: self = .caution
            case .red: self = .alert
            case .neutral, .blue: self = .notice
            }
        case .unknownPerson, .unreadableCard, .invalidID, .cannotVerify, .message, .idCardOnWrongReader,
            .codeNotRecognised:
            self = .notice
        }
    }

    /// What the cue sounds like: tones and pauses, in order.
    public var melody: [ToneSegment] {
        switch self {
        case .positive:
            [.tone(hertz: 660, milliseconds: 130), .silence(milliseconds: 30), .tone(hertz: 990, milliseconds: 200)]
        case .caution:
            [
                .tone(hertz: 784, milliseconds: 90), .silence(milliseconds: 70),
                .tone(hertz: 784, milliseconds: 90), .silence(milliseconds: 70),
                .tone(hertz: 784, milliseconds: 90),
            ]
        case .alert:
            [.tone(hertz: 262, milliseconds: 650)]
        case .notice:
            [.tone(hertz: 523, milliseconds: 80)]
        }
    }
}

/// One piece of a cue: a sine tone or a pause.
public enum ToneSegment: Sendable, Hashable {
    case tone(hertz: Int, milliseconds: Int)
    case silence(milliseconds: Int)

    public var milliseconds: Int {
        switch self {
        case .tone(_, let milliseconds), .silence(let milliseconds): milliseconds
        }
    }
}

/// Signed 16-bit little-endian mono PCM (the `aplay -t raw -f S16_LE -c 1` format) for a melody.
public enum ToneSynthesizer {
    /// Peak amplitude, about half of full scale: loud enough in a hall, no clipping.
    public static let amplitude = 16_000.0
    /// Fade in and out of each tone, in milliseconds, so it starts and stops without a click.
    public static let rampMilliseconds = 5

    /// The samples of `melody` at `sampleRate` samples per second.
    public static func samples(_ melody: [ToneSegment], sampleRate: Int) -> [Int16] {
        var out: [Int16] = []
        for segment in melody {
            let count = sampleRate * segment.milliseconds / 1000
            switch segment {
            case .silence:
                out.append(contentsOf: repeatElement(0, count: count))
            case .tone(let hertz, _):
                let ramp = max(1, sampleRate * rampMilliseconds / 1000)
                for i in 0..<count {
                    let envelope = min(1.0, Double(min(i, count - 1 - i)) / Double(ramp))
                    let phase = 2.0 * Double.pi * Double(hertz) * Double(i) / Double(sampleRate)
                    out.append(Int16((amplitude * envelope * sin(phase)).rounded()))
                }
            }
        }
        return out
    }

    /// `samples` as bytes, little-endian.
    public static func pcm(_ melody: [ToneSegment], sampleRate: Int) -> [UInt8] {
        samples(melody, sampleRate: sampleRate).flatMap { sample in
            let bits = UInt16(bitPattern: sample)
            return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
        }
    }
}
