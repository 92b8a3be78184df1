import Foundation

/// A linear axis from data to pixels with "nice" ticks (1, 2, 2.5 or 5 × 10ⁿ).
public struct AxisScale: Sendable {
    public let low: Double
    public let high: Double
    public let step: Double
    let pixelLow: Double
    let pixelHigh: Double

    /// An axis covering `min...max` (widened to whole ticks), drawn from `pixelLow` to `pixelHigh`.
    /// `time`: the values are seconds, and ticks fall on whole seconds, minutes or hours.
    public init(
        min: Double, max: Double, pixels: (Double, Double), ticks: Int = 6, includeZero: Bool = false,
        time: Bool = false
    ) {
        var lo = min.isFinite ? min : 0
        var hi = max.isFinite ? max : 1
        if includeZero { lo = Swift.min(lo, 0) }
        if hi <= lo { hi = lo + (lo == 0 ? 1 : abs(lo) * 0.1) }
        let raw = (hi - lo) / Double(Swift.max(1, ticks))
        let step = time ? Self.timeStep(raw) : Self.niceStep(raw)
        low = (lo / step).rounded(.down) * step
        high = (hi / step).rounded(.up) * step
        self.step = step
        pixelLow = pixels.0
        pixelHigh = pixels.1
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    static let timeSteps: [Double] = [
        0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    ]

    static func timeStep(_ raw: Double) -> Double {
        timeSteps.first { $0 >= raw } ?? niceStep(raw / 86400) * 86400
    }

    public func pixel(_ v: Double) -> Double {
        pixelLow + (v - low) / (high - low) * (pixelHigh - pixelLow)
    }

    public var ticks: [Double] {
        // Multiples of the step, computed each from its index so that no rounding error accumulates.
        let first = (low / step).rounded()
        let last = (high / step).rounded()
        return stride(from: first, through: last, by: 1).map { i in
            let v = i * step
            return abs(v) < step * 1e-9 ? 0 : (v * 1e9).rounded() / 1e9
        }
    }

    /// A tick label with as many decimals as the step needs (2.5 → one, 0.005 → three).
    public func label(_ v: Double) -> String {
        if abs(v) >= 10_000 && step >= 1000 { return String(format: "%.0fk", v / 1000) }
        let decimals =
            (0...6).first { d in
                let scaled = step * pow(10, Double(d))
                return abs(scaled - scaled.rounded()) < 1e-6
            } ?? 6
        return String(format: "%.\(decimals)f", v)
    }
}
