import ControlProtocol
import Foundation
import Logging
import Systemd
import WorkerProtocol

/// A worker became ready or ended: switch a rolling restart over, restart with backoff, or give up for a while.
extension WorkerPool {
    // MARK: ready and ended

    func becameReady(slotIndex i: Int, incarnation: UInt64, now: ContinuousClock.Instant) {
        if let next = slots[i].next, next.incarnation == incarnation, let old = slots[i].current {
            // Make before break: the replacement serves; the old one drains and goes.
            slots[i].current = next
            slots[i].next = nil
            retiring.append((slots[i].name, old))
            // The replacement already serves, so the old worker may finish every request it holds: each ends by
            // its deadline (request_timeout), and the worker exits as soon as its last one does. Nothing is cut.
            old.stop(grace: max(config.restart.drainTimeout, config.limits.requestTimeout))
            logger.notice("rolling restart: replacement ready, draining the old worker",
                          metadata: ["event": "rolling_switch", "worker": "\(slots[i].name)"])
        }
        guard slots[i].current?.incarnation == incarnation else { return }
        if let r = rolling, r.slot == slots[i].name, r.mode == .drainFirst, r.replacing != incarnation {
            // Drain-first: done once the slot serves again, so the next worker's restart waits for it.
            finishRolling(ok: true)
        }
        slots[i].nextScheduledRestart = scheduledRestartTime(after: now)
        if slots[i].degradedBy != nil { failBack(slotIndex: i) }
        tellReadyIfServing()
    }

    func ended(slot name: String, incarnation: UInt64, outcome: InstanceOutcome, now: ContinuousClock.Instant,
                       group: inout DiscardingTaskGroup) {
        if let r = retiring.firstIndex(where: { $0.instance.incarnation == incarnation }) {
            retiring.remove(at: r)
            if rolling?.slot == name && rolling?.mode == .makeBeforeBreak { finishRolling(ok: true) }
            removeRetiredFallbacks()
            return
        }
        guard let i = index(of: name) else { return }
        if slots[i].next?.incarnation == incarnation {
            slots[i].next = nil
            logger.error("rolling restart: the replacement failed (\(outcome.summary)); the old worker keeps serving",
                         metadata: ["event": "rolling_failed", "worker": "\(name)", "reason": "\(outcome.reason.rawValue)"])
            slots[i].nextScheduledRestart = now + config.restart.backoffMax
            if rolling?.slot == name { finishRolling(ok: false) }
            return
        }
        guard slots[i].current?.incarnation == incarnation else { return }
        slots[i].current = nil
        slots[i].lastExit = outcome.summary
        // A drain-first restart goes on past the old worker's requested exit until the replacement is ready
        // (`becameReady`); it ends here if the slot is not to run again, or a worker of it failed.
        if rolling?.slot == name && rolling?.mode == .drainFirst
            && (outcome.reason != .stopped || shuttingDown || !slots[i].wanted) {
            finishRolling(ok: false)
        }
        if shuttingDown || !slots[i].wanted {
            slots[i].idleState = .stopped
            removeRetiredFallbacks()
            return
        }
        if outcome.reason == .stopped {
            // Asked to stop and restart (operator restart, reload, drain-first rolling restart).
            slots[i].idleState = .exited
            slots[i].policy.reset()
            slots[i].retryAt = now
            return
        }
        slots[i].restarts += 1
        failed(slotIndex: i, outcome: outcome, now: now)
    }

    /// A worker ended without being asked to: fail over, back off, or give up for a while.
    func failed(slotIndex i: Int, outcome: InstanceOutcome, now: ContinuousClock.Instant) {
        let name = slots[i].name
        let decision = slots[i].policy.failed(readyFor: outcome.readyFor)
        let isVulkanPrimary = slots[i].role == .primary && slots[i].launch.backend == .vulkan
        let crashLooping: Bool = if case .fatal = decision { true } else { false }
        if isVulkanPrimary && config.workers.cpuFallback && (outcome.reason.isDeviceFailure || crashLooping
            || slots[i].degradedBy != nil) {
            degrade(slotIndex: i, because: outcome, now: now)
            return
        }
        switch decision {
        case .backoff(let delay):
            slots[i].idleState = .backoff
            slots[i].retryAt = now + delay
            logger.warning("restarting \(name) in \(DurationText.format(delay)) after \(outcome.summary)", metadata: [
                "event": "restart", "worker": "\(name)", "reason": "\(outcome.reason.rawValue)",
                "failures": "\(slots[i].policy.failures)",
            ])
        case .fatal(let retry):
            slots[i].idleState = .fatal
            slots[i].retryAt = now + retry
            let message = "\(name) failed \(slots[i].policy.failures) times in a row (last: \(outcome.summary)); "
                + "retrying every \(DurationText.format(retry))"
            logger.critical("\(message)", metadata: [
                    "event": "fatal", "worker": "\(name)", "reason": "\(outcome.reason.rawValue)",
                    "message_id": "\(MessageIDs.fatal)",
                ])
        }
    }
}
