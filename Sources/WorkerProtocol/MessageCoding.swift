import Foundation

/// JSON coding shared by ``SupervisorMessage`` and ``WorkerMessage``.
///
/// A message is one flat JSON object: the `type` field next to the fields of its payload.
enum MessageCoding {
    /// Non-finite floats travel as these strings; plain JSON has no spelling for them.
    private static let infinity = "Infinity"
    private static let negativeInfinity = "-Infinity"
    private static let nan = "NaN"

    // Built once: both are Sendable, and encode/decode leave their configuration untouched.
    private static let encoder = makeEncoder()
    private static let decoder = makeDecoder()

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        // Sorted keys make frames byte-for-byte reproducible, which logs and tests rely on.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return encoder
    }

    private static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return decoder
    }

    /// The complete frame of a message of type `type` whose fields are those of `body`.
    static func frame(type: String, body: some Encodable) -> [UInt8] {
        do {
            return WireFormat.frame(Array(try encoder.encode(Tagged(type: type, body: body))))
        } catch {
            // Every payload is plain data and non-finite floats have a spelling: this cannot happen.
            preconditionFailure("cannot encode \(type) message: \(error)")
        }
    }

    /// Decodes a payload with `Envelope`, turning every failure into a ``ProtocolError``.
    static func decode<Envelope: Decodable>(
        _ envelope: Envelope.Type, from payload: [UInt8]
    ) throws(ProtocolError) -> Envelope {
        do {
            return try decoder.decode(Envelope.self, from: Data(payload))
        } catch let error as ProtocolError {
            throw error
        } catch let error as DecodingError {
            throw .malformed(describe(error))
        } catch {
            throw .malformed("not a JSON message: \(error)")
        }
    }

    /// Reads the `type` field of the object being decoded.
    static func type(in decoder: any Decoder) throws -> String {
        try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
    }

    /// A decoding failure in words, with the JSON path where it happened (`$.sampling.top_k`).
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            var text = "wrong type at \(path(context.codingPath)): expected \(name(of: type))"
            // "Expected to decode Int but found a string instead." → ", found a string".
            if let range = context.debugDescription.range(of: " but found ") {
                let found = context.debugDescription[range.upperBound...]
                text += ", found " + (found.hasSuffix(" instead.") ? found.dropLast(" instead.".count) : found)
            }
            return text
        case .valueNotFound(let type, let context):
            return "missing value at \(path(context.codingPath)): expected \(name(of: type))"
        case .keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case .dataCorrupted(let context) where context.debugDescription.hasPrefix("The given data was not valid JSON"):
            return "payload is not valid JSON" + (context.underlyingError.map { ": \($0)" } ?? "")
        case .dataCorrupted(let context):
            return "invalid value at \(path(context.codingPath)): \(context.debugDescription)"
                + (context.underlyingError.map { " (\($0))" } ?? "")
        @unknown default:
            return "\(error)"
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is [String: Any].Type: "a JSON object"
        case is [Any].Type: "a JSON array"
        default: "\(type)"
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        "$" + codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
    }
}

/// The key every message carries.
enum TypeKey: String, CodingKey {
    case type
}

/// A payload with no fields (`health`, `stats`, `drain`).
struct NoFields: Codable {}

/// A payload written into the same JSON object as its `type`.
private struct Tagged<Body: Encodable>: Encodable {
    let type: String
    let body: Body

    func encode(to encoder: any Encoder) throws {
        try body.encode(to: encoder)
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(type, forKey: .type)
    }
}
