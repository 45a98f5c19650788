import ArgumentParser
import Display
import Foundation

extension KioskCtl {
    /// `kioskctl render`: a screen with demo data as a PNG, exactly as the framebuffer would show it.
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a kiosk screen with demo data to a PNG file (a preview of the panel).",
            discussion: """
                Screens: \(DemoScreens.names.joined(separator: ", ")), or "all" (then --out is a directory and \
                each screen is written as NAME-WxH.png). The demo time is 2026-11-29 10:30 in Shanghai. Fonts are \
                Debian's (DejaVu Sans, Noto Sans CJK if installed, WenQuanYi Micro Hei); --font replaces the list.
                """)

        @Option(help: "Screen name (see above) or all.")
        var screen: String
        @Option(help: "Panel width in pixels.")
        var width: Int
        @Option(help: "Panel height in pixels.")
        var height: Int
        @Option(help: "Output PNG file (a directory with --screen all).")
        var out: String
        @Option(
            name: .customLong("font"),
            help: "A regular font file, FILE or FILE#FACE for a collection; repeatable, in fallback order.")
        var fonts: [String] = []
        @Option(name: .customLong("bold-font"), help: "A bold font file (FILE or FILE#FACE); repeatable.")
        var boldFonts: [String] = []

        func validate() throws {
            guard screen == "all" || DemoScreens.names.contains(screen) else {
                throw ValidationError(
                    "--screen: unknown '\(screen)'; one of: all, \(DemoScreens.names.joined(separator: ", "))")
            }
            guard (16...8192).contains(width), (16...8192).contains(height) else {
                throw ValidationError("--width and --height: pixels from 16 to 8192")
            }
        }

        func run() throws {
            var configuration = FontConfiguration.debian
            if !fonts.isEmpty || !boldFonts.isEmpty {
                configuration = FontConfiguration(regular: try fonts.map(face), bold: try boldFonts.map(face))
                if fonts.isEmpty { configuration.regular = FontConfiguration.debian.regular }
            }
            let rasterizer = try FrameRasterizer(fonts: configuration)
            for (face, reason) in rasterizer.glyphs.skipped where !fonts.isEmpty || !boldFonts.isEmpty {
                // The default list names optional fonts (fonts-noto-cjk); only a font asked for by name is news.
                FileHandle.standardError.write(Data("font skipped: \(face) (\(reason))\n".utf8))
            }
            let names = screen == "all" ? DemoScreens.names : [screen]
            let directory = screen == "all" ? URL(fileURLWithPath: out) : URL(fileURLWithPath: out).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw ValidationError("cannot create the directory \(directory.path) for the images")
            }
            for name in names {
                let url =
                    screen == "all"
                    ? URL(fileURLWithPath: out).appendingPathComponent("\(name)-\(width)x\(height).png")
                    : URL(fileURLWithPath: out)
                let plan = rasterizer.plan(DemoScreens.screen(named: name)!, width: width, height: height)
                try PNGFile.write(rasterizer.draw(plan), to: url)
                print("\(url.path)\(plan.truncated ? " (text cut to fit)" : "")")
            }
        }

        private func face(_ argument: String) throws -> FontConfiguration.Face {
            guard let face = FontConfiguration.Face(parsing: argument) else {
                throw ValidationError("--font \(argument): expected FILE or FILE#FACE (FACE a number from 0)")
            }
            guard FileManager.default.fileExists(atPath: face.path) else {
                throw ValidationError("no font file at \(face.path)")
            }
            return face
        }
    }
}
