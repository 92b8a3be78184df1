/// Splits a byte stream into frame payloads, as the bytes arrive.
///
/// Feed it whatever the socket delivered with ``append(_:)-(Sequence<UInt8>)``, then call
/// ``next()`` until it returns `nil`. Errors are per frame and never end the stream:
/// a length over ``maxFrameBytes`` yields ``ProtocolError/Code/frameTooLarge`` once, after which
/// exactly that many payload bytes are discarded as they arrive (never buffered), and a zero
/// length yields ``ProtocolError/Code/emptyFrame``. So the buffer holds at most one incomplete
/// frame (`maxFrameBytes + 4` bytes) plus the last chunk appended, whatever the peer sends.
public struct FrameDecoder: Sendable {
    /// The largest payload accepted.
    public let maxFrameBytes: Int

    private var buffer: [UInt8] = []
    /// Start of the unread bytes in `buffer`; bytes before it are consumed and await compaction.
    private var readIndex = 0
    /// Payload bytes of an oversized frame still to be discarded.
    private var skipRemaining = 0

    /// Consumed bytes tolerated at the front of the buffer before it is compacted.
    private static let compactionThreshold = 64 << 10
    /// Capacity kept when the buffer empties; more is released after a large frame.
    private static let retainedCapacity = 1 << 20

    /// A decoder accepting payloads of up to `maxFrameBytes` bytes.
    public init(maxFrameBytes: Int = WireFormat.maxFrameBytes) {
        precondition(maxFrameBytes > 0 && maxFrameBytes <= Int(UInt32.max), "bad frame limit \(maxFrameBytes)")
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes held that no returned frame has consumed yet.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Payload bytes of an oversized frame that will still be discarded.
    public var pendingSkipByteCount: Int { skipRemaining }

    /// Adds bytes received from the peer.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { appendChunk($0) }
        if done == nil {
            Array(bytes).withUnsafeBufferPointer { appendChunk($0) }
        }
    }

    /// Adds bytes received from the peer, straight from a read buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        bytes.withMemoryRebound(to: UInt8.self) { appendChunk($0) }
    }

    private mutating func appendChunk(_ chunk: UnsafeBufferPointer<UInt8>) {
        var chunk = chunk[...]
        if skipRemaining > 0 {
            let n = min(skipRemaining, chunk.count)
            skipRemaining -= n
            chunk = chunk.dropFirst(n)
        }
        guard !chunk.isEmpty else { return }
        compact()
        buffer.append(contentsOf: chunk)
    }

    /// The next frame's payload, an error about the next frame, or `nil` when more bytes are needed.
    public mutating func next() -> Result<[UInt8], ProtocolError>? {
        guard skipRemaining == 0, bufferedByteCount >= WireFormat.headerBytes else { return nil }
        let length = buffer.withUnsafeBufferPointer { p in
            (Int(p[readIndex]) << 24) | (Int(p[readIndex + 1]) << 16) | (Int(p[readIndex + 2]) << 8)
                | Int(p[readIndex + 3])
        }
        if length == 0 {
            readIndex += WireFormat.headerBytes
            return .failure(.emptyFrame)
        }
        if length > maxFrameBytes {
            readIndex += WireFormat.headerBytes
            let held = min(length, bufferedByteCount)
            readIndex += held
            skipRemaining = length - held
            return .failure(.frameTooLarge(size: length, limit: maxFrameBytes))
        }
        guard bufferedByteCount >= WireFormat.headerBytes + length else {
            // Grow once to the whole frame rather than by doubling as its chunks arrive.
            buffer.reserveCapacity(readIndex + WireFormat.headerBytes + length)
            return nil
        }
        let start = readIndex + WireFormat.headerBytes
        let payload = Array(buffer[start..<start + length])
        readIndex = start + length
        return .success(payload)
    }

    /// Drops consumed bytes from the front: at once when nothing is left, otherwise only when they
    /// are many and outnumber the unread ones, so that each byte is moved O(1) times on average.
    private mutating func compact() {
        if readIndex == buffer.count {
            if buffer.capacity > Self.retainedCapacity {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            readIndex = 0
        } else if readIndex >= Self.compactionThreshold && readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
