import Bench
import Foundation
import Testing

@Suite("statistics: Poisson arrivals, histogram merging, regression with confidence intervals")
struct StatisticsTests {
    @Test("Poisson arrivals: mean gap 1/rate, exponential spread, the same schedule for the same seed")
    func poisson() {
        let schedule = ArrivalSchedule(rate: 20, kind: .poisson, seed: 7, count: 20_000, duration: nil)
        let times = Array(schedule)
        #expect(times.count == 20_000)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        let mean = Describe.mean(gaps)
        #expect(abs(mean - 0.05) < 0.05 * 0.03, "mean gap \(mean)")
        // An exponential distribution has stddev = mean: coefficient of variation 1.
        #expect(abs(Describe.coefficientOfVariation(gaps) - 1) < 0.05)
        // P(gap > mean) = e⁻¹ ≈ 0.368.
        let beyond = Double(gaps.filter { $0 > 0.05 }.count) / Double(gaps.count)
        #expect(abs(beyond - exp(-1)) < 0.02, "\(beyond)")
        #expect(
            Array(ArrivalSchedule(rate: 20, kind: .poisson, seed: 7, count: 50, duration: nil))
                == Array(times.prefix(50)))
        #expect(
            Array(ArrivalSchedule(rate: 20, kind: .poisson, seed: 8, count: 50, duration: nil))
                != Array(times.prefix(50)))
    }

    @Test("a duration bounds the schedule; uniform arrivals are evenly spaced")
    func limits() {
        let byTime = Array(ArrivalSchedule(rate: 10, kind: .poisson, seed: 1, count: nil, duration: 30))
        #expect(byTime.allSatisfy { $0 < 30 })
        #expect(abs(Double(byTime.count) - 300) < 60, "\(byTime.count)")
        let uniform = Array(ArrivalSchedule(rate: 4, kind: .uniform, seed: 1, count: 5, duration: nil))
        #expect(uniform == [0, 0.25, 0.5, 0.75, 1])
    }

    @Test("merged per-client histograms give the percentiles of all values, which averaging per-client ones does not")
    func merging() {
        // One fast client and one slow one.
        var fast = LatencyHistogram()
        var slow = LatencyHistogram()
        var all = LatencyHistogram()
        for i in 0..<1000 {
            let a = 10 + Double(i % 10)
            let b = 100 + Double(i % 50)
            fast.record(milliseconds: a)
            slow.record(milliseconds: b)
            all.record(milliseconds: a)
            all.record(milliseconds: b)
        }
        var merged = fast
        merged.merge(slow)
        #expect(merged.count == 2000)
        for p in [50.0, 95, 99] {
            #expect(merged.percentile(p) == all.percentile(p))
        }
        #expect(merged.summary == all.summary)
        let averaged = (fast.percentile(50) + slow.percentile(50)) / 2
        #expect(abs(averaged - merged.percentile(50)) > 10, "averaging would report \(averaged) ms")
        // Three significant digits: 12.345 ms is recorded within 0.1 %.
        var h = LatencyHistogram()
        h.record(milliseconds: 12.345)
        #expect(abs(h.percentile(100) - 12.345) / 12.345 < 0.001)
        // LatencySet merges all four series.
        var s1 = LatencySet()
        var s2 = LatencySet()
        var o = RequestOutcome(phase: "load", index: 0, client: 0, startS: 0)
        o.ttftMs = 5
        o.itlMs = [1, 2, 3]
        o.e2eMs = 20
        o.tpotMs = 7.5
        o.completionTokens = 3
        s1.record(o)
        s2.record(o)
        let m = LatencySet.merged([s1, s2])
        #expect(m.itl.count == 6 && m.ttft.count == 2 && m.e2e.count == 2 && m.tpot.count == 2)
        o.error = "timeout"
        s1.record(o)
        #expect(s1.e2e.count == 1, "failed requests stay out of the latency figures")
    }

    @Test("least squares: an exact line has a zero-width interval; noise widens it around the true slope")
    func regression() throws {
        let x = (0..<10).map(Double.init)
        let exact = try #require(LinearTrend(x: x, y: x.map { 3 * $0 + 1 }))
        #expect(abs(exact.slope - 3) < 1e-12 && abs(exact.intercept - 1) < 1e-9)
        #expect(exact.slopeStandardError < 1e-9 && exact.isSignificant)
        // y = 0.5x + noise with a fixed sequence: the interval holds 0.5 and is as wide as t × SE.
        let noise = [0.3, -0.2, 0.1, -0.4, 0.25, -0.1, 0.35, -0.3, 0.05, -0.05, 0.2, -0.25]
        let xs = (0..<12).map(Double.init)
        let trend = try #require(LinearTrend(x: xs, y: zip(xs, noise).map { 0.5 * $0 + $1 }))
        #expect(trend.slopeLow < 0.5 && 0.5 < trend.slopeHigh)
        #expect(abs((trend.slopeHigh - trend.slope) - 2.228 * trend.slopeStandardError) < 1e-9)
        // A flat noisy series: no significant drift.
        let flat = try #require(LinearTrend(x: xs, y: noise))
        #expect(!flat.isSignificant)
        #expect(LinearTrend(x: [1, 2], y: [1, 2]) == nil)
        #expect(LinearTrend(x: [1, 1, 1], y: [1, 2, 3]) == nil)
    }

    @Test("Student's t quantiles: the table, interpolation between, 1.96 in the limit")
    func studentT() {
        #expect(StudentT.quantile975(degreesOfFreedom: 1) == 12.706)
        #expect(StudentT.quantile975(degreesOfFreedom: 10) == 2.228)
        #expect(StudentT.quantile975(degreesOfFreedom: 30) == 2.042)
        #expect(abs(StudentT.quantile975(degreesOfFreedom: 60) - 2.000) < 1e-9)
        let t50 = StudentT.quantile975(degreesOfFreedom: 50)
        #expect(t50 > 2.000 && t50 < 2.021 && abs(t50 - 2.009) < 0.002)
        #expect(abs(StudentT.quantile975(degreesOfFreedom: 100_000) - 1.960) < 0.001)
    }

    @Test("descriptive statistics")
    func describe() {
        #expect(Describe.mean([1, 2, 3, 4]) == 2.5)
        #expect(abs(Describe.stddev([2, 4, 4, 4, 5, 5, 7, 9]) - 2.138) < 0.001)
        #expect(abs(Describe.coefficientOfVariation([100, 100, 100]) - 0) < 1e-12)
        #expect(Describe.mean([]).isNaN)
    }
}
