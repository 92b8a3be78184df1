import ControlProtocol
import Foundation

/// `vkserve bench soak`: the stability protocol against a running vkserved. Bursts of requests every `every`
/// for `active`, then an idle period, over and over; every `restart-every` a restart of all workers through the
/// control socket; every `sample` a sample of memory and of the window's latency, appended and synced to
/// samples.jsonl. At the end the samples are judged (``SoakJudge``) and the report written.
public enum SoakTest {
    public static func run(
        _ config: SoakConfiguration, apiKey: String?, quiet: Bool = false
    ) async throws -> SoakSummary {
        try config.validate()
        let prompts = try PromptSource.choose(file: config.promptsFile, tokens: config.promptTokens, seed: config.seed)
        try JSONFiles.makeDirectory(config.out)
        let endpoint = try ServerEndpoint(url: config.url, apiKey: apiKey, connections: config.concurrency)
        do {
            let summary = try await SoakRunner(config: config, prompts: prompts, endpoint: endpoint, quiet: quiet).run()
            await endpoint.shutdown()
            return summary
        } catch {
            await endpoint.shutdown()
            throw error
        }
    }
}

struct SoakRunner: Sendable {
    let config: SoakConfiguration
    let prompts: PromptSource
    let endpoint: ServerEndpoint
    let quiet: Bool
    let control: ControlChannel
    let state = SoakState()

    init(config: SoakConfiguration, prompts: PromptSource, endpoint: ServerEndpoint, quiet: Bool) {
        self.config = config
        self.prompts = prompts
        self.endpoint = endpoint
        self.quiet = quiet
        control = ControlChannel(socket: config.controlSocket)
    }

    func run() async throws -> SoakSummary {
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let model = try await LoadTest.servedModel(endpoint)
        do {
            _ = try await endpoint.metricsText()
        } catch {
            throw BenchFailure("\(error); a soak is judged from the server's metrics")
        }
        var firstStatus: PoolStatus?
        do {
            firstStatus = try await control.status()
        } catch {
            if config.restartEveryS > 0 {
                throw BenchFailure(
                    "\(error)\nrestarts go through the control socket: give --control-socket PATH "
                        + "(and run as root or in its group), or --restart-every 0")
            }
        }
        let dir = URL(fileURLWithPath: config.out)
        try JSONFiles.write(
            SoakStart(startedAt: startedAt, model: model, configuration: config),
            to: dir.appendingPathComponent("soak.json").path)
        let samplesFile = try JSONLinesWriter(path: dir.appendingPathComponent("samples.jsonl").path, sync: true)
        let requestsFile = try JSONLinesWriter(path: dir.appendingPathComponent("requests.jsonl").path)
        let accumulator = WindowAccumulator(writer: requestsFile)
        let runStart = MonotonicClock.now()
        let sampler = SoakSampler(
            runner: self, runStart: runStart, accumulator: accumulator, writer: samplesFile,
            supervisorPID: firstStatus.flatMap { Self.localSupervisor($0.pid) })
        try await sampler.sample(final: false)
        let progress = ProgressDisplay(quiet: quiet)
        progress.start(plannedSeconds: config.scaled(config.durationS)) { await accumulator.progress }
        let samplingTask = Task { await sampler.loop() }
        await withDiscardingTaskGroup { group in
            group.addTask { await traffic(runStart: runStart, accumulator: accumulator) }
            if config.restartEveryS > 0 {
                group.addTask { await restarts(runStart: runStart, accumulator: accumulator) }
            }
        }
        state.activity = "done"
        samplingTask.cancel()
        await samplingTask.value
        try await sampler.sample(final: true)
        await progress.stop(
            final: await accumulator.progress, elapsed: MonotonicClock.seconds(runStart, MonotonicClock.now()))

        let samples = await sampler.samples
        let total = await accumulator.total
        let counts = state.burstCounts
        var summary = SoakJudge.summarize(
            config: config, startedAt: startedAt, model: model, samples: samples, restarts: state.restarts,
            latency: total, bursts: counts.bursts, lateBursts: counts.late)
        if let problem = sampler.problem { summary.notes.append(problem) }
        try JSONFiles.write(summary, to: dir.appendingPathComponent("summary.json").path)
        let outcomes = try JSONLinesWriter.read(RequestOutcome.self, from: requestsFile.path)
        try SoakReport.write(summary: summary, samples: samples, outcomes: outcomes, to: config.out)
        return summary
    }

    /// The supervisor's pid when its /proc entry is on this machine and is a vkserved (a control socket in
    /// another pid namespace would name some other process).
    static func localSupervisor(_ pid: Int32) -> Int32? {
        guard pid > 0, let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return nil }
        return comm.hasPrefix("vkserved") ? pid : nil
    }

    func now(_ runStart: UInt64) -> Double { MonotonicClock.seconds(runStart, MonotonicClock.now()) }

    // MARK: traffic

    /// Bursts every `every` while active, idle periods between active stretches, until the end.
    func traffic(runStart: UInt64, accumulator: WindowAccumulator) async {
        var rng = SeededGenerator(seed: config.seed ^ 0xB0_0057)
        let end = config.scaled(config.durationS)
        var index = 0
        while now(runStart) < end, !Task.isCancelled {
            state.activity = "burst"
            let activeEnd = min(end, now(runStart) + config.scaled(config.activeS))
            var tick = now(runStart)
            while now(runStart) < activeEnd, !Task.isCancelled {
                let late = now(runStart) - tick > max(0.5, config.scaled(config.everyS) * 0.5)
                state.burstStarted(late: late)
                let size = config.burstMin + Int(rng.next() % UInt64(config.burstMax - config.burstMin + 1))
                await burst(size, firstIndex: index, runStart: runStart, accumulator: accumulator)
                index += size
                tick += config.scaled(config.everyS)
                // A burst that outlasts the period delays the next one rather than overlapping it.
                if tick < now(runStart) { tick = now(runStart) }
                do { try await sleep(until: min(tick, activeEnd), runStart) } catch { return }
            }
            guard now(runStart) < end else { break }
            state.activity = "idle"
            let idle = config.idleMinS + rng.unit() * (config.idleMaxS - config.idleMinS)
            do { try await sleep(until: min(end, now(runStart) + config.scaled(idle)), runStart) } catch { return }
        }
    }

    func sleep(until t: Double, _ runStart: UInt64) async throws {
        try await MonotonicClock.sleep(until: runStart + UInt64(max(0, t) * 1e9))
    }

    func burst(_ size: Int, firstIndex: Int, runStart: UInt64, accumulator: WindowAccumulator) async {
        let next = Locked(0)
        await withDiscardingTaskGroup { group in
            for _ in 0..<min(size, config.concurrency) {
                group.addTask {
                    while let k = next.withLock({ n -> Int? in
                        guard n < size else { return nil }
                        defer { n += 1 }
                        return n
                    }) {
                        let index = firstIndex + k
                        let spec = CompletionRequest(
                            endpoint: config.endpoint, prompt: prompts.prompt(index, phase: "soak"),
                            maxTokens: config.maxTokens, temperature: config.temperature,
                            seed: config.seed &+ UInt64(index), model: config.model)
                        let outcome = await StreamingRequest(
                            endpoint: endpoint, request: spec, timeoutSeconds: Int64(config.timeoutS.rounded(.up))
                        ).run(phase: "soak", index: index, client: 0, runStart: runStart)
                        await accumulator.record(outcome)
                    }
                }
            }
        }
    }

    // MARK: restarts

    func restarts(runStart: UInt64, accumulator: WindowAccumulator) async {
        let end = config.scaled(config.durationS)
        var number = 1
        while !Task.isCancelled {
            let at = Double(number) * config.scaled(config.restartEveryS)
            guard at < end else { return }
            do { try await sleep(until: at, runStart) } catch { return }
            let record = await restart(number, runStart: runStart, accumulator: accumulator)
            state.restartEnded(record)
            number += 1
        }
    }

    /// Restarts every worker through the control socket and waits until each runs again under a new pid.
    func restart(_ number: Int, runStart: UInt64, accumulator: WindowAccumulator) async -> RestartRecord {
        let before = try? await control.status()
        let exitsBefore = try? await ServerCounters(PrometheusText(endpoint.metricsText())).workerExits
        let start = now(runStart)
        state.restartBegan(number, at: start)
        var ok = false
        var message: String
        var after: PoolStatus?
        do {
            let r = try await control.send(ControlRequest(command: .restart, names: ["all"]))
            ok = r.ok
            message = r.ok ? (r.message ?? "restart: all") : "refused: \(r.error ?? "?")"
        } catch {
            message = "\(error)"
        }
        if ok {
            let oldPIDs = before?.workerPIDs ?? [:]
            let deadline = start + config.restartTimeoutS
            ok = false
            while now(runStart) < deadline {
                if let s = try? await control.status(), s.settled,
                    s.workerPIDs.allSatisfy({ oldPIDs[$0.key] != $0.value }), !s.workerPIDs.isEmpty
                {
                    after = s
                    ok = true
                    break
                }
                try? await Task.sleep(nanoseconds: 200_000_000)
            }
            if !ok {
                message =
                    "the workers did not all run again under new pids within "
                    + "\(Format.seconds(config.restartTimeoutS))"
                after = try? await control.status()
            }
        }
        let end = now(runStart)
        let exitsAfter = try? await ServerCounters(PrometheusText(endpoint.metricsText())).workerExits
        var exits: [String: Int] = [:]
        if let exitsBefore, let exitsAfter {
            for (reason, n) in exitsAfter where n - (exitsBefore[reason] ?? 0) != 0 {
                exits[reason] = n - (exitsBefore[reason] ?? 0)
            }
        }
        return RestartRecord(
            number: number, startS: start, endS: end, ok: ok, message: message, pidsBefore: before?.workerPIDs ?? [:],
            pidsAfter: after?.workerPIDs ?? [:], failedRequests: await accumulator.failures(from: start, to: end + 1),
            exits: exits)
    }
}

/// soak.json: written first, so that samples.jsonl can be judged even if the bench never reaches the end.
struct SoakStart: Codable {
    var startedAt: String
    var model: String?
    var configuration: SoakConfiguration

    enum CodingKeys: String, CodingKey {
        case model, configuration
        case startedAt = "started_at"
    }
}
