/// A least-squares line through (x, y) points with the 95 % confidence interval of its slope: drift judged by
/// a regression over every sample rather than by the first and last alone.
public struct LinearTrend: Codable, Sendable, Equatable {
    public var points: Int
    public var slope: Double
    public var intercept: Double
    /// Standard error of the slope.
    public var slopeStandardError: Double
    /// 95 % confidence interval of the slope (Student's t with n − 2 degrees of freedom).
    public var slopeLow: Double
    public var slopeHigh: Double

    /// nil with fewer than 3 points or when every x is the same.
    public init?(x: [Double], y: [Double]) {
        let n = min(x.count, y.count)
        guard n >= 3 else { return nil }
        let mx = x.prefix(n).reduce(0, +) / Double(n)
        let my = y.prefix(n).reduce(0, +) / Double(n)
        var sxx = 0.0
        var sxy = 0.0
        for i in 0..<n {
            sxx += (x[i] - mx) * (x[i] - mx)
            sxy += (x[i] - mx) * (y[i] - my)
        }
        guard sxx > 0 else { return nil }
        slope = sxy / sxx
        intercept = my - slope * mx
        var residuals = 0.0
        for i in 0..<n {
            let r = y[i] - (intercept + slope * x[i])
            residuals += r * r
        }
        slopeStandardError = (residuals / Double(n - 2) / sxx).squareRoot()
        let t = StudentT.quantile975(degreesOfFreedom: n - 2)
        slopeLow = slope - t * slopeStandardError
        slopeHigh = slope + t * slopeStandardError
        points = n
    }

    /// Whether the interval excludes zero: the drift is more than noise.
    public var isSignificant: Bool { slopeLow > 0 || slopeHigh < 0 }
}

/// The 97.5th percentile of Student's t distribution (two-sided 95 %).
public enum StudentT {
    private static let table: [Double] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]
    private static let tail: [(df: Double, t: Double)] = [(30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980)]

    public static func quantile975(degreesOfFreedom df: Int) -> Double {
        guard df >= 1 else { return .infinity }
        if df <= 30 { return table[df - 1] }
        // Between tabulated points t is close to linear in 1/df; beyond 120 it approaches 1.960.
        let points = tail + [(Double.infinity, 1.960)]
        let inverse = 1 / Double(df)
        for i in 0..<(points.count - 1) where Double(df) <= points[i + 1].df {
            let (a, b) = (points[i], points[i + 1])
            let (ia, ib) = (1 / a.df, b.df.isInfinite ? 0 : 1 / b.df)
            return a.t + (b.t - a.t) * (ia - inverse) / (ia - ib)
        }
        return 1.960
    }
}
