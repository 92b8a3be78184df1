import Foundation
import Testing
import Tokenizer

@Suite struct ChatTemplateTests {
    static let conversation: [ChatMessage] = [
        .system("You are terse."),
        .user("What is 2+2?"),
        .assistant("4"),
        .user("And 3+3?"),
    ]

    @Test func smolLMRendersChatML() throws {
        let tokenizer = try Fixtures.tokenizer(Fixtures.smolLM)
        let template = try #require(tokenizer.chatTemplate)
        #expect(template.family == .chatml)
        #expect(template.source == .metadata)
        #expect(!template.rendersBOS)
        #expect(template.render(messages: Self.conversation, addGenerationPrompt: true) == """
            <|im_start|>system
            You are terse.<|im_end|>
            <|im_start|>user
            What is 2+2?<|im_end|>
            <|im_start|>assistant
            4<|im_end|>
            <|im_start|>user
            And 3+3?<|im_end|>
            <|im_start|>assistant

            """)
    }

    /// SmolLM2's template writes its own system message when the conversation has none.
    @Test func smolLMInsertsDefaultSystemMessage() throws {
        let template = try #require(try Fixtures.tokenizer(Fixtures.smolLM).chatTemplate)
        #expect(template.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(template.render(messages: [.user("Hi")], addGenerationPrompt: false) == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            Hi<|im_end|>

            """)
    }

    /// Gemma folds the system message into the first user turn, calls the assistant `model`, trims
    /// contents and starts with `<bos>`; encoding the chat does not double the BOS.
    @Test func gemmaRendersTurns() throws {
        let tokenizer = try Fixtures.tokenizer(Fixtures.gemma)
        let template = try #require(tokenizer.chatTemplate)
        #expect(template.family == .gemma)
        #expect(template.rendersBOS)
        let messages = Self.conversation.map { m in ChatMessage(role: m.role, content: m.content + "\n") }
        let text = template.render(messages: messages, addGenerationPrompt: true)
        #expect(text == """
            <bos><start_of_turn>user
            You are terse.


            What is 2+2?<end_of_turn>
            <start_of_turn>model
            4<end_of_turn>
            <start_of_turn>user
            And 3+3?<end_of_turn>
            <start_of_turn>model

            """)
        let ids = try tokenizer.encodeChat(Self.conversation)
        #expect(ids.first == tokenizer.bos)
        #expect(ids.dropFirst().first != tokenizer.bos)
        #expect(ids == tokenizer.encode(template.render(messages: Self.conversation, addGenerationPrompt: true),
                                        addSpecial: false))
        let startOfTurn = tokenizer.vocabulary.id(of: "<start_of_turn>")!
        #expect(ids[1] == startOfTurn)
    }

    @Test func chatMLTokensAreSpecial() throws {
        let tokenizer = try Fixtures.tokenizer(Fixtures.smolLM)
        let ids = try tokenizer.encodeChat([.user("Hi")])
        let imStart = tokenizer.vocabulary.id(of: "<|im_start|>")!
        #expect(ids.first == imStart)
        #expect(ids.filter { $0 == imStart }.count == 3)
    }

    @Test func chatMessageIsCodable() throws {
        let json = #"{"role":"user","content":"hi"}"#
        let m = try JSONDecoder().decode(ChatMessage.self, from: Data(json.utf8))
        #expect(m == .user("hi"))
        let back = try JSONDecoder().decode(ChatMessage.self, from: JSONEncoder().encode(m))
        #expect(back == m)
    }

    @Test func defaultSystemMessageExtraction() {
        let qwenLike = "{%- else %}{{- '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}{%- endif %}"
        #expect(ChatTemplate.defaultSystemMessage(in: qwenLike) == "You are Qwen.")
        let noDefault = "{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
        #expect(ChatTemplate.defaultSystemMessage(in: noDefault) == nil)
    }
}
