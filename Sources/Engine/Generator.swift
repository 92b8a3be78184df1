import GenerationTypes
import Tokenizer

/// Continuous batching over one backend: up to `slotCount` sequences decode together, one token
/// each per step; new requests join at step boundaries; prompts are prefilled in chunks beside
/// the decoding sequences, as far as the `SchedulingPolicy`'s budget allows, so a new prompt never
/// stretches the running streams' gaps beyond the step target.
///
/// On the CPU a sequence's result never depends on what else is in the batch or how its prompt
/// was chunked: the kernels compute every row on its own, in the same order. (On Vulkan a step
/// of 16 or more tokens runs the tiled matrix kernel, whose rounding differs in the last bits.)
///
/// Prefix reuse (`reusePrefixes`): a slot keeps the KV cache of the sequence that last ran in it,
/// and remembers its tokens. A new request takes the free slot whose tokens share the longest
/// prefix with its prompt and computes only the rest (at least its last token, whose logits it
/// needs), as llama-server's `cache_prompt` does. Shared system prompts, repeated prompts and
/// multi-turn chats (whose next prompt starts with the last answer) skip most of their prefill.
/// Without a shared prefix the least recently used free slot is taken, so popular prefixes stay.
///
/// Not thread-safe: one thread (the worker's compute thread) owns it.
public final class Generator {
    public let backend: any ComputeBackend
    public let policy: SchedulingPolicy
    /// Prompt tokens a prefilling sequence contributes per step at most.
    public var prefillChunk: Int { policy.prefillChunk }
    /// What steps cost, learned as they run (the step target's yardstick).
    public private(set) var cost = StepCostModel()
    /// The generator's own time (scheduling, sampling) and, for a backend that does not split
    /// its forward pass, that pass as a whole.
    private var ownProfile = StepProfile()

    final class Sequence {
        let request: GenerationRequest
        let slot: Int
        let submitted: Double
        var admitted = 0.0
        var firstToken = 0.0
        /// Prompt tokens already in the KV cache.
        var prefilled = 0
        /// Prompt tokens whose KV the slot already held (a reused prefix).
        var cached = 0
        /// The token to feed next (after the prompt): the last one sampled.
        var pending: Int32 = 0
        /// Tokens sampled so far (the last one is `pending`).
        var sampledIDs: [Int32] = []
        var position = 0
        var generated = 0
        var finished = false
        var sampler: Sampler
        var detokenizer: StreamingDetokenizer
        var stopper: StopMatcher

        init(_ r: GenerationRequest, slot: Int, submitted: Double, tokenizer: Tokenizer) {
            request = r
            self.slot = slot
            self.submitted = submitted
            var sampler = Sampler(r.parameters)
            for id in r.promptIDs { sampler.accept(id) }
            self.sampler = sampler
            detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
            stopper = StopMatcher(r.stop)
        }

        var isPrefilling: Bool { prefilled < request.promptIDs.count }

        /// The tokens whose K/V this sequence has written to its slot, in position order: the
        /// prompt as far as it is prefilled, then every sampled token fed back (all but `pending`).
        var cachedTokens: [Int32] {
            if isPrefilling { return Array(request.promptIDs[0 ..< prefilled]) }
            return request.promptIDs + sampledIDs.prefix(max(0, position - request.promptIDs.count))
        }
    }

    /// What a slot's KV cache holds while no sequence runs in it.
    private struct SlotContent {
        var tokens: [Int32] = []
        /// When the slot was freed (a step count): the least recent is taken first.
        var freedAt: UInt64 = 0
    }

    private var queue: [(GenerationRequest, Double)] = []
    private var active: [Sequence] = []
    private var freeSlots: [Int]
    private var slotContent: [SlotContent]
    /// Keep each slot's KV cache for the next sequence that shares its prefix.
    public let reusePrefixes: Bool
    private var logits: [Float] = []
    private var sampled: [Int32] = []

    /// Forward steps run (each one command submission on Vulkan).
    public private(set) var stepsCompleted: UInt64 = 0
    public private(set) var tokensGenerated: UInt64 = 0
    public private(set) var promptTokensProcessed: UInt64 = 0
    /// Prompt tokens taken from a slot's cache instead of computed (see `reusePrefixes`).
    public private(set) var promptTokensReused: UInt64 = 0

    public convenience init(backend: any ComputeBackend, prefillChunk: Int = 64) {
        self.init(backend: backend, policy: SchedulingPolicy(prefillChunk: prefillChunk))
    }

    public init(backend: any ComputeBackend, policy: SchedulingPolicy, reusePrefixes: Bool = true) {
        self.backend = backend
        self.reusePrefixes = reusePrefixes
        var p = policy
        p.prefillChunk = max(1, min(p.prefillChunk, backend.maxBatchTokens))
        p.minimumPrefill = max(1, p.minimumPrefill)
        self.policy = p
        freeSlots = Array(0 ..< backend.slotCount)
        slotContent = Array(repeating: SlotContent(), count: backend.slotCount)
    }

    /// Where the compute thread's time went since the generator started.
    public var profile: StepProfile {
        var p = ownProfile
        if let f = backend.forwardProfile { p.add(f) }
        return p
    }

    public var activeCount: Int { active.count }
    public var queuedCount: Int { queue.count }
    public var hasWork: Bool { !active.isEmpty || !queue.isEmpty }
    public var requestIDs: [String] { active.map(\.request.id) + queue.map(\.0.id) }

    /// Checks a request against the model and the context; throws `invalidRequest` with the reason.
    public func validate(_ r: GenerationRequest) throws(EngineError) {
        guard !r.promptIDs.isEmpty else { throw EngineError(.invalidRequest, "the prompt is empty") }
        guard r.promptIDs.count < backend.contextLength else {
            throw EngineError(.invalidRequest,
                              "the prompt has \(r.promptIDs.count) tokens; the context holds \(backend.contextLength)")
        }
        guard r.maxTokens >= 1 else { throw EngineError(.invalidRequest, "max_tokens must be at least 1") }
        if let problem = r.parameters.problem { throw EngineError(.invalidRequest, problem) }
        let vocab = backend.model.config.vocabularySize
        if let bad = r.promptIDs.first(where: { $0 < 0 || Int($0) >= vocab }) {
            throw EngineError(.invalidRequest, "prompt token \(bad) is outside the vocabulary (0..<\(vocab))")
        }
        if requestIDs.contains(r.id) { throw EngineError(.invalidRequest, "request id '\(r.id)' is already in use") }
    }

    /// Queues a request; it joins the batch at the next step with a free slot.
    public func submit(_ r: GenerationRequest, at now: Double = monotonicSeconds()) throws(EngineError) {
        try validate(r)
        queue.append((r, now))
    }

    /// Ends a queued or running request at the next step boundary; false when the id is unknown.
    /// The request's `done` (reason `cancelled`) comes out of the next `step()`.
    public func cancel(_ id: String) -> Bool {
        if let i = queue.firstIndex(where: { $0.0.id == id }) {
            cancelledQueued.append(queue.remove(at: i))
            return true
        }
        guard let s = active.first(where: { $0.request.id == id }) else { return false }
        cancelledActive.insert(ObjectIdentifier(s))
        return true
    }

    private var cancelledQueued: [(GenerationRequest, Double)] = []
    private var cancelledActive = Set<ObjectIdentifier>()

    /// Runs one forward step (when there is work) and returns what happened. Engine failures
    /// (device lost, ...) propagate; the generator is then unusable and its owner reports them.
    public func step(now: () -> Double = monotonicSeconds) throws(EngineError) -> [GeneratorEvent] {
        var events: [GeneratorEvent] = []
        let t0 = now()
        // Cancellations and deadlines first: they free slots for this step's admissions.
        for (r, submitted) in cancelledQueued {
            events.append(.done(id: r.id, reason: .cancelled, promptTokens: r.promptIDs.count, completionTokens: 0,
                                tail: "", timings: Self.timings(submitted: submitted, end: t0)))
        }
        cancelledQueued.removeAll()
        queue.removeAll { r, submitted in
            guard let d = r.deadline, d <= t0 else { return false }
            events.append(.done(id: r.id, reason: .deadline, promptTokens: r.promptIDs.count, completionTokens: 0,
                                tail: "", timings: Self.timings(submitted: submitted, end: t0)))
            return true
        }
        for s in active {
            if cancelledActive.contains(ObjectIdentifier(s)) { events.append(finish(s, .cancelled, at: t0)) }
            else if let d = s.request.deadline, d <= t0 { events.append(finish(s, .deadline, at: t0)) }
        }
        cancelledActive.removeAll()
        active.removeAll(where: \.finished)
        while !queue.isEmpty, !freeSlots.isEmpty {
            let (r, submitted) = queue.removeFirst()
            let (slot, reused) = takeSlot(for: r.promptIDs)
            let s = Sequence(r, slot: slot, submitted: submitted, tokenizer: backend.model.tokenizer)
            s.admitted = t0
            s.prefilled = reused
            s.cached = reused
            promptTokensReused += UInt64(reused)
            active.append(s)
        }
        guard !active.isEmpty else { return events }

        // Decoding sequences contribute their pending token; prompts fill the budget left, in
        // admission order, each at most a chunk.
        var batch = Batch()
        var rows: [Sequence] = []
        var chunks: [(Sequence, Int)] = []
        for s in active where !s.isPrefilling {
            batch.append(token: s.pending, position: s.position, slot: s.slot, wantLogits: true)
            rows.append(s)
        }
        let oldestPrompt = active.lazy.filter(\.isPrefilling).map(\.submitted).min()
        var budget = policy.prefillBudget(decoding: batch.count, batchLimit: backend.maxBatchTokens, cost: cost,
                                          promptWait: oldestPrompt.map { t0 - $0 } ?? 0)
        // The per-sequence chunk protects decoding streams; with none, a prompt takes what the batch holds.
        let chunk = batch.count > 0 ? policy.prefillChunk : backend.maxBatchTokens
        for s in active where s.isPrefilling && budget > 0 {
            let n = min(chunk, s.request.promptIDs.count - s.prefilled, budget)
            let last = s.prefilled + n == s.request.promptIDs.count
            for j in 0 ..< n {
                batch.append(token: s.request.promptIDs[s.prefilled + j], position: s.prefilled + j, slot: s.slot,
                             wantLogits: last && j == n - 1)
            }
            if last { rows.append(s) }
            chunks.append((s, n))
            budget -= n
        }
        let vocab = backend.model.config.vocabularySize
        if logits.count < batch.logitRows.count * vocab {
            // At most one row per sequence: decoders and sequences whose prefill just ended.
            logits = [Float](repeating: 0, count: backend.slotCount * vocab)
        }
        let tf = now()
        ownProfile[.scheduling] += tf - t0
        try logits.withUnsafeMutableBufferPointer { (buf) throws(EngineError) in try backend.forward(batch, logits: buf) }
        stepsCompleted += 1
        let t1 = now()
        if backend.forwardProfile == nil {
            ownProfile[.forward] += t1 - tf
            ownProfile.steps += 1
            ownProfile.tokens += UInt64(batch.count)
        }
        for (s, n) in chunks {
            s.prefilled += n
            promptTokensProcessed += UInt64(n)
            if !s.isPrefilling { s.position = s.prefilled }
        }
        // Logit rows come back in batch order: decoders first, then sequences that finished prefill.
        // Each sequence's sampler reads only its row: they draw in parallel on the backend's threads.
        if sampled.count < rows.count { sampled = [Int32](repeating: 0, count: backend.slotCount) }
        logits.withUnsafeBufferPointer { buf in
            sampled.withUnsafeMutableBufferPointer { out in
                backend.parallelFor(rows.count) { row in
                    out[row] = rows[row].sampler.sample(UnsafeBufferPointer(rebasing: buf[row * vocab ..< (row + 1) * vocab]))
                }
            }
        }
        for (row, s) in rows.enumerated() {
            if let e = advance(s, token: sampled[row], at: t1) { events.append(contentsOf: e) }
        }
        active.removeAll(where: \.finished)
        let t2 = now()
        ownProfile[.sampling] += t2 - t1
        // The step as the decoding sequences feel it: batching, the forward pass and sampling.
        cost.observe(tokens: batch.count, seconds: t2 - t0)
        return events
    }

    /// Takes a sequence's sampled next token and reports it; finishes the sequence when it stops
    /// or reaches a limit.
    private func advance(_ s: Sequence, token: Int32, at t: Double) -> [GeneratorEvent]? {
        let model = backend.model
        // The pending token was fed at s.position this step (prefill leaves it at the prompt's end).
        if s.generated > 0 { s.position += 1 }
        if s.generated == 0 { s.firstToken = t }
        if !s.request.ignoreEndOfGeneration && model.tokenizer.isEndOfGeneration(token) {
            return [finish(s, .stop, at: t)]
        }
        s.sampler.accept(token)
        s.sampledIDs.append(token)
        s.generated += 1
        tokensGenerated += 1
        s.pending = token
        let piece = s.stopper.feed(s.detokenizer.append(token))
        var events: [GeneratorEvent] = [.token(id: s.request.id, index: s.generated - 1, token: token, text: piece)]
        if s.stopper.stopped {
            events.append(finish(s, .stop, at: t))
        } else if s.generated >= s.request.maxTokens || s.position >= backend.contextLength {
            // The next token would be fed at s.position: past the context there is no room for it.
            events.append(finish(s, .length, at: t))
        }
        return events
    }

    /// A free slot for a prompt, and how many of the prompt's first tokens its cache already holds.
    /// Never all of them: the last prompt token is computed again for its logits.
    private func takeSlot(for prompt: [Int32]) -> (slot: Int, reused: Int) {
        var best = 0, bestShared = -1
        for (i, slot) in freeSlots.enumerated() {
            let shared = reusePrefixes ? Self.sharedPrefix(slotContent[slot].tokens, prompt) : 0
            let older = slotContent[slot].freedAt < slotContent[freeSlots[best]].freedAt
            if shared > bestShared || (shared == bestShared && older) { best = i; bestShared = shared }
        }
        let slot = freeSlots.remove(at: best)
        slotContent[slot].tokens = []   // rewritten from here on
        return (slot, min(bestShared, prompt.count - 1))
    }

    static func sharedPrefix(_ a: [Int32], _ b: [Int32]) -> Int {
        var n = 0
        let m = min(a.count, b.count)
        while n < m && a[n] == b[n] { n += 1 }
        return n
    }

    /// Ends a sequence: frees its slot at once and reports it.
    private func finish(_ s: Sequence, _ reason: FinishReason, at t: Double) -> GeneratorEvent {
        freeSlots.append(s.slot)
        slotContent[s.slot] = SlotContent(tokens: reusePrefixes ? s.cachedTokens : [], freedAt: stepsCompleted)
        s.finished = true
        var tail = ""
        if reason == .stop || reason == .length, !s.stopper.stopped {
            tail = s.stopper.feed(s.detokenizer.finish()) + s.stopper.flush()
        }
        var timings = GenerationTimings()
        timings.queued = (s.admitted > 0 ? s.admitted : t) - s.submitted
        if s.admitted > 0 { timings.prefill = (s.firstToken > 0 ? s.firstToken : t) - s.admitted }
        timings.firstToken = s.firstToken > 0 ? s.firstToken - s.submitted : 0
        timings.decode = s.firstToken > 0 ? t - s.firstToken : 0
        timings.total = t - s.submitted
        return .done(id: s.request.id, reason: reason, promptTokens: s.request.promptIDs.count,
                     completionTokens: s.generated, tail: tail, timings: timings, cachedTokens: s.cached)
    }

    static func timings(submitted: Double, end: Double) -> GenerationTimings {
        var t = GenerationTimings()
        t.queued = end - submitted
        t.total = end - submitted
        return t
    }
}
