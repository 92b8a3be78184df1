import Logging
@testable import Supervisor
import Synchronization
import Testing

/// Failover probes on a host where the Vulkan path keeps failing: quiet after the first report, loud again
/// when something changes.
@Suite("Failover probe logging")
struct ProbeLoggingTests {
    @Test("a probe failing like the last failure is debug; a new way of failing is a warning")
    func probeFailureLevel() {
        #expect(ProbeFailureLog.level(for: .noDevice, previous: .noDevice) == .debug)
        #expect(ProbeFailureLog.level(for: .badModel, previous: .noDevice) == .warning)
        #expect(ProbeFailureLog.level(for: .noDevice, previous: nil) == .warning)
    }

    @Test("a quieted probe logs at debug, dropped when debug is off, and at its own levels once lifted")
    func quietedHandler() {
        let sink = CapturingLogHandler.Sink()
        var base = Logger(label: "test") { _ in CapturingLogHandler(sink: sink) }
        base.logLevel = .debug
        base[metadataKey: "worker"] = "vulkan-0"
        let quieting = ProbeQuieting()
        let probe = quieting.logger(wrapping: base)
        probe.critical("engine failure")
        probe.error("worker exited: no device")
        #expect(sink.events.map(\.level) == [.debug, .debug])
        #expect(sink.events.first?.metadata["worker"] == "vulkan-0")

        // At info, the lowered lines are not written at all.
        var infoOnly = base
        infoOnly.logLevel = .info
        let quietAtInfo = quieting.logger(wrapping: infoOnly)
        quietAtInfo.error("worker exited: no device")
        #expect(sink.events.count == 2)

        quieting.lift()
        probe.error("worker exited: hang")
        quietAtInfo.notice("ready")
        #expect(sink.events.map(\.level) == [.debug, .debug, .error, .notice])
    }
}

/// Records what is logged through it.
private struct CapturingLogHandler: LogHandler {
    final class Sink: Sendable {
        private let stored = Mutex<[(level: Logger.Level, metadata: Logger.Metadata)]>([])
        var events: [(level: Logger.Level, metadata: Logger.Metadata)] { stored.withLock { $0 } }
        func append(_ level: Logger.Level, _ metadata: Logger.Metadata) {
            stored.withLock { $0.append((level, metadata)) }
        }
    }

    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    func log(event: LogEvent) {
        sink.append(event.level, metadata.merging(event.metadata ?? [:]) { $1 })
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
