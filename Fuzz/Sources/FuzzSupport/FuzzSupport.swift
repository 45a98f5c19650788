import CFuzzerDriver
import Dispatch
import Foundation

/// What every harness shares: reading structure out of the fuzzer's bytes, invariant checks that trap (a trap is what
/// libFuzzer reports as a crash and saves as an artifact), running async code from the synchronous entry point, and
/// writing the harness's seed inputs.

/// A cursor over the fuzzer's input, for harnesses that take a few parameter bytes before the data.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var index = 0

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The next byte, or 0 when the input is used up (so every input is a valid parameter set).
    public mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// A big-endian 16-bit number from the next two bytes.
    public mutating func uint16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    /// Up to `count` next bytes.
    public mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, index + max(0, count))
        defer { index = end }
        return Array(bytes[index..<end])
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] { take(bytes.count - index) }

    public var isAtEnd: Bool { index >= bytes.count }
}

/// Splits `bytes` into pieces whose sizes cycle through `sizes` (each at least 1), to feed a streaming decoder the way
/// a pipe or a serial line may cut its input.
public func chunks(of bytes: [UInt8], sizes: [Int]) -> [ArraySlice<UInt8>] {
    let sizes = sizes.isEmpty ? [bytes.count] : sizes.map { max(1, $0) }
    var out: [ArraySlice<UInt8>] = []
    var start = 0
    var k = 0
    while start < bytes.count {
        let end = min(bytes.count, start + sizes[k % sizes.count])
        out.append(bytes[start..<end])
        start = end
        k += 1
    }
    return out
}

/// Traps with `message` when an invariant does not hold: libFuzzer records the input as a crash.
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}

/// Runs `body` on the cooperative pool and waits for it on the calling thread, which is libFuzzer's main thread (never
/// a pool thread, so waiting here blocks nothing the task needs).
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

private final class ResultBox<T>: @unchecked Sendable {
    // Written once by the task before `signal()`, read after `wait()`: the semaphore orders the two.
    var value: T?
}

/// Seed inputs: when the environment variable `FUZZ_WRITE_SEEDS` names a directory, writes each seed there as a file
/// and exits; otherwise does nothing. Called from `LLVMFuzzerInitialize`, so `make fuzz-seeds` regenerates
/// `Fuzz/Corpus/<harness>/` from the same binaries that fuzz.
public func writeSeedsIfAsked(_ seeds: () -> [(name: String, bytes: [UInt8])]) {
    guard let directory = ProcessInfo.processInfo.environment["FUZZ_WRITE_SEEDS"], !directory.isEmpty else { return }
    let url = URL(fileURLWithPath: directory, isDirectory: true)
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for seed in seeds() {
            try Data(seed.bytes).write(to: url.appendingPathComponent(seed.name))
        }
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("writing seeds to \(directory): \(error)\n".utf8))
        exit(1)
    }
}

/// Reads a file of the repository (test fixtures for seeds), by path from the repository root.
public func repositoryFile(_ path: String, filePath: String = #filePath) -> [UInt8]? {
    // Fuzz/Sources/FuzzSupport/FuzzSupport.swift → the repository root is four levels up.
    var root = URL(fileURLWithPath: filePath)
    for _ in 0..<4 { root.deleteLastPathComponent() }
    return FileManager.default.contents(atPath: root.appendingPathComponent(path).path).map { Array($0) }
}

/// The harness's `main`: runs libFuzzer's driver with `harness` (fuzzing, or replaying the files named on the command
/// line) and returns its exit status. Call it from the `@_cdecl("<module>_main")` function SwiftPM makes `main`.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ harness: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, harness)
}
