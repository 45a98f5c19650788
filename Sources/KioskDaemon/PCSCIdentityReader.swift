public import KioskCore
public import Logging
public import SmartCard

/// Reads a card through pcsc-lite: connect (shared, T=0|T=1) on the card-I/O context, run the PBOC profile,
/// disconnect leaving the card as it is.
///
/// Issue 3 adds card routing (SSSE, transport application, resident ID); today every card is read as a PBOC card,
/// and a card without a UnionPay application is ``CardError/unsupportedCard``.
public struct PCSCIdentityReader: CardIdentityReader {
    private let cardReader: PCSCCardReader
    private let logger: Logger

    public init(cardReader: PCSCCardReader, logger: Logger) {
        self.cardReader = cardReader
        self.logger = logger
    }

    public func read(reader: String, atr: [UInt8]) async throws -> CardReading {
        let channel = try await cardReader.connect(reader: reader)
        do {
            let data = try await PBOCProfile(logger: logger).read(from: channel)
            await channel.disconnect()
            var rejected: [String] = []
            if let problem = data.idNumberProblem {
                rejected.append("9F61: \(problem)")
            }
            if !data.panValid {
                rejected.append("5A: PAN fails the Luhn check")
            }
            return CardReading(
                identities: data.identities(), displayName: data.cardholderName, rejectedFields: rejected,
                profile: "pboc")
        } catch {
            await channel.disconnect()
            throw error
        }
    }
}
