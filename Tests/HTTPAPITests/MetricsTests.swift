import ControlProtocol
import Foundation
import HTTPAPI
import Supervisor
import Testing

/// `ServerMetrics`: the families it renders, counters fed from pool snapshots, and the exposition checked by promtool.
@Suite struct MetricsTests {
    // MARK: Request path

    @Test func requestPathFamiliesRenderWithTypeHelpAndValues() throws {
        let metrics = ServerMetrics()
        metrics.request(endpoint: "/v1/chat/completions", status: 200)
        metrics.request(endpoint: "/v1/chat/completions", status: 200)
        metrics.request(endpoint: "/v1/chat/completions", status: 429)
        metrics.recordTTFT(0.3)
        for _ in 0..<3 { metrics.recordITL(0.02) }
        metrics.recordITL(.nan)  // ignored
        metrics.recordEndToEnd(4)
        metrics.setQueueDepth(3)
        metrics.recordQueueWait(0.2)
        metrics.queueRejected()
        metrics.tokens(prompt: 12, completion: 34, cached: 4)
        metrics.tokens(prompt: 1, completion: 0)
        metrics.retried()

        let text = metrics.render()
        let families: [(String, String)] = [
            ("vkserve_http_requests_total", "counter"),
            ("vkserve_time_to_first_token_seconds", "histogram"),
            ("vkserve_inter_token_latency_seconds", "histogram"),
            ("vkserve_request_duration_seconds", "histogram"),
            ("vkserve_queue_depth", "gauge"),
            ("vkserve_queue_wait_seconds", "histogram"),
            ("vkserve_queue_rejected_total", "counter"),
            ("vkserve_tokens_generated_total", "counter"),
            ("vkserve_prompt_tokens_total", "counter"),
            ("vkserve_prompt_tokens_cached_total", "counter"),
            ("vkserve_request_retries_total", "counter"),
        ]
        let lines = Set(text.split(separator: "\n").map(String.init))
        for (name, type) in families {
            #expect(lines.contains("# TYPE \(name) \(type)"), "no TYPE line for \(name)")
            #expect(lines.contains { $0.hasPrefix("# HELP \(name) ") }, "no HELP line for \(name)")
        }

        let e = Exposition(text)
        let chat = "/v1/chat/completions"
        #expect(e.value("vkserve_http_requests_total", ["endpoint": chat, "status": "200"]) == 2)
        #expect(e.value("vkserve_http_requests_total", ["endpoint": chat, "status": "429"]) == 1)
        #expect(e.value("vkserve_inter_token_latency_seconds_count") == 3)
        #expect(abs((e.value("vkserve_inter_token_latency_seconds_sum") ?? 0) - 0.06) < 1e-9)
        #expect(e.bucket("vkserve_inter_token_latency_seconds", le: 0.015) == 0)
        #expect(e.bucket("vkserve_inter_token_latency_seconds", le: 0.02) == 3)
        #expect(e.value("vkserve_inter_token_latency_seconds_bucket", ["le": "+Inf"]) == 3)
        #expect(e.value("vkserve_time_to_first_token_seconds_count") == 1)
        #expect(e.bucket("vkserve_time_to_first_token_seconds", le: 0.25) == 0)
        #expect(e.bucket("vkserve_time_to_first_token_seconds", le: 0.5) == 1)
        #expect(e.value("vkserve_request_duration_seconds_count") == 1)
        #expect(e.value("vkserve_request_duration_seconds_sum") == 4)
        #expect(e.value("vkserve_queue_wait_seconds_count") == 1)
        #expect(e.value("vkserve_queue_depth") == 3)
        #expect(e.value("vkserve_queue_rejected_total") == 1)
        #expect(e.value("vkserve_prompt_tokens_total") == 13)
        #expect(e.value("vkserve_prompt_tokens_cached_total") == 4)
        #expect(e.value("vkserve_tokens_generated_total") == 34)
        #expect(e.value("vkserve_request_retries_total") == 1)
    }

    @Test func histogramBucketsSuitAnLLMServer() throws {
        let e = Exposition(ServerMetrics().render())
        let ttft = e.bucketBounds("vkserve_time_to_first_token_seconds")
        let itl = e.bucketBounds("vkserve_inter_token_latency_seconds")
        let e2e = e.bucketBounds("vkserve_request_duration_seconds")
        #expect(ttft.first == 0.005 && ttft.last == 60)
        #expect(itl.first == 0.001 && itl.last == 2)
        #expect(itl.filter { $0 >= 0.01 && $0 <= 0.1 }.count >= 8, "ITL buckets too coarse around 10–100 ms: \(itl)")
        #expect(e2e.first == 0.05 && e2e.last == 600)
        #expect(!e.bucketBounds("vkserve_queue_wait_seconds").isEmpty)
    }

    @Test func instancesAreIndependentAndThreadSafe() async throws {
        let metrics = ServerMetrics()
        let other = ServerMetrics()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for i in 0..<1000 {
                        metrics.recordITL(0.03)
                        metrics.request(endpoint: "/v1/completions", status: i % 2 == 0 ? 200 : 500)
                    }
                }
            }
        }
        let e = Exposition(metrics.render())
        #expect(e.value("vkserve_inter_token_latency_seconds_count") == 8000)
        #expect(e.value("vkserve_http_requests_total", ["endpoint": "/v1/completions", "status": "200"]) == 4000)
        #expect(e.value("vkserve_http_requests_total", ["endpoint": "/v1/completions", "status": "500"]) == 4000)
        let o = Exposition(other.render())
        #expect(o.value("vkserve_inter_token_latency_seconds_count") == 0)
        #expect(o.samples.allSatisfy { $0.name != "vkserve_http_requests_total" })
    }

    // MARK: Pool snapshots

    @Test func exitAndTransitionCountersGrowByDeltas() throws {
        let metrics = ServerMetrics()
        let fresh = Exposition(metrics.render())
        for reason in ExitReason.allCases {
            #expect(fresh.value("vkserve_worker_exits_total", ["reason": reason.rawValue]) == 0)
        }
        #expect(fresh.value("vkserve_worker_transitions_total", ["state": "ready"]) == 0)

        metrics.update(from: try pool(exits: ["crash": 2, "stopped": 1], transitions: ["starting": 3, "ready": 3]))
        var e = Exposition(metrics.render())
        #expect(e.lines.contains("# TYPE vkserve_worker_exits_total counter"))
        #expect(e.lines.contains("# TYPE vkserve_worker_transitions_total counter"))
        #expect(e.value("vkserve_worker_exits_total", ["reason": "crash"]) == 2)
        #expect(e.value("vkserve_worker_exits_total", ["reason": "stopped"]) == 1)
        #expect(e.value("vkserve_worker_exits_total", ["reason": "hang"]) == 0)
        #expect(e.value("vkserve_worker_transitions_total", ["state": "ready"]) == 3)

        let second = try pool(
            exits: ["crash": 3, "stopped": 1, "hang": 1, "mystery": 2], transitions: ["starting": 4, "ready": 5])
        metrics.update(from: second)
        metrics.update(from: second)  // the same totals again: nothing new
        e = Exposition(metrics.render())
        #expect(e.value("vkserve_worker_exits_total", ["reason": "crash"]) == 3)
        #expect(e.value("vkserve_worker_exits_total", ["reason": "stopped"]) == 1)
        #expect(e.value("vkserve_worker_exits_total", ["reason": "hang"]) == 1)
        #expect(e.value("vkserve_worker_exits_total", ["reason": "mystery"]) == 2)
        #expect(e.value("vkserve_worker_transitions_total", ["state": "ready"]) == 5)
        #expect(e.value("vkserve_worker_transitions_total", ["state": "starting"]) == 4)
    }

    @Test func workerGaugesFollowSnapshotsAndRetiredWorkersVanish() throws {
        let metrics = ServerMetrics()
        metrics.update(from: try pool(
            rows: [
                row("gpu0", "ready", "vulkan", inFlight: 2, vramUsed: 1000, vramBudget: 2000, rss: 500),
                row("gpu1", "fatal", "vulkan", vramBudget: 2000),
                row("cpu0", "busy", "cpu", inFlight: 1, rss: 300),
            ],
            degraded: true))
        var e = Exposition(metrics.render())
        for state in SupervisedState.allCases {
            let expected: Double = ["ready", "fatal", "busy"].contains(state.rawValue) ? 1 : 0
            #expect(e.value("vkserve_workers", ["state": state.rawValue]) == expected, "state \(state)")
        }
        #expect(e.lines.contains("# TYPE vkserve_workers gauge"))
        #expect(e.lines.contains("# TYPE vkserve_worker_up gauge"))
        #expect(e.value("vkserve_worker_up", ["worker": "gpu0", "backend": "vulkan"]) == 1)
        #expect(e.value("vkserve_worker_up", ["worker": "gpu1", "backend": "vulkan"]) == 0)
        #expect(e.value("vkserve_worker_up", ["worker": "cpu0", "backend": "cpu"]) == 1)
        #expect(e.value("vkserve_worker_vram_used_bytes", ["worker": "gpu0"]) == 1000)
        #expect(e.value("vkserve_worker_vram_budget_bytes", ["worker": "gpu0"]) == 2000)
        #expect(e.value("vkserve_worker_vram_budget_bytes", ["worker": "gpu1"]) == 2000)
        #expect(e.value("vkserve_worker_rss_bytes", ["worker": "gpu0"]) == 500)
        #expect(e.value("vkserve_worker_rss_bytes", ["worker": "cpu0"]) == 300)
        #expect(e.value("vkserve_worker_in_flight", ["worker": "gpu0"]) == 2)
        #expect(e.value("vkserve_worker_vram_used_bytes", ["worker": "cpu0"]) == nil, "a CPU worker has no VRAM")
        #expect(e.value("vkserve_degraded") == 1)

        // gpu1 recovers, the CPU fallback retires, gpu0 comes back on another backend.
        metrics.update(from: try pool(rows: [
            row("gpu0", "busy", "cpu", inFlight: 1, rss: 700),
            row("gpu1", "ready", "vulkan", vramUsed: 10, vramBudget: 2000),
        ]))
        e = Exposition(metrics.render())
        #expect(e.samples.allSatisfy { $0.labels["worker"] != "cpu0" }, "retired worker still exported")
        #expect(e.value("vkserve_worker_up", ["worker": "gpu0", "backend": "vulkan"]) == nil)
        #expect(e.value("vkserve_worker_up", ["worker": "gpu0", "backend": "cpu"]) == 1)
        #expect(e.value("vkserve_worker_vram_used_bytes", ["worker": "gpu0"]) == nil)
        #expect(e.value("vkserve_worker_rss_bytes", ["worker": "gpu0"]) == 700)
        #expect(e.value("vkserve_worker_up", ["worker": "gpu1", "backend": "vulkan"]) == 1)
        #expect(e.value("vkserve_workers", ["state": "fatal"]) == 0)
        #expect(e.value("vkserve_workers", ["state": "busy"]) == 1)
        #expect(e.value("vkserve_degraded") == 0)
    }

    // MARK: promtool

    @Test(.enabled(if: promtool != nil, "promtool not installed (Debian package prometheus): check skipped"))
    func promtoolAcceptsTheExposition() throws {
        let metrics = ServerMetrics()
        metrics.request(endpoint: "/v1/chat/completions", status: 200)
        metrics.request(endpoint: "/v1/models", status: 404)
        metrics.recordTTFT(0.12)
        metrics.recordITL(0.04)
        metrics.recordEndToEnd(2.5)
        metrics.setQueueDepth(1)
        metrics.recordQueueWait(0.01)
        metrics.queueRejected()
        metrics.tokens(prompt: 5, completion: 7)
        metrics.retried()
        metrics.update(from: try pool(
            rows: [row("gpu0", "ready", "vulkan", vramUsed: 1, vramBudget: 2, rss: 3)],
            degraded: true, exits: ["crash": 1], transitions: ["ready": 1]))
        let text = metrics.render()

        let process = Process()
        process.executableURL = try #require(promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool: \(report)\n\(text)")
        #expect(report.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(report)")
    }
}

// MARK: - Helpers

private let promtool: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    .split(separator: ":")
    .map { URL(fileURLWithPath: String($0)).appendingPathComponent("promtool") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// One worker row, as the pool publishes it (through `Codable`: `PoolStatus` has no public memberwise init).
private func row(
    _ name: String, _ state: String, _ backend: String, inFlight: Int = 0,
    vramUsed: Int? = nil, vramBudget: Int? = nil, rss: Int? = nil
) -> [String: Any] {
    var row: [String: Any] = ["name": name, "state": state, "backend": backend, "inFlight": inFlight, "restarts": 0]
    row["vramUsed"] = vramUsed
    row["vramBudget"] = vramBudget
    row["rss"] = rss
    return row
}

private func pool(
    rows: [[String: Any]] = [], degraded: Bool = false,
    exits: [String: Int] = [:], transitions: [String: Int] = [:]
) throws -> PoolStatus {
    let object: [String: Any] = [
        "rows": rows, "degraded": degraded, "summary": "test", "pid": 1, "version": "test", "uptimeS": 1.0,
        "exits": exits, "transitions": transitions,
    ]
    return try JSONDecoder().decode(PoolStatus.self, from: JSONSerialization.data(withJSONObject: object))
}

/// A parsed Prometheus text exposition, enough to look samples up by name and labels.
private struct Exposition {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let lines: Set<String>
    let samples: [Sample]

    init(_ text: String) {
        let all = text.split(separator: "\n").map(String.init)
        lines = Set(all)
        samples = all.filter { !$0.hasPrefix("#") }.compactMap(Self.parse)
    }

    /// The value of the one sample with exactly these labels (`le` included for buckets), or nil.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matches = samples.filter { $0.name == name && $0.labels == labels }
        return matches.count == 1 ? matches[0].value : nil
    }

    /// The cumulative count of the unlabeled histogram's bucket whose bound is `le`.
    func bucket(_ name: String, le: Double) -> Double? {
        let matches = samples.filter { $0.name == name + "_bucket" && $0.labels["le"].flatMap(Double.init) == le }
        return matches.count == 1 ? matches[0].value : nil
    }

    /// The finite bucket bounds of a histogram, ascending.
    func bucketBounds(_ name: String) -> [Double] {
        samples.filter { $0.name == name + "_bucket" }.compactMap { $0.labels["le"].flatMap(Double.init) }
            .filter(\.isFinite).sorted()
    }

    private static func parse(_ line: String) -> Sample? {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            return Sample(name: String(series), labels: [:], value: value)
        }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)...].dropLast()  // without the closing brace
        while let eq = rest.firstIndex(of: "=") {
            let key = String(rest[..<eq]).trimmingCharacters(in: CharacterSet(charactersIn: ","))
            rest = rest[rest.index(eq, offsetBy: 2)...]  // past `="`
            var value = ""
            var escaped = false
            while let c = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(c == "n" ? "\n" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    break
                } else {
                    value.append(c)
                }
            }
            labels[key] = value
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }
}
