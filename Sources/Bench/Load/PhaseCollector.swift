/// Gathers the outcomes of one phase as they end: each client's latencies in its own histograms, every outcome
/// appended to requests.jsonl, and the running counts the progress display shows.
actor PhaseCollector {
    let phase: String
    let writer: JSONLinesWriter?
    let planned: Int?
    private(set) var outcomes: [RequestOutcome] = []
    private(set) var perClient: [Int: LatencySet] = [:]
    private(set) var succeeded = 0
    private(set) var tokens = 0
    private(set) var errors: [String: Int] = [:]
    private var writeError: String?

    init(phase: String, writer: JSONLinesWriter?, planned: Int?) {
        self.phase = phase
        self.writer = writer
        self.planned = planned
    }

    func record(_ outcome: RequestOutcome) {
        outcomes.append(outcome)
        perClient[outcome.client, default: LatencySet()].record(outcome)
        if outcome.ok {
            succeeded += 1
            tokens += outcome.completionTokens ?? 0
        } else {
            errors[outcome.error ?? "unknown", default: 0] += 1
        }
        do {
            try writer?.append(outcome)
        } catch {
            writeError = "\(error)"
        }
    }

    var progress: ProgressSnapshot {
        ProgressSnapshot(
            phase: phase, done: outcomes.count, planned: planned, succeeded: succeeded,
            failed: outcomes.count - succeeded, tokens: tokens)
    }

    /// The merged histograms (merging, never averaging, the clients' percentiles).
    var latency: LatencySet { LatencySet.merged(perClient.values) }

    var problem: String? { writeError }
}

/// What the progress display shows.
struct ProgressSnapshot: Sendable {
    var phase: String
    var done: Int
    var planned: Int?
    var succeeded: Int
    var failed: Int
    var tokens: Int
}
