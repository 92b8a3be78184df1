/// The configuration of `vkserved`, read from a TOML file (see `units/vkserve.toml`).
///
/// Every key is optional: `SupervisorConfig()` holds the defaults. Use ``load(path:overrides:)`` or
/// ``parse(_:source:overrides:)`` to read and validate a file; a value built in code is not validated.
public struct SupervisorConfig: Sendable, Equatable {
    /// Address of the HTTP API as `HOST:PORT` (an IPv4 address, a bracketed IPv6 address or a host name;
    /// port 1...65535). Key `listen`.
    public var listen: String
    /// Path of the Unix control socket used by `supervisorctl`. Key `control_socket`.
    public var controlSocket: String
    /// Group allowed on the control socket besides root, e.g. `"vkserve"`; `nil` (key absent) means the
    /// supervisor's own group. Key `control_group`.
    public var controlGroup: String?
    /// Directory where the worker sockets are created. Key `runtime_dir`.
    public var runtimeDir: String
    /// Path of the `vkserve-worker` executable; `nil` means the one beside `vkserved`. Key `worker_binary`.
    public var workerBinary: String?
    /// The model and how it is batched. Section `[model]`.
    public var model: Model
    /// The worker pool. Section `[workers]`.
    public var workers: Workers
    /// Liveness and progress checks. Section `[health]`.
    public var health: Health
    /// Restart policy and scheduled restarts. Section `[restart]`.
    public var restart: Restart
    /// CPU failover and fail-back. Section `[failover]`.
    public var failover: Failover
    /// Admission control of the HTTP API. Section `[limits]`.
    public var limits: Limits
    /// What the HTTP API presents. Section `[api]`.
    public var api: API

    /// The default configuration.
    public init() {
        listen = "127.0.0.1:8080"
        controlSocket = "/run/vkserve/control.sock"
        controlGroup = nil
        runtimeDir = "/run/vkserve"
        workerBinary = nil
        model = Model()
        workers = Workers()
        health = Health()
        restart = Restart()
        failover = Failover()
        limits = Limits()
        api = API()
    }
}
