import Foundation
import GenerationTypes
import TestHarness
import Testing
import WorkerProtocol

@Suite("vkserve-worker over its socket", .serialized)
struct WorkerTests {
    @Test("hello, ready, generate, health, stats; bad frames get error replies and the connection goes on")
    func roundTrips() throws {
        let w = try WorkerProcess()
        try w.connect()
        let hello = try w.wait { if case .hello(let h) = $0 { return h } else { return nil } }
        #expect(hello.version == WireFormat.version && hello.slots == 4 && hello.context == 512)
        #expect(hello.pid == w.process.processIdentifier)
        try w.waitReady()
        // Socket mode 0600.
        var st = stat()
        #expect(stat(w.socketPath, &st) == 0 && st.st_mode & 0o777 == 0o600)

        try w.send(WorkerProcess.generate("a", "The capital of France is", maxTokens: 8))
        let a = try w.collect(["a"])["a"]!
        #expect(a.done?.reason == .length && a.done?.usage.completionTokens == 8 && a.tokens.count == 8)
        #expect(a.text.hasPrefix(" Paris"), "\(a.text)")
        #expect((a.done?.timings.totalMs ?? 0) > 0 && (a.done?.timings.firstTokenMs ?? 0) > 0)

        try w.send(.health)
        let beat = try w.wait { if case .heartbeat(let h) = $0 { return h } else { return nil } }
        #expect(beat.state == .ready && beat.steps > 0 && beat.tokens >= 8 && (beat.memory.rss ?? 0) > 10_000_000)
        try w.send(.stats)
        let stats = try w.wait { if case .stats(let s) = $0 { return s } else { return nil } }
        #expect(stats.slots == 4 && stats.promptTokens > 0 && stats.heartbeat.requestsDone >= 1)

        // Garbage of every kind: each gets an error reply, nothing wedges.
        let bad: [[UInt8]] = [
            WireFormat.frame(Array("not json".utf8)),
            WireFormat.frame(Array(#"{"type":"launch_missiles"}"#.utf8)),
            WireFormat.frame(Array(#"{"type":"generate","id":7}"#.utf8)),
            [0, 0, 0, 0],
            [0x7f, 0xff, 0xff, 0xff] + Array(repeating: 0, count: 64),  // oversized: skipped as it arrives
        ]
        for frame in bad { try w.socket!.send(frame) }
        var codes: [ErrorReply.Code] = []
        while codes.count < 5 {
            let e = try w.wait { if case .error(let e) = $0 { return e } else { return nil } }
            codes.append(e.code)
        }
        #expect(codes == [.badFrame, .unknownType, .badFrame, .badFrame, .frameTooLarge], "\(codes)")
        // The oversized frame's payload (2 GiB announced) never arrives; close it out with a new connection.
        w.socket!.close()
        try w.connect()
        try w.send(WorkerProcess.generate("b", "The capital of France is", maxTokens: 8))
        #expect(try w.collect(["b"])["b"]!.tokens == a.tokens)

        // Requests that cannot run are refused with a reason.
        try w.send(.generate(GenerateRequest(id: "long", prompt: .tokens(Array(repeating: 1, count: 600)), maxTokens: 4)))
        try w.send(.generate(GenerateRequest(id: "zero", prompt: .text("hi"), maxTokens: 0)))
        try w.send(.generate(GenerateRequest(id: "oov", prompt: .tokens([1, 9_999_999]), maxTokens: 2)))
        // Stop strings past the limits (16 strings, 256 bytes each, none empty): the protocol is a trust boundary.
        let tooMany = (0 ..< 17).map { "s\($0)" }
        try w.send(.generate(GenerateRequest(id: "stops", prompt: .text("hi"), maxTokens: 2, stop: tooMany)))
        let tooLong = [String(repeating: "x", count: 257)]
        try w.send(.generate(GenerateRequest(id: "stoplen", prompt: .text("hi"), maxTokens: 2, stop: tooLong)))
        try w.send(.generate(GenerateRequest(id: "stopempty", prompt: .text("hi"), maxTokens: 2, stop: [""])))
        let refused = try w.collect(["long", "zero", "oov", "stops", "stoplen", "stopempty"])
        #expect(refused["long"]?.error?.code == .promptTooLong)
        #expect(refused["zero"]?.error?.code == .badRequest)
        #expect(refused["oov"]?.error?.code == .badRequest)
        #expect(refused["stops"]?.error?.code == .badRequest && refused["stops"]?.error?.message.contains("16") == true)
        #expect(refused["stoplen"]?.error?.code == .badRequest
            && refused["stoplen"]?.error?.message.contains("257 bytes") == true)
        #expect(refused["stopempty"]?.error?.code == .badRequest)
        // Random frames from a seeded generator: the worker answers or ignores, and still serves.
        var rng = SplitMix64(seed: 0x5eed)
        for _ in 0 ..< 200 {
            let n = Int.random(in: 0 ... 300, using: &rng)
            var payload = (0 ..< n).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            if n > 10, Bool.random(using: &rng) { payload = Array(#"{"type":"generate","#.utf8) + payload }
            try w.socket!.send(WireFormat.frame(payload))
        }
        try w.send(.generate(GenerateRequest(id: "after", prompt: .text("The capital of France is"),
                                             sampling: Sampling(temperature: 0), maxTokens: 8, ignoreEos: true)))
        #expect(try w.collect(["after"])["after"]!.tokens == a.tokens)
        #expect(w.process.isRunning)
    }

    @Test("12 concurrent requests give each the tokens it gets alone; cancellation frees the slot at once")
    func batchingAndCancellation() throws {
        let w = try WorkerProcess(slots: 12)
        try w.connect()
        try w.waitReady()
        let prompts = ["The capital of France is", "Once upon a time", "def fibonacci(n):", "Water boils at",
                       "My favourite book is", "In 1492,", "The quick brown fox", "Photosynthesis is",
                       "The speed of light is", "import numpy as np", "A haiku about the sea:", "Dear Sir,"]
        try w.send(WorkerProcess.generate("solo", prompts[3], maxTokens: 20))
        let solo = try w.collect(["solo"])["solo"]!
        for (i, p) in prompts.enumerated() { try w.send(WorkerProcess.generate("c\(i)", p, maxTokens: 20)) }
        let all = try w.collect(Set(prompts.indices.map { "c\($0)" }))
        #expect(all["c3"]!.tokens == solo.tokens)
        #expect(all.values.allSatisfy { $0.tokens.count == 20 && $0.done?.reason == .length })

        // One slot: a long request is cancelled mid-way, and the queued one starts right after.
        let one = try WorkerProcess(slots: 1)
        try one.connect()
        try one.waitReady()
        try one.send(WorkerProcess.generate("long", prompts[0], maxTokens: 400))
        try one.send(WorkerProcess.generate("next", prompts[1], maxTokens: 4))
        _ = try one.wait { if case .token(let t) = $0, t.id == "long", t.index == 3 { return t } else { return nil } }
        try one.send(.cancel(id: "long"))
        let r = try one.collect(["long", "next"])
        #expect(r["long"]!.done?.reason == .cancelled && r["long"]!.tokens.count < 400)
        #expect(r["next"]!.done?.reason == .length && r["next"]!.tokens.count == 4)
        try one.send(.cancel(id: "nope"))
        let unknown = try one.wait { if case .error(let e) = $0 { return e } else { return nil } }
        #expect(unknown.code == .unknownId)
    }

    @Test("drain refuses new work and finishes in-flight; SIGTERM finishes in-flight work and exits 0")
    func drainAndTerm() throws {
        let w = try WorkerProcess(slots: 2)
        try w.connect()
        try w.waitReady()
        try w.send(WorkerProcess.generate("inflight", "Once upon a time", maxTokens: 24))
        _ = try w.wait { if case .token(let t) = $0, t.id == "inflight" { return t } else { return nil } }
        try w.send(.drain)
        try w.send(WorkerProcess.generate("late", "Hello", maxTokens: 4))
        let r = try w.collect(["inflight", "late"])
        #expect(r["late"]!.error?.code == .draining)
        #expect(r["inflight"]!.done?.reason == .length && r["inflight"]!.tokens.count == 24)

        let t = try WorkerProcess(slots: 2)
        try t.connect()
        try t.waitReady()
        try t.send(WorkerProcess.generate("x", "Once upon a time", maxTokens: 32))
        _ = try t.wait { if case .token(let e) = $0, e.id == "x" { return e } else { return nil } }
        kill(t.process.processIdentifier, SIGTERM)
        let x = try t.collect(["x"])["x"]!
        #expect(x.done?.reason == .length && x.tokens.count == 32)
        let (status, reason) = try t.waitExit()
        #expect(reason == .exit && status == 0, "\(t.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: t.socketPath))

        // A shutdown deadline shorter than the work cancels what is left, then exits 0.
        let s = try WorkerProcess(slots: 2)
        try s.connect()
        try s.waitReady()
        try s.send(WorkerProcess.generate("y", "Once upon a time", maxTokens: 400))
        _ = try s.wait { if case .token(let e) = $0, e.id == "y" { return e } else { return nil } }
        try s.send(.shutdown(deadlineMs: 200))
        let y = try s.collect(["y"])["y"]!
        #expect(y.done?.reason == .cancelled)
        #expect(try s.waitExit().0 == 0)
    }

    @Test("crash, hang and silence are each visible from the socket side")
    func processFaults() throws {
        // crash: the stream ends and the process dies of a signal.
        let c = try WorkerProcess(environment: ["VKSERVE_WORKER_FAULT": "crash@3"])
        try c.connect()
        try c.waitReady()
        try c.send(WorkerProcess.generate("a", "Once upon a time", maxTokens: 50))
        while try c.next(timeout: 30) != nil {}
        let (_, reason) = try c.waitExit()
        #expect(reason == .uncaughtSignal)

        // hang: heartbeats go on, in flight, with steps frozen.
        let h = try WorkerProcess()
        try h.connect()
        try h.waitReady()
        try h.send(.injectFault(FaultInjection(fault: "hang", atStep: 2)))
        try h.send(WorkerProcess.generate("a", "Once upon a time", maxTokens: 50))
        var beats: [Heartbeat] = []
        while beats.count < 8 {
            beats.append(try h.wait(timeout: 10) { if case .heartbeat(let b) = $0 { return b } else { return nil } })
        }
        let last = beats.suffix(4)
        #expect(last.allSatisfy { $0.inFlight == 1 && $0.steps == last.first!.steps }, "\(beats.map(\.steps))")
        #expect(Set(last.map(\.sequence)).count == 4)

        // silent: tokens keep coming, heartbeats stop.
        let s = try WorkerProcess()
        try s.connect()
        try s.waitReady()
        try s.send(.injectFault(FaultInjection(fault: "silent", atStep: 0)))
        // The fault is in place before the next message is answered: read past the heartbeats sent before it.
        try s.send(.health)
        _ = try s.wait { if case .heartbeat = $0 { return true } else { return nil } }
        let start = s.received.count
        try s.send(WorkerProcess.generate("a", "Once upon a time", maxTokens: 40))
        _ = try s.collect(["a"])
        usleep(600_000)  // an observation window: three heartbeat intervals in which none may come
        try s.send(.health)  // a direct question is still answered: the process is alive, its timer is not
        _ = try s.wait { if case .heartbeat = $0 { return true } else { return nil } }
        let unsolicited = s.received[start...].dropLast().filter { if case .heartbeat = $0 { return true } else { return false } }
        #expect(unsolicited.isEmpty, "\(unsolicited.count) heartbeats after silence")
    }

    @Test("device faults on Vulkan arrive as fault messages with their exit codes", arguments: [
        ("no-device", FaultKind.noDevice, WorkerExitCode.noDevice),
        ("out-of-memory", FaultKind.outOfDeviceMemory, WorkerExitCode.outOfDeviceMemory),
        ("device-lost@2", FaultKind.deviceLost, WorkerExitCode.deviceLost),
    ])
    func deviceFaults(fault: String, kind: FaultKind, code: WorkerExitCode) throws {
        let w = try WorkerProcess(model: try TinyModel.path(), backend: "vulkan", slots: 2, context: 64,
                                  environment: ["VKSERVE_INJECT_FAULT": fault])
        try w.connect()
        if fault.hasPrefix("device-lost") {
            try w.waitReady()
            try w.send(.generate(GenerateRequest(id: "a", prompt: .tokens([1, 2, 3]), maxTokens: 20, ignoreEos: true)))
        }
        let f = try w.wait { if case .fault(let f) = $0 { return f } else { return nil } }
        #expect(f.kind == kind, "\(f)")
        let (status, reason) = try w.waitExit()
        #expect(reason == .exit && status == code.rawValue, "\(w.stderrText)")
    }

    @Test("bad arguments and bad models exit with their codes; the worker dies with its parent")
    func exitsAndParentDeath() throws {
        let bad = try WorkerProcess(extra: ["--slots", "0"])
        #expect(try bad.waitExit().0 == WorkerExitCode.badArguments.rawValue)
        let missing = try WorkerProcess(model: "/nonexistent.gguf")
        #expect(try missing.waitExit().0 == WorkerExitCode.badModel.rawValue)
        #expect(missing.stderrText.contains("nonexistent"))
        // An architecture this build does not run is refused at load, naming it and the ones it runs.
        let mamba = FileManager.default.temporaryDirectory.appendingPathComponent("vkw-mamba-\(getpid()).gguf").path
        try Self.metadataOnlyGGUF(architecture: "mamba").write(to: URL(fileURLWithPath: mamba))
        defer { try? FileManager.default.removeItem(atPath: mamba) }
        let unsupported = try WorkerProcess(model: mamba)
        #expect(try unsupported.waitExit().0 == WorkerExitCode.badModel.rawValue)
        let refusal = unsupported.stderrText   // read once: it drains the pipe
        #expect(refusal.contains("architecture 'mamba' is not supported") && refusal.contains("qwen3"), "\(refusal)")
        // A chat layout the build does not write is a bad argument, with the list of those it writes.
        let layout = try WorkerProcess(extra: ["--chat-template", "vicuna"])
        #expect(try layout.waitExit().0 == WorkerExitCode.badArguments.rawValue)
        let usage = layout.stderrText
        #expect(usage.contains("mistral-v3-tekken"), "\(usage)")

        // A parent shell starts the worker and is SIGKILLed: the worker must follow.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vkw-parent-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pidFile = dir.appendingPathComponent("pid").path
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "'\(WorkerProcess.binary)' --socket '\(dir.path)/w.sock' --model '\(WorkerProcess.smol)' "
            + "--backend cpu --slots 1 --context 64 & echo $! > '\(pidFile)'; wait"]
        try shell.run()
        var worker: pid_t = 0
        for _ in 0 ..< 200 where worker == 0 {
            worker = pid_t((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            usleep(20_000)
        }
        #expect(worker > 0 && kill(worker, 0) == 0)
        // Listening means well past the prctl(PR_SET_PDEATHSIG) at its start.
        var listening = false
        for _ in 0 ..< 500 where !listening {
            listening = FileManager.default.fileExists(atPath: "\(dir.path)/w.sock")
            if !listening { usleep(20_000) }
        }
        #expect(listening, "the worker never listened")
        kill(shell.processIdentifier, SIGKILL)
        shell.waitUntilExit()
        var alive = true
        for _ in 0 ..< 100 where alive {
            usleep(50_000)
            // The worker is our grandchild, re-parented to init (or a subreaper) which reaps it.
            alive = kill(worker, 0) == 0 && !Self.isZombie(worker)
        }
        #expect(!alive, "the worker outlived its parent")
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }
}

/// A tiny random llama model written by `vkserve synth-model`, for fast Vulkan runs.
extension WorkerTests {
    /// A GGUF v3 file with one metadata key, `general.architecture`, and no tensors.
    static func metadataOnlyGGUF(architecture: String) -> Data {
        var d = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); d.append(contentsOf: Array(s.utf8)) }
        u32(3); u64(0); u64(1)
        string("general.architecture"); u32(8); string(architecture)
        return d
    }
}

enum TinyModel {
    static func path() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vkserve-tiny-model.gguf").path
        if FileManager.default.fileExists(atPath: path) { return path }
        let vkserve = URL(fileURLWithPath: WorkerProcess.binary).deletingLastPathComponent().appendingPathComponent("vkserve")
        let p = Process()
        p.executableURL = vkserve
        p.arguments = ["synth-model", "--hidden", "256", "--layers", "2", "--ffn", "512", "--heads", "4", "--kv-heads", "2",
                       path]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("synth-model failed") }
        return path
    }
}
