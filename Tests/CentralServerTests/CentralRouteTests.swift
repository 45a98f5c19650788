import CentralServer
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KioskCore
import Testing

@Suite("Central service routes (openapi/kiosk-central.yaml)")
struct CentralRouteTests {
    static func body(_ json: Any) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    // MARK: Authentication

    @Test func everyRouteNeedsTokenKioskAndVenue() async throws {
        let harness = try CentralHarness()
        try harness.importPeople([.zhang])
        var noVenue = CentralHarness.headers
        noVenue[HTTPField.Name("Venue-ID")!] = nil
        var otherKiosk = CentralHarness.headers
        otherKiosk[HTTPField.Name("Kiosk-ID")!] = "kiosk-2"
        var wrongToken = CentralHarness.headers
        wrongToken[.authorization] = "Bearer nope"
        var noKiosk = CentralHarness.headers
        noKiosk[HTTPField.Name("Kiosk-ID")!] = nil
        let cases: [HTTPFields] = [[:], wrongToken, noVenue, otherKiosk, noKiosk, [.authorization: "Basic x"]]
        let routes: [(String, HTTPRequest.Method)] = [
            ("/v1/status/lookup", .post), ("/v1/snapshots/manifest", .get),
            ("/v1/snapshots/payloads/" + String(repeating: "0", count: 64), .get), ("/v1/visits", .post),
        ]
        try await harness.app().test(.router) { client in
            for headers in cases {
                for (uri, method) in routes {
                    try await client.execute(uri: uri, method: method, headers: headers) { response in
                        #expect(response.status == .unauthorized, "\(method) \(uri)")
                        #expect(response.headers[.contentType] == "application/problem+json")
                        let problem = try Self.object(response)
                        #expect(problem["status"] as? Int == 401)
                    }
                }
            }
        }
    }

    // MARK: Lookup

    @Test func lookupAnswersKnownKeysAndLeavesUnknownOnesWithoutRecord() async throws {
        let harness = try CentralHarness()
        try harness.importPeople([.zhang, .li, .zhao])
        let state = try #require(try harness.store.state())
        let zhang = try harness.keys(of: .zhang)
        let unknown = SubjectKey(kind: .residentID, normalisedValue: TestPerson.idNumber("11010519491231003"), epochKey: state.epochKey)
        let li = try harness.keys(of: .li)[0]
        let zhao = try harness.keys(of: .zhao)[0]
        try await harness.app().test(.router) { client in
            let request: [String: Any] = [
                "epoch": state.epoch,
                "subjects": [unknown, zhang[1], li, zhao].map { ["key": $0.hex] },
            ]
            try await client.execute(
                uri: "/v1/status/lookup", method: .post, headers: CentralHarness.headers, body: try Self.body(request)
            ) { response in
                #expect(response.status == .ok)
                let json = try Self.object(response)
                #expect(json["epoch"] as? Int == state.epoch)
                let results = try #require(json["results"] as? [[String: Any]])
                #expect(results.map { $0["key"] as? String } == [unknown.hex, zhang[1].hex, li.hex, zhao.hex])
                #expect(results[0]["record"] == nil)
                let zhangRecord = try #require(results[1]["record"] as? [String: Any])
                #expect(zhangRecord["status"] as? String == "normal")
                #expect((zhangRecord["nat"] as? [String: Any])?["result"] as? String == "negative")
                #expect(zhangRecord["updatedAt"] as? String == "2026-05-28T00:00:00Z")
                let liRecord = try #require(results[2]["record"] as? [String: Any])
                #expect(liRecord["status"] as? String == "homeObservation")
                #expect(liRecord["popup"] as? [String: Int] == ["code": 2])  // known code: no text on the wire
                let zhaoPopup = try #require((results[3]["record"] as? [String: Any])?["popup"] as? [String: Any])
                #expect(zhaoPopup["zh"] as? String == "请到社区报到")
                #expect(zhaoPopup["en"] as? String == "Report to your community")
            }
        }
    }

    @Test func lookupRejectsTooManyNoneMalformedAndWrongEpoch() async throws {
        let harness = try CentralHarness()
        try harness.importPeople([.zhang])
        let state = try #require(try harness.store.state())
        let key = try harness.keys(of: .zhang)[0].hex
        try await harness.app().test(.router) { client in
            let bad: [(Any, HTTPResponse.Status)] = [
                (["epoch": state.epoch, "subjects": Array(repeating: ["key": key], count: 5)], .badRequest),
                (["epoch": state.epoch, "subjects": [[String: String]]()], .badRequest),
                (["epoch": state.epoch, "subjects": [["key": "xyz"]]], .badRequest),
                (["subjects": [["key": key]]], .badRequest),
                (["epoch": state.epoch + 1, "subjects": [["key": key]]], .conflict),
            ]
            for (request, status) in bad {
                try await client.execute(
                    uri: "/v1/status/lookup", method: .post, headers: CentralHarness.headers,
                    body: try Self.body(request)
                ) { response in
                    #expect(response.status == status)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            try await client.execute(
                uri: "/v1/status/lookup", method: .post, headers: CentralHarness.headers,
                body: ByteBuffer(string: "{not json")
            ) { response in #expect(response.status == .badRequest) }
        }
    }

    // MARK: Manifest and payloads

    @Test func manifestIsSignedAndTheFullPayloadHoldsEverySubject() async throws {
        let harness = try CentralHarness()
        let people: [TestPerson] = [.zhang, .li, .wang, .zhao]
        try harness.importPeople(people)
        let state = try #require(try harness.store.state())
        try await harness.app().test(.router) { client in
            let manifest = try await Self.manifest(client, since: nil)
            try manifest.verify(publicKey: harness.signingKey.publicKey)
            #expect(try manifest.epochKeyValue == state.epochKey)
            #expect(manifest.sequence == 1 && manifest.epoch == 1 && manifest.records == 6)
            #expect(manifest.maxAgeSeconds == 48 * 3600)
            #expect(manifest.createdAt == CentralHarness.start)
            #expect(manifest.delta == nil)
            #expect(manifest.full.url == "/v1/snapshots/payloads/\(manifest.full.sha256)")

            let bytes = try await Self.payload(client, manifest.full)
            let payload = try SnapshotPayload.decode(bytes)
            #expect(payload.header.kind == .full && payload.header.sequence == 1 && payload.header.epoch == 1)
            var expected: [SubjectKey: StatusRecord] = [:]
            for person in people {
                for key in try harness.keys(of: person) {
                    expected[key] = try #require(try harness.store.records(for: [key], epoch: 1)[0])
                }
            }
            #expect(payload.entries.count == expected.count)
            for entry in payload.entries {
                #expect(entry.change == .upsert(expected[entry.key]!))
            }
            // Built once: a second manifest names the same payload.
            #expect(try await Self.manifest(client, since: nil).full == manifest.full)
        }
    }

    @Test func deltaAfterASecondImportHoldsExactlyTheChanges() async throws {
        let harness = try CentralHarness()
        try harness.importPeople([.zhang, .li, .wang])
        try await harness.app().test(.router) { client in
            let first = try await Self.manifest(client, since: nil)
            let fullBefore = try SnapshotPayload.decode(try await Self.payload(client, first.full))

            harness.advance(seconds: 3600)
            var li = TestPerson.li
            li.status = "centralizedObservation"
            let summary = try harness.importPeople([.zhang, li, .zhao])  // wang removed, zhao added, li changed
            #expect(summary.sequence == 2 && summary.upserts == 2 && summary.deletes == 2)

            let second = try await Self.manifest(client, since: 1)
            try second.verify(publicKey: harness.signingKey.publicKey)
            #expect(second.sequence == 2)
            let deltaRef = try #require(second.delta)
            #expect(deltaRef.fromSequence == 1)
            let delta = try SnapshotPayload.decode(try await Self.payload(client, deltaRef))
            #expect(delta.header.kind == .delta && delta.header.fromSequence == 1 && delta.header.sequence == 2)

            let upserted = Set(try harness.keys(of: li) + harness.keys(of: .zhao))
            let deleted = Set(try harness.keys(of: .wang))
            #expect(Set(delta.entries.filter { $0.change != .delete }.map(\.key)) == upserted)
            #expect(Set(delta.entries.filter { $0.change == .delete }.map(\.key)) == deleted)

            // Applying the delta to the old full payload gives the new full payload.
            var applied = Dictionary(uniqueKeysWithValues: fullBefore.entries.map { ($0.key, $0.change) })
            for entry in delta.entries {
                if case .delete = entry.change { applied[entry.key] = nil } else { applied[entry.key] = entry.change }
            }
            let fullAfter = try SnapshotPayload.decode(try await Self.payload(client, second.full))
            #expect(applied == Dictionary(uniqueKeysWithValues: fullAfter.entries.map { ($0.key, $0.change) }))

            // An unchanged re-import moves only the as-of time.
            harness.advance(seconds: 60)
            #expect(try harness.importPeople([.zhang, li, .zhao]).changed == false)
            let third = try await Self.manifest(client, since: 2)
            #expect(third.sequence == 2 && third.delta == nil && third.full == second.full)
            #expect(third.createdAt == harness.now)
        }
    }

    /// Payload files of sequences no manifest names any more are deleted (the previous sequence's stay, for kiosks
    /// still downloading them), so the centre's disk does not grow with every import.
    @Test func payloadsOfOldSequencesAreDeleted() async throws {
        let harness = try CentralHarness()
        try harness.importPeople([.zhang])
        try await harness.app().test(.router) { client in
            let first = try await Self.manifest(client, since: nil)
            var li = TestPerson.li
            harness.advance(seconds: 60)
            try harness.importPeople([.zhang, li])
            let second = try await Self.manifest(client, since: 1)
            li.status = li.status == "normal" ? "centralizedObservation" : "normal"
            harness.advance(seconds: 60)
            #expect(try harness.importPeople([.zhang, li]).changed)
            let third = try await Self.manifest(client, since: 2)
            #expect(third.sequence == 3)
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: harness.payloadDirectory))
            #expect(!files.contains(first.full.sha256), "sequence 1's full payload is gone")
            #expect(files.contains(second.full.sha256) && files.contains(third.full.sha256))
            #expect(files.contains(try #require(third.delta).sha256))
            let gone = try await client.execute(
                uri: "/v1/snapshots/payloads/\(first.full.sha256)", method: .get, headers: CentralHarness.headers)
            #expect(gone.status == .notFound)
        }
    }

    @Test func onlyAFullPayloadWhenSinceIsTooOldUnknownCurrentOrOfAnOldEpoch() async throws {
        let harness = try CentralHarness(retentionSeconds: 86400)
        try harness.importPeople([.zhang])
        harness.advance(seconds: 2 * 86400)
        try harness.importPeople([.zhang, .li])  // sequence 2; sequence 1 is now older than the retention
        try await harness.app().test(.router) { client in
            #expect(try await Self.manifest(client, since: 1).delta == nil)
            #expect(try await Self.manifest(client, since: 2).delta == nil)
            #expect(try await Self.manifest(client, since: 99).delta == nil)
            #expect(try await Self.manifest(client, since: 0).delta == nil)
            harness.advance(seconds: 60)
            try harness.importPeople([.li])
            #expect(try await Self.manifest(client, since: 2).delta?.fromSequence == 2)

            // Rotation: pending until the next import, then a full snapshot in the new epoch and no delta across.
            let oldKey = try #require(try harness.store.state()).epochKey
            #expect(try harness.store.rotateEpoch(now: harness.now) == 2)
            #expect(try await Self.manifest(client, since: 2).epoch == 1)
            harness.advance(seconds: 60)
            let summary = try harness.importPeople([.li])
            #expect(summary.epoch == 2 && summary.sequence == 4 && summary.changed)
            let rotated = try await Self.manifest(client, since: 3)
            #expect(rotated.epoch == 2 && rotated.sequence == 4 && rotated.delta == nil)
            #expect(try rotated.epochKeyValue.bytes != oldKey.bytes)
            let full = try SnapshotPayload.decode(try await Self.payload(client, rotated.full))
            let liKeys = Set(try harness.keys(of: .li))
            #expect(full.header.epoch == 2)
            #expect(Set(full.entries.map(\.key)) == liKeys)
            // Old-epoch keys no longer answer.
            try await client.execute(
                uri: "/v1/status/lookup", method: .post, headers: CentralHarness.headers,
                body: try Self.body(["epoch": 1, "subjects": [["key": String(repeating: "ab", count: 16)]]])
            ) { response in #expect(response.status == .conflict) }
        }
    }

    @Test func payloadsSupportRangesAndAreImmutable() async throws {
        let harness = try CentralHarness()
        try harness.importPeople([.zhang, .li, .wang])
        try await harness.app().test(.router) { client in
            let manifest = try await Self.manifest(client, since: nil)
            let whole = try await Self.payload(client, manifest.full)
            let uri = manifest.full.url
            let size = whole.count
            try await client.execute(uri: uri, method: .get, headers: CentralHarness.headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(response.headers[.eTag] == "\"\(manifest.full.sha256)\"")
                #expect(response.headers[.acceptRanges] == "bytes")
                #expect(response.headers[.contentType] == "application/octet-stream")
            }
            for (range, expected) in [
                ("bytes=100-", 100...(size - 1)), ("bytes=10-19", 10...19), ("bytes=0-0", 0...0),
                ("bytes=50-\(size + 100)", 50...(size - 1)), ("bytes=-5", (size - 5)...(size - 1)),
            ] {
                var headers = CentralHarness.headers
                headers[.range] = range
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.status == .partialContent, "\(range)")
                    #expect(response.headers[.contentRange] == "bytes \(expected.lowerBound)-\(expected.upperBound)/\(size)")
                    #expect(Array(response.body.readableBytesView) == Array(whole[expected]))
                }
            }
            for range in ["bytes=\(size)-", "bytes=\(size + 10)-\(size + 20)"] {
                var headers = CentralHarness.headers
                headers[.range] = range
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.status == .rangeNotSatisfiable, "\(range)")
                    #expect(response.headers[.contentRange] == "bytes */\(size)")
                }
            }
            var conditional = CentralHarness.headers
            conditional[.ifNoneMatch] = "\"\(manifest.full.sha256)\""
            try await client.execute(uri: uri, method: .get, headers: conditional) { response in
                #expect(response.status == .notModified)
            }
            for missing in [String(repeating: "0", count: 64), "not-a-hash", String(repeating: "A", count: 64)] {
                try await client.execute(
                    uri: "/v1/snapshots/payloads/\(missing)", method: .get, headers: CentralHarness.headers
                ) { response in #expect(response.status == .notFound) }
            }
        }
    }

    @Test func manifestBeforeAnyImportIsAProblem() async throws {
        let harness = try CentralHarness()
        try await harness.app().test(.router) { client in
            try await client.execute(uri: "/v1/snapshots/manifest", method: .get, headers: CentralHarness.headers) {
                #expect($0.status == .serviceUnavailable)
                #expect($0.headers[.contentType] == "application/problem+json")
            }
        }
    }

    // MARK: Visits

    @Test func visitsAreIdempotentAcrossRetries() async throws {
        let harness = try CentralHarness()
        try harness.importPeople([.zhang])
        let key = try harness.keys(of: .zhang)[0].hex
        @Sendable func visit(_ id: UUID, key: String? = nil) -> [String: Any] {
            var v: [String: Any] = [
                "id": id.uuidString.lowercased(), "at": "2026-05-28T08:00:00Z", "result": key == nil ? "unknown" : "normal",
                "provenance": "online",
            ]
            if let key { v["subjectKey"] = key; v["epoch"] = 1 }
            return v
        }
        let ids = (0..<3).map { _ in UUID() }
        try await harness.app().test(.router) { client in
            func post(_ visits: [[String: Any]]) async throws -> Receipt {
                try await client.execute(
                    uri: "/v1/visits", method: .post, headers: CentralHarness.headers,
                    body: try Self.body(["visits": visits])
                ) { response in
                    let json = (try? Self.object(response)) ?? [:]
                    return Receipt(json["accepted"] as? Int ?? -1, json["duplicates"] as? Int ?? -1, response.status)
                }
            }
            let batch = [visit(ids[0], key: key), visit(ids[1]), visit(ids[2], key: key)]
            do {
                let receipt = try await post(batch)
                #expect(receipt == Receipt(3, 0, .ok))
            }
            do {
                let receipt = try await post(batch)
                #expect(receipt == Receipt(0, 3, .ok))
            }
            let fresh = UUID()
            do {
                let receipt = try await post([visit(fresh), visit(ids[1]), visit(fresh)])
                #expect(receipt == Receipt(1, 2, .ok))
            }
            #expect(try harness.store.visitCount() == 4)
            do {
                let receipt = try await post([])
                #expect(receipt == Receipt(0, 0, .ok))
            }
            do {
                let receipt = try await post((0..<501).map { _ in visit(UUID()) })
                #expect(receipt.status == .badRequest)
            }
            var badID = visit(UUID())
            badID["id"] = "not-a-uuid"
            do {
                let receipt = try await post([badID])
                #expect(receipt.status == .badRequest)
            }
            var badTime = visit(UUID())
            badTime["at"] = "yesterday"
            do {
                let receipt = try await post([badTime])
                #expect(receipt.status == .badRequest)
            }
            #expect(try harness.store.visitCount() == 4)
        }
    }

    // MARK: Helpers

    struct Receipt: Equatable {
        var accepted: Int
        var duplicates: Int
        var status: HTTPResponse.Status
        init(_ accepted: Int, _ duplicates: Int, _ status: HTTPResponse.Status) {
            self.accepted = accepted
            self.duplicates = duplicates
            self.status = status
        }
    }

    static func manifest(_ client: some TestClientProtocol, since: Int?) async throws -> SnapshotManifest {
        let uri = since.map { "/v1/snapshots/manifest?since=\($0)" } ?? "/v1/snapshots/manifest"
        return try await client.execute(uri: uri, method: .get, headers: CentralHarness.headers) { response in
            #expect(response.status == .ok)
            return try JSONDecoder().decode(SnapshotManifest.self, from: Data(response.body.readableBytesView))
        }
    }

    static func payload(_ client: some TestClientProtocol, _ reference: PayloadReference) async throws -> [UInt8] {
        try await client.execute(uri: reference.url, method: .get, headers: CentralHarness.headers) { response in
            #expect(response.status == .ok)
            let bytes = Array(response.body.readableBytesView)
            #expect(reference.matches(bytes))
            return bytes
        }
    }
}
