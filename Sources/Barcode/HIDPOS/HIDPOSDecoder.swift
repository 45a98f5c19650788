/// Where the fields sit in a HID POS "Scanned Data Report" (usage page 0x8C). Every offset is configurable.
///
/// The default is the Honeywell-style layout (votingworks `hid_pos.ts`, NielsLeenheer WebHidBarcodeScanner), with
/// offsets counted **including** the report ID byte as hidraw delivers it:
///
/// | byte | content |
/// |---|---|
/// | 0 | report ID `0x02` |
/// | 1 | number of data bytes in this report (at most ``dataCapacity``) |
/// | 2 … | data; the first report of a code starts with its 3-character AIM symbology identifier (`]Q1` = QR) |
/// | 63 | bit 0 set: more reports of the same code follow ("more data") |
///
/// Reports are ``reportSize`` bytes; a hidraw `read` returns one report, a pipe may cut anywhere, so the decoder
/// frames by size.
public struct HIDPOSReportLayout: Sendable, Hashable {
    public var reportID: UInt8 = 0x02
    public var reportSize: Int = 64
    public var lengthOffset: Int = 1
    public var dataOffset: Int = 2
    /// Most data bytes one report may carry (the bytes after it hold symbology and flags). Default 56.
    public var dataCapacity: Int = 56
    /// Offset of the "more data" flag byte; `nil` for scanners that never split a code.
    public var moreDataOffset: Int? = 63
    public var moreDataMask: UInt8 = 0x01
    /// Length of the AIM identifier at the start of a code's data (0: the scanner sends none).
    public var aimIdentifierLength: Int = 3

    public init() {}

    /// Whether every offset lies inside a report: `0 ≤ lengthOffset < reportSize`, `0 ≤ dataOffset < reportSize`,
    /// and `0 ≤ moreDataOffset < reportSize` when there is one. ``HIDPOSDecoder`` requires it (a more-data offset past
    /// the report would be read out of bounds).
    public var isValid: Bool {
        (0..<reportSize).contains(lengthOffset) && (0..<reportSize).contains(dataOffset)
            && moreDataOffset.map { (0..<reportSize).contains($0) } ?? true
    }
}

/// A reassembled HID POS code.
public struct HIDPOSCode: Sendable, Hashable {
    /// AIM symbology identifier such as `]Q1`, if the scanner sent one.
    public var aimIdentifier: String?
    /// The code's bytes, without the AIM identifier.
    public var payload: [UInt8]

    public init(aimIdentifier: String?, payload: [UInt8]) {
        self.aimIdentifier = aimIdentifier
        self.payload = payload
    }
}

/// Frames hidraw bytes into reports and reassembles codes split across several ("more data"). Pure.
public struct HIDPOSDecoder: Sendable {
    public enum Output: Sendable, Hashable {
        case code(HIDPOSCode)
        /// The reassembled code passed ``maximumLength`` bytes; reports are skipped until its last one.
        case tooLong(length: Int)
        /// A report with a length byte beyond its capacity; any partial code is dropped.
        case malformedReport
        /// A code's next report did not arrive in time; the partial code was dropped.
        case incomplete
    }

    public let layout: HIDPOSReportLayout
    public let maximumLength: Int
    /// How long to wait for the next report of a split code. Default 1 s.
    public let continuationTimeout: Duration
    private var buffer: [UInt8] = []
    private var partial: [UInt8]? = nil
    private var partialLength = 0
    private var partialDeadline: ContinuousClock.Instant? = nil

    public init(
        layout: HIDPOSReportLayout = HIDPOSReportLayout(), maximumLength: Int = 4096,
        continuationTimeout: Duration = .seconds(1)
    ) {
        precondition(layout.isValid, "HID POS report layout with an offset outside its \(layout.reportSize)-byte report")
        self.layout = layout
        self.maximumLength = maximumLength
        self.continuationTimeout = continuationTimeout
    }

    /// When ``deadlinePassed(at:)`` should be called (a split code is waiting for its next report).
    public var deadline: ContinuousClock.Instant? { partialDeadline }

    /// Bytes read at `now`, in any pieces.
    public mutating func consume(_ bytes: some Collection<UInt8>, at now: ContinuousClock.Instant) -> [Output] {
        var outputs: [Output] = []
        if let d = partialDeadline, now >= d { outputs += deadlinePassed(at: now) }
        buffer.append(contentsOf: bytes)
        let size = layout.reportSize
        var start = 0
        while buffer.count - start >= size {
            outputs += report(buffer[start..<start + size], at: now)
            start += size
        }
        buffer.removeFirst(start)
        return outputs
    }

    public mutating func deadlinePassed(at now: ContinuousClock.Instant) -> [Output] {
        guard let d = partialDeadline, now >= d else { return [] }
        partial = nil
        partialDeadline = nil
        return [.incomplete]
    }

    /// The device went away: partial data is dropped.
    public mutating func reset() {
        buffer.removeAll()
        partial = nil
        partialDeadline = nil
    }

    private mutating func report(_ r: ArraySlice<UInt8>, at now: ContinuousClock.Instant) -> [Output] {
        let base = r.startIndex
        guard r[base] == layout.reportID else { return [] }  // other reports (status, feature echoes)
        let length = Int(r[base + layout.lengthOffset])
        guard length <= layout.dataCapacity, layout.dataOffset + length <= layout.reportSize else {
            partial = nil
            partialDeadline = nil
            return [.malformedReport]
        }
        let data = r[(base + layout.dataOffset)..<(base + layout.dataOffset + length)]
        let more = layout.moreDataOffset.map { r[base + $0] & layout.moreDataMask != 0 } ?? false

        var collected = partial ?? []
        partialLength = (partial == nil ? 0 : partialLength) + length
        if partialLength <= maximumLength { collected += data }
        if more {
            partial = collected
            partialDeadline = now.advanced(by: continuationTimeout)
            return []
        }
        partial = nil
        partialDeadline = nil
        if partialLength > maximumLength { return [.tooLong(length: partialLength)] }
        return [.code(splitAIM(collected))]
    }

    private func splitAIM(_ bytes: [UInt8]) -> HIDPOSCode {
        let n = layout.aimIdentifierLength
        if n > 0, bytes.count >= n, bytes.first == UInt8(ascii: "]") {
            return HIDPOSCode(
                aimIdentifier: String(decoding: bytes.prefix(n), as: UTF8.self),
                payload: Array(bytes.dropFirst(n)))
        }
        return HIDPOSCode(aimIdentifier: nil, payload: bytes)
    }

    /// Builds the reports a scanner would send for `payload` (AIM identifier first), for tests and recordings.
    public static func reports(
        for payload: [UInt8], aimIdentifier: String? = "]Q1", layout: HIDPOSReportLayout = HIDPOSReportLayout()
    ) -> [[UInt8]] {
        let data = Array((aimIdentifier ?? "").utf8) + payload
        var reports: [[UInt8]] = []
        var offset = 0
        repeat {
            let chunk = data[offset..<min(offset + layout.dataCapacity, data.count)]
            offset += chunk.count
            var report = [UInt8](repeating: 0, count: layout.reportSize)
            report[0] = layout.reportID
            report[layout.lengthOffset] = UInt8(chunk.count)
            report.replaceSubrange(layout.dataOffset..<layout.dataOffset + chunk.count, with: chunk)
            if offset < data.count, let m = layout.moreDataOffset { report[m] |= layout.moreDataMask }
            reports.append(report)
        } while offset < data.count
        return reports
    }
}
