internal import CPNG
public import Foundation

/// A PNG that could not be written or read.
public struct PNGError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What failed, with libpng's own message and the path when there is one.
    public var message: String

    public var description: String { message }
}

/// PNG encoding and decoding of ``RasterImage``s with libpng's simplified API (8-bit RGB, no alpha).
public enum PNGFile {
    /// `image` as the bytes of an 8-bit RGB PNG file.
    /// - Throws: ``PNGError`` with libpng's message.
    public static func encode(_ image: RasterImage) throws -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for (i, pixel) in image.pixels.enumerated() {
            rgb[3 * i] = UInt8((pixel >> 16) & 0xFF)
            rgb[3 * i + 1] = UInt8((pixel >> 8) & 0xFF)
            rgb[3 * i + 2] = UInt8(pixel & 0xFF)
        }
        var png = pngImage(width: image.width, height: image.height)
        var size: png_alloc_size_t = 0
        // First call sizes the output, second writes it.
        guard png_image_write_to_memory(&png, nil, &size, 0, rgb, 0, nil) != 0 else {
            throw PNGError(message: "PNG encoding failed: \(message(of: &png))")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { buffer in
            png_image_write_to_memory(&png, buffer.baseAddress, &size, 0, rgb, 0, nil)
        }
        guard ok != 0 else { throw PNGError(message: "PNG encoding failed: \(message(of: &png))") }
        return Array(out.prefix(Int(size)))
    }

    /// The image in PNG `bytes`, converted to 8-bit RGB (any PNG colour type; alpha composed on black).
    /// - Throws: ``PNGError`` when the bytes are not a PNG libpng can read.
    public static func decode(_ bytes: [UInt8]) throws -> RasterImage {
        // libpng reads from `bytes` until png_image_finish_read returns: both calls stay inside one borrow.
        let decoded: (width: Int, height: Int, rgb: [UInt8]) = try bytes.withUnsafeBytes { raw in
            var png = png_image()
            png.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&png, raw.baseAddress, raw.count) != 0 else {
                throw PNGError(message: "not a readable PNG: \(message(of: &png))")
            }
            png.format = UInt32(PNG_FORMAT_RGB)
            let width = Int(png.width)
            let height = Int(png.height)
            guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
                png_image_free(&png)
                throw PNGError(message: "PNG size \(width)×\(height) is out of range")
            }
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            guard png_image_finish_read(&png, nil, &rgb, 0, nil) != 0 else {
                throw PNGError(message: "PNG decoding failed: \(message(of: &png))")
            }
            return (width, height, rgb)
        }
        let (width, height, rgb) = decoded
        var image = RasterImage(width: width, height: height)
        for i in 0..<(width * height) {
            image.pixels[i] = UInt32(rgb[3 * i]) << 16 | UInt32(rgb[3 * i + 1]) << 8 | UInt32(rgb[3 * i + 2])
        }
        return image
    }

    /// Writes `image` to `url` as PNG, atomically (a partly written file is never seen under the name).
    /// - Throws: ``PNGError``, or the file system's error.
    public static func write(_ image: RasterImage, to url: URL) throws {
        try Data(encode(image)).write(to: url, options: .atomic)
    }

    /// Reads the PNG file at `url`.
    /// - Throws: the file system's error, or ``PNGError``.
    public static func read(_ url: URL) throws -> RasterImage {
        let data = try Data(contentsOf: url)
        do {
            return try decode([UInt8](data))
        } catch let error as PNGError {
            throw PNGError(message: "\(url.path): \(error.message)")
        }
    }

    private static func pngImage(width: Int, height: Int) -> png_image {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(width)
        png.height = UInt32(height)
        png.format = UInt32(PNG_FORMAT_RGB)
        return png
    }

    private static func message(of png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
