import Foundation

/// A small SVG writer: shapes and text appended in drawing order, rendered as one standalone file.
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    private var elements: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String,
        stroke: String? = nil, opacity: Double? = nil
    ) {
        var a =
            "x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" fill=\"\(fill)\""
        if let stroke { a += " stroke=\"\(stroke)\"" }
        if let opacity { a += " fill-opacity=\"\(n(opacity))\"" }
        elements.append("<rect \(a)/>")
    }

    public mutating func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
        width: Double = 1, dash: String? = nil
    ) {
        var a = "x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\""
        a += " stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
        if let dash { a += " stroke-dasharray=\"\(dash)\"" }
        elements.append("<line \(a)/>")
    }

    public mutating func polyline(
        _ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil
    ) {
        guard points.count > 1 else {
            if let p = points.first { circle(x: p.0, y: p.1, r: 2, fill: stroke) }
            return
        }
        let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        var a = "points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\""
        a += " stroke-width=\"\(n(width))\" stroke-linejoin=\"round\""
        if let dash { a += " stroke-dasharray=\"\(dash)\"" }
        elements.append("<polyline \(a)/>")
    }

    public mutating func circle(x: Double, y: Double, r: Double, fill: String) {
        elements.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" fill=\"\(fill)\"/>")
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    public mutating func text(
        _ s: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start,
        weight: String? = nil, fill: String = "#222", rotate: Double? = nil
    ) {
        var a =
            "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(fill)\""
        if let weight { a += " font-weight=\"\(weight)\"" }
        if let rotate { a += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        elements.append("<text \(a)>\(Self.escape(s))</text>")
    }

    public func render() -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" \
        viewBox="0 0 \(n(width)) \(n(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        \(elements.joined(separator: "\n"))
        </svg>

        """
    }

    public func write(to path: String) throws {
        do {
            try render().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw BenchFailure("cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Coordinates with at most two decimals: exact enough for a screen, short enough for a diff.
    private func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }
}

/// Colours that stay apart for the colour-blind and in print (Okabe–Ito).
public enum Palette {
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    public static func color(_ i: Int) -> String { colors[i % colors.count] }

    public static let marker = "#7a1f1f"
    public static let grid = "#e3e3e3"
    public static let axis = "#555"
}
