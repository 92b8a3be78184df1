import ControlProtocol
import Foundation
import Logging
@testable import Supervisor
import Systemd
import Testing

/// The pool's rules in process, with scripted workers: restarts with backoff, fatal, CPU failover and fail-back,
/// rolling restarts (drain-first and make-before-break), reload, stop and start. Each runs in milliseconds; the
/// end-to-end suites check the same rules with real worker processes.
@Suite("worker pool (in process)")
struct PoolTests {
    static let quiet = Logger(label: "pool-test") { _ in SwiftLogNoOpLogHandler() }

    /// A configuration with short timers: backoff from 10 ms, fatal after 3 failures, probes from 10 ms (and long
    /// ones where a slow run must not change the outcome: stable_after and fatal_retry an hour).
    static func config(vulkan: Int = 0, cpu: Int = 1, _ edit: (inout SupervisorConfig) -> Void = { _ in }) -> SupervisorConfig {
        var c = SupervisorConfig()
        c.runtimeDir = NSTemporaryDirectory() + "vks-pool-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        c.workers.vulkan = vulkan
        c.workers.cpu = cpu
        c.restart.backoffInitial = .milliseconds(10)
        c.restart.backoffMax = .milliseconds(40)
        c.restart.fatalAfter = 3
        c.restart.fatalRetry = .seconds(3600)
        c.restart.stableAfter = .seconds(3600)
        c.failover.probeInitial = .milliseconds(10)
        c.failover.probeMax = .milliseconds(40)
        edit(&c)
        return c
    }

    /// Runs a pool over scripted workers for the length of `body`.
    func withPool(_ config: SupervisorConfig, _ body: (WorkerPool, ScriptedWorkers) async throws -> Void) async throws {
        let workers = ScriptedWorkers()
        let pool = WorkerPool(config: config, workerBinary: "/nonexistent/vkserve-worker", environment: [:],
                              notifier: SystemdNotifier(environment: [:]), logger: Self.quiet,
                              makeWorker: workers.factory, tick: .milliseconds(2))
        defer { try? FileManager.default.removeItem(atPath: config.runtimeDir) }  // the pool creates it
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            defer { group.cancelAll() }
            try await body(pool, workers)
        }
    }

    /// cpu-0's first worker, ready with 1 MiB resident (room for a second copy: make-before-break), then an
    /// operator restart of it.
    func restartWithRoom(_ pool: WorkerPool, _ workers: ScriptedWorkers) async throws -> ScriptedWorker {
        let old = try await incarnation(1, of: "cpu-0", in: workers)
        old.ready(rss: 1 << 20)
        try await until("ready") { pool.status.readyCount == 1 }
        pool.perform(.restart(["cpu-0"]))
        return old
    }

    /// Waits until `condition` holds. The bound is generous on purpose: beside the engine suites' compute on two
    /// cores, this process's few threads may all be taken for minutes; a wait that succeeds returns at once.
    func until(_ what: String, _ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + .seconds(600)
        while !condition() {
            guard ContinuousClock.now < end else { throw PoolTestTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The `n`th incarnation (1-based) of slot `name`, once the pool has made it.
    func incarnation(_ n: Int, of name: String, in workers: ScriptedWorkers) async throws -> ScriptedWorker {
        try await until("incarnation \(n) of \(name)") { workers.of(name).count >= n }
        return workers.of(name)[n - 1]
    }

    func row(_ pool: WorkerPool, _ name: String) -> PoolStatus.Row? { pool.status.rows.first { $0.name == name } }

    @Test("a crashed worker is restarted after its backoff; after fatal_after failures in a row it is fatal")
    func backoffThenFatal() async throws {
        try await withPool(Self.config()) { pool, workers in
            let first = try await incarnation(1, of: "cpu-0", in: workers)
            first.ready()
            try await until("cpu-0 ready") { row(pool, "cpu-0")?.state == .ready }
            first.exit(.crash, message: "boom")
            try await incarnation(2, of: "cpu-0", in: workers).exit(.crash)
            try await incarnation(3, of: "cpu-0", in: workers).exit(.crash)
            try await until("cpu-0 fatal") { row(pool, "cpu-0")?.state == .fatal }
            let r = try #require(row(pool, "cpu-0"))
            #expect(r.restarts == 3)
            #expect(r.lastExit == "crash")
            #expect((r.retryInS ?? 0) > 3000, "fatal retries after fatal_retry (1 h), not the backoff")
            #expect(pool.status.exits["crash"] == 3)
            #expect(workers.of("cpu-0").count == 3)
        }
    }

    @Test("a worker that ran stably before crashing starts again from the first backoff step")
    func stableRunResetsBackoff() async throws {
        try await withPool(Self.config { $0.restart.stableAfter = .milliseconds(1) }) { pool, workers in
            for n in 1 ... 4 {
                let w = try await incarnation(n, of: "cpu-0", in: workers)
                w.ready()
                try await Task.sleep(for: .milliseconds(3))  // past stable_after (1 ms): a stable run
                w.exit(.crash)
            }
            _ = try await incarnation(5, of: "cpu-0", in: workers)
            #expect(row(pool, "cpu-0")?.state != .fatal)
        }
    }

    @Test("a Vulkan worker's lost device: a CPU stand-in serves, probes back off, the first ready probe fails back")
    func failoverAndBack() async throws {
        try await withPool(Self.config(vulkan: 1, cpu: 0)) { pool, workers in
            let gpu = try await incarnation(1, of: "vulkan-0", in: workers)
            gpu.ready()
            try await until("vulkan-0 ready") { pool.status.readyCount == 1 }
            gpu.exit(.deviceLost, message: "VK_ERROR_DEVICE_LOST")
            let standIn = try await incarnation(1, of: "cpu-fallback-0", in: workers)
            #expect(standIn.launch.backend == .cpu)
            standIn.ready()
            try await until("degraded, served by the stand-in") {
                pool.status.degraded && row(pool, "cpu-fallback-0")?.state == .ready
            }
            #expect(row(pool, "cpu-fallback-0")?.replaces == "vulkan-0")
            #expect(pool.status.degradedReason?.contains("device lost") == true, "\(pool.status.degradedReason ?? "")")
            // A probe that still finds no device: still degraded, probing again.
            try await incarnation(2, of: "vulkan-0", in: workers).exit(.noDevice)
            #expect(pool.status.degraded)
            let probe = try await incarnation(3, of: "vulkan-0", in: workers)
            #expect(probe.launch.backend == .vulkan)
            probe.ready()
            try await until("failed back") { !pool.status.degraded && row(pool, "cpu-fallback-0") == nil }
            #expect(standIn.asked == ["stop"])
            #expect(row(pool, "vulkan-0")?.state == .ready)
        }
    }

    @Test("a Vulkan worker that crash-loops fails over too; with cpu_fallback off it goes fatal instead")
    func crashLoopFailover() async throws {
        try await withPool(Self.config(vulkan: 1, cpu: 0)) { pool, workers in
            for n in 1 ... 3 { try await incarnation(n, of: "vulkan-0", in: workers).exit(.crash) }
            _ = try await incarnation(1, of: "cpu-fallback-0", in: workers)
            #expect(pool.status.degraded)
        }
        try await withPool(Self.config(vulkan: 1, cpu: 0) { $0.workers.cpuFallback = false }) { pool, workers in
            for n in 1 ... 3 { try await incarnation(n, of: "vulkan-0", in: workers).exit(.crash) }
            try await until("vulkan-0 fatal") { row(pool, "vulkan-0")?.state == .fatal }
            #expect(workers.of("cpu-fallback-0").isEmpty)
        }
    }

    @Test("an operator restart without room for a second copy drains first, then starts the replacement")
    func drainFirstRestart() async throws {
        try await withPool(Self.config()) { pool, workers in
            let old = try await incarnation(1, of: "cpu-0", in: workers)
            old.ready()  // no heartbeat: the pool cannot tell there is room, so drain-first
            try await until("ready") { pool.status.readyCount == 1 }
            pool.perform(.restart(["cpu-0"]))
            let new = try await incarnation(2, of: "cpu-0", in: workers)
            #expect(old.asked == ["stop"] && old.ended, "the old one ends before the new one starts")
            new.ready()
            try await until("ready again") { row(pool, "cpu-0")?.state == .ready }
            #expect(row(pool, "cpu-0")?.restarts == 0, "a requested restart is not a failure")
        }
    }

    @Test("make-before-break: the replacement starts beside the old worker, which is stopped once it is ready")
    func makeBeforeBreak() async throws {
        try await withPool(Self.config()) { pool, workers in
            let old = try await restartWithRoom(pool, workers)
            let new = try await incarnation(2, of: "cpu-0", in: workers)
            try await until("the replacement shown") { row(pool, "cpu-0")?.shadow != nil }
            #expect(old.asked.isEmpty, "the old worker serves until the replacement is ready")
            #expect(row(pool, "cpu-0")?.state == .ready)
            new.ready(rss: 1 << 20)
            try await until("the old one stopped") { old.asked == ["stop"] }
            try await until("settled") { row(pool, "cpu-0")?.shadow == nil }
            #expect(row(pool, "cpu-0")?.pid == new.snapshot.pid)
        }
    }

    @Test("a replacement that fails to start leaves the old worker serving")
    func failedReplacement() async throws {
        try await withPool(Self.config()) { pool, workers in
            let old = try await restartWithRoom(pool, workers)
            try await incarnation(2, of: "cpu-0", in: workers).exit(.badModel)
            try await until("rolling abandoned") { row(pool, "cpu-0")?.shadow == nil }
            #expect(old.asked.isEmpty && row(pool, "cpu-0")?.state == .ready)
            #expect(row(pool, "cpu-0")?.pid == old.snapshot.pid)
        }
    }

    @Test("a reload that changes the command line restarts the workers one at a time; one that does not, none")
    func reloadRestartsOneAtATime() async throws {
        let config = Self.config(cpu: 2)
        try await withPool(config) { pool, workers in
            let a = try await incarnation(1, of: "cpu-0", in: workers)
            let b = try await incarnation(1, of: "cpu-1", in: workers)
            a.ready()
            b.ready()
            try await until("both ready") { pool.status.readyCount == 2 }
            pool.reload(config)
            try await Task.sleep(for: .milliseconds(20))  // several turns of the loop: nothing may happen
            #expect(a.asked.isEmpty && b.asked.isEmpty)

            var changed = config
            changed.model.slots += 1
            pool.reload(changed)
            let a2 = try await incarnation(2, of: "cpu-0", in: workers)
            #expect(a2.launch.arguments.contains("\(changed.model.slots)"))
            #expect(b.asked.isEmpty, "cpu-1 waits for cpu-0's replacement")
            a2.ready()
            let b2 = try await incarnation(2, of: "cpu-1", in: workers)
            b2.ready()
            try await until("both ready again") { pool.status.readyCount == 2 && pool.status.rows.allSatisfy { $0.shadow == nil } }
        }
    }

    @Test("scheduled restarts happen on time for a worker that keeps turning busy and idle")
    func scheduledRestartUnderIntermittentLoad() async throws {
        try await withPool(Self.config { $0.restart.every = .milliseconds(60); $0.restart.jitter = .zero }) { pool, workers in
            let w = try await incarnation(1, of: "cpu-0", in: workers)
            w.ready()
            try await until("ready") { pool.status.readyCount == 1 }
            // Requests come and go every few milliseconds: each busy → ready turn is not a new start.
            let start = ContinuousClock.now
            while workers.of("cpu-0").count < 2 && ContinuousClock.now - start < .seconds(600) {
                w.busy()
                try await Task.sleep(for: .milliseconds(3))
                w.idle()
                try await Task.sleep(for: .milliseconds(3))
            }
            #expect(workers.of("cpu-0").count == 2, "the restart due after 60 ms had not come after 600 s")
        }
    }

    @Test("stop keeps a worker stopped (no restart); start brings it back")
    func stopAndStart() async throws {
        try await withPool(Self.config()) { pool, workers in
            let w = try await incarnation(1, of: "cpu-0", in: workers)
            w.ready()
            try await until("ready") { pool.status.readyCount == 1 }
            pool.perform(.stop(["cpu-0"]))
            try await until("stopped") { row(pool, "cpu-0")?.state == .stopped }
            try await Task.sleep(for: .milliseconds(20))
            #expect(workers.of("cpu-0").count == 1)
            pool.perform(.start(["cpu-0"]))
            try await incarnation(2, of: "cpu-0", in: workers).ready()
            try await until("running again") { row(pool, "cpu-0")?.state == .ready }
        }
    }

    @Test("drain stops routing to a worker without stopping it")
    func drain() async throws {
        try await withPool(Self.config()) { pool, workers in
            let w = try await incarnation(1, of: "cpu-0", in: workers)
            w.ready()
            try await until("ready") { pool.servingLinks.count == 1 }
            pool.perform(.drain(["cpu-0"]))
            try await until("draining") { row(pool, "cpu-0")?.state == .draining }
            #expect(w.asked == ["drain"])
            #expect(pool.servingLinks.isEmpty)
        }
    }
}

struct PoolTestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for: \(what)" }
}
