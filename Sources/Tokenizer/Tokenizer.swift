import Foundation
import GGUF

/// Text ↔ token ids for one model, built once from its GGUF metadata and shared across threads.
///
/// Encoding matches llama.cpp's `llama_tokenize`: special tokens written in the text are matched
/// first (when `parseSpecial`), the text between them goes through the model's algorithm
/// (byte-level BPE or SentencePiece), and BOS/EOS are added as the model's flags say (when `addSpecial`).
public final class Tokenizer: Sendable {
    public let vocabulary: Vocabulary
    /// The chat format the model expects, or why there is none this build can write.
    public let chatTemplate: Result<ChatTemplate, ChatTemplateError>

    private enum Algorithm: Sendable {
        case bpe(BPETokenizer)
        case sentencePiece(SentencePieceTokenizer)
    }

    private let algorithm: Algorithm
    private let specials: SpecialTokenMatcher
    /// What each token stands for, as bytes, with control and unknown tokens spelled as their text.
    private let pieces: ByteStringTable.Pieces

    /// Builds the tokenizer from a model file.
    public convenience init(file: GGUFFile, chatTemplate: String? = nil) throws(TokenizerError) {
        try self.init(metadata: file.metadata, source: file.path, chatTemplate: chatTemplate)
    }

    /// Builds the tokenizer from GGUF metadata; `source` names the model in error messages.
    /// `chatTemplate` names a chat layout that replaces the one the model's template gives
    /// (the operator's `chat_template` setting; see `ChatTemplate.names`).
    public init(metadata: [String: GGUFValue], source: String = "model", chatTemplate named: String? = nil) throws(TokenizerError) {
        let vocabulary = try Vocabulary(metadata: metadata, source: source)
        self.vocabulary = vocabulary
        switch vocabulary.model {
        case .bpe, .gemma4:
            let merges = try MetadataReader(metadata: metadata, source: source).strings("tokenizer.ggml.merges")
            algorithm = .bpe(try BPETokenizer(vocabulary: vocabulary, merges: merges, source: source))
        case .sentencePiece:
            algorithm = .sentencePiece(SentencePieceTokenizer(vocabulary: vocabulary))
        }
        specials = SpecialTokenMatcher(vocabulary: vocabulary)
        pieces = ByteStringTable.Pieces(vocabulary: vocabulary)
        let architecture = metadata["general.architecture"]?.string ?? ""
        chatTemplate = Result { () throws(ChatTemplateError) in
            if let named { return try ChatTemplate(named: named, vocabulary: vocabulary) }
            return try ChatTemplate(templateText: metadata["tokenizer.chat_template"]?.string, architecture: architecture,
                                    vocabulary: vocabulary)
        }
    }

    /// The beginning-of-sequence id (llama.cpp's default when the metadata names none), -1 when the
    /// vocabulary has no such token.
    public var bos: Int32 { vocabulary.bos ?? -1 }
    /// The end-of-sequence id, -1 when the vocabulary has none. See also `isEndOfGeneration`.
    public var eos: Int32 { vocabulary.eos ?? -1 }
    /// Whether `encode(addSpecial: true)` starts with BOS (`tokenizer.ggml.add_bos_token`).
    public var addsBOS: Bool { vocabulary.addBOS && vocabulary.bos != nil }
    public var vocabularySize: Int { vocabulary.count }

    /// Whether generating `id` ends a turn (EOS, `<|im_end|>`, `<end_of_turn>`, ...).
    public func isEndOfGeneration(_ id: Int32) -> Bool { vocabulary.endOfGeneration.contains(id) }

    /// The token ids of `text`.
    /// - Parameters:
    ///   - addSpecial: add BOS (and EOS) where the model's `add_bos_token` (`add_eos_token`) asks for it.
    ///   - parseSpecial: match control tokens written in the text (`<|im_start|>`); user-defined
    ///     tokens are matched either way, as in llama.cpp.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = []
        if addSpecial && vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        var text = text
        text.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count / 3 + 2)
            var afterSpecial = true
            for fragment in specials.partition(bytes, parseSpecial: parseSpecial) {
                switch fragment {
                case .token(let id):
                    out.append(id)
                    afterSpecial = true
                case .text(let range):
                    let piece = UnsafeBufferPointer(rebasing: bytes[range])
                    switch algorithm {
                    case .bpe(let bpe): bpe.encode(piece, into: &out)
                    case .sentencePiece(let spm): spm.encode(piece, afterSpecial: afterSpecial, into: &out)
                    }
                    afterSpecial = false
                }
            }
        }
        if addSpecial && vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    /// The bytes token `id` stands for: BPE's byte alphabet undone, U+2581 as a space, `<0xXX>` as that byte.
    /// Control and unknown tokens are empty unless `renderSpecial`; unused slots and ids outside
    /// the vocabulary are always empty.
    public func tokenBytes(_ id: Int32, renderSpecial: Bool = false) -> [UInt8] {
        guard let type = vocabulary.type(of: id) else { return [] }
        if !renderSpecial && (type == .control || type == .unknown) { return [] }
        return Array(pieces.bytes(Int(id)))
    }

    /// Appends the bytes of `id` to `buffer` without an intermediate array.
    public func appendBytes(of id: Int32, to buffer: inout [UInt8], renderSpecial: Bool = false) {
        guard let type = vocabulary.type(of: id) else { return }
        if !renderSpecial && (type == .control || type == .unknown) { return }
        buffer.append(contentsOf: pieces.bytes(Int(id)))
    }

    /// The text of a sequence of tokens; bytes that are not valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids { appendBytes(of: id, to: &bytes, renderSpecial: renderSpecial) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Renders `messages` with the model's chat template and encodes the result with the model's BOS
    /// (the template's own BOS is not doubled: `ChatTemplate.render` leaves it to the tokenizer, as
    /// llama.cpp does). A last assistant message is a prefill the reply continues.
    public func encodeChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, now: Date = Date()) throws(ChatTemplateError) -> [Int32] {
        let text = try chatTemplate.get().render(messages, addGenerationPrompt: addGenerationPrompt, now: now)
        return encode(text, addSpecial: true, parseSpecial: true)
    }
}

extension ByteStringTable {
    /// Every token's decoded bytes, back to back.
    struct Pieces: Sendable {
        let storage: [UInt8]
        let offsets: [Int32]

        func bytes(_ id: Int) -> ArraySlice<UInt8> { storage[Int(offsets[id]) ..< Int(offsets[id + 1])] }

        init(vocabulary: Vocabulary) {
            let table = vocabulary.table
            var storage: [UInt8] = []
            storage.reserveCapacity(table.storage.count)
            var offsets: [Int32] = [0]
            offsets.reserveCapacity(table.count + 1)
            for id in 0 ..< table.count {
                let raw = table.bytes(id)
                switch vocabulary.types[id] {
                case .control, .unknown, .userDefined:
                    storage.append(contentsOf: raw)
                case .unused, .undefined:
                    break
                case .byte:
                    if let b = ByteTokenName.byte(raw) { storage.append(b) } else { Self.appendNormal(raw, vocabulary, &storage) }
                case .normal:
                    Self.appendNormal(raw, vocabulary, &storage)
                }
                offsets.append(Int32(storage.count))
            }
            self.storage = storage
            self.offsets = offsets
        }

        private static func appendNormal(_ raw: ArraySlice<UInt8>, _ vocabulary: Vocabulary, _ out: inout [UInt8]) {
            switch vocabulary.model {
            case .sentencePiece, .gemma4:
                // U+2581 (E2 96 81) → space.
                var i = raw.startIndex
                while i < raw.endIndex {
                    if raw[i] == 0xE2, i + 2 < raw.endIndex, raw[i + 1] == 0x96, raw[i + 2] == 0x81 {
                        out.append(0x20)
                        i += 3
                    } else {
                        out.append(raw[i])
                        i += 1
                    }
                }
            case .bpe:
                if raw.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
                    out.append(contentsOf: raw)  // printable ASCII spells itself
                } else {
                    out.append(contentsOf: ByteLevelAlphabet.decode(String(decoding: raw, as: UTF8.self)))
                }
            }
        }
    }
}
