public import Testing

/// Serialises the suites that share the process's one pcscd and its two vpcd readers.
///
/// `swift test` runs every test target in one process and Swift Testing runs suites in parallel, so two suites
/// inserting cards into the same reader would see each other's cards. Each such suite takes this trait: its tests
/// run while it holds a process-wide lock (one suite at a time; use `.serialized` inside the suite too).
public struct PCSCDExclusive: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await PCSCDLock.shared.acquire()
        do {
            try await function()
        } catch {
            await PCSCDLock.shared.release()
            throw error
        }
        await PCSCDLock.shared.release()
    }
}

extension Trait where Self == PCSCDExclusive {
    /// The suite uses the shared pcscd: run it alone (see ``PCSCDExclusive``).
    public static var pcscdExclusive: PCSCDExclusive { PCSCDExclusive() }
}

/// A FIFO async lock: waiters go in the order they came. For traits that run suites one at a time.
public actor FIFOLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// The lock of the suites that share the process's pcscd.
enum PCSCDLock {
    static let shared = FIFOLock()
}
