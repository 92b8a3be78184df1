import Foundation

/// A latency distribution drawn two ways side by side: a histogram of counts (bins up to the 99.9th percentile,
/// the rest counted as overflow) and a cumulative distribution, one curve per run or phase.
public struct DistributionChart: Sendable {
    /// One curve: values with how often each occurred (raw values have count 1), sorted by value.
    public struct Sample: Sendable {
        public var label: String
        public var points: [WeightedValue]
        public var total: Int { points.reduce(0) { $0 + $1.count } }

        public init(label: String, values: [Double]) {
            self.label = label
            points = values.sorted().map { WeightedValue(value: $0, count: 1) }
        }

        public init(label: String, weighted: [WeightedValue]) {
            self.label = label
            points = weighted.filter { $0.count > 0 }.sorted { $0.value < $1.value }
        }

        /// The value at or below which `fraction` of the weight lies.
        func quantile(_ fraction: Double) -> Double? {
            let target = Double(total) * fraction
            var seen = 0
            for p in points {
                seen += p.count
                if Double(seen) >= target { return p.value }
            }
            return points.last?.value
        }
    }

    public var title: String
    public var unit: String
    public var samples: [Sample]

    public init(title: String, unit: String = "ms", samples: [Sample]) {
        self.title = title
        self.unit = unit
        self.samples = samples
    }

    public func render(width: Double = 920, height: Double = 320) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        let half = width / 2
        drawHistogram(
            &svg,
            PlotFrame(
                x: 0, y: 0, width: half, height: height, title: "\(title): histogram",
                xTitle: "latency (\(unit))", yTitle: "requests or gaps per bin"))
        drawCDF(
            &svg,
            PlotFrame(
                x: half, y: 0, width: half, height: height, title: "\(title): cumulative",
                xTitle: "latency (\(unit))", yTitle: "share at or below (%)"))
        return svg
    }

    /// The upper end of the shared x range: the largest 99.9th percentile, so one outlier cannot squash the rest.
    var upper: Double { samples.compactMap { $0.quantile(0.999) }.max() ?? 1 }

    var lower: Double { samples.compactMap { $0.points.first?.value }.min() ?? 0 }

    func drawHistogram(_ svg: inout SVGDocument, _ frame: PlotFrame) {
        let hi = max(upper, lower + 1e-3)
        let xScale = frame.xScale(min: lower, max: hi, includeZero: lower < hi * 0.3)
        let bins = 40
        let width = (xScale.high - xScale.low) / Double(bins)
        var counts: [[Int]] = []
        var overflow: [Int] = []
        for s in samples {
            var c = [Int](repeating: 0, count: bins)
            var over = 0
            for p in s.points {
                let i = Int(((p.value - xScale.low) / width).rounded(.down))
                if i >= bins { over += p.count } else { c[max(0, i)] += p.count }
            }
            counts.append(c)
            overflow.append(over)
        }
        let yScale = frame.yScale(min: 0, max: Double(counts.flatMap { $0 }.max() ?? 1) * 1.05)
        frame.drawAxes(&svg, x: xScale, y: yScale)
        let barWidth = (xScale.pixel(xScale.low + width) - xScale.pixel(xScale.low)) / Double(max(1, samples.count))
        for (si, c) in counts.enumerated() {
            for (i, n) in c.enumerated() where n > 0 {
                let x0 = xScale.pixel(xScale.low + Double(i) * width) + Double(si) * barWidth
                let top = yScale.pixel(Double(n))
                svg.rect(
                    x: x0, y: top, width: max(0.5, barWidth - 0.5), height: frame.plotBottom - top,
                    fill: Palette.color(si), opacity: 0.85)
            }
        }
        frame.drawLegend(
            &svg,
            samples.enumerated().map { i, s in
                let over = overflow[i] > 0 ? " (+\(overflow[i]) beyond)" : ""
                return .init(label: "\(s.label): \(s.total)\(over)", color: Palette.color(i))
            })
    }

    func drawCDF(_ svg: inout SVGDocument, _ frame: PlotFrame) {
        let hi = max(samples.compactMap { $0.points.last?.value }.max() ?? 1, lower + 1e-3)
        let xScale = frame.xScale(min: lower, max: hi, includeZero: lower < hi * 0.3)
        let yScale = AxisScale(min: 0, max: 100, pixels: (frame.plotBottom, frame.plotTop), ticks: 5)
        frame.drawAxes(&svg, x: xScale, y: yScale)
        for p in [95.0, 99.0] {
            let py = yScale.pixel(p)
            svg.line(frame.plotLeft, py, frame.plotRight, py, stroke: "#999", dash: "2,3")
            svg.text("P\(Int(p))", x: frame.plotLeft + 4, y: py - 3, size: 10, fill: "#666")
        }
        for (i, s) in samples.enumerated() {
            guard let first = s.points.first, let last = s.points.last else { continue }
            let total = Double(s.total)
            // At most ~400 points: enough for a smooth curve, few enough for a small file.
            let every = max(1, s.points.count / 400)
            var curve: [(Double, Double)] = [(xScale.pixel(first.value), yScale.pixel(0))]
            var seen = 0
            for (k, p) in s.points.enumerated() {
                seen += p.count
                if k % every == 0 || k == s.points.count - 1 {
                    curve.append((xScale.pixel(p.value), yScale.pixel(Double(seen) / total * 100)))
                }
            }
            curve.append((xScale.pixel(last.value), yScale.pixel(100)))
            svg.polyline(curve, stroke: Palette.color(i), width: 2)
        }
        frame.drawLegend(
            &svg, samples.enumerated().map { i, s in .init(label: s.label, color: Palette.color(i)) },
            corner: .bottomRight)
    }
}

/// A value and how many times it occurred (an HdrHistogram bucket, or a raw value with count 1).
public struct WeightedValue: Codable, Sendable, Equatable {
    public var value: Double
    public var count: Int

    public init(value: Double, count: Int) {
        self.value = value
        self.count = count
    }
}
