import CentralServer
import Crypto
import Display
import Foundation
import Hummingbird
import KioskCore
import KioskDaemon
import KioskTestSupport
import Logging
import Resolution
import ServiceLifecycle
import Synchronization
import Testing
import VirtualCard

/// `kioskd` against the real reference central service on 127.0.0.1: the snapshot comes from the centre's signed
/// manifest, a tap is answered online, and once the centre is gone the next tap is answered from the snapshot.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct CentralEndToEndTests {
    @Test func onlineThenOfflineWhenTheCentreGoes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("central-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let people = """
            {"people": [{"name": "王小测", "idNumber": "110101194605121231", "pan": "6299999900000000014",
              "status": "centralizedObservation", "nat": {"sampledAt": "2026-11-01T08:00:00Z", "result": "negative"}}]}
            """
        try await ReferenceCentral.with(
            token: "e2e-token", kiosk: "e2e-kiosk", people: people, databaseIn: directory, logLabel: "central.e2e"
        ) { central in
            try await KioskUnderTest.with(
                status: "normal",
                configure: {
                    $0.central = CentralSettings(
                        baseURL: central.baseURL, token: "e2e-token", kioskID: "e2e-kiosk",
                        publicKeyBase64: central.publicKeyBase64,
                        lookupDeadlineMilliseconds: 5000, stateDirectory: directory.path)
                }
            ) { kiosk in
                // Wait for the start-up sync to replace the locally imported snapshot (epoch 3) with the centre's.
                let snapshot = try SnapshotStore(path: kiosk.directory.appendingPathComponent("snapshot.sqlite").path)
                for _ in 0..<500 where try snapshot.metadata()?.epoch != 1 { try await Task.sleep(for: .milliseconds(10)) }
                #expect(try snapshot.metadata()?.epoch == 1)
                let slot = kiosk.harness.slot(0)
                try slot.insert(PBOCCardImage())
                // The local snapshot says "normal"; the centre says "centralized": the answer must be the centre's.
                let online = try await kiosk.nextFrame("online result") { $0.tapToFrame != nil }
                #expect(online.screen.kind == .result(.centralizedObservation))
                #expect(online.screen.provenance == Guidance(zh: "实时", en: "Online"))
                try await kiosk.harness.remove(slot, waitingForReader: 0)

                await central.stop()
                try await Task.sleep(for: .milliseconds(200))
                try slot.insert(PBOCCardImage())
                let offline = try await kiosk.nextFrame("offline result") { $0.tapToFrame != nil }
                // The snapshot now is the centre's (synced at start), so it also says "centralized".
                #expect(offline.screen.kind == .result(.centralizedObservation))
                #expect(offline.screen.provenance?.en.hasPrefix("Offline data as of") == true)
                try await kiosk.harness.remove(slot, waitingForReader: 0)
                #expect(try kiosk.visits.count() == 2)
                let recorded = try kiosk.visits.pending(limit: 10)
                #expect(recorded.allSatisfy { $0.subjectKey != nil && $0.epoch == 1 }, "keys of the centre's epoch 1")
            }
        }
    }
}
