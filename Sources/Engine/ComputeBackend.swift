/// Memory figures a backend reports: device memory for Vulkan, host memory for the CPU.
public struct MemoryUsage: Sendable, Equatable {
    /// Bytes held for weights.
    public var weightBytes: Int
    /// Bytes held for the KV cache.
    public var kvCacheBytes: Int
    /// Bytes held for activations and scratch.
    public var scratchBytes: Int
    /// Bytes the device reports in use by this process (VRAM or RSS), when known.
    public var deviceUsedBytes: Int?
    /// Bytes the device says this process may use, when known.
    public var deviceBudgetBytes: Int?
    /// Bytes the backend's allocator reserved from the device, and the bytes of those in use by
    /// live buffers: their difference is the fragmentation the soak test watches.
    public var reservedBytes: Int?
    public var inUseBytes: Int?
    /// Fraction of wall time since the backend started that the device spent executing its work
    /// (from timestamp queries), when the device reports it.
    public var deviceBusyFraction: Double?

    public init(weightBytes: Int, kvCacheBytes: Int, scratchBytes: Int, deviceUsedBytes: Int? = nil, deviceBudgetBytes: Int? = nil) {
        self.weightBytes = weightBytes
        self.kvCacheBytes = kvCacheBytes
        self.scratchBytes = scratchBytes
        self.deviceUsedBytes = deviceUsedBytes
        self.deviceBudgetBytes = deviceBudgetBytes
    }
}

/// Runs forward steps of a model over a slotted KV cache. Implemented by the CPU and Vulkan
/// backends; used from one thread at a time (the generator's compute thread).
public protocol ComputeBackend: AnyObject {
    /// "cpu (avx512vnni, 2 threads)", "vulkan (NVIDIA ..., discrete)".
    var description: String { get }
    var model: Model { get }
    /// KV-cache slots (sequences that can be in flight at once).
    var slotCount: Int { get }
    /// Positions per slot.
    var contextLength: Int { get }
    /// The most tokens one `forward` call takes; callers split longer prefills.
    var maxBatchTokens: Int { get }

    /// Run the batch through the model, writing the KV cache, and return the logits of
    /// `batch.logitRows` into `logits` (row-major, `logitRows.count × vocabularySize`).
    func forward(_ batch: Batch, logits: UnsafeMutableBufferPointer<Float>) throws(EngineError)

    func memoryUsage() -> MemoryUsage

    /// Time spent in `forward` by kind of op since the backend was made, when the backend splits
    /// it; nil when it does not (the generator then counts the whole call as `forward`).
    var forwardProfile: StepProfile? { get }

    /// Calls body(i) for every i in 0..<count, on the backend's CPU threads where it has them
    /// (the generator samples its sequences this way). body must be safe to run concurrently for
    /// different i.
    func parallelFor(_ count: Int, _ body: (Int) -> Void)
}

extension ComputeBackend {
    public var forwardProfile: StepProfile? { nil }

    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        for i in 0 ..< count { body(i) }
    }
}

extension ComputeBackend {
    /// Checks a batch against the backend's limits; backends call it first.
    public func validate(_ batch: Batch) throws(EngineError) {
        guard batch.count <= maxBatchTokens else {
            throw EngineError(.invalidRequest, "batch of \(batch.count) tokens exceeds the backend's \(maxBatchTokens)")
        }
        let vocab = Int32(model.config.vocabularySize)
        for i in 0 ..< batch.count {
            guard batch.tokens[i] >= 0, batch.tokens[i] < vocab else {
                throw EngineError(.invalidRequest, "token id \(batch.tokens[i]) is outside the vocabulary (0..<\(vocab))")
            }
            guard batch.slots[i] >= 0, Int(batch.slots[i]) < slotCount else {
                throw EngineError(.invalidRequest, "slot \(batch.slots[i]) does not exist (\(slotCount) slots)")
            }
            guard batch.positions[i] >= 0, Int(batch.positions[i]) < contextLength else {
                throw EngineError(.invalidRequest, "position \(batch.positions[i]) is past the context of \(contextLength) tokens")
            }
        }
    }
}
