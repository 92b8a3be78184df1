import ControlProtocol
/// A validation rule of ``SupervisorConfig``: the key it judges, the other keys it depends on, and a check
/// returning what the value must be when it is violated.
struct ConfigRule {
    /// The dotted key judged by the rule.
    let key: String
    /// Other keys the rule reads; blamed when `key` itself was not set.
    let related: [String]
    /// `nil` when the rule holds, otherwise the message ("must be 1...256, got 0").
    let check: (SupervisorConfig) -> String?

    init(_ key: String, related: [String] = [], _ check: @escaping (SupervisorConfig) -> String?) {
        self.key = key
        self.related = related
        self.check = check
    }

    /// Every rule, in file order of the keys.
    static var all: [ConfigRule] {
        [
            ConfigRule("listen") { config in
                ListenAddress.problem(config.listen).map {
                    "must be HOST:PORT with an IPv4 address, a bracketed IPv6 address or a host name, and a port "
                        + "1...65535; \($0) in \(ConfigValue.quoted(config.listen))"
                }
            },
            path("control_socket", \.controlSocket),
            ConfigRule("control_socket") { config in
                let length = config.controlSocket.utf8.count
                return length <= 107
                    ? nil : "must be at most 107 bytes long (the limit of a Unix socket path), got \(length) bytes"
            },
            ConfigRule("control_group") { config in
                guard let group = config.controlGroup, !isGroupName(group) else {
                    return nil
                }
                return "must be a group name: 1...32 letters, digits, '_', '-' or '.', not starting with '-'; "
                    + "got \(ConfigValue.quoted(group))"
            },
            path("runtime_dir", \.runtimeDir),
            ConfigRule("worker_binary") { config in
                config.workerBinary == "" ? "must be a non-empty path (leave the key out for the default)" : nil
            },

            path("model.path", \.model.path),
            range("model.context", \.model.context, 64...1_048_576),
            range("model.slots", \.model.slots, 1...256),
            atLeast("model.batch_tokens", \.model.batchTokens, 1),
            ConfigRule("model.prefill_chunk", related: ["model.batch_tokens"]) { config in
                let chunk = config.model.prefillChunk
                let batch = config.model.batchTokens
                return (1...max(batch, 1)).contains(chunk)
                    ? nil : "must be between 1 and model.batch_tokens (\(batch)), got \(chunk)"
            },
            ConfigRule("model.step_tokens", related: ["model.batch_tokens", "model.slots"]) { config in
                let m = config.model
                if m.stepTokens == 0 { return nil }
                return m.stepTokens > m.slots && m.stepTokens <= m.batchTokens ? nil
                    : "must be 0 (= batch_tokens) or between model.slots + 1 (\(m.slots + 1)) and model.batch_tokens (\(m.batchTokens)), got \(m.stepTokens)"
            },
            ConfigRule("model.step_target") { config in
                let t = config.model.stepTarget
                return t >= .zero && t <= .seconds(60) ? nil : "must be 0s (no target) to 60s"
            },

            atLeast("workers.vulkan", \.workers.vulkan, 0),
            atLeast("workers.cpu", \.workers.cpu, 0),
            ConfigRule("workers.vulkan", related: ["workers.cpu"]) { config in
                let (vulkan, cpu) = (config.workers.vulkan, config.workers.cpu)
                return vulkan + cpu >= 1
                    ? nil
                    : "a pool needs at least one worker: workers.vulkan + workers.cpu must be at least 1, "
                        + "got \(vulkan) + \(cpu)"
            },
            atLeast("workers.threads", \.workers.threads, 0),
            ConfigRule("workers.device") { config in
                guard let device = config.workers.device, device < 0 else {
                    return nil
                }
                return "must be at least 0 (a Vulkan device index), got \(device)"
            },

            positive("health.heartbeat_interval", \.health.heartbeatInterval),
            ConfigRule("health.heartbeat_timeout", related: ["health.heartbeat_interval"]) { config in
                let (timeout, interval) = (config.health.heartbeatTimeout, config.health.heartbeatInterval)
                return timeout >= interval * 2
                    ? nil
                    : "must be at least twice health.heartbeat_interval (2 × \(text(interval)) = "
                        + "\(text(interval * 2))), got \(text(timeout))"
            },
            ConfigRule("health.stall_timeout", related: ["health.heartbeat_interval"]) { config in
                let (stall, interval) = (config.health.stallTimeout, config.health.heartbeatInterval)
                return stall > interval
                    ? nil
                    : "must be longer than health.heartbeat_interval (\(text(interval))), got \(text(stall))"
            },
            positive("health.start_timeout", \.health.startTimeout),

            ConfigRule("restart.jitter", related: ["restart.every"]) { config in
                let (jitter, every) = (config.restart.jitter, config.restart.every)
                return every == .zero || jitter < every
                    ? nil
                    : "must be shorter than restart.every (\(text(every))) unless restart.every is \"0\", "
                        + "got \(text(jitter))"
            },
            positive("restart.backoff_initial", \.restart.backoffInitial),
            ConfigRule("restart.backoff_max", related: ["restart.backoff_initial"]) { config in
                let (maximum, initial) = (config.restart.backoffMax, config.restart.backoffInitial)
                return maximum >= initial
                    ? nil
                    : "must be at least restart.backoff_initial (\(text(initial))), got \(text(maximum))"
            },
            atLeast("restart.fatal_after", \.restart.fatalAfter, 1),
            positive("restart.fatal_retry", \.restart.fatalRetry),

            positive("failover.probe_initial", \.failover.probeInitial),
            ConfigRule("failover.probe_max", related: ["failover.probe_initial"]) { config in
                let (maximum, initial) = (config.failover.probeMax, config.failover.probeInitial)
                return maximum >= initial
                    ? nil
                    : "must be at least failover.probe_initial (\(text(initial))), got \(text(maximum))"
            },


            atLeast("limits.queue", \.limits.queue, 0),
            positive("limits.request_timeout", \.limits.requestTimeout),
            atLeast("limits.max_tokens", \.limits.maxTokens, 1),
            ConfigRule("limits.default_max_tokens", related: ["limits.max_tokens"]) { config in
                let (value, maximum) = (config.limits.defaultMaxTokens, config.limits.maxTokens)
                return (1...max(maximum, 1)).contains(value)
                    ? nil : "must be between 1 and limits.max_tokens (\(maximum)), got \(value)"
            },
            ConfigRule("limits.max_body_bytes") { config in
                let (value, ceiling) = (config.limits.maxBodyBytes, SupervisorConfig.Limits.maxBodyBytesCeiling)
                return (1024...ceiling).contains(value) ? nil
                    : "must be 1024...\(ceiling) (the worker link carries a prompt of at most \(ceiling) bytes), got \(value)"
            },
            range("limits.max_connections", \.limits.maxConnections, 16...1_048_576),
            positive("limits.idle_timeout", \.limits.idleTimeout),
            positive("limits.header_timeout", \.limits.headerTimeout),
            positive("limits.body_timeout", \.limits.bodyTimeout),
            ConfigRule("api.key") { config in
                config.api.key == "" ? "must not be empty (leave the key out for no key)" : nil
            },
            ConfigRule("api.key_file", related: ["api.key"]) { config in
                config.api.key != nil && config.api.keyFile != nil ? "set api.key or api.key_file, not both" : nil
            },
            ConfigRule("api.model_id") { config in
                config.api.modelID == "" ? "must not be empty (leave the key out for the file name)" : nil
            },        ]
    }

    // MARK: - Rule builders

    private static func path(_ key: String, _ value: KeyPath<SupervisorConfig, String>) -> ConfigRule {
        ConfigRule(key) { $0[keyPath: value].isEmpty ? "must be a non-empty path" : nil }
    }

    private static func range(_ key: String, _ value: KeyPath<SupervisorConfig, Int>, _ bounds: ClosedRange<Int>)
        -> ConfigRule
    {
        ConfigRule(key) { config in
            let number = config[keyPath: value]
            return bounds.contains(number)
                ? nil : "must be between \(bounds.lowerBound) and \(bounds.upperBound), got \(number)"
        }
    }

    private static func atLeast(_ key: String, _ value: KeyPath<SupervisorConfig, Int>, _ minimum: Int)
        -> ConfigRule
    {
        ConfigRule(key) { config in
            let number = config[keyPath: value]
            return number >= minimum ? nil : "must be at least \(minimum), got \(number)"
        }
    }

    private static func positive(_ key: String, _ value: KeyPath<SupervisorConfig, Duration>) -> ConfigRule {
        ConfigRule(key) { config in
            config[keyPath: value] > .zero ? nil : "must be longer than 0, got \(text(config[keyPath: value]))"
        }
    }

    private static func text(_ duration: Duration) -> String {
        ConfigValue.quoted(DurationText.format(duration))
    }

    private static func isGroupName(_ name: String) -> Bool {
        (1...32).contains(name.count) && name.first != "-"
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }
}
