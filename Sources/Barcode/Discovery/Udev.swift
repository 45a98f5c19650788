import CUdev
import Foundation
import Glibc
import Logging
import Synchronization

/// Every libudev call of the Barcode module: enumerating devices and the netlink monitor.
enum Udev {
    /// The subsystems scanners appear in.
    static let subsystems = ["input", "hidraw", "tty"]

    /// Devices present now in `subsystems`, as candidates (only those with a device node).
    static func enumerate(subsystems: [String] = Udev.subsystems) -> [ScannerCandidate] {
        guard let udev = udev_new() else { return [] }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(enumerate) }
        for subsystem in subsystems { udev_enumerate_add_match_subsystem(enumerate, subsystem) }
        udev_enumerate_scan_devices(enumerate)
        var candidates: [ScannerCandidate] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let e = entry {
            defer { entry = udev_list_entry_get_next(e) }
            guard let syspath = udev_list_entry_get_name(e),
                let device = udev_device_new_from_syspath(udev, syspath)
            else { continue }
            defer { udev_device_unref(device) }
            if let properties = properties(of: device) { candidates.append(ScannerCandidate(properties: properties)) }
        }
        return candidates
    }

    /// The device's properties plus what matching needs from its parents: `NAME` from the input parent's `name`,
    /// `ID_VENDOR_ID`/`ID_MODEL_ID` from the USB device, `HID_ID`/`HID_NAME` from the HID parent. `nil` without a
    /// device node.
    static func properties(of device: OpaquePointer) -> [String: String]? {
        guard udev_device_get_devnode(device) != nil else { return nil }
        var p: [String: String] = [:]
        var entry = udev_device_get_properties_list_entry(device)
        while let e = entry {
            if let name = udev_list_entry_get_name(e) {
                p[String(cString: name)] = udev_list_entry_get_value(e).map { String(cString: $0) } ?? ""
            }
            entry = udev_list_entry_get_next(e)
        }
        if p["NAME"] == nil, let input = udev_device_get_parent_with_subsystem_devtype(device, "input", nil),
            let name = udev_device_get_sysattr_value(input, "name")
        {
            p["NAME"] = String(cString: name)
        }
        if let hid = udev_device_get_parent_with_subsystem_devtype(device, "hid", nil) {
            for key in ["HID_ID", "HID_NAME"] where p[key] == nil {
                if let v = udev_device_get_property_value(hid, key) { p[key] = String(cString: v) }
            }
        }
        if p["ID_VENDOR_ID"] == nil,
            let usb = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_device")
        {
            if let v = udev_device_get_sysattr_value(usb, "idVendor") { p["ID_VENDOR_ID"] = String(cString: v) }
            if let v = udev_device_get_sysattr_value(usb, "idProduct") { p["ID_MODEL_ID"] = String(cString: v) }
        }
        return p
    }

    /// A udev netlink monitor polled on its own thread, with a self-pipe to stop it.
    final class Monitor: Sendable {
        enum Action: String, Sendable { case add, remove, change, other }

        private struct Handles: @unchecked Sendable {  // used only on the monitor thread after init
            let udev: OpaquePointer
            let monitor: OpaquePointer
        }

        private let state = Mutex((finished: false, stopping: false))
        private let wakeWrite: CInt

        /// Starts listening for `subsystems`. Throws when the netlink socket cannot be opened.
        init(
            subsystems: [String] = Udev.subsystems, logger: Logger,
            handler: @escaping @Sendable (Action, ScannerCandidate) -> Void
        ) throws(SystemCallError) {
            guard let udev = udev_new() else { throw SystemCallError(call: "udev_new", errno: errno) }
            guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
                let e = errno
                udev_unref(udev)
                throw SystemCallError(call: "udev_monitor_new_from_netlink(udev)", errno: e)
            }
            for s in subsystems { udev_monitor_filter_add_match_subsystem_devtype(monitor, s, nil) }
            let rc = udev_monitor_enable_receiving(monitor)
            guard rc >= 0 else {
                udev_monitor_unref(monitor)
                udev_unref(udev)
                throw SystemCallError(call: "udev_monitor_enable_receiving", errno: -rc)
            }
            let (wakeRead, wakeWrite) = try Syscall.pipe()
            self.wakeWrite = wakeWrite
            let handles = Handles(udev: udev, monitor: monitor)
            let thread = Thread { [self] in
                Thread.current.name = "udev-monitor"  // from inside: names the OS thread
                let fd = udev_monitor_get_fd(handles.monitor)
                loop: while true {
                    guard let revents = try? Syscall.poll([fd, wakeRead], timeoutMilliseconds: -1) else { break }
                    if revents[1] != 0 { break loop }
                    guard revents[0] != 0, let device = udev_monitor_receive_device(handles.monitor) else { continue }
                    let action = udev_device_get_action(device).map { Action(rawValue: String(cString: $0)) ?? .other }
                    let properties = Udev.properties(of: device)
                    udev_device_unref(device)
                    if let properties, let action {
                        handler(action, ScannerCandidate(properties: properties))
                    }
                }
                udev_monitor_unref(handles.monitor)
                udev_unref(handles.udev)
                state.withLock { s in
                    s.finished = true
                    Syscall.close(wakeRead)
                    Syscall.close(wakeWrite)
                }
                logger.debug("udev monitor stopped")
            }
            thread.start()
        }

        /// Whether the monitor thread has exited.
        var isFinished: Bool { state.withLock { $0.finished } }

        func stop() {
            state.withLock { s in
                guard !s.finished, !s.stopping else { return }
                s.stopping = true
                try? Syscall.write(wakeWrite, [1], what: "udev monitor wake pipe")
            }
        }
    }
}
