import Foundation
public import Logging

/// A swift-log handler for standard error under systemd: one line per entry, prefixed with the syslog priority as
/// `<N>` so journald files it at the right level (`SyslogLevelPrefix=yes`, the default; systemd.exec(5)), without a
/// timestamp (journald adds its own). Metadata follows as sorted `key=value` pairs, e.g.
/// `<6>tap shown kiosk.event=card_tap kiosk.latency_ms=12.31 kiosk.provenance=online …`.
///
/// `kioskd` uses it when `$JOURNAL_STREAM` says standard error is connected to the journal, and swift-log's
/// `StreamLogHandler` otherwise.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let write: @Sendable (String) -> Void

    /// - Parameter write: where the lines go (standard error by default; tests collect them).
    public init(level: Logger.Level, write: @escaping @Sendable (String) -> Void = JournalLogHandler.standardError) {
        logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// syslog(3) priorities: debug 7, info 6, notice 5, warning 4, error 3, critical 2 (trace as debug).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public func log(event: LogEvent) {
        var merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if let error = event.error { merged["kiosk.error"] = "\(error)" }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let text = ([("\(event.message)")] + fields).joined(separator: " ").replacingOccurrences(of: "\n", with: " ")
        write("<\(Self.priority(event.level))>\(text)\n")
    }

    /// Writes to file descriptor 2 in one call per line.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }
}
