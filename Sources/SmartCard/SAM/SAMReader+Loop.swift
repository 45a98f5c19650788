import KioskCore
import Logging

/// The reader thread's state and loop (see ``SAMReader``). Lives on that thread only; talks to the rest of the
/// process through ``SAMReaderCore``.
struct SAMReaderLoop {
    /// What the reader knows about the card in the field.
    private enum CardState: Equatable {
        /// None seen, or the last one left.
        case none
        /// Read and reported; not read again until it leaves.
        case read
        /// Found but not read yet: `attempts` failed tries, `reported` once a readFailed went out.
        case failing(attempts: Int, reported: Bool)

        /// Whether the consumer has been told about this card (so its removal must be reported).
        var isReported: Bool {
            switch self {
            case .none: false
            case .read: true
            case .failing(_, let reported): reported
            }
        }
    }

    /// How one command went.
    private enum Outcome {
        case reply(SAMResponse)
        case noAnswer
        case corrupt(String)
    }

    /// Reply sizes on the wire, for the timeout: find (`… 00 08 …`), select (`… 00 0C …`), read `30 01`.
    private static let findReplySize = 15
    private static let selectReplySize = 19
    private static let readReplySize = 1295

    private let core: SAMReaderCore
    private var configuration: SAMReader.Configuration { core.configuration }
    private var logger: Logger { core.logger }
    private var port: SerialPort?
    private var decoder: SAMFrameDecoder
    private var consecutiveTimeouts = 0
    private var reopenDelay: Duration
    private var moduleAnswering = false
    private var card = CardState.none
    private var noCardStreak = 0

    init(core: SAMReaderCore) {
        self.core = core
        decoder = .forReplies(logger: core.logger)
        reopenDelay = core.configuration.initialReopenDelay
    }

    private var stopping: Bool { core.stopping }

    mutating func run() {
        logger.debug("sam reader started", metadata: ["kiosk.device": "\(configuration.devicePath)"])
        while !stopping {
            core.heartbeat.beat()
            guard let port = openIfNeeded() else { continue }
            do {
                try pollOnce(port)
            } catch where error.code == .cancelled {
                break
            } catch {
                lose(error.message, absent: error.isDeviceAbsent)
                continue
            }
            if self.port != nil { core.cancellation.sleep(for: configuration.pollInterval) }
        }
        closePort()
        logger.debug("sam reader stopped", metadata: ["kiosk.device": "\(configuration.devicePath)"])
    }

    // MARK: device

    private mutating func openIfNeeded() -> SerialPort? {
        if let port { return port }
        do {
            let port = try SerialPort(
                path: configuration.devicePath, speed: configuration.speed, cancellation: core.cancellation)
            self.port = port
            consecutiveTimeouts = 0
            decoder.reset()
            logger.debug("sam device opened", metadata: ["kiosk.device": "\(configuration.devicePath)"])
            return port
        } catch where error.code == .cancelled {
            return nil
        } catch {
            logger.debug("sam device not opened", metadata: ["kiosk.error": "\(error.message)"])
            core.setHealth(error.isDeviceAbsent ? .absent : .failing(error.message))
            backOff()
            return nil
        }
    }

    private mutating func closePort() {
        port?.close()
        port = nil
    }

    private mutating func backOff() {
        core.cancellation.sleep(for: reopenDelay)
        reopenDelay = min(reopenDelay * 2, configuration.maximumReopenDelay)
    }

    /// The module stopped answering or the device went away: report, close, wait, and let the loop reopen.
    private mutating func lose(_ reason: String, absent: Bool) {
        if card.isReported { core.emit(.cardRemoved(at: .now)) }
        card = .none
        noCardStreak = 0
        if moduleAnswering {
            moduleAnswering = false
            core.emit(.moduleLost(reason))
        }
        logger.debug("sam module lost", metadata: ["kiosk.reason": "\(reason)"])
        core.setHealth(absent ? .absent : .failing(reason))
        closePort()
        backOff()
    }

    private mutating func moduleAnswered(_ status: SAMStatus) {
        consecutiveTimeouts = 0
        reopenDelay = configuration.initialReopenDelay
        if !moduleAnswering {
            moduleAnswering = true
            core.emit(.moduleReady(device: configuration.devicePath))
        }
        core.setHealth(status.isModuleFault ? .failing("module reports \(status)") : .ready)
    }

    /// Counts an unanswered command; returns `true` when that made the module lost (the port is then closed).
    private mutating func noteTimeout(_ command: SAMCommand) -> Bool {
        consecutiveTimeouts += 1
        logger.debug(
            "sam no answer", metadata: ["kiosk.command": "\(command)", "kiosk.count": "\(consecutiveTimeouts)"])
        guard consecutiveTimeouts >= configuration.timeoutsBeforeModuleLost else { return false }
        lose("no answer to \(consecutiveTimeouts) commands in a row from \(configuration.devicePath)", absent: false)
        return true
    }

    // MARK: commands

    /// Sends `command` and waits for one reply frame.
    private mutating func transact(_ command: SAMCommand, replySize: Int, on port: SerialPort) throws(SerialError)
        -> Outcome
    {
        core.heartbeat.beat()
        try port.discardInput()
        let stale = decoder.reset()
        if stale > 0 { logger.debug("sam stale input discarded", metadata: ["kiosk.bytes": "\(stale)"]) }
        try port.write(command.encoded(), timeout: configuration.commandTimeout)
        let deadline =
            ContinuousClock.now + configuration.commandTimeout
            + configuration.speed.transferTime(byteCount: replySize)
        while true {
            switch decoder.next() {
            case .frame(let body)?:
                guard let reply = SAMResponse(body: body) else { return .corrupt("reply body too short") }
                return .reply(reply)
            case .dropped(let reason)?:
                return .corrupt("\(reason)")
            case nil:
                break
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                if decoder.abandonPartialFrame() { return .corrupt("incomplete frame at timeout") }
                return .noAnswer
            }
            decoder.append(try port.read(timeout: remaining))
        }
    }

    // MARK: the poll

    private mutating func pollOnce(_ port: SerialPort) throws(SerialError) {
        let outcome = try transact(.findCard, replySize: Self.findReplySize, on: port)
        let foundAt = ContinuousClock.now
        switch outcome {
        case .noAnswer:
            _ = noteTimeout(.findCard)
        case .corrupt(let reason):
            logger.debug("sam find reply dropped", metadata: ["kiosk.reason": "\(reason)"])
        case .reply(let reply):
            moduleAnswered(reply.status)
            switch reply.status {
            case .cardFound:
                noCardStreak = 0
                if card != .read { try readCard(on: port, foundAt: foundAt) }
            case .noCard:
                noCardStreak += 1
                guard card != .none, noCardStreak >= configuration.removalConfirmations else { return }
                if card.isReported { core.emit(.cardRemoved(at: foundAt)) }
                card = .none
            default:
                logger.debug("sam find answered", metadata: ["kiosk.status": "\(reply.status)"])
            }
        }
    }

    /// Select, read and decode the card just found.
    private mutating func readCard(on port: SerialPort, foundAt: ContinuousClock.Instant) throws(SerialError) {
        switch try transact(.selectCard, replySize: Self.selectReplySize, on: port) {
        case .noAnswer:
            failed(.select, .noAnswer, transient: true, foundAt: foundAt)
            _ = noteTimeout(.selectCard)
            return
        case .corrupt(let reason):
            failed(.select, .corruptReply(reason), transient: true, foundAt: foundAt)
            return
        case .reply(let reply):
            moduleAnswered(reply.status)
            guard reply.status == .success else {
                failed(.select, .module(reply.status), transient: false, foundAt: foundAt)
                return
            }
        }
        let readStart = ContinuousClock.now
        switch try transact(.readText, replySize: Self.readReplySize, on: port) {
        case .noAnswer:
            failed(.read, .noAnswer, transient: true, foundAt: foundAt)
            _ = noteTimeout(.readText)
        case .corrupt(let reason):
            failed(.read, .corruptReply(reason), transient: true, foundAt: foundAt)
        case .reply(let reply):
            moduleAnswered(reply.status)
            guard reply.status == .success else {
                failed(.read, .module(reply.status), transient: false, foundAt: foundAt)
                return
            }
            guard let record = SAMCardRecord(replyData: reply.data) else {
                failed(.read, .malformedReply("block lengths exceed the \(reply.data.count) data bytes"),
                       transient: true, foundAt: foundAt)
                return
            }
            let data: IDCardData
            do {
                data = try IDCardData(textBlock: record.text)
            } catch {
                failed(.decode, .undecodable(error), transient: false, foundAt: foundAt)
                return
            }
            card = .read
            logger.debug(
                "sam card read",
                metadata: [
                    "kiosk.layout": "\(data.layout)", "kiosk.numberValid": "\(data.isNumberValid)",
                    "kiosk.readMs": "\(readStart.duration(to: .now).roundedUpMilliseconds)",
                ])
            core.emit(.cardRead(data, at: foundAt))
        }
    }

    /// Records a failed select/read; reports it once per presence, at once for a refusal by the module, after
    /// ``SAMReader/Configuration/readAttempts`` tries for a transient failure.
    private mutating func failed(
        _ step: SAMReadFailure.Step, _ reason: SAMReadFailure.Reason, transient: Bool,
        foundAt: ContinuousClock.Instant
    ) {
        var attempts = 0
        var reported = false
        if case .failing(let a, let r) = card { (attempts, reported) = (a, r) }
        attempts += 1
        logger.debug(
            "sam read attempt failed",
            metadata: ["kiosk.step": "\(step.rawValue)", "kiosk.reason": "\(reason)", "kiosk.attempt": "\(attempts)"])
        let report = !transient || attempts >= configuration.readAttempts
        if report, !reported {
            core.emit(.readFailed(SAMReadFailure(step: step, reason: reason), at: foundAt))
            reported = true
        }
        card = .failing(attempts: attempts, reported: reported)
    }
}
