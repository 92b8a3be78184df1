import Foundation

/// report.md of a load run with its SVG charts: latency distributions (TTFT, ITL, TPOT, E2E), tokens/s over
/// time, memory over time, and the pass/fail table.
public enum LoadReport {
    public static func write(
        summary: LoadSummary, outcomes: [RequestOutcome], readings: [ResourceReading],
        to dir: String
    ) throws {
        let base = URL(fileURLWithPath: dir)
        func path(_ name: String) -> String { base.appendingPathComponent(name).path }
        var charts: [String: String] = [:]
        let load = outcomes.filter { $0.phase == "load" }
        let baseline = outcomes.filter { $0.phase == "baseline" }
        let loadLabel =
            summary.configuration.isOpenLoop
            ? "\(Format.fixed(summary.configuration.rate ?? 0, 2)) req/s"
            : "\(summary.configuration.concurrency) clients"
        for series in [LatencySeries.ttft, .itl, .tpot, .e2e] {
            var samples = [DistributionChart.Sample(label: loadLabel, values: values(series, load))]
            if !baseline.isEmpty {
                samples.append(.init(label: "1 client (baseline)", values: values(series, baseline)))
            }
            guard samples.contains(where: { $0.total > 0 }) else { continue }
            let chart = DistributionChart(
                title: series.title.capitalizedFirst + " (\(series.rawValue.uppercased()))",
                samples: samples)
            try chart.render().write(to: path("\(series.rawValue).svg"))
            charts[series.rawValue] = "\(series.rawValue).svg"
        }
        try throughputChart(outcomes).write(to: path("throughput.svg"))
        if let memory = memoryChart(readings, restarts: []) {
            try memory.write(to: path("memory.svg"))
            charts["memory"] = "memory.svg"
        }
        let text = markdown(summary, charts: charts)
        do {
            try text.write(toFile: path("report.md"), atomically: true, encoding: .utf8)
        } catch {
            throw BenchFailure("cannot write report.md in \(dir): \(error.localizedDescription)")
        }
    }

    static func values(_ series: LatencySeries, _ outcomes: [RequestOutcome]) -> [Double] {
        let ok = outcomes.filter(\.ok)
        switch series {
        case .ttft: return ok.compactMap(\.ttftMs)
        case .itl: return ok.flatMap(\.itlMs)
        case .tpot: return ok.compactMap(\.tpotMs)
        case .e2e: return ok.compactMap(\.e2eMs)
        }
    }

    static func throughputChart(_ outcomes: [RequestOutcome]) -> SVGDocument {
        let span = (outcomes.map(\.endS).max() ?? 1) - (outcomes.map(\.startS).min() ?? 0)
        let bucket = Timeline.bucket(span: span)
        var chart = LineChart(
            title: "Output tokens per second over time (\(Format.fixed(bucket, bucket < 1 ? 2 : 0)) s buckets)",
            xTitle: "time since start of run", yTitle: "output tokens/s",
            series: [.init(label: "all phases", points: Timeline.tokensPerSecond(outcomes, bucket: bucket))])
        var starts: [(String, Double)] = []
        for o in outcomes where !starts.contains(where: { $0.0 == o.phase }) {
            starts.append((o.phase, outcomes.filter { $0.phase == o.phase }.map(\.startS).min() ?? 0))
        }
        if starts.count > 1 {
            chart.markers = starts.map { .init(x: $0.1, label: $0.0) }
            chart.markerLegend = "phase start"
        }
        chart.timeAxis = true
        return chart.document()
    }

    /// Worker RSS, supervisor RSS and VRAM (MiB) over time, with restart markers; nil without samples.
    static func memoryChart(
        _ readings: [ResourceReading], restarts: [LineChart.Marker], title: String? = nil,
        xTitle: String = "time since start of run"
    ) -> SVGDocument? {
        let ok = readings.filter { $0.error == nil }
        guard !ok.isEmpty else { return nil }
        func mib(_ key: (ResourceReading) -> Double?) -> [(Double, Double)] {
            ok.compactMap { r in key(r).map { (r.tS, $0 / 1_048_576) } }
        }
        var series: [LineChart.Series] = []
        let vram = mib(\.vramUsedBytes)
        if !vram.isEmpty { series.append(.init(label: "VRAM used (workers)", points: vram)) }
        let rss = mib(\.workerRSSBytes)
        if !rss.isEmpty { series.append(.init(label: "worker RSS", points: rss)) }
        let sup = mib(\.supervisorRSSBytes)
        if !sup.isEmpty { series.append(.init(label: "supervisor RSS", points: sup, dashed: true)) }
        let gpu = mib(\.gpuMemoryUsedBytes)
        if !gpu.isEmpty { series.append(.init(label: "GPU memory (nvidia-smi)", points: gpu, dashed: true)) }
        guard !series.isEmpty else { return nil }
        var chart = LineChart(
            title: title ?? (vram.isEmpty ? "Memory over time (CPU workers: no VRAM)" : "VRAM and RSS over time"),
            xTitle: xTitle, yTitle: "MiB", series: series)
        chart.markers = restarts
        chart.markerLegend = "restart"
        chart.timeAxis = true
        return chart.document()
    }

    static func latencyRows(_ phase: PhaseSummary, label: String? = nil) -> [[String]] {
        LatencySeries.allCases.map { series in
            let s = phase.latency[series]
            return [
                (label.map { "\($0): " } ?? "") + series.title, Format.fixed(s.mean), Format.fixed(s.median),
                Format.fixed(s.stddev), Format.fixed(s.p50), Format.fixed(s.p95), Format.fixed(s.p99),
                Format.fixed(s.max), "\(s.count)",
            ]
        }
    }

    static func markdown(_ s: LoadSummary, charts: [String: String]) -> String {
        let c = s.configuration
        var md: [String] = []
        md.append("# Load test: \(s.model ?? "?") at \(c.url)")
        md.append("")
        let shape =
            c.isOpenLoop
            ? "open loop at \(Format.fixed(c.rate ?? 0, 2)) requests/s (\(c.arrival.rawValue) arrivals)"
            : "closed loop, \(c.concurrency) concurrent clients"
        let size = c.durationS.map { "for \(Format.seconds($0))" } ?? "\(s.load.requests) requests"
        md.append(
            "Started \(s.startedAt); \(shape), \(size), up to \(c.maxTokens) output tokens each, "
                + "\(c.endpoint.path) streamed. Verdict: \(Markdown.verdictBadge(s.verdict))."
        )
        md.append("")
        md.append("## Pass/fail")
        md.append("")
        var checks: [[String]] = []
        for check in s.slo ?? [] {
            let measured =
                check.measured.map { Format.fixed($0, 3) + (check.unit.isEmpty ? "" : " " + check.unit) }
                ?? "not measured"
            checks.append([
                Markdown.escape(check.clause), measured, check.passed ? "✅ pass" : "❌ FAIL",
                check.note ?? "",
            ])
        }
        checks.append([
            "run completed", "\(s.load.succeeded) of \(s.load.requests) requests succeeded",
            s.verdict == "run_failed" ? "❌ FAIL" : "✅ pass", "",
        ])
        if let counts = s.load.serverCounts, counts.agrees == nil {
            checks.append(["counts agree with the server's /metrics", "not available (no vkserved counters)", "—", ""])
        } else if let counts = s.load.serverCounts {
            let agree = counts.requestsAgree && counts.tokensAgree
            checks.append([
                "counts agree with the server's /metrics",
                "server \(counts.server.requests) requests, \(counts.server.tokensGenerated) tokens; "
                    + "client \(counts.clientRequestsByStatus.values.reduce(0, +)), \(counts.clientTokens)",
                agree ? "✅ pass" : "⚠️ differ", "",
            ])
        }
        if let g = s.load.generator {
            checks.append([
                "generator kept to its schedule",
                "\(g.late) late (> \(Format.fixed(g.lateThresholdMs, 0)) ms), "
                    + "max lag \(Format.fixed(g.maxMs)) ms", g.fellBehind ? "⚠️ fell behind" : "✅ pass", "",
            ])
        }
        md.append(Markdown.table(["check", "measured", "result", "note"], checks, alignRight: false))
        md.append("")
        md.append("## Latency")
        md.append("")
        md.append(
            "Milliseconds, from per-client HdrHistograms merged (3 significant digits). TTFT counts from "
                + (c.isOpenLoop ? "each request's scheduled time" : "sending the request")
                + "; ITL is every gap between chunks that carried text; TPOT = (E2E − TTFT) / (tokens − 1).")
        md.append("")
        var rows = latencyRows(s.load)
        if let b = s.baseline { rows += latencyRows(b, label: "1 client") }
        md.append(Markdown.table(["series", "mean", "median", "stddev", "P50", "P95", "P99", "max", "count"], rows))
        md.append("")
        for key in ["ttft", "itl", "tpot", "e2e"] {
            if let file = charts[key] { md.append("![\(key) distribution](\(file))\n") }
        }
        md.append("## Throughput")
        md.append("")
        var t = [
            [
                "measured phase", Format.fixed(s.load.tokensPerS) + " output tok/s",
                Format.fixed(s.load.requestsPerS, 2) + " req/s", Format.seconds(s.load.durationS),
            ]
        ]
        if let b = s.baseline {
            t.append([
                "1 client (baseline)", Format.fixed(b.tokensPerS) + " output tok/s",
                Format.fixed(b.requestsPerS, 2) + " req/s", Format.seconds(b.durationS),
            ])
        }
        md.append(Markdown.table(["", "tokens/s", "requests/s", "duration"], t))
        if let e = s.scalingEfficiency {
            md.append("")
            md.append("Scaling efficiency: **\(Format.percent(e))** = aggregate ÷ (\(c.concurrency) × single client).")
        }
        md.append("")
        md.append("![tokens per second over time](throughput.svg)")
        md.append("")
        md.append("## Errors")
        md.append("")
        if s.load.errors.isEmpty {
            md.append("None: every request of the measured phase succeeded.")
        } else {
            md.append(
                Markdown.table(
                    ["kind", "requests"], s.load.errors.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] }))
        }
        md.append("")
        md.append("## Server")
        md.append("")
        let r = s.resources
        var mem: [[String]] = []
        func range(_ name: String, _ v: SeriesRange?, _ f: (Double) -> String) {
            guard let v else { return }
            mem.append([name, f(v.first), f(v.last), f(v.max), Format.signedBytes(v.last - v.first)])
        }
        range("VRAM used (workers)", r.vramUsedBytes, Format.bytes)
        range("worker RSS", r.workerRSSBytes, Format.bytes)
        range("supervisor RSS", r.supervisorRSSBytes, Format.bytes)
        range("GPU memory (nvidia-smi)", r.gpuMemoryUsedBytes, Format.bytes)
        if !mem.isEmpty { md.append(Markdown.table(["", "start", "end", "max", "change"], mem)) }
        if r.vramUsedBytes == nil { md.append("\nThe workers report no VRAM (CPU workers).") }
        if let temp = r.gpuTemperatureC {
            md.append("\nGPU temperature \(Format.fixed(temp.first, 0))–\(Format.fixed(temp.max, 0)) °C.")
        }
        md.append("\n\(r.samples) samples of /metrics\(r.unreadable > 0 ? ", \(r.unreadable) unreadable" : "").")
        if charts["memory"] != nil { md.append("\n![memory over time](memory.svg)") }
        if let counts = s.load.serverCounts {
            md.append("")
            md.append(
                "Counters of the server over the measured phase: requests by status "
                    + counts.server.requestsByStatus.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                    .joined(separator: ", ") + ", "
                    + "\(counts.server.tokensGenerated) tokens generated, "
                    + "\(counts.server.queueRejected) rejected by the queue, "
                    + "\(counts.server.retries) retried.")
        }
        md.append("")
        md.append("## Client")
        md.append("")
        md.append(
            "The bench used \(Format.fixed(s.load.clientCPU.userSeconds + s.load.clientCPU.systemSeconds, 1)) s of CPU "
                + "(\(Format.percent(s.load.clientCPU.cores, 0)) of one core) during the measured phase; "
                + "\(Format.fixed(s.load.chunksPerToken, 2)) text chunks per output token.")
        if !s.notes.isEmpty {
            md.append("")
            md.append("## Notes")
            md.append("")
            for n in s.notes { md.append("- \(n)") }
        }
        md.append("")
        md.append("## Reproduce")
        md.append("")
        md.append("```\n\(commandLine(c))\n```")
        md.append("")
        md.append(
            "Files: `summary.json` (figures), `requests.jsonl` (one line per request), `samples.jsonl` (server "
                + "samples); `vkserve bench report \(c.out)` renders this page again.")
        return md.joined(separator: "\n") + "\n"
    }

    static func commandLine(_ c: LoadConfiguration) -> String {
        var a = ["vkserve bench load --url \(c.url)"]
        if c.isOpenLoop {
            a.append("--rate \(c.rate!) --arrival \(c.arrival.rawValue)")
        } else {
            a.append("--concurrency \(c.concurrency)")
        }
        if let d = c.durationS {
            a.append("--duration \(Int(d))s")
        } else {
            a.append("--requests \(c.requests ?? LoadConfiguration.defaultRequests)")
        }
        a.append("--max-tokens \(c.maxTokens)")
        if let p = c.promptTokens { a.append("--prompt-tokens \(p)") }
        if let f = c.promptsFile { a.append("--prompts \(f)") }
        if c.warmup > 0 { a.append("--warmup \(c.warmup)") }
        if c.baseline { a.append("--baseline --baseline-requests \(c.baselineRequests)") }
        if c.endpoint == .chat { a.append("--endpoint chat") }
        a.append("--seed \(c.seed)")
        if c.temperature != 1 { a.append("--temperature \(c.temperature)") }
        if let slo = c.slo { a.append("--slo '\(slo)'") }
        a.append("--out \(c.out)")
        return a.joined(separator: " ")
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
