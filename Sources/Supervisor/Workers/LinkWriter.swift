import Foundation
import WorkerProtocol

/// Writes frames to one worker from a thread of its own, so that no caller ever blocks on the worker's socket: a
/// frozen worker whose receive buffer is full holds up this thread only, never the router, admission, `/health` or
/// the pool. The queue is bounded in frames and bytes; over the bound ``enqueue(_:)`` refuses, and the caller
/// answers "overloaded" while the heartbeat watchdog deals with the worker.
final class LinkWriter: @unchecked Sendable {
    /// Frames that may wait for the socket.
    static let maxQueuedFrames = 4096
    /// Bytes that may wait for the socket (a few of the largest prompts the link carries).
    static let maxQueuedBytes = 3 * WireFormat.maxFrameBytes

    private let socket: FrameSocket
    private let condition = NSCondition()
    private var frames: [[UInt8]] = []
    private var queuedBytes = 0
    private var finished = false

    /// Starts the writer thread; `onFailure` runs once, on that thread, when a write fails (the socket is then
    /// shut down and later frames are dropped).
    init(socket: FrameSocket, name: String, onFailure: @escaping @Sendable (SocketError) -> Void) {
        self.socket = socket
        let thread = Thread { [self] in write(onFailure: onFailure) }
        thread.name = "worker-write-\(name)"
        thread.start()
    }

    /// Queues `frame`; false when the queue is full or the writer has finished.
    @discardableResult
    func enqueue(_ frame: [UInt8]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !finished, frames.count < Self.maxQueuedFrames, queuedBytes + frame.count <= Self.maxQueuedBytes else {
            return false
        }
        frames.append(frame)
        queuedBytes += frame.count
        condition.signal()
        return true
    }

    /// Bytes waiting for the socket.
    var backlogBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedBytes
    }

    /// Drops what is queued and ends the thread (after the write in progress, which a socket shutdown ends).
    func finish() {
        condition.lock()
        finished = true
        frames.removeAll()
        queuedBytes = 0
        condition.broadcast()
        condition.unlock()
    }

    private func write(onFailure: @Sendable (SocketError) -> Void) {
        while true {
            condition.lock()
            while frames.isEmpty && !finished { condition.wait() }
            if finished {
                condition.unlock()
                return
            }
            let frame = frames.removeFirst()
            queuedBytes -= frame.count
            condition.unlock()
            do {
                try socket.send(frame)
            } catch {
                finish()
                socket.shutdown()
                onFailure(error)
                return
            }
        }
    }
}
