// swift-tools-version:6.0
import PackageDescription

// C kernels are always built optimized: the CPU engine is unusably slow at -O0, even in debug builds.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno", "-Wall"])]

let package = Package(
    name: "vkserve",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vkserve", targets: ["vkserve"]),
        .executable(name: "vkserve-worker", targets: ["vkserve-worker"]),
        .executable(name: "vkserved", targets: ["vkserved"]),
        .executable(name: "supervisorctl", targets: ["supervisorctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .target(name: "CKernels", cSettings: kernelFlags),
        .target(name: "GGUF"),
        // What a request asks (Sampling) and how it ended (FinishReason): shared by the engine and the wire.
        .target(name: "GenerationTypes"),
        .target(name: "Tokenizer", dependencies: ["GGUF"]),
        .target(name: "Engine", dependencies: ["GGUF", "Tokenizer", "CKernels", "GenerationTypes"]),
        .target(name: "CPUBackend", dependencies: ["Engine", "CKernels", "GGUF"]),
        // Vulkan through a loader opened at run time: binaries start without libvulkan and fall back to the CPU.
        .target(name: "CVulkan", linkerSettings: [.linkedLibrary("dl")]),
        // Shaders/*.comp → SPIR-V (glslc) → Swift sources embedding the words.
        .plugin(name: "ShaderCompiler", capability: .buildTool()),
        .target(name: "VulkanBackend", dependencies: ["Engine", "CVulkan", "GGUF"], plugins: ["ShaderCompiler"]),
        .target(name: "WorkerProtocol", dependencies: ["GenerationTypes"]),
        // What vkserved and its tools (supervisorctl, vkserve bench) share: control messages, pool status, the client.
        .target(name: "ControlProtocol", dependencies: ["WorkerProtocol"]),
        // prctl(PR_SET_PDEATHSIG) and other process calls Swift cannot make directly.
        .target(name: "CProcess"),
        .target(
            name: "Worker",
            dependencies: [
                "Engine", "CPUBackend", "VulkanBackend", "WorkerProtocol", "GenerationTypes", "Tokenizer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "vkserve-worker",
            dependencies: [
                "Worker", "WorkerProtocol", "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // libsystemd: sd_journal_sendv for structured journal entries.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]
        ),
        // The supervisor links no engine and no backend: no GPU or model fault can take it down.
        .target(
            name: "Supervisor",
            dependencies: [
                "WorkerProtocol", "ControlProtocol", "GenerationTypes", "Systemd", "CProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The OpenAI-compatible HTTP API, its router glue and /metrics.
        .target(
            name: "HTTPAPI",
            dependencies: [
                "Supervisor", "ControlProtocol", "GenerationTypes", "Systemd", "WorkerProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "vkserved",
            dependencies: [
                "Supervisor", "Systemd", "HTTPAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "supervisorctl",
            dependencies: ["ControlProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Load and soak tests against a running vkserved, and their reports; restarts through the control socket.
        .target(
            name: "Bench",
            dependencies: [
                "ControlProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "vkserve",
            dependencies: [
                "GGUF", "Tokenizer", "Engine", "CPUBackend", "VulkanBackend", "WorkerProtocol", "ControlProtocol", "GenerationTypes", "Bench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Helpers shared by the end-to-end test targets (paths, polling, commands, free ports).
        .target(name: "TestHarness", dependencies: ["ControlProtocol"], path: "Tests/TestHarness"),
        // llama.cpp's reference outputs for synthetic models of each architecture.
        .target(name: "EngineFixtures", dependencies: ["Engine", "GGUF"], path: "Tests/EngineFixtures"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestHarness"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF"], exclude: ["Data"]),
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels", "GGUF", "TestHarness"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "CPUBackend", "GGUF", "Tokenizer", "GenerationTypes", "TestHarness", "EngineFixtures"],
                    exclude: ["Data"]),
        // The CPU backend's contract (batching, slots, threads, refusals) on the real models.
        .testTarget(name: "CPUBackendTests", dependencies: ["CPUBackend", "Engine", "TestHarness"]),
        .testTarget(name: "WorkerProtocolTests", dependencies: ["WorkerProtocol", "GenerationTypes", "TestHarness"]),
        .testTarget(name: "VulkanBackendTests", dependencies: ["VulkanBackend", "CKernels", "GGUF", "Engine", "CPUBackend", "EngineFixtures", "TestHarness"]),
        // Runs the built `vkserve` binary as a user would.
        .testTarget(name: "VkserveCLITests", dependencies: ["vkserve"]),
        // Real worker processes over real sockets.
        .testTarget(name: "WorkerTests", dependencies: ["WorkerProtocol", "GenerationTypes", "TestHarness", "vkserve-worker", "vkserve"]),
        .testTarget(name: "HTTPAPITests", dependencies: ["HTTPAPI", "Supervisor", "ControlProtocol", "GenerationTypes", "WorkerProtocol", "TestHarness"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", .product(name: "Logging", package: "swift-log")]),
        // Configuration parsing in process; the rest over real vkserved, worker and journald processes.
        .testTarget(
            name: "SupervisorTests",
            dependencies: [
                "Supervisor", "ControlProtocol", "GenerationTypes", "WorkerProtocol", "Systemd", "TestHarness", "vkserved", "supervisorctl",
                "vkserve-worker", "vkserve",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Unit tests of the bench's parts; `vkserve bench` run as a user would, against a real vkserved.
        .testTarget(
            name: "BenchTests",
            dependencies: ["Bench", "ControlProtocol", "TestHarness", "vkserve", "vkserved", "vkserve-worker"]
        ),
    ]
)
