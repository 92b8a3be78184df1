import Engine
import Foundation
import WorkerProtocol

/// Turns `generate` messages into engine requests on a thread of its own, so a long prompt's tokenization never
/// holds up the protocol reader (cancels, health, drain) or the compute loop's steps. Generates and cancels pass
/// through one FIFO, so a cancel always reaches the loop after the request it names. A prompt whose bytes cannot
/// fit the context whatever its tokenization (more than `context` × the longest token's bytes) is refused
/// before it is tokenized.
final class PromptIntake: @unchecked Sendable {
    enum Item {
        case generate(GenerateRequest)
        case cancel(String)
    }

    /// Items that may wait; one more generate is refused as `overloaded`.
    static let maxQueued = 1024

    private let loop: ComputeLoop
    private let context: Int
    private let send: @Sendable (WorkerMessage) -> Void
    private let condition = NSCondition()
    private var items: [Item] = []
    private var finished = false
    /// Bytes of the longest token text: no token covers more of a prompt (4 for a byte-fallback character).
    private let maxTokenBytes: Int

    init(loop: ComputeLoop, context: Int, send: @escaping @Sendable (WorkerMessage) -> Void) {
        self.loop = loop
        self.context = context
        self.send = send
        let tokens = loop.generator.backend.model.tokenizer.vocabulary.tokens
        maxTokenBytes = max(4, tokens.reduce(0) { max($0, $1.utf8.count) })
        let thread = Thread { [self] in work() }
        thread.name = "prompt-intake"
        thread.stackSize = 16 << 20
        thread.start()
    }

    func post(_ item: Item) {
        condition.lock()
        if case .generate(let g) = item, items.count >= Self.maxQueued {
            condition.unlock()
            send(.error(ErrorReply(id: g.id, code: .overloaded,
                                   message: "\(Self.maxQueued) prompts are waiting to be tokenized")))
            return
        }
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Forgets the prompts still waiting (their supervisor went away).
    func dropQueued() {
        condition.lock()
        items.removeAll()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while items.isEmpty && !finished { condition.wait() }
            if finished {
                condition.unlock()
                return
            }
            let item = items.removeFirst()
            condition.unlock()
            switch item {
            case .cancel(let id):
                loop.post(.cancel(id))
            case .generate(let g):
                if let bytes = promptBytes(g), bytes > context * maxTokenBytes {
                    send(.error(ErrorReply(id: g.id, code: .promptTooLong, message: "the prompt is \(bytes) bytes: "
                        + "more tokens than this worker's context holds (\(context))")))
                    continue
                }
                switch RequestTranslation.request(g, model: loop.generator.backend.model, context: context) {
                case .accepted(let r): loop.post(.submit(r))
                case .refused(let e): send(.error(e))
                }
            }
        }
    }

    /// The prompt's text bytes, when it is text (token prompts are counted exactly by the translation).
    private func promptBytes(_ g: GenerateRequest) -> Int? {
        switch g.prompt {
        case .tokens: return nil
        case .text(let text): return text.utf8.count
        case .chat(let turns): return turns.reduce(0) { $0 + $1.content.utf8.count }
        }
    }
}
