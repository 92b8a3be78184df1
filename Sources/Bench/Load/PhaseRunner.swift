import Foundation

/// Runs the phases of a load test against one server: closed loop (fixed concurrency) or open loop (fixed
/// rate), each bracketed by scrapes of the server's counters.
struct PhaseRunner: Sendable {
    let endpoint: ServerEndpoint
    let config: LoadConfiguration
    let prompts: PromptSource
    /// The monotonic time every offset in requests.jsonl counts from.
    let runStart: UInt64
    let requestsFile: JSONLinesWriter?
    let progress: ProgressDisplay
    /// Whether /metrics could be read before the run.
    let serverMetrics: Bool

    struct Result {
        var summary: PhaseSummary
        var latency: LatencySet
        var outcomes: [RequestOutcome]
        var problem: String?
    }

    func request(_ index: Int, phase: String) -> StreamingRequest {
        let spec = CompletionRequest(
            endpoint: config.endpoint, prompt: prompts.prompt(index, phase: phase), maxTokens: config.maxTokens,
            temperature: config.temperature, seed: config.seed &+ UInt64(index), model: config.model,
            ignoreEos: config.ignoreEos ?? false)
        return StreamingRequest(endpoint: endpoint, request: spec, timeoutSeconds: Int64(config.timeoutS.rounded(.up)))
    }

    /// `concurrency` clients, each sending its next request when its previous one ends, until `requests` have
    /// been sent or `durationS` has passed.
    func closed(_ name: String, concurrency: Int, requests: Int?, durationS: Double?) async -> Result {
        let collector = PhaseCollector(phase: name, writer: requestsFile, planned: requests)
        return await measure(
            name, mode: "closed", concurrency: concurrency, rate: nil, collector: collector,
            plannedSeconds: durationS
        ) { start in
            let deadline = durationS.map { start + UInt64($0 * 1e9) }
            let next = Locked(0)
            await withDiscardingTaskGroup { group in
                for client in 0..<concurrency {
                    group.addTask {
                        while true {
                            if let deadline, MonotonicClock.now() >= deadline { return }
                            let index = next.withLock { n -> Int? in
                                if let requests, n >= requests { return nil }
                                defer { n += 1 }
                                return n
                            }
                            guard let index, !Task.isCancelled else { return }
                            let outcome = await request(index, phase: name)
                                .run(phase: name, index: index, client: client, runStart: runStart)
                            await collector.record(outcome)
                        }
                    }
                }
            }
        }
    }

    /// Requests sent at the times of `schedule`, however many are in flight; latencies count from each
    /// request's scheduled time, so a slow server cannot hide behind a generator that waits for it.
    func open(_ name: String, schedule: ArrivalSchedule) async -> Result {
        let collector = PhaseCollector(phase: name, writer: requestsFile, planned: schedule.count)
        return await measure(
            name, mode: "open", concurrency: nil, rate: schedule.rate, collector: collector,
            plannedSeconds: schedule.duration
        ) { start in
            await withDiscardingTaskGroup { group in
                for (index, offset) in schedule.enumerated() {
                    let due = start + UInt64(offset * 1e9)
                    do { try await MonotonicClock.sleep(until: due) } catch { return }
                    group.addTask {
                        let outcome = await request(index, phase: name)
                            .run(phase: name, index: index, client: 0, runStart: runStart, scheduled: due)
                        await collector.record(outcome)
                    }
                }
            }
        }
    }

    private func measure(
        _ name: String, mode: String, concurrency: Int?, rate: Double?, collector: PhaseCollector,
        plannedSeconds: Double?, _ body: (UInt64) async -> Void
    ) async -> Result {
        let before = serverMetrics ? try? await counters() : nil
        progress.start(plannedSeconds: plannedSeconds) { await collector.progress }
        let cpu = ClientCPU.Mark.now()
        let start = MonotonicClock.now()
        await body(start)
        let outcomes = await collector.outcomes
        let lastEnd = outcomes.map(\.endS).max().map { runStart + UInt64($0 * 1e9) } ?? MonotonicClock.now()
        let duration = MonotonicClock.seconds(start, max(start, lastEnd))
        let cpuUse = cpu.until(.now())
        await progress.stop(final: await collector.progress, elapsed: duration)
        var check: ServerCountCheck?
        var problem = await collector.problem
        if let before {
            // The server counts a request when its response ends, a hair after the client sees the end: read
            // again for up to a second before calling a difference a disagreement.
            for attempt in 0..<10 {
                guard let after = try? await counters() else { break }
                check = ServerCountCheck(server: after.since(before), outcomes: outcomes)
                if check!.agrees != false { break }
                if attempt < 9 { try? await Task.sleep(nanoseconds: 100_000_000) }
            }
            if check == nil { problem = problem ?? "the server's /metrics could not be read after the \(name) phase" }
        }
        let latency = await collector.latency
        let summary = PhaseSummary(
            name: name, mode: mode, concurrency: concurrency, rate: rate, outcomes: outcomes,
            latency: latency, durationS: duration, cpu: cpuUse, serverCounts: check)
        return Result(summary: summary, latency: latency, outcomes: outcomes, problem: problem)
    }

    func counters() async throws -> ServerCounters {
        ServerCounters(PrometheusText(try await endpoint.metricsText()))
    }
}
