public import KioskCore

/// Errors of a card session. The codes keep the field's terms (SW1/SW2, `SCARD_*`).
public enum CardError: Error, Sendable, Hashable, CustomStringConvertible, GuidanceProviding {
    /// The card left the field or was reset during the session (`SCARD_W_REMOVED_CARD`, `SCARD_W_RESET_CARD`,
    /// `SCARD_E_NO_SMARTCARD`): the person should tap again.
    case cardRemoved
    /// A response shorter than SW1 SW2.
    case malformedResponse(length: Int)
    /// A BER-TLV or record structure the profile cannot parse; `context` names what was being read.
    case malformedData(context: String)
    /// The card answered a command with an unexpected status word.
    case unexpectedStatus(command: String, statusWord: StatusWord)
    /// No profile recognised the card (no known application answered SELECT).
    case unsupportedCard
    /// The card needs a secure access module to release its data (e.g. social security spec 3.00 without PSAM).
    case needsSecureAccessModule
    /// The reader or PC/SC service failed; `name` is the `SCARD_*` name.
    case reader(name: String, code: Int)
    /// GET RESPONSE / 6C chains longer than the limit: the card is misbehaving.
    case responseChainTooLong

    public var description: String {
        switch self {
        case .cardRemoved: "card removed"
        case .malformedResponse(let n): "malformed response APDU (\(n) bytes)"
        case .malformedData(let context): "malformed card data in \(context)"
        case .unexpectedStatus(let command, let sw): "\(command) answered SW \(sw)"
        case .unsupportedCard: "no supported application on the card"
        case .needsSecureAccessModule: "card requires a PSAM to read"
        case .reader(let name, let code): "reader error \(name) (0x\(String(code, radix: 16)))"
        case .responseChainTooLong: "card sent too many 61xx/6Cxx responses"
        }
    }

    public var guidance: Guidance {
        switch self {
        case .cardRemoved, .malformedResponse, .malformedData, .unexpectedStatus, .responseChainTooLong:
            Guidance.tapAgain
        case .unsupportedCard:
            Guidance(zh: "无法识别此卡，请使用养老助残卡、社保卡或身份证", en: "Card not recognised. Please use a senior card, social security card or ID card")
        case .needsSecureAccessModule:
            Guidance(zh: "此卡暂不能在本机读取，请联系工作人员", en: "This card cannot be read here. Please ask staff")
        case .reader:
            Guidance.askStaff
        }
    }
}

/// The seam between card profiles and a card: a session with one card in one reader.
///
/// Implemented by the PC/SC channel (pcsc-lite `SCardTransmit`) and by in-memory fakes in tests.
/// Implementations only move bytes; ``transmit(_:)`` adds the T=0 status handling on top.
public protocol CardChannel: Sendable {
    /// The card's answer-to-reset (ISO/IEC 7816-3 §8), as reported by the reader.
    var atr: [UInt8] { get }

    /// Sends one raw command APDU and returns the raw response (data + SW1 SW2).
    /// - Throws: ``CardError/cardRemoved`` when the card is gone, ``CardError/reader(name:code:)`` otherwise.
    func transmitRaw(_ command: [UInt8]) async throws -> [UInt8]
}

extension CardChannel {
    /// Sends a command and follows the ISO/IEC 7816-4 §5.3 / EMV Book 1 §9.2 procedure a PC/SC reader does not do
    /// for us: `61 XX` → GET RESPONSE with Le = XX (concatenating data), `6C XX` → resend with Le = XX.
    /// At most 16 follow-ups.
    /// - Throws: ``CardError``; a response shorter than 2 bytes is ``CardError/malformedResponse(length:)``.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        var response = try ResponseAPDU(bytes: try await transmitRaw(command.bytes))
        var data: [UInt8] = []
        var followUps = 0
        while response.statusWord.isMoreDataAvailable || response.statusWord.isWrongLength {
            followUps += 1
            guard followUps <= 16 else { throw CardError.responseChainTooLong }
            let xx = Int(response.statusWord.sw2)
            if response.statusWord.isMoreDataAvailable {
                data += response.data
                response = try ResponseAPDU(
                    bytes: try await transmitRaw(CommandAPDU.getResponse(le: xx == 0 ? 256 : xx).bytes))
            } else {
                response = try ResponseAPDU(
                    bytes: try await transmitRaw(command.with(le: xx == 0 ? 256 : xx).bytes))
            }
        }
        return ResponseAPDU(data: data + response.data, statusWord: response.statusWord)
    }
}
