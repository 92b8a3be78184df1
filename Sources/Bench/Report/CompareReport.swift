import Foundation

/// Two runs side by side: each figure before and after, the change, and whether it got better or worse.
enum CompareReport {
    enum Direction { case lowerIsBetter, higherIsBetter, neutral }

    struct Row {
        var name: String
        var before: Double?
        var after: Double?
        var direction: Direction
        var format: (Double) -> String

        var delta: Double? {
            guard let before, let after else { return nil }
            return after - before
        }

        var relative: Double? {
            guard let before, let after, before != 0 else { return nil }
            return (after - before) / abs(before)
        }

        /// Within 1 % (or both zero) is the same; otherwise better or worse by the figure's direction.
        var judgement: String {
            guard let before, let after else { return "n/a" }
            if before == after { return "same" }
            if let r = relative, abs(r) < 0.01 { return "same" }
            switch direction {
            case .neutral: return "changed"
            case .lowerIsBetter: return after < before ? "better" : "worse"
            case .higherIsBetter: return after > before ? "better" : "worse"
            }
        }

        var cells: [String] {
            let d = delta.map { ($0 >= 0 ? "+" : "") + format($0) } ?? "-"
            let r = relative.map { ($0 >= 0 ? "+" : "") + Format.percent($0) } ?? "-"
            return [name, before.map(format) ?? "-", after.map(format) ?? "-", d, r, judgement]
        }
    }

    static func write(_ a: StoredRun, _ b: StoredRun, to dir: String) throws -> String {
        let rows: [Row]
        var charts: [String] = []
        let base = URL(fileURLWithPath: dir)
        if let la = a.load, let lb = b.load {
            rows = loadRows(la, lb)
            for series in [LatencySeries.ttft, .itl, .e2e] {
                let chart = DistributionChart(
                    title: series.title.capitalizedFirst + " (\(series.rawValue.uppercased()))",
                    samples: [
                        .init(
                            label: "before: \(a.name)",
                            values: LoadReport.values(series, a.outcomes.filter { $0.phase == "load" })),
                        .init(
                            label: "after: \(b.name)",
                            values: LoadReport.values(series, b.outcomes.filter { $0.phase == "load" })),
                    ])
                try chart.render().write(to: base.appendingPathComponent("\(series.rawValue).svg").path)
                charts.append("\(series.rawValue).svg")
            }
            try throughputOverlay(a, b).write(to: base.appendingPathComponent("throughput.svg").path)
            charts.append("throughput.svg")
        } else if let sa = a.soak, let sb = b.soak {
            rows = soakRows(sa, sb)
            if let memory = SoakReport.memoryOverlay(a, b) {
                try memory.write(to: base.appendingPathComponent("memory.svg").path)
                charts.append("memory.svg")
            }
        } else {
            throw BenchFailure("nothing to compare")
        }
        let header = ["figure", "before", "after", "change", "change %", "verdict"]
        var md = [
            "# Comparison: \(a.name) → \(b.name)", "",
            "Before: `\(a.dir)`. After: `\(b.dir)`. A change within 1 % counts as the same.", "",
            Markdown.table(header, rows.map(\.cells)), "",
        ]
        let worse = rows.filter { $0.judgement == "worse" }.map(\.name)
        let better = rows.filter { $0.judgement == "better" }.map(\.name)
        md.append("Better: \(better.isEmpty ? "nothing" : better.joined(separator: ", ")).  ")
        md.append("Worse: \(worse.isEmpty ? "nothing" : worse.joined(separator: ", ")).")
        md.append("")
        for c in charts { md.append("![\(c)](\(c))\n") }
        do {
            try (md.joined(separator: "\n") + "\n").write(
                toFile: base.appendingPathComponent("report.md").path,
                atomically: true, encoding: .utf8)
        } catch {
            throw BenchFailure("cannot write the comparison into \(dir): \(error.localizedDescription)")
        }
        return "\(a.name) → \(b.name)\n" + Format.table([header] + rows.map(\.cells))
            + "\ncomparison written to \(dir)/report.md"
    }

    static func loadRows(_ a: LoadSummary, _ b: LoadSummary) -> [Row] {
        let ms: (Double) -> String = { Format.fixed($0, 1) + " ms" }
        var rows = [
            Row(
                name: "output tokens/s", before: a.load.tokensPerS, after: b.load.tokensPerS,
                direction: .higherIsBetter, format: { Format.fixed($0, 1) }),
            Row(
                name: "requests/s", before: a.load.requestsPerS, after: b.load.requestsPerS,
                direction: .higherIsBetter, format: { Format.fixed($0, 2) }),
            Row(
                name: "scaling efficiency", before: a.scalingEfficiency, after: b.scalingEfficiency,
                direction: .higherIsBetter, format: { Format.percent($0) }),
        ]
        for series in LatencySeries.allCases {
            let x = a.load.latency[series]
            let y = b.load.latency[series]
            let tag = series.rawValue.uppercased()
            rows += [
                Row(name: "\(tag) mean", before: x.mean, after: y.mean, direction: .lowerIsBetter, format: ms),
                Row(name: "\(tag) P50", before: x.p50, after: y.p50, direction: .lowerIsBetter, format: ms),
                Row(name: "\(tag) P95", before: x.p95, after: y.p95, direction: .lowerIsBetter, format: ms),
                Row(name: "\(tag) P99", before: x.p99, after: y.p99, direction: .lowerIsBetter, format: ms),
                Row(name: "\(tag) max", before: x.max, after: y.max, direction: .lowerIsBetter, format: ms),
            ]
        }
        rows.append(
            Row(
                name: "failed requests", before: Double(a.load.failed), after: Double(b.load.failed),
                direction: .lowerIsBetter, format: { String(Int($0)) }))
        rows.append(
            Row(
                name: "requests", before: Double(a.load.requests), after: Double(b.load.requests),
                direction: .neutral, format: { String(Int($0)) }))
        rows.append(
            Row(
                name: "max worker RSS", before: a.resources.workerRSSBytes?.max, after: b.resources.workerRSSBytes?.max,
                direction: .lowerIsBetter, format: Format.bytes))
        rows.append(
            Row(
                name: "max VRAM", before: a.resources.vramUsedBytes?.max, after: b.resources.vramUsedBytes?.max,
                direction: .lowerIsBetter, format: Format.bytes))
        rows.append(
            Row(
                name: "client CPU (cores)", before: a.load.clientCPU.cores, after: b.load.clientCPU.cores,
                direction: .neutral, format: { Format.fixed($0, 2) }))
        return rows
    }

    static func soakRows(_ a: SoakSummary, _ b: SoakSummary) -> [Row] {
        let ms: (Double) -> String = { Format.fixed($0, 1) + " ms" }
        let bytes: (Double) -> String = Format.bytes
        var rows = [
            Row(
                name: "requests", before: Double(a.requests), after: Double(b.requests), direction: .neutral,
                format: { String(Int($0)) }),
            Row(
                name: "failed requests", before: Double(a.failed), after: Double(b.failed), direction: .lowerIsBetter,
                format: { String(Int($0)) }),
            Row(
                name: "VRAM change", before: a.vram.flatMap { $0.max > 0 ? $0.delta : nil },
                after: b.vram.flatMap { $0.max > 0 ? $0.delta : nil }, direction: .lowerIsBetter, format: bytes),
            Row(
                name: "worker RSS trend per hour", before: a.workerRSS?.slopePerHour, after: b.workerRSS?.slopePerHour,
                direction: .lowerIsBetter, format: bytes),
            Row(
                name: "supervisor RSS trend per hour", before: a.supervisorRSS?.slopePerHour,
                after: b.supervisorRSS?.slopePerHour, direction: .lowerIsBetter, format: bytes),
            Row(
                name: "latency variation across windows", before: a.latencyVariation?.coefficient,
                after: b.latencyVariation?.coefficient, direction: .lowerIsBetter, format: { Format.percent($0, 2) }),
            Row(
                name: "windowed mean ITL", before: a.latencyVariation?.meanMs, after: b.latencyVariation?.meanMs,
                direction: .lowerIsBetter, format: ms),
            Row(
                name: "longest restart", before: a.restarts.map { $0.endS - $0.startS }.max(),
                after: b.restarts.map { $0.endS - $0.startS }.max(), direction: .lowerIsBetter,
                format: { Format.fixed($0, 1) + " s" }),
            Row(
                name: "checks failed", before: Double(a.checks.filter { $0.status == "fail" }.count),
                after: Double(b.checks.filter { $0.status == "fail" }.count), direction: .lowerIsBetter,
                format: { String(Int($0)) }),
        ]
        if let la = a.latency, let lb = b.latency {
            for series in [LatencySeries.ttft, .itl, .e2e] {
                rows.append(
                    Row(
                        name: "\(series.rawValue.uppercased()) P95", before: la[series].p95, after: lb[series].p95,
                        direction: .lowerIsBetter, format: ms))
            }
        }
        return rows
    }

    /// Tokens/s of both runs' measured phases, each from its own start.
    static func throughputOverlay(_ a: StoredRun, _ b: StoredRun) -> SVGDocument {
        func series(_ run: StoredRun, _ label: String) -> LineChart.Series {
            let load = run.outcomes.filter { $0.phase == "load" }
            let start = load.map(\.startS).min() ?? 0
            let span = (load.map(\.endS).max() ?? 1) - start
            let points = Timeline.tokensPerSecond(load, bucket: Timeline.bucket(span: span), start: start)
            return .init(label: label, points: points.map { ($0.0 - start, $0.1) })
        }
        var chart = LineChart(
            title: "Output tokens per second over the measured phase",
            xTitle: "time since start of the measured phase", yTitle: "output tokens/s",
            series: [series(a, "before: \(a.name)"), series(b, "after: \(b.name)")])
        chart.timeAxis = true
        return chart.document()
    }
}
