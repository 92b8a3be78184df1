import ControlProtocol
import TOMLKit

/// One key of the configuration file: where it lives, its type, how it maps onto ``SupervisorConfig`` and the
/// one-line comment written by ``SupervisorConfig/rendered()``.
struct ConfigKey {
    /// How the key is stored.
    enum Binding {
        case string(WritableKeyPath<SupervisorConfig, String>)
        case optionalString(WritableKeyPath<SupervisorConfig, String?>)
        case int(WritableKeyPath<SupervisorConfig, Int>)
        case optionalInt(WritableKeyPath<SupervisorConfig, Int?>)
        case bool(WritableKeyPath<SupervisorConfig, Bool>)
        case duration(WritableKeyPath<SupervisorConfig, Duration>)
    }

    /// Why a TOML value does not fit a key: the message of a ``ConfigError``.
    struct Failure: Error {
        let message: String

        init(_ message: String) {
            self.message = message
        }
    }

    /// The section (`"model"`), or `nil` for a top-level key.
    let section: String?
    /// The key within its section (`"batch_tokens"`).
    let name: String
    let binding: Binding
    /// One line describing the key, its unit and special values.
    let comment: String
    /// For an optional key: a value shown commented out when the key is unset.
    let example: String?

    init(_ section: String?, _ name: String, _ binding: Binding, _ comment: String, example: String? = nil) {
        self.section = section
        self.name = name
        self.binding = binding
        self.comment = comment
        self.example = example
    }

    /// The dotted key, such as `health.stall_timeout`.
    var path: String {
        section.map { "\($0).\(name)" } ?? name
    }

    /// Whether the key holds text (a string or a duration): unquoted override values are taken literally.
    var isText: Bool {
        switch binding {
        case .string, .optionalString, .duration: return true
        case .int, .optionalInt, .bool: return false
        }
    }

    /// The key's value in `config`; `nil` when an optional key is unset.
    func value(in config: SupervisorConfig) -> ConfigValue? {
        switch binding {
        case .string(let path): return .string(config[keyPath: path])
        case .optionalString(let path): return config[keyPath: path].map(ConfigValue.string)
        case .int(let path): return .int(config[keyPath: path])
        case .optionalInt(let path): return config[keyPath: path].map(ConfigValue.int)
        case .bool(let path): return .bool(config[keyPath: path])
        case .duration(let path): return .duration(config[keyPath: path])
        }
    }

    /// Stores a value decoded by ``decode(_:)`` into `config`.
    func store(_ value: ConfigValue, into config: inout SupervisorConfig) {
        switch (binding, value) {
        case (.string(let path), .string(let text)): config[keyPath: path] = text
        case (.optionalString(let path), .string(let text)): config[keyPath: path] = text
        case (.int(let path), .int(let number)): config[keyPath: path] = number
        case (.optionalInt(let path), .int(let number)): config[keyPath: path] = number
        case (.bool(let path), .bool(let flag)): config[keyPath: path] = flag
        case (.duration(let path), .duration(let duration)): config[keyPath: path] = duration
        default: preconditionFailure("value \(value) does not fit key \(self.path)")
        }
    }

    /// Checks the type of a TOML value and converts it; the failure is the message of a ``ConfigError``.
    func decode(_ value: TOMLValueConvertible) -> Result<ConfigValue, Failure> {
        switch binding {
        case .string, .optionalString:
            guard value.type == .string, let text = value.string else {
                return .failure(Failure("expected a string, got \(ConfigValue.describe(value))"))
            }
            return .success(.string(text))
        case .int, .optionalInt:
            guard value.type == .int, let number = value.int else {
                return .failure(Failure("expected an integer, got \(ConfigValue.describe(value))"))
            }
            return .success(.int(number))
        case .bool:
            guard value.type == .bool, let flag = value.bool else {
                return .failure(
                    Failure("expected a boolean (true or false), got \(ConfigValue.describe(value))")
                )
            }
            return .success(.bool(flag))
        case .duration:
            return decodeDuration(value)
        }
    }

    private func decodeDuration(_ value: TOMLValueConvertible) -> Result<ConfigValue, Failure> {
        let expected = "expected a duration string such as \"500ms\", \"30s\", \"5m\", \"1h30m\" or \"2d\""
        switch value.type {
        case .string:
            let text = value.string ?? ""
            if let duration = DurationText.parse(text) {
                return .success(.duration(duration))
            }
            var message = "\(expected), got \(ConfigValue.describe(value))"
            if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
                message += "; a duration needs a unit: write \"\(text)s\" for seconds"
            }
            return .failure(Failure(message))
        case .int, .double:
            let number = value.int.map(String.init) ?? value.double.map { String($0) } ?? "?"
            return .failure(
                Failure(
                    "\(expected), got \(ConfigValue.describe(value)); "
                        + "a duration is a quoted string with a unit: write \"\(number)s\" for seconds"
                )
            )
        default:
            return .failure(Failure("\(expected), got \(ConfigValue.describe(value))"))
        }
    }
}

extension ConfigKey {
    /// The sections, in file order.
    static let sections = ["model", "workers", "health", "restart", "failover", "limits", "api"]

    /// One comment line per section, written above its header by ``SupervisorConfig/rendered()``.
    static let sectionComments = [
        "model": "The model every worker loads and how it is batched.",
        "workers": "The worker pool.",
        "health": "Liveness (heartbeats) and progress (counters) of the workers.",
        "restart": "Restart policy and scheduled restarts.",
        "failover": "CPU failover: re-probing the Vulkan path while degraded.",
        "limits": "Admission control of the HTTP API.",
        "api": "What the HTTP API presents.",
    ]

    /// Every key, top-level keys first, then each section in ``sections`` order.
    static var all: [ConfigKey] {
        [
            ConfigKey(nil, "listen", .string(\.listen),
                      "Address of the HTTP API: HOST:PORT with an IPv4 address, [IPv6] or a host name."),
            ConfigKey(nil, "control_socket", .string(\.controlSocket),
                      "Unix socket of supervisorctl (mode 0660, owner root)."),
            ConfigKey(nil, "control_group", .optionalString(\.controlGroup),
                      "Group allowed on the control socket besides root; unset = the supervisor's own group.",
                      example: "\"vkserve\""),
            ConfigKey(nil, "runtime_dir", .string(\.runtimeDir),
                      "Directory of the worker sockets."),
            ConfigKey(nil, "worker_binary", .optionalString(\.workerBinary),
                      "Path of vkserve-worker; unset = the one beside vkserved.",
                      example: "\"/usr/local/bin/vkserve-worker\""),

            ConfigKey("model", "path", .string(\.model.path),
                      "GGUF model file (a relative path is taken from the working directory)."),
            ConfigKey("model", "context", .int(\.model.context),
                      "Context length of each sequence in tokens (64...1048576)."),
            ConfigKey("model", "slots", .int(\.model.slots),
                      "Concurrent sequences per worker (1...256)."),
            ConfigKey("model", "batch_tokens", .int(\.model.batchTokens),
                      "Most tokens one forward pass processes (at least 1)."),
            ConfigKey("model", "prefill_chunk", .int(\.model.prefillChunk),
                      "Most prompt tokens one sequence adds to a step beside decoding sequences (1...batch_tokens)."),
            ConfigKey("model", "step_tokens", .int(\.model.stepTokens),
                      "Most tokens of a step in which sequences decode, prompt chunks included (0 = batch_tokens)."),
            ConfigKey("model", "step_target", .duration(\.model.stepTarget),
                      "Target step time while sequences decode: prompt chunks shrink to fit it (\"0s\" = none)."),
            ConfigKey("model", "prefix_cache", .bool(\.model.prefixCache),
                      "Keep each slot's KV cache after a request; a prompt that starts the same way skips that prefix."),
            ConfigKey("model", "chat_template", .optionalString(\.model.chatTemplate),
                      "Chat layout replacing the model's (chatml, llama3, llama3.1, mistral-v1/-v3/-v3-tekken/-v7, phi3, gemma, ...); unset = the model's own.",
                      example: "\"llama3.1\""),

            ConfigKey("workers", "vulkan", .int(\.workers.vulkan),
                      "Vulkan (GPU) workers; vulkan + cpu must be at least 1."),
            ConfigKey("workers", "cpu", .int(\.workers.cpu),
                      "CPU workers, besides those standing in for failed Vulkan workers."),
            ConfigKey("workers", "cpu_fallback", .bool(\.workers.cpuFallback),
                      "Whether a CPU worker takes the place of a Vulkan worker that cannot run."),
            ConfigKey("workers", "threads", .int(\.workers.threads),
                      "CPU threads of each CPU worker; 0 = one per core."),
            ConfigKey("workers", "device", .optionalInt(\.workers.device),
                      "Vulkan device index; unset = the first usable device.",
                      example: "0"),
            ConfigKey("workers", "software_vulkan", .bool(\.workers.softwareVulkan),
                      "Let Vulkan workers run on a software renderer on the CPU (lavapipe); false = fail over instead."),

            ConfigKey("health", "heartbeat_interval", .duration(\.health.heartbeatInterval),
                      "How often a worker sends a heartbeat."),
            ConfigKey("health", "heartbeat_timeout", .duration(\.health.heartbeatTimeout),
                      "A worker silent this long is killed (at least twice heartbeat_interval)."),
            ConfigKey("health", "stall_timeout", .duration(\.health.stallTimeout),
                      "A worker whose counters stand still this long with work in flight is killed."),
            ConfigKey("health", "start_timeout", .duration(\.health.startTimeout),
                      "Longest time from spawn to ready, model load included."),

            ConfigKey("restart", "every", .duration(\.restart.every),
                      "Scheduled restart period of each worker; \"0\" disables scheduled restarts."),
            ConfigKey("restart", "jitter", .duration(\.restart.jitter),
                      "Random offset added to each scheduled restart (less than every)."),
            ConfigKey("restart", "backoff_initial", .duration(\.restart.backoffInitial),
                      "First delay before restarting a failed worker."),
            ConfigKey("restart", "backoff_max", .duration(\.restart.backoffMax),
                      "Cap of the exponential restart backoff."),
            ConfigKey("restart", "fatal_after", .int(\.restart.fatalAfter),
                      "Failed starts in a row after which a worker is fatal."),
            ConfigKey("restart", "fatal_retry", .duration(\.restart.fatalRetry),
                      "Period of the slow retries while a worker is fatal."),
            ConfigKey("restart", "stable_after", .duration(\.restart.stableAfter),
                      "A run this long resets the backoff."),
            ConfigKey("restart", "drain_timeout", .duration(\.restart.drainTimeout),
                      "How long in-flight requests get to finish during drains and stops."),
            ConfigKey("restart", "make_before_break", .bool(\.restart.makeBeforeBreak),
                      "Start a worker's replacement before stopping it when the device has room for both; "
                          + "false = always drain, stop, then start."),

            ConfigKey("failover", "probe_initial", .duration(\.failover.probeInitial),
                      "First delay before probing the Vulkan path again."),
            ConfigKey("failover", "probe_max", .duration(\.failover.probeMax),
                      "Cap of the probe backoff."),

            ConfigKey("limits", "queue", .int(\.limits.queue),
                      "Requests that may wait for a free slot; one more is answered 429."),
            ConfigKey("limits", "request_timeout", .duration(\.limits.requestTimeout),
                      "Longest time from a request's arrival to its last token; then 504."),
            ConfigKey("limits", "max_tokens", .int(\.limits.maxTokens),
                      "Largest max_tokens a request may ask for."),
            ConfigKey("limits", "default_max_tokens", .int(\.limits.defaultMaxTokens),
                      "max_tokens of a request that does not say."),
            ConfigKey("limits", "max_body_bytes", .int(\.limits.maxBodyBytes),
                      "Largest request body in bytes (at most 16777216); a larger one is answered 413."),
            ConfigKey("limits", "max_connections", .int(\.limits.maxConnections),
                      "Open HTTP connections at most (lowered to fit the open-file limit); one more is answered "
                          + "503 and closed."),
            ConfigKey("limits", "idle_timeout", .duration(\.limits.idleTimeout),
                      "A keep-alive HTTP connection with no request for this long is closed."),
            ConfigKey("limits", "header_timeout", .duration(\.limits.headerTimeout),
                      "Longest time from a request's first byte to the end of its headers; then the connection "
                          + "is closed."),
            ConfigKey("limits", "body_timeout", .duration(\.limits.bodyTimeout),
                      "Longest time to receive a request body once its headers are in; then the connection is "
                          + "closed."),

            ConfigKey("api", "key", .optionalString(\.api.key),
                      "Bearer key required on every route but /health and /ready; unset = no key.",
                      example: "\"change-me\""),
            ConfigKey("api", "key_file", .optionalString(\.api.keyFile),
                      "File whose first line is the bearer key (keeps it out of this file).",
                      example: "\"/etc/vkserve/api-key\""),
            ConfigKey("api", "model_id", .optionalString(\.api.modelID),
                      "Model id clients name; unset = the model file's name without .gguf.",
                      example: "\"smollm2-135m\""),
        ]
    }

    /// The key at a dotted path (`health.stall_timeout`, `listen`).
    static func named(_ path: String) -> ConfigKey? {
        all.first { $0.path == path }
    }
}
