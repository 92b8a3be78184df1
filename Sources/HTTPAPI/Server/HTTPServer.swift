import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A request whose body turned out malformed while its response was being written: the connection is closed.
struct ResponseWriteFailed: Error {}

/// The HTTP/1.1 server under the API: Hummingbird's HTTP channel and router on a socket we choose, so that
/// a socket systemd passed (socket activation) serves exactly as one we bound. At most `limits.maxConnections`
/// connections are open (one more gets a 503 and is closed), each closed when idle, or slow to send its headers
/// or body, past its limit; a request whose client hangs up is cancelled. On graceful shutdown it stops
/// accepting, lets the requests in flight finish for up to `drainTimeout` (then `onDrainTimeout` ends the
/// rest, as errors) and closes idle connections.
struct HTTPServer<Responder: HTTPResponder>: Service where Responder.Context == BasicRequestContext {
    let socket: ListenSocket
    let responder: Responder
    let serverName: String
    let limits: ConnectionLimits
    let drainTimeout: Duration
    let onDrainTimeout: @Sendable () -> Void
    let logger: Logger
    /// Runs once connections are being accepted, with the local port.
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let (responder, serverName, logger) = (self.responder, self.serverName, self.logger)
        let dates = HTTPDate()
        let http = HTTP1Channel(responder: { request, writer, channel in
            let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                // The answer, unless the client hangs up first: then the work for it is cancelled.
                response = try await withThrowingTaskGroup(of: Response?.self) { group in
                    group.addTask { try await responder.respond(to: request, context: context) }
                    group.addTask {
                        await untilClosed(channel)
                        return nil
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next(), let response = first else { throw ClientGone() }
                    return response
                }
            } catch let error as ClientGone {
                throw error
            } catch let error as HTTPParserError {
                throw error
            } catch {
                logger.debug("unhandled error in a route: \(error)")
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = dates.now()
            response.headers[.server] = serverName
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Not the parser error itself: that would make the channel answer a second time.
                throw ResponseWriteFailed()
            }
        })
        let quiescing = ServerQuiescingHelper(group: group)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // A client's FIN closes the connection, which is how a hang-up under a long request is seen.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: false)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    try channel.pipeline.syncOperations.addHandler(AcceptFailureLog(logger: logger))
                }
            }
        let limits = self.limits
        let setup: @Sendable (any Channel) -> EventLoopFuture<HTTP1Channel.Value> = { channel in
            let deadlines = ConnectionDeadlines(limits: limits)
            let (bytes, parts) = deadlines.handlers()
            do {
                try channel.pipeline.syncOperations.addHandler(bytes, position: .first)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            return http.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
                let state = try channel.pipeline.syncOperations.handler(type: HTTPConnectionStateHandler.self)
                try channel.pipeline.syncOperations.addHandler(parts, position: .before(state))
                return value
            }.nonisolated()
        }
        let server: NIOAsyncChannel<HTTP1Channel.Value, Never>
        switch socket {
        case .address(let target):
            server = try await bootstrap.bind(host: target.host, port: target.port, childChannelInitializer: setup)
        case .inherited(let activated):
            server = try await bootstrap.bind(activated.fd, childChannelInitializer: setup)
        }
        await onListening(server.channel.localAddress?.port ?? 0)
        let open = OpenConnections()
        let (drainTimeout, onDrainTimeout) = (self.drainTimeout, self.onDrainTimeout)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { connections in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            if open.opened() > limits.maxConnections {
                                connections.addTask {
                                    await Self.refuse(connection)
                                    open.closed()
                                }
                                continue
                            }
                            connections.addTask {
                                await http.handle(value: connection, logger: logger)
                                open.closed()
                            }
                        }
                    }
                } catch {
                    logger.error("the HTTP listener failed: \(error)", metadata: ["event": "http_listener_failed"])
                }
                if Task.isShuttingDownGracefully {
                    // The drain of requests in flight is bounded: past drain_timeout they end as errors.
                    connections.addTask {
                        let deadline = ContinuousClock.now + drainTimeout
                        while open.count > 0 && ContinuousClock.now < deadline {
                            try? await Task.sleep(for: .milliseconds(100))
                        }
                        if open.count > 0 { onDrainTimeout() }
                    }
                }
            }
        } onGracefulShutdown: {
            quiescing.initiateShutdown(promise: nil)
        }
    }

    /// Over the connection cap: a 503 with Retry-After, then the connection is closed.
    private static func refuse(_ connection: HTTP1Channel.Value) async {
        let body = ByteBuffer(string: #"{"error":{"message":"too many open connections; retry shortly","#
            + #""type":"service_unavailable_error","param":null,"code":"too_many_connections"}}"#)
        try? await connection.executeThenClose { inbound, outbound in
            let head = HTTPResponse(status: .serviceUnavailable, headerFields: [
                .retryAfter: "1", .connection: "close", .contentType: "application/json",
                .contentLength: "\(body.readableBytes)",
            ])
            try await outbound.write(.head(head))
            try await outbound.write(.body(body))
            try await outbound.write(.end(nil))
            outbound.finish()
            // Read (and drop) what the client is still sending for up to a second: closing with unread input
            // would send a reset that can overtake the 503.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { for try await _ in inbound {} }
                group.addTask { try await Task.sleep(for: .seconds(1)) }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }
}

/// The count of open HTTP connections, shared by the accept loop and the connection tasks.
private final class OpenConnections: Sendable {
    private let value = Atomic<Int>(0)

    /// Counts one more; returns the count with it.
    func opened() -> Int { value.add(1, ordering: .relaxed).newValue }
    func closed() { value.subtract(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}
