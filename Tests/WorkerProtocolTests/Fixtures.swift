import GenerationTypes
import WorkerProtocol

/// One or more instances of every message, with edge values: extremes, unicode, escapes, nil and non-nil optionals.
enum Fixtures {
    static let heartbeat = Heartbeat(
        sequence: 42, state: .busy, inFlight: 3, queued: 1, steps: 1_000_000, tokens: UInt64.max,
        requestsDone: 17,
        memory: MemoryFigures(vramUsed: 6 << 30, vramBudget: 16 << 30, rss: nil, kvReserved: 1 << 28),
        uptimeS: 3600.125)

    static let supervisorMessages: [SupervisorMessage] = [
        .hello(Hello(client: "vkserved 0.1.0")),
        .hello(Hello(version: 99, client: "")),
        .generate(
            GenerateRequest(id: "req-1", prompt: .tokens([1, 15043, 29892, Int32.max, Int32.min]), maxTokens: 16)),
        .generate(GenerateRequest(id: "req-2", prompt: .tokens([]), maxTokens: 0)),
        .generate(
            GenerateRequest(
                id: "req-3", prompt: .text("Héllo \"world\"\n\t\\ / 🦙 \u{0}\u{1F}"),
                sampling: Sampling(
                    temperature: 0.7, topK: 0, topP: 1, minP: 0, repeatPenalty: 1.1, repeatLastN: -1,
                    seed: UInt64.max),
                maxTokens: 256, stop: ["</s>", "\n\n", ""], ignoreEos: true, deadlineMs: Int.max, addSpecial: false)),
        .generate(
            GenerateRequest(
                id: "",
                prompt: .chat([
                    ChatTurn(role: "system", content: "Be brief."), ChatTurn(role: "user", content: "2+2?"),
                    ChatTurn(role: "assistant", content: ""),
                ]),
                sampling: Sampling(temperature: 0, seed: 0), maxTokens: 1, deadlineMs: 0)),
        .generate(
            GenerateRequest(id: "req-5", prompt: .chat([]), sampling: Sampling(temperature: 1e-7), maxTokens: 8)),
        .cancel(id: "req-1"),
        .health,
        .stats,
        .drain,
        .shutdown(deadlineMs: nil),
        .shutdown(deadlineMs: 30_000),
        .injectFault(FaultInjection(fault: "crash")),
        .injectFault(FaultInjection(fault: "device_lost", atStep: 12)),
    ]

    static let workerMessages: [WorkerMessage] = [
        .hello(
            WorkerHello(
                pid: 4242, model: "/var/lib/vkserve/models/qwen2.5-0.5b-q8_0.gguf", backend: "vulkan",
                device: "AMD Radeon RX 7900 XTX", slots: 8, context: 4096)),
        .loadProgress(LoadProgress(stage: "uploading", fraction: 0.5)),
        .loadProgress(LoadProgress(stage: "", fraction: 1)),
        .ready(Ready(warmupMs: 12.5, loadMs: 1834.000001, device: "llvmpipe (LLVM 15.0.6, 256 bits)")),
        .token(TokenEvent(id: "req-1", index: 0, token: 15043, text: " Hello")),
        .token(TokenEvent(id: "req-1", index: Int.max, token: Int32.min, text: "")),
        .token(TokenEvent(id: "r", index: 1, token: 0, text: "日本語 \"q\" \\ \u{7}")),
        .done(
            Done(
                id: "req-1", reason: .stop, usage: Usage(promptTokens: 12, completionTokens: 34, cachedTokens: 11),
                timings: Timings(queueMs: 0, prefillMs: 10.25, firstTokenMs: 11.5, decodeMs: 300.75, totalMs: 312.5))),
        .done(
            Done(
                id: "req-2", reason: .deadline, usage: Usage(promptTokens: 0, completionTokens: 0),
                timings: Timings(
                    queueMs: .infinity, prefillMs: 0.1, firstTokenMs: -0.0, decodeMs: 1e300,
                    totalMs: .leastNonzeroMagnitude))),
        .error(ErrorReply(id: "req-9", code: .promptTooLong, message: "prompt of 5000 tokens; context is 4096")),
        .error(ErrorReply(id: nil, code: .frameTooLarge, message: "too big")),
        .heartbeat(heartbeat),
        .heartbeat(
            Heartbeat(
                sequence: 0, state: .loading, inFlight: 0, queued: 0, steps: 0, tokens: 0, requestsDone: 0,
                memory: MemoryFigures(), uptimeS: 0)),
        .stats(Stats(heartbeat: heartbeat, promptTokens: 123, slots: 8, context: 4096)),
        .stats(
            Stats(
                heartbeat: heartbeat, promptTokens: UInt64.max, busyFraction: 0.25, deviceBusyFraction: 0.125,
                slots: 1, context: 512)),
        .fault(Fault(kind: .outOfDeviceMemory, message: "vkAllocateMemory: VK_ERROR_OUT_OF_DEVICE_MEMORY")),
        .fault(Fault(kind: .internal, message: "")),
    ]

    /// Every finish reason, error code, state and fault kind, so each raw value crosses the wire once.
    static let enumCoverage: [WorkerMessage] =
        [FinishReason.stop, .length, .cancelled, .deadline, .error].map { reason in
            .done(
                Done(
                    id: "x", reason: reason, usage: Usage(promptTokens: 1, completionTokens: 2),
                    timings: Timings(queueMs: 1, prefillMs: 2, firstTokenMs: 3, decodeMs: 4, totalMs: 5)))
        }
        + ErrorReply.Code.allCases.map { .error(ErrorReply(id: "x", code: $0, message: $0.rawValue)) }
        + [WorkerState.loading, .ready, .busy, .draining, .stopping].map { state in
            var beat = heartbeat
            beat.state = state
            return .heartbeat(beat)
        }
        + [FaultKind.noDevice, .outOfDeviceMemory, .deviceLost, .badModel, .internal].map {
            .fault(Fault(kind: $0, message: $0.rawValue))
        }

    /// The payload of a frame (the frame without its length prefix).
    static func payload(_ frame: [UInt8]) -> [UInt8] {
        Array(frame.dropFirst(WireFormat.headerBytes))
    }

    /// `json` as a complete frame.
    static func frame(_ json: String) -> [UInt8] {
        WireFormat.frame(Array(json.utf8))
    }

    /// Every result the decoder has ready.
    static func drain(_ decoder: inout FrameDecoder) -> [Result<[UInt8], ProtocolError>] {
        var out: [Result<[UInt8], ProtocolError>] = []
        while let next = decoder.next() { out.append(next) }
        return out
    }
}
extension Result where Failure == ProtocolError {
    /// The error's code, or `nil` for a success.
    var errorCode: ProtocolError.Code? {
        if case .failure(let error) = self { error.code } else { nil }
    }
}
