import Foundation
import KioskDaemon
import KioskTestSupport
import Logging
import Synchronization
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// `KioskMetrics` over the real kiosk: a senior card tapped on pcscd's vpcd reader, then `GET /metrics` over a real
/// TCP connection to 127.0.0.1 shows the tap, its result by provenance, its latency, the snapshot age, the visit
/// waiting for upload and the connected reader, and no identity.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct KioskMetricsTests {
    final class Bound: Sendable { let port = Mutex<Int?>(nil) }

    @Test func aTapShowsUpInTheExposition() async throws {
        let bound = Bound()
        var assembly = KioskUnderTest.Assembly()
        assembly.extraServices = { service in
            var logger = Logger(label: "kiosk.test.metrics")
            logger.logLevel = .critical
            return [
                try KioskMetrics(
                    kiosk: service, listen: "127.0.0.1:0", refreshInterval: .milliseconds(100),
                    onServerRunning: { port in bound.port.withLock { $0 = port } }, logger: logger)
            ]
        }
        try await KioskUnderTest.with(
            status: "homeObservation", configure: { $0.scanners.discover = false }, assembly: assembly
        ) { kiosk in
            var port: Int?
            for _ in 0..<500 where port == nil {
                port = bound.port.withLock { $0 }
                if port == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let metricsPort = try #require(port)
            let before = try await Self.get(port: metricsPort, path: "/metrics")
            #expect(!before.contains("kiosk_taps_total 1"))

            let slot = kiosk.harness.slot(0)
            try slot.insert(PBOCCardImage())
            _ = try await kiosk.nextFrame("result") { $0.tapToFrame != nil }

            var text = ""
            for _ in 0..<100 {
                text = try await Self.get(port: metricsPort, path: "/metrics")
                if text.contains("kiosk_visits_waiting 1") && text.contains("kiosk_taps_total 1") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.contains("kiosk_taps_total 1"), "\(text)")
            #expect(
                lines.contains {
                    $0.hasPrefix("kiosk_results_total{") && $0.contains(#"provenance="snapshot""#)
                        && $0.contains(#"result="homeObservation""#) && $0.hasSuffix(" 1")
                }, "\(text)")
            #expect(lines.contains("kiosk_tap_to_frame_seconds_count 1"), "\(text)")
            // Gauges are written as floating point ("1.0").
            func gauge(_ series: String) -> Double? {
                lines.first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
            }
            #expect(gauge(#"kiosk_inputs_connected{kind="pcsc"}"#) == 1, "\(text)")
            #expect(gauge(#"kiosk_inputs_connected{kind="sam"}"#) == 0, "\(text)")
            #expect(gauge("kiosk_visits_waiting") == 1, "\(text)")
            let age = gauge("kiosk_snapshot_age_seconds")
            // The test snapshot was created 2 h before the test ("createdHoursAgo": 2).
            #expect(age.map { (7000...7600).contains($0) } == true, "\(text)")
            for secret in ["110101194605121231", "6299999900000000014", "王小测"] {
                #expect(!text.contains(secret))
            }
        }
    }

    /// `GET path` over a fresh TCP connection; the response body. The blocking socket calls run on a thread of
    /// their own (``onOwnThread(_:_:)``), not on the cooperative pool the kiosk under test needs.
    static func get(port: Int, path: String) async throws -> String {
        try await onOwnThread("metrics-get") { try getBlocking(port: port, path: path) }
    }

    private static func getBlocking(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect 127.0.0.1:\(port): errno \(errno)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)  // a loaded CI machine answered nothing within 5 s
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200") else { throw TestFailure("GET \(path): \(text.prefix(200))") }
        return text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    }
}
