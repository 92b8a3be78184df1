/// Splits a `text/event-stream` body, fed in whatever pieces the network delivers, into the `data` of its
/// events. Lines end in LF or CRLF; an event ends at a blank line; `data:` lines of one event are joined with
/// LF; comments (`:`) and other fields are ignored.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    /// A line longer than this is a broken stream, not a reason to run out of memory.
    public static let maxLineBytes = 4 << 20

    public init() {}

    public struct LineTooLong: Error {}

    /// Feeds bytes; returns the data of each event they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(LineTooLong) -> [[UInt8]] {
        var events: [[UInt8]] = []
        for byte in bytes {
            if byte == 0x0A {
                if line.last == 0x0D { line.removeLast() }
                if let event = endLine() { events.append(event) }
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
                if line.count > Self.maxLineBytes { throw LineTooLong() }
            }
        }
        return events
    }

    private mutating func endLine() -> [UInt8]? {
        if line.isEmpty {
            defer {
                data.removeAll(keepingCapacity: true)
                hasData = false
            }
            return hasData ? data : nil
        }
        let prefix = Array("data".utf8)
        guard line.starts(with: prefix) else { return nil }
        var value = line.dropFirst(prefix.count)
        if let colon = value.first {
            guard colon == UInt8(ascii: ":") else { return nil }  // `dataX:` is another field
            value = value.dropFirst()
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        }
        if hasData { data.append(0x0A) }
        data.append(contentsOf: value)
        hasData = true
        return nil
    }
}
