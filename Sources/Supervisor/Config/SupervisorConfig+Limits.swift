extension SupervisorConfig {
    /// Admission control of the HTTP API. Section `[limits]`.
    public struct Limits: Sendable, Equatable {
        /// Requests that may wait for a free slot; one more is answered 429. Key `queue`.
        public var queue: Int
        /// Longest time from a request's arrival to its last token; then 504 (or an error event). Key
        /// `request_timeout`.
        public var requestTimeout: Duration
        /// Largest `max_tokens` a request may ask for. Key `max_tokens`.
        public var maxTokens: Int
        /// `max_tokens` of a request that does not say. Key `default_max_tokens`.
        public var defaultMaxTokens: Int
        /// Largest request body in bytes; a larger one is answered 413. Key `max_body_bytes`.
        public var maxBodyBytes: Int
        /// Open HTTP connections at most; one more is answered 503 and closed. Key `max_connections`.
        public var maxConnections: Int
        /// A keep-alive connection with no request for this long is closed. Key `idle_timeout`.
        public var idleTimeout: Duration
        /// Longest time from a request's first byte to the end of its headers; then the connection is closed.
        /// Key `header_timeout`.
        public var headerTimeout: Duration
        /// Longest time to receive a request's body once its headers are in; then the connection is closed.
        /// Key `body_timeout`.
        public var bodyTimeout: Duration

        /// The largest `max_body_bytes` the worker link carries: a prompt's JSON escaping can grow it six-fold
        /// (`\u0001` for one byte), and a frame is at most `WireFormat.maxFrameBytes`.
        public static let maxBodyBytesCeiling = 16 << 20

        /// Creates a limits section; every parameter defaults to the documented default.
        public init(queue: Int = 64, requestTimeout: Duration = .seconds(300), maxTokens: Int = 4096,
                    defaultMaxTokens: Int = 256, maxBodyBytes: Int = 1 << 20, maxConnections: Int = 4096,
                    idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
                    bodyTimeout: Duration = .seconds(30)) {
            self.queue = queue
            self.requestTimeout = requestTimeout
            self.maxTokens = maxTokens
            self.defaultMaxTokens = defaultMaxTokens
            self.maxBodyBytes = maxBodyBytes
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
        }
    }

    /// What the HTTP API presents. Section `[api]`.
    public struct API: Sendable, Equatable {
        /// Bearer key required on every route but /health and /ready; nil: no key. Key `key`.
        public var key: String?
        /// File holding the bearer key (first line), so it stays out of the configuration; key `key_file`.
        public var keyFile: String?
        /// The model id clients name; nil: the model file's name without `.gguf`. Key `model_id`.
        public var modelID: String?

        /// Creates an api section; every parameter defaults to the documented default.
        public init(key: String? = nil, keyFile: String? = nil, modelID: String? = nil) {
            self.key = key
            self.keyFile = keyFile
            self.modelID = modelID
        }
    }
}
