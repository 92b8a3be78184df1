import ControlProtocol
import Foundation
import Logging
import Systemd
import WorkerProtocol

/// CPU failover and fail-back: a Vulkan slot whose device fails gets a CPU stand-in, and its probes bring it back.
extension WorkerPool {
    // MARK: CPU failover

    func degrade(slotIndex i: Int, because outcome: InstanceOutcome, now: ContinuousClock.Instant) {
        let name = slots[i].name
        let delay = min(config.failover.probeInitial * (1 << min(slots[i].probes, 20)), config.failover.probeMax)
        slots[i].probes += 1
        slots[i].idleState = .backoff
        slots[i].retryAt = now + delay
        guard slots[i].degradedBy == nil else {
            // Routine while the GPU stays unusable: quiet unless it fails in a new way. Degraded stays visible in
            // status, /ready and the metrics.
            let level = ProbeFailureLog.level(for: outcome.reason, previous: slots[i].lastFailure)
            slots[i].lastFailure = outcome.reason
            let message = "the Vulkan path \(level == .debug ? "still fails" : "now fails differently") "
                + "(\(outcome.summary)); probing again in \(DurationText.format(delay))"
            logger.log(level: level, "\(message)", metadata: [
                "event": "probe_failed", "worker": "\(name)", "reason": "\(outcome.reason.rawValue)",
            ])
            return
        }
        slots[i].degradedBy = outcome.reason.rawValue.replacingOccurrences(of: "_", with: " ")
        slots[i].lastFailure = outcome.reason
        slots[i].probeQuieting = ProbeQuieting()
        let fallbackName = "cpu-fallback-\(name.split(separator: "-").last ?? "0")"
        if index(of: fallbackName) == nil {
            var fallback = Slot(name: fallbackName, role: .fallback(for: name),
                                launch: plan.launch(.cpu), policy: plan.restartPolicy)
            fallback.retryAt = now
            fallback.idleState = .stopped
            slots.append(fallback)
        }
        let message = "degraded: \(fallbackName) (CPU) replaces \(name): \(outcome.summary); "
            + "probing the Vulkan path again in \(DurationText.format(delay))"
        logger.warning("\(message)", metadata: [
                "event": "degraded", "worker": "\(name)", "reason": "\(outcome.reason.rawValue)",
                "message_id": "\(MessageIDs.degraded)",
            ])
    }

    func failBack(slotIndex i: Int) {
        let name = slots[i].name
        slots[i].degradedBy = nil
        slots[i].probes = 0
        slots[i].lastFailure = nil
        slots[i].probeQuieting?.lift()
        slots[i].probeQuieting = nil
        for j in slots.indices where slots[j].role == .fallback(for: name) {
            slots[j].wanted = false
            slots[j].retryAt = nil
            slots[j].current?.stop(grace: config.restart.drainTimeout)
        }
        removeRetiredFallbacks()
        logger.notice("recovered: \(name) serves on Vulkan again; its CPU stand-in drains and stops", metadata: [
            "event": "recovered", "worker": "\(name)", "message_id": "\(MessageIDs.recovered)",
        ])
    }

    func removeRetiredFallbacks() {
        slots.removeAll { slot in
            guard case .fallback = slot.role else { return false }
            return !slot.wanted && slot.current == nil && slot.next == nil
        }
    }
}
