import Bench
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("reports: the SVG writer, axes, and the soak judgement")
struct ReportTests {
    @Test("axes tick at 1, 2, 2.5 or 5 × 10ⁿ, or on whole seconds, minutes and hours for time")
    func axes() {
        let a = AxisScale(min: 0, max: 87, pixels: (0, 100), ticks: 5)
        #expect(a.ticks == [0, 20, 40, 60, 80, 100])
        #expect(a.pixel(50) == 50)
        let b = AxisScale(min: 0.013, max: 0.041, pixels: (0, 100), ticks: 5)
        #expect(b.step == 0.01 && b.ticks == [0.01, 0.02, 0.03, 0.04, 0.05] && b.label(0.02) == "0.02")
        let c = AxisScale(min: 0, max: 9, pixels: (0, 100), ticks: 4)
        #expect(c.step == 2.5 && c.ticks == [0, 2.5, 5, 7.5, 10] && c.label(7.5) == "7.5")
        let t = AxisScale(min: 0, max: 48 * 3600, pixels: (0, 100), ticks: 8, time: true)
        #expect(t.step == 21600)
        let m = AxisScale(min: 0, max: 1300, pixels: (0, 100), ticks: 6, time: true)
        #expect(m.step == 300)
    }

    @Test("SVG: escaped text, titled axes with units, a legend, restart markers")
    func svg() {
        var chart = LineChart(
            title: "RSS <over> time & more", xTitle: "time since start of run", yTitle: "MiB",
            series: [.init(label: "worker RSS", points: [(0, 100), (60, 101), (120, 99)])])
        chart.markers = [.init(x: 60, label: "restart 1")]
        chart.markerLegend = "restart"
        chart.timeAxis = true
        var doc = SVGDocument(width: 600, height: 300)
        chart.draw(
            in: &doc,
            frame: PlotFrame(
                x: 0, y: 0, width: 600, height: 300, title: chart.title,
                xTitle: chart.xTitle, yTitle: chart.yTitle))
        let text = doc.render()
        #expect(text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(text.contains("RSS &lt;over&gt; time &amp; more"))
        #expect(text.contains(">MiB</text>") && text.contains(">time since start of run</text>"))
        #expect(
            text.contains(">restart 1</text>") && text.contains(">worker RSS</text>")
                && text.contains(">restart</text>"))
        #expect(text.contains(">1m</text>") && text.contains(">2m</text>"), "time ticks")
        // Well-formed XML.
        #expect((try? XMLDocument(xmlString: text)) != nil)
        let dist = DistributionChart(title: "ITL", samples: [.init(label: "run", values: (1...200).map(Double.init))])
            .render().render()
        #expect((try? XMLDocument(xmlString: dist)) != nil)
        #expect(dist.contains("latency (ms)") && dist.contains("share at or below (%)") && dist.contains(">P99</text>"))
    }

    func sample(
        _ t: Double, rss: Double, vram: Double? = nil, itl: Double? = 20, requests: Int = 5, warmup: Bool = false,
        restart: Bool = false, exits: [String: Int] = ["stopped": 0], failed: Int = 0
    ) -> SoakSample {
        var r = ResourceReading(tS: t, metrics: PrometheusText(""), supervisorPID: nil, gpus: [])
        r.workerRSSBytes = rss
        r.vramUsedBytes = vram
        return SoakSample(
            tS: t, windowS: 1, protocolS: t * 3600, activity: "burst", warmup: warmup,
            restartWindow: restart, requests: requests, failed: failed,
            errors: failed > 0 ? ["http_503": failed] : [:], tokens: 10 * requests, tokensPerS: 50,
            itlMeanMs: itl, itlP95Ms: itl.map { $0 * 1.2 }, ttftMeanMs: 100, e2eMeanMs: 500, resources: r,
            workerExits: exits, workerPIDs: ["cpu-0": 10], supervisorPID: 1, restarts: [])
    }

    func check(_ s: SoakSummary, _ name: String) -> SoakCheck? { s.checks.first { $0.name == name } }

    @Test("soak judgement: CPU workers make VRAM not applicable; steady memory and latency pass")
    func steady() {
        var config = SoakConfiguration(url: "http://x", out: "/tmp/x")
        config.restartEveryS = 0
        config.minWindowRequests = 1
        var samples = [sample(0, rss: 100e6, itl: 50, warmup: true)]
        for i in 1...12 {
            samples.append(sample(Double(i), rss: 100e6 + Double(i % 2) * 1e6, itl: 20 + Double(i % 3) * 0.2))
        }
        let s = SoakJudge.summarize(
            config: config, startedAt: "", model: nil, samples: samples, restarts: [],
            latency: nil, bursts: 12, lateBursts: 0)
        #expect(check(s, "VRAM growth")?.status == "n/a")
        #expect(check(s, "VRAM growth")?.measured.contains("CPU workers") == true)
        #expect(check(s, "worker RSS drift")?.status == "pass")
        #expect(check(s, "latency variation across windows")?.status == "pass")
        #expect(s.latencyVariation?.windows == 12 && s.latencyVariation?.excludedWarmup == 1)
        #expect(check(s, "no crashes or unexpected restarts")?.status == "pass")
        #expect(check(s, "clean restarts")?.status == "n/a")
        #expect(s.verdict == "pass")
    }

    @Test("soak judgement: VRAM growth, RSS drift by trend, noisy latency, crashes and failures all fail")
    func failures() {
        var config = SoakConfiguration(url: "http://x", out: "/tmp/x")
        config.restartEveryS = 0
        config.minWindowRequests = 1
        var samples: [SoakSample] = []
        for i in 0...12 {
            let restart = i == 6
            samples.append(
                sample(
                    Double(i), rss: 100e6 + Double(i) * 20e6, vram: 1e9 + Double(i) * 15e6,
                    itl: restart ? 500 : (i % 2 == 0 ? 20 : 30), restart: restart,
                    exits: ["stopped": 0, "crash": i >= 8 ? 1 : 0], failed: i == 9 ? 2 : 0))
        }
        let s = SoakJudge.summarize(
            config: config, startedAt: "", model: nil, samples: samples, restarts: [],
            latency: nil, bursts: 12, lateBursts: 0)
        #expect(check(s, "VRAM growth")?.status == "fail")
        #expect(abs((s.vram?.slopePerHour ?? 0) - 15e6) < 1, "slope from the regression, per protocol hour")
        #expect(check(s, "worker RSS drift")?.status == "fail")
        #expect(check(s, "latency variation across windows")?.status == "fail")
        #expect(s.latencyVariation?.excludedRestart == 1, "the restart window's 500 ms is left out")
        #expect(check(s, "no crashes or unexpected restarts")?.measured.contains("1 crash") == true)
        #expect(check(s, "no failed requests")?.status == "fail")
        #expect(s.verdict == "failed")
    }

    @Test("soak judgement: windows of a few requests are pooled before their means are compared")
    func pooledWindows() {
        var config = SoakConfiguration(url: "http://x", out: "/tmp/x")
        config.restartEveryS = 0
        // 60 windows of 2 requests whose means alternate 18 / 22 ms (10 % spread): sampling noise, no drift.
        let samples = (0 ..< 60).map { i in
            sample(Double(i), rss: 100e6, itl: i % 2 == 0 ? 18 : 22, requests: 2)
        }
        func judge(_ minimum: Int) -> SoakSummary {
            config.minWindowRequests = minimum
            return SoakJudge.summarize(config: config, startedAt: "", model: nil, samples: samples, restarts: [],
                                       latency: nil, bursts: 60, lateBursts: 0)
        }
        #expect(check(judge(1), "latency variation across windows")?.status == "fail")
        let pooled = judge(30)
        #expect(check(pooled, "latency variation across windows")?.status == "pass")
        #expect(pooled.latencyVariation?.windows == 4)
        // Pooling does not hide a real shift: the second half 30 % slower fails.
        let shifted = (0 ..< 60).map { i in sample(Double(i), rss: 100e6, itl: i < 30 ? 20 : 26, requests: 2) }
        config.minWindowRequests = 30
        let s = SoakJudge.summarize(config: config, startedAt: "", model: nil, samples: shifted, restarts: [],
                                    latency: nil, bursts: 60, lateBursts: 0)
        #expect(check(s, "latency variation across windows")?.status == "fail")
    }

    @Test("soak judgement: restarts must all happen and be clean")
    func restarts() {
        var config = SoakConfiguration(url: "http://x", out: "/tmp/x")
        config.durationS = 3 * 3600
        config.restartEveryS = 3600
        #expect(config.plannedRestarts == 2)
        let clean = RestartRecord(
            number: 1, startS: 1, endS: 2, ok: true, message: "", pidsBefore: ["cpu-0": 1],
            pidsAfter: ["cpu-0": 2], failedRequests: 0, exits: ["stopped": 1])
        var dirty = clean
        dirty.number = 2
        dirty.failedRequests = 1
        let samples = (0...6).map { sample(Double($0), rss: 1e8, exits: ["stopped": $0 >= 3 ? 2 : 0]) }
        let good = SoakJudge.summarize(
            config: config, startedAt: "", model: nil, samples: samples,
            restarts: [
                clean,
                {
                    var r = clean
                    r.number = 2
                    return r
                }(),
            ],
            latency: nil, bursts: 1, lateBursts: 0)
        #expect(check(good, "clean restarts")?.status == "pass")
        #expect(check(good, "no crashes or unexpected restarts")?.status == "pass")
        let bad = SoakJudge.summarize(
            config: config, startedAt: "", model: nil, samples: samples, restarts: [clean, dirty],
            latency: nil, bursts: 1, lateBursts: 0)
        #expect(check(bad, "clean restarts")?.status == "fail")
        let missing = SoakJudge.summarize(
            config: config, startedAt: "", model: nil, samples: samples, restarts: [clean],
            latency: nil, bursts: 1, lateBursts: 0)
        #expect(check(missing, "clean restarts")?.measured.contains("1 planned restarts never happened") == true)
        #expect(
            check(missing, "no crashes or unexpected restarts")?.measured.contains("stops nobody asked for") == true)
    }
}
