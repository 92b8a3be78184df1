import Logging
import Synchronization

/// A degraded slot's probes are expected to fail (on a host without a usable GPU, every probe does), so until
/// one of them becomes ready their own log lines (the worker's "engine failure", the supervisor's "worker fault"
/// and "worker exited") go out at debug: the pool reports each probe's outcome itself, at warning when it is
/// news. One per degraded episode, shared by the episode's probes; lifted when the Vulkan path works again.
final class ProbeQuieting: Sendable {
    private let quiet = Atomic<Bool>(true)

    /// Whether probe log lines are still lowered to debug.
    var isQuiet: Bool { quiet.load(ordering: .relaxed) }

    /// A probe became ready: its lines keep their own levels from now on.
    func lift() { quiet.store(false, ordering: .relaxed) }

    /// `logger` with the same label, metadata and level, whose lines go out at debug while this is quiet.
    func logger(wrapping logger: Logger) -> Logger {
        Logger(label: logger.label) { _ in QuietedLogHandler(inner: logger.handler, quieting: self) }
    }
}

/// Forwards to another handler, at debug while its `ProbeQuieting` is quiet.
struct QuietedLogHandler: LogHandler {
    var inner: any LogHandler
    let quieting: ProbeQuieting

    func log(event: LogEvent) {
        var event = event
        if event.level > .debug, quieting.isQuiet {
            // The Logger checked the original level against ours; the lowered one must pass the check too.
            guard inner.logLevel <= .debug else { return }
            event.level = .debug
        }
        inner.log(event: event)
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }
}
