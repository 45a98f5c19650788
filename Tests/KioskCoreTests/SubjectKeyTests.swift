import KioskCore
import Testing

@Suite("Subject key (DESIGN.md §4)")
struct SubjectKeyTests {
    let epoch1 = EpochKey(epoch: 1, bytes: Array(0..<32))

    /// Expected values computed independently with Python:
    /// `hmac.new(bytes(range(32)), b"resident-id:110101194605121231", hashlib.sha256).hexdigest()[:32]`.
    @Test func matchesAnIndependentHMAC() {
        let id = SubjectKey(kind: .residentID, normalisedValue: "110101194605121231", epochKey: epoch1)
        #expect(id.hex == "5040501a0e83376d1eedbb634d173161")
        let pan = SubjectKey(kind: .bankCardPAN, normalisedValue: "6299999900000000014", epochKey: epoch1)
        #expect(pan.hex == "0b238930ab6505301cc46a08193a7012")
        let other = SubjectKey(
            kind: .residentID, normalisedValue: "110101194605121231",
            epochKey: EpochKey(epoch: 2, bytes: [UInt8](repeating: 0x42, count: 32)))
        #expect(other.hex == "b6318b82de592d7ef5ea2ae1602183ca")
    }

    @Test func deterministicAndSixteenBytes() {
        let identity = Identity(kind: .residentID, value: "110101194605121231", isValidated: true)
        let a = SubjectKey(identity: identity, epochKey: epoch1)
        let b = SubjectKey(identity: identity, epochKey: epoch1)
        #expect(a == b)
        #expect(a.bytes.count == 16)
    }

    @Test func differsPerKindValueAndEpoch() {
        let value = "110101194605121231"
        let asID = SubjectKey(kind: .residentID, normalisedValue: value, epochKey: epoch1)
        let asSSC = SubjectKey(kind: .socialSecurityCard, normalisedValue: value, epochKey: epoch1)
        let otherValue = SubjectKey(kind: .residentID, normalisedValue: "11010519491231002X", epochKey: epoch1)
        let otherEpoch = SubjectKey(kind: .residentID, normalisedValue: value, epochKey: .random(epoch: 2))
        #expect(Set([asID, asSSC, otherValue, otherEpoch]).count == 4)
    }

    @Test func hexRoundTrip() throws {
        let key = SubjectKey(kind: .bankCardPAN, normalisedValue: "6299999900000000014", epochKey: epoch1)
        #expect(SubjectKey(hex: key.hex) == key)
        #expect(SubjectKey(hex: key.hex.uppercased()) == key)
        #expect(SubjectKey(hex: "00") == nil)
        #expect(SubjectKey(hex: String(repeating: "zz", count: 16)) == nil)
        #expect(SubjectKey(bytes: [1, 2, 3]) == nil)
    }
}
