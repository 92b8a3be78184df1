/// Constants and framing of the supervisor↔worker protocol.
///
/// A frame is a big-endian `u32` payload length `N`, then `N` bytes: one UTF-8 JSON object
/// with a string field `type`. Frames are read back with ``FrameDecoder``.
public enum WireFormat {
    /// The protocol version both sides send in their hello.
    public static let version = 1

    /// The default largest payload a ``FrameDecoder`` accepts (128 MiB): a `generate` for the largest body the
    /// HTTP API admits (16 MiB, `limits.max_body_bytes`), even if every byte of its prompt is JSON-escaped
    /// six-fold.
    public static let maxFrameBytes = 128 << 20

    /// Bytes of the length prefix in front of every payload.
    public static let headerBytes = 4

    /// `payload` with its length prefix in front.
    ///
    /// - Precondition: `payload.count` fits in a `UInt32`.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= Int(UInt32.max), "payload of \(payload.count) bytes cannot be framed")
        let n = UInt32(payload.count)
        var out: [UInt8] = []
        out.reserveCapacity(headerBytes + payload.count)
        out.append(UInt8(truncatingIfNeeded: n >> 24))
        out.append(UInt8(truncatingIfNeeded: n >> 16))
        out.append(UInt8(truncatingIfNeeded: n >> 8))
        out.append(UInt8(truncatingIfNeeded: n))
        out.append(contentsOf: payload)
        return out
    }

    /// Throws ``ProtocolError/Code/versionMismatch`` unless the peer's hello version is ours.
    public static func checkVersion(_ peer: Int) throws(ProtocolError) {
        guard peer == version else { throw .versionMismatch(peer: peer) }
    }
}
