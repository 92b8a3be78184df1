import Foundation
import GenerationTypes
import Histogram
import WorkerProtocol

/// Closed-loop load on one worker over its socket: `concurrency` clients, each sending its next
/// request when the previous one ends, until `requests` have finished. Every token's arrival
/// time is recorded; latencies go into HdrHistograms (microseconds), so percentiles are exact
/// to three significant digits and never averaged.
struct EngineLoadRun {
    let socket: FrameSocket
    let prompts: [String]
    let maxTokens: Int

    struct Figures {
        var itl = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var ttft = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var e2e = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var tokens = 0
        var requests = 0
        var errors: [String: Int] = [:]
        var seconds = 0.0
        var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
    }

    private final class InFlight {
        let sent: Double
        var last: Double
        var first: Double?
        var tokens = 0
        init(_ t: Double) {
            sent = t
            last = t
        }
    }

    func run(concurrency: Int, requests: Int, tag: String) throws -> Figures {
        var f = Figures()
        var open: [String: InFlight] = [:]
        var sent = 0
        func now() -> Double { ProcessInfo.processInfo.systemUptime }
        func sendNext() throws {
            let id = "\(tag)-\(sent)"
            let prompt = prompts[sent % prompts.count]
            sent += 1
            open[id] = InFlight(now())
            try socket.send(SupervisorMessage.generate(GenerateRequest(
                id: id, prompt: .text(prompt), sampling: Sampling(temperature: 0), maxTokens: maxTokens,
                ignoreEos: true)).encoded())
        }
        let start = now()
        for _ in 0 ..< min(concurrency, requests) { try sendNext() }
        while !open.isEmpty {
            guard let frame = try socket.receive() else { throw CommandFailure("the worker closed the connection mid-run") }
            let message = try WorkerMessage.decode(try frame.get())
            let t = now()
            switch message {
            case .token(let e):
                guard let r = open[e.id] else { continue }
                if r.first == nil {
                    r.first = t
                    _ = f.ttft.record(UInt64((t - r.sent) * 1e6))
                } else {
                    _ = f.itl.record(UInt64((t - r.last) * 1e6))
                }
                r.last = t
                r.tokens += 1
            case .done(let d):
                guard let r = open.removeValue(forKey: d.id) else { continue }
                _ = f.e2e.record(UInt64((t - r.sent) * 1e6))
                f.tokens += d.usage.completionTokens
                f.requests += 1
                if d.reason != .length && d.reason != .stop { f.errors[d.reason.rawValue, default: 0] += 1 }
                if sent < requests { try sendNext() }
            case .error(let e):
                guard let id = e.id, open.removeValue(forKey: id) != nil else { continue }
                f.errors[e.code.rawValue, default: 0] += 1
                if sent < requests { try sendNext() }
            case .fault(let fault):
                throw CommandFailure("the worker reported a fault: \(fault.kind.rawValue): \(fault.message)")
            default:
                continue
            }
        }
        f.seconds = now() - start
        return f
    }
}

/// Summary statistics of one histogram, in milliseconds.
struct LatencySummary: Encodable {
    var count: UInt64
    var mean_ms: Double
    var stddev_ms: Double
    var p50_ms: Double
    var p95_ms: Double
    var p99_ms: Double
    var max_ms: Double

    init(_ h: Histogram<UInt64>) {
        count = h.totalCount
        func ms(_ v: UInt64) -> Double { Double(v) / 1000 }
        mean_ms = count > 0 ? h.mean / 1000 : 0
        stddev_ms = count > 0 ? h.stdDeviation / 1000 : 0
        p50_ms = count > 0 ? ms(h.valueAtPercentile(50)) : 0
        p95_ms = count > 0 ? ms(h.valueAtPercentile(95)) : 0
        p99_ms = count > 0 ? ms(h.valueAtPercentile(99)) : 0
        max_ms = count > 0 ? ms(h.max) : 0
    }
}
