/// Plain descriptive statistics of a list of numbers.
public enum Describe {
    public static func mean(_ v: [Double]) -> Double {
        v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
    }

    /// Sample standard deviation (n − 1).
    public static func stddev(_ v: [Double]) -> Double {
        guard v.count > 1 else { return v.isEmpty ? .nan : 0 }
        let m = mean(v)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
    }

    /// Standard deviation over mean: the relative spread of windowed figures.
    public static func coefficientOfVariation(_ v: [Double]) -> Double {
        let m = mean(v)
        return m != 0 ? stddev(v) / abs(m) : .nan
    }
}
