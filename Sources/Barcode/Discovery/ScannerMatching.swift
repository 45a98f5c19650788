/// A device udev knows, reduced to what scanner matching needs. Built from a udev property dictionary (the
/// device's own properties plus its parents' name and USB ids, as ``Udev`` collects them), so the rules can be
/// tested without hardware.
public struct ScannerCandidate: Sendable, Hashable, CustomStringConvertible {
    /// `input`, `hidraw` or `tty`.
    public var subsystem: String
    /// `/dev/input/event3`, `/dev/hidraw0`, `/dev/ttyACM0`.
    public var devnode: String
    /// Device name: the input device's `name`, the HID name, or the USB model.
    public var name: String?
    public var vendorID: UInt16?
    public var productID: UInt16?
    /// udev symlinks (`DEVLINKS`), e.g. `/dev/input/kiosk-scanner` from our rule.
    public var devlinks: [String]
    /// `ID_INPUT_KEYBOARD=1` (input devices only).
    public var isKeyboard: Bool

    /// Keys read: `SUBSYSTEM`, `DEVNAME`, `NAME` (quotes stripped), `HID_NAME`, `ID_MODEL`, `ID_VENDOR_ID`,
    /// `ID_MODEL_ID`, `HID_ID` (`bus:vendor:product`, used when the USB ids are missing), `DEVLINKS`
    /// (space-separated), `ID_INPUT_KEYBOARD`.
    public init(properties p: [String: String]) {
        subsystem = p["SUBSYSTEM"] ?? ""
        devnode = p["DEVNAME"] ?? ""
        let rawName = p["NAME"] ?? p["HID_NAME"] ?? p["ID_MODEL"]
        name = rawName.map { $0.trimmingCharacters(in: "\"") }
        vendorID = p["ID_VENDOR_ID"].flatMap { UInt16($0, radix: 16) }
        productID = p["ID_MODEL_ID"].flatMap { UInt16($0, radix: 16) }
        if vendorID == nil || productID == nil, let hid = p["HID_ID"] {
            let parts = hid.split(separator: ":")
            if parts.count == 3 {
                vendorID = UInt32(parts[1], radix: 16).map { UInt16(truncatingIfNeeded: $0) }
                productID = UInt32(parts[2], radix: 16).map { UInt16(truncatingIfNeeded: $0) }
            }
        }
        devlinks = (p["DEVLINKS"] ?? "").split(separator: " ").map(String.init)
        isKeyboard = p["ID_INPUT_KEYBOARD"] == "1"
    }

    public var description: String {
        let ids = vendorID.map { String(format4: $0) + ":" + (productID.map { String(format4: $0) } ?? "????") } ?? "-"
        return "\(subsystem) \(devnode) '\(name ?? "")' \(ids)" + (devlinks.isEmpty ? "" : " \(devlinks)")
    }
}

/// One way of recognising a scanner.
public enum ScannerMatchRule: Sendable, Hashable {
    /// The device name contains this text (case-insensitive): `"barcode"`, `"scanner"`, `"Honeywell"`.
    case nameContains(String)
    /// USB vendor and product id.
    case usbID(vendor: UInt16, product: UInt16)
    /// udev gave the device this symlink (our rules in `udev-rules/` add them).
    case devlink(String)

    public func matches(_ c: ScannerCandidate) -> Bool {
        switch self {
        case .nameContains(let text): c.name?.lowercased().contains(text.lowercased()) ?? false
        case .usbID(let vendor, let product): c.vendorID == vendor && c.productID == product
        case .devlink(let link): c.devlinks.contains(link)
        }
    }
}

/// Which udev devices are scanners, per interface. A device matches when any rule of its interface matches.
public struct ScannerMatching: Sendable, Hashable {
    /// Keyboard-wedge scanners (`input` subsystem, `event*` nodes with `ID_INPUT_KEYBOARD=1`).
    public var evdev: [ScannerMatchRule]
    /// HID POS scanners (`hidraw` subsystem).
    public var hidPOS: [ScannerMatchRule]
    /// CDC-ACM scanners (`tty` subsystem).
    public var serial: [ScannerMatchRule]

    /// Defaults: the symlinks from `udev-rules/70-kiosk-scanners.rules`, plus names containing "barcode" or
    /// "scanner" for wedge scanners (what Odoo's IoT box does).
    public init(
        evdev: [ScannerMatchRule] = [
            .devlink("/dev/input/kiosk-scanner"), .nameContains("barcode"), .nameContains("scanner"),
        ],
        hidPOS: [ScannerMatchRule] = [.devlink("/dev/kiosk-scanner-hidpos")],
        serial: [ScannerMatchRule] = [.devlink("/dev/kiosk-scanner")]
    ) {
        self.evdev = evdev
        self.hidPOS = hidPOS
        self.serial = serial
    }

    /// The interface `candidate` is a scanner on, or `nil`.
    public func kind(of c: ScannerCandidate) -> ScanEvent.Kind? {
        switch c.subsystem {
        case "input":
            let node = c.devnode.split(separator: "/").last ?? ""
            guard node.hasPrefix("event"), c.isKeyboard else { return nil }
            return evdev.contains { $0.matches(c) } ? .evdev : nil
        case "hidraw":
            return hidPOS.contains { $0.matches(c) } ? .hidPOS : nil
        case "tty":
            return serial.contains { $0.matches(c) } ? .serial : nil
        default:
            return nil
        }
    }
}

extension String {
    fileprivate init(format4 value: UInt16) {
        let hex = String(value, radix: 16)
        self = String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }

    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
