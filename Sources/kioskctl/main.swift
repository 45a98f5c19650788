import ArgumentParser
import Foundation
import KioskCore
import Resolution

/// `kioskctl`: the technician's and venue staff's tool.
struct KioskCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskctl",
        abstract: "Technician tool for a CardKiosk: snapshots, the visit log, readers and cards.",
        subcommands: [
            Snapshot.self,
            Visits.self,
            Readers.self,
            ReadCard.self,
            Scan.self,
            Render.self,
            Doctor.self,
        ])
}

extension KioskCtl {
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build or inspect the offline status snapshot.", subcommands: [Import.self, Info.self])
    }

    struct Visits: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The visit log (到访人信息登记簿): counts without any identity.",
            subcommands: [Count.self, Summary.self])
    }
}

extension KioskCtl.Snapshot {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a snapshot from a people file (ID numbers / card numbers → statuses).",
            discussion: "Only subject keys (keyed hashes) are stored; the numbers and names in the file are not.")

        @Argument(help: "The people file: JSON, or CSV (by its .csv extension).")
        var file: String
        @Option(help: "Snapshot database to create or replace.")
        var snapshot = "/var/lib/kiosk/snapshot.sqlite"
        @Option(name: .customLong("time-zone"), help: "Time zone for relative dates in the file.")
        var timeZone = "Asia/Shanghai"

        func run() throws {
            let store = try SnapshotStore(path: snapshot)
            do {
                let summary = try SnapshotImporter.importPeople(
                    file: URL(fileURLWithPath: file), into: store,
                    timeZone: TimeZone(identifier: timeZone) ?? .current)
                print(
                    "snapshot \(summary.metadata.sequence) (epoch \(summary.metadata.epoch)): \(summary.people) people, "
                        + "\(summary.metadata.recordCount) subject keys → \(snapshot)")
            } catch let error as PeopleFileError {
                throw ValidationError("\(file): \(error)")
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the installed snapshot's metadata.")
        @Option(help: "Snapshot database.")
        var snapshot = "/var/lib/kiosk/snapshot.sqlite"

        func run() throws {
            try requireFile(snapshot, "snapshot")
            guard let metadata = try SnapshotStore(path: snapshot).metadata() else {
                print("no snapshot installed in \(snapshot)")
                throw ExitCode(1)
            }
            let age = Int(Date().timeIntervalSince(metadata.createdAt) / 60)
            print("\(metadata)\nage: \(age / 60) h \(age % 60) min")
        }
    }
}

extension KioskCtl.Visits {
    struct Count: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the number of visits in the log.")
        @Option(name: .customLong("visit-log"), help: "Visit log database.")
        var visitLog = "/var/lib/kiosk/visits.sqlite"

        func run() throws {
            try requireFile(visitLog, "visit log")
            print(try VisitLog(path: visitLog).count())
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Visits per hour, by result; no identities.")
        @Option(name: .customLong("visit-log"), help: "Visit log database.")
        var visitLog = "/var/lib/kiosk/visits.sqlite"

        func run() throws {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:00"
            formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
            try requireFile(visitLog, "visit log")
            for hour in try VisitLog(path: visitLog).summaryByHour() {
                let results = hour.byResult.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                print("\(formatter.string(from: hour.hour))  \(hour.total) visits  (\(results.joined(separator: ", ")))"
                    + "  pending upload \(hour.pending)")
            }
        }
    }
}

/// Dispatches by hand (what `AsyncParsableCommand.main()` does): `read-card` is async, and top-level code would
/// pick the synchronous `main()` and `run()`.
func runKioskCtl() async {
    do {
        var command = try KioskCtl.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    } catch {
        KioskCtl.exit(withError: error)
    }
}

await runKioskCtl()

/// Read-only commands must not create a database where a path was mistyped.
func requireFile(_ path: String, _ what: String) throws {
    guard FileManager.default.fileExists(atPath: path) else {
        throw ValidationError("no \(what) at \(path)")
    }
}
