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
///
/// The parts, one file each: this one (the API, the loop, starting incarnations); `+Restarts` (a worker ready
/// or ended: backoff and fatal); `+Failover` (CPU stand-ins and fail-back); `+Rolling` (rolling restarts,
/// operator commands, reload); `+Status` (published status, systemd notifications); `WorkerLaunchPlan` (slots and
/// command lines from the configuration). The stored state below is internal only so that those extensions
/// reach it: nothing outside the pool's own files touches it, and only the event loop writes it (the
/// lock-guarded part is what other threads read).
public final class WorkerPool: Service, WorkerSource, @unchecked Sendable {
    enum Event: Sendable {
        case state(slot: String, incarnation: UInt64, from: SupervisedState, to: SupervisedState)
        case ended(slot: String, incarnation: UInt64, InstanceOutcome)
        case command(PoolCommand)
        case reload(SupervisorConfig)
        case listening
        case tick
        case shutdown
    }

    let logger: Logger
    let notifier: SystemdNotifier
    let workerBinary: String
    let makeWorker: WorkerFactory
    /// How often the loop checks timers (restarts due, scheduled restarts, start-up extensions).
    let tick: Duration
    let environment: [String: String]
    let events: AsyncStream<Event>
    let inbox: AsyncStream<Event>.Continuation
    let clock = ContinuousClock()
    let started = ContinuousClock.now

    let lock = NSLock()
    var published: PoolStatus
    var lastLoopTurn = ContinuousClock.now
    var instancesByName: [String: any SupervisedWorker] = [:]
    var changeObservers: [@Sendable () -> Void] = []

    // Owned by the event loop.
    var config: SupervisorConfig
    var slots: [Slot] = []
    var retiring: [(slot: String, instance: any SupervisedWorker)] = []
    var rolling: RollingRestart?
    var rollingQueue: [RollingRestart] = []
    var incarnations: UInt64 = 0
    var shuttingDown = false
    var toldReady = false
    /// When start-up next asks systemd for more time (EXTEND_TIMEOUT_USEC) while a model loads.
    var nextStartExtension: ContinuousClock.Instant?
    /// READY=1 waits for this too: the HTTP listener is up (true when there is none to wait for).
    var listenerUp: Bool
    var lastStatusLine = ""
    var transitions: [String: Int] = [:]
    var exits: [String: Int] = [:]

    /// - Parameters:
    ///   - workerBinary: the `vkserve-worker` executable.
    ///   - environment: the workers' environment (systemd's variables are removed from it).
    ///   - waitForListener: tell systemd READY=1 only after ``listenerIsUp()`` as well.
    ///   - makeWorker: makes each incarnation (default: a `vkserve-worker` process, ``processes``).
    ///   - tick: how often timers are checked.
    public init(config: SupervisorConfig, workerBinary: String, environment: [String: String], notifier: SystemdNotifier,
                logger: Logger, waitForListener: Bool = false, makeWorker: @escaping WorkerFactory = WorkerPool.processes,
                tick: Duration = .milliseconds(250)) {
        listenerUp = !waitForListener
        self.makeWorker = makeWorker
        self.tick = tick
        self.config = config
        self.workerBinary = workerBinary
        self.environment = SystemdNotifier.childEnvironment(environment)
        self.notifier = notifier
        self.logger = logger
        (events, inbox) = AsyncStream.makeStream(of: Event.self)
        published = PoolStatus(rows: [], degraded: false, degradedReason: nil, summary: "starting", pid: getpid(),
                               version: ProductVersion.string, uptimeS: 0, transitions: [:], exits: [:])
        slots = plan.slots
    }

    /// Real workers: a `vkserve-worker` process per incarnation, over its socket.
    public static let processes: WorkerFactory = { spec in
        WorkerInstance(name: spec.name, incarnation: spec.incarnation, launch: spec.launch, health: spec.health,
                       logger: spec.logger, onStateChange: spec.onStateChange)
    }

    /// Slots, command lines and restart policy as the current configuration has them.
    var plan: WorkerLaunchPlan {
        WorkerLaunchPlan(config: config, workerBinary: workerBinary, environment: environment)
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
    public var servingInstances: [any SupervisedWorker] {
        lock.lock()
        let all = Array(instancesByName.values)
        lock.unlock()
        return all.map { ($0, $0.snapshot) }.filter { $0.1.state.isRunning }
            .sorted { $0.1.pending < $1.1.pending }.map { $0.0 }
    }

    public var servingLinks: [any WorkerLink] { servingInstances }

    /// The running incarnation in slot `name`, if any.
    public func instance(named name: String) -> (any SupervisedWorker)? {
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
        let tick = self.tick
        try? FileManager.default.createDirectory(atPath: config.runtimeDir, withIntermediateDirectories: true)
        logger.info("starting \(slots.count) workers", metadata: ["event": "pool_start"])
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
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

    var everythingEnded: Bool {
        retiring.isEmpty && slots.allSatisfy { $0.current == nil && $0.next == nil }
    }

    func handle(_ event: Event, group: inout DiscardingTaskGroup) {
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
        case .state(let name, let incarnation, let from, let to):
            transitions[to.rawValue, default: 0] += 1
            // Only ready after starting or loading is a start: a busy → ready turn must not reschedule the
            // worker's restart (a worker with gaps in its load would never be restarted) or fail back again.
            guard to == .ready, from != .busy, let i = index(of: name) else { return }
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

    func start(_ slot: inout Slot, group: inout DiscardingTaskGroup) {
        guard slot.wanted, !shuttingDown else { return }
        let instance = makeInstance(for: slot)
        slot.current = instance
        run(instance, slot: slot.name, group: &group)
    }

    func makeInstance(for slot: Slot) -> any SupervisedWorker {
        incarnations += 1
        var launch = slot.launch
        launch.socketPath = "\(config.runtimeDir)/\(slot.name).\(incarnations).sock"
        let inbox = self.inbox
        let name = slot.name
        let incarnation = incarnations
        // A failover probe is expected to fail: its lines are quieted until it is ready (see ProbeQuieting).
        let logger = slot.probeQuieting?.logger(wrapping: logger) ?? logger
        return makeWorker(WorkerSpec(name: name, incarnation: incarnation, launch: launch, health: config.health,
                                     logger: logger) { from, to in
            inbox.yield(.state(slot: name, incarnation: incarnation, from: from, to: to))
        })
    }

    func run(_ instance: any SupervisedWorker, slot name: String, group: inout DiscardingTaskGroup) {
        let inbox = self.inbox
        group.addTask {
            let outcome = await instance.run()
            try? FileManager.default.removeItem(atPath: instance.launch.socketPath)
            inbox.yield(.ended(slot: name, incarnation: instance.incarnation, outcome))
        }
    }

    func index(of name: String) -> Int? { slots.firstIndex { $0.name == name } }
}
