/// How the generator fills a step: decoding sequences always take their one token; prompts fill
/// what the budget leaves, in the order the requests arrived (chunked prefill).
///
/// The trade-off: every prompt token added to a step lengthens the gap between the decoding
/// sequences' tokens (inter-token latency) and shortens the wait of the prompt's own first token.
/// `stepTokens` bounds it by count; `stepTarget` by measured time, which follows the model, the
/// machine and the context without tuning. Prompts always progress by at least `minimumPrefill`
/// tokens a step, so a target the machine cannot meet slows first tokens but never stops them; and
/// once a prompt has waited `promptWaitLimit` (two step targets) the time target yields for a step
/// to the count limits, so a burst of prompts costs the streams one long gap, not a slow trickle of
/// first tokens. (Four step targets, the earlier limit, left the last prompts of a burst of 12 with
/// first tokens 20 % later, at the same inter-token P95: `vkserve bench load`, 12 clients, AVX2.)
public struct SchedulingPolicy: Sendable, Equatable {
    /// Most prompt tokens one sequence adds to a step in which sequences decode (without any, a
    /// prompt takes the whole batch).
    public var prefillChunk: Int
    /// Most tokens in a step in which sequences decode (their tokens plus prompt chunks); nil: the
    /// backend's batch limit. Steps without decoding sequences always use the whole batch limit.
    public var stepTokens: Int?
    /// Seconds a step in which sequences decode should take; prompt tokens are added only as far
    /// as the learned step cost allows. nil: no time target.
    public var stepTarget: Double?
    /// Prompt tokens a step in which sequences decode takes at least, while prompts wait.
    public var minimumPrefill: Int

    public init(prefillChunk: Int = 64, stepTokens: Int? = nil, stepTarget: Double? = nil, minimumPrefill: Int = 8) {
        self.prefillChunk = prefillChunk
        self.stepTokens = stepTokens
        self.stepTarget = stepTarget
        self.minimumPrefill = minimumPrefill
    }

    /// How long a prompt may wait beside decoding sequences before the time target yields.
    public var promptWaitLimit: Double? { stepTarget.map { 2 * $0 } }

    /// Prompt tokens a step may take beside `decoding` sequences, on a backend whose steps carry
    /// at most `batchLimit` tokens, when the longest-waiting prompt has waited `promptWait` seconds.
    public func prefillBudget(decoding: Int, batchLimit: Int, cost: StepCostModel, promptWait: Double = 0) -> Int {
        let room = batchLimit - decoding
        guard decoding > 0 else { return room }
        var budget = min(room, (stepTokens ?? batchLimit) - decoding)
        if let stepTarget, let limit = promptWaitLimit, promptWait < limit, let fit = cost.tokens(within: stepTarget) {
            budget = min(budget, fit - decoding)
        }
        return min(room, max(budget, minimumPrefill))
    }
}
