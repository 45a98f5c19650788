// swift-tools-version: 6.1
// The benchmarks: their own package, so `make test` never builds them. `make bench` builds this in release mode and
// runs each benchmark; see README.md ("Benchmarks").
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which depends on where the repository was cloned.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent

let package = Package(
    name: "CardKioskBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "kiosk-bench",
            dependencies: [
                .product(name: "KioskCore", package: rootIdentity),
                .product(name: "Resolution", package: rootIdentity),
                .product(name: "Display", package: rootIdentity),
                .product(name: "SmartCard", package: rootIdentity),
                .product(name: "VirtualCard", package: rootIdentity),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)])
    ]
)
