import KioskCore
public import Logging
import Synchronization

/// Finds out what a card is by which applications answer, and reads every one it can (DESIGN.md §1 step 2).
///
/// Order of probes (each at most a few APDUs; the whole card at most ``maximumAPDUs``):
///
/// 1. If the ATR is a known resident ID card ATR (``ResidentIDCardProbe/knownATRs``): `00 36 00 00 08`. An 8-byte
///    serial ends the routing with ``IDCardOnPCSCReader``.
/// 2. Beijing transport application (``TransportCardData``): READ BINARY `00 B0 84 00 20`, before any SELECT, as
///    nfsee does (optional, ``readsTransportApplication``).
/// 3. Social security environment (``SocialSecurityProfile``): SELECT SSSE, EF05, EF06.
/// 4. PBOC (``PBOCProfile`` with ``PBOCProfile/unionPayOnly``): PPSE, PSE, UnionPay AIDs. A 3rd-generation social
///    security card is also a UnionPay debit card, a senior card is a PBOC card with a transport application:
///    both applications are read and their identities merged.
/// 5. If nothing yielded anything and step 1 was skipped: `00 36 00 00 08` after all.
///
/// The ATR only orders the probes; applications are recognised by their answers (cards.md §6). A step that fails
/// with a data error (malformed data, unexpected status, too many `61`/`6C`) is noted in ``RoutedCardData/notes``
/// and routing goes on; an answer shorter than a status word ends the probing (the card is mute);
/// ``CardError/cardRemoved``, reader errors and cancellation end it with that error.
///
/// Outcome:
/// - identities or rejected identity fields found → ``RoutedCardData`` (``profiles`` non-empty);
/// - an ID card serial → throws ``IDCardOnPCSCReader``;
/// - a social security card refusing its files with no other application → ``CardError/needsSecureAccessModule``;
/// - anything else (other schemes' bank cards, transport-only cards, dead or garbage-answering chips, the APDU
///   budget exhausted) → ``CardError/unsupportedCard``.
public struct CardRouter: Sendable {
    /// The most raw APDUs sent to one card (GET RESPONSE and `6C` resends included). Default 64; the §8.2 social
    /// security card needs 17, a §8.1 PBOC card 7, both on one card about 30.
    public var maximumAPDUs: Int
    /// Whether to probe the Beijing transport application (one APDU per card).
    public var readsTransportApplication: Bool
    public var pboc: PBOCProfile
    public var socialSecurity: SocialSecurityProfile
    public var logger: Logger

    /// - Parameters:
    ///   - pboc: the PBOC profile to use (tests fix its date and unpredictable number); ``PBOCProfile/unionPayOnly``
    ///     is forced on.
    ///   - logger: debug entries without personal data; silent by default.
    public init(
        maximumAPDUs: Int = 64, readsTransportApplication: Bool = true, pboc: PBOCProfile? = nil,
        logger: Logger = Logger(label: "kiosk.router", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.maximumAPDUs = maximumAPDUs
        self.readsTransportApplication = readsTransportApplication
        var pboc = pboc ?? PBOCProfile(logger: logger)
        pboc.unionPayOnly = true
        self.pboc = pboc
        self.socialSecurity = SocialSecurityProfile(logger: logger)
        self.logger = logger
    }

    /// Reads the card on `channel`. See the type's overview for the probes and the outcome.
    /// - Throws: ``IDCardOnPCSCReader``; ``CardError/needsSecureAccessModule``; ``CardError/unsupportedCard``;
    ///   ``CardError/cardRemoved``, ``CardError/reader(name:code:)`` and `CancellationError` from the channel.
    public func route(_ channel: some CardChannel) async throws -> RoutedCardData {
        let budgeted = BudgetedChannel(base: channel, limit: maximumAPDUs)
        var result = RoutedCardData()
        let atrIsIDCard = ResidentIDCardProbe.isIDCardATR(channel.atr)
        var ssseNeedsPSAM = false
        var cardIsMute = false

        do {
            if atrIsIDCard, let serial = try await probeIDCard(budgeted, into: &result) {
                throw IDCardOnPCSCReader(serial: serial, atrMatched: true)
            }
            if readsTransportApplication {
                let outcome = try await attempt {
                    guard let transport = try await TransportCardData.read(from: budgeted) else { return false }
                    result.transport = transport
                    return true
                }
                record(outcome, of: "bmac", in: &result)
                if isMute(outcome) { throw CardIsMute() }
            }
            let ssse = try await attempt {
                let data: SocialSecurityCardData
                do {
                    data = try await socialSecurity.read(from: budgeted)
                } catch CardError.unsupportedCard {
                    return false
                }
                result.socialSecurity = data
                if data.needsSecureAccessModule {
                    ssseNeedsPSAM = true
                    result.notes.append(
                        "ssse: needs a PSAM (items \(data.protectedItems.hexString) refused without authentication)")
                }
                result.notes += data.unreadableItems.map { "ssse: \($0)" }
                result.notes += data.consistencyProblems.map { "ssse: \($0)" }
                result.rejectedFields += data.rejectedFields
                return data.hasAnyItem
            }
            record(ssse, of: "ssse", in: &result)
            if isMute(ssse) { throw CardIsMute() }
            let pbocOutcome = try await attempt {
                let data: PBOCCardData
                do {
                    data = try await pboc.read(from: budgeted)
                } catch CardError.unsupportedCard {
                    result.notes.append("pboc: no UnionPay application")
                    return false
                }
                result.pboc = data
                if let problem = data.idNumberProblem { result.rejectedFields.append("9F61: \(problem)") }
                if !data.panValid { result.rejectedFields.append("5A: PAN fails the Luhn check") }
                return true
            }
            record(pbocOutcome, of: "pboc", in: &result)
        } catch is APDUBudgetExhausted {
            result.notes.append("stopped after \(maximumAPDUs) APDUs")
        } catch is CardIsMute {
            cardIsMute = true
            result.notes.append("stopped: the card answers without a status word")
        }

        result.displayName = result.socialSecurity?.name ?? result.pboc?.cardholderName
        let identities = (result.socialSecurity?.identities() ?? []) + (result.pboc?.identities() ?? [])
        result.identities = identities.strongestFirst().map { identity in
            var copy = identity
            copy.displayName = result.displayName
            return copy
        }
        if ssseNeedsPSAM, !result.profiles.contains("ssse"), result.profiles.contains("pboc") {
            result.fellBackFrom = "ssse"
        }
        result.apduCount = budgeted.count
        logger.debug(
            "card routed",
            metadata: ["kiosk.profile": "\(result.profileSummary)", "kiosk.apdus": "\(result.apduCount)"])

        if !result.identities.isEmpty || !result.rejectedFields.isEmpty { return result }
        if !atrIsIDCard, !cardIsMute, budgeted.count < maximumAPDUs,
            let serial = try await probeIDCard(budgeted, into: &result)
        {
            throw IDCardOnPCSCReader(serial: serial, atrMatched: false)
        }
        if ssseNeedsPSAM { throw CardError.needsSecureAccessModule }
        throw CardError.unsupportedCard
    }

    /// How one probe ended.
    enum Outcome {
        /// The application answered and yielded data.
        case yielded
        /// The application is not on the card (or yielded nothing).
        case absent
        /// A data error; routing goes on.
        case failed(CardError)
    }

    /// Runs one probe; `body` returns whether the application yielded data. Data errors become ``Outcome/failed``;
    /// ``CardError/cardRemoved``, reader errors and anything not a ``CardError`` propagate.
    private func attempt(_ body: () async throws -> Bool) async throws -> Outcome {
        do {
            return try await body() ? .yielded : .absent
        } catch let error as CardError {
            switch error {
            case .malformedResponse, .malformedData, .unexpectedStatus, .responseChainTooLong, .unsupportedCard,
                .needsSecureAccessModule:
                return .failed(error)
            case .cardRemoved, .reader:
                throw error
            }
        }
    }

    private func record(_ outcome: Outcome, of name: String, in result: inout RoutedCardData) {
        switch outcome {
        case .yielded: result.profiles.append(name)
        case .absent: break
        case .failed(let error):
            logger.debug("probe failed", metadata: ["kiosk.probe": "\(name)", "kiosk.error": "\(error)"])
            result.notes.append("\(name): \(error)")
        }
    }

    /// Whether `outcome` shows a card that cannot even produce a status word: probing it further only costs time
    /// (through pcscd each such answer is followed by a removal probe of up to
    /// ``PCSCCardReader/removalProbeWindow``).
    private func isMute(_ outcome: Outcome) -> Bool {
        if case .failed(.malformedResponse) = outcome { true } else { false }
    }

    private func probeIDCard(_ channel: some CardChannel, into result: inout RoutedCardData) async throws -> [UInt8]? {
        do {
            return try await ResidentIDCardProbe.readSerial(from: channel)
        } catch let error as CardError {
            switch error {
            case .cardRemoved, .reader: throw error
            default:
                result.notes.append("id-card: \(error)")
                return nil
            }
        }
    }
}

/// Thrown by ``BudgetedChannel`` when the router's APDU budget is spent.
struct APDUBudgetExhausted: Error {}

/// Ends routing early: the card answered a probe with less than a status word.
struct CardIsMute: Error {}

/// A channel that counts raw APDUs and refuses more than `limit`, so no card can keep the router busy.
struct BudgetedChannel<Base: CardChannel>: CardChannel {
    let base: Base
    let limit: Int
    private let counter = Counter()

    init(base: Base, limit: Int) {
        self.base = base
        self.limit = limit
    }

    var atr: [UInt8] { base.atr }
    var count: Int { counter.value.withLock { $0 } }

    func transmitRaw(_ command: [UInt8]) async throws -> [UInt8] {
        let allowed = counter.value.withLock { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard allowed else { throw APDUBudgetExhausted() }
        return try await base.transmitRaw(command)
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }
}
