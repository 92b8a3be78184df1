/// An error answered to an API client, in OpenAI's shape:
/// `{"error":{"message":…,"type":…,"param":…,"code":…}}` with an HTTP status.
///
/// `type` is OpenAI's broad class (`invalid_request_error`, `authentication_error`, `not_found_error`,
/// `rate_limit_error`, `server_error`, `timeout_error`, `service_unavailable_error`); `code` is the
/// machine-readable reason (`invalid_json`, `invalid_type`, `missing_parameter`, `invalid_value`,
/// `unsupported_parameter`, `model_not_found`, `context_length_exceeded`, `max_tokens_exceeded`,
/// `body_too_large`, `invalid_api_key`, `queue_full`, `no_worker_ready`, `deadline_exceeded`,
/// `worker_failed`, `not_found`); `param` names the offending request field, as a path such as
/// `messages[2].content[0].type` or `stream_options.include_usage`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    /// OpenAI's error type.
    public var type: String
    /// The machine-readable reason, or `nil`.
    public var code: String?
    /// The offending request parameter, or `nil`.
    public var param: String?
    /// The error in words, for people.
    public var message: String
    /// Seconds after which a retry may succeed, for a `Retry-After` header (429 and 503); not in the body.
    public var retryAfter: Int?

    /// An error with every field given.
    public init(status: Int, type: String, code: String?, param: String?, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
        self.retryAfter = retryAfter
    }

    /// `400 invalid_type (temperature): temperature must be a number`.
    public var description: String {
        var text = "\(status) \(code ?? type)"
        if let param { text += " (\(param))" }
        return text + ": " + message
    }

    /// The response body: `{"error":{"message":…,"type":…,"param":…,"code":…}}`, with `param` and `code`
    /// null when nil.
    public func body() -> [UInt8] {
        OpenAIJSONOutput.object([
            "error": .object([
                "message": .string(message),
                "type": .string(type),
                "param": .optionalString(param),
                "code": .optionalString(code),
            ])
        ]).bytes
    }
}

extension APIError {
    private static func badRequest(_ code: String, param: String?, _ message: String) -> APIError {
        APIError(status: 400, type: "invalid_request_error", code: code, param: param, message: message)
    }

    /// 400 `invalid_json`: the body is not JSON, or not a JSON object; `detail` says what and where.
    public static func invalidJSON(_ detail: String) -> APIError {
        badRequest("invalid_json", param: nil, "We could not parse the JSON body of your request: \(detail)")
    }

    /// 400 `invalid_type`: `param` has the wrong JSON type; `expected` is the type with its article ("a number").
    public static func invalidType(param: String, expected: String) -> APIError {
        badRequest("invalid_type", param: param, "\(param) must be \(expected)")
    }

    /// 400 `missing_parameter`: the required `param` is absent or null.
    public static func missingParameter(_ param: String) -> APIError {
        badRequest("missing_parameter", param: param, "you must provide \(param)")
    }

    /// 400 `invalid_value`: `param` has the right type but a value out of range; `message` says which values are.
    public static func invalidValue(param: String, _ message: String) -> APIError {
        badRequest("invalid_value", param: param, message)
    }

    /// 400 `unsupported_parameter`: `param` (or that value of it) is valid OpenAI but not supported by this server.
    public static func unsupported(param: String, _ detail: String? = nil) -> APIError {
        badRequest("unsupported_parameter", param: param, detail ?? "\(param) is not supported by this server")
    }

    /// 400 `max_tokens_exceeded`: `param` (`max_tokens` or `max_completion_tokens`) asks for more than `limit`.
    public static func maxTokensExceeded(param: String = "max_tokens", requested: String, limit: Int) -> APIError {
        badRequest(
            "max_tokens_exceeded", param: param, "\(param) is \(requested); this server allows at most \(limit)")
    }

    /// 400 `context_length_exceeded`: the prompt, plus what is to be generated, does not fit the model's context.
    public static func contextLengthExceeded(_ message: String, param: String? = nil) -> APIError {
        badRequest("context_length_exceeded", param: param, message)
    }

    /// 404 `model_not_found`, with OpenAI's type `invalid_request_error`; the message lists the models served.
    public static func modelNotFound(_ model: String, available: [String]) -> APIError {
        let list = available.isEmpty ? "none" : available.joined(separator: ", ")
        return APIError(
            status: 404, type: "invalid_request_error", code: "model_not_found", param: "model",
            message: "The model '\(model)' does not exist; available models: \(list)")
    }

    /// 404 `not_found`: no route for `path` (include the method for clarity: `POST /v1/foo`).
    public static func notFound(path: String) -> APIError {
        APIError(status: 404, type: "not_found_error", code: "not_found", param: nil, message: "Invalid URL (\(path))")
    }

    /// 413 `body_too_large`: the body is over `limit` bytes.
    public static func bodyTooLarge(limit: Int) -> APIError {
        APIError(
            status: 413, type: "invalid_request_error", code: "body_too_large", param: nil,
            message: "The request body is larger than \(limit) bytes")
    }

    /// 401 `invalid_api_key`: the `Authorization: Bearer` key is absent or wrong.
    public static let unauthorized = APIError(
        status: 401, type: "authentication_error", code: "invalid_api_key", param: nil,
        message: "Incorrect or missing API key; pass it as 'Authorization: Bearer <key>'")

    /// 429 `queue_full`: too many requests are waiting; retry after `retryAfter` seconds.
    public static func queueFull(retryAfter: Int) -> APIError {
        APIError(
            status: 429, type: "rate_limit_error", code: "queue_full", param: nil,
            message: "The server is busy: its request queue is full; retry after \(retryAfter) s",
            retryAfter: retryAfter)
    }

    /// 503 `no_worker_ready`: no worker can take the request (`reason`: loading, restarting, failed over…).
    public static func noWorkerReady(reason: String, retryAfter: Int? = nil) -> APIError {
        APIError(
            status: 503, type: "service_unavailable_error", code: "no_worker_ready", param: nil,
            message: "No worker is ready to serve the request: \(reason)", retryAfter: retryAfter)
    }

    /// 504 `deadline_exceeded`: the request did not finish within `after`.
    public static func deadlineExceeded(after: Duration) -> APIError {
        let ms = after.components.seconds * 1000 + after.components.attoseconds / 1_000_000_000_000_000
        let text = ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
        return APIError(
            status: 504, type: "timeout_error", code: "deadline_exceeded", param: nil,
            message: "The request did not finish within its deadline of \(text)")
    }

    /// 500 `worker_failed`: the worker serving the request failed; `message` says how.
    public static func workerFailed(_ message: String) -> APIError {
        APIError(status: 500, type: "server_error", code: "worker_failed", param: nil, message: message)
    }
}
