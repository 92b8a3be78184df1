/// Series over time (or any x) with optional vertical markers (restarts, phase changes) and horizontal
/// reference lines (thresholds).
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var label: String
        public var points: [(Double, Double)]
        public var dashed = false

        public init(label: String, points: [(Double, Double)], dashed: Bool = false) {
            self.label = label
            self.points = points
            self.dashed = dashed
        }
    }

    public struct Marker: Sendable {
        public var x: Double
        public var label: String

        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    public var title: String
    public var xTitle: String
    public var yTitle: String
    public var series: [Series]
    public var markers: [Marker] = []
    /// What the markers are, for the legend ("restart", "phase start").
    public var markerLegend = "marker"
    public var references: [(y: Double, label: String)] = []
    /// A shaded horizontal band (a tolerance around a mean).
    public var band: (low: Double, high: Double, label: String)?
    /// Formats x tick labels; nil for plain numbers.
    public var xLabel: (@Sendable (Double) -> String)?
    /// x is seconds: ticks on whole seconds, minutes or hours, labelled like 30s, 5m, 2h.
    public var timeAxis = false {
        didSet { if timeAxis { xLabel = { Double.clockLabel($0) } } }
    }
    public var includeZero = true

    public init(title: String, xTitle: String, yTitle: String, series: [Series]) {
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.series = series
    }

    /// The chart alone on a page of its own, 920 × 320, as the reports embed it.
    public func document(width: Double = 920, height: Double = 320) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        draw(in: &svg, frame: PlotFrame(x: 0, y: 0, width: width, height: height, title: title, xTitle: xTitle,
                                        yTitle: yTitle))
        return svg
    }

    public func draw(in svg: inout SVGDocument, frame: PlotFrame) {
        let xs = series.flatMap { $0.points.map(\.0) } + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.1) } + references.map(\.y) + (band.map { [$0.low, $0.high] } ?? [])
        let xScale = frame.xScale(min: xs.min() ?? 0, max: xs.max() ?? 1, includeZero: true, time: timeAxis)
        let yScale = frame.yScale(min: ys.min() ?? 0, max: (ys.max() ?? 1) * 1.05, includeZero: includeZero)
        frame.drawAxes(&svg, x: xScale, y: yScale, xLabel: xLabel)
        if series.allSatisfy({ $0.points.isEmpty }) {
            svg.text(
                "no data", x: (frame.plotLeft + frame.plotRight) / 2, y: (frame.plotTop + frame.plotBottom) / 2,
                size: 13, anchor: .middle, fill: "#888")
        }
        if let band {
            let top = yScale.pixel(band.high)
            let bottom = yScale.pixel(band.low)
            svg.rect(
                x: frame.plotLeft, y: top, width: frame.plotRight - frame.plotLeft, height: bottom - top,
                fill: "#0072B2", opacity: 0.10)
            svg.text(band.label, x: frame.plotLeft + 4, y: top - 3, size: 10, fill: "#335")
        }
        for r in references {
            let py = yScale.pixel(r.y)
            svg.line(frame.plotLeft, py, frame.plotRight, py, stroke: "#999", width: 1, dash: "2,3")
            svg.text(r.label, x: frame.plotLeft + 4, y: py - 4, size: 10, fill: "#666")
        }
        for (i, m) in markers.enumerated() {
            let px = xScale.pixel(m.x)
            svg.line(px, frame.plotTop, px, frame.plotBottom, stroke: Palette.marker, width: 1.2, dash: "6,3")
            // Stagger labels so neighbouring markers stay legible.
            svg.text(m.label, x: px + 3, y: frame.plotTop + 12 + Double(i % 3) * 12, size: 10, fill: Palette.marker)
        }
        for (i, s) in series.enumerated() {
            svg.polyline(
                s.points.map { (xScale.pixel($0.0), yScale.pixel($0.1)) }, stroke: Palette.color(i),
                dash: s.dashed ? "5,3" : nil)
        }
        var legend = series.enumerated().map {
            PlotFrame.LegendEntry(label: $1.label, color: Palette.color($0), dashed: $1.dashed)
        }
        if !markers.isEmpty { legend.append(.init(label: markerLegend, color: Palette.marker, dashed: true)) }
        frame.drawLegend(&svg, legend)
    }
}
