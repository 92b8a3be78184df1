import Foundation
import GGUF
import Testing
@testable import Tokenizer

/// Every chat template llama.cpp 0c1e57098 ships (models/templates/*.jinja and the templates of its
/// tests/test-chat-template.cpp, fetched by scripts/fetch-test-data.sh), the templates of the models and
/// vocabularies at hand, rendered by llama-server's `/apply-template` for the same conversations
/// (Data/llamacpp-chat-templates.json, made by scripts/compare/chat-template-references.py). Each
/// template is either recognised and rendered byte for byte as llama-server renders it, or refused;
/// the templates of the families vkserve serves must be recognised.
@Suite("chat templates against llama-server")
struct ChatTemplateReferenceTests {
    struct Reference: Decodable {
        let date_string: String
        let templates: [Entry]
    }

    struct Entry: Decodable {
        let source: String
        let vocab: String
        let required: Bool
        let template: String?
        let server_refused: Bool?
        let cases: [Case]
    }

    struct Case: Decodable {
        let messages: [ChatMessage]
        let add_generation_prompt: Bool
        let prompt: String?
        let error: String?
    }

    /// What the tests read from a model or vocabulary file.
    struct VocabularyFile {
        let vocabulary: Vocabulary
        let template: String?
        let architecture: String
    }

    /// Each file parsed once: the reference names the same few files a hundred times, and parsing the
    /// 128k-token Llama 3 vocabulary's metadata dominated the test's time.
    static let files = Memo<VocabularyFile>()

    static let templates = Fixtures.root.appendingPathComponent("test-data/chat-templates")

    static let reference: Result<Reference, any Error> = Result {
        let url = Fixtures.root.appendingPathComponent("Tests/TokenizerTests/Data/llamacpp-chat-templates.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// The template text a source names, and the vocabulary that gives it its special tokens.
    static func load(_ entry: Entry) throws -> (text: String?, architecture: String, vocabulary: Vocabulary) {
        let file = try files.value(entry.vocab) {
            let f = try GGUFFile(path: try Fixtures.repositoryFile(entry.vocab))
            return VocabularyFile(vocabulary: try Vocabulary(file: f),
                                  template: f.metadata["tokenizer.chat_template"]?.string,
                                  architecture: f.metadata["general.architecture"]?.string ?? "")
        }
        let (kind, name) = entry.source.split(separator: ":", maxSplits: 1).map(String.init).pair
        let text: String?
        switch kind {
        case "file": text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
        case "test-cpp": text = try TestChatTemplateSource.templates(in: templates.appendingPathComponent("test-chat-template.cpp"))[name]
        case "inline": text = entry.template
        default: text = file.template
        }
        return (text, file.architecture, file.vocabulary)
    }

    static var now: Date {
        get throws {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone.current
            f.dateFormat = "dd MMM yyyy HH:mm"
            return try #require(f.date(from: try reference.get().date_string + " 12:00"))
        }
    }

    @Test func everyTemplateIsRenderedExactlyOrRefused() throws {
        let reference = try Self.reference.get()
        #expect(reference.templates.count >= 100, "llama.cpp ships over 100 templates; the reference file is short")
        var recognised: [String] = []
        for entry in reference.templates {
            let (text, architecture, vocabulary) = try Self.load(entry)
            if entry.source.hasPrefix("test-cpp:") || entry.source.hasPrefix("inline:") {
                #expect(text != nil, "\(entry.source): the template is missing from the test data")
            }
            let template: ChatTemplate
            do {
                template = try ChatTemplate(templateText: text, architecture: architecture, vocabulary: vocabulary)
            } catch {
                #expect(error.code == .unrecognised)
                #expect(!entry.required, "\(entry.source) must be recognised: \(error)")
                continue
            }
            recognised.append("\(entry.source) → \(template.name)")
            #expect(ChatTemplate.names.contains(template.name), "an operator cannot name \(template.name) in chat_template")
            #expect(entry.server_refused != true, "\(entry.source): llama-server refuses this template")
            for (i, c) in entry.cases.enumerated() {
                let label = "\(entry.source) [\(template.name)] case \(i)"
                let ours = Result { () throws(ChatTemplateError) in
                    try template.render(c.messages, addGenerationPrompt: c.add_generation_prompt, now: try! Self.now)
                }
                switch (ours, c.prompt) {
                case (.success(let text), let expected?):
                    if text != expected {
                        #expect(try Self.isPrefillSplice(expected: expected, ours: text, template: template, c),
                                "\(label): rendered\n\(text.debugDescription)\nllama-server\n\(expected.debugDescription)")
                    }
                case (.failure(let error), nil):
                    #expect(error.code == .invalidConversation, "\(label)")
                case (.success(let text), nil):
                    Issue.record("\(label): llama-server refused (\(c.error ?? "")) but this rendered \(text.debugDescription)")
                case (.failure(let error), let expected?):
                    Issue.record("\(label): refused (\(error)) but llama-server rendered \(expected.debugDescription)")
                }
            }
        }
        print("recognised \(recognised.count) of \(reference.templates.count) templates:\n  " + recognised.joined(separator: "\n  "))
    }

    /// The one deliberate difference: for a prefill, llama-server splices the text written without a reply
    /// prompt onto the part of the prompted text after their common prefix; where the first is not a prefix
    /// of the second (Phi-3 ends an unprompted text with EOS), that cuts a token in two
    /// (`<|endoftext|>assistant|>`). vkserve continues the prompted text instead. True when `expected` is
    /// exactly llama-server's splice and `ours` the prompted text plus the prefill.
    static func isPrefillSplice(expected: String, ours: String, template: ChatTemplate, _ c: Case) throws -> Bool {
        guard let prefill = c.messages.last, prefill.role == "assistant" else { return false }
        let history = Array(c.messages.dropLast())
        let plain = Array(try template.render(history, addGenerationPrompt: false, now: try now).utf8)
        let prompted = Array(try template.render(history, addGenerationPrompt: true, now: try now).utf8)
        guard !prompted.starts(with: plain) else { return false }
        let common = zip(plain, prompted).prefix { $0 == $1 }.count
        let splice = String(decoding: plain + prompted[common...], as: UTF8.self) + prefill.content
        return expected == splice && ours == String(decoding: prompted, as: UTF8.self) + prefill.content
    }
}

/// The template strings of llama.cpp's tests/test-chat-template.cpp: each `/* .name= */ "NAME",` line
/// followed by a `/* .template_str= */ "..."` line (or `U8C("...")`), C escapes undone.
enum TestChatTemplateSource {
    static func templates(in url: URL) throws -> [String: String] {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String: String] = [:]
        for (i, line) in lines.enumerated() where i + 1 < lines.count {
            guard let n = line.range(of: "/* .name= */"), let t = lines[i + 1].range(of: "/* .template_str= */"),
                  let name = literal(line[n.upperBound...]), let text = literal(lines[i + 1][t.upperBound...]) else { continue }
            out[name] = text
        }
        return out
    }

    static func literal(_ s: Substring) -> String? {
        var rest = s.drop { $0 == " " }
        if rest.hasPrefix("U8C(") { rest = rest.dropFirst(4) }
        guard rest.first == "\"" else { return nil }
        var bytes: [UInt8] = []
        var it = Array(rest.utf8).dropFirst().makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "\"") { return String(decoding: bytes, as: UTF8.self) }
            guard b == UInt8(ascii: "\\") else { bytes.append(b); continue }
            switch it.next() {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case let e?: bytes.append(e)
            case nil: return nil
            }
        }
        return nil
    }
}

final class Memo<Value>: @unchecked Sendable {
    private var values: [String: Value] = [:]
    private let lock = NSLock()

    func value(_ key: String, _ make: () throws -> Value) rethrows -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let v = values[key] { return v }
        let v = try make()
        values[key] = v
        return v
    }
}

private extension Array where Element == String {
    var pair: (String, String) { (self[0], count > 1 ? self[1] : "") }
}
