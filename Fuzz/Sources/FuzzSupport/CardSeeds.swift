import KioskCore
public import SmartCard
public import VirtualCard

/// Seed transcripts: what VirtualCard's card images (the emulators of cards.md §8.1 and §8.2 that the tests read)
/// answer the real profiles, one transcript per image variant.
public enum CardSeeds {
    /// A fixed terminal date and unpredictable number, so a recorded transcript is the same on every run.
    public static let pboc = PBOCProfile(
        transactionDate: CalendarDate(year: 2024, month: 5, day: 1), unpredictableNumber: [0x12, 0x34, 0x56, 0x78])

    /// The responses of the PBOC image, plain and in each ``PBOCCardImage/Variant``, to ``pboc``'s read.
    public static func pbocTranscripts() -> [(name: String, responses: [[UInt8]])] {
        let images =
            [("pboc", PBOCCardImage())]
            + PBOCCardImage.Variant.allCases.map { ("pboc-\($0.name)", PBOCCardImage(variant: $0.variant)) }
            + [("pboc-idtype-passport", PBOCCardImage(idNumber: "E12345678", idType: 0x02))]
        return images.map { name, image in
            (name, record(image) { channel in _ = try await pboc.read(from: channel) })
        }
    }

    /// The responses of the social security image, plain and in each ``SocialSecurityCardImage/Variant``, to
    /// ``SocialSecurityProfile``'s read.
    public static func ssseTranscripts() -> [(name: String, responses: [[UInt8]])] {
        let images =
            [("ssse", SocialSecurityCardImage())]
            + SocialSecurityCardImage.Variant.allCases.map {
                ("ssse-\($0.name)", SocialSecurityCardImage(variant: $0.variant))
            }
        return images.map { name, image in
            (name, record(image) { channel in _ = try await SocialSecurityProfile().read(from: channel) })
        }
    }

    /// Runs `read` against `image` and returns the image's responses in order (whether or not the read succeeded).
    public static func record<Image: CardImage>(
        _ image: Image, _ read: @escaping @Sendable (RecordingCardChannel<ImageCardChannel<Image>>) async throws -> Void
    ) -> [[UInt8]] {
        runBlocking {
            let channel = RecordingCardChannel(ImageCardChannel(image))
            try? await read(channel)
            return await channel.responses
        }
    }

    /// Drops seeds whose bytes repeat an earlier one's.
    public static func unique(_ seeds: [(String, [UInt8])]) -> [(name: String, bytes: [UInt8])] {
        var seen = Set<[UInt8]>()
        return seeds.filter { seen.insert($0.1).inserted }.map { (name: $0.0, bytes: $0.1) }
    }
}
