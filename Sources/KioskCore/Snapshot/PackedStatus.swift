import Foundation

/// A ``StatusRecord`` packed into 16 bytes for snapshot payloads (see ``SnapshotPayload`` for the whole format).
///
/// Layout, integers big-endian, times relative to the format's origin 2020-01-01T00:00:00Z:
///
/// | Offset | Size | Field |
/// |---|---|---|
/// | 0 | u8 | status: 0 normal, 1 homeObservation, 2 centralizedObservation |
/// | 1 | u8 | popup code: 0 none, 1–255 the category |
/// | 2 | u8 | nucleic-acid test result: 0 none, 1 negative, 2 positive, 3 pending |
/// | 3 | u8 | vaccination doses 0–254; 0xFF = no vaccination record |
/// | 4 | u32 | NAT sampled-at, seconds since origin (0 when there is no test) |
/// | 8 | u16 | last dose, days since origin; 0xFFFF none (always 0xFFFF without a vaccination record) |
/// | 10 | u16 | commuter mark valid until, days since origin; 0xFFFF none |
/// | 12 | u32 | updated-at, seconds since origin |
///
/// Lossless at this resolution: times keep whole seconds (fractions are truncated toward the past), dates keep days.
/// A popup's guidance text is not in these 16 bytes: when it differs from `Popup(code:)`'s default, the payload carries
/// it next to the entry (``customPopupText(of:)``).
///
/// Encoding **throws** `.unrepresentable` rather than clamp, because a clamped health record would be a wrong
/// answer: times before the origin or after 2156-02-07T06:28:15Z (u32 seconds), dates before the origin or after
/// 2199-06-05 (0xFFFF days is "none"), doses outside 0–254, popup codes outside 1–255. Decoding throws `.badRecord` for status
/// > 2, result > 3, a sampled-at time without a result, or a last-dose date without a vaccination record.
public struct PackedStatus: Sendable, Hashable {
    /// Unix time of 2020-01-01T00:00:00Z, the origin of every packed time and date.
    public static let originUnixSeconds: Int64 = 1_577_836_800
    static let originDays = 18262  // days from 1970-01-01 to 2020-01-01
    static let none16: UInt16 = 0xFFFF
    static let noVaccination: UInt8 = 0xFF

    /// The 16 bytes.
    public let bytes: [UInt8]

    /// Wraps 16 packed bytes without checking them (``record()`` checks).
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Packs a record; throws `.unrepresentable` for values outside the format's range (see the type's documentation).
    public init(_ record: StatusRecord) throws(SnapshotFormatError) {
        var out = [UInt8](repeating: 0, count: 16)
        out[0] = switch record.status {
        case .normal: 0
        case .homeObservation: 1
        case .centralizedObservation: 2
        }
        if let popup = record.popup {
            guard (1...255).contains(popup.code) else {
                throw SnapshotFormatError(.unrepresentable, "popup code \(popup.code) outside 1–255")
            }
            out[1] = UInt8(popup.code)
        }
        if let nat = record.nucleicAcidTest {
            out[2] = switch nat.result {
            case .negative: 1
            case .positive: 2
            case .pending: 3
            }
            Self.put32(try Self.seconds(nat.sampledAt, "NAT sampled-at"), into: &out, at: 4)
        }
        if let vaccination = record.vaccination {
            guard (0...254).contains(vaccination.doses) else {
                throw SnapshotFormatError(.unrepresentable, "doses \(vaccination.doses) outside 0–254")
            }
            out[3] = UInt8(vaccination.doses)
            Self.put16(try vaccination.lastDose.map { d throws(SnapshotFormatError) in try Self.days(d, "last dose") } ?? Self.none16, into: &out, at: 8)
        } else {
            out[3] = Self.noVaccination
            Self.put16(Self.none16, into: &out, at: 8)
        }
        Self.put16(try record.commuter.map { c throws(SnapshotFormatError) in try Self.days(c.validUntil, "commuter until") } ?? Self.none16, into: &out, at: 10)
        Self.put32(try Self.seconds(record.updatedAt, "updated-at"), into: &out, at: 12)
        bytes = out
    }

    /// Unpacks the record. `customPopupText`, when given, replaces the popup's default guidance.
    public func record(customPopupText: Guidance? = nil) throws(SnapshotFormatError) -> StatusRecord {
        let b = bytes
        let status: HealthStatus
        switch b[0] {
        case 0: status = .normal
        case 1: status = .homeObservation
        case 2: status = .centralizedObservation
        default: throw SnapshotFormatError(.badRecord, "status \(b[0])")
        }
        let popup: Popup? = b[1] == 0 ? nil : Popup(code: Int(b[1]), guidance: customPopupText)
        if b[1] == 0, customPopupText != nil { throw SnapshotFormatError(.badRecord, "popup text without a popup") }
        let sampled = Self.get32(b, 4)
        let nat: NucleicAcidTest?
        switch b[2] {
        case 0:
            guard sampled == 0 else { throw SnapshotFormatError(.badRecord, "NAT time without a result") }
            nat = nil
        case 1, 2, 3:
            let result: NucleicAcidTest.Result = b[2] == 1 ? .negative : b[2] == 2 ? .positive : .pending
            nat = NucleicAcidTest(sampledAt: Self.date(sampled), result: result)
        default: throw SnapshotFormatError(.badRecord, "NAT result \(b[2])")
        }
        let lastDose = Self.get16(b, 8)
        let vaccination: Vaccination?
        if b[3] == Self.noVaccination {
            guard lastDose == Self.none16 else { throw SnapshotFormatError(.badRecord, "last dose without vaccination") }
            vaccination = nil
        } else {
            vaccination = Vaccination(doses: Int(b[3]), lastDose: lastDose == Self.none16 ? nil : Self.calendarDate(lastDose))
        }
        let commuterDays = Self.get16(b, 10)
        let commuter = commuterDays == Self.none16 ? nil : CommuterMark(validUntil: Self.calendarDate(commuterDays))
        return StatusRecord(
            status: status, popup: popup, nucleicAcidTest: nat, vaccination: vaccination, commuter: commuter,
            updatedAt: Self.date(Self.get32(b, 12)))
    }

    /// The popup text a payload must carry beside the packed record: `nil` when the record has no popup or its
    /// guidance is the default `Popup(code:)` gives for its code.
    public static func customPopupText(of record: StatusRecord) -> Guidance? {
        guard let popup = record.popup, popup.guidance != Popup(code: popup.code).guidance else { return nil }
        return popup.guidance
    }

    // MARK: Conversions

    static func seconds(_ date: Date, _ field: String) throws(SnapshotFormatError) -> UInt32 {
        let t = date.timeIntervalSince1970.rounded(.down)
        guard t.isFinite, t >= Double(originUnixSeconds), t - Double(originUnixSeconds) <= Double(UInt32.max) else {
            throw SnapshotFormatError(.unrepresentable, "\(field) outside 2020-01-01…2156-02-07")
        }
        return UInt32(Int64(t) - originUnixSeconds)
    }

    static func date(_ seconds: UInt32) -> Date {
        Date(timeIntervalSince1970: TimeInterval(originUnixSeconds + Int64(seconds)))
    }

    static func days(_ date: CalendarDate, _ field: String) throws(SnapshotFormatError) -> UInt16 {
        let d = UTCTime.days(year: date.year, month: date.month, day: date.day) - originDays
        guard d >= 0, d < Int(none16) else {
            throw SnapshotFormatError(.unrepresentable, "\(field) outside 2020-01-01…2199-06-05")
        }
        return UInt16(d)
    }

    static func calendarDate(_ days: UInt16) -> CalendarDate {
        let (y, m, d) = UTCTime.civil(days: originDays + Int(days))
        return CalendarDate(year: y, month: m, day: d)!
    }

    static func put16(_ v: UInt16, into b: inout [UInt8], at i: Int) {
        b[i] = UInt8(v >> 8)
        b[i + 1] = UInt8(v & 0xFF)
    }

    static func put32(_ v: UInt32, into b: inout [UInt8], at i: Int) {
        for k in 0..<4 { b[i + k] = UInt8((v >> (24 - 8 * UInt32(k))) & 0xFF) }
    }

    static func get16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }

    static func get32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}
