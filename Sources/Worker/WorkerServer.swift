import Engine
import Foundation
import Logging
import ServiceLifecycle
import WorkerProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The worker as a `Service`: listens on its Unix socket, loads the engine, then serves one
/// supervisor connection at a time until shut down. SIGTERM (graceful shutdown) drains for up
/// to `shutdownGrace` seconds, cancels what is left, and returns.
///
/// Blocking work (accepting, reading the socket, the engine's steps) runs on dedicated threads
/// so the cooperative pool is never blocked; the heartbeat timer is an async task that keeps
/// beating whatever the compute thread does.
public final class WorkerServer: Service, @unchecked Sendable {
    public let options: WorkerOptions
    let logger: Logger
    let status = WorkerStatus()
    private let lock = NSLock()
    private var connection: FrameSocket?
    private var compute: ComputeLoop?
    private var intake: PromptIntake?
    private var hello: WorkerHello
    private var listener: Int32 = -1
    /// A shutdown was asked for (possibly before the engine was loaded).
    private var stopped = false
    /// The compute loop has returned: the accept loop and heartbeats end.
    private var finished = false

    public init(options: WorkerOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        hello = WorkerHello(version: WireFormat.version, pid: getpid(), model: options.modelPath,
                            backend: options.backend.rawValue, device: "", slots: options.slots, context: options.context)
    }

    /// A failure that ends the worker with a documented exit code.
    public struct Failure: Error, CustomStringConvertible {
        public let exitCode: WorkerExitCode
        public let description: String
    }

    public func run() async throws {
        do {
            listener = try FrameSocket.listen(path: options.socketPath)
        } catch {
            throw Failure(exitCode: .internalError, description: "cannot listen on \(options.socketPath): \(error)")
        }
        defer { unlink(options.socketPath) }
        logger.info("listening", metadata: ["socket": "\(options.socketPath)"])
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Self.onThread("accept") { self.acceptLoop() } }
                group.addTask { await self.heartbeats() }
                group.addTask {
                    defer { self.stop() }
                    try await Self.onThread("compute") { () throws(Failure) in try self.serve() }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            self.logger.info("SIGTERM: draining", metadata: ["grace_s": "\(self.options.shutdownGrace)"])
            self.requestShutdown(deadline: monotonicSeconds() + self.options.shutdownGrace)
        }
    }

    /// Loads the engine and runs the compute loop on the calling (dedicated) thread.
    func serve() throws(Failure) {
        let loaded: EngineLoader.Loaded
        do {
            loaded = try EngineLoader.load(options) { stage, fraction in
                self.send(.loadProgress(LoadProgress(stage: stage, fraction: fraction)))
            }
        } catch {
            try fail(error)
        }
        WorkerFault.injectAtWarmUp(logger: logger)
        let generator = Generator(backend: loaded.backend, policy: options.schedulingPolicy, reusePrefixes: options.prefixCache)
        let loop = ComputeLoop(generator: generator, status: status, options: options, logger: logger) { self.send($0) }
        let memory = loaded.backend.memoryUsage()
        status.update {
            $0.state = .ready
            $0.memory = ComputeLoop.figures(memory, backend: loaded.backend)
        }
        let intake = PromptIntake(loop: loop, context: options.context) { self.send($0) }
        defer { intake.finish() }
        lock.lock()
        hello.device = loaded.device
        compute = loop
        self.intake = intake
        let pendingShutdown = stopped
        lock.unlock()
        if pendingShutdown { return }
        logger.info("ready", metadata: ["device": "\(loaded.device)", "load_s": "\(loaded.loadSeconds)",
                                        "warmup_s": "\(loaded.warmupSeconds)",
                                        "chat_template": "\((try? loaded.chatTemplate.get()) ?? "none")"])
        if case .failure(let problem) = loaded.chatTemplate {
            logger.warning("chat requests will be refused", metadata: ["reason": "\(problem)"])
        }
        send(.ready(Ready(warmupMs: loaded.warmupSeconds * 1000, loadMs: loaded.loadSeconds * 1000, device: loaded.device)))
        do {
            try loop.run()
        } catch {
            try fail(error)
        }
        logger.info("shut down", metadata: ["requests_done": "\(status.current.requestsDone)"])
    }

    /// Reports an engine failure to the supervisor (waiting briefly for one to connect) and ends the worker.
    private func fail(_ error: EngineError) throws(Failure) -> Never {
        let (code, kind) = EngineLoader.classify(error)
        logger.critical("engine failure", metadata: ["fault": "\(kind.rawValue)", "error": "\(error.message)"])
        for _ in 0 ..< 20 where currentConnection == nil { usleep(100_000) }
        send(.fault(Fault(kind: kind, message: error.message)))
        throw Failure(exitCode: code, description: error.message)
    }

    private var currentConnection: FrameSocket? {
        lock.lock()
        defer { lock.unlock() }
        return connection
    }

    func send(_ message: WorkerMessage) {
        send([message])
    }

    /// Sends messages in one write: a step's tokens wake the supervisor once, not once per token.
    func send(_ messages: [WorkerMessage]) {
        guard !messages.isEmpty, let c = currentConnection else { return }
        var bytes: [UInt8] = []
        for m in messages { bytes += m.encoded() }
        do {
            try c.send(bytes)
        } catch {
            logger.warning("dropping the supervisor connection: \(error)")
            c.shutdown()
        }
    }

    func requestShutdown(deadline: Double) {
        lock.lock()
        stopped = true
        let loop = compute
        lock.unlock()
        loop?.post(.shutdown(deadline: deadline))
    }

    /// Ends the accept loop and the heartbeat timer once the compute loop has returned.
    private func stop() {
        lock.lock()
        finished = true
        let c = connection
        let fd = listener
        lock.unlock()
        c?.shutdown()
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    // MARK: connections

    /// Accepts connections; one is served at a time, a second is told so and closed.
    func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                lock.lock()
                let done = finished
                lock.unlock()
                if done { return }
                logger.error("accept failed: \(String(cString: strerror(errno)))")
                usleep(100_000)
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let socket = FrameSocket(fd: fd)
            if !adopt(socket) {
                try? socket.send(WorkerMessage.error(ErrorReply(
                    id: nil, code: .overloaded, message: "this worker already serves a supervisor connection")).encoded())
                socket.close()
                continue
            }
            Thread.detachNewThread { self.read(socket) }
        }
    }

    /// Makes `socket` the supervisor connection unless a live one exists. A previous connection
    /// whose peer has hung up but whose reader has not yet seen the end (a reconnecting supervisor
    /// races it) is given up to two seconds to wind down first.
    private func adopt(_ socket: FrameSocket) -> Bool {
        for attempt in 0 ... 40 {
            lock.lock()
            let old = connection
            if old == nil { connection = socket }
            lock.unlock()
            guard let old else { return true }
            guard old.peerHasHungUp, attempt < 40 else { return false }
            old.shutdown()
            usleep(50_000)
        }
        return false
    }

    /// Reads one connection's frames until it ends; then cancels its requests.
    func read(_ socket: FrameSocket) {
        var greeted = false
        lock.lock()
        let h = hello
        lock.unlock()
        send(.hello(h))
        send(.heartbeat(status.heartbeat()))
        while true {
            let next: Result<[UInt8], ProtocolError>?
            do { next = try socket.receive() } catch {
                logger.warning("supervisor connection failed: \(error)")
                break
            }
            guard let next else { break }
            let message: SupervisorMessage
            do throws(ProtocolError) {
                message = try SupervisorMessage.decode(try next.get())
            } catch {
                logger.warning("bad frame from the supervisor: \(error)")
                send(.error(ErrorReply(error)))
                continue
            }
            if case .hello(let hi) = message {
                do throws(ProtocolError) {
                    try WireFormat.checkVersion(hi.version)
                } catch {
                    send(.error(ErrorReply(id: nil, code: .versionMismatch,
                                           message: "this worker speaks protocol \(WireFormat.version), the supervisor \(hi.version)")))
                    break
                }
                greeted = true
                continue
            }
            guard greeted else {
                send(.error(ErrorReply(id: nil, code: .badRequest, message: "send hello (protocol \(WireFormat.version)) first")))
                continue
            }
            handle(message)
        }
        lock.lock()
        if connection === socket { connection = nil }
        let loop = compute
        let intake = self.intake
        lock.unlock()
        socket.close()
        intake?.dropQueued()
        loop?.post(.cancelAll)
        logger.info("supervisor disconnected")
    }

    private func handle(_ message: SupervisorMessage) {
        lock.lock()
        let loop = compute
        let intake = self.intake
        lock.unlock()
        switch message {
        case .hello:
            break
        case .generate(let g):
            guard let intake else {
                send(.error(ErrorReply(id: g.id, code: .notReady, message: "the engine is still loading")))
                return
            }
            intake.post(.generate(g))
        case .cancel(let id):
            if let intake { intake.post(.cancel(id)) } else { loop?.post(.cancel(id)) }
        case .health:
            send(.heartbeat(status.heartbeat()))
        case .stats:
            send(.stats(status.stats(slots: options.slots, context: options.context)))
        case .drain:
            loop?.post(.drain)
        case .shutdown(let ms):
            requestShutdown(deadline: monotonicSeconds() + (ms.map { Double($0) / 1000 } ?? options.shutdownGrace))
        case .injectFault(let f):
            guard let kind = WorkerFault.Kind(rawValue: f.fault), (f.atStep ?? 0) >= 0 else {
                send(.error(ErrorReply(id: nil, code: .badRequest,
                                       message: "unknown fault '\(f.fault)' (crash, hang, silent) or negative at_step")))
                return
            }
            let fault = WorkerFault(kind: kind, atStep: status.current.steps + UInt64(f.atStep ?? 0))
            logger.warning("fault injected by message (tests only)", metadata: ["fault": "\(f.fault)"])
            loop?.inject(fault)
        }
    }

    // MARK: heartbeats

    /// Beats every `heartbeatInterval` while the worker runs, whatever the compute thread does.
    func heartbeats() async {
        let interval = Duration.milliseconds(Int(options.heartbeatInterval * 1000))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let (done, loop) = lock.withLock { (finished, compute) }
            if done { return }
            if loop?.isSilenced == true { continue }
            send(.heartbeat(status.heartbeat()))
        }
    }

    /// Runs blocking work on its own thread and awaits it.
    static func onThread<E: Error>(_ name: String, _ body: @escaping @Sendable () throws(E) -> Void) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let t = Thread {
                do { try body(); c.resume() } catch { c.resume(throwing: error) }
            }
            t.name = name
            t.stackSize = 16 << 20
            t.start()
        }
    }
}
