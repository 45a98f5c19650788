import Foundation
import Testing

@testable import Display

/// The framebuffer surface through real memory-mapped files: every pixel read back from the file.
@Suite struct FramebufferSurfaceTests {
    static let formats: [PixelFormat.Known] = [.rgb565, .bgr565, .bgr24, .xrgb8888, .xbgr8888]

    /// A 13×7 panel whose rows have 24 bytes of padding after the pixels (stride > width).
    static func paddedGeometry(_ format: PixelFormat.Known) -> FramebufferGeometry {
        let bytes = format.layout.bitsPerPixel / 8
        return .packed(format, xres: 13, yres: 7, lineLength: 13 * bytes + 24)
    }

    @Test(arguments: formats, FramebufferRotation.allCases)
    func everyPixelReadsBackInTheRightPlace(format: PixelFormat.Known, rotation: FramebufferRotation) throws {
        let geometry = Self.paddedGeometry(format)
        let file = try FramebufferFile(geometry)
        let surface = try FramebufferSurface(source: file.source, rotation: rotation)
        let size = surface.imageSize
        #expect(size == rotation.imageSize(panelWidth: 13, panelHeight: 7))
        let image = patternImage(width: size.width, height: size.height)
        let report = try surface.present(image)
        #expect(report.rowsWritten == 7)
        #expect(report.remapped)

        let bytes = try file.bytes()
        let pixelFormat = PixelFormat(format)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let panel = rotation.panelPoint(x: x, y: y, imageWidth: image.width, imageHeight: image.height)
                let shown = try FramebufferFile.colour(in: bytes, x: panel.x, y: panel.y, geometry: geometry)
                #expect(
                    matches(shown, image[x, y], format: pixelFormat),
                    "\(format) \(rotation): image (\(x),\(y)) → panel \(panel): \(hex(shown)) vs \(hex(image[x, y]))")
            }
        }
        // The padding after each row is never written.
        let rowBytes = 13 * pixelFormat.bytesPerPixel
        for row in 0..<7 {
            let padding = bytes[(row * geometry.lineLength + rowBytes)..<((row + 1) * geometry.lineLength)]
            #expect(padding.allSatisfy { $0 == 0xAB }, "row \(row) padding was written")
        }
    }

    /// Quarter turns are converted in tiles: a panel of several tiles with partial ones at the edges.
    @Test(arguments: [FramebufferRotation.clockwise90, .clockwise270], [PixelFormat.Known.xrgb8888, .bgr24])
    func rotatedPanelsSpanningSeveralTiles(rotation: FramebufferRotation, format: PixelFormat.Known) throws {
        let (xres, yres) = (FrameConverter.band * 3 + 5, FrameConverter.band * 2 + 3)
        let geometry = FramebufferGeometry.packed(
            format, xres: xres, yres: yres, lineLength: xres * format.layout.bitsPerPixel / 8 + 8)
        let file = try FramebufferFile(geometry)
        let surface = try FramebufferSurface(source: file.source, rotation: rotation)
        let image = patternImage(width: yres, height: xres)
        try surface.present(image)
        let bytes = try file.bytes()
        for y in 0..<image.height {
            for x in 0..<image.width {
                let panel = rotation.panelPoint(x: x, y: y, imageWidth: image.width, imageHeight: image.height)
                #expect(try FramebufferFile.colour(in: bytes, x: panel.x, y: panel.y, geometry: geometry) == image[x, y])
            }
        }
    }

    @Test func thirtyTwoBitChannelsKeepEveryBitAndTheirByteOrder() throws {
        let geometry = FramebufferGeometry.packed(.xrgb8888, xres: 2, yres: 1)
        let file = try FramebufferFile(geometry)
        let surface = try FramebufferSurface(source: file.source)
        var image = RasterImage(width: 2, height: 1)
        image[0, 0] = 0x12_34_56
        image[1, 0] = 0xFE_DC_BA
        try surface.present(image)
        #expect(try file.bytes() == [0x56, 0x34, 0x12, 0x00, 0xBA, 0xDC, 0xFE, 0x00])

        let bgr = try FramebufferFile(.packed(.xbgr8888, xres: 2, yres: 1))
        try FramebufferSurface(source: bgr.source).present(image)
        #expect(try bgr.bytes() == [0x12, 0x34, 0x56, 0x00, 0xFE, 0xDC, 0xBA, 0x00])

        let bgr24 = try FramebufferFile(.packed(.bgr24, xres: 2, yres: 1))
        try FramebufferSurface(source: bgr24.source).present(image)
        #expect(try bgr24.bytes() == [0x56, 0x34, 0x12, 0xBA, 0xDC, 0xFE])
    }

    @Test func rgb565AndBgr565PackTheTopBitsOfEachChannel() throws {
        var image = RasterImage(width: 3, height: 1)
        image[0, 0] = 0xFF_00_00
        image[1, 0] = 0x00_FF_00
        image[2, 0] = 0x00_00_FF
        let rgb = try FramebufferFile(.packed(.rgb565, xres: 3, yres: 1))
        try FramebufferSurface(source: rgb.source).present(image)
        // 0xF800, 0x07E0, 0x001F little-endian
        #expect(try rgb.bytes() == [0x00, 0xF8, 0xE0, 0x07, 0x1F, 0x00])
        let bgr = try FramebufferFile(.packed(.bgr565, xres: 3, yres: 1))
        try FramebufferSurface(source: bgr.source).present(image)
        #expect(try bgr.bytes() == [0x1F, 0x00, 0xE0, 0x07, 0x00, 0xF8])
    }

    /// Every fast path writes exactly what the general bitfield converter computes.
    @Test(arguments: PixelFormat.Known.allCases)
    func fastPathsAgreeWithTheBitfieldConverter(format: PixelFormat.Known) throws {
        let pixelFormat = PixelFormat(format)
        #expect(pixelFormat.known == format)
        let image = patternImage(width: 64, height: 4)
        let converter = FrameConverter(format: pixelFormat, rotation: .none, panelWidth: 64, panelHeight: 4)
        var rows = [UInt8](repeating: 0, count: converter.rowBytes * 4)
        rows.withUnsafeMutableBytes { converter.convert(image, into: $0) }
        let width = pixelFormat.bytesPerPixel
        for (index, pixel) in image.pixels.enumerated() {
            let value = pixelFormat.pixelValue(pixel)
            let expected = (0..<width).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) }
            #expect(Array(rows[(index * width)..<((index + 1) * width)]) == expected, "\(format) pixel \(index)")
        }
    }

    /// Formats without a fast path (15-bit RGB555, 30-bit XRGB2101010) go through the bitfields.
    @Test func unusualBitfieldsGoThroughTheGeneralConverter() throws {
        let rgb555 = FramebufferGeometry(
            smemLength: 9 * 2 * 5, lineLength: 9 * 2, xres: 9, yres: 5, bitsPerPixel: 16,
            red: .init(offset: 10, length: 5), green: .init(offset: 5, length: 5), blue: .init(offset: 0, length: 5))
        let rgb101010 = FramebufferGeometry(
            smemLength: 9 * 4 * 5 + 100, lineLength: 9 * 4 + 20, xres: 9, yres: 5, bitsPerPixel: 32,
            red: .init(offset: 20, length: 10), green: .init(offset: 10, length: 10), blue: .init(offset: 0, length: 10))
        for geometry in [rgb555, rgb101010] {
            let format = try geometry.validate()
            #expect(format.known == nil)
            let file = try FramebufferFile(geometry)
            let image = patternImage(width: 9, height: 5)
            try FramebufferSurface(source: file.source).present(image)
            let bytes = try file.bytes()
            for y in 0..<5 {
                for x in 0..<9 {
                    let shown = try FramebufferFile.colour(in: bytes, x: x, y: y, geometry: geometry)
                    #expect(matches(shown, image[x, y], format: format), "\(format) (\(x),\(y))")
                }
            }
        }
        // 10-bit channels repeat the 8 bits they are given: 0xFF → 0x3FF, 0x80 → 0x202.
        let format = try rgb101010.validate()
        #expect(format.pixelValue(0xFF_80_00) == (0x3FF << 20 | 0x202 << 10))
    }

    @Test func onlyChangedRowsAreWritten() throws {
        let geometry = FramebufferGeometry.packed(.rgb565, xres: 16, yres: 10, lineLength: 40)
        let file = try FramebufferFile(geometry)
        let surface = try FramebufferSurface(source: file.source)
        var image = patternImage(width: 16, height: 10)
        #expect(try surface.present(image) == .init(rowsWritten: 10, remapped: true))
        #expect(try surface.present(image) == .init(rowsWritten: 0, remapped: false))
        image[3, 2] = 0xFF_FF_FF
        image[0, 7] = 0
        image[15, 9] = 0x12_34_56
        #expect(try surface.present(image) == .init(rowsWritten: 3, remapped: false))
        let bytes = try file.bytes()
        #expect(try FramebufferFile.colour(in: bytes, x: 3, y: 2, geometry: geometry) == 0xFF_FF_FF)
        // A change the panel format cannot show (below RGB565's precision) writes nothing.
        image[5, 5] ^= 0x01_01_01
        #expect(try surface.present(image).rowsWritten == 0)
        surface.invalidate()
        #expect(try surface.present(image).rowsWritten == 10)
    }

    @Test func aRotatedColumnChangeTouchesEveryPanelRow() throws {
        let file = try FramebufferFile(.packed(.xrgb8888, xres: 8, yres: 6))
        let surface = try FramebufferSurface(source: file.source, rotation: .clockwise90)
        var image = RasterImage(width: 6, height: 8, fill: 0x10_20_30)
        try surface.present(image)
        // Image row 0 is the panel's right-most column: all 6 panel rows change.
        for x in 0..<6 { image[x, 0] = 0xFF_00_00 }
        #expect(try surface.present(image).rowsWritten == 6)
        // Image column 2 is panel row 2.
        for y in 0..<8 { image[2, y] = 0x00_FF_00 }
        #expect(try surface.present(image).rowsWritten == 1)
    }

    @Test func yoffsetPutsTheVisibleRowsWhereThePanelShowsThem() throws {
        let base = FramebufferGeometry.packed(.xrgb8888, xres: 4, yres: 3, lineLength: 20)
        var geometry = base
        geometry.yresVirtual = 6
        geometry.yoffset = 3
        geometry.xoffset = 1
        geometry.smemLength = 20 * 6
        let file = try FramebufferFile(geometry, fill: 0)
        let surface = try FramebufferSurface(source: file.source)
        try surface.present(RasterImage(width: 4, height: 3, fill: 0xFF_FF_FF))
        let bytes = try file.bytes()
        #expect(bytes[0..<60].allSatisfy { $0 == 0 }, "rows above yoffset stay untouched")
        for row in 3..<6 {
            let line = bytes[(row * 20)..<((row + 1) * 20)]
            #expect(Array(line.prefix(4)) == [0, 0, 0, 0], "xoffset 1: first pixel untouched")
            #expect(Array(line.dropFirst(4)) == [UInt8](repeating: 0xFF, count: 16).enumerated().map { $0.offset % 4 == 3 ? 0 : 0xFF })
        }
    }

    @Test func geometriesThatCannotWorkAreClearErrors() throws {
        var tooSmall = FramebufferGeometry.packed(.xrgb8888, xres: 100, yres: 50)
        tooSmall.smemLength = 100 * 4 * 50 - 1
        #expect(throws: FramebufferError(code: .geometryExceedsMemory)) { try tooSmall.validate() }

        var virtualTooTall = FramebufferGeometry.packed(.rgb565, xres: 10, yres: 10)
        virtualTooTall.yresVirtual = 20
        #expect(throws: FramebufferError(code: .geometryExceedsMemory)) { try virtualTooTall.validate() }

        var panned = FramebufferGeometry.packed(.rgb565, xres: 10, yres: 10)
        panned.yoffset = 1
        #expect(throws: FramebufferError(code: .geometryExceedsMemory)) { try panned.validate() }

        let eightBit = FramebufferGeometry(
            smemLength: 100, lineLength: 10, xres: 10, yres: 10, bitsPerPixel: 8,
            red: .init(offset: 0, length: 8), green: .init(offset: 0, length: 8), blue: .init(offset: 0, length: 8))
        #expect(throws: FramebufferError(code: .unsupportedBitsPerPixel)) { try eightBit.validate() }

        let shortStride = FramebufferGeometry.packed(.bgr24, xres: 10, yres: 10, lineLength: 29, smemLength: 1000)
        #expect(throws: FramebufferError(code: .strideTooShort)) { try shortStride.validate() }

        var overlapping = FramebufferGeometry.packed(.rgb565, xres: 10, yres: 10)
        overlapping.green = .init(offset: 4, length: 6)
        #expect(throws: FramebufferError(code: .unsupportedBitfields)) { try overlapping.validate() }

        var empty = FramebufferGeometry.packed(.rgb565, xres: 10, yres: 10)
        empty.xres = 0
        #expect(throws: FramebufferError(code: .emptyGeometry)) { try empty.validate() }

        // The surface refuses them before mapping anything, with the values in the message.
        let file = try FramebufferFile(tooSmall)
        do {
            _ = try FramebufferSurface(source: file.source)
            Issue.record("a geometry larger than smem_len was mapped")
        } catch {
            #expect(error.code == .geometryExceedsMemory)
            #expect(error.message.contains("smem_len is 19999"))
        }
        // A file shorter than smem_len would fault on write: refused too.
        let short = try FramebufferFile(.packed(.rgb565, xres: 10, yres: 10), fileBytes: 150)
        #expect(throws: FramebufferError(code: .fileTooShort)) { try FramebufferSurface(source: short.source) }
        // An image of the wrong size writes nothing.
        let right = try FramebufferFile(.packed(.rgb565, xres: 10, yres: 10))
        let surface = try FramebufferSurface(source: right.source, rotation: .clockwise90)
        #expect(throws: FramebufferError(code: .imageSizeMismatch)) {
            try surface.present(RasterImage(width: 10, height: 11))
        }
        #expect(try right.bytes().allSatisfy { $0 == 0xAB })
        #expect(throws: FramebufferError(code: .deviceGone)) {
            try FramebufferSurface(source: .device(path: "/nonexistent/fb9"))
        }
        // A path that is not a framebuffer device: FBIOGET_VSCREENINFO answers ENOTTY, said in words.
        do {
            _ = try FramebufferSurface(source: .device(path: right.path))
            Issue.record("a regular file was taken for a framebuffer device")
        } catch {
            #expect(error.code == .systemCall)
            #expect(error.errno == ENOTTY)
            #expect("\(error)".contains("FBIOGET_VSCREENINFO") && "\(error)".contains("not a framebuffer device"))
        }
    }

    @Test func aReplacedDriverIsMappedAgainAndRedrawnInFull() throws {
        // Boot: simplefb-like 32 bpp; then the real driver comes with RGB565, another size and another stride.
        let boot = FramebufferGeometry.packed(.xrgb8888, xres: 12, yres: 8)
        let file = try FramebufferFile(boot)
        let surface = try FramebufferSurface(source: file.source)
        try surface.present(RasterImage(width: 12, height: 8, fill: 0x00_FF_00))
        #expect(try surface.refresh() == false)

        var real = FramebufferGeometry.packed(.rgb565, xres: 16, yres: 10, lineLength: 40)
        real.id = "vc4drmfb"
        real.smemStart = 0x3E40_0000
        try file.change(to: real)
        #expect(try surface.refresh() == true)
        #expect(surface.geometry == real)
        #expect(surface.imageSize == (16, 10))
        let report = try surface.present(patternImage(width: 16, height: 10))
        #expect(report == .init(rowsWritten: 10, remapped: true))
        let bytes = try file.bytes()
        #expect(matches(try FramebufferFile.colour(in: bytes, x: 5, y: 9, geometry: real), patternImage(width: 16, height: 10)[5, 9], format: PixelFormat(.rgb565)))

        // The device goes away (ENODEV): the frame fails, nothing is lost, and it is reopened when it is back.
        file.vanish()
        #expect(throws: FramebufferError(code: .deviceGone)) { try surface.present(RasterImage(width: 16, height: 10)) }
        try file.change(to: real)
        #expect(try surface.present(RasterImage(width: 16, height: 10)) == .init(rowsWritten: 10, remapped: true))
    }
}

func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
