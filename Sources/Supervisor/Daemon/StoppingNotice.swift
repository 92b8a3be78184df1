import Logging
import ServiceLifecycle
import Systemd

/// The first service to hear of a graceful shutdown (it is last in the group): tells systemd
/// STOPPING=1 before the HTTP server, the router and the pool wind down, in that order, and asks for the time
/// the HTTP drain may take (`drainTimeout`, after which requests still running end as errors) and a margin; the
/// pool asks again for its own drain when it starts it. So a unit's TimeoutStopSec never cuts a request that
/// was promised its drain.
struct StoppingNotice: Service {
    let notifier: SystemdNotifier
    let drainTimeout: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        notifier.notify(.stopping, .status("stopping: finishing requests in flight, then draining workers"),
                        .extendTimeout(drainTimeout + .seconds(15)))
        logger.notice("stopping: finishing requests in flight, then draining workers", metadata: ["event": "stopping"])
    }
}
