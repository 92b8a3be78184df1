import Foundation
import Logging
import ServiceLifecycle
import WorkerProtocol

/// The control socket `supervisorctl` talks to: a Unix socket (mode 0660, group
/// `control_group`), peer credentials checked on every connection, one request per connection.
public final class ControlServer: Service, @unchecked Sendable {
    private let path: String
    private let allowedGroup: gid_t
    private let pool: WorkerPool
    private let reload: @Sendable () async -> ControlResponse
    private let logger: Logger
    private let listener: Int32
    private let counterLock = NSLock()
    private var counter: UInt64 = 0

    /// Binds the socket now, so a bad path or group fails the start with a clear message.
    public init(path: String, group: String?, pool: WorkerPool, logger: Logger,
                reload: @escaping @Sendable () async -> ControlResponse) throws(ControlServerError) {
        self.path = path
        self.pool = pool
        self.logger = logger
        self.reload = reload
        if let group {
            guard let entry = getgrnam(group) else {
                throw ControlServerError(description: "control_group '\(group)' does not exist (create it, "
                    + "e.g. with units/vkserve.sysusers, or remove the key)")
            }
            allowedGroup = entry.pointee.gr_gid
        } else {
            allowedGroup = getegid()
        }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            listener = try FrameSocket.listen(path: path, mode: 0o660, backlog: 16)
        } catch {
            throw ControlServerError(description: "cannot listen on the control socket \(path): \(error)")
        }
        guard chown(path, uid_t.max, allowedGroup) == 0 else {
            close(listener)
            throw ControlServerError(description: "cannot give the control socket \(path) to group \(allowedGroup): "
                + String(cString: strerror(errno)))
        }
    }

    public func run() async throws {
        let (connections, inbox) = AsyncStream.makeStream(of: (FrameSocket, ControlRequest).self)
        let acceptor = Thread { [self] in acceptLoop(inbox) }
        acceptor.name = "control-accept"
        acceptor.start()
        defer {
            Glibc.shutdown(listener, Int32(SHUT_RDWR))
            unlink(path)
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

    private func acceptLoop(_ inbox: AsyncStream<(FrameSocket, ControlRequest)>.Continuation) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                inbox.finish()
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let socket = FrameSocket(fd: fd, maxFrameBytes: 65_536)
            guard let peer = PeerCredentials(fd: fd), peer.mayControl(allowedGroup: allowedGroup) else {
                let who = PeerCredentials(fd: fd).map { "\($0)" } ?? "an unknown peer"
                logger.warning("control connection refused: \(who)", metadata: ["event": "control_refused"])
                reply(socket, .failure("permission denied: \(who) is not root, the service user or a member of "
                    + "group \(Self.groupName(allowedGroup))"))
                continue
            }
            // Read on a thread of its own so a slow client cannot hold up the others.
            let reader = Thread { [self] in
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
            return ControlResponse(ok: true, message: "vkserved \(WorkerPool.version), protocol \(WireFormat.version)")
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
