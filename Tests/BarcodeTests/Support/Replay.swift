import Barcode
import Foundation
import Glibc

/// Replays recordings into the real sources through real descriptors.
enum Replay {
    /// A `pipe(2)`: (read end, write end).
    static func pipe() -> (CInt, CInt) {
        var fds: [CInt] = [-1, -1]
        precondition(Glibc.pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    /// Writes `bytes` to `fd` on a background thread (the pipe buffer is 64 KiB), then closes it if asked.
    static func write(_ bytes: [UInt8], to fd: CInt, close: Bool) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                var offset = 0
                while offset < bytes.count {
                    let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                    if n < 0 { if errno == EINTR { continue } else { break } }
                    offset += n
                }
                if close { Glibc.close(fd) }
                done.resume()
            }
            thread.start()
        }
    }

    /// Collects every event until the sequence ends.
    static func collect(_ events: ScanEvents) async -> [ScanEvent] {
        var all: [ScanEvent] = []
        for await e in events { all.append(e) }
        return all
    }

    /// Replays an evdev recording through a pipe into ``EvdevScannerSource`` and returns all scans.
    static func evdev(
        _ bytes: [UInt8], configuration: EvdevScannerConfiguration = EvdevScannerConfiguration(),
        classifier: PayloadClassifier = PayloadClassifier()
    ) async throws -> [ScanEvent] {
        let (r, w) = pipe()
        let source = EvdevScannerSource(
            fileDescriptor: r, name: "pipe:evdev", configuration: configuration, classifier: classifier)
        let events = try source.start()
        async let collected = collect(events)
        await write(bytes, to: w, close: true)
        return await collected
    }

    /// Replays hidraw report bytes through a pipe into ``HIDPOSScannerSource``.
    static func hidPOS(
        _ bytes: [UInt8], configuration: HIDPOSScannerConfiguration = HIDPOSScannerConfiguration()
    ) async throws -> [ScanEvent] {
        let (r, w) = pipe()
        let source = HIDPOSScannerSource(fileDescriptor: r, name: "pipe:hidraw", configuration: configuration)
        let events = try source.start()
        async let collected = collect(events)
        await write(bytes, to: w, close: true)
        return await collected
    }
}

/// Feeds a decoder every way a stream can be cut (SwiftNIO's `ByteToMessageDecoderVerifier` idea): all at once,
/// byte by byte, and split in two at every position. `decode` gets a fresh decoder's worth of chunks.
func dripFeed<Output: Equatable>(
    _ bytes: [UInt8], expect expected: Output, decode: ([ArraySlice<UInt8>]) -> Output
) -> [String] {
    var failures: [String] = []
    if decode([bytes[...]]) != expected { failures.append("all at once") }
    if decode(bytes.indices.map { bytes[$0...$0] }) != expected { failures.append("byte by byte") }
    for cut in 0...bytes.count where decode([bytes[..<cut], bytes[cut...]]) != expected {
        failures.append("split at \(cut)")
    }
    return failures
}
