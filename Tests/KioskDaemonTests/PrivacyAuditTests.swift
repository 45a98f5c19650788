import Barcode
import CentralServer
import Crypto
import Foundation
import Display
import KioskCore
import KioskDaemon
import KioskTestSupport
import Logging
import Resolution
import ServiceLifecycle
import SmartCard
import Synchronization
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// Issue 7's privacy audit: after a full end-to-end run, nothing `kioskd` produced holds a raw ID number, PAN or name
/// of the test people. The kiosk runs against the real central service (on 127.0.0.1, behind a proxy that records
/// every byte the kiosk sends), with metrics on and its log captured at trace level; every kind of input is tapped
/// (senior cards and a social security card through pcscd + vpcd, an ID card on the SAM reader, scanned ID numbers);
/// visits are uploaded. Then every file in the kiosk's directories (SQLite files with their WAL and shared memory),
/// every log entry, the metrics exposition and every request are searched for each secret in UTF-8, UTF-16 (LE and
/// BE), GBK for names and packed BCD for digit strings. The search is shown to find a planted secret in each
/// encoding, so the test can fail. Failure messages name the person and the encoding, never the value.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct PrivacyAuditTests {
    /// The people tapped in this test, and the demo file's people (in the centre's import too).
    static let tapped: [(label: String, values: [String])] = [
        ("王小测", ["王小测", "110101194605121231", "6299999900000000014"]),
        ("钱错号", ["钱错号", "110101194605121230", "6299999900000000022"]),
        ("刘桂兰 (social security card)", ["刘桂兰", "110105195001010020", "B20261129"]),
        ("scanned bad number", ["110101194605121232"]),
    ]

    static var everyone: [(label: String, values: [String])] {
        var people = tapped
        if let data = FileManager.default.contents(atPath: KioskUnderTest.demoPeopleFile.path),
            let file = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = file["people"] as? [[String: Any]]
        {
            for (index, person) in list.enumerated() {
                let values = ["name", "idNumber", "pan"].compactMap { person[$0] as? String }
                people.append(("demo person \(index)", values))
            }
        }
        return people
    }

    @Test func noFileLogMetricOrRequestOfAFullRunHoldsARawIdentity() async throws {
        let search = SecretSearch(people: Self.everyone)
        #expect(search.needleCount > 100, "\(search.needleCount) needles")
        // The search can fail: it finds every encoding of a secret planted in bytes.
        for planted in search.plantedSamples() {
            #expect(!search.hits(in: planted.data).isEmpty, "the search misses a planted \(planted.encoding)")
        }
        #expect(search.hits(in: Data("nothing to see 110101194605121 here".utf8)).isEmpty)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("privacy-audit-\(UUID())")
        let kioskState = directory.appendingPathComponent("kiosk-state")
        try FileManager.default.createDirectory(at: kioskState, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // The centre, with the people imported (it hashes them), behind the recording proxy.
        let people = """
            {"people": [
              {"name": "王小测", "idNumber": "110101194605121231", "pan": "6299999900000000014", "status": "homeObservation"},
              {"name": "钱错号", "pan": "6299999900000000022", "status": "normal"},
              {"name": "刘桂兰", "idNumber": "110105195001010020", "sscCardNumber": "B20261129", "status": "normal"}]}
            """

        let logs = RecordingLogHandler.Store()
        let metricsPort = Mutex<Int?>(nil)
        var assembly = KioskUnderTest.Assembly()
        assembly.logHandler = { label in RecordingLogHandler(label: label, store: logs) }  // trace level
        assembly.extraServices = { service in
            var logger = Logger(label: "kiosk.audit.metrics")
            logger.logLevel = .critical
            return [
                try KioskMetrics(
                    kiosk: service, listen: "127.0.0.1:0", refreshInterval: .milliseconds(100),
                    onServerRunning: { port in metricsPort.withLock { $0 = port } }, logger: logger)
            ]
        }
        let fifo = directory.appendingPathComponent("scanner.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let scannerWriter = open(fifo, O_RDWR)
        #expect(scannerWriter >= 0)
        defer { close(scannerWriter) }
        let pty = try SmartCard.PseudoTerminal()
        defer { pty.close() }
        let module = SAMModuleEmulator(descriptor: pty.primary, card: nil)
        module.start()
        defer { module.stop() }

        func audit(_ central: ReferenceCentral) async throws {
            let proxy = try RecordingProxy(upstreamPort: central.port)
            defer { proxy.stop() }

            try await KioskUnderTest.with(
                people: try Data(contentsOf: KioskUnderTest.demoPeopleFile),
                configure: {
                    $0.central = CentralSettings(
                        baseURL: "http://127.0.0.1:\(proxy.port)", token: "audit-token", kioskID: "audit-kiosk",
                        publicKeyBase64: central.publicKeyBase64,
                        lookupDeadlineMilliseconds: 5000, uploadIntervalSeconds: 1, stateDirectory: kioskState.path)
                    $0.samDevicePath = pty.replicaPath
                    $0.scanners = ScannerSettings(discover: false, devices: [fifo], keyboardLayout: .us)
                    $0.scanHoldSeconds = 0.2
                }, assembly: assembly
            ) { kiosk in
                // The start-up sync replaces the locally imported snapshot (demo epoch 1… any) with the centre's.
                let snapshot = try SnapshotStore(path: kiosk.directory.appendingPathComponent("snapshot.sqlite").path)
                for _ in 0..<1000 where try snapshot.metadata()?.source != "central" {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(try snapshot.metadata()?.source == "central")

                let slot = kiosk.harness.slot(0)
                let cards: [(String, any CardImage)] = [
                    ("senior card", PBOCCardImage()),
                    ("senior card, bad ID number",
                     PBOCCardImage(pan: "6299999900000000022", name: "钱错号", idNumber: "110101194605121230")),
                    ("social security card",
                     SocialSecurityCardImage(cardNumber: "B20261129", socialSecurityNumber: "110105195001010020", name: "刘桂兰")),
                ]
                for (what, card) in cards {
                    try slot.insert(card)
                    _ = try await kiosk.nextFrame(what) { $0.tapToFrame != nil }
                    try await kiosk.harness.remove(slot, waitingForReader: 0)
                }
                module.insert(SAMCardImage.wangXiaoce)
                let idCard = try await kiosk.nextFrame("ID card on the SAM reader") { $0.tapToFrame != nil }
                #expect(idCard.screen.kind == .result(.homeObservation))
                module.removeCard()
                let recording = try Data(
                    contentsOf: ScanEndToEndTests.fixtures.appendingPathComponent("us-id-numbers.bin"))
                #expect(recording.withUnsafeBytes { write(scannerWriter, $0.baseAddress, $0.count) } == recording.count)
                let scanned = try await kiosk.nextFrame("scan") { $0.tapToFrame != nil }
                #expect(scanned.screen.kind == .result(.homeObservation))
                _ = try await kiosk.nextFrame("bad scan") { $0.tapToFrame != nil && $0.screen.kind == .invalidID }

                // Every visit uploaded (through the proxy).
                for _ in 0..<2000 where try kiosk.visits.pendingCount() > 0 { try await Task.sleep(for: .milliseconds(10)) }
                let visits = try kiosk.visits.count()
                let pending = try kiosk.visits.pendingCount()
                #expect(visits >= 4 && pending == 0, "\(visits) visits, \(pending) not uploaded")
                #expect(!proxy.requests.isEmpty)
                let sent = String(decoding: proxy.requests, as: UTF8.self)
                for request in ["POST /v1/status/lookup", "GET /v1/snapshots/manifest", "GET /v1/snapshots/payloads/", "POST /v1/visits"] {
                    #expect(sent.contains(request), "the proxy saw no \(request)")
                }

                // Metrics, once they count every tap.
                var port: Int?
                for _ in 0..<1000 where port == nil {
                    port = metricsPort.withLock { $0 }
                    if port == nil { try await Task.sleep(for: .milliseconds(10)) }
                }
                let metricsAt = try #require(port)
                var metrics = ""
                for _ in 0..<200 {
                    metrics = try await KioskMetricsTests.get(port: metricsAt, path: "/metrics")
                    if metrics.contains("kiosk_taps_total 6") { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(metrics.contains("kiosk_taps_total 6"), "the metrics did not count the 6 taps")

                // The search.
                var sources: [(String, Data)] = []
                for root in [kiosk.directory, kioskState] {
                    for file in Self.regularFiles(under: root) where file.lastPathComponent != "people.json" {
                        sources.append(("file \(file.lastPathComponent)", try Data(contentsOf: file)))
                    }
                }
                let names = sources.map(\.0)
                for expected in ["snapshot.sqlite", "snapshot.sqlite-wal", "snapshot.sqlite-shm", "visits.sqlite", "visits.sqlite-wal"] {
                    #expect(names.contains("file \(expected)"), "\(expected) was not searched: \(names)")
                }
                // The test's own people file (the kiosk never wrote it) is found by the same search: it can fail.
                let input = try Data(contentsOf: kiosk.directory.appendingPathComponent("people.json"))
                #expect(!search.hits(in: input).isEmpty, "the search finds nothing in the raw people file")

                let entries = logs.entries.withLock { $0 }
                #expect(entries.contains { $0.level == .trace || $0.level == .debug }, "the log was not at trace level")
                sources.append(("log (\(entries.count) entries)", Data(entries.map(\.text).joined(separator: "\n").utf8)))
                sources.append(("metrics", Data(metrics.utf8)))
                sources.append(("requests to the centre (\(proxy.requests.count) bytes)", proxy.requests))
                var searched = 0
                for (source, data) in sources {
                    searched += data.count
                    let hits = search.hits(in: data)
                    #expect(hits.isEmpty, "\(source) holds \(hits.joined(separator: ", "))")
                }
                print("privacy audit: \(sources.count) sources, \(searched) bytes, \(search.needleCount) needles, 0 hits")
            }
        }

        try await ReferenceCentral.with(
            token: "audit-token", kiosk: "audit-kiosk", people: people, databaseIn: directory,
            logLabel: "central.audit", audit)
    }

    static func regularFiles(under root: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        return walker.compactMap { $0 as? URL }.filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
    }
}

/// Every secret of the audit in every encoding searched; hits are reported by label (person, kind of value,
/// encoding), never by value.
struct SecretSearch {
    struct Needle {
        var label: String
        var bytes: Data
    }

    let needles: [Needle]
    var needleCount: Int { needles.count }

    init(people: [(label: String, values: [String])]) {
        var needles: [Needle] = []
        for person in people {
            for (index, value) in person.values.enumerated() {
                var forms = [value]
                if value.lowercased() != value { forms.append(value.lowercased()) }
                for form in forms {
                    let label = "\(person.label) value \(index + 1)"
                    for (encoding, bytes) in Self.encodings(of: form) {
                        needles.append(Needle(label: "\(label) (\(encoding))", bytes: bytes))
                    }
                }
            }
        }
        self.needles = needles
    }

    /// UTF-8, UTF-16LE, UTF-16BE; GBK for text with Chinese characters; packed BCD (F-padded) for digit strings of
    /// 15 or more.
    static func encodings(of value: String) -> [(String, Data)] {
        var forms: [(String, Data)] = [("UTF-8", Data(value.utf8))]
        let utf16 = Array(value.utf16)
        forms.append(("UTF-16LE", Data(utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })))
        forms.append(("UTF-16BE", Data(utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })))
        if value.unicodeScalars.contains(where: { $0.value > 0x7F }), let gbk = gbk(value) { forms.append(("GBK", gbk)) }
        if value.count >= 15, value.allSatisfy(\.isNumber) {
            var nibbles = value.compactMap { $0.wholeNumberValue.map(UInt8.init) }
            if nibbles.count % 2 == 1 { nibbles.append(0xF) }
            forms.append(("BCD", Data(stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] })))
        }
        return forms
    }

    /// `value` in GBK through glibc's iconv, or `nil` when the conversion is not available.
    static func gbk(_ value: String) -> Data? {
        let converter = iconv_open("GBK", "UTF-8")
        guard let converter, converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = Array(value.utf8).map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 2 + 8)
        let written: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                var inLeft = inBuffer.count
                var outLeft = outBuffer.count
                guard iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1, inLeft == 0 else { return nil }
                return outBuffer.count - outLeft
            }
        }
        guard let written else { return nil }
        return Data(output.prefix(written).map { UInt8(bitPattern: $0) })
    }

    /// Labels of the needles found in `data`.
    func hits(in data: Data) -> [String] {
        needles.filter { data.range(of: $0.bytes) != nil }.map(\.label)
    }

    /// One sample per encoding (the first needle of each), planted between other bytes.
    func plantedSamples() -> [(encoding: String, data: Data)] {
        var seen: Set<String> = []
        var samples: [(String, Data)] = []
        for needle in needles {
            let encoding = String(needle.label.split(separator: "(").last ?? "").dropLast()
            guard seen.insert(String(encoding)).inserted else { continue }
            samples.append((String(encoding), Data("prefix \u{0}".utf8) + needle.bytes + Data([0, 0xFF, 0x20])))
        }
        #expect(seen.isSuperset(of: ["UTF-8", "UTF-16LE", "UTF-16BE", "GBK", "BCD"]), "encodings: \(seen)")
        return samples
    }
}

/// A TCP proxy on 127.0.0.1 in front of the central service: keeps every byte the kiosk sends (request lines,
/// headers, bodies, over every connection). Threads of its own; `stop()` closes the listener.
final class RecordingProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let sent = Recorder()

    final class Recorder: Sendable {
        let bytes = Mutex<Data>(Data())
    }

    final class Counter: Sendable {
        let value = Mutex(0)
        func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    }

    /// Every byte sent to the centre so far.
    var requests: Data { sent.bytes.withLock { $0 } }

    init(upstreamPort: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw TestFailure("bind/listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let sent = self.sent
        let acceptor = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var target = Self.loopback(port: upstreamPort)
                let connected = withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard connected == 0 else {
                    close(client)
                    close(upstream)
                    continue
                }
                let finished = Counter()
                let done: @Sendable () -> Void = {
                    if finished.increment() == 2 {
                        close(client)
                        close(upstream)
                    }
                }
                Self.pump(from: client, to: upstream, record: sent, done: done)
                Self.pump(from: upstream, to: client, record: nil, done: done)
            }
        }
        acceptor.name = "recording-proxy"
        acceptor.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func pump(from: Int32, to: Int32, record: Recorder?, done: @escaping @Sendable () -> Void) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                record?.bytes.withLock { $0.append(contentsOf: buffer[0..<n]) }
                var offset = 0
                while offset < n {
                    let w = buffer[offset..<n].withUnsafeBytes { write(to, $0.baseAddress, $0.count) }
                    if w <= 0 { break }
                    offset += w
                }
                if offset < n { break }
            }
            shutdown(to, Int32(SHUT_WR))
            done()
        }
        thread.start()
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
