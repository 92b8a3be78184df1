/// What a step costs, learned from the steps run: seconds ≈ fixed + perToken × tokens, fitted by
/// least squares over recent steps (older steps weigh less, so the model follows a growing
/// context and the machine's load). The scheduler asks it how many prompt tokens fit beside the
/// decoding sequences within the step target.
public struct StepCostModel: Sendable {
    /// Weight left to a step's figures after each newer step (0.97: the last ~30 steps count).
    public let decay: Double
    private var weight = 0.0
    private var sumN = 0.0, sumT = 0.0, sumNN = 0.0, sumNT = 0.0

    public init(decay: Double = 0.97) {
        self.decay = decay
    }

    public mutating func observe(tokens: Int, seconds: Double) {
        guard tokens > 0, seconds.isFinite, seconds >= 0 else { return }
        let n = Double(tokens)
        weight = weight * decay + 1
        sumN = sumN * decay + n
        sumT = sumT * decay + seconds
        sumNN = sumNN * decay + n * n
        sumNT = sumNT * decay + n * seconds
    }

    /// The fitted cost, or nil before the first step. While the steps seen had (nearly) one
    /// size, the marginal cost of a token is unknown and the average cost per token stands in
    /// for it: an overestimate, so the scheduler errs towards short steps.
    public var estimate: (fixed: Double, perToken: Double)? {
        guard weight > 0, sumN > 0 else { return nil }
        let meanN = sumN / weight, meanT = sumT / weight
        let variance = sumNN / weight - meanN * meanN
        let covariance = sumNT / weight - meanN * meanT
        let average = meanT / meanN
        if variance >= 1, covariance > 0 {
            let perToken = covariance / variance
            let fixed = meanT - perToken * meanN
            if fixed >= 0 { return (fixed, perToken) }
        }
        return (0, average)
    }

    /// Tokens a step can carry within `seconds`, or nil before the first step.
    public func tokens(within seconds: Double) -> Int? {
        guard let e = estimate, e.perToken > 0 else { return nil }
        let n = (seconds - e.fixed) / e.perToken
        return n.isFinite ? max(0, Int(n.rounded(.down))) : nil
    }
}
