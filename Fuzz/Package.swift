// swift-tools-version: 6.1
// The libFuzzer harnesses: their own package, so `make test` never builds them. `make fuzz` builds this with
// `-Xswiftc -sanitize=fuzzer` and runs each harness; see README.md ("Fuzzing").
//
// Each harness is one executable target with one file, compiled as a library (`-parse-as-library`): no `main.swift`,
// no `@main`. SwiftPM links a Linux executable with `main` aliased to `<module>_main` (`fuzz_ber_tlv_main` for
// `fuzz-ber-tlv`), so each harness defines that function with `@_cdecl` and hands its `LLVMFuzzerTestOneInput` to
// libFuzzer's driver there (`FuzzSupport.runLibFuzzer`, over `LLVMFuzzerRunDriver`).
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which depends on where the repository was cloned.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent

/// Harness name → the root package's products it calls.
let harnesses: [(name: String, products: [String])] = [
    ("ber-tlv", ["SmartCard"]),
    ("pboc", ["SmartCard", "VirtualCard"]),
    ("ssse", ["SmartCard", "VirtualCard"]),
    ("sam-frame", ["SmartCard", "VirtualCard"]),
    ("id-text", ["SmartCard", "VirtualCard"]),
    ("evdev", ["Barcode"]),
    ("hidpos", ["Barcode"]),
    ("payload-classifier", ["Barcode"]),
    ("snapshot-payload", ["KioskCore"]),
    ("snapshot-manifest", ["KioskCore"]),
]

let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "CardKioskFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // The same requirement as the root package's: the manifest harness signs and verifies with it.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "SmartCard", package: rootIdentity),
                .product(name: "KioskCore", package: rootIdentity),
                .product(name: "VirtualCard", package: rootIdentity),
            ],
            swiftSettings: settings),
    ]
        + harnesses.map { harness in
            .executableTarget(
                name: "fuzz-\(harness.name)",
                dependencies: ["FuzzSupport"] + harness.products.map { .product(name: $0, package: rootIdentity) }
                    + (harness.name == "snapshot-manifest" ? [.product(name: "Crypto", package: "swift-crypto")] : []),
                path: "Sources/\(harness.name)",
                // A one-file module is otherwise compiled as a main file with an implicit, empty `main`.
                swiftSettings: settings + [.unsafeFlags(["-parse-as-library"])])
        }
)
