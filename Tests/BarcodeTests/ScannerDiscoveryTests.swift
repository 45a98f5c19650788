import Barcode
import Foundation
import KioskCore
import KioskTestSupport
import Testing

struct ScannerMatchingTests {
    static let wedge: [String: String] = [
        "SUBSYSTEM": "input", "DEVNAME": "/dev/input/event5", "ID_INPUT_KEYBOARD": "1", "ID_INPUT": "1",
        "NAME": "\"Honeywell Imaging & Mobility 1900\"", "ID_VENDOR_ID": "0c2e", "ID_MODEL_ID": "0b61",
        "DEVLINKS": "/dev/input/by-id/usb-Honeywell-event-kbd /dev/input/kiosk-scanner",
    ]

    @Test func candidateFromProperties() {
        let c = ScannerCandidate(properties: Self.wedge)
        #expect(c.name == "Honeywell Imaging & Mobility 1900")
        #expect(c.vendorID == 0x0C2E && c.productID == 0x0B61)
        #expect(c.devlinks.contains("/dev/input/kiosk-scanner"))
        #expect(c.isKeyboard)
        let hid = ScannerCandidate(properties: [
            "SUBSYSTEM": "hidraw", "DEVNAME": "/dev/hidraw2", "HID_ID": "0003:00000C2E:00000B61",
            "HID_NAME": "Honeywell HID POS",
        ])
        #expect(hid.vendorID == 0x0C2E && hid.productID == 0x0B61)
        #expect(hid.name == "Honeywell HID POS")
    }

    @Test func rules() {
        let matching = ScannerMatching(
            evdev: [.usbID(vendor: 0x0C2E, product: 0x0B61)], hidPOS: [.nameContains("hid pos")],
            serial: [.devlink("/dev/kiosk-scanner")])
        #expect(matching.kind(of: ScannerCandidate(properties: Self.wedge)) == .evdev)
        // The inputN parent (no event node) and a non-keyboard interface of the same device are not scanners.
        var parent = Self.wedge
        parent["DEVNAME"] = "/dev/input/mouse2"
        #expect(matching.kind(of: ScannerCandidate(properties: parent)) == nil)
        var notKeyboard = Self.wedge
        notKeyboard["ID_INPUT_KEYBOARD"] = nil
        #expect(matching.kind(of: ScannerCandidate(properties: notKeyboard)) == nil)
        #expect(
            matching.kind(
                of: ScannerCandidate(properties: [
                    "SUBSYSTEM": "hidraw", "DEVNAME": "/dev/hidraw1", "HID_NAME": "Acme HID POS Scanner",
                ])) == .hidPOS)
        #expect(
            matching.kind(
                of: ScannerCandidate(properties: [
                    "SUBSYSTEM": "tty", "DEVNAME": "/dev/ttyACM0", "DEVLINKS": "/dev/kiosk-scanner /dev/serial/by-id/x",
                ])) == .serial)
        #expect(
            matching.kind(
                of: ScannerCandidate(properties: [
                    "SUBSYSTEM": "tty", "DEVNAME": "/dev/ttyACM1", "DEVLINKS": "/dev/kiosk-sam",
                ])) == nil)
        // Defaults: our udev symlink, or a name with "barcode"/"scanner".
        #expect(ScannerMatching().kind(of: ScannerCandidate(properties: Self.wedge)) == .evdev)
        var byName = Self.wedge
        byName["DEVLINKS"] = nil
        byName["NAME"] = "\"NT USB Barcode Reader\""
        #expect(ScannerMatching().kind(of: ScannerCandidate(properties: byName)) == .evdev)
        byName["NAME"] = "\"Logitech USB Keyboard\""
        #expect(ScannerMatching().kind(of: ScannerCandidate(properties: byName)) == nil)
    }

    @Test func deviceKindFromPath() {
        #expect(ScannerDevice(path: "/dev/input/event3").kind == .evdev)
        #expect(ScannerDevice(path: "/dev/input/kiosk-scanner").kind == .evdev)
        #expect(ScannerDevice(path: "/dev/hidraw0").kind == .hidPOS)
        #expect(ScannerDevice(path: "/dev/ttyACM0").kind == .serial)
        #expect(ScannerDevice(path: "/dev/kiosk-scanner").kind == .serial)
    }
}

/// libudev on this VM: no input devices, no udevd. The code must run and come back empty and clean.
struct ScannerManagerTests {
    @Test func enumerateFindsNoScannersHere() {
        #expect(ScannerManager.discover().isEmpty)
        _ = ScannerManager.candidates()  // runs; tty devices may exist (tty0…), none match
    }

    @Test func monitorStartsAndStopsCleanly() async throws {
        let manager = ScannerManager()
        let events = try manager.start()
        #expect(manager.isMonitoring)
        #expect(manager.health.isEmpty)
        manager.stop()
        var ended = false
        for await _ in events {}
        ended = true
        #expect(ended)
        for _ in 0..<100 where manager.isMonitoring { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!manager.isMonitoring)
    }

    @Test func configuredDevicesAreOpenedAndMerged() async throws {
        // A FIFO stands in for a configured device node (the source opens it by path).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("event0").path
        #expect(mkfifo(fifo, 0o600) == 0)
        var configuration = ScannerManagerConfiguration()
        configuration.discover = false
        configuration.devices = [ScannerDevice(path: fifo, kind: .evdev), ScannerDevice(path: "/dev/input/event-gone")]
        let manager = ScannerManager(configuration: configuration)
        let healthUpdates = manager.healthUpdates()
        let events = try manager.start()
        // Open the FIFO's write end (blocks until the source has opened the read end).
        let writer = await onOwnThread("fifo-open") { open(fifo, O_WRONLY) }
        var r = KeyRecorder(layout: .us)
        r.type("110101194605121231")
        r.enter()
        await Replay.write(r.bytes, to: writer, close: true)
        var iterator = events.makeAsyncIterator()
        let event = await iterator.next()
        #expect(event?.payload.identity?.value == "110101194605121231")
        #expect(event?.source == fifo)
        var seen: [String: InputHealth.State] = [:]
        for await h in healthUpdates {
            seen[h.name] = h.state
            if seen[fifo] == .absent, seen["/dev/input/event-gone"] == .absent { break }
        }
        #expect(manager.health.map(\.name).sorted() == ["/dev/input/event-gone", fifo].sorted())
        manager.stop()
    }
}
