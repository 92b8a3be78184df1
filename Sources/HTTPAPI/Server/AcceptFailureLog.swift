import Logging
import NIOCore
import Supervisor

/// On the HTTP listener: logs accept failures (EMFILE and ENFILE when out of descriptors, ENOBUFS, ENOMEM), at
/// most one line per 10 s with the count in between. NIO's accept backoff behind it pauses accepting and tries
/// again; the listener never ends over them.
final class AcceptFailureLog: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel

    private let logger: Logger
    private var backoff = AcceptBackoff()

    init(logger: Logger) {
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        backoff.succeeded()
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let io = error as? IOError {
            let step = backoff.failed(at: .now)
            if step.log {
                let skipped = step.unlogged > 0 ? " (\(step.unlogged) more since the last report)" : ""
                logger.warning("cannot accept an HTTP connection: \(io.description)\(skipped); retrying",
                               metadata: ["event": "http_accept_failed", "errno": "\(io.errnoCode)"])
            }
        }
        context.fireErrorCaught(error)
    }
}
