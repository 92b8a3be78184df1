extension SupervisorConfig {
    /// The model every worker loads and how it is batched. Section `[model]`.
    public struct Model: Sendable, Equatable {
        /// Path of the GGUF model file. Key `path`.
        public var path: String
        /// Context length in tokens of each sequence, 64...1_048_576. Key `context`.
        public var context: Int
        /// Concurrent sequences per worker, 1...256. Key `slots`.
        public var slots: Int
        /// Most tokens one forward pass processes, at least 1. Key `batch_tokens`.
        public var batchTokens: Int
        /// Most prompt tokens one sequence adds to a step beside decoding sequences, 1...`batchTokens`.
        /// Key `prefill_chunk`.
        public var prefillChunk: Int
        /// Most tokens of a step in which sequences decode (their tokens plus prompt chunks);
        /// 0 = `batchTokens`. Key `step_tokens`.
        public var stepTokens: Int
        /// How long a step in which sequences decode should take: prompt tokens join it only as
        /// far as the measured step cost allows (the inter-token gap the streams see); 0 = no
        /// target. Key `step_target`. The default, 40 ms, sits below the SLA's 50 ms inter-token P95:
        /// at 12 streams about one gap in twelve falls in a step that also prefills a new prompt, and
        /// such steps run to the target.
        public var stepTarget: Duration
        /// Whether a worker keeps each slot's KV cache after its request ends and lets the next
        /// request whose prompt starts the same way skip that prefix (llama-server's
        /// `cache_prompt`). Key `prefix_cache`.
        public var prefixCache: Bool
        /// The chat layout of `/v1/chat/completions` (`chatml`, `llama3.1`, `mistral-v3-tekken`, ...), replacing
        /// the one recognised in the model's template; nil = the model's own. The worker checks the name.
        /// Key `chat_template`.
        public var chatTemplate: String?

        /// Creates a model section; every parameter defaults to the documented default.
        public init(
            path: String = "models/SmolLM2-135M-Instruct.Q4_1.gguf",
            context: Int = 4096,
            slots: Int = 12,
            batchTokens: Int = 512,
            prefillChunk: Int = 64,
            stepTokens: Int = 0,
            stepTarget: Duration = .milliseconds(40),
            prefixCache: Bool = true,
            chatTemplate: String? = nil
        ) {
            self.path = path
            self.context = context
            self.slots = slots
            self.batchTokens = batchTokens
            self.prefillChunk = prefillChunk
            self.stepTokens = stepTokens
            self.stepTarget = stepTarget
            self.prefixCache = prefixCache
            self.chatTemplate = chatTemplate
        }
    }
}
