import Display
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A regular file standing in for `/dev/fbN`, with a geometry the test can change between frames (a driver swap).
final class FramebufferFile: Sendable {
    let path: String
    private let current: Mutex<Result<FramebufferGeometry, FramebufferError>>

    /// Creates the file with `smem_len` bytes (or `fileBytes`), every byte `fill`.
    init(_ geometry: FramebufferGeometry, fileBytes: Int? = nil, fill: UInt8 = 0xAB) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("fb-\(UUID().uuidString)").path
        current = Mutex(.success(geometry))
        try Data(repeating: fill, count: fileBytes ?? geometry.smemLength).write(to: URL(fileURLWithPath: path))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var source: FramebufferSurface.Source {
        .file(path: path) { [self] () throws(FramebufferError) -> FramebufferGeometry in
            try current.withLock { $0 }.get()
        }
    }

    /// The geometry reported from now on; the file grows to its `smem_len` if needed.
    func change(to geometry: FramebufferGeometry) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        if try handle.seekToEnd() < UInt64(geometry.smemLength) { try handle.truncate(atOffset: UInt64(geometry.smemLength)) }
        current.withLock { $0 = .success(geometry) }
    }

    /// From now on the "device" answers ENODEV.
    func vanish() {
        current.withLock { $0 = .failure(FramebufferError(code: .deviceGone, message: "test: driver unbound", errno: ENODEV)) }
    }

    func bytes() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// The colour at panel pixel (`x`, `y`) as the geometry's format shows it (channels widened to 8 bits).
    static func colour(in bytes: [UInt8], x: Int, y: Int, geometry: FramebufferGeometry) throws -> UInt32 {
        let format = try geometry.validate()
        let offset = geometry.visibleOffset + y * geometry.lineLength + x * format.bytesPerPixel
        var value: UInt64 = 0
        for b in 0..<format.bytesPerPixel { value |= UInt64(bytes[offset + b]) << UInt64(8 * b) }
        return format.rgb(fromPixelValue: value)
    }
}

/// An image where neighbouring pixels differ in every channel, so a wrong rotation, stride or channel order shows.
func patternImage(width: Int, height: Int) -> RasterImage {
    var image = RasterImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let r = UInt32((x * 37 + y * 11) & 0xFF)
            let g = UInt32((x * 5 + y * 71 + 40) & 0xFF)
            let b = UInt32((x * 113 + y * 29 + 90) & 0xFF)
            image[x, y] = r << 16 | g << 8 | b
        }
    }
    return image
}

/// Whether two colours are equal within what a format with these channel lengths can keep.
func matches(_ actual: UInt32, _ expected: UInt32, format: PixelFormat) -> Bool {
    let fields = [(16, format.red.length), (8, format.green.length), (0, format.blue.length)]
    return fields.allSatisfy { shift, length in
        let tolerance = length >= 8 ? 0 : (1 << (8 - length)) - 1
        let a = Int((actual >> UInt32(shift)) & 0xFF)
        let e = Int((expected >> UInt32(shift)) & 0xFF)
        return abs(a - e) <= tolerance
    }
}
