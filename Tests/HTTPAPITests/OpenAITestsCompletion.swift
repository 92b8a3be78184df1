import GenerationTypes
import HTTPAPI
import Testing
import WorkerProtocol

@Suite("OpenAI completions decoding")
struct OpenAITestsCompletion {
    typealias F = OpenAIFixture

    @Test("defaults: served model, max tokens, OpenAI sampling")
    func defaults() throws {
        let request = try F.completion(#"{"prompt":"Once upon"}"#)
        #expect(request.kind == .completion)
        #expect(request.model == "llama-3")
        #expect(request.prompt == .text("Once upon"))
        #expect(request.maxTokens == 256)
        #expect(request.stop == [])
        #expect(request.stream == false)
        #expect(request.includeUsage == false)
        let s = request.sampling
        #expect(s.temperature == 1)
        #expect(s.topP == 1)
        #expect(s.topK == 0)
        #expect(s.minP == 0)
        #expect(s.repeatPenalty == 1)
        #expect(s.repeatLastN == 64)
        #expect(s.seed == nil)
    }

    @Test("explicit nulls count as absent")
    func nulls() throws {
        let body = #"""
            {"prompt":"x","model":null,"max_tokens":null,"temperature":null,"top_p":null,"seed":null,"stop":null,
             "n":null,"stream":null,"stream_options":null,"top_k":null,"min_p":null,"repeat_penalty":null,
             "repeat_last_n":null,"logprobs":null,"logit_bias":null,"suffix":null,"best_of":null,"echo":null,
             "frequency_penalty":null,"presence_penalty":null}
            """#
        let request = try F.completion(body)
        #expect(request == (try F.completion(#"{"prompt":"x"}"#)))
        #expect(request.maxTokens == 256)
    }

    @Test("the default max tokens is capped at the limit")
    func defaultCapped() throws {
        let limits = APILimits(maxTokens: 100, defaultMaxTokens: 256, modelIDs: ["m"])
        #expect(try F.completion(#"{"prompt":"x"}"#, limits: limits).maxTokens == 100)
    }

    @Test("a named model is kept; an empty model list accepts any")
    func models() throws {
        #expect(try F.completion(#"{"prompt":"x","model":"alias"}"#).model == "alias")
        #expect(try F.completion(#"{"prompt":"x","model":"llama-3"}"#).model == "llama-3")
        let open = APILimits(maxTokens: 10, modelIDs: [])
        #expect(try F.completion(#"{"prompt":"x","model":"anything"}"#, limits: open).model == "anything")
        #expect(try F.completion(#"{"prompt":"x"}"#, limits: open).model == "")
    }

    @Test("the unknown model error lists the available ones")
    func unknownModel() throws {
        let error = try #require(F.completionError(#"{"prompt":"x","model":"gpt-4"}"#))
        #expect(error.status == 404)
        #expect(error.code == "model_not_found")
        #expect(error.param == "model")
        #expect(error.message.contains("gpt-4"))
        #expect(error.message.contains("llama-3, alias"))
    }

    @Test("prompt shapes: string, one string, token ids, one array of token ids")
    func promptShapes() throws {
        #expect(try F.completion(#"{"prompt":""}"#).prompt == .text(""))
        #expect(try F.completion(#"{"prompt":["only one"]}"#).prompt == .text("only one"))
        #expect(try F.completion(#"{"prompt":[1,2,3]}"#).prompt == .tokens([1, 2, 3]))
        #expect(try F.completion(#"{"prompt":[0,2147483647]}"#).prompt == .tokens([0, 2_147_483_647]))
        #expect(try F.completion(#"{"prompt":[[4,5]]}"#).prompt == .tokens([4, 5]))
        #expect(try F.completion(#"{"prompt":[7.0]}"#).prompt == .tokens([7]))
    }

    @Test("max_tokens: given, at the limit, whole-valued float")
    func maxTokens() throws {
        #expect(try F.completion(F.completionBody(#""max_tokens":10"#)).maxTokens == 10)
        #expect(try F.completion(F.completionBody(#""max_tokens":1"#)).maxTokens == 1)
        #expect(try F.completion(F.completionBody(#""max_tokens":1000"#)).maxTokens == 1000)
        #expect(try F.completion(F.completionBody(#""max_tokens":2.0"#)).maxTokens == 2)
        #expect(try F.completion(F.completionBody(#""max_tokens":5e1"#)).maxTokens == 50)
        // max_completion_tokens is chat's name for it; completions ignore it like any unknown member.
        #expect(try F.completion(F.completionBody(#""max_completion_tokens":"x""#)).maxTokens == 256)
    }

    @Test("sampling members, including the llama.cpp extensions")
    func sampling() throws {
        let body = F.completionBody(
            #""temperature":0,"top_p":0.9,"top_k":40,"min_p":0.05,"repeat_penalty":1.1,"repeat_last_n":128,"seed":42"#)
        let s = try F.completion(body).sampling
        #expect(s == Sampling(temperature: 0, topK: 40, topP: 0.9, minP: 0.05, repeatPenalty: 1.1, repeatLastN: 128,
                              seed: 42))
        #expect(try F.completion(F.completionBody(#""temperature":2"#)).sampling.temperature == 2)
        #expect(try F.completion(F.completionBody(#""top_k":0,"min_p":1"#)).sampling.minP == 1)
        #expect(try F.completion(F.completionBody(#""repeat_last_n":0"#)).sampling.repeatLastN == 0)
        let whole = try F.completion(F.completionBody(#""repeat_last_n":-1"#)).sampling.repeatLastN
        #expect(whole == OpenAIDecoder.wholeContextWindow)
        #expect(whole == Int(Int32.max))
    }

    @Test("seed: negative by bit pattern, the full 64-bit range")
    func seeds() throws {
        func seed(_ literal: String) throws -> UInt64? {
            try F.completion(F.completionBody("\"seed\":\(literal)")).sampling.seed
        }
        #expect(try seed("0") == 0)
        #expect(try seed("-1") == UInt64.max)
        #expect(try seed("-2") == UInt64.max - 1)
        #expect(try seed("-9223372036854775808") == 1 << 63)
        #expect(try seed("9223372036854775807") == UInt64(Int64.max))
        #expect(try seed("18446744073709551615") == UInt64.max)
    }

    @Test("stop: a string, an array, empty strings dropped")
    func stops() throws {
        func stop(_ literal: String) throws -> [String] {
            try F.completion(F.completionBody("\"stop\":\(literal)")).stop
        }
        #expect(try stop(#""\n""#) == ["\n"])
        #expect(try stop(#""""#) == [])
        #expect(try stop("[]") == [])
        #expect(try stop(#"["a","","b"]"#) == ["a", "b"])
        #expect(try stop(#"["1","2","3","4"]"#) == ["1", "2", "3", "4"])
    }

    @Test("stop: at most 16 strings of at most 256 UTF-8 bytes, else 400 invalid_value with param stop")
    func stopLimits() throws {
        func stop(_ strings: [String]) -> Result<[String], APIError> {
            let literal = "[" + strings.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            return Result { () throws(APIError) in try F.completion(F.completionBody("\"stop\":\(literal)")).stop }
        }
        let sixteen = (0 ..< 16).map { "s\($0)" }
        #expect(try stop(sixteen).get() == sixteen)
        let atLimit = String(repeating: "é", count: 128)  // 256 bytes, 128 characters
        #expect(try stop([atLimit]).get() == [atLimit])

        guard case .failure(let many) = stop(sixteen + ["s16"]) else {
            Issue.record("17 stop strings accepted")
            return
        }
        #expect(many.status == 400 && many.type == "invalid_request_error" && many.param == "stop")
        #expect(many.message == "stop may hold at most 16 strings, got 17")

        guard case .failure(let long) = stop(["a", atLimit + "x"]) else { Issue.record("257 bytes accepted"); return }
        #expect(long.status == 400 && long.param == "stop" && long.code == "invalid_value")
        #expect(long.message == "stop[1] is 257 bytes of UTF-8; a stop string may have at most 256")
        let single = F.completionError(F.completionBody("\"stop\":\"\(String(repeating: "x", count: 300))\""))
        #expect(single?.param == "stop" && single?.message.contains("300 bytes") == true)
    }

    @Test("stream and stream_options.include_usage")
    func streaming() throws {
        let plain = try F.completion(F.completionBody(#""stream":true"#))
        #expect(plain.stream && !plain.includeUsage)
        let usage = try F.completion(F.completionBody(#""stream":true,"stream_options":{"include_usage":true}"#))
        #expect(usage.stream && usage.includeUsage)
        let off = try F.completion(F.completionBody(#""stream":true,"stream_options":{"include_usage":false}"#))
        #expect(off.stream && !off.includeUsage)
        let empty = try F.completion(F.completionBody(#""stream":true,"stream_options":{"other":1}"#))
        #expect(empty.stream && !empty.includeUsage)
        #expect(try !F.completion(F.completionBody(#""stream":false"#)).stream)
    }

    @Test("the default values of unsupported features are accepted; unknown members ignored")
    func acceptedDefaults() throws {
        let body = F.completionBody(
            #""n":1,"best_of":1,"echo":false,"logprobs":false,"frequency_penalty":0,"presence_penalty":0.0,"#
                + #""logit_bias":{},"suffix":"","user":"u","metadata":{"a":"b"},"store":false,"#
                + #""tools":[{"type":"function"}],"unknown":[1,{"x":null}]"#)
        #expect(try F.completion(body) == (try F.completion(F.completionBody())))
    }

    @Test("the worker request carries everything")
    func generateRequest() throws {
        let body = F.completionBody(#""max_tokens":7,"stop":["x"],"seed":-1,"temperature":0.5"#)
        let request = try F.completion(body)
        let g = request.generateRequest(id: "r1", deadlineMs: 5000)
        #expect(g.id == "r1")
        #expect(g.prompt == .text("hi"))
        #expect(g.maxTokens == 7)
        #expect(g.stop == ["x"])
        #expect(g.sampling == request.sampling)
        #expect(g.sampling.seed == UInt64.max)
        #expect(g.deadlineMs == 5000)
        #expect(g.ignoreEos == false)
        #expect(g.addSpecial == true)
        #expect(request.generateRequest(id: "r2", deadlineMs: nil).deadlineMs == nil)
        // llama.cpp's benchmark extension.
        let through = try F.completion(F.completionBody(#""ignore_eos":true"#))
        #expect(through.generateRequest(id: "r3", deadlineMs: nil).ignoreEos == true)
        #expect(throws: APIError.self) { try F.completion(F.completionBody(#""ignore_eos":"yes""#)) }
    }

    static let errors: [OpenAIErrorCase] = [
        // Bodies that are no JSON object.
        .init("", 400, "invalid_json", nil),
        .init("[1,2]", 400, "invalid_json", nil),
        .init(#""prompt""#, 400, "invalid_json", nil),
        .init("null", 400, "invalid_json", nil),
        .init(#"{"prompt":"a",}"#, 400, "invalid_json", nil),
        .init(#"{"prompt":"a"} x"#, 400, "invalid_json", nil),
        .init(#"{"prompt":"a""#, 400, "invalid_json", nil),
        .init(#"{prompt:"a"}"#, 400, "invalid_json", nil),
        .init(#"{"prompt":'a'}"#, 400, "invalid_json", nil),
        .init(#"{"prompt":"a","max_tokens":01}"#, 400, "invalid_json", nil),
        .init(#"{"prompt":"a","max_tokens":NaN}"#, 400, "invalid_json", nil),
        .init(#"{"prompt":"a\x"}"#, 400, "invalid_json", nil),
        .init("{\"prompt\":\"a\nb\"}", 400, "invalid_json", nil),
        // model
        .init(#"{"prompt":"a","model":5}"#, 400, "invalid_type", "model"),
        .init(#"{"prompt":"a","model":"gpt-4"}"#, 404, "model_not_found", "model"),
        // prompt
        .init("{}", 400, "missing_parameter", "prompt"),
        .init(#"{"prompt":null}"#, 400, "missing_parameter", "prompt"),
        .init(#"{"prompt":5}"#, 400, "invalid_type", "prompt"),
        .init(#"{"prompt":{"text":"a"}}"#, 400, "invalid_type", "prompt"),
        .init(#"{"prompt":[]}"#, 400, "invalid_value", "prompt"),
        .init(#"{"prompt":["a","b"]}"#, 400, "unsupported_parameter", "prompt"),
        .init(#"{"prompt":["a",1]}"#, 400, "invalid_type", "prompt[1]"),
        .init(#"{"prompt":[1,"a"]}"#, 400, "invalid_type", "prompt[1]"),
        .init(#"{"prompt":[1,-1]}"#, 400, "invalid_value", "prompt[1]"),
        .init(#"{"prompt":[2147483648]}"#, 400, "invalid_value", "prompt[0]"),
        .init(#"{"prompt":[1.5]}"#, 400, "invalid_type", "prompt[0]"),
        .init(#"{"prompt":[true]}"#, 400, "invalid_type", "prompt[0]"),
        .init(#"{"prompt":[[1,2],[3]]}"#, 400, "unsupported_parameter", "prompt"),
        .init(#"{"prompt":[[1,"x"]]}"#, 400, "invalid_type", "prompt[0][1]"),
        .init(#"{"prompt":[[1],2]}"#, 400, "invalid_type", "prompt[1]"),
        .init(#"{"prompt":[[]]}"#, 400, "invalid_value", "prompt[0]"),
        // max_tokens
        .init(#"{"prompt":"a","max_tokens":"5"}"#, 400, "invalid_type", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":true}"#, 400, "invalid_type", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":1.5}"#, 400, "invalid_type", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":0}"#, 400, "invalid_value", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":-3}"#, 400, "invalid_value", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":-99999999999999999999}"#, 400, "invalid_value", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":1001}"#, 400, "max_tokens_exceeded", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":99999999999999999999}"#, 400, "max_tokens_exceeded", "max_tokens"),
        .init(#"{"prompt":"a","max_tokens":1e30}"#, 400, "max_tokens_exceeded", "max_tokens"),
        // temperature, top_p
        .init(#"{"prompt":"a","temperature":"1"}"#, 400, "invalid_type", "temperature"),
        .init(#"{"prompt":"a","temperature":true}"#, 400, "invalid_type", "temperature"),
        .init(#"{"prompt":"a","temperature":2.01}"#, 400, "invalid_value", "temperature"),
        .init(#"{"prompt":"a","temperature":-0.1}"#, 400, "invalid_value", "temperature"),
        .init(#"{"prompt":"a","temperature":1e999}"#, 400, "invalid_value", "temperature"),
        .init(#"{"prompt":"a","top_p":0}"#, 400, "invalid_value", "top_p"),
        .init(#"{"prompt":"a","top_p":1.1}"#, 400, "invalid_value", "top_p"),
        .init(#"{"prompt":"a","top_p":1e-300}"#, 400, "invalid_value", "top_p"),
        .init(#"{"prompt":"a","top_p":[1]}"#, 400, "invalid_type", "top_p"),
        // seed
        .init(#"{"prompt":"a","seed":1.5}"#, 400, "invalid_type", "seed"),
        .init(#"{"prompt":"a","seed":"1"}"#, 400, "invalid_type", "seed"),
        .init(#"{"prompt":"a","seed":18446744073709551616}"#, 400, "invalid_value", "seed"),
        .init(#"{"prompt":"a","seed":-9223372036854775809}"#, 400, "invalid_value", "seed"),
        // stop
        .init(#"{"prompt":"a","stop":5}"#, 400, "invalid_type", "stop"),
        .init(#"{"prompt":"a","stop":{"s":"x"}}"#, 400, "invalid_type", "stop"),
        .init(#"{"prompt":"a","stop":["a",1]}"#, 400, "invalid_type", "stop[1]"),
        // More than 16 stop strings (OpenAI allows 4; this server 16).
        .init(#"{"prompt":"a","stop":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}"#, 400,
              "invalid_value", "stop"),
        // n
        .init(#"{"prompt":"a","n":2}"#, 400, "unsupported_parameter", "n"),
        .init(#"{"prompt":"a","n":99999999999999999999}"#, 400, "unsupported_parameter", "n"),
        .init(#"{"prompt":"a","n":0}"#, 400, "invalid_value", "n"),
        .init(#"{"prompt":"a","n":"1"}"#, 400, "invalid_type", "n"),
        .init(#"{"prompt":"a","n":1.5}"#, 400, "invalid_type", "n"),
        // stream, stream_options
        .init(#"{"prompt":"a","stream":"true"}"#, 400, "invalid_type", "stream"),
        .init(#"{"prompt":"a","stream":1}"#, 400, "invalid_type", "stream"),
        .init(#"{"prompt":"a","stream_options":{"include_usage":true}}"#, 400, "invalid_value", "stream_options"),
        .init(#"{"prompt":"a","stream":false,"stream_options":{}}"#, 400, "invalid_value", "stream_options"),
        .init(#"{"prompt":"a","stream":true,"stream_options":true}"#, 400, "invalid_type", "stream_options"),
        .init(
            #"{"prompt":"a","stream":true,"stream_options":{"include_usage":"yes"}}"#, 400, "invalid_type",
            "stream_options.include_usage"),
        // llama.cpp extensions
        .init(#"{"prompt":"a","top_k":-1}"#, 400, "invalid_value", "top_k"),
        .init(#"{"prompt":"a","top_k":1.5}"#, 400, "invalid_type", "top_k"),
        .init(#"{"prompt":"a","top_k":"3"}"#, 400, "invalid_type", "top_k"),
        .init(#"{"prompt":"a","top_k":99999999999999999999}"#, 400, "invalid_value", "top_k"),
        .init(#"{"prompt":"a","min_p":1.5}"#, 400, "invalid_value", "min_p"),
        .init(#"{"prompt":"a","min_p":-0.1}"#, 400, "invalid_value", "min_p"),
        .init(#"{"prompt":"a","min_p":"0"}"#, 400, "invalid_type", "min_p"),
        .init(#"{"prompt":"a","repeat_penalty":0}"#, 400, "invalid_value", "repeat_penalty"),
        .init(#"{"prompt":"a","repeat_penalty":-1}"#, 400, "invalid_value", "repeat_penalty"),
        .init(#"{"prompt":"a","repeat_penalty":1e39}"#, 400, "invalid_value", "repeat_penalty"),
        .init(#"{"prompt":"a","repeat_penalty":null,"repeat_last_n":-2}"#, 400, "invalid_value", "repeat_last_n"),
        .init(#"{"prompt":"a","repeat_last_n":0.5}"#, 400, "invalid_type", "repeat_last_n"),
        // unsupported OpenAI features
        .init(#"{"prompt":"a","frequency_penalty":0.5}"#, 400, "unsupported_parameter", "frequency_penalty"),
        .init(#"{"prompt":"a","presence_penalty":-1}"#, 400, "unsupported_parameter", "presence_penalty"),
        .init(#"{"prompt":"a","frequency_penalty":3}"#, 400, "invalid_value", "frequency_penalty"),
        .init(#"{"prompt":"a","presence_penalty":"0"}"#, 400, "invalid_type", "presence_penalty"),
        .init(#"{"prompt":"a","logit_bias":{"50256":-100}}"#, 400, "unsupported_parameter", "logit_bias"),
        .init(#"{"prompt":"a","logit_bias":[]}"#, 400, "invalid_type", "logit_bias"),
        .init(#"{"prompt":"a","logprobs":1}"#, 400, "unsupported_parameter", "logprobs"),
        .init(#"{"prompt":"a","logprobs":0}"#, 400, "unsupported_parameter", "logprobs"),
        .init(#"{"prompt":"a","logprobs":true}"#, 400, "unsupported_parameter", "logprobs"),
        .init(#"{"prompt":"a","logprobs":"x"}"#, 400, "invalid_type", "logprobs"),
        .init(#"{"prompt":"a","suffix":"x"}"#, 400, "unsupported_parameter", "suffix"),
        .init(#"{"prompt":"a","suffix":5}"#, 400, "invalid_type", "suffix"),
        .init(#"{"prompt":"a","best_of":2}"#, 400, "unsupported_parameter", "best_of"),
        .init(#"{"prompt":"a","best_of":0}"#, 400, "invalid_value", "best_of"),
        .init(#"{"prompt":"a","echo":true}"#, 400, "unsupported_parameter", "echo"),
        .init(#"{"prompt":"a","echo":"no"}"#, 400, "invalid_type", "echo"),
    ]

    @Test("every malformed or unsupported body gets its status, code and param", arguments: errors)
    func errorCases(_ c: OpenAIErrorCase) {
        c.check(F.completionError(c.body))
    }

    @Test("error messages say what was expected")
    func messages() throws {
        let hot = F.completionError(F.completionBody(#""temperature":"hot""#))
        #expect(hot?.message == "temperature must be a number")
        #expect(F.completionError(F.completionBody(#""max_tokens":1.5"#))?.message == "max_tokens must be an integer")
        #expect(F.completionError(F.completionBody(#""stream":1"#))?.message == "stream must be a boolean")
        let exceeded = try #require(F.completionError(F.completionBody(#""max_tokens":5000"#)))
        #expect(exceeded.message.contains("5000") && exceeded.message.contains("1000"))
    }
}
