import ControlProtocol
import CProcess
import Foundation
import GenerationTypes
import Logging
import ServiceLifecycle
import Synchronization
import WorkerProtocol

/// The control socket `supervisorctl` talks to: a Unix socket (mode 0660, group
/// `control_group`), peer credentials checked on every connection, one request per connection.
public final class ControlServer: Service, @unchecked Sendable {
    private let path: String
    private let allowedGroup: gid_t
    private let pool: WorkerPool
    private let reload: @Sendable () async -> ControlResponse
    private let logger: Logger
    private let socketFile: ControlSocketFile
    private var listener: Int32 { socketFile.descriptor }
    private let stopping = Atomic<Bool>(false)
    /// Connections whose request is being read, each on a thread of its own (5 s receive timeout).
    private let reading = Atomic<Int>(0)
    /// More connections than this waiting to send their request are told to retry: the threads stay bounded.
    static let maxReading = 32
    private let counterLock = NSLock()
    private var counter: UInt64 = 0

    /// Binds the socket now, so a bad path or group, an unsafe directory or another vkserved already on the
    /// path fails the start with a clear message.
    public init(path: String, group: String?, pool: WorkerPool, logger: Logger,
                reload: @escaping @Sendable () async -> ControlResponse) throws(ControlServerError) {
        self.path = path
        self.pool = pool
        self.logger = logger
        self.reload = reload
        if let group {
            guard let entry = getgrnam(group) else {
                throw ControlServerError(.noSuchGroup, description: "control_group '\(group)' does not exist "
                    + "(create it, e.g. with units/vkserve.sysusers, or remove the key)")
            }
            allowedGroup = entry.pointee.gr_gid
        } else {
            allowedGroup = getegid()
        }
        do {
            try TrustedDirectory.prepare(ControlSocketFile.directory(of: path), key: "the control socket's directory")
        } catch {
            throw ControlServerError(.unsafeDirectory, description: error.description)
        }
        socketFile = try ControlSocketFile.bind(path: path, group: allowedGroup, backlog: 16)
        if let replaced = socketFile.replaced {
            logger.notice("removed \(replaced) left at \(path) (no vkserved answered on it)",
                          metadata: ["event": "control_stale_removed", "path": "\(path)"])
        }
    }

    public func run() async throws {
        let (connections, inbox) = AsyncStream.makeStream(of: (FrameSocket, ControlRequest).self)
        let acceptor = Thread { [self] in acceptLoop(inbox) }
        acceptor.name = "control-accept"
        acceptor.start()
        defer {
            stopping.store(true, ordering: .sequentiallyConsistent)
            socketFile.stopListening()
        }
        logger.info("control socket listening", metadata: ["event": "control_listen", "path": "\(path)"])
        await withDiscardingTaskGroup { group in
            for await (socket, request) in connections.cancelOnGracefulShutdown() {
                group.addTask { [self] in
                    let response = await answer(request)
                    if let data = try? ControlCoding.encoder().encode(response) {
                        try? socket.send(WireFormat.frame(Array(data)))
                    }
                    socket.close()
                }
            }
        }
    }

    /// Accepts until the server stops. A failing accept (EMFILE, ENFILE, ENOBUFS, ENOMEM, ...) is logged,
    /// rate-limited, and retried after a growing pause: the control socket must outlive a descriptor shortage.
    private func acceptLoop(_ inbox: AsyncStream<(FrameSocket, ControlRequest)>.Continuation) {
        var backoff = AcceptBackoff()
        while true {
            // Close-on-exec from the start: a worker spawned meanwhile must not inherit a control connection.
            let fd = vk_accept_cloexec(listener)
            if fd < 0 {
                let code = errno
                if stopping.load(ordering: .sequentiallyConsistent) {
                    inbox.finish()
                    return
                }
                if code == EINTR || code == ECONNABORTED { continue }
                let step = backoff.failed(at: .now)
                if step.log {
                    let more = step.unlogged > 0 ? " (\(step.unlogged) more failures since the last report)" : ""
                    let message = "control socket: accept failed: \(String(cString: strerror(code)))\(more); "
                        + "retrying in \(DurationText.format(step.delay))"
                    logger.error("\(message)", metadata: ["event": "control_accept_failed", "errno": "\(code)"])
                }
                Thread.sleep(forTimeInterval: Double(step.delay.milliseconds) / 1000)
                continue
            }
            backoff.succeeded()
            serve(fd, inbox)
        }
    }

    /// Checks the peer of one accepted connection and reads its request on a thread of its own.
    private func serve(_ fd: Int32, _ inbox: AsyncStream<(FrameSocket, ControlRequest)>.Continuation) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let socket = FrameSocket(fd: fd, maxFrameBytes: 65_536)
        guard let peer = PeerCredentials(fd: fd), peer.mayControl(allowedGroup: allowedGroup) else {
            let who = PeerCredentials(fd: fd).map { "\($0)" } ?? "an unknown peer"
            logger.warning("control connection refused: \(who)", metadata: ["event": "control_refused"])
            reply(socket, .failure("permission denied: \(who) is not root, the service user or a member of "
                + "group \(Self.groupName(allowedGroup))"))
            return
        }
        guard reading.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue <= Self.maxReading else {
            reading.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            reply(socket, .failure("busy: \(Self.maxReading) control connections are still sending their request; "
                + "try again in a few seconds"))
            return
        }
        // Read on a thread of its own so a slow client cannot hold up the others.
        let reader = Thread { [self] in
            defer { reading.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
            switch try? socket.receive() {
            case .success(let payload)?:
                do {
                    inbox.yield((socket, try ControlCoding.decoder().decode(ControlRequest.self, from: Data(payload))))
                } catch {
                    reply(socket, .failure("bad request: \(error)"))
                }
            case .failure(let error)?: reply(socket, .failure("bad frame: \(error)"))
            case nil: socket.close()
            }
        }
        reader.start()
    }

    private func reply(_ socket: FrameSocket, _ response: ControlResponse) {
        if let data = try? ControlCoding.encoder().encode(response) { try? socket.send(WireFormat.frame(Array(data))) }
        socket.close()
    }

    private static func groupName(_ gid: gid_t) -> String {
        guard let entry = getgrgid(gid) else { return "\(gid)" }
        return String(cString: entry.pointee.gr_name)
    }

    // MARK: answers

    private func answer(_ request: ControlRequest) async -> ControlResponse {
        let status = pool.status
        let known = status.rows.map(\.name)
        var names = request.names
        if names == ["all"] { names = known }
        let unknown = names.filter { !known.contains($0) }
        switch request.command {
        case .status:
            guard unknown.isEmpty else { return .failure("no such worker: \(unknown.joined(separator: ", "))") }
            var s = status
            if !names.isEmpty { s.rows = s.rows.filter { names.contains($0.name) } }
            return ControlResponse(ok: true, status: s)
        case .start, .stop, .restart, .drain:
            guard !names.isEmpty else { return .failure("name a worker or 'all' (workers: \(known.joined(separator: ", ")))") }
            guard unknown.isEmpty else { return .failure("no such worker: \(unknown.joined(separator: ", "))") }
            let command: PoolCommand = switch request.command {
            case .start: .start(names)
            case .stop: .stop(names)
            case .restart: .restart(names)
            default: .drain(names)
            }
            pool.perform(command)
            logger.notice("operator: \(request.command.rawValue) \(names.joined(separator: " "))",
                          metadata: ["event": "operator", "command": "\(request.command.rawValue)"])
            return ControlResponse(ok: true, message: "\(request.command.rawValue): \(names.joined(separator: ", "))")
        case .reload:
            return await reload()
        case .health:
            var r = ControlResponse(ok: status.readyCount > 0, status: status)
            r.loopLagMs = pool.loopLag.milliseconds
            r.message = status.summary
            return r
        case .version:
            return ControlResponse(ok: true, message: "vkserved \(ProductVersion.string), protocol \(WireFormat.version)")
        case .generate:
            return await generate(request, names: names)
        }
    }

    /// One request straight to a worker: tells a broken worker from a broken HTTP path.
    private func generate(_ request: ControlRequest, names: [String]) async -> ControlResponse {
        guard let prompt = request.prompt else { return .failure("generate needs a prompt") }
        let target = names.first.flatMap { pool.instance(named: $0) } ?? pool.servingInstances.first
        guard let worker = target else { return .failure("no worker is ready") }
        let id = counterLock.withLock {
            counter += 1
            return "control-\(counter)"
        }
        let clock = ContinuousClock()
        let start = clock.now
        var text = ""
        var tokens = 0
        for await event in worker.generate(GenerateRequest(id: id, prompt: .text(prompt), sampling: Sampling(temperature: 0),
                                                           maxTokens: request.maxTokens ?? 16)) {
            switch event {
            case .token(let t):
                text += t.text
                tokens += 1
            case .done(let d):
                text += d.tail
                var r = ControlResponse(ok: true, message: "finished: \(d.reason.rawValue)")
                r.text = text
                r.tokens = tokens
                r.worker = worker.name
                r.elapsedMs = (clock.now - start).milliseconds
                return r
            case .refused(let e): return .failure("\(worker.name) refused: \(e.message)")
            case .workerLost(let why): return .failure("\(why) after \(tokens) tokens")
            case .expired: return .failure("\(worker.name): the request ran past its deadline")
            }
        }
        return .failure("\(worker.name): the request ended without an answer")
    }
}
