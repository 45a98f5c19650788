import ArgumentParser
import Foundation
import KioskCore
import SmartCard

extension KioskCtl {
    /// `kioskctl read-card READER`: routes the card in one reader and prints what the kiosk would extract, masked.
    struct ReadCard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read-card",
            abstract: "Read the card in a reader and print what was extracted (masked).",
            discussion: """
                READER is a name as `kioskctl readers` prints it, or its [index]. ID numbers, card numbers and names \
                are masked (110***********1231, 王*测); raw values are never printed.
                Exit status: 0 read, 1 not read (unsupported, needs PSAM, removed), 2 resident ID card on this reader.
                """)

        @Argument(help: "Reader name or index.")
        var reader: String

        func run() async throws {
            let io = PCSCCardReader()
            defer { io.close() }
            let names = try await io.listReaders()
            let name: String
            if let index = Int(reader), names.indices.contains(index) {
                name = names[index]
            } else if names.contains(reader) {
                name = reader
            } else {
                print("no reader '\(reader)'; readers: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
                throw ExitCode(1)
            }
            let channel = try await io.connect(reader: name)
            print("reader:     \(name)")
            print("ATR:        \(channel.atr.hexString)")
            let start = ContinuousClock.now
            do {
                let routed = try await CardRouter().route(channel)
                await channel.disconnect()
                print(Self.report(routed))
                print("read in \(ContinuousClock.now - start)")
            } catch let error as IDCardOnPCSCReader {
                await channel.disconnect()
                print("card:       resident ID card, chip serial \(error.maskedSerial); no personal data over PC/SC")
                print("guidance:   \(error.guidance)")
                throw ExitCode(2)
            } catch let error as CardError {
                await channel.disconnect()
                print("not read:   \(error)")
                print("guidance:   \(error.guidance)")
                throw ExitCode(1)
            }
        }

        /// The masked report: profiles, masked identities and name, per-application summaries, rejected fields,
        /// notes.
        static func report(_ routed: RoutedCardData) -> String {
            var lines = ["profiles:   \(routed.profileSummary)"]
            if let name = routed.displayName { lines.append("name:       \(Masking.name(name))") }
            lines.append("identities: \(routed.identities.isEmpty ? "none" : "(strongest first)")")
            for identity in routed.identities {
                let kind = identity.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                lines.append(
                    "  \(kind) \(Masking.maskedValue(of: identity))\(identity.isValidated ? "" : "  (not validated)")")
            }
            if let ssc = routed.socialSecurity {
                var parts: [String] = []
                if let version = ssc.specVersion { parts.append("spec \(version)") }
                if let region = ssc.regionCode { parts.append("region \(region)") }
                if let type = ssc.cardType { parts.append("card type \(type)") }
                if let date = ssc.validUntil { parts.append("valid until \(date)") }
                if let algorithm = ssc.algorithm { parts.append("algorithm \([algorithm].hexString)") }
                lines.append("ssse:       \(parts.isEmpty ? "nothing readable" : parts.joined(separator: ", "))")
            }
            if let pboc = routed.pboc {
                var parts = ["AID \(pboc.aid.hexString.filter { $0 != " " })"]
                if let label = pboc.applicationLabel { parts.append("\"\(label)\"") }
                if let expiry = pboc.expiry { parts.append("expiry \(expiry)") }
                if let idType = pboc.idType { parts.append("ID type \(idType)") }
                lines.append("pboc:       \(parts.joined(separator: ", "))")
            }
            if let transport = routed.transport { lines.append("bmac:       \(transport)") }
            for field in routed.rejectedFields { lines.append("rejected:   \(field)") }
            for note in routed.notes { lines.append("note:       \(note)") }
            lines.append("APDUs:      \(routed.apduCount)")
            return lines.joined(separator: "\n")
        }
    }
}
