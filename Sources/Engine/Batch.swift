/// The tokens of one forward step. Token i belongs to KV-cache slot `slots[i]` at position
/// `positions[i]`; a prefill chunk is many tokens of one slot, batched decode one token of each
/// of many slots, and continuous batching mixes both.
public struct Batch: Sendable {
    public var tokens: [Int32] = []
    public var positions: [Int32] = []
    public var slots: [Int32] = []
    /// Indices (into `tokens`) of the tokens whose logits the caller wants, in the order the
    /// logits are returned.
    public var logitRows: [Int] = []

    public init() {}

    public var count: Int { tokens.count }
    public var isEmpty: Bool { tokens.isEmpty }

    public mutating func append(token: Int32, position: Int, slot: Int, wantLogits: Bool) {
        if wantLogits { logitRows.append(tokens.count) }
        tokens.append(token)
        positions.append(Int32(position))
        slots.append(Int32(slot))
    }
}
