public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Settings of ``VisitUploader``.
public struct VisitUploaderConfiguration: Sendable {
    /// Time between upload rounds when all went well. Default 30 s.
    public var interval: Duration
    /// Visits per request, at most 500 (the contract's limit). Default 500.
    public var batchSize: Int
    /// First wait after a failed round; doubles with each further failure. Default 2 s.
    public var initialBackoff: Duration
    /// Longest wait between failed rounds. Default 5 min.
    public var maximumBackoff: Duration
    /// Uploaded visits older than this are deleted from the log. Default 7 days.
    public var retention: Duration

    public init(
        interval: Duration = .seconds(30), batchSize: Int = 500, initialBackoff: Duration = .seconds(2),
        maximumBackoff: Duration = .seconds(300), retention: Duration = .seconds(7 * 24 * 3600)
    ) {
        self.interval = interval
        self.batchSize = min(max(1, batchSize), 500)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.retention = retention
    }
}

/// Uploads the visit log to the centre (store-and-forward, DESIGN.md §1 step 5): a `Service` that sends pending
/// visits oldest first in batches, marks each batch uploaded once the centre acknowledges it, backs off
/// exponentially while the centre fails, and purges uploaded visits older than the retention.
///
/// **Exactly once.** A visit is marked uploaded only after the centre's 200; if the acknowledgement is lost the
/// same ids are sent again and the centre, idempotent by visit id, counts them as duplicates. Pending visits are
/// never purged.
public struct VisitUploader: Service {
    public let configuration: VisitUploaderConfiguration
    private let client: CentralClient
    private let log: VisitLog
    private let logger: Logger
    private let recorded: SyncTrigger?
    private let onChange: @Sendable () -> Void

    /// How long ``run()`` sleeps with nothing pending before it purges anyway (when it has a `recorded` trigger).
    public static let idlePurgeInterval: Duration = .seconds(3600)
    /// Times ``run()`` went to sleep with nothing pending, counted before each sleep (tests).
    let idleSleeps = IdleSleeps()

    final class IdleSleeps: Sendable {
        let count = Atomic<Int>(0)
    }

    /// - Parameters:
    ///   - recorded: requested whenever a visit is appended to the log. With it, ``run()`` sleeps while nothing is
    ///     pending (waking at most every ``idlePurgeInterval`` to purge) and, once a visit is recorded, uploads
    ///     after the interval, so visits still go in batches; without it, ``run()`` looks every interval.
    ///   - onChange: called by ``run()`` after each round that uploaded visits or failed part-way (the pending
    ///     count may have changed), for displays of the backlog and of the centre's reachability.
    public init(
        client: CentralClient, log: VisitLog, configuration: VisitUploaderConfiguration, logger: Logger,
        recorded: SyncTrigger? = nil, onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.client = client
        self.log = log
        self.configuration = configuration
        self.logger = logger
        self.recorded = recorded
        self.onChange = onChange
    }

    /// Upload rounds until graceful shutdown; failures are logged and retried with backoff, never thrown.
    public func run() async throws {
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wait: Duration
            do {
                let uploaded = try await uploadPending()
                if uploaded > 0 {
                    logger.debug("visits uploaded", metadata: ["kiosk.visits.uploaded": "\(uploaded)"])
                    onChange()
                }
                failures = 0
                wait = configuration.interval
            } catch {
                onChange()
                failures += 1
                wait = backoff(afterFailures: failures)
                logger.info(
                    "visit upload failed; retrying later",
                    metadata: ["kiosk.visits.error": "\(error)", "kiosk.visits.retry_s": "\(wait.components.seconds)"])
            }
            do {
                let purged = try purge(now: Date())
                if purged > 0 { logger.debug("old visits purged", metadata: ["kiosk.visits.purged": "\(purged)"]) }
            } catch {
                logger.info("visit purge failed", metadata: ["kiosk.error": "\(error)"])
            }
            do {
                if let recorded, failures == 0, (try? log.pendingCount()) == 0 {
                    // Nothing to send: asleep until a visit is recorded (then the interval, for a batch).
                    idleSleeps.count.add(1, ordering: .releasing)
                    let woken = try await cancelWhenGracefulShutdown {
                        try await recorded.wait(upTo: Self.idlePurgeInterval)
                    }
                    if !woken { continue }
                }
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            } catch {
                return
            }
        }
    }

    /// Uploads every pending visit, batch by batch, oldest first.
    /// - Returns: how many visits changed to uploaded.
    /// - Throws: the ``CentralClientError`` of the first failing batch (earlier batches stay marked), or the
    ///   visit log's error.
    @discardableResult
    public func uploadPending() async throws -> Int {
        var total = 0
        while true {
            let batch = try log.pending(limit: configuration.batchSize)
            if batch.isEmpty { return total }
            let receipt = try await client.uploadVisits(batch)
            let marked = try log.markUploaded(ids: batch.map(\.id))
            total += marked
            logger.trace(
                "visit batch acknowledged",
                metadata: ["kiosk.visits.accepted": "\(receipt.accepted)", "kiosk.visits.duplicates": "\(receipt.duplicates)"])
            if batch.count < configuration.batchSize || marked == 0 { return total }
        }
    }

    /// Deletes uploaded visits older than the retention.
    @discardableResult
    public func purge(now: Date) throws -> Int {
        try log.deleteUploaded(before: now.addingTimeInterval(-Resolver.seconds(configuration.retention)))
    }

    /// The wait after `failures` consecutive failed rounds: initial × 2^(failures−1), capped.
    public func backoff(afterFailures failures: Int) -> Duration {
        let exponent = min(max(0, failures - 1), 20)
        let wait = configuration.initialBackoff * (1 << exponent)
        return min(wait, configuration.maximumBackoff)
    }
}
