import Foundation

/// Reads the server's /metrics (and nvidia-smi) every `interval` seconds while a run goes on, keeping the
/// readings and appending each to a JSON-lines file as it is taken.
final class ResourceSampler: Sendable {
    let endpoint: ServerEndpoint
    let interval: Double
    let runStart: UInt64
    let writer: JSONLinesWriter?
    let supervisorPID: @Sendable () -> Int32?
    private let readings = Locked<[ResourceReading]>([])
    private let task = Locked<Task<Void, Never>?>(nil)

    init(
        endpoint: ServerEndpoint, interval: Double, runStart: UInt64, writer: JSONLinesWriter?,
        supervisorPID: @escaping @Sendable () -> Int32? = { nil }
    ) {
        self.endpoint = endpoint
        self.interval = interval
        self.runStart = runStart
        self.writer = writer
        self.supervisorPID = supervisorPID
    }

    /// One reading now.
    func read() async -> ResourceReading {
        let t = MonotonicClock.seconds(runStart, MonotonicClock.now())
        let gpus = NvidiaSMI.read()
        do {
            let text = try await endpoint.metricsText()
            return ResourceReading(tS: t, metrics: PrometheusText(text), supervisorPID: supervisorPID(), gpus: gpus)
        } catch {
            return ResourceReading(
                tS: t, metrics: nil, supervisorPID: supervisorPID(), gpus: gpus,
                error: "\(error)")
        }
    }

    func start() {
        let t = Task { [self] in
            var next = MonotonicClock.now()
            while !Task.isCancelled {
                let reading = await read()
                readings.withLock { $0.append(reading) }
                try? writer?.append(reading)
                next += UInt64(interval * 1e9)
                do { try await MonotonicClock.sleep(until: next) } catch { return }
            }
        }
        task.withLock { $0 = t }
    }

    /// Stops sampling, takes one last reading, and returns them all.
    func stop() async -> [ResourceReading] {
        let t = task.withLock { t in
            defer { t = nil }
            return t
        }
        t?.cancel()
        await t?.value
        let last = await read()
        readings.withLock { $0.append(last) }
        try? writer?.append(last)
        return readings.current
    }
}
