import CLinuxShims
import Glibc
public import KioskCore
public import Logging

/// Settings for a CDC-ACM serial scanner.
public struct SerialScannerConfiguration: Sendable, Hashable {
    /// Line speed in baud. Default 115200 (CDC-ACM ignores it, real UART bridges do not).
    public var baudRate = 115_200
    public var terminator: SerialTerminator = .any
    /// Longest code in bytes. Default 4096.
    public var maximumLength = 4096
    /// The same code again within this window is dropped. Default 2 s.
    public var duplicateWindow: Duration = .seconds(2)

    public init(baudRate: Int = 115_200, terminator: SerialTerminator = .any) {
        self.baudRate = baudRate
        self.terminator = terminator
    }
}

/// A USB CDC-ACM scanner (`/dev/ttyACMn`, or the udev symlink `/dev/kiosk-scanner`): raw bytes ending in CR/LF.
/// The port is set raw (`cfmakeraw`, 8N1, no flow control, `CLOCAL|CREAD`) at the configured speed.
public final class SerialScannerSource: ScannerSource {
    public let configuration: SerialScannerConfiguration
    public let classifier: PayloadClassifier
    private let path: String
    private let core: SourceCore

    public var name: String { core.name }
    public var kind: ScanEvent.Kind { .serial }
    public var health: InputHealth { core.health }

    public init(
        path: String, configuration: SerialScannerConfiguration = SerialScannerConfiguration(),
        classifier: PayloadClassifier = PayloadClassifier(), logger: Logger = ScannerLogging.disabled,
        onHealthChange: (@Sendable (InputHealth) -> Void)? = nil
    ) {
        self.path = path
        self.configuration = configuration
        self.classifier = classifier
        self.core = SourceCore(name: path, kind: .serial, logger: logger, onHealthChange: onHealthChange)
    }

    public func start() throws(ScannerError) -> ScanEvents {
        guard !core.isRunning else { throw .alreadyRunning }
        let fd: CInt
        do {
            fd = try Syscall.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
            try Self.makeRaw(fd: fd, baudRate: configuration.baudRate, what: path)
        } catch {
            core.setHealth(error.isDeviceGone ? .absent : .failing("\(error)"))
            throw .system(error)
        }
        core.logger.info(
            "serial scanner opened",
            metadata: ["kiosk.scanner": "\(name)", "kiosk.baud": "\(configuration.baudRate)"])
        let handler = SerialHandler(
            framer: LineFramer(terminator: configuration.terminator, maximumLength: configuration.maximumLength),
            duplicates: DuplicateFilter(window: configuration.duplicateWindow), core: core, classifier: classifier)
        return try core.run(fd: fd, handler: handler, readSize: 4096)
    }

    public func stop() { core.stop() }

    static func makeRaw(fd: CInt, baudRate: Int, what: String) throws(SystemCallError) {
        var tio = termios()
        guard tcgetattr(fd, &tio) == 0 else { throw SystemCallError(call: "tcgetattr(\(what))", errno: errno) }
        cfmakeraw(&tio)
        tio.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        tio.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(PARENB) | tcflag_t(CRTSCTS))
        let speed = speedConstant(baudRate)
        cfsetispeed(&tio, speed)
        cfsetospeed(&tio, speed)
        withUnsafeMutableBytes(of: &tio.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &tio) == 0 else { throw SystemCallError(call: "tcsetattr(\(what))", errno: errno) }
        tcflush(fd, TCIFLUSH)  // bytes from before we opened belong to nobody
    }

    static func speedConstant(_ baud: Int) -> speed_t {
        switch baud {
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 230_400: speed_t(B230400)
        case 460_800: speed_t(B460800)
        case 921_600: speed_t(B921600)
        default: speed_t(B115200)
        }
    }
}

struct SerialHandler: DeviceStreamHandler {
    var framer: LineFramer
    var duplicates: DuplicateFilter
    let core: SourceCore
    let classifier: PayloadClassifier

    var deadline: ContinuousClock.Instant? { nil }

    mutating func consume(_ bytes: UnsafeRawBufferPointer, at now: ContinuousClock.Instant) -> [ScanEvent] {
        var events: [ScanEvent] = []
        for output in framer.consume(bytes) {
            switch output {
            case .line(let line):
                let text = ScanTextDecoding.decode(line)
                guard duplicates.admit(text ?? String(describing: line), at: now) else {
                    _ = core.event(text: nil, discard: .duplicate, classifier: classifier, at: now)
                    continue
                }
                if let e = core.event(text: text, discard: nil, byteCount: line.count, classifier: classifier, at: now)
                {
                    events.append(e)
                }
            case .tooLong(let n):
                if let e = core.event(text: nil, discard: .tooLong(length: n), classifier: classifier, at: now) {
                    events.append(e)
                }
            }
        }
        return events
    }

    mutating func deadlinePassed(at now: ContinuousClock.Instant) -> [ScanEvent] { [] }
}
