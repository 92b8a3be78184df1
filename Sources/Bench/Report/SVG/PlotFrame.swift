/// The frame of one chart inside an SVG document: title, plot area with grid, ticks and axis titles, legend.
public struct PlotFrame: Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public var title: String
    public var xTitle: String
    public var yTitle: String

    static let left = 64.0, right = 16.0, top = 34.0, bottom = 46.0

    public init(x: Double, y: Double, width: Double, height: Double, title: String, xTitle: String, yTitle: String) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
    }

    /// The plotting area in pixels.
    public var plotLeft: Double { x + Self.left }
    public var plotRight: Double { x + width - Self.right }
    public var plotTop: Double { y + Self.top }
    public var plotBottom: Double { y + height - Self.bottom }

    public func xScale(min: Double, max: Double, includeZero: Bool = false, time: Bool = false) -> AxisScale {
        AxisScale(
            min: min, max: max, pixels: (plotLeft, plotRight), ticks: Int(Swift.max(3, (plotRight - plotLeft) / 80)),
            includeZero: includeZero, time: time)
    }

    public func yScale(min: Double, max: Double, includeZero: Bool = true) -> AxisScale {
        AxisScale(min: min, max: max, pixels: (plotBottom, plotTop), ticks: 5, includeZero: includeZero)
    }

    /// Title, grid, ticks with labels, axis lines and axis titles.
    public func drawAxes(
        _ svg: inout SVGDocument, x xs: AxisScale, y ys: AxisScale, xLabel: ((Double) -> String)? = nil
    ) {
        svg.text(title, x: x + width / 2, y: y + 20, size: 14, anchor: .middle, weight: "bold")
        for t in ys.ticks {
            let py = ys.pixel(t)
            svg.line(plotLeft, py, plotRight, py, stroke: Palette.grid)
            svg.line(plotLeft - 4, py, plotLeft, py, stroke: Palette.axis)
            svg.text(ys.label(t), x: plotLeft - 7, y: py + 4, size: 11, anchor: .end, fill: "#444")
        }
        for t in xs.ticks {
            let px = xs.pixel(t)
            svg.line(px, plotTop, px, plotBottom, stroke: Palette.grid)
            svg.line(px, plotBottom, px, plotBottom + 4, stroke: Palette.axis)
            svg.text(xLabel?(t) ?? xs.label(t), x: px, y: plotBottom + 17, size: 11, anchor: .middle, fill: "#444")
        }
        svg.line(plotLeft, plotBottom, plotRight, plotBottom, stroke: Palette.axis)
        svg.line(plotLeft, plotTop, plotLeft, plotBottom, stroke: Palette.axis)
        svg.text(xTitle, x: (plotLeft + plotRight) / 2, y: y + height - 8, size: 12, anchor: .middle)
        let midY = (plotTop + plotBottom) / 2
        svg.text(yTitle, x: x + 14, y: midY, size: 12, anchor: .middle, rotate: -90)
    }

    public struct LegendEntry: Sendable {
        public var label: String
        public var color: String
        public var dashed = false

        public init(label: String, color: String, dashed: Bool = false) {
            self.label = label
            self.color = color
            self.dashed = dashed
        }
    }

    public enum Corner: Sendable { case topRight, bottomRight, topLeft }

    /// A legend box in a corner of the plot (top right unless the data lives there).
    public func drawLegend(_ svg: inout SVGDocument, _ entries: [LegendEntry], corner: Corner = .topRight) {
        guard !entries.isEmpty else { return }
        let longest = entries.map(\.label.count).max() ?? 0
        let boxWidth = Double(longest) * 6.6 + 38
        let boxHeight = Double(entries.count) * 16 + 8
        let bx = corner == .topLeft ? plotLeft + 6 : plotRight - boxWidth - 6
        let by = corner == .bottomRight ? plotBottom - boxHeight - 6 : plotTop + 6
        svg.rect(x: bx, y: by, width: boxWidth, height: boxHeight, fill: "white", stroke: "#bbb", opacity: 0.9)
        for (i, e) in entries.enumerated() {
            let ly = by + 14 + Double(i) * 16
            svg.line(bx + 6, ly - 4, bx + 24, ly - 4, stroke: e.color, width: 2.5, dash: e.dashed ? "5,3" : nil)
            svg.text(e.label, x: bx + 30, y: ly, size: 11)
        }
    }
}
