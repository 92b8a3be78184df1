import Logging
import ServiceLifecycle
import Systemd

/// The first service to hear of a graceful shutdown (it is last in the group): tells systemd
/// STOPPING=1 before the HTTP server, the router and the pool wind down, in that order.
struct StoppingNotice: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        notifier.notify(.stopping, .status("stopping: finishing requests in flight, then draining workers"))
        logger.notice("stopping: finishing requests in flight, then draining workers", metadata: ["event": "stopping"])
    }
}
