import Foundation

/// WCAG 2.x colour contrast (Success Criterion 1.4.6, level AAA: at least 7:1 for text).
public enum Contrast {
    /// The minimum ratio every text on a kiosk screen keeps against its background (WCAG AAA).
    public static let minimumTextRatio = 7.0

    /// Relative luminance of an sRGB colour `0x00RRGGBB`, from 0 (black) to 1 (white): each channel linearised
    /// (c/12.92 up to 0.04045, else ((c+0.055)/1.055)^2.4), weighted 0.2126 R + 0.7152 G + 0.0722 B.
    public static func relativeLuminance(_ color: UInt32) -> Double {
        func linear(_ channel: UInt32) -> Double {
            let c = Double(channel & 0xFF) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(color >> 16) + 0.7152 * linear(color >> 8) + 0.0722 * linear(color)
    }

    /// Contrast ratio of two colours, (L1 + 0.05) / (L2 + 0.05) with L1 the lighter: 1 (same) to 21 (black on
    /// white). Symmetric.
    public static func ratio(_ a: UInt32, _ b: UInt32) -> Double {
        let la = relativeLuminance(a)
        let lb = relativeLuminance(b)
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }
}

/// The colours of kiosk screens, `0x00RRGGBB`. Every text colour is paired with the backgrounds it is drawn on at
/// a contrast of at least ``Contrast/minimumTextRatio`` (checked by the tests for every pair).
public enum Palette {
    /// Page background and its text.
    public static let page: UInt32 = 0xFFFFFF
    public static let text: UInt32 = 0x111111
    /// Secondary text (labels, English under Chinese) on the page: 12.6:1.
    public static let secondaryText: UInt32 = 0x333333
    /// Header bar (venue, date and time) and its text.
    public static let header: UInt32 = 0x15202B
    public static let headerText: UInt32 = 0xFFFFFF
    /// Footer (provenance) background.
    public static let footer: UInt32 = 0xE8E8E8
    /// Pop-up notice box background and border.
    public static let notice: UInt32 = 0xFFF0B3
    public static let noticeBorder: UInt32 = 0x8A6D00

    /// The status band's background and the colour of its words and icon.
    public static func band(_ tone: Screen.Tone) -> (background: UInt32, foreground: UInt32) {
        switch tone {
        case .green: (0x2ECC71, 0x000000)
        case .yellow: (0xFFD21F, 0x000000)
        case .red: (0xA30000, 0xFFFFFF)
        case .blue: (0x0B4A8F, 0xFFFFFF)
        case .neutral: (0x3A4750, 0xFFFFFF)
        }
    }
}
