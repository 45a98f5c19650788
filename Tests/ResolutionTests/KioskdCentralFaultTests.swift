import Foundation
import Glibc
import KioskCore
import Testing

@testable import Resolution

/// The central service failing under a running `kioskd` (the executable, a serial scanner on a pseudo-terminal, a
/// fake centre on 127.0.0.1): each fault of the resolution issue at the level of the whole kiosk. For each, what the
/// person sees (the terminal: the snapshot's answer and "offline data as of"), what the log says (the fault's code),
/// and that the next tap works (online again when the centre is).
@Suite(.serialized, .kioskdSubprocessExclusive) struct KioskdCentralFaultTests {
    /// Two people, scanned in turn (the scanner drops the same code again within 2 s). The centre's status differs
    /// from the demo snapshot's, so the screen tells the two sources apart.
    struct Person {
        var id: String
        var online: HealthStatus
        var onlineTitle: String
        var snapshot: HealthStatus
        var snapshotTitle: String
    }

    static let people = [
        Person(id: KioskdKillTests.scannedIDs[1], online: .centralizedObservation, onlineTitle: "集中观察",
               snapshot: .homeObservation, snapshotTitle: "居家观察"),  // 李秀英
        Person(id: KioskdKillTests.scannedIDs[0], online: .homeObservation, onlineTitle: "居家观察",
               snapshot: .normal, snapshotTitle: "未见异常"),  // 张三明
    ]

    @Test func everyCentralFaultIsAnsweredFromTheSnapshotAndTheNextTapWorks() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let snapshotPath = dir.path("snapshot.sqlite")
        let store = try SnapshotStore(path: snapshotPath)
        try SnapshotImporter.importPeople(file: KioskdKillTests.demoPeopleFile, into: store)
        let epochKey = try #require(try store.metadata()).epochKey
        let central = FakeCentral()
        central.update {
            $0.epoch = epochKey.epoch
            for person in Self.people {
                $0.records[SubjectKey(identity: Demo.identity(.residentID, person.id), epochKey: epochKey)] =
                    FakeCentral.recordJSON(person.online)
            }
        }
        let token = try dir.write(FakeCentral.token, to: "token")
        let scanner = try PseudoTerminalPair()
        let publisher = TestPublisher()
        let turn = Turn()

        let kioskd = try await central.run { baseURL in
            let kioskd = try KioskdProcess(
                arguments: [
                    "--snapshot", snapshotPath, "--visit-log", dir.path("visits.sqlite"), "--renderer", "terminal",
                    "--no-scanner-discovery", "--scanner", "serial:\(scanner.slavePath)", "--hold", "30",
                    "--central-url", baseURL, "--token-file", token.path, "--kiosk-id", "kiosk-fault-test",
                    "--central-public-key", publisher.publicKeyBase64,
                ],
                environment: ["KIOSKD_CENTRAL_LOOKUP_DEADLINE_MS": "1500"], captureScreen: true)
            #expect(try await kioskd.waitForLine("input scanner-serial"), "\(kioskd.tail())")

            let online = try await Self.tap(kioskd, scanner, turn)
            Self.expectOnline(online, kioskd, "at start")
            let faults: [(String, FakeCentral.LookupMode, String)] = [
                ("500", .status(500), "serverError"), ("503", .status(503), "serverError"),
                ("garbage", .body("<html>oops"), "malformedAnswer"), ("409", .status(409), "epochMismatch"),
                ("other epoch", .body(#"{"epoch":99,"results":[]}"#), "malformedAnswer"),
            ]
            for (name, mode, code) in faults {
                central.update { $0.lookupMode = mode }
                let tap = try await Self.tap(kioskd, scanner, turn)
                Self.expectSnapshot(tap, kioskd, name)
                let failures = kioskd.lines(containing: "central lookup failed")
                #expect(failures.last?.contains("kiosk.central.error=\(code)") == true, "\(name): \(failures.last ?? "no line")")
                central.update { $0.lookupMode = .normal }
                Self.expectOnline(try await Self.tap(kioskd, scanner, turn), kioskd, "after \(name)")
            }
            // Slower than the deadline: the snapshot answers, and the next taps skip the centre for a while (backoff).
            central.update { $0.lookupMode = .delay(.seconds(6)) }
            Self.expectSnapshot(try await Self.tap(kioskd, scanner, turn), kioskd, "slow")
            #expect(kioskd.lines(containing: "central lookup failed").last?.contains("kiosk.central.error=timeout") == true)
            Self.expectSnapshot(try await Self.tap(kioskd, scanner, turn), kioskd, "after slow (backing off)")
            return kioskd
        }
        // The centre is gone: still answered, from the snapshot.
        Self.expectSnapshot(try await Self.tap(kioskd, scanner, turn), kioskd, "centre down")
        try await kioskd.stop(SIGTERM)
        let errors = kioskd.allLines.filter(KioskdRandomKillTests.isErrorLine)
        #expect(errors.isEmpty, "\(errors)")
    }

    struct Tap {
        var person: Person
        var line: String
        var screen: String
    }

    /// Whose turn it is to be scanned.
    final class Turn: @unchecked Sendable {
        private var next = 0
        func take() -> Person {
            defer { next += 1 }
            return KioskdCentralFaultTests.people[next % KioskdCentralFaultTests.people.count]
        }
    }

    /// Scans the next person and waits for the next "tap shown" line; returns it and the screen drawn for it.
    static func tap(_ kioskd: KioskdProcess, _ scanner: PseudoTerminalPair, _ turn: Turn) async throws -> Tap {
        let person = turn.take()
        let before = kioskd.lines(containing: "tap shown").count
        let offset = kioskd.screenByteCount
        scanner.write(person.id + "\r\n")
        let deadline = ContinuousClock.now + .seconds(20)
        while kioskd.lines(containing: "tap shown").count == before, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let line = try #require(kioskd.lines(containing: "tap shown").dropFirst(before).first, "no tap: \(kioskd.tail())")
        // The frame is written before the line is logged; give the pipe a moment to deliver it.
        var screen = kioskd.screen(after: offset)
        for _ in 0..<200 where !screen.contains("实时") && !screen.contains("Offlinedataasof") {
            try await Task.sleep(for: .milliseconds(10))
            screen = kioskd.screen(after: offset)
        }
        return Tap(person: person, line: line, screen: screen)
    }

    static func expectOnline(_ tap: Tap, _ kioskd: KioskdProcess, _ what: String) {
        #expect(tap.line.contains("kiosk.provenance=online"), "\(what): \(tap.line)")
        #expect(tap.line.contains("kiosk.result=\(tap.person.online.rawValue)"), "\(what): \(tap.line)")
        #expect(
            tap.screen.contains(tap.person.onlineTitle) && tap.screen.contains("实时"),
            "\(what): the screen shows \(tap.screen.suffix(300))")
    }

    static func expectSnapshot(_ tap: Tap, _ kioskd: KioskdProcess, _ what: String) {
        #expect(tap.line.contains("kiosk.provenance=snapshot"), "\(what): \(tap.line)")
        #expect(tap.line.contains("kiosk.result=\(tap.person.snapshot.rawValue)"), "\(what): \(tap.line)")
        #expect(
            tap.screen.contains(tap.person.snapshotTitle) && tap.screen.contains("Offlinedataasof"),
            "\(what): the screen shows \(tap.screen.suffix(300))")
    }
}
