import ControlProtocol
import Foundation
import Supervisor
import Testing

/// The configuration of vkserved: TOML parsing, typo protection, validation, overrides, durations, rendering.
@Suite("Supervisor configuration")
struct ConfigTests {
    // MARK: - Helpers

    /// The error `parse` throws, or `nil` when the text is accepted.
    private static func failure(_ text: String, overrides: [String] = []) -> ConfigError? {
        do throws(ConfigError) {
            _ = try SupervisorConfig.parse(text, source: "vkserve.toml", overrides: overrides)
            return nil
        } catch {
            return error
        }
    }

    /// One rejected configuration: the key and line the error must name and a fragment of its message.
    struct Rejection: Sendable, CustomTestStringConvertible {
        let text: String
        let key: String?
        let line: Int?
        let fragment: String

        init(_ text: String, _ key: String?, line: Int?, _ fragment: String) {
            self.text = text
            self.key = key
            self.line = line
            self.fragment = fragment
        }

        var testDescription: String { "\(key ?? "-"): \(fragment)" }

        func check(sourceLocation: SourceLocation = #_sourceLocation) {
            guard let error = ConfigTests.failure(text) else {
                Issue.record("accepted: \(text)", sourceLocation: sourceLocation)
                return
            }
            #expect(error.source == "vkserve.toml", sourceLocation: sourceLocation)
            #expect(error.key == key, sourceLocation: sourceLocation)
            #expect(error.line == line, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            let prefix = "vkserve.toml" + (line.map { ":\($0)" } ?? "") + ": " + (key.map { "\($0): " } ?? "")
            #expect(error.description == prefix + error.message, sourceLocation: sourceLocation)
        }
    }

    /// The example of the configuration reference, with the values of the defaults except five keys.
    static let fullExample = """
        listen = "127.0.0.1:8080"
        control_socket = "/run/vkserve/control.sock"
        control_group = "vkserve"
        runtime_dir = "/run/vkserve"
        worker_binary = "/usr/local/bin/vkserve-worker"
        [model]
        path = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
        context = 4096
        slots = 12
        batch_tokens = 512
        prefill_chunk = 64
        [workers]
        vulkan = 1
        cpu = 0
        cpu_fallback = true
        threads = 2
        device = 0
        [health]
        heartbeat_interval = "1s"
        heartbeat_timeout = "5s"
        stall_timeout = "15s"
        start_timeout = "5m"
        [restart]
        every = "12h"
        jitter = "10m"
        backoff_initial = "1s"
        backoff_max = "1m"
        fatal_after = 5
        fatal_retry = "5m"
        stable_after = "60s"
        drain_timeout = "30s"
        [failover]
        probe_initial = "10s"
        probe_max = "5m"
        """

    /// Every key set to a value other than its default, with the config it must give.
    static let changedExample = (
        text: """
            # every key changed
            listen = "[::1]:9000"
            control_socket = "/tmp/vk/ctl.sock"
            control_group = "operators"
            runtime_dir = "/tmp/vk"
            worker_binary = "/opt/vkserve/bin/vkserve-worker"

            [model]
            path = "/srv/models/qwen.gguf"
            context = 8192
            slots = 4
            batch_tokens = 256
            prefill_chunk = 256
            step_tokens = 128
            step_target = "30ms"
            chat_template = "chatml-qwen3"

            [workers]
            vulkan = 2
            cpu = 1
            cpu_fallback = false
            threads = 6
            device = 1

            [health]
            heartbeat_interval = "250ms"
            heartbeat_timeout = "2s"
            stall_timeout = "1m30s"
            start_timeout = "10m"

            [restart]
            every = "1d"
            jitter = "1.5h"
            backoff_initial = "500ms"
            backoff_max = "2m"
            fatal_after = 3
            fatal_retry = "15m"
            stable_after = "2m"
            drain_timeout = "45s"
            make_before_break = false

            [failover]
            probe_initial = "5s"
            probe_max = "10m"
            """,
        config: { () -> SupervisorConfig in
            var config = SupervisorConfig()
            config.listen = "[::1]:9000"
            config.controlSocket = "/tmp/vk/ctl.sock"
            config.controlGroup = "operators"
            config.runtimeDir = "/tmp/vk"
            config.workerBinary = "/opt/vkserve/bin/vkserve-worker"
            config.model = .init(
                path: "/srv/models/qwen.gguf", context: 8192, slots: 4, batchTokens: 256, prefillChunk: 256,
                stepTokens: 128, stepTarget: .milliseconds(30), chatTemplate: "chatml-qwen3"
            )
            config.workers = .init(vulkan: 2, cpu: 1, cpuFallback: false, threads: 6, device: 1)
            config.health = .init(
                heartbeatInterval: .milliseconds(250), heartbeatTimeout: .seconds(2), stallTimeout: .seconds(90),
                startTimeout: .seconds(600)
            )
            config.restart = .init(
                every: .seconds(86_400), jitter: .seconds(5_400), backoffInitial: .milliseconds(500),
                backoffMax: .seconds(120), fatalAfter: 3, fatalRetry: .seconds(900), stableAfter: .seconds(120),
                drainTimeout: .seconds(45), makeBeforeBreak: false
            )
            config.failover = .init(probeInitial: .seconds(5), probeMax: .seconds(600))
            return config
        }()
    )

    // MARK: - Defaults and examples

    @Test func defaults() throws {
        let config = SupervisorConfig()
        #expect(config.listen == "127.0.0.1:8080")
        #expect(config.controlSocket == "/run/vkserve/control.sock")
        #expect(config.controlGroup == nil)
        #expect(config.runtimeDir == "/run/vkserve")
        #expect(config.workerBinary == nil)
        #expect(config.model.path == "models/SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(config.model.context == 4096)
        #expect(config.model.slots == 12)
        #expect(config.model.batchTokens == 512)
        #expect(config.model.prefillChunk == 64)
        #expect(config.workers.vulkan == 1)
        #expect(config.workers.cpu == 0)
        #expect(config.workers.cpuFallback == true)
        #expect(config.workers.threads == 0)
        #expect(config.workers.device == nil)
        #expect(config.health.heartbeatInterval == .seconds(1))
        #expect(config.health.heartbeatTimeout == .seconds(5))
        #expect(config.health.stallTimeout == .seconds(15))
        #expect(config.health.startTimeout == .seconds(300))
        #expect(config.restart.every == .seconds(12 * 3600))
        #expect(config.restart.jitter == .seconds(600))
        #expect(config.restart.backoffInitial == .seconds(1))
        #expect(config.restart.backoffMax == .seconds(60))
        #expect(config.restart.fatalAfter == 5)
        #expect(config.restart.fatalRetry == .seconds(300))
        #expect(config.restart.stableAfter == .seconds(60))
        #expect(config.restart.drainTimeout == .seconds(30))
        #expect(config.failover.probeInitial == .seconds(10))
        #expect(config.failover.probeMax == .seconds(300))
        #expect(try SupervisorConfig.parse("") == config)
        #expect(try SupervisorConfig.parse("# nothing but a comment\n\n[model]\n[health]\n") == config)
    }

    @Test func fullExampleParses() throws {
        var expected = SupervisorConfig()
        expected.controlGroup = "vkserve"
        expected.workerBinary = "/usr/local/bin/vkserve-worker"
        expected.workers.threads = 2
        expected.workers.device = 0
        #expect(try SupervisorConfig.parse(Self.fullExample) == expected)
    }

    @Test func everyKeyIsRead() throws {
        let parsed = try SupervisorConfig.parse(Self.changedExample.text)
        #expect(parsed == Self.changedExample.config)
        #expect(parsed != SupervisorConfig())
    }

    @Test func shippedExampleFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("units/vkserve.toml").path
        #expect(try SupervisorConfig.load(path: path) == SupervisorConfig())
        // Every key is in the file, with its default (optional keys commented out, as `rendered()` writes them).
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let fileLines = Set(text.split(separator: "\n").map(String.init))
        let keyLines = SupervisorConfig().rendered().split(separator: "\n").map(String.init).filter {
            $0.wholeMatch(of: /(# )?[a-z_]+ = .+|\[[a-z]+\]/) != nil
        }
        #expect(keyLines.count == 54)
        for line in keyLines {
            #expect(fileLines.contains(line), "units/vkserve.toml lacks \(line)")
        }
    }

    @Test func connectionLimitsAndTheLinkCeiling() throws {
        let defaults = SupervisorConfig().limits
        #expect(defaults.maxConnections == 4096 && defaults.idleTimeout == .seconds(60)
            && defaults.headerTimeout == .seconds(10) && defaults.bodyTimeout == .seconds(30))
        let parsed = try SupervisorConfig.parse(
            "[limits]\nmax_connections = 100\nidle_timeout = \"5s\"\nheader_timeout = \"2s\"\nbody_timeout = \"3s\"\n"
                + "max_body_bytes = 16777216\n")
        #expect(parsed.limits.maxConnections == 100 && parsed.limits.idleTimeout == .seconds(5)
            && parsed.limits.headerTimeout == .seconds(2) && parsed.limits.bodyTimeout == .seconds(3)
            && parsed.limits.maxBodyBytes == 16 << 20)
        // A body the worker link could not carry is refused at start, not discovered by a client.
        let tooLarge = Self.failure("[limits]\nmax_body_bytes = 16777217\n")
        #expect(tooLarge?.key == "limits.max_body_bytes"
            && tooLarge?.message.contains("the worker link carries a prompt of at most 16777216 bytes") == true,
                "\(String(describing: tooLarge))")
        #expect(Self.failure("[limits]\nmax_connections = 2\n")?.key == "limits.max_connections")
        #expect(Self.failure("[limits]\nheader_timeout = \"0s\"\n")?.key == "limits.header_timeout")
    }

    @Test func otherTOMLForms() throws {
        let text = """
            "listen" = "localhost:8081"
            model.slots = 3
            failover = { probe_initial = "1s", probe_max = "2s" }
            [workers]
            'cpu' = 2
            """
        var expected = SupervisorConfig()
        expected.listen = "localhost:8081"
        expected.model.slots = 3
        expected.failover = .init(probeInitial: .seconds(1), probeMax: .seconds(2))
        expected.workers.cpu = 2
        #expect(try SupervisorConfig.parse(text) == expected)
    }

    // MARK: - Errors

    @Test func syntaxErrors() throws {
        let error = try #require(Self.failure("[model]\nslots = 3\n\ncontext = = 4\n"))
        #expect(error.line == 4)
        #expect(error.key == nil)
        #expect(error.source == "vkserve.toml")
        #expect(!error.message.isEmpty)
        #expect(error.description == "vkserve.toml:4: " + error.message)

        #expect(Self.failure("# one\nlisten = \"127.0.0.1:80\n")?.line == 2)
        #expect(Self.failure("[model]\nslots = 1\n[health]\n[model]\n")?.line == 4)
        #expect(Self.failure("[workers]\ncpu = 1\ncpu = 2\n")?.line == 3)
    }

    @Test func exactDescription() {
        let error = Self.failure("# vkserve\n\n[model]\npath = \"m.gguf\"\n\n\nslots = \"x\"\n")
        #expect(error?.description == "vkserve.toml:7: model.slots: expected an integer, got a string (\"x\")")
        #expect(error == ConfigError(
            source: "vkserve.toml", line: 7, key: "model.slots", message: "expected an integer, got a string (\"x\")"
        ))
    }

    static let wrongTypes: [Rejection] = [
        .init("# c\nlisten = 8080\n", "listen", line: 2, "expected a string, got an integer (8080)"),
        .init("[model]\ncontext = 4096.0\n", "model.context", line: 2, "expected an integer, got a floating-point"),
        .init("[model]\n  \"slots\" = \"x\"\n", "model.slots", line: 2, "expected an integer, got a string (\"x\")"),
        .init("# c\n# c\nmodel.slots = true\n", "model.slots", line: 3, "expected an integer, got a boolean"),
        .init("\nmodel = { slots = [1] }\n", "model.slots", line: 2, "expected an integer, got an array"),
        .init("[workers]\n\ncpu_fallback = \"yes\"\n", "workers.cpu_fallback", line: 3, "expected a boolean"),
        .init("[workers]\ndevice = \"0\"\n", "workers.device", line: 2, "expected an integer, got a string"),
        .init("control_group = 1000\n", "control_group", line: 1, "expected a string, got an integer"),
        .init("worker_binary = []\n", "worker_binary", line: 1, "expected a string, got an array"),
        .init("\n\nmodel = \"x.gguf\"\n", "model", line: 3, "expected a table ([model])"),
        .init("[listen]\nx = 1\n", "listen", line: 1, "expected a string, got a table"),
        .init("[health]\nstall_timeout = \"15\"\n", "health.stall_timeout", line: 2, "write \"15s\""),
        .init("[health]\nstall_timeout = \"15 s\"\n", "health.stall_timeout", line: 2, "expected a duration"),
        .init("[health]\nstart_timeout = 1.5\n", "health.start_timeout", line: 2, "write \"1.5s\""),
        .init("[failover]\nprobe_max = 2024-01-01\n", "failover.probe_max", line: 2, "got a date"),
    ]

    @Test(arguments: wrongTypes) func wrongType(_ rejection: Rejection) {
        rejection.check()
    }

    @Test func bareIntegerDuration() throws {
        let error = try #require(Self.failure("[restart]\nevery = \"12h\"\n\ndrain_timeout = 30\n"))
        #expect(error.key == "restart.drain_timeout")
        #expect(error.line == 4)
        #expect(error.message.contains("got an integer (30)"))
        #expect(error.message.contains("write \"30s\""))
    }

    static let unknownNames: [Rejection] = [
        .init("[health]\nheartbeat_timout = \"5s\"\n", "health.heartbeat_timout", line: 2,
              "did you mean 'heartbeat_timeout'?"),
        .init("[health]\nheartbeat_timeout = \"5s\"\nstall_timout = \"1s\"\n", "health.stall_timout", line: 3,
              "did you mean 'stall_timeout'?"),
        .init("listn = \"0.0.0.0:80\"\n", "listn", line: 1, "did you mean 'listen'?"),
        .init("# c\n[modle]\nslots = 3\n", "modle", line: 2, "unknown section [modle]; did you mean [model]?"),
        .init("[bogus]\n", "bogus", line: 1, "unknown section [bogus]; the sections are [model], [workers]"),
        .init("[restart]\nheartbeat_timeout = \"3s\"\n", "restart.heartbeat_timeout", line: 2,
              "'heartbeat_timeout' belongs in [health]"),
        .init("slots = 3\n", "slots", line: 1, "'slots' belongs in [model]"),
        .init("[health]\nzzzzzzzzzz = 1\n", "health.zzzzzzzzzz", line: 2,
              "its keys are heartbeat_interval, heartbeat_timeout, stall_timeout, start_timeout"),
        .init("[health.extra]\nx = 1\n", "health.extra", line: 1, "unknown section [health.extra]"),
        .init("[model]\npath = \"\"\"\nslots = 3\n\"\"\"\nslot = 3\n", "model.slot", line: 5,
              "did you mean 'slots'?"),
    ]

    @Test(arguments: unknownNames) func unknownKeyOrSection(_ rejection: Rejection) {
        rejection.check()
    }

    @Test func firstErrorByLine() {
        // TOMLKit orders keys alphabetically ([health] before [model]); the error reported is the first line.
        let text = "[model]\nslots = \"x\"\n[health]\nstal_timeout = \"1s\"\n"
        #expect(Self.failure(text)?.key == "model.slots")
        #expect(Self.failure(text)?.line == 2)
    }

    static let outOfRange: [Rejection] = [
        .init("\n[model]\nslots = 0\n", "model.slots", line: 3, "must be between 1 and 256, got 0"),
        .init("[model]\nslots = 257\n", "model.slots", line: 2, "must be between 1 and 256, got 257"),
        .init("[model]\ncontext = 63\n", "model.context", line: 2, "must be between 64 and 1048576, got 63"),
        .init("[model]\ncontext = 1_048_577\n", "model.context", line: 2, "must be between 64 and 1048576"),
        .init("[model]\nbatch_tokens = 0\n", "model.batch_tokens", line: 2, "must be at least 1, got 0"),
        .init("[model]\nprefill_chunk = 600\n", "model.prefill_chunk", line: 2,
              "must be between 1 and model.batch_tokens (512), got 600"),
        .init("[model]\nstep_tokens = 12\n", "model.step_tokens", line: 2,
              "must be 0 (= batch_tokens) or between model.slots + 1 (13) and model.batch_tokens (512), got 12"),
        .init("[model]\nstep_target = \"2m\"\n", "model.step_target", line: 2, "must be 0s (no target) to 60s"),
        .init("[model]\nprefill_chunk = 0\n", "model.prefill_chunk", line: 2, "must be between 1 and"),
        .init("[workers]\ncpu = 1\nvulkan = -1\n", "workers.vulkan", line: 3, "must be at least 0, got -1"),
        .init("[workers]\ncpu = -2\n", "workers.cpu", line: 2, "must be at least 0, got -2"),
        .init("[workers]\n\nvulkan = 0\n", "workers.vulkan", line: 3, "a pool needs at least one worker"),
        .init("[workers]\nthreads = -1\n", "workers.threads", line: 2, "must be at least 0, got -1"),
        .init("[workers]\ndevice = -1\n", "workers.device", line: 2, "must be at least 0"),
        .init("[health]\nheartbeat_interval = \"0\"\n", "health.heartbeat_interval", line: 2,
              "must be longer than 0"),
        .init("[health]\nheartbeat_timeout = \"1s\"\n", "health.heartbeat_timeout", line: 2,
              "must be at least twice health.heartbeat_interval"),
        .init("[health]\nstall_timeout = \"1s\"\n", "health.stall_timeout", line: 2,
              "must be longer than health.heartbeat_interval (\"1s\"), got \"1s\""),
        .init("[health]\nstart_timeout = \"0s\"\n", "health.start_timeout", line: 2, "must be longer than 0"),
        .init("[restart]\nevery = \"1h\"\njitter = \"1h\"\n", "restart.jitter", line: 3,
              "must be shorter than restart.every (\"1h\")"),
        .init("[restart]\nbackoff_initial = \"0ms\"\n", "restart.backoff_initial", line: 2, "must be longer than 0"),
        .init("[restart]\nbackoff_max = \"500ms\"\n", "restart.backoff_max", line: 2,
              "must be at least restart.backoff_initial (\"1s\"), got \"500ms\""),
        .init("[restart]\nfatal_after = 0\n", "restart.fatal_after", line: 2, "must be at least 1, got 0"),
        .init("[restart]\nfatal_retry = \"0\"\n", "restart.fatal_retry", line: 2, "must be longer than 0"),
        .init("[failover]\nprobe_initial = \"0\"\nprobe_max = \"0\"\n", "failover.probe_initial", line: 2,
              "must be longer than 0"),
        .init("[failover]\nprobe_max = \"5s\"\n", "failover.probe_max", line: 2,
              "must be at least failover.probe_initial (\"10s\")"),
        .init("control_socket = \"\"\n", "control_socket", line: 1, "must be a non-empty path"),
        .init("control_socket = \"/\(String(repeating: "s", count: 120))\"\n", "control_socket", line: 1,
              "must be at most 107 bytes"),
        .init("runtime_dir = \"\"\n", "runtime_dir", line: 1, "must be a non-empty path"),
        .init("worker_binary = \"\"\n", "worker_binary", line: 1, "must be a non-empty path"),
        .init("[model]\npath = \"\"\n", "model.path", line: 2, "must be a non-empty path"),
        .init("control_group = \"\"\n", "control_group", line: 1, "must be a group name"),
        .init("control_group = \"-x\"\n", "control_group", line: 1, "must be a group name"),
        .init("control_group = \"a b\"\n", "control_group", line: 1, "must be a group name"),
    ]

    @Test(arguments: outOfRange) func outOfRangeValue(_ rejection: Rejection) {
        rejection.check()
    }

    @Test func crossKeyRulesBlameWhatWasSet() throws {
        // Only the interval is set: the error points at it, and names the timeout it conflicts with.
        let interval = try #require(Self.failure("[health]\nheartbeat_interval = \"5s\"\n"))
        #expect(interval.key == "health.heartbeat_interval")
        #expect(interval.line == 2)
        #expect(interval.message.hasPrefix("health.heartbeat_timeout must be at least twice"))
        // Both set: the judged key is blamed.
        let both = try #require(
            Self.failure("[health]\nheartbeat_interval = \"5s\"\nheartbeat_timeout = \"6s\"\n")
        )
        #expect(both.key == "health.heartbeat_timeout")
        #expect(both.line == 3)
        // A pool of CPU workers only is fine; jitter is free when scheduled restarts are off.
        #expect(Self.failure("[workers]\nvulkan = 0\ncpu = 1\n") == nil)
        #expect(Self.failure("[restart]\nevery = \"0\"\njitter = \"2d\"\n") == nil)
        #expect(Self.failure("[model]\nbatch_tokens = 16\nprefill_chunk = 16\n") == nil)
    }

    static let validListen = [
        "127.0.0.1:8080", "0.0.0.0:1", "[::1]:65535", "[fe80::1]:80", "[::]:8080", "localhost:8080",
        "api.example.com:443", "vk-1:9000",
    ]

    @Test(arguments: validListen) func validListenAddress(_ address: String) throws {
        #expect(try SupervisorConfig.parse("listen = \"\(address)\"").listen == address)
    }

    static let invalidListen = [
        "", "127.0.0.1", ":8080", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80a", "::1:8080",
        "[::1]8080", "[::1", "[::zz]:80", "[]:80", "256.0.0.1:80", "1.2.3:80", "host_name:80", "-a.com:80",
        "a..b:80", "127.0.0.1:+80",
    ]

    @Test(arguments: invalidListen) func invalidListenAddress(_ address: String) throws {
        let error = try #require(Self.failure("# c\nlisten = \"\(address)\""))
        #expect(error.key == "listen")
        #expect(error.line == 2)
        #expect(error.message.hasPrefix("must be HOST:PORT"))
    }

    @Test func loadFromFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("vkserve-config-\(UInt32.random(in: 0...UInt32.max)).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[workers]\ncpu = 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SupervisorConfig.load(path: path).workers.cpu == 3)
        #expect(try SupervisorConfig.load(path: path, overrides: ["workers.cpu=4"]).workers.cpu == 4)

        try "[workers]\ncpu = 3\nvulkan = \"one\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError(
            source: path, line: 3, key: "workers.vulkan", message: "expected an integer, got a string (\"one\")"
        )) {
            try SupervisorConfig.load(path: path)
        }

        let missing = path + ".missing"
        do throws(ConfigError) {
            _ = try SupervisorConfig.load(path: missing)
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.source == missing)
            #expect(error.line == nil)
            #expect(error.message.contains("No such file"))
        }
    }

    // MARK: - Overrides

    @Test func overridesApply() throws {
        let config = try SupervisorConfig.parse(
            "[model]\nslots = 4\npath = \"a.gguf\"\n",
            overrides: [
                "workers.vulkan=0", "workers.cpu=2", "model.path=/m/x.gguf", "health.stall_timeout=2s",
                "listen=0.0.0.0:9000", "workers.cpu_fallback=false", "restart.every=0", " model.slots = 8 ",
                "control_group=1000", "worker_binary=\"/opt/with space/vkserve-worker\"", "workers.device=1",
            ]
        )
        var expected = SupervisorConfig()
        expected.workers.vulkan = 0
        expected.workers.cpu = 2
        expected.model.path = "/m/x.gguf"
        expected.model.slots = 8
        expected.health.stallTimeout = .seconds(2)
        expected.listen = "0.0.0.0:9000"
        expected.workers.cpuFallback = false
        expected.restart.every = .zero
        expected.controlGroup = "1000"
        expected.workerBinary = "/opt/with space/vkserve-worker"
        expected.workers.device = 1
        #expect(config == expected)
        // The last override of a key wins.
        #expect(try SupervisorConfig.parse("", overrides: ["model.slots=2", "model.slots=3"]).model.slots == 3)
    }

    @Test func overrideErrors() throws {
        let slots = try #require(Self.failure("", overrides: ["model.slots=abc"]))
        #expect(slots == ConfigError(
            source: "--set model.slots=abc", line: nil, key: "model.slots",
            message: "expected an integer, got a string (\"abc\")"
        ))
        #expect(slots.description == "--set model.slots=abc: model.slots: expected an integer, got a string (\"abc\")")

        let noEquals = try #require(Self.failure("", overrides: ["model.slots"]))
        #expect(noEquals.source == "--set model.slots")
        #expect(noEquals.message.contains("KEY=VALUE"))
        #expect(Self.failure("", overrides: ["=3"])?.message.contains("key before '=' is missing") == true)

        let typo = try #require(Self.failure("", overrides: ["workers.vulkn=1"]))
        #expect(typo.key == "workers.vulkn")
        #expect(typo.message.contains("did you mean 'workers.vulkan'?"))
        #expect(Self.failure("", overrides: ["model=1"])?.message.contains("is a section") == true)

        let range = try #require(Self.failure("", overrides: ["model.slots=0"]))
        #expect(range.source == "--set model.slots=0")
        #expect(range.line == nil)
        #expect(range.key == "model.slots")
        #expect(range.message.contains("must be between 1 and 256"))

        let pool = try #require(Self.failure("", overrides: ["workers.vulkan=0"]))
        #expect(pool.source == "--set workers.vulkan=0")
        #expect(pool.message.contains("a pool needs at least one worker"))

        let duration = try #require(Self.failure("", overrides: ["health.stall_timeout=15"]))
        #expect(duration.key == "health.stall_timeout")
        #expect(duration.message.contains("write \"15s\""))
        #expect(Self.failure("", overrides: ["workers.cpu_fallback=maybe"])?.message.contains("boolean") == true)

        // A key set in the file is blamed at its line even when an override made it invalid.
        let blamed = try #require(
            Self.failure("[health]\nheartbeat_timeout = \"5s\"\n", overrides: ["health.heartbeat_interval=3s"])
        )
        #expect(blamed.source == "vkserve.toml")
        #expect(blamed.key == "health.heartbeat_timeout")
        #expect(blamed.line == 2)
        // File errors come first; an override cannot hide them.
        #expect(Self.failure("[model]\nslots = \"x\"\n", overrides: ["model.slots=3"])?.line == 2)
    }

    // MARK: - Durations

    private static let ms: Int64 = 1_000_000
    private static let sec: Int64 = 1_000_000_000

    /// Texts and the durations they denote, in nanoseconds.
    static let durationTexts: [(String, Int64)] = [
        ("0", 0), ("0s", 0), ("500ms", 500 * ms), ("1s", sec), ("1.5s", 1500 * ms), ("0.25s", 250 * ms),
        ("5m", 300 * sec), ("12h", 43_200 * sec), ("1h30m", 5400 * sec), ("2d", 172_800 * sec),
        ("1d12h", 129_600 * sec), ("90s", 90 * sec), ("1.000000001s", sec + 1), ("250us", 250_000),
        ("250µs", 250_000), ("17ns", 17), ("1.5h", 5400 * sec), ("1h0m5s", 3605 * sec), ("0.001ms", 1_000),
        ("2d3h4m5s6ms7us8ns", ((2 * 24 + 3) * 60 + 4) * 60 * sec + 5 * sec + 6_007_008),
        ("60s", 60 * sec), ("0.5d", 43_200 * sec),
    ]

    @Test(arguments: durationTexts) func parseDuration(_ text: String, _ nanoseconds: Int64) {
        #expect(DurationText.parse(text) == .nanoseconds(nanoseconds))
    }

    static let invalidDurations = [
        "", "5", "5x", "-1s", "1h-5m", "s", "1.s", ".5s", "1 s", " 1s", "1s ", "1m1h", "1s1s", "1us1µs",
        "1.0000000001s", "+1s", "1e3s", "99999999999999999999s", "300000d", "1S", "1sec", "1,5s", "0x10s",
        "1h 30m", "00", "0.0",
    ]

    @Test(arguments: invalidDurations) func rejectDuration(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    /// Durations in nanoseconds and their canonical text.
    static let durationFormats: [(Int64, String)] = [
        (0, "0s"), (500 * ms, "500ms"), (sec, "1s"), (1500 * ms, "1.5s"), (90 * sec, "1m30s"), (60 * sec, "1m"),
        (43_200 * sec, "12h"), (172_800 * sec, "2d"), (129_600 * sec, "1d12h"), (250_000, "250us"), (17, "17ns"),
        (3_661_500 * ms, "1h1m1.5s"), (sec + 1, "1.000000001s"), (-sec, "-1s"), (3600 * sec, "1h"),
    ]

    @Test(arguments: durationFormats) func formatDuration(_ nanoseconds: Int64, _ expected: String) {
        #expect(DurationText.format(.nanoseconds(nanoseconds)) == expected)
    }

    @Test func durationRoundTrip() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var checked = 0
        for scale in [1, 1_000, 1_000_000, 1_000_000_000, 60_000_000_000, 3_600_000_000_000] as [Int64] {
            for _ in 0..<200 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let duration = Duration.nanoseconds(Int64(state >> 44) * scale / 7)
                let text = DurationText.format(duration)
                #expect(DurationText.parse(text) == duration, "\(text)")
                #expect(DurationText.format(DurationText.parse(text) ?? .zero) == text)
                checked += 1
            }
        }
        #expect(checked == 1200)
    }

    // MARK: - Rendering

    @Test func renderedRoundTrip() throws {
        var tricky = Self.changedExample.config
        tricky.model.path = "/models/a \"quoted\" \\ back\\slash/naïve\tmodel.gguf"
        tricky.controlGroup = "vk.serve-ops_1"
        tricky.health.heartbeatInterval = .milliseconds(333)
        tricky.health.stallTimeout = .nanoseconds(1_500_000_001)
        tricky.restart.every = .zero
        tricky.restart.jitter = .seconds(86_400 * 3)
        for config in [SupervisorConfig(), Self.changedExample.config, tricky] {
            let text = config.rendered()
            #expect(try SupervisorConfig.parse(text) == config, "\(text)")
        }
        let defaults = SupervisorConfig().rendered()
        #expect(defaults.contains("\nstable_after = \"1m\"\n"))
        #expect(defaults.contains("\nheartbeat_interval = \"1s\"\n"))
        #expect(defaults.contains("\n# control_group = \"vkserve\"\n"))
        #expect(Self.changedExample.config.rendered().contains("\ncontrol_group = \"operators\"\n"))
    }
}
