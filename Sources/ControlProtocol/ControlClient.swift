import Foundation
import WorkerProtocol

/// Sends one request to vkserved's control socket and waits for the answer.
public enum ControlClient {
    public struct Unreachable: Error, CustomStringConvertible {
        public let description: String
    }

    public static func send(_ request: ControlRequest, socket path: String, timeout: Duration = .seconds(60))
        throws(Unreachable) -> ControlResponse
    {
        let socket: FrameSocket
        do {
            socket = try FrameSocket.connect(path: path)
        } catch {
            throw Unreachable(description: "cannot reach vkserved at \(path): \(error) (is it running? "
                + "is --socket right? are you root or in the control group?)")
        }
        defer { socket.close() }
        var tv = timeval(tv_sec: Int(timeout.seconds), tv_usec: 0)
        setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        do {
            let data = try ControlCoding.encoder().encode(request)
            // A refusal may be written before the request is read; read it even if sending failed.
            let sent = Result { () throws(SocketError) in try socket.send(WireFormat.frame(Array(data))) }
            let answer = try? socket.receive()
            if case .failure(let error) = sent, answer == nil { throw error }
            guard case .success(let payload)? = answer ?? nil else {
                throw Unreachable(description: "vkserved closed the control connection without an answer")
            }
            return try ControlCoding.decoder().decode(ControlResponse.self, from: Data(payload))
        } catch let error as Unreachable {
            throw error
        } catch {
            throw Unreachable(description: "control request failed: \(error)")
        }
    }
}
