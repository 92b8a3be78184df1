import ControlProtocol
import Foundation
import Logging
import WorkerProtocol

/// The instance's event loop: every event in order, the watchdog on each tick, and the outcome at the end.
extension WorkerInstance {
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
    func handle(_ event: Event) -> InstanceOutcome? {
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

    func receive(_ message: WorkerMessage, at now: ContinuousClock.Instant) {
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
    func check(at now: ContinuousClock.Instant) -> InstanceOutcome? {
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

    func killFor(_ reason: ExitReason, _ why: String) -> InstanceOutcome? {
        logger.error("killing the worker: \(why)", metadata: ["event": "kill", "reason": "\(reason.rawValue)"])
        return handle(.kill(reason))
    }

    /// Ends every open request and describes the exit.
    func finish() -> InstanceOutcome {
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
}
