import Foundation
import KioskCore
import Testing

@testable import Display

/// Panel sizes the kiosk is installed with, landscape and portrait.
let panelSizes: [(width: Int, height: Int)] = [
    (800, 480), (1024, 600), (1280, 800), (1920, 1080), (480, 800), (600, 1024), (800, 1280), (1080, 1920),
]

/// Screens whose headline is a person's status: their status word must read from two metres.
let resultScreens: Set<String> = [
    "normal", "home-observation", "centralized-observation", "popup", "unknown-person", "cannot-verify",
]

/// Serialized, with the drawing on its own thread (``RasterThread``): it is CPU work that must not starve the
/// other suites' tasks on a two-core machine.
@Suite(.serialized) struct FrameRasterTests {
    let rasterizer: RasterThread

    init() throws {
        rasterizer = try RasterThread(fonts: .reference)
    }

    @Test func everyPaletteTextPairMeetsWCAGAAA() {
        #expect(Contrast.ratio(0x000000, 0xFFFFFF) == 21)
        #expect(abs(Contrast.ratio(0x777777, 0xFFFFFF) - 4.48) < 0.01)
        #expect(Contrast.ratio(0x123456, 0x123456) == 1)
        #expect(Contrast.ratio(0xA30000, 0xFFFFFF) == Contrast.ratio(0xFFFFFF, 0xA30000))
        for tone in Screen.Tone.allCases {
            let band = Palette.band(tone)
            #expect(Contrast.ratio(band.foreground, band.background) >= 7, "\(tone)")
        }
        #expect(Contrast.ratio(Palette.text, Palette.page) >= 7)
        #expect(Contrast.ratio(Palette.secondaryText, Palette.page) >= 7)
        #expect(Contrast.ratio(Palette.headerText, Palette.header) >= 7)
        #expect(Contrast.ratio(Palette.text, Palette.footer) >= 7)
        #expect(Contrast.ratio(Palette.text, Palette.notice) >= 7)
    }

    @Test(arguments: DemoScreens.names)
    func everyScreenFitsEveryPanelWithAAAContrast(name: String) async throws {
        let screen = try #require(DemoScreens.screen(named: name))
        for (width, height) in panelSizes {
            let plan = await rasterizer.plan(screen, width: width, height: height)
            // Pixels are checked on the smallest panels (the plan is the same code at every size), to keep the
            // suite light.
            let image = width * height <= 800 * 480 ? await rasterizer.draw(plan) : nil
            let whole = PixelRect(x: 0, y: 0, width: width, height: height)
            let where_ = "\(name) at \(width)×\(height)"
            #expect(!plan.truncated, "\(where_): text was cut")
            #expect(!plan.lines.isEmpty)
            for line in plan.lines {
                #expect(whole.contains(line.area), "\(where_): \(line.role) area \(line.area)")
                #expect(
                    line.area.contains(line.box), "\(where_): \(line.role) \"\(line.text)\" \(line.box) in \(line.area)"
                )
                for run in line.runs {
                    #expect(
                        Contrast.ratio(run.color, line.background) >= Contrast.minimumTextRatio,
                        "\(where_): \(line.text)")
                }
                // The background the plan claims is the one drawn: the line box's top-left corner is clear of ink.
                if let image {
                    #expect(image[line.box.x, line.box.y] == line.background, "\(where_): \(line.role) \(line.text)")
                }
                #expect(line.size >= 14, "\(where_): \(line.text) at \(line.size) px")
            }
            for fill in plan.fills { #expect(whole.contains(fill.rect), "\(where_): fill \(fill.rect)") }
            for icon in plan.icons { #expect(whole.contains(icon.rect), "\(where_): icon \(icon.rect)") }
            let dateTime = plan.lines(.dateTime)
            #expect(dateTime.map(\.text) == [screen.dateTime], "\(where_)")
            #expect((dateTime.first?.size ?? 0) >= Int(Double(height) * 0.03), "\(where_): the clock is large")
        }
    }

    @Test(arguments: resultScreens.sorted())
    func theStatusWordTakesAFifthOfTheHeight(name: String) async throws {
        let screen = try #require(DemoScreens.screen(named: name))
        for (width, height) in panelSizes {
            let plan = await rasterizer.plan(screen, width: width, height: height)
            let word = plan.lines(.statusWord)
            let where_ = "\(name) at \(width)×\(height)"
            #expect(
                word.map(\.text).joined().filter { $0 != " " } == screen.title.zh.filter { $0 != " " }, "\(where_)")
            #expect(word.count <= 2, "\(where_)")
            let top = try #require(word.first?.box.y)
            let bottom = try #require(word.last?.box.maxY)
            #expect(Double(bottom - top) >= Double(height) / 5, "\(where_): \(bottom - top) px")
            for line in word {
                #expect(line.runs.allSatisfy { $0.bold })
                // No reaching a fifth with small lines: at most two lines, so each glyph is at least 1/12.5 of the
                // height.
                #expect(Double(line.size) >= Double(height) / 12.5, "\(where_): \(line.size) px")
            }
            #expect(plan.lines(.statusEnglish).map(\.text).joined(separator: " ") == screen.title.en)
        }
    }

    @Test func bilingualContentIsAllOnTheResultScreen() async throws {
        let screen = try #require(DemoScreens.screen(named: "normal"))
        let plan = await rasterizer.plan(screen, width: 1920, height: 1080)
        let text = plan.lines.map(\.text).joined(separator: "\n")
        for expected in [
            "未见异常", "No abnormality", "王*明", "110***********002X", "阴性 · 24 小时内", "Negative · within 24 h",
            "已接种 3 剂", "3 doses", "通勤", "Commuter", "实时", "Online", DemoScreens.venue, "2026-11-29 10:30 周日 Sun",
        ] {
            #expect(text.contains(expected), "\(expected) missing from:\n\(text)")
        }
        for raw in ["王堃明", "11010519491231002X"] { #expect(!text.contains(raw)) }

        let offline = try #require(DemoScreens.screen(named: "popup"))
        let popupText = await rasterizer.plan(offline, width: 1280, height: 800).lines.map(\.text).joined(
            separator: "\n")
        for expected in [
            "离线数据 截至 11-29 08:00", "Offline data as of 11-29 08:00", "弹窗 · 时空关联", "Notice: Linked to a risk area",
        ] {
            #expect(popupText.contains(expected), "\(expected) missing from:\n\(popupText)")
        }
    }

    /// Pixel fractions of the icon square where the shapes differ.
    func iconPixel(_ image: RasterImage, _ icon: FramePlan.IconPlacement, _ fx: Double, _ fy: Double) -> UInt32 {
        image[icon.rect.x + Int(fx * Double(icon.rect.width)), icon.rect.y + Int(fy * Double(icon.rect.height))]
    }

    @Test func theShapeTellsTheStatusWithoutColour() async throws {
        for (name, corner, lowerLeft, top) in [
            ("normal", false, false, true),  // circle: not the corner, not the lower left, the top middle
            ("home-observation", false, true, true),  // triangle: its lower-left foot, and its apex
            ("centralized-observation", true, true, true),  // square: everything
        ] {
            let screen = try #require(DemoScreens.screen(named: name))
            let plan = await rasterizer.plan(screen, width: 1920, height: 1080)
            let image = await rasterizer.draw(plan)
            let icon = try #require(plan.icons.first)
            #expect(icon.icon == screen.icon)
            #expect(iconPixel(image, icon, 0.1, 0.1) == (corner ? icon.foreground : icon.background), "\(name)")
            #expect(iconPixel(image, icon, 0.08, 0.85) == (lowerLeft ? icon.foreground : icon.background), "\(name)")
            #expect(iconPixel(image, icon, 0.5, 0.1) == (top ? icon.foreground : icon.background), "\(name)")
        }
    }

    @Test func othersShowUpToFourTilesEachWithItsOwnStatus() async throws {
        let screen = try #require(DemoScreens.screen(named: "others"))
        #expect(screen.kind == .severalPeople)
        #expect(screen.tiles.map(\.tone) == [.green, .yellow, .yellow, .red])
        #expect(
            screen.tiles.map(\.icon) == [
                .checkInCircle, .exclamationInTriangle, .exclamationInTriangle, .crossInSquare,
            ])
        #expect(screen.tiles[2].title == Guidance(zh: "弹窗", en: "Notice"))
        #expect(screen.tiles[2].notice == Guidance(zh: "重点职业", en: "Occupation with testing"))
        #expect(screen.tiles.compactMap(\.maskedName) == ["王*明", "李*", "Zhang *** Ming", "赵*昇"])
        #expect(screen.tone == .red, "the headline takes the most serious tile's colour")
        for (width, height) in [(1920, 1080), (480, 800)] {
            let plan = await rasterizer.plan(screen, width: width, height: height)
            #expect(plan.icons.count == 4)
            #expect(plan.lines(.tileStatusWord).map(\.text).joined(separator: "|").contains("4. 集中观察"))
            // Tiles do not overlap.
            let tiles = plan.fills.filter { $0.radius > 0 }.map(\.rect)
            #expect(tiles.count == 4)
            for i in tiles.indices {
                for j in tiles.indices where i < j {
                    let a = tiles[i]
                    let b = tiles[j]
                    #expect(a.maxX <= b.x || b.maxX <= a.x || a.maxY <= b.y || b.maxY <= a.y, "\(a) \(b)")
                }
            }
        }
    }

    @Test func aLongVenueAndGuidanceShrinkOrWrapButNeverOverflow() async {
        var screen = DemoScreens.screen(named: "popup")!
        screen.venue = String(repeating: "北京市朝阳区第一社区卫生服务中心", count: 3)
        screen.popup?.guidance = Guidance(
            zh: String(repeating: "请向所在社区报告并按要求完成核酸检测，", count: 6),
            en: String(repeating: "Please report to your community and take a test as required. ", count: 6))
        for (width, height) in panelSizes {
            let plan = await rasterizer.plan(screen, width: width, height: height)
            for line in plan.lines {
                #expect(line.area.contains(line.box), "\(width)×\(height): \(line.role) \(line.box) in \(line.area)")
                // Closing punctuation never starts a line (the portrait guidance once began a line with "，").
                #expect(!(line.text.first.map { "，。、；：！？）」》".contains($0) } ?? false), "\(width)×\(height): \(line.text)")
            }
            #expect(plan.truncated, "this much text cannot fit whole at \(width)×\(height)")
            let word = plan.lines(.statusWord)
            #expect(Double((word.last?.box.maxY ?? 0) - (word.first?.box.y ?? 0)) >= Double(height) / 5)
        }
    }

    @Test func theSameScreenRendersTheSamePixels() async throws {
        let screen = try #require(DemoScreens.screen(named: "normal"))
        let a = await rasterizer.render(screen, width: 800, height: 480)
        let other = try RasterThread(fonts: .reference)
        let b = await other.render(screen, width: 800, height: 480)
        #expect(a == b)
        #expect(a.width == 800 && a.height == 480)
        // The band is green and the header dark.
        #expect(a[400, 10] == Palette.header)
        #expect(Set(a.pixels).contains(Palette.band(.green).background))
    }
}
