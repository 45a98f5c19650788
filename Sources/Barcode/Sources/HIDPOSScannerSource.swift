import CLinuxShims
import Glibc
public import KioskCore
public import Logging

/// Settings for a HID POS scanner (hidraw).
public struct HIDPOSScannerConfiguration: Sendable, Hashable {
    public var reportLayout = HIDPOSReportLayout()
    /// Longest code in bytes. Default 4096.
    public var maximumLength = 4096
    /// How long to wait for the next report of a split code. Default 1 s.
    public var continuationTimeout: Duration = .seconds(1)
    /// The same code again within this window is dropped. Default 2 s.
    public var duplicateWindow: Duration = .seconds(2)
    /// Refuse a hidraw node whose report descriptor lacks usage page 0x8C. Default true.
    public var requireHIDPOSDescriptor = true

    public init() {}
}

/// A USB HID POS scanner (usage page 0x8C, Honeywell-style reports, see ``HIDPOSReportLayout``) read through
/// `/dev/hidrawN`, or any descriptor yielding the same report bytes (a pipe in tests).
///
/// At start the report descriptor is read (`HIDIOCGRDESCSIZE`/`HIDIOCGRDESC`) and must contain usage page 0x8C;
/// on a descriptor where those ioctls fail (a pipe) the check is skipped with a log line. Codes are decoded as
/// UTF-8, or GB 18030 when not valid UTF-8. Layout-independent and fast, unlike the keyboard wedge.
public final class HIDPOSScannerSource: ScannerSource {
    public let configuration: HIDPOSScannerConfiguration
    public let classifier: PayloadClassifier
    private let path: String?
    private let descriptor: CInt?
    private let core: SourceCore

    public var name: String { core.name }
    public var kind: ScanEvent.Kind { .hidPOS }
    public var health: InputHealth { core.health }

    public init(
        path: String, configuration: HIDPOSScannerConfiguration = HIDPOSScannerConfiguration(),
        classifier: PayloadClassifier = PayloadClassifier(), logger: Logger = ScannerLogging.disabled,
        onHealthChange: (@Sendable (InputHealth) -> Void)? = nil
    ) {
        self.path = path
        self.descriptor = nil
        self.configuration = configuration
        self.classifier = classifier
        self.core = SourceCore(name: path, kind: .hidPOS, logger: logger, onHealthChange: onHealthChange)
    }

    /// An open descriptor; ``start()`` takes ownership of it. Start it once.
    public init(
        fileDescriptor: CInt, name: String, configuration: HIDPOSScannerConfiguration = HIDPOSScannerConfiguration(),
        classifier: PayloadClassifier = PayloadClassifier(), logger: Logger = ScannerLogging.disabled,
        onHealthChange: (@Sendable (InputHealth) -> Void)? = nil
    ) {
        self.path = nil
        self.descriptor = fileDescriptor
        self.configuration = configuration
        self.classifier = classifier
        self.core = SourceCore(name: name, kind: .hidPOS, logger: logger, onHealthChange: onHealthChange)
    }

    public func start() throws(ScannerError) -> ScanEvents {
        guard !core.isRunning else { throw .alreadyRunning }
        let fd = try core.openReadOnly(path: path, descriptor: descriptor)
        switch Self.reportDescriptor(fd: fd) {
        case .success(let descriptor):
            let isPOS = Self.hasUsagePage0x8C(descriptor)
            core.logger.info(
                "hidraw scanner opened",
                metadata: ["kiosk.scanner": "\(name)", "kiosk.hidpos": "\(isPOS)"])
            if !isPOS, configuration.requireHIDPOSDescriptor {
                Syscall.close(fd)
                core.setHealth(.failing("not in HID POS mode"))
                throw .notHIDPOS(path: name)
            }
        case .failure(let error):
            core.logger.info(
                "not a hidraw device: report descriptor check skipped",
                metadata: ["kiosk.scanner": "\(name)", "error": "\(error)"])
        }
        let handler = HIDPOSHandler(
            decoder: HIDPOSDecoder(
                layout: configuration.reportLayout, maximumLength: configuration.maximumLength,
                continuationTimeout: configuration.continuationTimeout),
            duplicates: DuplicateFilter(window: configuration.duplicateWindow), core: core, classifier: classifier)
        return try core.run(fd: fd, handler: handler, readSize: configuration.reportLayout.reportSize * 16)
    }

    public func stop() { core.stop() }

    static func reportDescriptor(fd: CInt) -> Result<[UInt8], SystemCallError> {
        var size: CInt = 0
        do {
            _ = try Syscall.ioctl(fd, UInt(CLinuxShims_HIDIOCGRDESCSIZE()), &size, name: "HIDIOCGRDESCSIZE")
            var desc = hidraw_report_descriptor()
            desc.size = UInt32(max(0, min(size, CInt(HID_MAX_DESCRIPTOR_SIZE))))
            _ = try Syscall.ioctl(fd, UInt(CLinuxShims_HIDIOCGRDESC()), &desc, name: "HIDIOCGRDESC")
            let bytes = withUnsafeBytes(of: desc.value) { Array($0.prefix(Int(desc.size))) }
            return .success(bytes)
        } catch {
            return .failure(error)
        }
    }

    /// Whether a HID report descriptor declares usage page 0x8C (Bar Code Scanner): a global Usage Page item
    /// (tag 0x04, prefix `0x05 0x8C` or `0x06 0x8C 0x00`). Walks the items so data bytes are not mistaken for tags.
    public static func hasUsagePage0x8C(_ descriptor: [UInt8]) -> Bool {
        var i = 0
        while i < descriptor.count {
            let prefix = descriptor[i]
            if prefix == 0xFE {  // long item: 0xFE, size, tag, data
                guard i + 1 < descriptor.count else { return false }
                i += 3 + Int(descriptor[i + 1])
                continue
            }
            let size = [0, 1, 2, 4][Int(prefix & 0x03)]
            if prefix & 0xFC == 0x04, i + size < descriptor.count {
                var value = 0
                for k in 0..<size { value |= Int(descriptor[i + 1 + k]) << (8 * k) }
                if value == 0x8C { return true }
            }
            i += 1 + size
        }
        return false
    }
}

struct HIDPOSHandler: DeviceStreamHandler {
    var decoder: HIDPOSDecoder
    var duplicates: DuplicateFilter
    let core: SourceCore
    let classifier: PayloadClassifier

    var deadline: ContinuousClock.Instant? { decoder.deadline }

    mutating func consume(_ bytes: UnsafeRawBufferPointer, at now: ContinuousClock.Instant) -> [ScanEvent] {
        events(decoder.consume(bytes, at: now), at: now)
    }

    mutating func deadlinePassed(at now: ContinuousClock.Instant) -> [ScanEvent] {
        events(decoder.deadlinePassed(at: now), at: now)
    }

    private mutating func events(_ outputs: [HIDPOSDecoder.Output], at now: ContinuousClock.Instant) -> [ScanEvent] {
        var events: [ScanEvent] = []
        for output in outputs {
            switch output {
            case .code(let code):
                let text = ScanTextDecoding.decode(code.payload)
                guard duplicates.admit(text ?? String(describing: code.payload), at: now) else {
                    _ = core.event(text: nil, discard: .duplicate, classifier: classifier, at: now)
                    continue
                }
                if let event = core.event(
                    text: text, discard: nil, byteCount: code.payload.count, classifier: classifier, at: now)
                {
                    events.append(event)
                }
            case .tooLong(let n):
                if let event = core.event(text: nil, discard: .tooLong(length: n), classifier: classifier, at: now) {
                    events.append(event)
                }
            case .malformedReport, .incomplete:
                core.logger.debug(
                    "HID POS report dropped",
                    metadata: ["kiosk.scanner": "\(core.name)", "kiosk.reason": "\(output)"])
            }
        }
        return events
    }
}
