import Foundation

/// report.md of a soak with its SVG charts: memory over time with restart markers, windowed latency and
/// tokens/s over time, the latency distributions, the pass/fail table and the restarts.
public enum SoakReport {
    public static func write(
        summary: SoakSummary, samples: [SoakSample], outcomes: [RequestOutcome], to dir: String
    )
        throws
    {
        let base = URL(fileURLWithPath: dir)
        func path(_ name: String) -> String { base.appendingPathComponent(name).path }
        let scale = summary.configuration.timeScale
        let markers = summary.restarts.map { LineChart.Marker(x: $0.startS * scale, label: "restart \($0.number)") }
        var charts: [String] = []
        let readings = samples.map { s -> ResourceReading in
            var r = s.resources
            r.tS = s.protocolS
            return r
        }
        if let memory = LoadReport.memoryChart(
            readings, restarts: markers,
            title: summary.vram.map { $0.max > 0 } == true
                ? "VRAM and RSS over the soak" : "Memory over the soak (CPU workers: no VRAM)",
            xTitle: xTitle(scale))
        {
            try memory.write(to: path("memory.svg"))
            charts.append("memory.svg")
        }
        try latencyChart(summary, samples, markers: markers).write(to: path("latency-windows.svg"))
        charts.append("latency-windows.svg")
        try throughputChart(samples, markers: markers, scale: scale).write(to: path("throughput.svg"))
        charts.append("throughput.svg")
        var distributions: [String] = []
        for series in [LatencySeries.ttft, .itl, .e2e] {
            let sample: DistributionChart.Sample
            if let h = summary.histograms?[series.rawValue], !h.isEmpty {
                sample = .init(label: "all soak requests", weighted: h)
            } else {
                let values = LoadReport.values(series, outcomes)
                guard !values.isEmpty else { continue }
                sample = .init(label: "all soak requests", values: values)
            }
            let chart = DistributionChart(
                title: series.title.capitalizedFirst + " (\(series.rawValue.uppercased()))",
                samples: [sample])
            try chart.render().write(to: path("\(series.rawValue).svg"))
            distributions.append("\(series.rawValue).svg")
        }
        do {
            try markdown(summary, samples, distributions: distributions, hasMemory: charts.contains("memory.svg"))
                .write(toFile: path("report.md"), atomically: true, encoding: .utf8)
        } catch {
            throw BenchFailure("cannot write report.md in \(dir): \(error.localizedDescription)")
        }
    }

    static func xTitle(_ scale: Double) -> String {
        scale > 1 ? "protocol time (real time × \(Format.fixed(scale, 0)))" : "time since start of soak"
    }

    static func latencyChart(_ s: SoakSummary, _ samples: [SoakSample], markers: [LineChart.Marker]) -> SVGDocument {
        let withRequests = samples.filter { $0.requests > 0 }
        var chart = LineChart(
            title:
                "Inter-token latency by window (one point per \(Format.seconds(s.configuration.sampleS)) of protocol)",
            xTitle: xTitle(s.configuration.timeScale), yTitle: "milliseconds",
            series: [
                .init(
                    label: "mean ITL", points: withRequests.compactMap { x in x.itlMeanMs.map { (x.protocolS, $0) } }),
                .init(
                    label: "P95 ITL", points: withRequests.compactMap { x in x.itlP95Ms.map { (x.protocolS, $0) } },
                    dashed: true),
            ])
        chart.markers = markers
        chart.markerLegend = "restart"
        if let v = s.latencyVariation {
            let tolerance = s.configuration.maxLatencyVariation
            chart.band = (
                v.meanMs * (1 - tolerance), v.meanMs * (1 + tolerance),
                "mean ITL of the counted windows ± \(Format.percent(tolerance, 0))"
            )
        }
        chart.timeAxis = true
        return chart.document()
    }

    static func throughputChart(_ samples: [SoakSample], markers: [LineChart.Marker], scale: Double) -> SVGDocument {
        var chart = LineChart(
            title: "Output tokens per second, by window", xTitle: xTitle(scale), yTitle: "output tokens/s",
            series: [.init(label: "window mean", points: samples.dropFirst().map { ($0.protocolS, $0.tokensPerS) })])
        chart.markers = markers
        chart.markerLegend = "restart"
        chart.timeAxis = true
        return chart.document()
    }

    /// Worker RSS (and VRAM) of two soaks over protocol time, for a comparison.
    static func memoryOverlay(_ a: StoredRun, _ b: StoredRun) -> SVGDocument? {
        func series(_ run: StoredRun, _ label: String) -> [LineChart.Series] {
            var out: [LineChart.Series] = []
            let rss = run.samples.compactMap { s in s.resources.workerRSSBytes.map { (s.protocolS, $0 / 1_048_576) } }
            if !rss.isEmpty { out.append(.init(label: "\(label) worker RSS", points: rss)) }
            let vram = run.samples.compactMap { s in s.resources.vramUsedBytes.map { (s.protocolS, $0 / 1_048_576) } }
            if vram.contains(where: { $0.1 > 0 }) {
                out.append(.init(label: "\(label) VRAM", points: vram, dashed: true))
            }
            return out
        }
        let all = series(a, "before:") + series(b, "after:")
        guard !all.isEmpty else { return nil }
        var chart = LineChart(title: "Memory over the soaks", xTitle: "protocol time", yTitle: "MiB", series: all)
        chart.timeAxis = true
        return chart.document()
    }

    static func markdown(_ s: SoakSummary, _ samples: [SoakSample], distributions: [String], hasMemory: Bool) -> String
    {
        let c = s.configuration
        var md: [String] = []
        md.append("# Soak test: \(s.model ?? "?") at \(c.url)")
        md.append("")
        let scale =
            c.timeScale > 1
            ? " (time scale \(Format.fixed(c.timeScale, 0)): \(Format.seconds(s.protocolDurationS)) "
                + "of protocol in \(Format.seconds(s.durationS)) real)" : ""
        md.append(
            "Started \(s.startedAt)\(scale). Protocol: bursts of \(c.burstMin)–\(c.burstMax) requests "
                + "(up to \(c.maxTokens) tokens, at most \(c.concurrency) in flight) "
                + "every \(Format.seconds(c.everyS)) for \(Format.seconds(c.activeS)), "
                + "then idle \(Format.seconds(c.idleMinS))–\(Format.seconds(c.idleMaxS)); "
                + (c.restartEveryS > 0
                    ? "a restart of every worker through the control socket every \(Format.seconds(c.restartEveryS)); "
                    : "no restarts; ")
                + "a sample every \(Format.seconds(c.sampleS)), warm-up \(Format.seconds(c.warmupS)).")
        md.append("")
        md.append(
            "Verdict: \(Markdown.verdictBadge(s.verdict))"
                + (s.complete
                    ? "."
                    : " — **incomplete run**, judged "
                        + "from the samples written before the bench stopped."))
        md.append("")
        md.append("## Pass/fail")
        md.append("")
        md.append(
            Markdown.table(
                ["check", "result", "measured", "limit"],
                s.checks.map {
                    [
                        $0.name, $0.status == "pass" ? "✅ pass" : $0.status == "fail" ? "❌ FAIL" : "➖ n/a",
                        Markdown.escape($0.measured + ($0.detail.map { " — \($0)" } ?? "")), Markdown.escape($0.limit),
                    ]
                }, alignRight: false))
        md.append("")
        md.append("## Memory")
        md.append("")
        var rows: [[String]] = []
        for (name, d) in [("VRAM (workers)", s.vram), ("worker RSS", s.workerRSS), ("supervisor RSS", s.supervisorRSS)]
        {
            guard let d, name != "VRAM (workers)" || d.max > 0 else { continue }
            rows.append([
                name, Format.bytes(d.first), Format.bytes(d.last), Format.bytes(d.max), Format.signedBytes(d.delta),
                "\(Format.signedBytes(d.slopePerHour))/h [\(Format.signedBytes(d.slopeLowPerHour)), "
                    + "\(Format.signedBytes(d.slopeHighPerHour))]",
            ])
        }
        if !rows.isEmpty {
            md.append(
                Markdown.table(
                    ["series", "first", "last", "max", "change", "trend (95 % CI), per protocol hour"], rows))
        }
        md.append("")
        md.append("Warm-up samples are left out of the trends. Restarts (dashed lines) reset worker memory.")
        if hasMemory { md.append("\n![memory over time](memory.svg)") }
        md.append("")
        md.append("## Latency")
        md.append("")
        if let l = s.latency {
            md.append(
                Markdown.table(
                    ["series", "mean", "median", "stddev", "P50", "P95", "P99", "max", "count"],
                    LatencySeries.allCases.map { series in
                        let x = l[series]
                        return [
                            series.title, Format.fixed(x.mean), Format.fixed(x.median), Format.fixed(x.stddev),
                            Format.fixed(x.p50), Format.fixed(x.p95), Format.fixed(x.p99),
                            Format.fixed(x.max), "\(x.count)",
                        ]
                    }))
            md.append("")
        }
        if let v = s.latencyVariation {
            md.append(
                "Windowed mean ITL \(Format.fixed(v.meanMs)) ms, standard deviation \(Format.fixed(v.stddevMs, 2)) ms "
                    + "across \(v.windows) windows: \(Format.percent(v.coefficient, 2)) variation "
                    + "(\(v.excludedWarmup) warm-up and \(v.excludedRestart) restart windows left out).")
            md.append("")
        }
        md.append("![windowed latency](latency-windows.svg)")
        md.append("")
        for d in distributions { md.append("![\(d)](\(d))\n") }
        md.append("## Throughput")
        md.append("")
        md.append("\(s.requests) requests (\(s.failed) failed) in \(s.bursts) bursts, \(s.outputTokens) output tokens.")
        md.append("")
        md.append("![tokens per second](throughput.svg)")
        md.append("")
        md.append("## Restarts")
        md.append("")
        if s.restarts.isEmpty {
            md.append("None.")
        } else {
            md.append(
                Markdown.table(
                    ["#", "at (protocol)", "took", "result", "worker pids", "failed requests", "exits counted"],
                    s.restarts.map { r in
                        [
                            String(r.number), Format.seconds(r.startS * c.timeScale),
                            Format.fixed(r.endS - r.startS, 1) + " s",
                            r.ok ? "clean" : "NOT CLEAN: " + Markdown.escape(r.message),
                            r.pidsBefore.sorted { $0.key < $1.key }.map {
                                "\($0.key) \($0.value)→\(r.pidsAfter[$0.key].map(String.init) ?? "?")"
                            }
                            .joined(separator: ", "),
                            String(r.failedRequests),
                            r.exits.isEmpty
                                ? "none"
                                : r.exits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                                    separator: ", "),
                        ]
                    }))
        }
        if !s.workerExits.isEmpty {
            md.append("")
            md.append(
                "Worker exits counted by the server over the soak: "
                    + s.workerExits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + ".")
        }
        if !s.notes.isEmpty {
            md.append("")
            md.append("## Notes")
            md.append("")
            for n in s.notes { md.append("- \(n)") }
        }
        md.append("")
        md.append("## Files")
        md.append("")
        md.append(
            "`samples.jsonl` (\(samples.count) samples, appended and synced as taken), `requests.jsonl` (one line "
                + "per request), `soak.json` (the configuration), `summary.json`; "
                + "`vkserve bench report \(c.out)` renders "
                + "this page again, also for a soak that was killed before its end.")
        return md.joined(separator: "\n") + "\n"
    }
}
