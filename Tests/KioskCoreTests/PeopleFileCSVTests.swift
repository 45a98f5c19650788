import Foundation
import Testing

@testable import KioskCore

/// CSV people files (kiosk-central import, kioskctl snapshot import): converted to the JSON people file, so they
/// give exactly the identities and records the same people give in JSON, and bad rows are named, not printed.
@Suite struct PeopleFileCSVTests {
    let now = Date(timeIntervalSince1970: 1_795_939_200)  // 2026-11-29T08:00:00Z
    let utc = TimeZone(identifier: "UTC")!

    @Test func csvAndJSONOfTheSamePeopleParseTheSame() throws {
        let csv = #"""
            name,idNumber,pan,status,popupCode,popupZh,popupEn,natResult,natSampledAt,vaccineDoses,lastDose,commuterUntil
            张三明,11010519491231002X,6231010000000000011,normal,,,,negative,2026-11-28T12:00:00Z,3,2022-01-10,2026-12-10
            "Li, Xiuying",11010119520304002X,,homeObservation,9,"请联系社区，""居家""",Call your community,,,,,
            """#
        let json = #"""
            {"people": [
              {"name": "张三明", "idNumber": "11010519491231002X", "pan": "6231010000000000011", "status": "normal",
               "nat": {"result": "negative", "sampledAt": "2026-11-28T12:00:00Z"},
               "vaccination": {"doses": 3, "lastDose": "2022-01-10"}, "commuterUntil": "2026-12-10"},
              {"name": "Li, Xiuying", "idNumber": "11010119520304002X", "status": "homeObservation",
               "popup": {"code": 9, "zh": "请联系社区，\"居家\"", "en": "Call your community"}}
            ]}
            """#
        let fromCSV = try PeopleFile.parse(try PeopleFile.json(fromCSV: csv), now: now, timeZone: utc)
        let fromJSON = try PeopleFile.parse(Data(json.utf8), now: now, timeZone: utc)
        #expect(fromCSV.people == fromJSON.people)
        #expect(fromCSV.people.count == 2)
        #expect(fromCSV.people[0].identities.map(\.kind) == [.residentID, .bankCardPAN])
        #expect(fromCSV.people[1].record.popup?.guidance.zh == "请联系社区，\"居家\"")
        #expect(fromCSV.people[0].record.vaccination?.doses == 3)
    }

    @Test func problemsNameTheRowAndColumnNeverTheValue() throws {
        let secret = "11010519491231002X"
        let cases: [(String, PeopleFileError.Problem)] = [
            ("idNumber,colour\n\(secret),red", .init(row: nil, field: "colour", reason: "")),
            ("idNumber,status\n\(secret)", .init(row: 0, field: "file", reason: "")),
            ("idNumber,status,vaccineDoses\n\(secret),normal,three", .init(row: 0, field: "vaccineDoses", reason: "")),
            ("idNumber,status,popupZh\n\(secret),normal,说明", .init(row: 0, field: "popupCode", reason: "")),
            ("", .init(row: nil, field: "file", reason: "")),
            ("idNumber,idNumber,status\n\(secret),\(secret),normal", .init(row: nil, field: "idNumber", reason: "")),
        ]
        for (csv, expected) in cases {
            do {
                _ = try PeopleFile.json(fromCSV: csv)
                Issue.record("accepted: \(expected.field)")
            } catch {
                let problem = try #require(error.problems.first)
                #expect(problem.row == expected.row && problem.field == expected.field, "\(error)")
                #expect(!error.description.contains(secret))
            }
        }
        // A bad ID number in a well-formed CSV is reported by the shared parser, by row and field.
        do {
            _ = try PeopleFile.parse(
                try PeopleFile.json(fromCSV: "idNumber,status\n110105194912310021,normal"), now: now, timeZone: utc)
            Issue.record("a bad check digit was accepted")
        } catch {
            #expect(error.problems.first?.row == 0 && error.problems.first?.field == "idNumber")
            #expect(!error.description.contains("110105194912310021"))
        }
    }

    /// A header-only CSV (a truncated export) would remove everyone: refused.
    @Test func aFileWithNobodyIsRefused() throws {
        do {
            _ = try PeopleFile.parse(try PeopleFile.json(fromCSV: "idNumber,status\n"), now: now, timeZone: utc)
            Issue.record("an empty file was accepted")
        } catch {
            #expect(error.problems.map(\.field) == ["people"])
        }
    }

    /// A spreadsheet user counts the header as row 1: problems of a `.csv` file name that row number.
    @Test func csvProblemsNameTheSpreadsheetRow() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let badCell = dir.appendingPathComponent("people.csv")
        try Data("idNumber,status,vaccineDoses\n11010519491231002X,normal,2\n110101195001010019,normal,three\n".utf8)
            .write(to: badCell)
        do {
            _ = try PeopleFile.contents(of: badCell)
            Issue.record("a bad cell was accepted")
        } catch {
            #expect(error.problems.first?.row == 1)
            #expect(error.description.contains("CSV row 3, column vaccineDoses"), "\(error)")
        }
        // Parser problems of the converted file, renumbered by the caller that knows it was CSV.
        let repeated = "idNumber,status\n11010519491231002X,normal\n110101195001010019,normal\n11010519491231002X,normal\n"
        do {
            _ = try PeopleFile.parse(try PeopleFile.json(fromCSV: repeated), now: now, timeZone: utc)
            Issue.record("a repeated identity was accepted")
        } catch {
            #expect(error.description.contains("people[2].idNumber: same identity as people[0]"), "\(error)")
            let csv = error.numberedAsCSVRows().description
            #expect(csv.contains("CSV row 4, column idNumber: same identity as CSV row 2"), "\(csv)")
            #expect(!csv.contains("11010519491231002X"))
        }
    }

    @Test func readsACSVFileByItsExtension() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("people.CSV")
        try Data("idNumber,status\n11010519491231002X,centralizedObservation\n".utf8).write(to: file)
        let parsed = try PeopleFile.parse(try PeopleFile.contents(of: file), now: now, timeZone: utc)
        #expect(parsed.people.map(\.record.status) == [.centralizedObservation])
    }
}
