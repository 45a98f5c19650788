import ArgumentParser
import Foundation
import KioskCore
import VirtualCard

/// `kiosk-vcard`: plays virtual senior cards on a vpcd virtual reader (tests, demo, technicians without cards).
@main
struct KioskVCard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk-vcard",
        abstract: "Virtual PBOC senior cards on a vpcd reader.",
        subcommands: [Insert.self, Demo.self])
}

struct SlotOptions: ParsableArguments {
    @Option(help: "vpcd port of the reader (reader '… 00 00'; PORT+1 is '… 00 01').")
    var port: Int
    @Option(help: "IPv4 address where pcscd's vpcd driver listens.")
    var host = "127.0.0.1"

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port: 1 to 65535") }
    }
}

extension KioskVCard {
    struct Insert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert one card and keep it there.")
        @OptionGroup var slot: SlotOptions
        @Option(help: "PAN (12–19 digits).") var pan = "6299999900000000014"
        @Option(help: "Cardholder name (tag 5F20).") var name = "王小测"
        @Option(name: .customLong("id"), help: "ID number (tag 9F61); empty leaves it out.")
        var idNumber = "110101194605121231"
        @Option(name: .customLong("variant"), help: "Card variant (repeatable): \(Self.variantNames).")
        var variants: [String] = []
        @Option(name: .customLong("pull-after"), help: "Pull the card away after this many APDUs.")
        var pullAfter: Int?
        @Option(help: "Remove the card after this many seconds (default: keep until Ctrl-C).")
        var seconds: Double?

        static var variantNames: String { PBOCCardImage.Variant.allCases.map(\.name).joined(separator: ", ") }

        func validate() throws {
            guard (1...19).contains(pan.count), pan.allSatisfy({ ("0"..."9").contains($0) }) else {
                throw ValidationError("--pan: 1 to 19 digits")
            }
            if let pullAfter, pullAfter < 0 { throw ValidationError("--pull-after: 0 or more APDUs") }
            if let seconds, !(seconds.isFinite && seconds >= 0 && seconds <= 86400) {
                throw ValidationError("--seconds: 0 to 86400")
            }
        }

        func run() async throws {
            var variant: PBOCCardImage.Variant = []
            for name in variants {
                guard let known = PBOCCardImage.Variant.allCases.first(where: { $0.name == name }) else {
                    throw ValidationError("unknown variant '\(name)'; known: \(Self.variantNames)")
                }
                variant.insert(known.variant)
            }
            let card = VirtualCardSlot(host: slot.host, port: slot.port)
            try card.insert(
                PBOCCardImage(pan: pan, name: name, idNumber: idNumber.isEmpty ? nil : idNumber, variant: variant),
                removeAfterAPDUs: pullAfter)
            print("card inserted on port \(slot.port)")
            if let seconds {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            } else {
                while card.isInserted { try await Task.sleep(for: .milliseconds(200)) }
            }
            card.remove()
            print("card removed after \(card.statistics.totalAPDUsAnswered) APDUs")
        }
    }

    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tap every card of a people file in turn.")
        @OptionGroup var slot: SlotOptions
        @Option(help: "People file (the one the snapshot was built from).") var people: String
        @Option(help: "Seconds each card stays on the reader.") var present = 4.0
        @Option(help: "Seconds between two cards.") var gap = 3.0
        @Flag(help: "Start again after the last card.") var loop = false

        func validate() throws {
            guard present.isFinite, gap.isFinite, (0.1...3600).contains(present), (0...3600).contains(gap) else {
                throw ValidationError("--present: 0.1 to 3600 seconds; --gap: 0 to 3600 seconds")
            }
        }

        func run() async throws {
            let list = try DemoCardList(contentsOf: URL(fileURLWithPath: people))
            let card = VirtualCardSlot(host: slot.host, port: slot.port)
            repeat {
                for tap in list.taps {
                    print("tap \(tap.label)")
                    try card.insert(tap.image, removeAfterAPDUs: tap.removeAfterAPDUs)
                    try await Task.sleep(for: .milliseconds(Int(present * 1000)))
                    card.remove()
                    try await Task.sleep(for: .milliseconds(Int(gap * 1000)))
                }
            } while loop
        }
    }
}
