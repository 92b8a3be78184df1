import Foundation
import HTTPAPI
import Testing
import WorkerProtocol

/// Shared fixtures of the OpenAI tests.
enum OpenAIFixture {
    /// Up to 1000 tokens, 256 by default; serves `llama-3` and accepts `alias`.
    static let limits = APILimits(maxTokens: 1000, defaultMaxTokens: 256, modelIDs: ["llama-3", "alias"])

    static func completion(_ json: String, limits: APILimits = limits) throws(APIError) -> InferenceRequest {
        try OpenAIDecoder.completion(Array(json.utf8), limits: limits)
    }

    static func chat(_ json: String, limits: APILimits = limits) throws(APIError) -> InferenceRequest {
        try OpenAIDecoder.chat(Array(json.utf8), limits: limits)
    }

    /// The error decoding `json` as a completion throws, or nil when it decodes.
    static func completionError(_ json: String) -> APIError? {
        do {
            _ = try completion(json)
            return nil
        } catch {
            return error
        }
    }

    /// The error decoding `json` as a chat completion throws, or nil when it decodes.
    static func chatError(_ json: String) -> APIError? {
        do {
            _ = try chat(json)
            return nil
        } catch {
            return error
        }
    }

    /// `bytes` parsed by Foundation as a JSON object.
    static func object(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        return try #require(value as? [String: Any], sourceLocation: sourceLocation)
    }

    /// A chat body of one user message plus `extra` members (`"temperature": 0.5`).
    static func chatBody(_ extra: String = "") -> String {
        #"{"messages":[{"role":"user","content":"hi"}]"# + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    /// A completion body with prompt "hi" plus `extra` members.
    static func completionBody(_ extra: String = "") -> String {
        #"{"prompt":"hi""# + (extra.isEmpty ? "" : "," + extra) + "}"
    }
}

/// One error case: the body, and the status, code and param it must be answered with.
struct OpenAIErrorCase: Sendable, CustomTestStringConvertible {
    var body: String
    var status: Int
    var code: String
    var param: String?

    init(_ body: String, _ status: Int, _ code: String, _ param: String?) {
        self.body = body
        self.status = status
        self.code = code
        self.param = param
    }

    var testDescription: String { "\(code) \(param ?? "-"): \(body.prefix(80))" }

    func check(_ error: APIError?, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error else {
            Issue.record(
                "\(body) decoded, expected \(status) \(code) \(param ?? "nil")", sourceLocation: sourceLocation)
            return
        }
        #expect(error.status == status, "\(error)", sourceLocation: sourceLocation)
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.param == param, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        let expectedType = status == 404 || status == 413 || status == 400 ? "invalid_request_error" : ""
        #expect(error.type == expectedType, "\(error)", sourceLocation: sourceLocation)
    }
}
