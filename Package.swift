// swift-tools-version: 6.1
import PackageDescription

let upcomingFeatures: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "CardKiosk",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kioskd", targets: ["kioskd"]),
        .executable(name: "kioskctl", targets: ["kioskctl"]),
        .executable(name: "kiosk-vcard", targets: ["kiosk-vcard"]),
        .executable(name: "kiosk-central", targets: ["kiosk-central"]),
        .library(name: "KioskCore", targets: ["KioskCore"]),
        .library(name: "SmartCard", targets: ["SmartCard"]),
        .library(name: "Resolution", targets: ["Resolution"]),
        .library(name: "Display", targets: ["Display"]),
        .library(name: "KioskDaemon", targets: ["KioskDaemon"]),
        .library(name: "Barcode", targets: ["Barcode"]),
        .library(name: "CentralServer", targets: ["CentralServer"]),
        .library(name: "VirtualCard", targets: ["VirtualCard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CPCSCLite",
            pkgConfig: "libpcsclite",
            providers: [.apt(["libpcsclite-dev"])]
        ),
        .systemLibrary(
            name: "CUdev",
            pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]
        ),
        .systemLibrary(
            name: "CFreeType",
            pkgConfig: "freetype2",
            providers: [.apt(["libfreetype-dev"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        .target(name: "CLinuxShims"),
        .target(
            name: "KioskCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CSV", package: "CSV.swift"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "SmartCard",
            dependencies: [
                "KioskCore", "CPCSCLite", "CLinuxShims",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "Barcode",
            dependencies: [
                "KioskCore", "CUdev", "CLinuxShims",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "Resolution",
            dependencies: [
                "KioskCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "Display",
            dependencies: ["KioskCore", "CLinuxShims", "CFreeType", "CPNG"],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "KioskDaemon",
            dependencies: [
                "KioskCore", "SmartCard", "Barcode", "Resolution", "Display",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "CentralServer",
            dependencies: [
                "KioskCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .executableTarget(
            name: "kiosk-central",
            dependencies: [
                "KioskCore",
                "CentralServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "VirtualCard",
            dependencies: ["KioskCore", "SmartCard"],
            swiftSettings: upcomingFeatures
        ),
        .executableTarget(
            name: "kioskd",
            dependencies: [
                "KioskDaemon", "Display",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .executableTarget(
            name: "kioskctl",
            dependencies: [
                "KioskCore", "Resolution", "SmartCard", "Barcode", "Display", "KioskDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .executableTarget(
            name: "kiosk-vcard",
            dependencies: [
                "VirtualCard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "KioskTestSupport",
            dependencies: ["KioskCore", "SmartCard", "VirtualCard"],
            path: "Tests/KioskTestSupport",
            swiftSettings: upcomingFeatures
        ),
        .testTarget(name: "KioskCoreTests", dependencies: ["KioskCore"], swiftSettings: upcomingFeatures),
        .testTarget(
            name: "SmartCardTests",
            dependencies: ["SmartCard", "VirtualCard", "KioskTestSupport"],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "BarcodeTests",
            dependencies: ["Barcode", "KioskCore", "CLinuxShims", "KioskTestSupport"],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "ResolutionTests",
            dependencies: [
                "Resolution", "CentralServer", "KioskTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "CentralServerTests",
            dependencies: [
                "CentralServer", "KioskCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "DisplayTests", dependencies: ["Display", "KioskCore", "CLinuxShims"],
            // Golden PNGs are read from the source tree (`#filePath`), so `make goldens` can rewrite them.
            exclude: ["Golden"],
            swiftSettings: upcomingFeatures),
        .testTarget(
            name: "KioskDaemonTests",
            dependencies: [
                "KioskDaemon", "VirtualCard", "KioskTestSupport", "Resolution", "Display", "Barcode", "SmartCard",
                "CentralServer", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcomingFeatures
        ),
    ]
)
