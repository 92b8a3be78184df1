import ControlProtocol
import Logging
import ServiceLifecycle
import Systemd
import UnixSignals

/// SIGHUP: tell systemd we are reloading, re-read the configuration, apply it to the pool by
/// rolling restart, tell systemd we are ready again. A bad file leaves everything as it was.
struct ReloadOnHangup: Service {
    let reload: @Sendable () async -> ControlResponse

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            _ = await reload()
        }
    }
}
