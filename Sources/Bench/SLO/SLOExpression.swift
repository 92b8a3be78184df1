import Foundation

/// A service-level objective such as `p95_itl<50ms,p99_itl<100ms,efficiency>0.75,errors=0`: clauses separated by
/// commas, each `METRIC OP VALUE[UNIT]`, all of which must hold.
///
/// Metrics: `STAT_SERIES` with STAT one of `mean`, `median`, `stddev`, `min`, `max`, `pN` (any percentile, `p99.9`)
/// and SERIES one of `ttft`, `itl`, `tpot`, `e2e` (a latency: give `us`, `ms` or `s`); `efficiency` (scaling
/// efficiency, a fraction or `%`); `errors` (failed requests); `error_rate` (a fraction or `%`); `tokens_per_s`
/// and `requests_per_s` (aggregate throughput). Operators: `<`, `<=`, `>`, `>=`, `=` (or `==`).
public struct SLOExpression: Sendable, Equatable {
    public var clauses: [SLOClause]

    public var needsEfficiency: Bool { clauses.contains { $0.metric == .efficiency } }

    public static func parse(_ text: String) throws(BenchFailure) -> SLOExpression {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw BenchFailure("--slo is empty; give clauses such as p95_itl<50ms,errors=0")
        }
        var clauses: [SLOClause] = []
        for (i, part) in parts.enumerated() {
            let clause = part.trimmingCharacters(in: .whitespaces)
            do {
                clauses.append(try SLOClause.parse(clause))
            } catch {
                let which = parts.count > 1 ? " (clause \(i + 1) of \(parts.count))" : ""
                throw BenchFailure("--slo: '\(clause)'\(which): \(error.description)")
            }
        }
        return SLOExpression(clauses: clauses)
    }
}

public struct SLOClause: Sendable, Equatable {
    public enum Statistic: Sendable, Equatable {
        case mean, median, stddev, min, max
        case percentile(Double)
    }

    public enum Metric: Sendable, Equatable {
        case latency(Statistic, LatencySeries)
        case efficiency, errors, errorRate, tokensPerS, requestsPerS
    }

    public enum Comparison: String, Sendable, Equatable {
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case equal = "="

        func holds(_ measured: Double, _ threshold: Double) -> Bool {
            switch self {
            case .less: measured < threshold
            case .lessOrEqual: measured <= threshold
            case .greater: measured > threshold
            case .greaterOrEqual: measured >= threshold
            case .equal: abs(measured - threshold) <= 1e-9 * max(1, abs(threshold))
            }
        }
    }

    /// The clause as written.
    public var text: String
    public var metric: Metric
    public var comparison: Comparison
    /// Milliseconds for latencies, a fraction for efficiency and error_rate, a count or a rate otherwise.
    public var threshold: Double

    static let metricsHelp =
        "STAT_SERIES (STAT: mean, median, stddev, min, max, p50, p95, p99, p99.9…; "
        + "SERIES: ttft, itl, tpot, e2e), efficiency, errors, error_rate, tokens_per_s, requests_per_s"

    static func parse(_ text: String) throws(BenchFailure) -> SLOClause {
        guard !text.isEmpty else { throw BenchFailure("an empty clause (two commas in a row, or one at the end?)") }
        guard let opStart = text.firstIndex(where: { "<>=!".contains($0) }) else {
            throw BenchFailure("no comparison; write METRIC<VALUE, METRIC>VALUE or METRIC=VALUE")
        }
        let name = text[..<opStart].trimmingCharacters(in: .whitespaces)
        var rest = text[opStart...]
        let opText = String(rest.prefix { "<>=!".contains($0) })
        rest = rest.dropFirst(opText.count)
        let comparison: Comparison
        switch opText {
        case "<": comparison = .less
        case "<=": comparison = .lessOrEqual
        case ">": comparison = .greater
        case ">=": comparison = .greaterOrEqual
        case "=", "==": comparison = .equal
        default: throw BenchFailure("'\(opText)' is not a comparison (<, <=, >, >=, =)")
        }
        guard !name.isEmpty else { throw BenchFailure("no metric before '\(opText)' (metrics: \(metricsHelp))") }
        let metric = try parseMetric(name)
        let valueText = rest.trimmingCharacters(in: .whitespaces)
        let numberEnd = valueText.firstIndex { !"0123456789.+-eE".contains($0) } ?? valueText.endIndex
        let numberText = String(valueText[..<numberEnd])
        let unit = valueText[numberEnd...].trimmingCharacters(in: .whitespaces)
        guard !numberText.isEmpty, let number = Double(numberText), number.isFinite else {
            throw BenchFailure("'\(valueText)' is not a number\(valueText.isEmpty ? " (the value is missing)" : "")")
        }
        let threshold = try scale(number, unit: unit, for: metric, name: name)
        return SLOClause(text: text, metric: metric, comparison: comparison, threshold: threshold)
    }

    static func parseMetric(_ name: String) throws(BenchFailure) -> Metric {
        switch name {
        case "efficiency", "scaling_efficiency": return .efficiency
        case "errors", "failed": return .errors
        case "error_rate": return .errorRate
        case "tokens_per_s", "tok_per_s", "throughput": return .tokensPerS
        case "requests_per_s": return .requestsPerS
        default: break
        }
        guard let underscore = name.lastIndex(of: "_") else {
            throw BenchFailure("unknown metric '\(name)' (metrics: \(metricsHelp))")
        }
        let statText = String(name[..<underscore])
        let seriesText = String(name[name.index(after: underscore)...])
        guard let series = LatencySeries(rawValue: seriesText) else {
            throw BenchFailure("unknown latency series '\(seriesText)' in '\(name)' (series: ttft, itl, tpot, e2e)")
        }
        let statistic: Statistic
        switch statText {
        case "mean", "avg": statistic = .mean
        case "median": statistic = .median
        case "stddev": statistic = .stddev
        case "min": statistic = .min
        case "max": statistic = .max
        default:
            guard statText.hasPrefix("p"), let p = Double(statText.dropFirst()), p > 0, p <= 100 else {
                throw BenchFailure(
                    "unknown statistic '\(statText)' in '\(name)' "
                        + "(statistics: mean, median, stddev, min, max, or a percentile such as p95, p99.9)")
            }
            statistic = .percentile(p)
        }
        return .latency(statistic, series)
    }

    static func scale(_ number: Double, unit: String, for metric: Metric, name: String) throws(BenchFailure) -> Double {
        switch metric {
        case .latency:
            switch unit {
            case "us", "µs": return number / 1000
            case "ms": return number
            case "s": return number * 1000
            case "": throw BenchFailure("a latency needs a unit: \(name)<\(formatNumber(number))ms (us, ms or s)")
            default: throw BenchFailure("'\(unit)' is not a time unit (us, ms or s)")
            }
        case .efficiency, .errorRate:
            switch unit {
            case "%": return number / 100
            case "":
                guard number <= 1 || metric == .errorRate else {
                    throw BenchFailure(
                        "\(name) is a fraction (0.75) or a percentage (75%), not \(formatNumber(number))")
                }
                return number
            default: throw BenchFailure("\(name) takes a fraction (0.75) or a percentage (75%), not '\(unit)'")
            }
        case .errors:
            guard unit.isEmpty else { throw BenchFailure("errors is a count of failed requests; it takes no unit") }
            guard number >= 0, number == number.rounded() else {
                throw BenchFailure("errors is a count of failed requests: a whole number such as 0")
            }
            return number
        case .tokensPerS, .requestsPerS:
            guard unit.isEmpty || unit == "/s" else {
                throw BenchFailure("\(name) is a rate per second; it takes no unit")
            }
            return number
        }
    }

    static func formatNumber(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
