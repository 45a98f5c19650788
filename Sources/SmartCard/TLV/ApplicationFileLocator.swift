/// The application file locator (AFL, tag `94`, EMV Book 3 §10.2): which records of which files the terminal
/// reads after GET PROCESSING OPTIONS.
///
/// Four bytes per entry: `SFI<<3`, first record, last record, number of records (from the first) that take part
/// in offline data authentication. The reader sends `00 B2 rr (SFI<<3|4) 00` for every record of every entry
/// (``CommandAPDU/readRecord(sfi:record:)``).
public struct ApplicationFileLocator: Sendable, Hashable, CustomStringConvertible {
    public struct Entry: Sendable, Hashable, CustomStringConvertible {
        /// Short file identifier, 1–30.
        public var sfi: UInt8
        public var firstRecord: UInt8
        public var lastRecord: UInt8
        /// Records (from `firstRecord`) used for offline data authentication; not needed to read identity data.
        public var offlineAuthenticationRecords: UInt8

        public init(sfi: UInt8, firstRecord: UInt8, lastRecord: UInt8, offlineAuthenticationRecords: UInt8 = 0) {
            self.sfi = sfi
            self.firstRecord = firstRecord
            self.lastRecord = lastRecord
            self.offlineAuthenticationRecords = offlineAuthenticationRecords
        }

        /// The record numbers of this entry, first to last.
        public var records: ClosedRange<UInt8> { firstRecord...max(firstRecord, lastRecord) }

        /// The 4 encoded bytes.
        public var bytes: [UInt8] { [sfi << 3, firstRecord, lastRecord, offlineAuthenticationRecords] }

        public var description: String { "SFI \(sfi) rec \(firstRecord)-\(lastRecord)" }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Parses the value of tag `94` (or the AFL part of a format-1 GPO response).
    ///
    /// The three low bits of each entry's first byte are reserved (zero) and ignored, as EMV kernels do.
    /// - Throws: ``CardDataError/Code/aflLengthNotMultipleOf4``; ``CardDataError/Code/aflInvalidSFI`` for SFI 0
    ///   or 31; ``CardDataError/Code/aflInvalidRecordRange`` for first record 0 or first > last.
    public init(parsing bytes: [UInt8]) throws(CardDataError) {
        guard bytes.count % 4 == 0 else { throw CardDataError(.aflLengthNotMultipleOf4, offset: bytes.count) }
        var entries: [Entry] = []
        for start in stride(from: 0, to: bytes.count, by: 4) {
            let sfi = bytes[start] >> 3
            guard (1...30).contains(sfi) else { throw CardDataError(.aflInvalidSFI, offset: start) }
            let first = bytes[start + 1]
            let last = bytes[start + 2]
            guard first != 0, first <= last else { throw CardDataError(.aflInvalidRecordRange, offset: start + 1) }
            entries.append(
                Entry(sfi: sfi, firstRecord: first, lastRecord: last, offlineAuthenticationRecords: bytes[start + 3]))
        }
        self.entries = entries
    }

    /// The encoded AFL.
    public var bytes: [UInt8] { entries.flatMap(\.bytes) }

    public var description: String { entries.map(\.description).joined(separator: ", ") }
}
