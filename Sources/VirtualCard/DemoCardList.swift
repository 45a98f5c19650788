public import Foundation

/// The cards of a people file (the same JSON `kioskctl snapshot import` reads), as virtual senior cards.
///
/// Reads from each person `name`, `idNumber`, `pan` and an optional `demoCard` object:
/// `{"variants": ["t0GetResponse", …], "pullAfterAPDUs": 4, "idOnCard": false}` — `pullAfterAPDUs` makes the first
/// tap a card pulled away mid-read, followed by a normal second tap; `idOnCard: false` leaves tag 9F61 out.
/// People without a `pan` have no senior card and are skipped. Other fields are ignored.
public struct DemoCardList: Sendable {
    /// One tap of the demo.
    public struct Tap: Sendable {
        public var label: String
        public var image: PBOCCardImage
        public var removeAfterAPDUs: Int?
    }

    public var taps: [Tap]

    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    private struct File: Decodable {
        var people: [Person]
    }

    private struct Person: Decodable {
        var name: String?
        var note: String?
        var idNumber: String?
        var pan: String?
        var demoCard: DemoCard?
    }

    private struct DemoCard: Decodable {
        var variants: [String]?
        var pullAfterAPDUs: Int?
        var idOnCard: Bool?
    }

    /// - Throws: ``FormatError`` for a file that is not a people file or names an unknown variant.
    public init(contentsOf url: URL) throws {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        } catch {
            throw FormatError(description: "\(url.path): not a people file (\(error))")
        }
        var taps: [Tap] = []
        for (index, person) in file.people.enumerated() {
            guard let pan = person.pan else { continue }
            var variant: PBOCCardImage.Variant = []
            for name in person.demoCard?.variants ?? [] {
                guard let known = PBOCCardImage.Variant.allCases.first(where: { $0.name == name }) else {
                    throw FormatError(description: "person \(index): unknown card variant '\(name)'")
                }
                variant.insert(known.variant)
            }
            let idOnCard = person.demoCard?.idOnCard ?? true
            let image = PBOCCardImage(
                pan: pan, name: person.name, idNumber: idOnCard ? person.idNumber : nil, variant: variant)
            let label = "#\(index) \(person.note ?? "")"
            if let pull = person.demoCard?.pullAfterAPDUs {
                taps.append(Tap(label: label + " (pulled away mid-read)", image: image, removeAfterAPDUs: pull))
            }
            taps.append(Tap(label: label, image: image, removeAfterAPDUs: nil))
        }
        self.taps = taps
    }
}
