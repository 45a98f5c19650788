import ArgumentParser
import CentralServer
import Foundation
import Hummingbird
import KioskCore
import Logging
import ServiceLifecycle
import UnixSignals

@main
struct KioskCentral: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk-central",
        abstract: "The CardKiosk reference central service (DESIGN.md §5).",
        subcommands: [Serve.self, Keygen.self, Import.self, RotateEpoch.self])
}

struct DatabaseOption: ParsableArguments {
    @Option(help: "SQLite database file (created if absent).")
    var database: String
}

extension KioskCentral {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve the kiosk API until SIGTERM or SIGINT.")

        @OptionGroup var database: DatabaseOption
        @Option(help: "File with the 32-byte Ed25519 private key (from `keygen`).") var signingKey: String
        @Option(help: "Token file: one `token kiosk-id` per line.") var tokens: String
        @Option(help: "Address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, for kiosks on the network).")
        var host = "127.0.0.1"
        @Option(help: "Port; 0 picks a free one (printed).") var port = 8080

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port: 0 to 65535") }
        }
        @Option(help: "Directory for built payloads (default: <database>.payloads).") var payloads: String?
        @Option(help: "Snapshot maximum age advertised to kiosks, in hours.") var maxAgeHours = 48
        @Option(help: "How long deltas are offered, in days.") var deltaRetentionDays = 7

        func run() async throws {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            let logger = Logger(label: "kiosk-central")
            let configuration = CentralConfiguration(
                databasePath: database.database, payloadDirectory: payloads,
                signingKey: try CentralConfiguration.loadSigningKey(contentsOf: URL(fileURLWithPath: signingKey)),
                deviceTokens: try CentralConfiguration.loadTokens(contentsOf: URL(fileURLWithPath: tokens)),
                snapshotMaxAgeSeconds: maxAgeHours * 3600, deltaRetentionSeconds: deltaRetentionDays * 86400,
                host: host, port: port)
            let app = try makeCentralApplication(configuration: configuration, logger: logger) { port in
                FileHandle.standardOutput.write(Data("kiosk-central listening on \(configuration.host):\(port)\n".utf8))
            }
            let group = ServiceGroup(
                services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 signing key; print its public key (base64) for the kiosks' configuration.")

        @Option(help: "Where to write the 32-byte private key (mode 0600).") var out: String

        func run() throws {
            print(try CentralConfiguration.writeNewSigningKey(to: URL(fileURLWithPath: out)))
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a people file (JSON, or CSV by its .csv extension): hash every identity, store only subject keys and statuses.")

        @Argument(help: "The people file: JSON (format: SnapshotImporter in Resolution) or .csv (columns: PeopleFile.csvColumns, docs/people-file.md).") var people: String
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try CentralStore(path: database.database)
            let summary = try importPeople(at: people, into: store)
            print(
                summary.changed
                    ? "imported \(summary.people) people (\(summary.subjects) subject keys): \(summary.upserts) added or changed, \(summary.deletes) removed; epoch \(summary.epoch), sequence \(summary.sequence)"
                    : "imported \(summary.people) people: no change; epoch \(summary.epoch), sequence \(summary.sequence)")
        }
    }

    struct RotateEpoch: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-epoch",
            abstract: "Create the next key epoch. It takes effect with the next import (raw numbers are not stored).")

        @OptionGroup var database: DatabaseOption
        @Option(help: "Import this people file right away, activating the new epoch.") var people: String?

        func run() throws {
            let store = try CentralStore(path: database.database)
            let epoch = try store.rotateEpoch(now: Date())
            if let people {
                let summary = try importPeople(at: people, into: store)
                print("epoch \(summary.epoch) active from sequence \(summary.sequence) (\(summary.subjects) subject keys)")
            } else {
                print("epoch \(epoch) pending: import the people file to activate it")
            }
        }
    }
}

/// Reads a people file (JSON, or CSV by its extension) and imports it. A CSV file's problems are described by
/// spreadsheet row number.
private func importPeople(at path: String, into store: CentralStore) throws -> CentralStore.ImportSummary {
    let file = URL(fileURLWithPath: path)
    let data = try PeopleFile.contents(of: file)
    do {
        return try store.importPeople(data: data, now: Date())
    } catch let error as PeopleFileError where PeopleFile.isCSV(file) {
        throw error.numberedAsCSVRows()
    }
}
