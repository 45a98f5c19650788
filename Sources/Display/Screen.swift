public import KioskCore

/// Everything one kiosk screen shows, as a value (DESIGN.md §1 step 6). ``Layout`` builds it; a renderer
/// (``TerminalRenderer`` now, framebuffer and PNG later) draws it. Personal data in it is masked already.
public struct Screen: Sendable, Hashable {
    /// What the screen is about.
    public enum Kind: Sendable, Hashable {
        /// Waiting for a card: "请刷卡 Please tap your card".
        case idle
        /// A card is on the reader and being read.
        case reading
        /// The person's status was found.
        case result(HealthStatus)
        /// No source knows the person.
        case unknownPerson
        /// The card could not be read; the guidance says what to do.
        case unreadableCard(Guidance)
        /// The card was read but its ID number is not valid.
        case invalidID
        /// No trustworthy answer (no data, stale snapshot, wrong clock).
        case cannotVerify(CannotVerifyReason)
        /// Any other notice (maintenance, starting up).
        case message(Guidance)
        /// A resident ID card was put on a reader that cannot read it (only the SAM ID-card reader can).
        case idCardOnWrongReader
        /// A scanned code the kiosk cannot use; the guidance says why.
        case codeNotRecognised(Guidance)
        /// 他人代查: several people tapped in a row (one helper with several cards), shown as ``Screen/tiles``.
        case severalPeople
    }

    /// The colour family of the screen. Never the only signal: every tone comes with an ``Icon`` shape and words.
    public enum Tone: String, Sendable, Hashable, CaseIterable {
        case green, yellow, red, neutral, blue
    }

    /// The shape drawn next to the status word, so the status reads without colour.
    public enum Icon: String, Sendable, Hashable, CaseIterable {
        /// ✓ in a circle: no abnormality.
        case checkInCircle
        /// ! in a triangle: home observation, or a notice to act on.
        case exclamationInTriangle
        /// ✕ in a square: centralized observation.
        case crossInSquare
        /// ? in a circle: unknown person, cannot verify.
        case questionInCircle
        /// A card: tap your card, card not read.
        case card
        /// An hourglass: reading.
        case hourglass
        /// i in a circle: other messages.
        case info

        /// A one-character symbol for renderers without room for the drawn shape.
        public var symbol: String {
            switch self {
            case .checkInCircle: "✓"
            case .exclamationInTriangle: "!"
            case .crossInSquare: "✕"
            case .questionInCircle: "?"
            case .card: "▭"
            case .hourglass: "⧗"
            case .info: "i"
            }
        }
    }

    /// One labelled detail line, e.g. 核酸检测 / Nucleic acid test: 阴性 · 24 小时内 / Negative · within 24 h.
    public struct Detail: Sendable, Hashable {
        public var label: Guidance
        public var value: Guidance

        public init(label: Guidance, value: Guidance) {
            self.label = label
            self.value = value
        }
    }

    /// The 弹窗 pop-up notice: its category title and what to do.
    public struct Notice: Sendable, Hashable {
        public var code: Int
        public var title: Guidance
        public var guidance: Guidance

        public init(code: Int, title: Guidance, guidance: Guidance) {
            self.code = code
            self.title = title
            self.guidance = guidance
        }
    }

    /// One person on a 他人代查 screen: status words, shape and colour, masked name and ID, the pop-up category.
    public struct Tile: Sendable, Hashable {
        public var tone: Tone
        public var icon: Icon
        public var title: Guidance
        public var maskedName: String?
        public var maskedID: String?
        /// The pop-up category title, if the person has one.
        public var notice: Guidance?

        public init(
            tone: Tone, icon: Icon, title: Guidance, maskedName: String? = nil, maskedID: String? = nil,
            notice: Guidance? = nil
        ) {
            self.tone = tone
            self.icon = icon
            self.title = title
            self.maskedName = maskedName
            self.maskedID = maskedID
            self.notice = notice
        }
    }

    /// The most people one 他人代查 screen shows.
    public static let maximumTiles = 4

    public var kind: Kind
    public var tone: Tone
    public var icon: Icon
    /// The big words: the status, or what happened.
    public var title: Guidance
    /// What the person should do, if anything.
    public var instruction: Guidance?
    /// Cardholder name with the middle masked (张*明, Wang *** Li).
    public var maskedName: String?
    /// ID as first 3 + last 4, PAN as first 6 + last 4.
    public var maskedID: String?
    /// Nucleic-acid test, vaccination, commuter mark.
    public var details: [Detail]
    public var popup: Notice?
    /// Where the answer came from: "实时 Online" or "离线数据 截至 11-29 08:00 / Offline data as of 11-29 08:00".
    public var provenance: Guidance?
    public var venue: String
    /// Current date and time in the kiosk's time zone, e.g. "2026-11-29 08:00 周日 Sun".
    public var dateTime: String
    /// 他人代查: one tile per person, in tap order, at most ``maximumTiles``; empty otherwise.
    public var tiles: [Tile]

    public init(
        kind: Kind, tone: Tone, icon: Icon, title: Guidance, instruction: Guidance? = nil, maskedName: String? = nil,
        maskedID: String? = nil, details: [Detail] = [], popup: Notice? = nil, provenance: Guidance? = nil,
        venue: String, dateTime: String, tiles: [Tile] = []
    ) {
        self.kind = kind
        self.tone = tone
        self.icon = icon
        self.title = title
        self.instruction = instruction
        self.maskedName = maskedName
        self.maskedID = maskedID
        self.details = details
        self.popup = popup
        self.provenance = provenance
        self.venue = venue
        self.dateTime = dateTime
        self.tiles = tiles
    }
}
