import ControlProtocol
import Foundation
import Logging
import Systemd
import WorkerProtocol

/// Rolling restarts (scheduled, operator, reload), one worker at a time, and the operator's commands and reloads
/// that queue them.
extension WorkerPool {
    // MARK: rolling restarts

    func scheduledRestartTime(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let every = config.restart.every
        guard every > .zero else { return nil }
        let jitter = config.restart.jitter.seconds
        let offset = jitter > 0 ? Double.random(in: -jitter ... jitter) : 0
        return now + every + .milliseconds(Int64(offset * 1000))
    }

    func scheduleRestarts(now: ContinuousClock.Instant) {
        for i in slots.indices {
            guard let at = slots[i].nextScheduledRestart, at <= now, slots[i].state.isRunning else { continue }
            slots[i].nextScheduledRestart = nil
            let name = slots[i].name
            if rolling?.slot != name && !rollingQueue.contains(where: { $0.slot == name }) {
                rollingQueue.append(RollingRestart(slot: name, mode: mode(for: slots[i]), why: "scheduled"))
            }
        }
    }

    /// Make before break when the device (or RAM) has room for a second copy.
    func mode(for slot: Slot) -> RollingRestart.Mode {
        guard config.restart.makeBeforeBreak, let beat = slot.current?.snapshot.lastHeartbeat else { return .drainFirst }
        let m = beat.memory
        if slot.launch.backend == .vulkan {
            guard let used = m.vramUsed, let budget = m.vramBudget, budget > used else { return .drainFirst }
            return Double(budget - used) >= Double(used) * 1.1 ? .makeBeforeBreak : .drainFirst
        }
        guard let rss = m.rss, let available = HostMemory.availableBytes() else { return .drainFirst }
        return Double(available) >= Double(rss) * 1.5 ? .makeBeforeBreak : .drainFirst
    }

    /// Starts the next queued rolling restart when none is running: one worker at a time.
    func advanceRolling(group: inout DiscardingTaskGroup) {
        guard rolling == nil, !shuttingDown else { return }
        while !rollingQueue.isEmpty {
            let r = rollingQueue.removeFirst()
            guard let i = index(of: r.slot), let current = slots[i].current, slots[i].state.isRunning else { continue }
            rolling = r
            rolling?.replacing = current.incarnation
            logger.notice("rolling restart of \(r.slot) (\(r.why), \(r.mode.rawValue))", metadata: [
                "event": "rolling_start", "worker": "\(r.slot)", "reason": "\(r.why)", "mode": "\(r.mode.rawValue)",
            ])
            switch r.mode {
            case .makeBeforeBreak:
                let next = makeInstance(for: slots[i])
                slots[i].next = next
                run(next, slot: r.slot, group: &group)
            case .drainFirst:
                current.stop(grace: config.restart.drainTimeout)
            }
            return
        }
    }

    func finishRolling(ok: Bool) {
        guard let r = rolling else { return }
        rolling = nil
        logger.notice("rolling restart of \(r.slot) \(ok ? "done" : "abandoned")", metadata: [
            "event": ok ? "rolling_done" : "rolling_abandoned", "worker": "\(r.slot)",
        ])
    }

    // MARK: operator commands and reload

    func perform(_ command: PoolCommand, now: ContinuousClock.Instant, group: inout DiscardingTaskGroup) {
        switch command {
        case .start(let names):
            for i in slots.indices where names.contains(slots[i].name) {
                slots[i].wanted = true
                slots[i].policy.reset()
                if slots[i].current == nil { slots[i].retryAt = now }
            }
        case .stop(let names):
            for i in slots.indices where names.contains(slots[i].name) {
                slots[i].wanted = false
                slots[i].retryAt = nil
                slots[i].current?.stop(grace: config.restart.drainTimeout)
                slots[i].next?.stop(grace: .zero)
            }
        case .restart(let names):
            for i in slots.indices where names.contains(slots[i].name) {
                slots[i].wanted = true
                if slots[i].state.isRunning {
                    queueRolling(RollingRestart(slot: slots[i].name, mode: mode(for: slots[i]), why: "operator"))
                } else if slots[i].current == nil {
                    slots[i].policy.reset()
                    slots[i].retryAt = now
                } else {
                    slots[i].current?.stop(grace: config.restart.drainTimeout)
                }
            }
        case .drain(let names):
            for i in slots.indices where names.contains(slots[i].name) { slots[i].current?.drain() }
        }
        advanceRolling(group: &group)
    }

    func queueRolling(_ r: RollingRestart, evenIfRunning: Bool = false) {
        guard !rollingQueue.contains(where: { $0.slot == r.slot }) else { return }
        if evenIfRunning || rolling?.slot != r.slot { rollingQueue.append(r) }
    }

    func apply(_ new: SupervisorConfig, group: inout DiscardingTaskGroup) {
        let old = config
        config = new
        let wanted = plan.slots
        var changed: [String] = []
        for slot in wanted where index(of: slot.name) == nil {
            slots.append(slot)
            changed.append("+\(slot.name)")
        }
        for i in slots.indices where slots[i].role == .primary {
            guard let target = wanted.first(where: { $0.name == slots[i].name }) else {
                slots[i].wanted = false
                slots[i].current?.stop(grace: new.restart.drainTimeout)
                changed.append("-\(slots[i].name)")
                continue
            }
            slots[i].policy = plan.restartPolicy
            if target.launch != slots[i].launch || old.health != new.health {
                slots[i].launch = target.launch
                // A restart already under way started its replacement with the old command line: queue another.
                queueRolling(RollingRestart(slot: slots[i].name, mode: mode(for: slots[i]), why: "reload"),
                             evenIfRunning: true)
                changed.append("~\(slots[i].name)")
            }
        }
        let now = clock.now
        for i in slots.indices {
            if case .fallback = slots[i].role { slots[i].launch = plan.launch(.cpu) }
            if old.restart.every != new.restart.every || old.restart.jitter != new.restart.jitter {
                slots[i].nextScheduledRestart = slots[i].state.isRunning ? scheduledRestartTime(after: now) : nil
            }
        }
        logger.notice("configuration reloaded; \(changed.isEmpty ? "no worker changes" : changed.joined(separator: " "))",
                      metadata: ["event": "reload"])
        advanceRolling(group: &group)
    }
}
