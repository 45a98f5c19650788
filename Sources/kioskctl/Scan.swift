public import ArgumentParser
import Barcode
import Dispatch
import Foundation
import KioskCore

extension KioskCtl {
    /// `kioskctl scan`: live, masked view of what a scanner sends, for checking its mode and keyboard country.
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show decoded scans live (masked) to check a barcode scanner's setup.",
            discussion: """
                Opens the given device (or every scanner udev finds) and prints each scan as kioskd would classify it. \
                ID numbers are masked (110***********123X), other codes show only their length and first 4 \
                characters. For keyboard-wedge scanners a "layout hint" means the scan only makes sense with another \
                keyboard country: set the scanner (or --keymap / the kiosk configuration) to it. Stop kioskd first: \
                the daemon grabs the scanner.
                """)

        @Option(
            name: .long,
            help:
                "Scanner device: /dev/input/eventN, /dev/hidrawN, /dev/ttyACMN or a udev symlink. Repeatable; none = discover with udev."
        )
        var device: [String] = []

        @Option(help: "Interface when --device is given: evdev, hidpos or serial (default: guessed from the path).")
        var kind: ScanEvent.Kind?

        @Option(help: "Keyboard country the wedge scanner is set to: us, uk, de, fr.")
        var keymap: KeyboardLayout = .us

        @Flag(name: .customLong("capslock"), help: "Assume CapsLock on when the LED state cannot be read.")
        var assumeCapsLock = false

        @Flag(name: .customLong("no-grab"), help: "Do not grab the evdev device (the console sees the keys too).")
        var noGrab = false

        @Option(name: .customLong("gap-ms"), help: "Inter-key gap that ends a scan without terminator, in ms.")
        var gapMilliseconds = 100

        @Flag(name: .customLong("tab-terminates"), help: "Tab also ends a scan (wedge scanners with a Tab suffix).")
        var tabTerminates = false

        @Option(help: "Serial line end: cr, lf, crlf or any.")
        var terminator: SerialTerminator = .any

        @Option(help: "Serial speed in baud.")
        var baud = 115_200

        @Option(help: "Exit after this many scans.")
        var count: Int?

        @Flag(help: "List the devices udev knows in the scanner subsystems and whether they match, then exit.")
        var list = false

        func validate() throws {
            if gapMilliseconds < 10 || gapMilliseconds > 5000 { throw ValidationError("--gap-ms must be 10…5000") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run() throws {
            if list {
                let matching = ScannerMatching()
                let candidates = ScannerManager.candidates()
                if candidates.isEmpty { print("no input, hidraw or tty devices known to udev") }
                for c in candidates {
                    print("\(matching.kind(of: c).map { "scanner (\($0.rawValue))" } ?? "-")  \(c)")
                }
                return
            }
            var configuration = ScannerManagerConfiguration()
            configuration.discover = device.isEmpty
            configuration.devices = device.map { path in
                kind.map { ScannerDevice(path: path, kind: $0) } ?? ScannerDevice(path: path)
            }
            var framing = ScannerFraming(interKeyGap: .milliseconds(gapMilliseconds))
            if tabTerminates { framing.terminators.insert(.tab) }
            configuration.evdev = EvdevScannerConfiguration(
                layout: keymap, framing: framing, assumedLocks: LockState(capsLock: assumeCapsLock), grab: !noGrab)
            configuration.serial = SerialScannerConfiguration(baudRate: baud, terminator: terminator)

            let manager = ScannerManager(configuration: configuration)
            let healthUpdates = manager.healthUpdates()
            let events = try manager.start()
            Self.say(
                device.isEmpty
                    ? "discovering scanners with udev (keymap \(keymap)); scan a code, Ctrl-C to stop"
                    : "reading \(configuration.devices.map(\.description).joined(separator: ", ")) (keymap \(keymap)); "
                        + "scan a code, Ctrl-C to stop")
            if device.isEmpty, ScannerManager.discover().isEmpty {
                Self.say("no scanner found yet: waiting for one to be plugged in (see --list)")
            }
            let done = DispatchSemaphore(value: 0)
            let limit = count
            Task {
                for await health in healthUpdates { Self.say("device \(health)") }
            }
            Task {
                var seen = 0
                for await event in events {
                    Self.say(Self.line(for: event))
                    seen += 1
                    if let limit, seen >= limit { break }
                }
                manager.stop()
                done.signal()
            }
            done.wait()
        }

        /// One masked line per scan: what it is, what the kiosk would tell the visitor, and the layout hint.
        static func line(for event: ScanEvent) -> String {
            var line = "\(event.kind.rawValue) \(event.source): \(event.payload)"
            if let guidance = event.payload.guidance { line += "  → \(guidance)" }
            if let hint = event.layoutHint {
                line +=
                    "\n  layout hint: this scan reads correctly as '\(hint)'; the scanner's keyboard country is "
                    + "probably \(hint.rawValue.uppercased()), not the configured one (--keymap \(hint))"
            }
            return line
        }

        static func say(_ text: String) {
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        }
    }
}

extension KeyboardLayout: ExpressibleByArgument {}
extension SerialTerminator: ExpressibleByArgument {}
extension ScanEvent.Kind: ExpressibleByArgument {}
