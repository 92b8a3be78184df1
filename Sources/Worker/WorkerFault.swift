#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Test-only faults of the worker process itself, from `VKSERVE_WORKER_FAULT` or an
/// `inject_fault` message (never use either in production). Device faults (no device, out of
/// device memory at load, device lost at step N) come from `VKSERVE_INJECT_FAULT`, which the
/// Vulkan engine reads where the real failures arise.
/// - `crash@N`: the process aborts at forward step N;
/// - `hang@N`: the compute thread stops at step N while heartbeats go on (a hung worker);
/// - `silent@N`: heartbeats stop from step N while work goes on (a worker that looks dead).
/// Step 0 is the warm-up: `crash@0` crashes before `ready` (a crash loop), `hang@0` never gets
/// ready (the supervisor's `start_timeout`).
public struct WorkerFault: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case crash, hang, silent
    }

    public var kind: Kind
    public var atStep: UInt64

    public static let variable = "VKSERVE_WORKER_FAULT"

    public init(kind: Kind, atStep: UInt64) {
        self.kind = kind
        self.atStep = atStep
    }

    /// Parses `kind[@step]`; nil when the text names no fault.
    public init?(_ text: String) {
        let parts = text.split(separator: "@", maxSplits: 1)
        guard let first = parts.first, let kind = Kind(rawValue: String(first)) else { return nil }
        var step: UInt64 = 0
        if parts.count == 2 {
            guard let n = UInt64(parts[1]) else { return nil }
            step = n
        }
        self.init(kind: kind, atStep: step)
    }

    /// Applies a `crash@0` or `hang@0` from the environment once the warm-up token is computed.
    static func injectAtWarmUp(logger: Logger) {
        guard let f = fromEnvironment, f.atStep == 0 else { return }
        switch f.kind {
        case .crash:
            logger.critical("injected fault: crashing at the warm-up")
            abort()
        case .hang:
            logger.warning("injected fault: hanging at the warm-up")
            while true { sleep(3600) }
        case .silent:
            break
        }
    }

    /// The fault configured in the environment, if any.
    public static var fromEnvironment: WorkerFault? {
        guard let raw = getenv(variable) else { return nil }
        return WorkerFault(String(cString: raw))
    }
}
