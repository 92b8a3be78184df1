import ControlProtocol
import Foundation
import Logging
import Systemd
import WorkerProtocol

/// What others read (status, /ready, metrics) and what systemd is told (READY=1, STATUS=, EXTEND_TIMEOUT_USEC).
extension WorkerPool {
    /// Before READY=1, while a worker is still starting or loading its model, keeps asking systemd for
    /// 20 s more every 5 s, so a unit's TimeoutStartSec need not cover the slowest model load; a worker
    /// in backoff or fatal makes no progress and gets no extension.
    func extendStartWhileLoading(now: ContinuousClock.Instant) {
        guard !toldReady, !shuttingDown,
              slots.contains(where: { $0.state == .starting || $0.state == .loading }) else { return }
        if let next = nextStartExtension, now < next { return }
        nextStartExtension = now + .seconds(5)
        notifier.notify(.extendTimeout(.seconds(20)))
    }

    func tellReadyIfServing() {
        guard !toldReady, listenerUp, slots.contains(where: { $0.state.isRunning }) else { return }
        toldReady = true
        notifier.notify(.ready)
        logger.notice("ready: a worker can serve", metadata: ["event": "supervisor_ready"])
    }

    // MARK: publishing

    /// Refreshes the status others read, and systemd's STATUS= line when it changed.
    func publish() {
        let now = clock.now
        var rows: [PoolStatus.Row] = []
        var serving: [String: any SupervisedWorker] = [:]
        for slot in slots {
            let s = slot.current?.snapshot
            let beat = s?.lastHeartbeat
            let since = s?.readyAt ?? s?.spawnedAt
            var replaces: String?
            if case .fallback(let of) = slot.role { replaces = of }
            var shadow: String?
            if let next = slot.next { shadow = "replacement \(next.snapshot.state.rawValue)" }
            if let old = retiring.first(where: { $0.slot == slot.name }) {
                shadow = "previous \(old.instance.snapshot.state.rawValue)"
            }
            rows.append(PoolStatus.Row(
                name: slot.name, state: slot.state, backend: slot.launch.backend.rawValue, device: s?.device,
                pid: s?.pid, uptimeS: since.map { (now - $0).seconds }, inFlight: beat?.inFlight ?? 0,
                vramUsed: beat?.memory.vramUsed, vramBudget: beat?.memory.vramBudget, rss: beat?.memory.rss,
                restarts: slot.restarts, lastExit: slot.lastExit, replaces: replaces,
                retryInS: slot.current == nil ? slot.retryAt.map { max(0, ($0 - now).seconds) } : nil,
                nextRestartInS: slot.nextScheduledRestart.map { max(0, ($0 - now).seconds) }, shadow: shadow))
            if let current = slot.current { serving[slot.name] = current }
        }
        let degraded = slots.filter { $0.degradedBy != nil }
        let reason = degraded.map { slot -> String in
            let standIn = slots.first { $0.role == .fallback(for: slot.name) }?.name ?? "a CPU worker"
            return "\(standIn) replaces \(slot.name): \(slot.degradedBy ?? "")"
        }.joined(separator: "; ")
        let summary = statusLine(rows: rows, degradedReason: degraded.isEmpty ? nil : reason)
        lock.lock()
        let changed = published.rows.map(\.state) != rows.map(\.state) || published.rows.map(\.pid) != rows.map(\.pid)
        let observers = changed ? changeObservers : []
        published = PoolStatus(rows: rows, degraded: !degraded.isEmpty, degradedReason: degraded.isEmpty ? nil : reason,
                               summary: summary, pid: getpid(), version: ProductVersion.string, uptimeS: (now - started).seconds,
                               transitions: transitions, exits: exits)
        instancesByName = serving
        lastLoopTurn = now
        lock.unlock()
        for observer in observers { observer() }
        if summary != lastStatusLine {
            lastStatusLine = summary
            notifier.notify(.status(summary))
        }
    }

    func statusLine(rows: [PoolStatus.Row], degradedReason: String?) -> String {
        if shuttingDown { return "stopping: draining workers" }
        let ready = rows.filter { $0.state.isRunning }
        if let degradedReason { return "degraded: \(degradedReason)" }
        let devices = Set(ready.compactMap(\.device)).sorted().joined(separator: ", ")
        var line = "\(ready.count)/\(rows.count) workers ready"
        if !devices.isEmpty { line += " on \(devices)" }
        let fatal = rows.filter { $0.state == .fatal }.map(\.name)
        if !fatal.isEmpty { line += "; fatal: \(fatal.joined(separator: ", "))" }
        return line
    }
}
