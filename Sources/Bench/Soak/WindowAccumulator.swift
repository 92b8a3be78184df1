/// The requests of the current sample window, and of the whole soak; `take()` closes a window.
actor WindowAccumulator {
    struct Window {
        var latency = LatencySet()
        var requests = 0
        var failed = 0
        var errors: [String: Int] = [:]
        var tokens = 0
    }

    private var window = Window()
    private(set) var total = LatencySet()
    private(set) var requests = 0
    private(set) var failed = 0
    private(set) var errors: [String: Int] = [:]
    private(set) var tokens = 0
    /// When each failed request ended (seconds since start): restarts count the failures in their span.
    private(set) var failureTimes: [Double] = []
    let writer: JSONLinesWriter?

    init(writer: JSONLinesWriter?) {
        self.writer = writer
    }

    func record(_ outcome: RequestOutcome) {
        window.latency.record(outcome)
        total.record(outcome)
        window.requests += 1
        requests += 1
        if outcome.ok {
            window.tokens += outcome.completionTokens ?? 0
            tokens += outcome.completionTokens ?? 0
        } else {
            let kind = outcome.error ?? "unknown"
            window.failed += 1
            window.errors[kind, default: 0] += 1
            failed += 1
            errors[kind, default: 0] += 1
            failureTimes.append(outcome.endS)
        }
        // A soak's requests.jsonl keeps each request's gaps as a mean and a maximum: 48 hours of every gap
        // would run to hundreds of megabytes; the distribution lives in summary.json's histograms instead.
        var line = outcome
        if !line.itlMs.isEmpty {
            line.itlMeanMs = line.itlMs.reduce(0, +) / Double(line.itlMs.count)
            line.itlMaxMs = line.itlMs.max()
            line.itlMs = []
        }
        try? writer?.append(line)
    }

    func take() -> Window {
        defer { window = Window() }
        return window
    }

    func failures(from start: Double, to end: Double) -> Int {
        failureTimes.filter { $0 >= start && $0 <= end }.count
    }

    var progress: ProgressSnapshot {
        ProgressSnapshot(
            phase: "soak", done: requests, planned: nil, succeeded: requests - failed, failed: failed,
            tokens: tokens)
    }
}
