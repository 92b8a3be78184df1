import ControlProtocol
import Logging
import ServiceLifecycle
import Systemd

/// Pings systemd's watchdog at half of `WATCHDOG_USEC`, but only while the pool's event loop
/// keeps turning: a wedged supervisor stops pinging and systemd restarts it.
struct SystemdWatchdog: Service {
    let notifier: SystemdNotifier
    let interval: Duration
    let pool: WorkerPool
    let logger: Logger

    func run() async throws {
        let period = interval / 2
        var withheld = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let lag = pool.loopLag
            if lag < period {
                notifier.notify(.watchdog)
                if withheld {
                    withheld = false
                    logger.notice("event loop turning again; watchdog pings resumed", metadata: ["event": "watchdog_resumed"])
                }
            } else if !withheld {
                withheld = true
                logger.critical("event loop stalled for \(DurationText.format(lag)); withholding the watchdog ping",
                                metadata: ["event": "watchdog_withheld"])
            }
            // Ends at once on SIGTERM: a stop must not wait out the period.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: period) }
        }
    }
}
