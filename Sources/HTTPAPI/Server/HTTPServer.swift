import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A request whose body turned out malformed while its response was being written: the connection is closed.
struct ResponseWriteFailed: Error {}

/// The HTTP/1.1 server under the API: Hummingbird's HTTP channel and router on a socket we choose, so that
/// a socket systemd passed (socket activation) serves exactly as one we bound. On graceful shutdown it stops
/// accepting, lets the requests in flight finish and closes idle connections.
struct HTTPServer<Responder: HTTPResponder>: Service where Responder.Context == BasicRequestContext {
    let socket: ListenSocket
    let responder: Responder
    let serverName: String
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
                response = try await responder.respond(to: request, context: context)
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
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
        let server: NIOAsyncChannel<HTTP1Channel.Value, Never>
        switch socket {
        case .address(let target):
            server = try await bootstrap.bind(host: target.host, port: target.port) { channel in
                http.setup(channel: channel, logger: logger)
            }
        case .inherited(let activated):
            server = try await bootstrap.bind(activated.fd) { channel in http.setup(channel: channel, logger: logger) }
        }
        await onListening(server.channel.localAddress?.port ?? 0)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { connections in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await http.handle(value: connection, logger: logger) }
                        }
                    }
                } catch {
                    logger.error("the HTTP listener failed: \(error)", metadata: ["event": "http_listener_failed"])
                }
            }
        } onGracefulShutdown: {
            quiescing.initiateShutdown(promise: nil)
        }
    }
}
