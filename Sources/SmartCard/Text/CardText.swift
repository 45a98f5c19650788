import Foundation

/// Text fields of Chinese cards: GB 18030 (a superset of GBK and GB 2312) and the padding conventions around them.
///
/// Chinese issuers write names in GBK bytes even where EMV defines the field as `ans` (PBOC 3.0 part 5 tags
/// `5F20`/`9F0B`, the social security card's EF06 tag 09); no PBOC text states the encoding (cards.md §1.6, §9 item
/// 1), so decoding is: strip the padding, ASCII if every byte is below `80`, otherwise GB 18030.
///
/// The conversion uses Foundation's GB 18030-2000 encoding (`kCFStringEncodingGB_18030_2000` = `0x0632`, which
/// `CFStringConvertEncodingToNSStringEncoding` maps to `0x8000_0632`). That constant is stable on Apple platforms
/// and in swift-corelibs-foundation on Linux, where `CFStringConvertEncodingToNSStringEncoding` itself is not
/// exported to Swift, so the raw value is spelled here.
public enum CardText {
    /// Foundation's GB 18030-2000 string encoding.
    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    /// Decodes GB 18030 bytes; `nil` when they are not valid GB 18030.
    public static func decodeGB18030(_ bytes: [UInt8]) -> String? {
        String(bytes: bytes, encoding: gb18030)
    }

    /// Encodes text as GB 18030 (GBK bytes for every character GBK has); `nil` if the conversion fails.
    public static func encodeGB18030(_ text: String) -> [UInt8]? {
        text.data(using: gb18030).map { Array($0) }
    }

    /// The bytes without trailing padding: `00` and `20` (PBOC 3.0 part 5 pads `5F20` with `00`, or `20` where the
    /// acquirer's terminals need it; cards.md §1.6), and `FF` (erased EEPROM).
    public static func strippingTrailingPadding(_ bytes: [UInt8]) -> [UInt8] {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x00 || bytes[end - 1] == 0x20 || bytes[end - 1] == 0xFF { end -= 1 }
        return Array(bytes[..<end])
    }

    /// Decodes a padded card text field: strip trailing `00`/`20`/`FF`, then ASCII when every byte is below `80`,
    /// else GB 18030. Leading spaces are trimmed too. `nil` for an empty field or bytes that are not valid
    /// GB 18030; control characters (below `20`, and `7F`) make the field invalid as well.
    public static func decodePadded(_ bytes: [UInt8]) -> String? {
        var stripped = strippingTrailingPadding(bytes)
        while let first = stripped.first, first == 0x20 { stripped.removeFirst() }
        guard !stripped.isEmpty, !stripped.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        if stripped.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: stripped, as: UTF8.self)
        }
        return decodeGB18030(stripped)
    }
}
