public import Foundation
import GRDB

/// A damaged SQLite file (the snapshot or the visit log) moved out of the way so the kiosk can carry on with a fresh
/// one, and kept beside it for the technician: nothing is ever deleted.
///
/// The file and its `-wal` and `-shm` companions are renamed to `<name>.damaged-<UTC time>` (+ the same suffixes) in
/// the same directory, so a rename never copies and never needs free space.
public enum DamagedDatabase {
    /// Whether `error` says the file is damaged or not a database at all (`SQLITE_CORRUPT`, `SQLITE_NOTADB`), as
    /// opposed to a full disk, a permission or a lock, which moving the file would not cure.
    public static func isDamage(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }

    /// Renames the database at `path` and its `-wal`/`-shm` files to `<path>.damaged-<yyyyMMdd'T'HHmmss'Z'>` (a
    /// counter is added when that name exists). Files that do not exist are skipped.
    /// - Returns: the new path of the main file.
    /// - Throws: the file system's error when a file cannot be renamed (the files before it are already moved).
    @discardableResult
    public static func setAside(path: String, now: Date = Date()) throws -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let p = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: now)
        func two(_ value: Int?) -> String { (value ?? 0) < 10 ? "0\(value ?? 0)" : "\(value ?? 0)" }
        let stamp = "\(p.year ?? 0)\(two(p.month))\(two(p.day))T\(two(p.hour))\(two(p.minute))\(two(p.second))Z"
        var target = "\(path).damaged-\(stamp)"
        var counter = 1
        while FileManager.default.fileExists(atPath: target) {
            counter += 1
            target = "\(path).damaged-\(stamp)-\(counter)"
        }
        // The main file last: a crash half-way leaves a WAL without its database, which SQLite ignores.
        for suffix in ["-wal", "-shm", ""] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.moveItem(atPath: path + suffix, toPath: target + suffix)
        }
        return target
    }

    /// Copies set aside next to `path` (`<path>.damaged-*`, main files only), oldest first; for `kioskctl doctor`.
    public static func setAsideCopies(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + ".damaged-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(prefix) && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }.sorted()
            .map { directory + "/" + $0 }
    }
}
