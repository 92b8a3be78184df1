import Bench
import Foundation
import Testing

func readSummary<T: Decodable>(_ type: T.Type, _ dir: String) throws -> T {
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try decoder.decode(T.self, from: data)
}

func readLines(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
        guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \($0)")
        }
        return o
    }
}

extension BenchEndToEnd {
    /// `vkserve bench load` against a real vkserved on SmolLM2 (CPU worker, one thread).
    @Suite("bench load against a real vkserved")
    struct LoadCommandTests {
        @Test("closed loop: complete summary whose counts agree with the server's metrics; a meetable SLO passes")
        func closedLoop() throws {
            let server = try benchServer()
            let out = try TemporaryFolder("closed")
            let before = try server.metrics()
            let r = try vkserve([
                "bench", "load", "--url", server.baseURL, "--concurrency", "8", "--requests", "16",
                "--max-tokens", "12", "--warmup", "2", "--baseline", "--baseline-requests", "2",
                "--slo", "p99_itl<10s,errors=0,efficiency>0.01", "--sample-interval", "500ms",
                "--out", out.path,
            ])
            #expect(r.status == 0, "\(r.out)\n\(r.err)")
            let after = try server.metrics()
            let s = try readSummary(LoadSummary.self, out.path)
            #expect(s.verdict == "pass")
            #expect(s.load.requests == 16 && s.load.succeeded == 16 && s.load.failed == 0)
            #expect(s.warmup?.requests == 2 && s.baseline?.requests == 2)
            #expect(s.load.concurrency == 8 && s.load.mode == "closed")
            #expect(s.load.outputTokens > 0 && s.load.tokensPerS > 0)
            #expect(s.scalingEfficiency != nil)
            #expect(s.slo?.count == 3 && s.slo?.allSatisfy(\.passed) == true)
            // Every latency series has figures, ordered as percentiles must be.
            for series in LatencySeries.allCases where series != .tpot || s.load.outputTokens > 9 {
                let l = s.load.latency[series]
                #expect(l.count > 0, "\(series)")
                #expect(l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max, "\(series): \(l)")
            }
            #expect(s.load.latency.e2e.count == 16)
            // The bench's own scrapes of the server's counters agree with its counts, phase by phase…
            for phase in [s.warmup, s.baseline, s.load].compactMap({ $0 }) {
                let check = try #require(phase.serverCounts, "\(phase.name)")
                #expect(check.requestsAgree && check.tokensAgree, "\(phase.name): \(check)")
                #expect(check.server.requestsByStatus == ["200": phase.requests])
            }
            // …and so does this test's own reading of /metrics over the whole run.
            let line = "vkserve_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"
            #expect(server.metric(line, in: after) - server.metric(line, in: before) == 20)
            let records = try readLines(out.file("requests.jsonl"))
            #expect(records.count == 20)
            let tokens = records.filter { $0["phase"] as? String != nil }.compactMap { $0["completion_tokens"] as? Int }
                .reduce(0, +)
            let serverTokens =
                server.metric("vkserve_tokens_generated_total", in: after)
                - server.metric("vkserve_tokens_generated_total", in: before)
            #expect(Double(tokens) == serverTokens)
            let samples = try readLines(out.file("samples.jsonl"))
            #expect(samples.count >= 2)
            // A worker reports its RSS with its heartbeats; a sample taken before the first may lack it.
            let withRSS = samples.filter { (($0["worker_rss_bytes"] as? NSNumber)?.doubleValue ?? 0) > 0 }
            #expect(withRSS.count >= samples.count - 1, "\(samples)")
            // /metrics is read on connections of its own, never queued behind the load's.
            #expect(samples.allSatisfy { $0["error"] == nil }, "\(samples)")
            #expect(s.resources.vramUsedBytes == nil, "CPU workers report no VRAM")
            #expect(FileManager.default.fileExists(atPath: out.file("report.md")))
            #expect(r.out.contains("verdict: pass"))
        }

        @Test("open loop: Poisson arrivals, latencies from the scheduled times, counts agree with the server")
        func openLoop() throws {
            let server = try benchServer()
            let out = try TemporaryFolder("open")
            let before = try server.metrics()
            let r = try vkserve([
                "bench", "load", "--url", server.baseURL, "--rate", "3", "--arrival", "poisson", "--requests", "10",
                "--max-tokens", "10", "--seed", "5", "--slo", "errors=0", "--out", out.path,
            ])
            #expect(r.status == 0, "\(r.out)\n\(r.err)")
            let after = try server.metrics()
            let s = try readSummary(LoadSummary.self, out.path)
            #expect(s.load.mode == "open" && s.load.rate == 3 && s.load.concurrency == nil)
            #expect(s.load.requests == 10 && s.load.succeeded == 10)
            let generator = try #require(s.load.generator)
            #expect(generator.maxMs >= 0 && generator.late <= 10)
            let check = try #require(s.load.serverCounts)
            #expect(check.requestsAgree && check.tokensAgree, "\(check)")
            let line = "vkserve_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"
            #expect(server.metric(line, in: after) - server.metric(line, in: before) == 10)
            let records = try readLines(out.file("requests.jsonl")).sorted {
                ($0["index"] as? Int ?? 0) < ($1["index"] as? Int ?? 0)
            }
            #expect(records.count == 10)
            // Every request carries its scheduled time; TTFT and E2E count from it, so neither can be shorter than
            // the time from schedule to send (lag) plus what followed.
            let scheduled = records.compactMap { ($0["scheduled_s"] as? NSNumber)?.doubleValue }
            #expect(scheduled.count == 10 && zip(scheduled, scheduled.dropFirst()).allSatisfy { $0 < $1 })
            for rec in records {
                let sched = (rec["scheduled_s"] as? NSNumber)?.doubleValue ?? .nan
                let end = (rec["end_s"] as? NSNumber)?.doubleValue ?? .nan
                let e2e = (rec["e2e_ms"] as? NSNumber)?.doubleValue ?? .nan
                #expect(abs((end - sched) * 1000 - e2e) < 5, "\(rec)")
            }
            // Arrivals are spread over about requests ÷ rate seconds, not sent at once.
            #expect(scheduled.last! - scheduled.first! > 0.5)
            #expect(r.out.contains("generator:"))
        }

        @Test("bench report renders a run again from its files and compares two runs")
        func reportAndCompare() throws {
            let server = try benchServer()
            let a = try TemporaryFolder("run-a")
            let b = try TemporaryFolder("run-b")
            for (dir, tokens) in [(a, "6"), (b, "12")] {
                let r = try vkserve([
                    "bench", "load", "--url", server.baseURL, "--concurrency", "2", "--requests", "4",
                    "--max-tokens", tokens, "--out", dir.path,
                ])
                #expect(r.status == 0, "\(r.err)")
            }
            let original = try String(contentsOfFile: a.file("report.md"), encoding: .utf8)
            for chart in ["ttft.svg", "itl.svg", "e2e.svg", "throughput.svg", "memory.svg"] {
                try FileManager.default.removeItem(atPath: a.file(chart))
            }
            try FileManager.default.removeItem(atPath: a.file("report.md"))
            let again = try vkserve(["bench", "report", a.path])
            #expect(again.status == 0, "\(again.err)")
            #expect(try String(contentsOfFile: a.file("report.md"), encoding: .utf8) == original)
            for chart in ["ttft.svg", "itl.svg", "e2e.svg", "throughput.svg", "memory.svg"] {
                let svg = try String(contentsOfFile: a.file(chart), encoding: .utf8)
                #expect(svg.hasPrefix("<svg") && svg.contains("</svg>"), "\(chart)")
            }
            #expect(original.contains("## Pass/fail") && original.contains("![itl distribution](itl.svg)"))
            let itl = try String(contentsOfFile: a.file("itl.svg"), encoding: .utf8)
            #expect(itl.contains("latency (ms)") && itl.contains("Inter-token latency (ITL): histogram"))
            let memory = try String(contentsOfFile: a.file("memory.svg"), encoding: .utf8)
            #expect(memory.contains(">MiB</text>") && memory.contains("worker RSS"))

            let compare = try vkserve(["bench", "report", a.path, b.path])
            #expect(compare.status == 0, "\(compare.err)")
            #expect(compare.out.contains("output tokens/s") && compare.out.contains("ITL P95"))
            let md = try String(contentsOfFile: b.file("compare/report.md"), encoding: .utf8)
            #expect(md.contains("| figure | before | after | change | change % | verdict |"))
            #expect(md.contains("| requests | 4 | 4 | +0 | +0.0 % | same |"), "\(md)")
            #expect(FileManager.default.fileExists(atPath: b.file("compare/itl.svg")))
            let missing = try vkserve(["bench", "report", "/nonexistent-run"])
            #expect(missing.status == 2 && missing.err.contains("no summary.json"))
        }

        @Test("an unmeetable SLO exits 1 and says which clause failed; a terminal gets a progress bar")
        func unmeetableSLO() throws {
            let server = try benchServer()
            let out = try TemporaryFolder("slo")
            let r = try vkserve([
                "bench", "load", "--url", server.baseURL, "--concurrency", "2", "--requests", "2",
                "--max-tokens", "8", "--slo", "p95_itl<1us,errors=0", "--out", out.path,
            ])
            #expect(r.status == 1, "\(r.out)\n\(r.err)")
            // Not a terminal: plain lines, no carriage returns.
            #expect(r.err.contains("load: 2/2 requests") && !r.err.contains("\r"), "\(r.err)")
            // On a terminal (script(1) gives it one): the bar, redrawn in place; the exit status still 1.
            let command = [
                Paths.product("vkserve"), "bench", "load", "--url", server.baseURL, "--concurrency", "2",
                "--requests", "3", "--max-tokens", "24", "--slo", "'p95_itl<1us'", "--out", out.path + "/tty",
            ]
            .joined(separator: " ")
            let tty = Process()
            tty.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            tty.arguments = ["-qefc", command, "/dev/null"]
            let pipe = Pipe()
            tty.standardOutput = pipe
            try tty.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            tty.waitUntilExit()
            #expect(tty.terminationStatus == 1, "\(text)")
            #expect(text.contains("\r") && text.contains("█") && text.contains("req"), "\(text)")
            let s = try readSummary(LoadSummary.self, out.path)
            #expect(s.verdict == "slo_failed")
            #expect(s.slo?.first { $0.clause == "p95_itl<1us" }?.passed == false)
            #expect(s.slo?.first { $0.clause == "errors=0" }?.passed == true)
            #expect(r.out.contains("SLO FAIL: p95_itl<1us"))
        }

        @Test("the API key goes as a bearer token, from --api-key or VKSERVE_API_KEY, and stays out of the files")
        func apiKey() throws {
            let server = try benchServer(extra: "[api]\nkey = \"sekret-key-42\"")
            let out = try TemporaryFolder("key")
            let args = [
                "bench", "load", "--url", server.baseURL, "--concurrency", "1", "--requests", "1", "--max-tokens", "4",
                "--out", out.path,
            ]
            let refused = try vkserve(args, environment: ["VKSERVE_API_KEY": ""])
            #expect(refused.status == 2 && refused.err.contains("refused the API key"), "\(refused.err)")
            let wrong = try vkserve(args + ["--api-key", "nope"])
            #expect(wrong.status == 2, "\(wrong.err)")
            let fromEnvironment = try vkserve(args, environment: ["VKSERVE_API_KEY": "sekret-key-42"])
            #expect(fromEnvironment.status == 0, "\(fromEnvironment.err)")
            let fromFlag = try vkserve(args + ["--api-key", "sekret-key-42"])
            #expect(fromFlag.status == 0, "\(fromFlag.err)")
            let s = try readSummary(LoadSummary.self, out.path)
            #expect(s.configuration.apiKeyGiven && s.load.serverCounts?.requestsAgree == true)
            for file in try FileManager.default.contentsOfDirectory(atPath: out.path) {
                let text = try String(contentsOfFile: out.file(file), encoding: .utf8)
                #expect(!text.contains("sekret"), "\(file) holds the key")
            }
        }

        @Test("bad arguments are refused clearly (64); an unreachable server fails the run (2)")
        func refusals() throws {
            let out = try TemporaryFolder("bad")
            let port = try freePort()
            let bad: [([String], String)] = [
                (["--slo", "p95_itl<50"], "a latency needs a unit"),
                (["--slo", "p95_foo<5ms"], "unknown latency series 'foo'"),
                (["--slo", "efficiency>0.5"], "needs --baseline"),
                (["--requests", "5", "--duration", "1m"], "not both"),
                (["--duration", "soon"], "--duration must be a duration"),
                (["--concurrency", "0"], "--concurrency"),
                (["--arrival", "bursty", "--rate", "2"], "--arrival must be poisson or uniform"),
            ]
            for (args, message) in bad {
                let r = try vkserve(["bench", "load", "--url", "http://127.0.0.1:\(port)", "--out", out.path] + args)
                #expect(r.status == 64, "\(args): \(r.err)")
                #expect(r.err.contains(message), "\(args): \(r.err)")
            }
            let r = try vkserve([
                "bench", "load", "--url", "http://127.0.0.1:\(port)", "--requests", "1", "--out", out.path,
            ])
            #expect(r.status == 2 && r.err.contains("cannot reach vkserved"), "\(r.err)")
        }
    }
}
