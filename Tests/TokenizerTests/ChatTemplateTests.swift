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
        let template = try tokenizer.chatTemplate.get()
        #expect(template.family == .chatml)
        #expect(template.source == .metadata)
        #expect(try template.render(Self.conversation, addGenerationPrompt: true) == """
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
        let template = try Fixtures.tokenizer(Fixtures.smolLM).chatTemplate.get()
        #expect(try template.render([.user("Hi")], addGenerationPrompt: false) == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            Hi<|im_end|>

            """)
    }

    /// The Gemma 3 GGUF carries no template: the documented fallback for a gemma architecture is Gemma 3's
    /// layout, which folds the system message into the first user turn, calls the assistant `model` and
    /// trims contents. Its `<bos>` is left to the tokenizer, so encoding the chat does not double it.
    @Test func gemmaRendersTurns() throws {
        let tokenizer = try Fixtures.tokenizer(Fixtures.gemma)
        let template = try tokenizer.chatTemplate.get()
        #expect(template.family == .gemma)
        #expect(template.source == .fallback)
        #expect(template.name == "gemma3")
        let messages = Self.conversation.map { m in ChatMessage(role: m.role, content: m.content + "\n") }
        let text = try template.render(messages, addGenerationPrompt: true)
        #expect(text == """
            <start_of_turn>user
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
        #expect(ids == [tokenizer.bos] + tokenizer.encode(try template.render(Self.conversation, addGenerationPrompt: true),
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

    /// The operator's `chat_template` names a layout that replaces the model's; an unknown name is refused
    /// with the list of known ones.
    @Test func configuredLayoutReplacesTheModels() throws {
        let vocabulary = try Fixtures.tokenizer(Fixtures.smolLM).vocabulary
        let template = try ChatTemplate(named: "llama3", vocabulary: vocabulary)
        #expect(template.source == .configured)
        #expect(try template.render([.user(" Hi ")], addGenerationPrompt: true)
            .hasSuffix("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"))
        for name in ChatTemplate.names { _ = try ChatTemplate(named: name, vocabulary: vocabulary) }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(named: "vicuna", vocabulary: vocabulary) }
        do {
            _ = try ChatTemplate(named: "vicuna", vocabulary: vocabulary)
        } catch {
            #expect(error.code == .unrecognised)
            #expect(error.message.contains("mistral-v3-tekken"))
        }
    }

    /// A template of a family this build does not write is refused, naming the family as llama.cpp does;
    /// one of a known family written another way is refused too, never rendered as a guess.
    @Test func unknownTemplatesAreRefused() throws {
        let vocabulary = try Fixtures.tokenizer(Fixtures.smolLM).vocabulary
        let commandR = "{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + message['content'] }}"
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(templateText: commandR, architecture: "llama", vocabulary: vocabulary) }
        let odd = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + ': ' + message['content'] }}{% endfor %}"
        do {
            _ = try ChatTemplate(templateText: odd, architecture: "llama", vocabulary: vocabulary)
            Issue.record("a ChatML template with another layout was accepted")
        } catch {
            #expect(error.code == .unrecognised)
            #expect(error.message.contains("chatml template"))
        }
    }

    /// Conversations the template refuses are errors for the client, as in llama-server: two assistant
    /// messages at the end, roles that do not alternate where the template requires it.
    @Test func invalidConversationsAreRefused() throws {
        let tokenizer = try Fixtures.tokenizer(Fixtures.gemma)
        #expect(throws: ChatTemplateError.self) { try tokenizer.encodeChat([.user("a"), .assistant("b"), .assistant("c")]) }
        #expect(throws: ChatTemplateError.self) { try tokenizer.encodeChat([.user("a"), .user("b")]) }
        // A last assistant message is a prefill: the prompt ends with its text.
        let prefill = try tokenizer.chatTemplate.get().render([.user("Hi"), .assistant("Hello,")], addGenerationPrompt: true)
        #expect(prefill.hasSuffix("<start_of_turn>model\nHello,"))
    }

    @Test func defaultSystemMessageExtraction() {
        let qwenLike = "{%- else %}{{- '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}{%- endif %}"
        #expect(ChatTemplate.defaultSystemMessage(in: qwenLike) == "You are Qwen.")
        let noDefault = "{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
        #expect(ChatTemplate.defaultSystemMessage(in: noDefault) == nil)
    }
}
