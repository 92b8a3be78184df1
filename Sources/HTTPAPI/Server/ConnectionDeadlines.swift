import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The clock of one HTTP connection: closes it when it sits idle between requests (`idle`), when a request's
/// headers take too long once its first byte is in (`header`), or its body once its headers are in (`body`).
/// Two handlers share it: ``ByteWatch`` ahead of the HTTP decoder sees a request's first byte, ``PartWatch``
/// after it sees heads, ends and the responses going out. Both run on the connection's event loop.
final class ConnectionDeadlines {
    enum Phase { case idle, head, body, responding }

    private let limits: ConnectionLimits
    private var phase = Phase.idle
    private var inProgress = 0
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// Handlers for the pipeline: the first goes before the HTTP decoder, the second after the codec.
    func handlers() -> (ByteWatch, PartWatch) { (ByteWatch(self), PartWatch(self)) }

    fileprivate func enter(_ next: Phase, channel: any Channel) {
        phase = next
        timer?.cancel()
        timer = nil
        let limit: TimeAmount
        switch next {
        case .idle: limit = limits.idle
        case .head: limit = limits.header
        case .body: limit = limits.body
        case .responding: return
        }
        timer = channel.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
    }

    fileprivate func firstBytes(channel: any Channel) {
        if phase == .idle && inProgress == 0 { enter(.head, channel: channel) }
    }

    fileprivate func read(_ part: HTTPRequestPart, channel: any Channel) {
        switch part {
        case .head:
            inProgress += 1
            enter(.body, channel: channel)
        case .body:
            break
        case .end:
            enter(.responding, channel: channel)
        }
    }

    fileprivate func wroteEnd(channel: any Channel) {
        inProgress = max(0, inProgress - 1)
        if inProgress == 0 && phase == .responding { enter(.idle, channel: channel) }
    }

    fileprivate func closed() {
        timer?.cancel()
        timer = nil
    }

    /// Ahead of the HTTP decoder: the connection's start and each request's first byte.
    final class ByteWatch: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        private let deadlines: ConnectionDeadlines

        fileprivate init(_ deadlines: ConnectionDeadlines) { self.deadlines = deadlines }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { deadlines.enter(.idle, channel: context.channel) }
        }

        func channelActive(context: ChannelHandlerContext) {
            deadlines.enter(.idle, channel: context.channel)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            deadlines.firstBytes(channel: context.channel)
            context.fireChannelRead(data)
        }

        func channelInactive(context: ChannelHandlerContext) {
            deadlines.closed()
            context.fireChannelInactive()
        }
    }

    /// After the HTTP codec: request heads and ends in, response ends out.
    final class PartWatch: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart
        private let deadlines: ConnectionDeadlines

        fileprivate init(_ deadlines: ConnectionDeadlines) { self.deadlines = deadlines }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            deadlines.read(unwrapInboundIn(data), channel: context.channel)
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { deadlines.wroteEnd(channel: context.channel) }
            context.write(data, promise: promise)
        }
    }
}
