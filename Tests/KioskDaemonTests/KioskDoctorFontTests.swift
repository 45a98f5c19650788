import Foundation
import KioskDaemon
import Testing

/// `display.fonts` through the configuration loader, and the doctor's check of it through FreeType with Debian's
/// real font files (`fonts-dejavu-core`, `fonts-wqy-microhei`, installed by `make deps`).
struct KioskDoctorFontTests {
    static let wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    static let dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    final class Directory {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-fonts-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }

        func config(_ display: String) throws -> String {
            let path = url.appendingPathComponent("kioskd.toml").path
            try Data("[display]\n\(display)\n".utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    static func fonts(_ path: String) -> [KioskDoctor.Finding] {
        KioskDoctor(
            configuration: Result { () throws(ConfigurationError) in try ConfigurationLoader.load(path: path) },
            environment: KioskDoctor.Environment()
        ).fontFindings()
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: wqy), "needs fonts-wqy-microhei (make deps)"))
    func theConfiguredListIsWhatTheDoctorLoads() throws {
        let dir = try Directory()
        let good = Self.fonts(try dir.config("fonts = [\"\(Self.dejavu)\", \"\(Self.wqy)#0\"]"))
        #expect(good.count == 1)
        #expect(good.first?.level == .ok)
        #expect(good.first?.detail == "Chinese: WenQuanYi Micro Hei Regular; Latin: DejaVu Sans Book", "\(good)")

        // Latin only: every Chinese word would be boxes. FAIL with the framebuffer renderer, WARN otherwise.
        let latinOnly = Self.fonts(try dir.config("renderer = \"png\"\nfonts = [\"\(Self.dejavu)\"]"))
        #expect(latinOnly.first?.level == .fail)
        #expect(latinOnly.first?.detail.contains("no configured font has Chinese characters") == true)
        #expect(latinOnly.first?.advice?.contains("display.fonts") == true)
        let latinOnlyTerminal = Self.fonts(try dir.config("renderer = \"terminal\"\nfonts = [\"\(Self.dejavu)\"]"))
        #expect(latinOnlyTerminal.first?.level == .warn)

        // A file that is not a font: FreeType cannot open it.
        let notAFont = dir.url.appendingPathComponent("font.ttc")
        try Data("not really a font".utf8).write(to: notAFont)
        let broken = Self.fonts(try dir.config("renderer = \"framebuffer\"\nfonts = [\"\(notAFont.path)\"]"))
        #expect(broken.first?.level == .fail)
        #expect(broken.first?.detail.contains("no regular font could be opened") == true, "\(broken)")
    }

    @Test func badFontEntriesNameTheKeyAndWhatIsAllowed() throws {
        let dir = try Directory()
        for (entry, expected) in [
            ("\"fonts/relative.ttf\"", "absolute font file paths"),
            ("\"/usr/share/fonts/none-\(UUID().uuidString).ttf\"", "no file at /usr/share/fonts/none-"),
            ("\"\(Self.wqy)#x\"", "FILE or FILE#FACE"),
        ] {
            let path = try dir.config("fonts = [\(entry)]")
            do {
                _ = try ConfigurationLoader.load(path: path)
                Issue.record("accepted \(entry)")
            } catch {
                #expect("\(error)".contains("display.fonts"), "\(error)")
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }
}
