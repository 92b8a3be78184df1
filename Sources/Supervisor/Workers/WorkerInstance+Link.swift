import ControlProtocol
import Foundation
import Logging
import WorkerProtocol

extension WorkerInstance {
    /// The link reader: connects once the worker listens (retrying every 20 ms until the worker exits or the
    /// instance has ended), hands the socket and its writer to the loop, then reads frames into the event stream
    /// until the socket closes. It writes no instance state itself.
    func startLinkThread() {
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
