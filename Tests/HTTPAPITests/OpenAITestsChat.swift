import GenerationTypes
import HTTPAPI
import Testing
import WorkerProtocol

@Suite("OpenAI chat completions decoding")
struct OpenAITestsChat {
    typealias F = OpenAIFixture

    @Test("defaults, and the conversation becomes chat turns")
    func defaults() throws {
        let body = #"""
            {"model":"llama-3","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","content":"Hi"},
              {"role":"assistant","content":"Hello!"},
              {"role":"user","content":"Bye","name":"bob"}]}
            """#
        let request = try F.chat(body)
        #expect(request.kind == .chat)
        #expect(request.model == "llama-3")
        #expect(
            request.prompt
                == .chat([
                    ChatTurn(role: "system", content: "Be brief."), ChatTurn(role: "user", content: "Hi"),
                    ChatTurn(role: "assistant", content: "Hello!"), ChatTurn(role: "user", content: "Bye"),
                ]))
        #expect(request.maxTokens == 256)
        #expect(request.sampling == Sampling(temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1))
        #expect(request.stop == [] && !request.stream && !request.includeUsage)
        #expect(try F.chat(#"{"messages":[{"role":"user","content":"x"}]}"#).model == "llama-3")
    }

    @Test("developer becomes system")
    func developer() throws {
        let body = #"{"messages":[{"role":"developer","content":"Rules"},{"role":"user","content":"x"}]}"#
        let request = try F.chat(body)
        #expect(
            request.prompt
                == .chat([ChatTurn(role: "system", content: "Rules"), ChatTurn(role: "user", content: "x")]))
    }

    @Test("content parts of type text are concatenated")
    func contentParts() throws {
        let body = #"""
            {"messages":[{"role":"user","content":[{"type":"text","text":"Hello, "},{"type":"text","text":"world"}]},
                         {"role":"assistant","content":[]}]}
            """#
        let request = try F.chat(body)
        #expect(
            request.prompt
                == .chat([ChatTurn(role: "user", content: "Hello, world"), ChatTurn(role: "assistant", content: "")]))
    }

    @Test("max_completion_tokens is preferred over max_tokens")
    func maxCompletionTokens() throws {
        #expect(try F.chat(F.chatBody(#""max_tokens":10"#)).maxTokens == 10)
        #expect(try F.chat(F.chatBody(#""max_completion_tokens":20"#)).maxTokens == 20)
        #expect(try F.chat(F.chatBody(#""max_tokens":10,"max_completion_tokens":20"#)).maxTokens == 20)
        #expect(try F.chat(F.chatBody(#""max_completion_tokens":20,"max_tokens":10"#)).maxTokens == 20)
        #expect(try F.chat(F.chatBody(#""max_tokens":10,"max_completion_tokens":null"#)).maxTokens == 10)
    }

    @Test("shared members work as for completions")
    func shared() throws {
        let body = F.chatBody(
            #""stop":"END","seed":-5,"temperature":0.2,"top_k":5,"#
                + #""stream":true,"stream_options":{"include_usage":true}"#)
        let request = try F.chat(body)
        #expect(request.stop == ["END"])
        #expect(request.sampling.seed == UInt64(bitPattern: -5))
        #expect(request.sampling.temperature == 0.2)
        #expect(request.sampling.topK == 5)
        #expect(request.stream && request.includeUsage)
    }

    @Test("the default values of unsupported features are accepted; unknown members ignored")
    func acceptedDefaults() throws {
        let body = F.chatBody(
            #""n":1,"logprobs":false,"top_logprobs":0,"frequency_penalty":0,"presence_penalty":0,"logit_bias":{},"#
                + #""tools":[],"functions":[],"tool_choice":"none","function_call":"auto","parallel_tool_calls":true,"#
                + #""response_format":{"type":"text"},"user":"u","store":true,"metadata":{},"echo":true,"suffix":"s""#)
        #expect(try F.chat(body) == (try F.chat(F.chatBody())))
        let noCalls =
            #"{"messages":[{"role":"assistant","content":"a","tool_calls":[]},{"role":"user","content":"b"}]}"#
        #expect(
            try F.chat(noCalls).prompt
                == .chat([.init(role: "assistant", content: "a"), .init(role: "user", content: "b")]))
    }

    static let errors: [OpenAIErrorCase] = [
        .init("[]", 400, "invalid_json", nil),
        .init(#"{"messages":[{"role":"user","content":"x"}]"#, 400, "invalid_json", nil),
        .init(#"{"model":"nope","messages":[{"role":"user","content":"x"}]}"#, 404, "model_not_found", "model"),
        .init(#"{"model":["llama-3"],"messages":[{"role":"user","content":"x"}]}"#, 400, "invalid_type", "model"),
        // messages
        .init("{}", 400, "missing_parameter", "messages"),
        .init(#"{"prompt":"x"}"#, 400, "missing_parameter", "messages"),
        .init(#"{"messages":null}"#, 400, "missing_parameter", "messages"),
        .init(#"{"messages":"hi"}"#, 400, "invalid_type", "messages"),
        .init(#"{"messages":{"role":"user","content":"x"}}"#, 400, "invalid_type", "messages"),
        .init(#"{"messages":[]}"#, 400, "invalid_value", "messages"),
        .init(#"{"messages":["hi"]}"#, 400, "invalid_type", "messages[0]"),
        .init(#"{"messages":[{"content":"x"}]}"#, 400, "missing_parameter", "messages[0].role"),
        .init(#"{"messages":[{"role":1,"content":"x"}]}"#, 400, "invalid_type", "messages[0].role"),
        .init(#"{"messages":[{"role":"banana","content":"x"}]}"#, 400, "invalid_value", "messages[0].role"),
        .init(
            #"{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"},"#
                + #"{"role":"tool","content":"z","tool_call_id":"c"}]}"#,
            400, "unsupported_parameter", "messages[2].role"),
        .init(
            #"{"messages":[{"role":"function","name":"f","content":"z"}]}"#, 400, "unsupported_parameter",
            "messages[0].role"),
        .init(
            #"{"messages":[{"role":"user","content":"x"},"#
                + #"{"role":"assistant","content":null,"tool_calls":[{"id":"c"}]}]}"#,
            400, "unsupported_parameter", "messages[1].tool_calls"),
        .init(
            #"{"messages":[{"role":"assistant","content":null,"function_call":{"name":"f"}}]}"#, 400,
            "unsupported_parameter", "messages[0].function_call"),
        .init(#"{"messages":[{"role":"user"}]}"#, 400, "missing_parameter", "messages[0].content"),
        .init(#"{"messages":[{"role":"user","content":null}]}"#, 400, "missing_parameter", "messages[0].content"),
        .init(#"{"messages":[{"role":"user","content":5}]}"#, 400, "invalid_type", "messages[0].content"),
        .init(
            #"{"messages":[{"role":"user","content":{"type":"text"}}]}"#, 400, "invalid_type", "messages[0].content"),
        .init(
            #"{"messages":[{"role":"user","content":[{"type":"text","text":"a"},"#
                + #"{"type":"image_url","image_url":{"url":"u"}}]}]}"#,
            400, "unsupported_parameter", "messages[0].content[1].type"),
        .init(
            #"{"messages":[{"role":"user","content":[{"type":"input_audio"}]}]}"#, 400, "unsupported_parameter",
            "messages[0].content[0].type"),
        .init(#"{"messages":[{"role":"user","content":["x"]}]}"#, 400, "invalid_type", "messages[0].content[0]"),
        .init(
            #"{"messages":[{"role":"user","content":[{"text":"x"}]}]}"#, 400, "missing_parameter",
            "messages[0].content[0].type"),
        .init(
            #"{"messages":[{"role":"user","content":[{"type":7,"text":"x"}]}]}"#, 400, "invalid_type",
            "messages[0].content[0].type"),
        .init(
            #"{"messages":[{"role":"user","content":[{"type":"text"}]}]}"#, 400, "missing_parameter",
            "messages[0].content[0].text"),
        .init(
            #"{"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}"#, 400, "invalid_type",
            "messages[0].content[0].text"),
        // tools and formats
        .init(
            F.chatBody(#""tools":[{"type":"function","function":{"name":"f"}}]"#), 400, "unsupported_parameter",
            "tools"),
        .init(F.chatBody(#""tools":{}"#), 400, "invalid_type", "tools"),
        .init(F.chatBody(#""functions":[{"name":"f"}]"#), 400, "unsupported_parameter", "functions"),
        .init(F.chatBody(#""tool_choice":"required""#), 400, "unsupported_parameter", "tool_choice"),
        .init(F.chatBody(#""tool_choice":{"type":"function"}"#), 400, "unsupported_parameter", "tool_choice"),
        .init(F.chatBody(#""tool_choice":5"#), 400, "invalid_type", "tool_choice"),
        .init(F.chatBody(#""function_call":{"name":"f"}"#), 400, "unsupported_parameter", "function_call"),
        .init(
            F.chatBody(#""response_format":{"type":"json_object"}"#), 400, "unsupported_parameter", "response_format"),
        .init(F.chatBody(#""response_format":"json""#), 400, "invalid_type", "response_format"),
        .init(F.chatBody(#""response_format":{}"#), 400, "missing_parameter", "response_format.type"),
        .init(F.chatBody(#""response_format":{"type":1}"#), 400, "invalid_type", "response_format.type"),
        .init(F.chatBody(#""top_logprobs":2"#), 400, "unsupported_parameter", "top_logprobs"),
        .init(F.chatBody(#""top_logprobs":"2""#), 400, "invalid_type", "top_logprobs"),
        .init(F.chatBody(#""logprobs":true"#), 400, "unsupported_parameter", "logprobs"),
        // shared members
        .init(F.chatBody(#""max_completion_tokens":2000"#), 400, "max_tokens_exceeded", "max_completion_tokens"),
        .init(F.chatBody(#""max_completion_tokens":0"#), 400, "invalid_value", "max_completion_tokens"),
        .init(F.chatBody(#""max_completion_tokens":"9""#), 400, "invalid_type", "max_completion_tokens"),
        .init(F.chatBody(#""max_tokens":"9","max_completion_tokens":9"#), 400, "invalid_type", "max_tokens"),
        .init(F.chatBody(#""max_tokens":1001"#), 400, "max_tokens_exceeded", "max_tokens"),
        .init(F.chatBody(#""n":3"#), 400, "unsupported_parameter", "n"),
        .init(F.chatBody(#""temperature":3"#), 400, "invalid_value", "temperature"),
        .init(F.chatBody(#""stream_options":{"include_usage":true}"#), 400, "invalid_value", "stream_options"),
        .init(F.chatBody(#""stop":[1]"#), 400, "invalid_type", "stop[0]"),
        .init(F.chatBody(#""presence_penalty":0.1"#), 400, "unsupported_parameter", "presence_penalty"),
    ]

    @Test("every malformed or unsupported body gets its status, code and param", arguments: errors)
    func errorCases(_ c: OpenAIErrorCase) {
        c.check(F.chatError(c.body))
    }
}
