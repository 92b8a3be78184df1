import Bench
import Testing

@Suite("SLO expressions: the grammar, clear errors, judging")
struct SLOExpressionTests {
    @Test("the issue's example parses into four clauses in their own units")
    func example() throws {
        let e = try SLOExpression.parse("p95_itl<50ms,p99_itl<100ms,efficiency>0.75,errors=0")
        #expect(e.clauses.count == 4)
        #expect(e.clauses[0].metric == .latency(.percentile(95), .itl))
        #expect(e.clauses[0].comparison == .less && e.clauses[0].threshold == 50)
        #expect(e.clauses[1].threshold == 100)
        #expect(
            e.clauses[2].metric == .efficiency && e.clauses[2].comparison == .greater && e.clauses[2].threshold == 0.75)
        #expect(e.clauses[3].metric == .errors && e.clauses[3].comparison == .equal && e.clauses[3].threshold == 0)
        #expect(e.needsEfficiency)
    }

    @Test("units, statistics, operators and spaces")
    func variants() throws {
        let e = try SLOExpression.parse(
            " p99.9_ttft <= 2s , mean_e2e>=500us, max_tpot==40ms, error_rate<1%, "
                + "efficiency>75%, tokens_per_s>100, median_itl<30ms, stddev_itl<5ms")
        #expect(e.clauses.map(\.threshold) == [2000, 0.5, 40, 0.01, 0.75, 100, 30, 5])
        #expect(e.clauses[0].metric == .latency(.percentile(99.9), .ttft))
        #expect(e.clauses[0].comparison == .lessOrEqual)
        #expect(e.clauses[1].metric == .latency(.mean, .e2e) && e.clauses[1].comparison == .greaterOrEqual)
        #expect(e.clauses[2].comparison == .equal)
        #expect(e.clauses[3].metric == .errorRate && e.clauses[4].metric == .efficiency)
        #expect(e.clauses[5].metric == .tokensPerS)
        #expect(e.clauses[6].metric == .latency(.median, .itl) && e.clauses[7].metric == .latency(.stddev, .itl))
    }

    @Test(
        "each mistake gets an error that names the clause and says what is expected",
        arguments: [
            ("", "empty"),
            ("p95_itl", "no comparison"),
            ("p95_itl<50", "needs a unit: p95_itl<50ms"),
            ("p95_itl<50m", "'m' is not a time unit"),
            ("p95_itl<fast", "'fast' is not a number"),
            ("p95_itl<", "the value is missing"),
            ("p95_lat<5ms", "unknown latency series 'lat'"),
            ("q95_itl<5ms", "unknown statistic 'q95'"),
            ("p101_itl<5ms", "unknown statistic 'p101'"),
            ("speed>5", "unknown metric 'speed'"),
            ("<5ms", "no metric"),
            ("p95_itl=>5ms", "'=>' is not a comparison"),
            ("efficiency>75", "a fraction (0.75) or a percentage (75%)"),
            ("errors=0.5", "whole number"),
            ("errors=0ms", "takes no unit"),
            ("p95_itl<50ms,,errors=0", "clause 2 of 3"),
            ("p95_itl<50ms,", "an empty clause"),
        ])
    func errors(_ text: String, _ message: String) {
        do {
            _ = try SLOExpression.parse(text)
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.description.contains(message), "\(text): \(error.description)")
            #expect(error.description.hasPrefix("--slo"), "\(error.description)")
        }
    }

    @Test("judging: latencies from the merged histogram, counts, rates; an unmeasured figure fails with a note")
    func evaluate() throws {
        var set = LatencySet()
        for ms in 1...100 {
            var o = RequestOutcome(phase: "load", index: ms, client: 0, startS: 0)
            o.itlMs = [Double(ms)]
            o.ttftMs = Double(ms) * 10
            o.e2eMs = 1000
            o.completionTokens = 2
            set.record(o)
        }
        let inputs = SLOInputs(
            latency: set, efficiency: nil, requests: 100, failed: 2, tokensPerS: 150, requestsPerS: 3)
        let checks = try SLOExpression.parse(
            "p95_itl<96ms,p95_itl<94ms,max_ttft<=1.01s,errors=0,error_rate<5%,tokens_per_s>100,efficiency>0.5"
        ).evaluate(inputs)
        #expect(checks.map(\.passed) == [true, false, true, false, true, true, false])
        // HdrHistogram figures are exact to three significant digits.
        #expect(abs((checks[0].measured ?? 0) - 95) < 0.1 && checks[0].unit == "ms")
        #expect(checks[3].measured == 2)
        #expect(checks[6].measured == nil && checks[6].note?.contains("--baseline") == true)
    }
}
