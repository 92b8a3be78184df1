import Foundation

/// Takes the soak's samples: the window's latency from the accumulator, memory from /metrics, pids from the
/// control socket; each appended and synced to samples.jsonl before the next.
final class SoakSampler: Sendable {
    let runner: SoakRunner
    let runStart: UInt64
    let accumulator: WindowAccumulator
    let writer: JSONLinesWriter
    let supervisorPID: Int32?
    private let taken = Locked<[SoakSample]>([])
    private let lastEnd = Locked(0.0)
    private let writeProblem = Locked<String?>(nil)

    init(
        runner: SoakRunner, runStart: UInt64, accumulator: WindowAccumulator, writer: JSONLinesWriter,
        supervisorPID: Int32?
    ) {
        self.runner = runner
        self.runStart = runStart
        self.accumulator = accumulator
        self.writer = writer
        self.supervisorPID = supervisorPID
    }

    var samples: [SoakSample] { get async { taken.current } }
    var problem: String? { writeProblem.current }

    func loop() async {
        let period = runner.config.scaled(runner.config.sampleS)
        var next = period
        while !Task.isCancelled {
            do {
                try await MonotonicClock.sleep(until: runStart + UInt64(next * 1e9))
            } catch {
                return
            }
            try? await sample(final: false)
            next += period
            // After a stall (a suspended laptop, say), skip the missed samples rather than firing them in a row.
            let now = MonotonicClock.seconds(runStart, MonotonicClock.now())
            if next < now { next = now + period }
        }
    }

    func sample(final: Bool) async throws {
        let config = runner.config
        let t = MonotonicClock.seconds(runStart, MonotonicClock.now())
        var metrics: PrometheusText?
        var metricsError: String?
        do {
            metrics = PrometheusText(try await runner.endpoint.metricsText())
        } catch {
            // The run ended while this sample was reading (the loop is cancelled then): no sample, and
            // its window stays for the final one. Recording it would blame the server for our own stop.
            if Task.isCancelled { throw CancellationError() }
            metricsError = "\(error)"
        }
        let window = await accumulator.take()
        let start = lastEnd.withLock { v in
            defer { v = t }
            return v
        }
        let status = try? await runner.control.status()
        let reading = ResourceReading(
            tS: t, metrics: metrics, supervisorPID: supervisorPID, gpus: NvidiaSMI.read(),
            error: metricsError)
        let itl = window.latency.itl
        let ttft = window.latency.ttft
        let e2e = window.latency.e2e
        let width = t - start
        let sample = SoakSample(
            tS: t, windowS: width, protocolS: t * config.timeScale, activity: final ? "done" : runner.state.activity,
            warmup: t <= config.scaled(config.warmupS), restartWindow: runner.state.restartOverlaps(start, t),
            requests: window.requests, failed: window.failed, errors: window.errors, tokens: window.tokens,
            tokensPerS: width > 0 ? Double(window.tokens) / width : 0,
            itlMeanMs: itl.count > 0 ? itl.summary.mean : nil, itlP95Ms: itl.count > 0 ? itl.percentile(95) : nil,
            ttftMeanMs: ttft.count > 0 ? ttft.summary.mean : nil, e2eMeanMs: e2e.count > 0 ? e2e.summary.mean : nil,
            resources: reading, workerExits: metrics.map { ServerCounters($0).workerExits },
            workerPIDs: status?.workerPIDs, supervisorPID: status?.pid, restarts: runner.state.takeUnsampled())
        taken.withLock { $0.append(sample) }
        do {
            try writer.append(sample)
        } catch {
            writeProblem.withLock { $0 = "\(error)" }
            throw error
        }
    }
}
