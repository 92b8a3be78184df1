import Histogram

/// One latency series (TTFT, ITL, TPOT or E2E) in an HdrHistogram of microseconds, 3 significant digits, up to
/// an hour. Each client records into its own; the run's figures come from merging them, never from averaging
/// per-client percentiles.
public struct LatencyHistogram: Sendable {
    public private(set) var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    /// Values beyond an hour, clamped to it (a figure this large is a failure in itself).
    public private(set) var clamped = 0

    public init() {}

    public mutating func record(milliseconds: Double) {
        guard milliseconds.isFinite else { return }
        var micros = UInt64(max(0, (milliseconds * 1000).rounded()))
        if micros > 3_600_000_000 {
            micros = 3_600_000_000
            clamped += 1
        }
        _ = histogram.record(micros)
    }

    public mutating func merge(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
        clamped += other.clamped
    }

    public var count: UInt64 { histogram.totalCount }

    /// The value at percentile `p` (0...100) in milliseconds; 0 when empty.
    public func percentile(_ p: Double) -> Double {
        count > 0 ? Double(histogram.valueAtPercentile(p)) / 1000 : 0
    }

    /// Every recorded bucket as (milliseconds, count): the distribution in a few hundred numbers.
    public var weightedValues: [WeightedValue] {
        histogram.recordedValues().map { WeightedValue(value: Double($0.value) / 1000, count: Int($0.count)) }
    }

    public var summary: LatencySummary {
        guard count > 0 else { return LatencySummary() }
        return LatencySummary(
            count: Int(count), mean: histogram.mean / 1000, median: percentile(50),
            stddev: histogram.stdDeviation / 1000, p50: percentile(50), p95: percentile(95), p99: percentile(99),
            max: Double(histogram.max) / 1000, min: Double(histogram.min) / 1000)
    }
}

/// The figures of one latency series, in milliseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var count = 0
    public var mean = 0.0
    public var median = 0.0
    public var stddev = 0.0
    public var p50 = 0.0
    public var p95 = 0.0
    public var p99 = 0.0
    public var max = 0.0
    public var min = 0.0

    public init() {}

    public init(
        count: Int, mean: Double, median: Double, stddev: Double, p50: Double, p95: Double, p99: Double,
        max: Double, min: Double
    ) {
        self.count = count
        self.mean = mean
        self.median = median
        self.stddev = stddev
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
        self.min = min
    }
}

/// The four latency series of a run, or of one client.
public struct LatencySet: Sendable {
    public var ttft = LatencyHistogram()
    public var itl = LatencyHistogram()
    public var tpot = LatencyHistogram()
    public var e2e = LatencyHistogram()

    public init() {}

    public mutating func record(_ outcome: RequestOutcome) {
        guard outcome.ok else { return }
        if let v = outcome.ttftMs { ttft.record(milliseconds: v) }
        for gap in outcome.itlMs { itl.record(milliseconds: gap) }
        if let v = outcome.tpotMs { tpot.record(milliseconds: v) }
        if let v = outcome.e2eMs { e2e.record(milliseconds: v) }
    }

    public mutating func merge(_ other: LatencySet) {
        ttft.merge(other.ttft)
        itl.merge(other.itl)
        tpot.merge(other.tpot)
        e2e.merge(other.e2e)
    }

    /// Merges per-client sets into one.
    public static func merged(_ sets: some Sequence<LatencySet>) -> LatencySet {
        var all = LatencySet()
        for s in sets { all.merge(s) }
        return all
    }

    public func series(_ name: LatencySeries) -> LatencyHistogram {
        switch name {
        case .ttft: ttft
        case .itl: itl
        case .tpot: tpot
        case .e2e: e2e
        }
    }

    public var summaries: LatencySummaries {
        LatencySummaries(ttft: ttft.summary, itl: itl.summary, tpot: tpot.summary, e2e: e2e.summary)
    }
}

public enum LatencySeries: String, CaseIterable, Sendable, Codable {
    case ttft, itl, tpot, e2e

    public var title: String {
        switch self {
        case .ttft: "time to first token"
        case .itl: "inter-token latency"
        case .tpot: "time per output token"
        case .e2e: "end to end"
        }
    }
}

public struct LatencySummaries: Codable, Sendable, Equatable {
    public var ttft: LatencySummary
    public var itl: LatencySummary
    public var tpot: LatencySummary
    public var e2e: LatencySummary

    public subscript(_ series: LatencySeries) -> LatencySummary {
        switch series {
        case .ttft: ttft
        case .itl: itl
        case .tpot: tpot
        case .e2e: e2e
        }
    }
}
