/// What an SLO is judged against.
public struct SLOInputs: Sendable {
    public var latency: LatencySet
    public var efficiency: Double?
    public var requests: Int
    public var failed: Int
    public var tokensPerS: Double
    public var requestsPerS: Double

    public init(
        latency: LatencySet, efficiency: Double?, requests: Int, failed: Int, tokensPerS: Double,
        requestsPerS: Double
    ) {
        self.latency = latency
        self.efficiency = efficiency
        self.requests = requests
        self.failed = failed
        self.tokensPerS = tokensPerS
        self.requestsPerS = requestsPerS
    }
}

/// One judged clause, as summary.json and the report's pass/fail table show it.
public struct SLOCheck: Codable, Sendable, Equatable {
    public var clause: String
    /// In the clause's own terms: milliseconds, a fraction, a count or a rate; nil when not measured.
    public var measured: Double?
    public var threshold: Double
    public var unit: String
    public var passed: Bool
    public var note: String?
}

extension SLOExpression {
    /// Judges every clause; a clause whose figure was not measured fails, with a note saying why.
    public func evaluate(_ inputs: SLOInputs) -> [SLOCheck] {
        clauses.map { clause in
            let (measured, unit, note) = Self.measure(clause.metric, inputs)
            let passed = measured.map { clause.comparison.holds($0, clause.threshold) } ?? false
            return SLOCheck(
                clause: clause.text, measured: measured, threshold: clause.threshold, unit: unit,
                passed: passed, note: note)
        }
    }

    static func measure(_ metric: SLOClause.Metric, _ x: SLOInputs) -> (Double?, String, String?) {
        switch metric {
        case .latency(let statistic, let series):
            let h = x.latency.series(series)
            guard h.count > 0 else { return (nil, "ms", "no \(series.rawValue) values were recorded") }
            let s = h.summary
            let v: Double =
                switch statistic {
                case .mean: s.mean
                case .median: s.median
                case .stddev: s.stddev
                case .min: s.min
                case .max: s.max
                case .percentile(let p): h.percentile(p)
                }
            return (v, "ms", nil)
        case .efficiency:
            return (x.efficiency, "", x.efficiency == nil ? "not measured (needs --baseline, closed loop)" : nil)
        case .errors: return (Double(x.failed), "", nil)
        case .errorRate: return (x.requests > 0 ? Double(x.failed) / Double(x.requests) : nil, "", nil)
        case .tokensPerS: return (x.tokensPerS, "tok/s", nil)
        case .requestsPerS: return (x.requestsPerS, "req/s", nil)
        }
    }
}
