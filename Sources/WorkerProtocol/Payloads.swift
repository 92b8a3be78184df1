/// The supervisor's hello: the first message on a connection.
public struct Hello: Sendable, Equatable, Codable {
    /// The protocol version the supervisor speaks (``WireFormat/version``).
    public var version: Int
    /// Who is connecting, for the worker's log (`vkserved 1.2.0`, `vkserve bench`).
    public var client: String

    /// A hello from `client` speaking `version`.
    public init(version: Int = WireFormat.version, client: String) {
        self.version = version
        self.client = client
    }

    enum CodingKeys: String, CodingKey {
        case version
        case client
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeNumber(Int.self, forKey: .version)
        client = try c.decode(String.self, forKey: .client)
    }
}

/// A fault for the worker to simulate; accepted only by workers started with fault injection enabled.
public struct FaultInjection: Sendable, Equatable, Codable {
    /// Which fault: `crash`, `hang`, `stop_heartbeat`, `out_of_device_memory`, `device_lost`, …
    public var fault: String
    /// The generator step at which to fail; `nil` means at once.
    public var atStep: Int?

    /// Inject `fault`, at step `atStep` or at once.
    public init(fault: String, atStep: Int? = nil) {
        self.fault = fault
        self.atStep = atStep
    }

    enum CodingKeys: String, CodingKey {
        case fault
        case atStep = "at_step"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fault = try c.decode(String.self, forKey: .fault)
        atStep = try c.decodeNumberIfPresent(Int.self, forKey: .atStep)
    }
}

/// The worker's hello: protocol version and what it serves.
public struct WorkerHello: Sendable, Equatable, Codable {
    /// The protocol version the worker speaks (``WireFormat/version``).
    public var version: Int
    /// The worker's process id.
    public var pid: Int32
    /// The model file or name being served.
    public var model: String
    /// `vulkan` or `cpu`.
    public var backend: String
    /// The device in words (`AMD Radeon RX 7900 XTX`, `llvmpipe`, `cpu`).
    public var device: String
    /// Sequences generated at once.
    public var slots: Int
    /// Tokens of context per sequence.
    public var context: Int

    /// A worker's hello.
    public init(
        version: Int = WireFormat.version, pid: Int32, model: String, backend: String, device: String,
        slots: Int, context: Int
    ) {
        self.version = version
        self.pid = pid
        self.model = model
        self.backend = backend
        self.device = device
        self.slots = slots
        self.context = context
    }

    enum CodingKeys: String, CodingKey {
        case version
        case pid
        case model
        case backend
        case device
        case slots
        case context
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeNumber(Int.self, forKey: .version)
        pid = try c.decodeNumber(Int32.self, forKey: .pid)
        model = try c.decode(String.self, forKey: .model)
        backend = try c.decode(String.self, forKey: .backend)
        device = try c.decode(String.self, forKey: .device)
        slots = try c.decodeNumber(Int.self, forKey: .slots)
        context = try c.decodeNumber(Int.self, forKey: .context)
    }
}

/// A stage of model loading.
public struct LoadProgress: Sendable, Equatable, Codable {
    /// What is being done (`mapping`, `uploading`, `warmup`).
    public var stage: String
    /// How far the whole load has come, from 0 to 1.
    public var fraction: Double

    /// Progress of `fraction` in `stage`.
    public init(stage: String, fraction: Double) {
        self.stage = stage
        self.fraction = fraction
    }

    enum CodingKeys: String, CodingKey {
        case stage
        case fraction
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stage = try c.decode(String.self, forKey: .stage)
        fraction = try c.decodeNumber(Double.self, forKey: .fraction)
    }
}

/// The worker can generate: the model is resident and a warm-up token was computed.
public struct Ready: Sendable, Equatable, Codable {
    /// Milliseconds the warm-up token took.
    public var warmupMs: Double
    /// Milliseconds from start to model resident.
    public var loadMs: Double
    /// The engine's device as loaded (the hello, sent before loading ends, cannot name it).
    public var device: String

    /// Ready after loading for `loadMs` and warming up for `warmupMs`.
    public init(warmupMs: Double, loadMs: Double, device: String = "") {
        self.warmupMs = warmupMs
        self.loadMs = loadMs
        self.device = device
    }

    enum CodingKeys: String, CodingKey {
        case warmupMs = "warmup_ms"
        case loadMs = "load_ms"
        case device
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        warmupMs = try c.decodeNumber(Double.self, forKey: .warmupMs)
        loadMs = try c.decodeNumber(Double.self, forKey: .loadMs)
        device = try c.decodeIfPresent(String.self, forKey: .device) ?? ""
    }
}

/// One generated token of a request.
public struct TokenEvent: Sendable, Equatable, Codable {
    /// The request id.
    public var id: String
    /// Position of the token among the request's generated tokens, from 0.
    public var index: Int
    /// The token id.
    public var token: Int32
    /// The text this token completes; empty while it is the middle of a multi-byte character.
    public var text: String

    /// Token `token` at `index` of request `id`, with its text.
    public init(id: String, index: Int, token: Int32, text: String) {
        self.id = id
        self.index = index
        self.token = token
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case id
        case index
        case token
        case text
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        index = try c.decodeNumber(Int.self, forKey: .index)
        token = try c.decodeNumber(Int32.self, forKey: .token)
        text = try c.decode(String.self, forKey: .text)
    }
}

/// A fatal failure of the worker, reported before it exits.
public struct Fault: Sendable, Equatable, Codable {
    /// What failed; the exit code that follows matches it.
    public var kind: FaultKind
    /// The failure in words.
    public var message: String

    /// A fault of `kind`.
    public init(kind: FaultKind, message: String) {
        self.kind = kind
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case message
    }
}

/// The kinds of fatal worker failure; the supervisor chooses CPU failover or a restart by them.
public enum FaultKind: String, Codable, Sendable {
    /// No usable device of the requested backend (exit code ``WorkerExitCode/noDevice``).
    case noDevice = "no_device"
    /// Device memory ran out (``WorkerExitCode/outOfDeviceMemory``).
    case outOfDeviceMemory = "out_of_device_memory"
    /// The device was lost mid-computation (``WorkerExitCode/deviceLost``).
    case deviceLost = "device_lost"
    /// The model file cannot be loaded (``WorkerExitCode/badModel``).
    case badModel = "bad_model"
    /// A bug (``WorkerExitCode/internalError``).
    case `internal`

    /// The exit code the worker leaves with after reporting this fault.
    public var exitCode: WorkerExitCode {
        switch self {
        case .noDevice: .noDevice
        case .outOfDeviceMemory: .outOfDeviceMemory
        case .deviceLost: .deviceLost
        case .badModel: .badModel
        case .internal: .internalError
        }
    }
}
