import CLinuxShims

/// One `struct input_event` (linux/input.h) as a Swift value.
public struct InputEvent: Sendable, Hashable, CustomStringConvertible {
    /// `EV_SYN`, `EV_KEY`, `EV_MSC`, `EV_LED`.
    public static let typeSyn: UInt16 = 0x00
    public static let typeKey: UInt16 = 0x01
    public static let typeMsc: UInt16 = 0x04
    public static let typeLED: UInt16 = 0x11
    /// `SYN_REPORT`.
    public static let synReport: UInt16 = 0
    /// `LED_NUML`, `LED_CAPSL`.
    public static let ledNumLock: UInt16 = 0
    public static let ledCapsLock: UInt16 = 1

    /// Bytes per record: `sizeof(struct input_event)` (24 on x86-64 and arm64).
    public static let size = MemoryLayout<input_event>.size
    static let typeOffset = MemoryLayout<input_event>.offset(of: \input_event.type)!
    static let codeOffset = MemoryLayout<input_event>.offset(of: \input_event.code)!
    static let valueOffset = MemoryLayout<input_event>.offset(of: \input_event.value)!

    public var seconds: Int
    public var microseconds: Int
    public var type: UInt16
    public var code: UInt16
    /// For keys: 1 press, 0 release, 2 autorepeat.
    public var value: Int32

    public init(seconds: Int = 0, microseconds: Int = 0, type: UInt16, code: UInt16, value: Int32) {
        self.seconds = seconds
        self.microseconds = microseconds
        self.type = type
        self.code = code
        self.value = value
    }

    public static func key(_ code: UInt16, _ value: Int32, seconds: Int = 0, microseconds: Int = 0) -> InputEvent {
        InputEvent(seconds: seconds, microseconds: microseconds, type: typeKey, code: code, value: value)
    }

    public static func syn(seconds: Int = 0, microseconds: Int = 0) -> InputEvent {
        InputEvent(seconds: seconds, microseconds: microseconds, type: typeSyn, code: synReport, value: 0)
    }

    /// Reads one record from `raw` (at least ``size`` bytes).
    public init(bytes raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= Self.size)
        let event = raw.loadUnaligned(as: input_event.self)
        self.init(
            seconds: Int(event.time.tv_sec), microseconds: Int(event.time.tv_usec), type: event.type,
            code: event.code, value: event.value)
    }

    /// The record's bytes in the machine's layout, as the kernel writes them.
    public var bytes: [UInt8] {
        var event = input_event()
        event.time.tv_sec = .init(seconds)
        event.time.tv_usec = .init(microseconds)
        event.type = type
        event.code = code
        event.value = value
        return withUnsafeBytes(of: &event) { Array($0) }
    }

    public var description: String { "type \(type) code \(code) value \(value)" }
}

/// Splits a byte stream from an evdev node (or a pipe replaying one) into ``InputEvent`` records.
///
/// A real evdev `read(2)` returns whole records, but a pipe or FIFO may cut anywhere, so bytes are buffered until a
/// full record is there. Feed it any pieces: byte by byte, all at once, or split at any point.
public struct InputEventDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Appends `bytes` and returns the complete records they finish.
    public mutating func decode(_ bytes: some Collection<UInt8>) -> [InputEvent] {
        let size = InputEvent.size
        var events: [InputEvent] = []
        if pending.isEmpty, bytes.count % size == 0 {
            // The common case for a real device: whole records, no copy into `pending`.
            let array = Array(bytes)
            array.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    events.append(InputEvent(bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size])))
                    offset += size
                }
            }
            return events
        }
        pending.append(contentsOf: bytes)
        let whole = pending.count / size * size
        pending.withUnsafeBytes { raw in
            var offset = 0
            while offset < whole {
                events.append(InputEvent(bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size])))
                offset += size
            }
        }
        pending.removeFirst(whole)
        return events
    }

    /// Bytes of an incomplete record still waiting for the rest.
    public var pendingByteCount: Int { pending.count }
}
