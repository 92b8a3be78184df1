import ControlProtocol
import Foundation
import Logging
import WorkerProtocol

/// One worker process from spawn to exit: connects to its socket, follows its heartbeats,
/// kills it when it stops heartbeating (`heartbeat_timeout`), stops progressing with work in
/// flight (`stall_timeout`) or is not ready in time (`start_timeout`), and carries requests.
///
/// Everything that happens to it (the connection, messages, its exit, timer ticks, commands) goes through one
/// event stream consumed by `run()`, so its state has a single writer: the loop. The lock guards only what other
/// threads read (the snapshot, the link's writer, the open requests), not a second writer. Two threads of its own
/// block on the socket and post to that stream (see ARCHITECTURE.md, "Threads"): the link reader (connects, then
/// reads frames) and the `LinkWriter`.
public final class WorkerInstance: SupervisedWorker, @unchecked Sendable {
    public let name: String
    public let incarnation: UInt64
    public let launch: WorkerLaunch

    private let health: SupervisorConfig.Health
    private let logger: Logger
    private let onStateChange: @Sendable (SupervisedState) -> Void
    private let events: AsyncStream<Event>
    private let inbox: AsyncStream<Event>.Continuation
    private let clock = ContinuousClock()

    private let lock = NSLock()
    private var snapshotValue: WorkerSnapshot
    private var link: FrameSocket?
    private var writer: LinkWriter?
    private var child: ChildProcess?
    private var requests: [String: AsyncStream<RequestEvent>.Continuation] = [:]

    // Touched only by the event loop in `run()`.
    private var stall: StallDetector
    private var killedFor: ExitReason?
    private var stopRequested = false
    private var stopDeadline: ContinuousClock.Instant?
    private var fault: Fault?
    private var exitStatus: ExitStatus?
    private var exitSeenAt: ContinuousClock.Instant?
    private var linkClosed = false

    enum Event: Sendable {
        /// The link reader connected to the worker's socket and started a writer for it.
        case connected(FrameSocket, LinkWriter)
        case message(WorkerMessage)
        case linkClosed
        case exited(ExitStatus)
        case tick
        case drain
        case stop(grace: Duration)
        case kill(ExitReason)
    }

    init(
        name: String, incarnation: UInt64, launch: WorkerLaunch, health: SupervisorConfig.Health, logger: Logger,
        onStateChange: @escaping @Sendable (SupervisedState) -> Void
    ) {
        self.name = name
        self.incarnation = incarnation
        self.launch = launch
        self.health = health
        var logger = logger
        logger[metadataKey: "worker"] = "\(name)"
        self.logger = logger
        self.onStateChange = onStateChange
        (events, inbox) = AsyncStream.makeStream(of: Event.self)
        stall = StallDetector(timeout: health.stallTimeout)
        snapshotValue = WorkerSnapshot(incarnation: incarnation, state: .stopped, pending: 0)
    }

    public var snapshot: WorkerSnapshot {
        lock.lock()
        defer { lock.unlock() }
        var s = snapshotValue
        s.pending = requests.count
        return s
    }

    public var pending: Int { lock.withLock { requests.count } }

    // MARK: commands (any thread)

    /// Stop taking new requests; those in flight finish.
    public func drain() { inbox.yield(.drain) }

    /// Drain for up to `grace`, then exit; SIGKILL if it has not exited 5 s after that.
    public func stop(grace: Duration) { inbox.yield(.stop(grace: grace)) }

    /// SIGKILL to the process group now, recording why.
    public func kill(_ reason: ExitReason) { inbox.yield(.kill(reason)) }

    /// Sends a request; the stream ends after its last event. Ending the stream early cancels it. Never blocks:
    /// the frame goes to the link's writer queue, and a full queue (a worker that stopped reading) is refused as
    /// `overloaded`, as is a request too large for the link.
    public func generate(_ request: GenerateRequest) -> AsyncStream<RequestEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RequestEvent.self)
        let frame = SupervisorMessage.generate(request).encoded()
        func refuse(_ code: ErrorReply.Code, _ message: String) -> AsyncStream<RequestEvent> {
            continuation.yield(.refused(ErrorReply(id: request.id, code: code, message: message)))
            continuation.finish()
            return stream
        }
        guard frame.count - WireFormat.headerBytes <= WireFormat.maxFrameBytes else {
            return refuse(.badRequest, "the request is \(frame.count) bytes on the worker link, which carries at most "
                + "\(WireFormat.maxFrameBytes)")
        }
        lock.lock()
        let writer = self.writer
        let state = snapshotValue.state
        if writer != nil, state.isRunning { requests[request.id] = continuation }
        lock.unlock()
        guard let writer, state.isRunning else { return refuse(.overloaded, "\(name) is \(state.rawValue)") }
        let id = request.id
        continuation.onTermination = { [weak self] termination in
            guard let self, case .cancelled = termination else { return }
            if self.removeRequest(id) != nil { self.send(.cancel(id: id)) }
        }
        guard writer.enqueue(frame) else {
            _ = removeRequest(id)
            return refuse(.overloaded, "\(name) is not reading its socket (\(writer.backlogBytes) bytes waiting)")
        }
        return stream
    }

    /// Ends request `id` here with `event` and cancels it in the worker, when it is still open: the supervisor's
    /// own deadline, or a shutdown that cannot wait for it. Returns whether it was open.
    @discardableResult
    public func abandon(_ id: String, with event: RequestEvent) -> Bool {
        guard let c = removeRequest(id) else { return false }
        send(.cancel(id: id))
        c.yield(event)
        c.finish()
        return true
    }

    // MARK: the event loop

    /// Starts the process and follows it until it has exited; returns how it ended.
    public func run() async -> InstanceOutcome {
        setState(.starting)
        try? FileManager.default.removeItem(atPath: launch.socketPath)
        let spawnedAt = clock.now
        let inbox = self.inbox
        let logger = self.logger
        do {
            let child = try await ChildProcess.spawn(
                executable: launch.executable, arguments: ["--socket", launch.socketPath] + launch.arguments,
                environment: launch.environment,
                onLine: { line in WorkerOutput.forward(line, logger: logger) },
                onExit: { status in inbox.yield(.exited(status)) })
            lock.withLock { self.child = child }
            update {
                $0.pid = child.pid
                $0.spawnedAt = spawnedAt
            }
            logger.info("worker started", metadata: ["event": "spawn", "pid": "\(child.pid)",
                                                      "backend": "\(launch.backend.rawValue)"])
        } catch {
            logger.error("\(error)", metadata: ["event": "spawn_failed", "reason": "spawn_failed"])
            setState(.exited)
            inbox.finish()
            return InstanceOutcome(reason: .spawnFailed, status: nil, readyFor: nil, faultMessage: error.description)
        }
        startLinkThread()
        return await withTaskGroup(of: Void.self) { group in
            let tick = min(health.heartbeatInterval / 4, .milliseconds(250))
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    inbox.yield(.tick)
                }
            }
            var outcome: InstanceOutcome?
            for await event in events {
                if let done = handle(event) {
                    outcome = done
                    break
                }
            }
            group.cancelAll()
            return outcome ?? finish()
        }
    }

    /// Handles one event; returns the outcome once the worker is gone.
    private func handle(_ event: Event) -> InstanceOutcome? {
        let now = clock.now
        switch event {
        case .connected(let socket, let writer):
            lock.withLock {
                link = socket
                self.writer = writer
                // No heartbeat has arrived yet: the heartbeat clock starts at the connection.
                snapshotValue.lastHeartbeatAt = snapshotValue.lastHeartbeatAt ?? now
            }
            send(.hello(Hello(client: "vkserved")))
        case .message(let message):
            receive(message, at: now)
        case .linkClosed:
            linkClosed = true
            if exitStatus != nil { return finish() }
            if !stopRequested && killedFor == nil {
                logger.warning("the worker closed its socket", metadata: ["event": "link_closed"])
            }
        case .exited(let status):
            exitStatus = status
            exitSeenAt = now
            child?.signalGroup(SIGKILL)  // anything it left behind in its group
            if linkClosed || currentLink == nil { return finish() }
        case .tick:
            return check(at: now)
        case .drain:
            guard currentLink != nil else { return nil }
            send(.drain)
            setState(.draining)
        case .stop(let grace):
            stopRequested = true
            stopDeadline = min(stopDeadline ?? .now + .seconds(1 << 40), now + grace + .seconds(5))
            if currentLink != nil {
                send(.shutdown(deadlineMs: Int(grace.milliseconds)))
            } else {
                child?.signalGroup(SIGTERM)
            }
            setState(.stopping)
        case .kill(let reason):
            if killedFor == nil && exitStatus == nil {
                killedFor = reason
                child?.signalGroup(SIGKILL)
                setState(.stopping)
            }
        }
        return nil
    }

    private func receive(_ message: WorkerMessage, at now: ContinuousClock.Instant) {
        switch message {
        case .hello(let hello):
            do throws(ProtocolError) {
                try WireFormat.checkVersion(hello.version)
            } catch {
                let message = "the worker speaks protocol \(hello.version) and this vkserved \(WireFormat.version): "
                    + "\(launch.executable) is from another release; install vkserved and vkserve-worker together "
                    + "(or point worker_binary at the matching one)"
                _ = killFor(.protocolMismatch, message)
                return
            }
            update { $0.device = hello.device }
            if snapshot.state == .starting { setState(.loading) }
        case .loadProgress(let progress):
            logger.debug("loading: \(progress.stage) \(Int(progress.fraction * 100))%")
            if snapshot.state == .starting { setState(.loading) }
        case .ready(let ready):
            update {
                $0.readyAt = now
                if !ready.device.isEmpty { $0.device = ready.device }
            }
            logger.info("worker ready", metadata: [
                "event": "ready", "device": "\(ready.device)", "load_ms": "\(Int(ready.loadMs))",
                "warmup_ms": "\(Int(ready.warmupMs))",
            ])
            if [.starting, .loading].contains(snapshot.state) { setState(.ready) }
        case .heartbeat(let beat):
            update {
                $0.lastHeartbeat = beat
                $0.lastHeartbeatAt = now
            }
            stall.observe(beat, at: now)
            let state = snapshot.state
            if state == .ready && beat.inFlight > 0 { setState(.busy) }
            if state == .busy && beat.inFlight == 0 { setState(.ready) }
        case .token(let token):
            requestStream(token.id)?.yield(.token(token))
        case .done(let done):
            if let c = removeRequest(done.id) {
                c.yield(.done(done))
                c.finish()
            }
        case .error(let error):
            if let id = error.id, let c = removeRequest(id) {
                c.yield(.refused(error))
                c.finish()
            } else {
                logger.warning("worker reported: \(error.message)", metadata: ["event": "worker_error",
                                                                               "code": "\(error.code.rawValue)"])
            }
        case .stats:
            break
        case .fault(let f):
            fault = f
            logger.error("worker fault: \(f.message)", metadata: ["event": "fault", "reason": "\(f.kind.rawValue)"])
        }
    }

    /// The watchdog, on every tick.
    private func check(at now: ContinuousClock.Instant) -> InstanceOutcome? {
        let s = snapshot
        if let exitSeenAt {
            // The exit is in; give the socket a moment to deliver a last fault message.
            return now - exitSeenAt > .seconds(1) ? finish() : nil
        }
        if let stopDeadline, now > stopDeadline, killedFor == nil {
            logger.warning("did not exit in time after shutdown; killing", metadata: ["event": "stop_timeout"])
            killedFor = .stopped
            child?.signalGroup(SIGKILL)
            return nil
        }
        guard killedFor == nil, !stopRequested, let spawnedAt = s.spawnedAt else { return nil }
        if s.readyAt == nil, now - spawnedAt > health.startTimeout {
            return killFor(.startTimeout, "not ready within start_timeout (\(DurationText.format(health.startTimeout)))")
        }
        if let last = s.lastHeartbeatAt, now - last > health.heartbeatTimeout {
            return killFor(.unresponsive, "no heartbeat for \(DurationText.format(now - last))")
        }
        if let still = stall.stalled(at: now) {
            let beat = s.lastHeartbeat
            return killFor(.hang, "no progress for \(DurationText.format(still)) with \(beat?.inFlight ?? 0) "
                + "requests in flight (steps stuck at \(beat?.steps ?? 0))")
        }
        return nil
    }

    private func killFor(_ reason: ExitReason, _ why: String) -> InstanceOutcome? {
        logger.error("killing the worker: \(why)", metadata: ["event": "kill", "reason": "\(reason.rawValue)"])
        return handle(.kill(reason))
    }

    /// Ends every open request and describes the exit.
    private func finish() -> InstanceOutcome {
        if exitStatus == nil, let child {
            // The supervisor itself is going away (its task was cancelled): take the worker with it.
            child.signalGroup(SIGKILL)
            stopRequested = true
            killedFor = killedFor ?? .stopped
        }
        let reason = ExitReason.classify(status: exitStatus, killedFor: killedFor, fault: fault?.kind,
                                         requested: stopRequested)
        lock.lock()
        let open = requests
        requests.removeAll()
        let socket = link
        link = nil
        let writer = self.writer
        self.writer = nil
        let readyAt = snapshotValue.readyAt
        lock.unlock()
        writer?.finish()
        socket?.shutdown()
        for (_, c) in open {
            c.yield(.workerLost("\(name) ended: \(reason.rawValue)"))
            c.finish()
        }
        setState(.exited)
        inbox.finish()
        let outcome = InstanceOutcome(reason: reason, status: exitStatus, readyFor: readyAt.map { clock.now - $0 },
                                      faultMessage: fault?.message)
        let level: Logger.Level = reason == .stopped ? .info : .error
        logger.log(level: level, "worker exited: \(outcome.summary)", metadata: [
            "event": "exit", "reason": "\(reason.rawValue)", "pid": "\(snapshot.pid ?? 0)",
            "status": "\(exitStatus.map { "\($0)" } ?? "none")",
        ])
        return outcome
    }

    // MARK: plumbing

    private var currentLink: FrameSocket? {
        lock.lock()
        defer { lock.unlock() }
        return link
    }

    private func update(_ body: (inout WorkerSnapshot) -> Void) {
        lock.lock()
        body(&snapshotValue)
        lock.unlock()
    }

    private func setState(_ state: SupervisedState) {
        lock.lock()
        let old = snapshotValue.state
        snapshotValue.state = state
        lock.unlock()
        guard old != state else { return }
        logger.info("\(old.rawValue) → \(state.rawValue)", metadata: [
            "event": "state", "from": "\(old.rawValue)", "to": "\(state.rawValue)",
        ])
        onStateChange(state)
    }

    private func requestStream(_ id: String) -> AsyncStream<RequestEvent>.Continuation? {
        lock.lock()
        defer { lock.unlock() }
        return requests[id]
    }

    private func removeRequest(_ id: String) -> AsyncStream<RequestEvent>.Continuation? {
        lock.lock()
        defer { lock.unlock() }
        return requests.removeValue(forKey: id)
    }

    /// Queues `message` for the worker; never blocks. Dropped when there is no link (yet, or any more).
    private func send(_ message: SupervisorMessage) {
        lock.lock()
        let writer = self.writer
        lock.unlock()
        guard let writer else { return }
        if !writer.enqueue(message.encoded()) {
            logger.warning("the worker's write queue is full; dropped a \(message.type) message",
                           metadata: ["event": "link_backlog"])
        }
    }

    /// The link reader: connects once the worker listens (retrying every 20 ms until the worker exits or the
    /// instance has ended), hands the socket and its writer to the loop, then reads frames into the event stream
    /// until the socket closes. It writes no instance state itself.
    private func startLinkThread() {
        let path = launch.socketPath
        let inbox = self.inbox
        let logger = self.logger
        let name = self.name
        let thread = Thread { [self] in
            var socket: FrameSocket?
            while socket == nil {
                let giveUp = lock.withLock { child?.exit != nil || snapshotValue.state == .exited }
                if giveUp { return }
                socket = try? FrameSocket.connect(path: path)
                if socket == nil { Thread.sleep(forTimeInterval: 0.02) }
            }
            guard let socket else { return }
            let writer = LinkWriter(socket: socket, name: name) { error in
                logger.warning("cannot write to the worker: \(error)", metadata: ["event": "link_error"])
            }
            inbox.yield(.connected(socket, writer))
            while true {
                let next: Result<[UInt8], ProtocolError>?
                do { next = try socket.receive() } catch { break }
                guard let next else { break }
                switch next.flatMap({ payload in Result { () throws(ProtocolError) in try WorkerMessage.decode(payload) } }) {
                case .success(let message): inbox.yield(.message(message))
                case .failure(let error): logger.warning("bad frame from the worker: \(error)", metadata: ["event": "bad_frame"])
                }
            }
            writer.finish()
            socket.shutdown()  // ends a write in progress, so the close does not wait on a frozen worker
            socket.close()
            inbox.yield(.linkClosed)
        }
        thread.name = "worker-link-\(name)"
        thread.start()
    }
}
