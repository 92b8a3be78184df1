/// Server-sent event framing of streaming responses (`Content-Type: text/event-stream`).
public enum ServerSentEvents {
    /// `data: <json>\n\n`. `json` is compact JSON, so it holds no newline and needs no further escaping.
    public static func event(_ json: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = Array("data: ".utf8)
        bytes.reserveCapacity(json.count + 8)
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: [0x0A, 0x0A])
        return bytes
    }

    /// The end of a stream: `data: [DONE]\n\n`.
    public static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)

    /// An error in the middle of a stream, after the headers went out: `data: {"error":{…}}\n\n`.
    public static func error(_ error: APIError) -> [UInt8] {
        event(error.body())
    }
}
