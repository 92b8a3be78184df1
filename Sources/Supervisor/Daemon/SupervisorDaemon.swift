import ControlProtocol
import Foundation
import Logging
import ServiceLifecycle
import Systemd

/// vkserved: the pool, the request router, the front end (the HTTP API), the control socket,
/// the systemd watchdog and SIGHUP reloads, run as one service group. On SIGTERM they stop in
/// reverse order: systemd hears STOPPING=1, the front end finishes the requests in flight and
/// closes, the router lets go of its queue, the pool drains and stops the workers.
public struct SupervisorDaemon: Sendable {
    public let config: SupervisorConfig
    /// Where the configuration came from (nil: defaults and overrides only), for reloads.
    public let configPath: String?
    public let overrides: [String]
    public let workerBinary: String
    public let logger: Logger

    public init(config: SupervisorConfig, configPath: String?, overrides: [String], workerBinary: String, logger: Logger) {
        self.config = config
        self.configPath = configPath
        self.overrides = overrides
        self.workerBinary = workerBinary
        self.logger = logger
    }

    /// Builds the front end over the pool and router; it calls the closure it is given once it
    /// listens (with the port), and READY=1 waits for that.
    public typealias FrontEnd = @Sendable (WorkerPool, RequestRouter, @escaping @Sendable (Int) async -> Void) throws
        -> any Service

    public func run(routerObserver: (any RouterObserver)? = nil, frontEnd: FrontEnd? = nil) async throws {
        // Before any worker socket is made there: nobody else may be able to swap them.
        try TrustedDirectory.prepare(config.runtimeDir, key: "runtime_dir")
        let notifier = SystemdNotifier()
        let pool = WorkerPool(config: config, workerBinary: workerBinary,
                              environment: ProcessInfo.processInfo.environment, notifier: notifier, logger: logger,
                              waitForListener: frontEnd != nil)
        let router = RequestRouter(pool: pool, settings: .init(queue: config.limits.queue,
                                                               slotsPerWorker: config.model.slots),
                                   observer: routerObserver, logger: logger)
        let reload: @Sendable () async -> ControlResponse = { [configPath, overrides, logger] in
            notifier.notify(.reloading)
            logger.notice("reloading the configuration", metadata: ["event": "reload_requested"])
            do throws(ConfigError) {
                let new = configPath != nil
                    ? try SupervisorConfig.load(path: configPath!, overrides: overrides)
                    : try SupervisorConfig.parse("", source: "<defaults>", overrides: overrides)
                // The new runtime_dir (perhaps another directory) must be as private as the first one.
                do throws(UnsafeDirectoryError) {
                    try TrustedDirectory.prepare(new.runtimeDir, key: "runtime_dir")
                } catch {
                    logger.error("reload refused, keeping the running configuration: \(error)",
                                 metadata: ["event": "reload_failed"])
                    notifier.notify(.ready, .status("reload refused: \(error)"))
                    return .failure("reload refused, keeping the running configuration: \(error)")
                }
                pool.reload(new)
                notifier.notify(.ready)
                return ControlResponse(ok: true, message: "configuration reloaded; changed workers restart one at a time")
            } catch {
                logger.error("reload failed, keeping the running configuration: \(error)",
                             metadata: ["event": "reload_failed"])
                notifier.notify(.ready, .status("reload failed: \(error)"))
                return .failure("reload failed, keeping the running configuration: \(error)")
            }
        }
        let control = try ControlServer(path: config.controlSocket, group: config.controlGroup, pool: pool,
                                        logger: logger, reload: reload)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: control),
            .init(service: ReloadOnHangup(reload: reload)),
        ]
        if let interval = notifier.watchdogInterval {
            services.append(.init(service: SystemdWatchdog(notifier: notifier, interval: interval, pool: pool, logger: logger)))
        }
        // Shut down in reverse: the front end first (in-flight requests finish), then the router,
        // then the pool drains its workers, while the control socket still answers.
        services.append(.init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup))
        services.append(.init(service: router))
        if let frontEnd {
            let http = try frontEnd(pool, router) { _ in pool.listenerIsUp() }
            services.append(.init(service: http))
        }
        services.append(.init(service: StoppingNotice(notifier: notifier, drainTimeout: config.restart.drainTimeout, logger: logger)))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        logger.notice("vkserved \(ProductVersion.string) starting", metadata: [
            "event": "start", "config": "\(configPath ?? "<defaults>")", "model": "\(config.model.path)",
            "workers": "vulkan=\(config.workers.vulkan) cpu=\(config.workers.cpu)",
        ])
        try await group.run()
        logger.notice("vkserved stopped", metadata: ["event": "stopped"])
    }
}
