import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program; returns its exit status, standard output and standard error. The waiting happens on a thread of
/// its own: blocking one of Swift's cooperative threads (two on this machine) would stall other suites' async tests.
func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil
) async throws -> (status: Int32, output: String, error: String) {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try runProgramBlocking(path, arguments, environment: environment) })
        }
        thread.start()
    }
}

private func runProgramBlocking(
    _ path: String, _ arguments: [String], environment: [String: String]?
) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both to the end before waiting: a full pipe would block the child.
    let errorData = Mutex<Data>(Data())
    let drain = Thread { errorData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
    drain.start()
    let outputData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !drain.isFinished { usleep(1000) }
    return (
        process.terminationStatus, String(decoding: outputData, as: UTF8.self),
        String(decoding: errorData.withLock { $0 }, as: UTF8.self)
    )
}

/// Where the built executables are: next to this test binary (`swift test` builds every product of the package),
/// or `.build/release` when `KIOSK_DEB_RELEASE=1` asks for the package of the static release binaries (`make
/// release` first: a release build takes long on 2 cores, so the default run packages the debug binaries, which
/// tests the packaging itself but not the release linking).
enum BuiltProducts {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var isRelease: Bool { ProcessInfo.processInfo.environment["KIOSK_DEB_RELEASE"] == "1" }

    static var binDirectory: String {
        if isRelease { return repository.appendingPathComponent(".build/release").path }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for candidate in [here.deletingLastPathComponent(), here.deletingLastPathComponent().deletingLastPathComponent()]
        where FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("kioskd").path) {
            return candidate.path
        }
        return repository.appendingPathComponent(".build/debug").path
    }

    static func path(_ product: String) -> String { binDirectory + "/" + product }
}

/// `kioskd --check-config` as a technician runs it: the real executable and real files.
struct CheckConfigExecutableTests {
    @Test func goodAndBadConfigurationsGiveExitStatusAndNamedProblems() async throws {
        let kioskd = BuiltProducts.path("kioskd")
        try #require(FileManager.default.isExecutableFile(atPath: kioskd), "\(kioskd) not built")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let good = directory.appendingPathComponent("good.toml")
        try "[display]\nhold_seconds = 8\n".write(to: good, atomically: true, encoding: .utf8)
        let ok = try await runProgram(kioskd, ["--check-config", "--config", good.path], environment: ["PATH": "/usr/bin"])
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.output.contains("configuration OK (\(good.path), snapshot only)"))

        let bad = directory.appendingPathComponent("bad.toml")
        try "[display]\nhold_seconds = \"long\"\nrendrer = \"none\"\n".write(to: bad, atomically: true, encoding: .utf8)
        let failed = try await runProgram(kioskd, ["--check-config", "--config", bad.path], environment: ["PATH": "/usr/bin"])
        #expect(failed.status == 1)
        #expect(failed.error.contains("\(bad.path): display.hold_seconds: must be seconds greater than 0 and at most 3600"))
        #expect(failed.error.contains("\(bad.path): display.rendrer: unknown key; did you mean display.renderer?"))

        // A flag beats the file, and the environment is read.
        let flagged = try await runProgram(
            kioskd, ["--check-config", "--config", good.path, "--hold", "0"],
            environment: ["PATH": "/usr/bin", "KIOSKD_SAM_BAUD": "115200"])
        #expect(flagged.status == 1)
        #expect(flagged.error.contains("command line: display.hold_seconds: must be seconds greater than 0"))

        // A negative number is a value to check, not a missing one.
        let negative = try await runProgram(
            kioskd, ["--check-config", "--config", good.path, "--hold", "-1", "--fb-rotation", "-90"],
            environment: ["PATH": "/usr/bin"])
        #expect(negative.status == 1)
        #expect(negative.error.contains("command line: display.hold_seconds: must be seconds greater than 0"), "\(negative.error)")
        #expect(negative.error.contains("command line: framebuffer.rotation"), "\(negative.error)")
        #expect(!negative.error.contains("Missing value"))
    }

    @Test func printedReferenceIsTheCheckedInOne() async throws {
        let kioskd = BuiltProducts.path("kioskd")
        try #require(FileManager.default.isExecutableFile(atPath: kioskd), "\(kioskd) not built")
        let printed = try await runProgram(kioskd, ["--print-config-reference"])
        #expect(printed.status == 0)
        let checkedIn = try String(
            contentsOf: BuiltProducts.repository.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        #expect(printed.output == checkedIn)
    }
}
