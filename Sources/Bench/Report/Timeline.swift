/// Time series rebuilt from request records: output tokens per second, from the arrival time of every chunk.
enum Timeline {
    /// Arrival times (seconds from run start) of each text chunk of a successful request, each weighted by the
    /// request's tokens per chunk so the sum is the server's token count.
    static func tokenArrivals(_ outcomes: [RequestOutcome]) -> [(t: Double, tokens: Double)] {
        var arrivals: [(Double, Double)] = []
        for o in outcomes where o.ok {
            guard let ttft = o.ttftMs, o.chunks > 0, let tokens = o.completionTokens else { continue }
            let weight = Double(tokens) / Double(o.chunks)
            var t = (o.scheduledS ?? o.startS) + ttft / 1000
            arrivals.append((t, weight))
            for gap in o.itlMs {
                t += gap / 1000
                arrivals.append((t, weight))
            }
        }
        return arrivals
    }

    /// Tokens per second in buckets of `bucket` seconds, as (bucket middle, rate) points from `start` to `end`.
    static func tokensPerSecond(
        _ outcomes: [RequestOutcome], bucket: Double, start: Double? = nil, end: Double? = nil
    )
        -> [(Double, Double)]
    {
        let arrivals = tokenArrivals(outcomes)
        guard bucket > 0, let first = start ?? arrivals.map(\.t).min(), let last = end ?? arrivals.map(\.t).max(),
            last > first
        else { return [] }
        let count = Int(((last - first) / bucket).rounded(.up))
        var sums = [Double](repeating: 0, count: max(1, count))
        for a in arrivals where a.t >= first && a.t <= last {
            sums[min(sums.count - 1, Int((a.t - first) / bucket))] += a.tokens
        }
        return sums.enumerated().map { (first + (Double($0) + 0.5) * bucket, $1 / bucket) }
    }

    /// A bucket width giving about `points` points over `span` seconds, rounded to a readable value.
    static func bucket(span: Double, points: Int = 60) -> Double {
        let raw = max(0.25, span / Double(points))
        for nice in [0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600] where nice >= raw {
            return nice
        }
        return raw
    }
}
