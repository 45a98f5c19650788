import KioskCore
public import Logging
public import SmartCard

/// Reads a card through pcsc-lite: connect (shared, T=0|T=1) on the card-I/O context, route it with ``CardRouter``
/// (social security environment, PBOC, Beijing transport application; resident ID card recognised), disconnect
/// leaving the card as it is.
///
/// ``CardReading/profile`` is ``RoutedCardData/profileSummary``, e.g. `ssse+pboc`, or
/// `pboc (fell back from ssse: needs PSAM)` for a spec-3.00 social security card read through its bank application.
/// The router's notes (no values) are logged at debug level, and at info when a social security card needed a PSAM
/// or its data disagreed with itself.
public struct PCSCIdentityReader: CardIdentityReader {
    private let cardReader: PCSCCardReader
    private let logger: Logger

    public init(cardReader: PCSCCardReader, logger: Logger) {
        self.cardReader = cardReader
        self.logger = logger
    }

    /// - Throws: ``IDCardOnPCSCReader`` (a resident ID card on this reader), ``CardError/unsupportedCard``,
    ///   ``CardError/needsSecureAccessModule``, ``CardError/cardRemoved`` and reader errors.
    public func read(reader: String, atr: [UInt8]) async throws -> CardReading {
        let channel = try await cardReader.connect(reader: reader)
        do {
            let routed = try await CardRouter(logger: logger).route(channel)
            await channel.disconnect()
            if !routed.notes.isEmpty {
                let inconsistent = !(routed.socialSecurity?.consistencyProblems.isEmpty ?? true)
                let important = routed.fellBackFrom != nil || inconsistent
                logger.log(
                    level: important ? .info : .debug, "card read with notes",
                    metadata: ["kiosk.profile": "\(routed.profileSummary)", "kiosk.notes": "\(routed.notes)"])
            }
            return CardReading(
                identities: routed.identities, displayName: routed.displayName, rejectedFields: routed.rejectedFields,
                profile: routed.profileSummary)
        } catch {
            await channel.disconnect()
            throw error
        }
    }
}
