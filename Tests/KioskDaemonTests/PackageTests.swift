import Foundation
import Testing

/// `scripts/build-deb.sh` (what `make deb` runs) over the built binaries: the package's metadata and contents, then
/// the package unpacked into a temporary root with `dpkg --root`, its default configuration checked by the packaged
/// `kioskd`, and its sysusers.d entry creating the system user `kiosk` there with `systemd-sysusers --root`.
///
/// Packaging writes about a gigabyte (the debug binaries are large), which starves the timing-sensitive suites if it
/// runs beside them, so it runs only with `KIOSK_DEB_TEST=1`: `make test` runs it as a second step after the whole
/// `swift test`.
@Suite(
    .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["KIOSK_DEB_TEST"] == "1" || BuiltProducts.isRelease,
        "KIOSK_DEB_TEST=1 (make test sets it for a second run of this suite alone)"))
struct PackageTests {
    static func tools() -> String? {
        for tool in ["/usr/bin/dpkg-deb", "/usr/bin/dpkg"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) missing"
        }
        if !FileManager.default.isExecutableFile(atPath: BuiltProducts.path("kiosk-central")) {
            return "\(BuiltProducts.path("kiosk-central")) not built"
        }
        return nil
    }

    @Test func debHasTheFilesAndInstallsIntoATemporaryRoot() async throws {
        if let missing = Self.tools() {
            Issue.record("cannot build the package: \(missing)")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("deb-test-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        let built = try await runProgram(
            BuiltProducts.repository.appendingPathComponent("scripts/build-deb.sh").path,
            [BuiltProducts.binDirectory, work.path, "9.8.7"],
            environment: [
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEB_COMPRESSION": BuiltProducts.isRelease ? "xz" : "none",
                "STRIP": BuiltProducts.isRelease ? "1" : "0",
            ])
        #expect(built.status == 0, "build-deb.sh: \(built.error)")
        let deb = built.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(deb.hasSuffix("/cardkiosk_9.8.7_amd64.deb") || deb.contains("cardkiosk_9.8.7_"))

        // Metadata: control fields, maintainer scripts, the configuration as a conffile.
        let info = try await runProgram("/usr/bin/dpkg-deb", ["-I", deb]).output
        #expect(info.contains("Package: cardkiosk"))
        #expect(info.contains("Version: 9.8.7"))
        #expect(info.contains("Depends: pcscd, libpcsclite1, libudev1, udev"))
        for script in ["postinst", "prerm", "postrm", "conffiles", "control"] {
            #expect(info.contains(" \(script)"), "no \(script) in the control archive:\n\(info)")
        }
        let package = try await runProgram("/usr/bin/dpkg-deb", ["-f", deb, "Package"]).output
        #expect(package.trimmingCharacters(in: .whitespacesAndNewlines) == "cardkiosk")

        // Contents: every file where the system looks for it, owned by root.
        let listing = try await runProgram("/usr/bin/dpkg-deb", ["-c", deb]).output
        let expected = [
            "./usr/bin/kioskd", "./usr/bin/kioskctl", "./usr/bin/kiosk-central",
            "./usr/lib/systemd/system/kioskd.service", "./usr/lib/systemd/system/kiosk-central.service",
            "./usr/lib/udev/rules.d/70-kiosk-scanners.rules", "./usr/lib/udev/rules.d/70-kiosk-sam.rules",
            "./usr/lib/udev/rules.d/60-kiosk-readers.rules", "./usr/lib/sysusers.d/cardkiosk.conf",
            "./etc/kioskd/kioskd.toml", "./var/lib/kiosk/", "./usr/share/doc/cardkiosk/README.md",
            "./usr/share/doc/cardkiosk/configuration.md",
        ]
        for path in expected {
            #expect(listing.contains(" \(path)"), "\(path) not in the package:\n\(listing)")
        }
        for line in listing.split(separator: "\n") {
            #expect(line.contains(" root/root "), "not owned by root: \(line)")
        }

        // Install into a temporary root: dpkg's own database there, dependencies not installed in it.
        let root = work.appendingPathComponent("root")
        for directory in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        #expect(FileManager.default.createFile(atPath: root.appendingPathComponent("var/lib/dpkg/status").path, contents: nil))
        let unpacked = try await runProgram(
            "/usr/bin/dpkg", ["--root=\(root.path)", "--force-depends", "--unpack", deb],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(unpacked.status == 0, "dpkg --unpack: \(unpacked.error)")
        let files = try await runProgram("/usr/bin/dpkg", ["--root=\(root.path)", "-L", "cardkiosk"]).output
        #expect(files.contains("/usr/bin/kioskd"))
        let registered = try await runProgram(
            "/usr/bin/dpkg-query", ["--root=\(root.path)", "-W", "-f=${Conffiles}", "cardkiosk"]).output
        #expect(registered.contains("/etc/kioskd/kioskd.toml"))

        // The packaged kioskd accepts the packaged default configuration (unpacked, not yet configured: dpkg leaves a
        // conffile as .dpkg-new until `dpkg --configure`, which would run postinst).
        let kioskd = root.appendingPathComponent("usr/bin/kioskd").path
        let config = root.appendingPathComponent("etc/kioskd/kioskd.toml.dpkg-new").path
        let check = try await runProgram(kioskd, ["--check-config", "--config", config], environment: ["PATH": "/usr/bin"])
        #expect(check.status == 0, "\(check)")
        #expect(check.output.contains("configuration OK"))
        let unit = try String(
            contentsOfFile: root.appendingPathComponent("usr/lib/systemd/system/kioskd.service").path, encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/kioskd --config /etc/kioskd/kioskd.toml"))

        // The sysusers.d entry makes "kiosk" a system user (udev groups and users must be system ones).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-sysusers") {
            let sysusers = try await runProgram(
                "/usr/bin/systemd-sysusers",
                ["--root=\(root.path)", root.appendingPathComponent("usr/lib/sysusers.d/cardkiosk.conf").path])
            #expect(sysusers.status == 0, "\(sysusers.error)")
            let passwd = try String(contentsOfFile: root.appendingPathComponent("etc/passwd").path, encoding: .utf8)
            let entry = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("kiosk:") }, "\(passwd)")
            let uid = Int(entry.split(separator: ":")[2]) ?? -1
            #expect((1..<1000).contains(uid), "kiosk is not a system user: \(entry)")
            #expect(entry.hasSuffix(":/var/lib/kiosk:/usr/sbin/nologin"))
        } else {
            Issue.record("systemd-sysusers missing (Debian package systemd, in DEB_PACKAGES)")
        }

        if BuiltProducts.isRelease {
            // Every shared library the static release binaries still need comes from a package in Depends.
            let depends = try await runProgram("/usr/bin/dpkg-deb", ["-f", deb, "Depends"]).output
            let objdump = try await runProgram("/usr/bin/objdump", ["-p", kioskd]).output
            let needed = objdump.split(separator: "\n").filter { $0.contains("NEEDED") }
                .compactMap { $0.split(separator: " ").last.map(String.init) }
            let dependsOn = Set(depends.split(whereSeparator: { ", |\n".contains($0) }).map(String.init))
            #expect(!needed.isEmpty)
            for library in needed {
                // dpkg -S matches substrings ("libc.so.6" is also in libc6-dev's paths): any owner listed will do.
                let owners = try await runProgram("/usr/bin/dpkg", ["-S", "*/\(library)"]).output
                    .split(separator: "\n").compactMap { $0.split(separator: ":").first }
                    .flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                #expect(
                    owners.contains { dependsOn.contains($0) },
                    "\(library) comes from \(owners), none of them in Depends: \(depends)")
            }
        }
    }
}
