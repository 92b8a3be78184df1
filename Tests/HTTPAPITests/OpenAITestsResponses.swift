import Foundation
import GenerationTypes
import HTTPAPI
import Testing
import WorkerProtocol

@Suite("OpenAI responses")
struct OpenAITestsResponses {
    typealias F = OpenAIFixture

    @Test("error body: message, type, param and code; null when nil")
    func errorBody() throws {
        let error = APIError.invalidType(param: "temperature", expected: "a number")
        #expect(error.status == 400)
        #expect(error.message == "temperature must be a number")
        let inner = try #require(try F.object(error.body())["error"] as? [String: Any])
        #expect(inner.count == 4)
        #expect(inner["message"] as? String == "temperature must be a number")
        #expect(inner["type"] as? String == "invalid_request_error")
        #expect(inner["param"] as? String == "temperature")
        #expect(inner["code"] as? String == "invalid_type")
        let bare = APIError(status: 500, type: "server_error", code: nil, param: nil, message: "a \"quoted\"\nline")
        let bareInner = try #require(try F.object(bare.body())["error"] as? [String: Any])
        #expect(bareInner["param"] is NSNull)
        #expect(bareInner["code"] is NSNull)
        #expect(bareInner["message"] as? String == "a \"quoted\"\nline")
        #expect(String(decoding: bare.body(), as: UTF8.self).contains(#""param":null,"code":null"#))
        #expect(error.description == "400 invalid_type (temperature): temperature must be a number")
    }

    @Test("the constructors' statuses, types and codes", arguments: [
        (APIError.invalidJSON("x"), 400, "invalid_request_error", "invalid_json"),
        (.invalidType(param: "p", expected: "a string"), 400, "invalid_request_error", "invalid_type"),
        (.missingParameter("p"), 400, "invalid_request_error", "missing_parameter"),
        (.invalidValue(param: "p", "bad"), 400, "invalid_request_error", "invalid_value"),
        (.unsupported(param: "p"), 400, "invalid_request_error", "unsupported_parameter"),
        (.maxTokensExceeded(requested: "9", limit: 5), 400, "invalid_request_error", "max_tokens_exceeded"),
        (.contextLengthExceeded("too long"), 400, "invalid_request_error", "context_length_exceeded"),
        (.modelNotFound("m", available: ["a"]), 404, "invalid_request_error", "model_not_found"),
        (.notFound(path: "GET /v2"), 404, "not_found_error", "not_found"),
        (.bodyTooLarge(limit: 1024), 413, "invalid_request_error", "body_too_large"),
        (.unauthorized, 401, "authentication_error", "invalid_api_key"),
        (.queueFull(retryAfter: 2), 429, "rate_limit_error", "queue_full"),
        (.noWorkerReady(reason: "loading"), 503, "service_unavailable_error", "no_worker_ready"),
        (.deadlineExceeded(after: .seconds(30)), 504, "timeout_error", "deadline_exceeded"),
        (.workerFailed("device lost"), 500, "server_error", "worker_failed"),
    ])
    func constructors(_ error: APIError, _ status: Int, _ type: String, _ code: String) throws {
        #expect(error.status == status)
        #expect(error.type == type)
        #expect(error.code == code)
        #expect(!error.message.isEmpty)
        let inner = try #require(try F.object(error.body())["error"] as? [String: Any])
        #expect(inner["code"] as? String == code)
        #expect(inner["type"] as? String == type)
    }

    @Test("constructor details: params, retry-after, messages")
    func constructorDetails() {
        #expect(APIError.queueFull(retryAfter: 2).retryAfter == 2)
        #expect(APIError.noWorkerReady(reason: "loading", retryAfter: 5).retryAfter == 5)
        #expect(APIError.noWorkerReady(reason: "loading").message.contains("loading"))
        #expect(APIError.unsupported(param: "n").param == "n")
        #expect(APIError.contextLengthExceeded("x", param: "messages").param == "messages")
        #expect(APIError.modelNotFound("m", available: []).message.contains("none"))
        #expect(APIError.deadlineExceeded(after: .seconds(30)).message.contains("30 s"))
        #expect(APIError.deadlineExceeded(after: .milliseconds(1500)).message.contains("1500 ms"))
        #expect(APIError.bodyTooLarge(limit: 1024).message.contains("1024"))
        #expect(APIError.notFound(path: "POST /v1/x").message.contains("POST /v1/x"))
        #expect(APIError.workerFailed("device lost").message == "device lost")
        #expect(APIError.unauthorized.retryAfter == nil)
    }

    @Test("finish reasons map to OpenAI's")
    func finishReasons() {
        #expect(FinishReason.stop.openAIFinishReason == "stop")
        #expect(FinishReason.length.openAIFinishReason == "length")
        #expect(FinishReason.deadline.openAIFinishReason == "length")
        #expect(FinishReason.cancelled.openAIFinishReason == "length")
        #expect(FinishReason.error.openAIFinishReason == "length")
    }

    @Test("text_completion")
    func completion() throws {
        let response = CompletionResponse(
            id: "cmpl-1", created: 1_700_000_000, model: "llama-3", text: "Hello \"world\"\n\u{1}😀",
            finishReason: .length, usage: Usage(promptTokens: 5, completionTokens: 7))
        let json = try F.object(response.json())
        #expect(json["id"] as? String == "cmpl-1")
        #expect(json["object"] as? String == "text_completion")
        #expect(json["created"] as? Int == 1_700_000_000)
        #expect(json["model"] as? String == "llama-3")
        let choices = try #require(json["choices"] as? [[String: Any]])
        #expect(choices.count == 1)
        #expect(choices[0]["index"] as? Int == 0)
        #expect(choices[0]["text"] as? String == "Hello \"world\"\n\u{1}😀")
        #expect(choices[0]["finish_reason"] as? String == "length")
        #expect(choices[0]["logprobs"] is NSNull)
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 5)
        #expect(usage["completion_tokens"] as? Int == 7)
        #expect(usage["total_tokens"] as? Int == 12)
        #expect((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 0)
        #expect(!response.json().contains(0x0A))
    }

    @Test("chat.completion")
    func chat() throws {
        let response = ChatCompletionResponse(
            id: "chatcmpl-1", created: 1, model: "alias", content: "Hi!", finishReason: .stop,
            usage: Usage(promptTokens: 10, completionTokens: 2, cachedTokens: 9))
        let json = try F.object(response.json())
        #expect(json["id"] as? String == "chatcmpl-1")
        #expect(json["object"] as? String == "chat.completion")
        #expect(json["created"] as? Int == 1)
        #expect(json["model"] as? String == "alias")
        let choices = try #require(json["choices"] as? [[String: Any]])
        #expect(choices.count == 1)
        #expect(choices[0]["index"] as? Int == 0)
        #expect(choices[0]["finish_reason"] as? String == "stop")
        let message = try #require(choices[0]["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect(message["content"] as? String == "Hi!")
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["total_tokens"] as? Int == 12)
        let details = try #require(usage["prompt_tokens_details"] as? [String: Any])
        #expect(details["cached_tokens"] as? Int == 9)
    }

    @Test("default ids and timestamps")
    func ids() throws {
        let none = Usage(promptTokens: 0, completionTokens: 0)
        let a = CompletionResponse(model: "m", text: "", finishReason: .stop, usage: none)
        let b = ChatCompletionResponse(model: "m", content: "", finishReason: .stop, usage: none)
        #expect(a.id.hasPrefix("cmpl-") && a.id.count == 29)
        #expect(b.id.hasPrefix("chatcmpl-") && b.id.count == 33)
        #expect(OpenAIResponseID.completion() != OpenAIResponseID.completion())
        #expect(abs(a.created - Int(Date().timeIntervalSince1970)) < 5)
        #expect(a.id.dropFirst(5).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
    }

    @Test("completion chunks: text, finish, usage")
    func completionChunks() throws {
        func chunk(_ body: StreamChunk.Body, usage: Bool) throws -> [String: Any] {
            try F.object(StreamChunk(.completion, id: "cmpl-9", created: 3, model: "m", body: body, includeUsage: usage).json())
        }
        let text = try chunk(.content("Hel"), usage: false)
        #expect(text["object"] as? String == "text_completion")
        #expect(text["id"] as? String == "cmpl-9")
        #expect(text["created"] as? Int == 3)
        #expect(text["model"] as? String == "m")
        #expect(text["usage"] == nil)
        let choice = try #require((text["choices"] as? [[String: Any]])?.first)
        #expect(choice["text"] as? String == "Hel")
        #expect(choice["index"] as? Int == 0)
        #expect(choice["finish_reason"] is NSNull)

        let finish = try chunk(.finish(.stop), usage: true)
        let last = try #require((finish["choices"] as? [[String: Any]])?.first)
        #expect(last["text"] as? String == "")
        #expect(last["finish_reason"] as? String == "stop")
        #expect(finish["usage"] is NSNull)

        let usage = try chunk(.usage(Usage(promptTokens: 3, completionTokens: 4)), usage: true)
        #expect((usage["choices"] as? [Any])?.isEmpty == true)
        let counts = try #require(usage["usage"] as? [String: Any])
        #expect(counts["prompt_tokens"] as? Int == 3)
        #expect(counts["completion_tokens"] as? Int == 4)
        #expect(counts["total_tokens"] as? Int == 7)
    }

    @Test("chat chunks: start, content, finish, usage")
    func chatChunks() throws {
        func chunk(_ body: StreamChunk.Body, usage: Bool = false) throws -> [String: Any] {
            let chunk = StreamChunk(.chat, id: "c-1", created: 9, model: "m", body: body, includeUsage: usage)
            return try F.object(chunk.json())
        }
        func choice(_ json: [String: Any]) throws -> [String: Any] {
            try #require((json["choices"] as? [[String: Any]])?.first)
        }
        let start = try chunk(.start)
        #expect(start["object"] as? String == "chat.completion.chunk")
        #expect(start["id"] as? String == "c-1")
        #expect(start["usage"] == nil)
        let startChoice = try choice(start)
        #expect(startChoice["index"] as? Int == 0)
        #expect(startChoice["finish_reason"] is NSNull)
        let startDelta = try #require(startChoice["delta"] as? [String: Any])
        #expect(startDelta.count == 2)
        #expect(startDelta["role"] as? String == "assistant")
        #expect(startDelta["content"] as? String == "")

        let content = try chunk(.content("lo"), usage: true)
        let delta = try #require(try choice(content)["delta"] as? [String: Any])
        #expect(delta.count == 1)
        #expect(delta["content"] as? String == "lo")
        #expect(content["usage"] is NSNull)

        let finish = try choice(try chunk(.finish(.deadline)))
        #expect((finish["delta"] as? [String: Any])?.isEmpty == true)
        #expect(finish["finish_reason"] as? String == "length")

        let usage = try chunk(.usage(Usage(promptTokens: 1, completionTokens: 2)), usage: true)
        #expect((usage["choices"] as? [Any])?.isEmpty == true)
        #expect((usage["usage"] as? [String: Any])?["total_tokens"] as? Int == 3)
    }

    @Test("server-sent event framing")
    func serverSentEvents() throws {
        #expect(ServerSentEvents.event(Array("{}".utf8)) == Array("data: {}\n\n".utf8))
        #expect(ServerSentEvents.done == Array("data: [DONE]\n\n".utf8))
        let error = APIError.workerFailed("boom")
        #expect(ServerSentEvents.error(error) == Array("data: ".utf8) + error.body() + [0x0A, 0x0A])
        // A chunk whose text holds newlines is still one event: the JSON escapes them.
        let chunk = StreamChunk(.chat, id: "c", created: 0, model: "m", body: .content("a\n\nb\r\n")).json()
        let event = ServerSentEvents.event(chunk)
        #expect(event.filter { $0 == 0x0A }.count == 2)
        #expect(event.suffix(2) == [0x0A, 0x0A])
        let payload = Array(event.dropFirst(6).dropLast(2))
        let parsed = try F.object(payload)
        let text = ((parsed["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String
        #expect(text == "a\n\nb\r\n")
    }

    @Test("model list")
    func models() throws {
        let list = ModelList(ids: ["llama-3", "alias"], created: 42)
        let json = try F.object(list.json())
        #expect(json["object"] as? String == "list")
        let data = try #require(json["data"] as? [[String: Any]])
        #expect(data.count == 2)
        #expect(data.map { $0["id"] as? String } == ["llama-3", "alias"])
        for model in data {
            #expect(model["object"] as? String == "model")
            #expect(model["created"] as? Int == 42)
            #expect(model["owned_by"] as? String == "vkserve")
        }
        let one = try F.object(try #require(list.json(model: "alias")))
        #expect(one["id"] as? String == "alias")
        #expect(one["object"] as? String == "model")
        #expect(list.json(model: "gpt-4") == nil)
        #expect(try F.object(ModelList(ids: [], created: 0).json())["data"] as? [Any] != nil)
    }
}
