import Foundation
import HTTPAPI
import TestHarness
import Testing
import WorkerProtocol
@Suite("OpenAI decoding of random input")
struct OpenAITestsFuzz {
    typealias F = OpenAIFixture

    static let keys = [
        "model", "prompt", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop",
        "n", "stream", "stream_options", "top_k", "min_p", "repeat_penalty", "repeat_last_n", "frequency_penalty",
        "presence_penalty", "logit_bias", "logprobs", "top_logprobs", "tools", "tool_choice", "functions",
        "function_call", "response_format", "suffix", "best_of", "echo", "user", "role", "content", "type", "text",
        "include_usage",
    ]

    static let completionBody =
        #"{"model":"llama-3","prompt":"Say hi","max_tokens":16,"temperature":0.7,"top_p":0.9,"seed":-3,"#
        + #""stop":["\n","END"],"stream":true,"stream_options":{"include_usage":true},"top_k":40,"n":1}"#
    static let chatBody =
        #"{"model":"alias","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"#
        + #"[{"type":"text","text":"Hi"},{"type":"text","text":"!"}]}],"max_completion_tokens":32,"seed":7,"#
        + #""stop":"x","logprobs":false,"response_format":{"type":"text"},"min_p":0.1,"repeat_last_n":-1}"#

    /// Decodes `body` both ways, checking each outcome is a valid request or a 400/404 error with a param
    /// wherever the code implies one. Returns the errors' codes.
    @discardableResult
    static func check(_ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> [String?] {
        var codes: [String?] = []
        for kind in [InferenceRequest.Kind.completion, .chat] {
            do {
                let request =
                    kind == .chat
                    ? try OpenAIDecoder.chat(body, limits: F.limits)
                    : try OpenAIDecoder.completion(body, limits: F.limits)
                #expect(request.kind == kind, sourceLocation: sourceLocation)
                #expect((1...F.limits.maxTokens).contains(request.maxTokens), sourceLocation: sourceLocation)
                #expect(request.stop.count <= 4 && !request.stop.contains(""), sourceLocation: sourceLocation)
                #expect((0...2).contains(request.sampling.temperature), sourceLocation: sourceLocation)
                #expect(request.sampling.topP > 0 && request.sampling.topP <= 1, sourceLocation: sourceLocation)
                #expect(request.sampling.repeatPenalty > 0, sourceLocation: sourceLocation)
                #expect(request.sampling.repeatLastN >= 0, sourceLocation: sourceLocation)
                #expect(request.sampling.topK >= 0, sourceLocation: sourceLocation)
                #expect(!request.includeUsage || request.stream, sourceLocation: sourceLocation)
                #expect(F.limits.modelIDs.contains(request.model), sourceLocation: sourceLocation)
                codes.append(nil)
            } catch {
                #expect(error.status == 400 || error.status == 404, "\(error)", sourceLocation: sourceLocation)
                #expect(error.status != 404 || error.code == "model_not_found", sourceLocation: sourceLocation)
                if error.code != "invalid_json" {
                    #expect(error.param != nil, "\(error)", sourceLocation: sourceLocation)
                }
                #expect((try? F.object(error.body())) != nil, sourceLocation: sourceLocation)
                codes.append(error.code)
            }
        }
        return codes
    }

    @Test("2000 random byte strings decode or fail with a 400/404")
    func randomBytes() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        let alphabet = Array(#"{}[]:,"\ 0123456789-+.eEtrufalsn"#.utf8) + [0x0A, 0xC3, 0xA9, 0xFF, 0x00]
        var invalid = 0
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<120, using: &rng)
            let body: [UInt8] = (0..<count).map { _ in
                Bool.random(using: &rng)
                    ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            if Self.check(body).contains("invalid_json") { invalid += 1 }
        }
        // Nearly all random bytes are not JSON: the parser must have said so.
        #expect(invalid > 1900)
    }

    @Test("2000 byte-level mutations of valid bodies decode or fail with a 400/404")
    func byteMutations() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        let originals = [Array(Self.completionBody.utf8), Array(Self.chatBody.utf8)]
        // The unmutated bodies are valid for their endpoints.
        #expect(try OpenAIDecoder.completion(originals[0], limits: F.limits).includeUsage)
        #expect(try OpenAIDecoder.chat(originals[1], limits: F.limits).sampling.repeatLastN == Int(Int32.max))
        var decoded = 0
        for i in 0..<2000 {
            var body = originals[i % 2]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<body.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: body[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: body.remove(at: at)
                case 2: body.insert(Array(#"{}[]",:0-9e"#.utf8).randomElement(using: &rng)!, at: at)
                default: body[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                }
                if body.isEmpty { break }
            }
            if Self.check(body).contains(nil) { decoded += 1 }
        }
        // Some mutations land in string contents and leave a valid body.
        #expect(decoded > 20)
    }

    /// A random JSON value, as Foundation would serialize it.
    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> Any {
        switch Int.random(in: 0..<(depth > 2 ? 8 : 11), using: &rng) {
        case 0: return NSNull()
        case 1: return Bool.random(using: &rng)
        case 2: return Int.random(in: -3...3, using: &rng)
        case 3: return Int64.random(in: .min ... .max, using: &rng)
        case 4: return Double.random(in: -3...3, using: &rng)
        case 5: return [0.0, 1.0, 2.0, 1e300, -1e-300, 0.5, 4096.0].randomElement(using: &rng)!
        case 6: return ["", "text", "user", "system", "tool", "image_url", "llama-3", "\u{0}\n😀", "1"]
            .randomElement(using: &rng)!
        case 7: return Int.random(in: 0...2_000, using: &rng)
        case 8, 9:
            return (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                object[keys.randomElement(using: &rng)!] = randomValue(&rng, depth: depth + 1)
            }
            return object
        }
    }

    /// `value` with one member or element somewhere replaced, removed or added.
    static func mutate(_ value: Any, _ rng: inout SplitMix64) -> Any {
        if var object = value as? [String: Any] {
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll < 4, let key = object.keys.sorted().randomElement(using: &rng) {
                object[key] = mutate(object[key]!, &rng)
            } else if roll < 6, let key = object.keys.sorted().randomElement(using: &rng) {
                object[key] = randomValue(&rng)
            } else if roll < 7, let key = object.keys.sorted().randomElement(using: &rng) {
                object.removeValue(forKey: key)
            } else {
                object[keys.randomElement(using: &rng)!] = randomValue(&rng)
            }
            return object
        }
        if var array = value as? [Any], !array.isEmpty {
            let at = Int.random(in: 0..<array.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: array[at] = mutate(array[at], &rng)
            case 1: array[at] = randomValue(&rng)
            case 2: array.remove(at: at)
            default: array.insert(randomValue(&rng), at: at)
            }
            return array
        }
        return randomValue(&rng)
    }

    @Test("2000 JSON mutations of valid bodies decode or fail with a 400/404, never as invalid JSON")
    func jsonMutations() throws {
        var rng = SplitMix64(seed: 0x5EED_0003)
        let originals = try [Self.completionBody, Self.chatBody].map {
            try JSONSerialization.jsonObject(with: Data($0.utf8))
        }
        var outcomes: [String?: Int] = [:]
        for i in 0..<2000 {
            var value = originals[i % 2]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { value = Self.mutate(value, &rng) }
            let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
            let codes = Self.check(Array(data))
            #expect(!codes.contains("invalid_json"), "\(String(decoding: data, as: UTF8.self))")
            outcomes[codes[i % 2], default: 0] += 1
        }
        // The mutations reach both outcomes and most kinds of error.
        #expect(outcomes[nil, default: 0] > 50)
        let kinds = ["invalid_type", "invalid_value", "unsupported_parameter", "missing_parameter", "model_not_found"]
        for code in kinds {
            #expect(outcomes[code, default: 0] > 10, "\(code): \(outcomes)")
        }
    }
}
