import HTTPAPI
import Testing
import WorkerProtocol

@Suite("OpenAI request JSON parsing")
struct OpenAITestsJSON {
    typealias F = OpenAIFixture

    @Test("string escapes, surrogate pairs, lone surrogates, raw UTF-8")
    func strings() throws {
        let body = #"{"prompt":"\"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \udead \u4E2D é😀"}"#
        let expected = "\"q\" \\ / \u{8}\u{C}\n\r\t é 😀 \u{FFFD} 中 é😀"
        #expect(try F.completion(body).prompt == .text(expected))
        #expect(try F.completion(#"{"prompt":"\ud83d"}"#).prompt == .text("\u{FFFD}"))
        #expect(try F.completion(#"{"prompt":"\ud83dx"}"#).prompt == .text("\u{FFFD}x"))
        #expect(try F.completion(#"{"prompt":"\ud83d\u0041"}"#).prompt == .text("\u{FFFD}A"))
    }

    @Test("whitespace, a byte order mark, duplicate members (the last wins)")
    func layout() throws {
        #expect(try F.completion(" \t\r\n{ \"prompt\" : \"a\" , \"max_tokens\" : 3 }\n ").maxTokens == 3)
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"prompt":"a"}"#.utf8)
        #expect(try OpenAIDecoder.completion(bom, limits: F.limits).prompt == .text("a"))
        #expect(try F.completion(#"{"prompt":"a","max_tokens":3,"max_tokens":4}"#).maxTokens == 4)
    }

    @Test("numbers: exponents, negative zero, fractions and integers")
    func numbers() throws {
        let s = try F.completion(F.completionBody(#""temperature":1.5E-1,"top_p":1E0,"min_p":-0.0e0"#)).sampling
        #expect(abs(s.temperature - 0.15) < 1e-6)
        #expect(s.minP == 0 && s.topP == 1)
        // top_p -0 is not in (0, 1].
        #expect(F.completionError(F.completionBody(#""top_p":-0.0"#))?.code == "invalid_value")
        #expect(try F.completion(F.completionBody(#""temperature":0e5"#)).sampling.temperature == 0)
        #expect(try F.completion(F.completionBody(#""max_tokens":1E2"#)).maxTokens == 100)
    }

    @Test("invalid JSON errors say where", arguments: [
        (#"{"prompt":"a",}"#, "line 1, column 15 (byte 14)"),
        ("{\n  \"prompt\": x}", "line 2, column 13"),
        (#"{"prompt":"a"} x"#, "after the JSON value"),
        (#"{"prompt":"a""#, "expected ',' or '}'"),
        (#"{"prompt":"a"#, "inside a string"),
        (#"{"prompt":tru}"#, "'true'"),
        (#"{"prompt":-}"#, "expected a digit"),
        (#"{"prompt":1.}"#, "after '.'"),
        (#"{"prompt":1e}"#, "exponent"),
        (#"{"prompt":"a","max_tokens":01}"#, "leading zeros"),
        (#"{"prompt":"\u12G4"}"#, "hexadecimal"),
        (#"{"prompt":"\q"}"#, "escape"),
        ("{\"prompt\":\"\u{1}\"}", "control character"),
        ("[1]", "not an array"),
        ("\"x\"", "not a string"),
        ("3", "not a number"),
        ("", "end of input"),
    ])
    func positions(_ body: String, _ fragment: String) throws {
        let error = try #require(F.completionError(body))
        #expect(error.status == 400)
        #expect(error.code == "invalid_json")
        #expect(error.param == nil)
        #expect(error.message.contains(fragment), "\(error.message)")
    }

    @Test("invalid UTF-8 in a string is invalid JSON")
    func invalidUTF8() throws {
        for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]] {
            let body = Array(#"{"prompt":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(throws: APIError.self) { try OpenAIDecoder.completion(body, limits: F.limits) }
            do {
                _ = try OpenAIDecoder.completion(body, limits: F.limits)
            } catch {
                #expect(error.code == "invalid_json")
                #expect(error.message.contains("UTF-8"))
            }
        }
        // Outside strings too.
        let outside = Array(#"{"prompt":"a"}"#.utf8) + [0xFF]
        #expect(throws: APIError.invalidJSON("unexpected data after the JSON value at line 1, column 15 (byte 14)")) {
            try OpenAIDecoder.completion(outside, limits: F.limits)
        }
    }

    @Test("deep nesting is refused without exhausting the stack; moderate nesting is fine")
    func nesting() throws {
        let deep = String(repeating: "[", count: 200_000)
        let error = try #require(F.completionError(#"{"prompt":"a","x":"# + deep))
        #expect(error.code == "invalid_json")
        #expect(error.message.contains("nested"))
        let moderate = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try F.completion(#"{"prompt":"a","x":"# + moderate + "}").prompt == .text("a"))
        let objects = String(repeating: #"{"a":"#, count: 120) + "1" + String(repeating: "}", count: 120)
        #expect(try F.completion(#"{"prompt":"a","x":"# + objects + "}").prompt == .text("a"))
    }
}
