import ControlProtocol
import Foundation
import Logging
import ServiceLifecycle
import Systemd
import WorkerProtocol

/// The pool of workers and the policy that keeps it serving: restarts with backoff, `fatal`,
/// scheduled rolling restarts, CPU failover and fail-back, and what systemd is told about it.
///
/// One event loop (`run`) owns every slot; worker incarnations run as child tasks of it and
/// report back through the same event stream, so there is exactly one writer of pool state.
public final class WorkerPool: Service, @unchecked Sendable {
    enum Event: Sendable {
        case state(slot: String, incarnation: UInt64, SupervisedState)
        case ended(slot: String, incarnation: UInt64, InstanceOutcome)
        case command(PoolCommand)
        case reload(SupervisorConfig)
        case listening
        case tick
        case shutdown
    }

    private let logger: Logger
    private let notifier: SystemdNotifier
    private let workerBinary: String
    private let environment: [String: String]
    private let events: AsyncStream<Event>
    private let inbox: AsyncStream<Event>.Continuation
    private let clock = ContinuousClock()
    private let started = ContinuousClock.now

    private let lock = NSLock()
    private var published: PoolStatus
    private var lastLoopTurn = ContinuousClock.now
    private var instancesByName: [String: WorkerInstance] = [:]
    private var changeObservers: [@Sendable () -> Void] = []

    // Owned by the event loop.
    private var config: SupervisorConfig
    private var slots: [Slot] = []
    private var retiring: [(slot: String, instance: WorkerInstance)] = []
    private var rolling: RollingRestart?
    private var rollingQueue: [RollingRestart] = []
    private var incarnations: UInt64 = 0
    private var shuttingDown = false
    private var toldReady = false
    /// When start-up next asks systemd for more time (EXTEND_TIMEOUT_USEC) while a model loads.
    private var nextStartExtension: ContinuousClock.Instant?
    /// READY=1 waits for this too: the HTTP listener is up (true when there is none to wait for).
    private var listenerUp: Bool
    private var lastStatusLine = ""
    private var transitions: [String: Int] = [:]
    private var exits: [String: Int] = [:]

    /// - Parameters:
    ///   - workerBinary: the `vkserve-worker` executable.
    ///   - environment: the workers' environment (systemd's variables are removed from it).
    ///   - waitForListener: tell systemd READY=1 only after ``listenerIsUp()`` as well.
    public init(config: SupervisorConfig, workerBinary: String, environment: [String: String], notifier: SystemdNotifier,
                logger: Logger, waitForListener: Bool = false) {
        listenerUp = !waitForListener
        self.config = config
        self.workerBinary = workerBinary
        self.environment = SystemdNotifier.childEnvironment(environment)
        self.notifier = notifier
        self.logger = logger
        (events, inbox) = AsyncStream.makeStream(of: Event.self)
        published = PoolStatus(rows: [], degraded: false, degradedReason: nil, summary: "starting", pid: getpid(),
                               version: ProductVersion.string, uptimeS: 0, transitions: [:], exits: [:])
        slots = desiredSlots(for: config)
    }

    // MARK: API for other components (any thread)

    /// The latest status, as of the event loop's last turn.
    public var status: PoolStatus {
        lock.lock()
        defer { lock.unlock() }
        var s = published
        s.uptimeS = (clock.now - started).seconds
        return s
    }

    /// How long ago the event loop last turned; the watchdog pings only while this stays small.
    public var loopLag: Duration {
        lock.lock()
        defer { lock.unlock() }
        return clock.now - lastLoopTurn
    }

    /// Incarnations that can take a request now, least loaded first.
    public var servingInstances: [WorkerInstance] {
        lock.lock()
        let all = Array(instancesByName.values)
        lock.unlock()
        return all.map { ($0, $0.snapshot) }.filter { $0.1.state.isRunning }
            .sorted { $0.1.pending < $1.1.pending }.map { $0.0 }
    }

    /// The running incarnation in slot `name`, if any.
    public func instance(named name: String) -> WorkerInstance? {
        lock.lock()
        defer { lock.unlock() }
        return instancesByName[name]
    }

    public func perform(_ command: PoolCommand) { inbox.yield(.command(command)) }

    /// Runs `body` (on the pool's loop) whenever a worker's state changes: the router dispatches queued requests
    /// the moment a worker becomes ready, rather than on its next tick.
    public func onChange(_ body: @escaping @Sendable () -> Void) {
        lock.withLock { changeObservers.append(body) }
    }

    /// The HTTP listener is bound: READY=1 may go out once a worker is ready.
    public func listenerIsUp() { inbox.yield(.listening) }

    /// Applies a new configuration: slots added or removed, and a rolling restart of every
    /// worker whose command line or environment changed.
    public func reload(_ config: SupervisorConfig) { inbox.yield(.reload(config)) }

    // MARK: the event loop

    public func run() async throws {
        let inbox = self.inbox
        try? FileManager.default.createDirectory(atPath: config.runtimeDir, withIntermediateDirectories: true)
        logger.info("starting \(slots.count) workers", metadata: ["event": "pool_start"])
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    inbox.yield(.tick)
                }
            }
            for i in slots.indices { start(&slots[i], group: &group) }
            publish()
            await withGracefulShutdownHandler {
                for await event in events {
                    handle(event, group: &group)
                    publish()
                    if shuttingDown && everythingEnded { break }
                }
            } onGracefulShutdown: {
                inbox.yield(.shutdown)
            }
            group.cancelAll()
        }
        logger.info("all workers stopped", metadata: ["event": "pool_stopped"])
    }

    private var everythingEnded: Bool {
        retiring.isEmpty && slots.allSatisfy { $0.current == nil && $0.next == nil }
    }

    private func handle(_ event: Event, group: inout DiscardingTaskGroup) {
        let now = clock.now
        switch event {
        case .tick:
            guard !shuttingDown else { return }
            for i in slots.indices {
                if slots[i].wanted, slots[i].current == nil, let at = slots[i].retryAt, at <= now {
                    slots[i].retryAt = nil
                    start(&slots[i], group: &group)
                }
            }
            scheduleRestarts(now: now)
            advanceRolling(group: &group)
            extendStartWhileLoading(now: now)
        case .state(let name, let incarnation, let state):
            transitions[state.rawValue, default: 0] += 1
            guard state == .ready, let i = index(of: name) else { return }
            becameReady(slotIndex: i, incarnation: incarnation, now: now)
        case .ended(let name, let incarnation, let outcome):
            exits[outcome.reason.rawValue, default: 0] += 1
            ended(slot: name, incarnation: incarnation, outcome: outcome, now: now, group: &group)
            advanceRolling(group: &group)
        case .command(let command):
            perform(command, now: now, group: &group)
        case .reload(let new):
            apply(new, group: &group)
        case .listening:
            listenerUp = true
            tellReadyIfServing()
        case .shutdown:
            shuttingDown = true
            // The drain may outlast the unit's TimeoutStopSec: ask for the drain timeout and a margin.
            notifier.notify(.status("stopping: draining \(slots.count) workers"),
                            .extendTimeout(config.restart.drainTimeout + .seconds(15)))
            logger.notice("shutting down: draining workers", metadata: ["event": "shutdown"])
            rolling = nil
            rollingQueue.removeAll()
            for i in slots.indices {
                slots[i].wanted = false
                slots[i].retryAt = nil
                slots[i].current?.stop(grace: config.restart.drainTimeout)
                slots[i].next?.stop(grace: .zero)
            }
            // Workers retiring after a make-before-break restart were given until their requests' deadlines:
            // a shutdown gives them the drain like the others (a worker keeps the earlier of two deadlines).
            for r in retiring { r.instance.stop(grace: config.restart.drainTimeout) }
        }
    }

    // MARK: starting and ending

    private func start(_ slot: inout Slot, group: inout DiscardingTaskGroup) {
        guard slot.wanted, !shuttingDown else { return }
        let instance = makeInstance(for: slot)
        slot.current = instance
        run(instance, slot: slot.name, group: &group)
    }

    private func makeInstance(for slot: Slot) -> WorkerInstance {
        incarnations += 1
        var launch = slot.launch
        launch.socketPath = "\(config.runtimeDir)/\(slot.name).\(incarnations).sock"
        let inbox = self.inbox
        let name = slot.name
        // A failover probe is expected to fail: its lines are quieted until it is ready (see ProbeQuieting).
        let logger = slot.probeQuieting?.logger(wrapping: logger) ?? logger
        return WorkerInstance(name: slot.name, incarnation: incarnations, launch: launch, health: config.health,
                              logger: logger) { instance, state in
            inbox.yield(.state(slot: name, incarnation: instance.incarnation, state))
        }
    }

    private func run(_ instance: WorkerInstance, slot name: String, group: inout DiscardingTaskGroup) {
        let inbox = self.inbox
        group.addTask {
            let outcome = await instance.run()
            try? FileManager.default.removeItem(atPath: instance.launch.socketPath)
            inbox.yield(.ended(slot: name, incarnation: instance.incarnation, outcome))
        }
    }

    private func becameReady(slotIndex i: Int, incarnation: UInt64, now: ContinuousClock.Instant) {
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
        slots[i].nextScheduledRestart = scheduledRestartTime(after: now)
        if slots[i].degradedBy != nil { failBack(slotIndex: i) }
        tellReadyIfServing()
    }

    /// Before READY=1, while a worker is still starting or loading its model, keeps asking systemd for
    /// 20 s more every 5 s, so a unit's TimeoutStartSec need not cover the slowest model load; a worker
    /// in backoff or fatal makes no progress and gets no extension.
    private func extendStartWhileLoading(now: ContinuousClock.Instant) {
        guard !toldReady, !shuttingDown,
              slots.contains(where: { $0.state == .starting || $0.state == .loading }) else { return }
        if let next = nextStartExtension, now < next { return }
        nextStartExtension = now + .seconds(5)
        notifier.notify(.extendTimeout(.seconds(20)))
    }

    private func tellReadyIfServing() {
        guard !toldReady, listenerUp, slots.contains(where: { $0.state.isRunning }) else { return }
        toldReady = true
        notifier.notify(.ready)
        logger.notice("ready: a worker can serve", metadata: ["event": "supervisor_ready"])
    }

    private func ended(slot name: String, incarnation: UInt64, outcome: InstanceOutcome, now: ContinuousClock.Instant,
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
        if rolling?.slot == name && rolling?.mode == .drainFirst { finishRolling(ok: true) }
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
    private func failed(slotIndex i: Int, outcome: InstanceOutcome, now: ContinuousClock.Instant) {
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

    // MARK: CPU failover

    private func degrade(slotIndex i: Int, because outcome: InstanceOutcome, now: ContinuousClock.Instant) {
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
                                launch: launch(backend: .cpu), policy: restartPolicy())
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

    private func failBack(slotIndex i: Int) {
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

    private func removeRetiredFallbacks() {
        slots.removeAll { slot in
            guard case .fallback = slot.role else { return false }
            return !slot.wanted && slot.current == nil && slot.next == nil
        }
    }

    // MARK: rolling restarts

    private func scheduledRestartTime(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let every = config.restart.every
        guard every > .zero else { return nil }
        let jitter = config.restart.jitter.seconds
        let offset = jitter > 0 ? Double.random(in: -jitter ... jitter) : 0
        return now + every + .milliseconds(Int64(offset * 1000))
    }

    private func scheduleRestarts(now: ContinuousClock.Instant) {
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
    private func mode(for slot: Slot) -> RollingRestart.Mode {
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
    private func advanceRolling(group: inout DiscardingTaskGroup) {
        guard rolling == nil, !shuttingDown else { return }
        while !rollingQueue.isEmpty {
            let r = rollingQueue.removeFirst()
            guard let i = index(of: r.slot), let current = slots[i].current, slots[i].state.isRunning else { continue }
            rolling = r
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

    private func finishRolling(ok: Bool) {
        guard let r = rolling else { return }
        rolling = nil
        logger.notice("rolling restart of \(r.slot) \(ok ? "done" : "abandoned")", metadata: [
            "event": ok ? "rolling_done" : "rolling_abandoned", "worker": "\(r.slot)",
        ])
    }

    // MARK: operator commands and reload

    private func perform(_ command: PoolCommand, now: ContinuousClock.Instant, group: inout DiscardingTaskGroup) {
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

    private func queueRolling(_ r: RollingRestart, evenIfRunning: Bool = false) {
        guard !rollingQueue.contains(where: { $0.slot == r.slot }) else { return }
        if evenIfRunning || rolling?.slot != r.slot { rollingQueue.append(r) }
    }

    private func apply(_ new: SupervisorConfig, group: inout DiscardingTaskGroup) {
        let old = config
        config = new
        let wanted = desiredSlots(for: new)
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
            slots[i].policy = restartPolicy()
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
            if case .fallback = slots[i].role { slots[i].launch = launch(backend: .cpu) }
            if old.restart.every != new.restart.every || old.restart.jitter != new.restart.jitter {
                slots[i].nextScheduledRestart = slots[i].state.isRunning ? scheduledRestartTime(after: now) : nil
            }
        }
        logger.notice("configuration reloaded; \(changed.isEmpty ? "no worker changes" : changed.joined(separator: " "))",
                      metadata: ["event": "reload"])
        advanceRolling(group: &group)
    }

    // MARK: building slots

    private func desiredSlots(for config: SupervisorConfig) -> [Slot] {
        let vulkan = (0 ..< config.workers.vulkan).map {
            Slot(name: "vulkan-\($0)", role: .primary, launch: launch(backend: .vulkan, config: config),
                 policy: restartPolicy(config))
        }
        let cpu = (0 ..< config.workers.cpu).map {
            Slot(name: "cpu-\($0)", role: .primary, launch: launch(backend: .cpu, config: config),
                 policy: restartPolicy(config))
        }
        return vulkan + cpu
    }

    private func launch(backend: WorkerLaunch.Backend, config: SupervisorConfig? = nil) -> WorkerLaunch {
        let c = config ?? self.config
        var arguments = [
            "--model", c.model.path, "--backend", backend.rawValue,
            "--slots", "\(c.model.slots)", "--context", "\(c.model.context)",
            "--threads", "\(c.workers.threads)", "--batch-tokens", "\(c.model.batchTokens)",
            "--prefill-chunk", "\(c.model.prefillChunk)",
            "--step-tokens", "\(c.model.stepTokens)",
            "--step-target-ms", "\(c.model.stepTarget.seconds * 1000)",
            "--heartbeat-interval", "\(c.health.heartbeatInterval.seconds)",
            "--shutdown-grace", "\(c.restart.drainTimeout.seconds)",
        ]
        if !c.model.prefixCache { arguments.append("--no-prefix-cache") }
        if let template = c.model.chatTemplate { arguments += ["--chat-template", template] }
        if backend == .vulkan, let device = c.workers.device { arguments += ["--device", "\(device)"] }
        if backend == .vulkan, !c.workers.softwareVulkan { arguments.append("--hardware-only") }
        return WorkerLaunch(backend: backend, executable: workerBinary, socketPath: "", arguments: arguments,
                            environment: environment)
    }

    private func restartPolicy(_ config: SupervisorConfig? = nil) -> RestartPolicy {
        let r = (config ?? self.config).restart
        return RestartPolicy(initial: r.backoffInitial, maximum: r.backoffMax, fatalAfter: r.fatalAfter,
                             fatalRetry: r.fatalRetry, stableAfter: r.stableAfter)
    }

    private func index(of name: String) -> Int? { slots.firstIndex { $0.name == name } }

    // MARK: publishing

    /// Refreshes the status others read, and systemd's STATUS= line when it changed.
    private func publish() {
        let now = clock.now
        var rows: [PoolStatus.Row] = []
        var serving: [String: WorkerInstance] = [:]
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

    private func statusLine(rows: [PoolStatus.Row], degradedReason: String?) -> String {
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
