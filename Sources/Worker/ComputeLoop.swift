import CPUBackend
import Engine
import Foundation
import GenerationTypes
import Logging
import WorkerProtocol

/// The worker's compute thread: owns the `Generator`, takes commands from the connection through
/// an inbox at step boundaries, runs steps while there is work, and sends what they produce.
final class ComputeLoop: @unchecked Sendable {
    enum Command {
        case submit(GenerationRequest)
        case cancel(String)
        /// The supervisor went away: nobody is left to receive these requests.
        case cancelAll
        case drain
        /// Drain until `deadline` (monotonic seconds), then cancel what is left, then return.
        case shutdown(deadline: Double)
    }

    let generator: Generator
    let status: WorkerStatus
    let options: WorkerOptions
    let logger: Logger
    /// Sends messages to the connected supervisor in one write, if one is connected (dropped
    /// otherwise): a step's tokens wake the supervisor once, not once per token.
    let sendAll: @Sendable ([WorkerMessage]) -> Void
    private let condition = NSCondition()
    private var inbox: [Command] = []
    private var draining = false
    private var shutdownDeadline: Double?
    /// Guarded by `condition`: set by `inject` (the link thread), read by the compute and heartbeat threads.
    private var fault: WorkerFault?
    /// When the memory figures were last read: they move slowly, and reading them costs a
    /// /proc read (and a device query on Vulkan), so not every step.
    private var memoryReadAt = -Double.infinity

    init(generator: Generator, status: WorkerStatus, options: WorkerOptions, logger: Logger,
         send: @escaping @Sendable ([WorkerMessage]) -> Void) {
        self.generator = generator
        self.status = status
        self.options = options
        self.logger = logger
        sendAll = send
        fault = WorkerFault.fromEnvironment
    }

    func post(_ command: Command) {
        condition.lock()
        inbox.append(command)
        condition.signal()
        condition.unlock()
    }

    /// Installs a test-only fault now (not through the inbox), so that whatever the caller answers afterwards
    /// (a heartbeat, say) already sees it.
    func inject(_ f: WorkerFault) {
        condition.lock()
        fault = f
        condition.unlock()
    }

    /// Runs until a shutdown completes. Throws the engine's error when a step fails (device lost, ...).
    func run() throws(EngineError) {
        while true {
            condition.lock()
            while inbox.isEmpty && !generator.hasWork && shutdownDeadline == nil {
                condition.wait()
            }
            let commands = inbox
            inbox.removeAll()
            condition.unlock()
            for c in commands { handle(c) }
            if let deadline = shutdownDeadline {
                if !generator.hasWork { return }
                if monotonicSeconds() >= deadline {
                    logger.warning("shutdown deadline passed: cancelling in-flight requests",
                                   metadata: ["requests": "\(generator.requestIDs.count)"])
                    for id in generator.requestIDs { _ = generator.cancel(id) }
                }
            }
            guard generator.hasWork else { continue }
            try injectFaultIfDue()
            let t0 = monotonicSeconds()
            let events = try generator.step()
            let t1 = monotonicSeconds()
            publish(events, stepSeconds: t1 - t0)
        }
    }

    private func send(_ message: WorkerMessage) { sendAll([message]) }

    private func handle(_ command: Command) {
        switch command {
        case .submit(let r):
            if draining || shutdownDeadline != nil {
                send(.error(ErrorReply(id: r.id, code: .draining, message: "the worker is draining and takes no new requests")))
            } else if generator.queuedCount >= options.maxQueued {
                send(.error(ErrorReply(id: r.id, code: .overloaded,
                                       message: "\(generator.activeCount) requests running and \(generator.queuedCount) queued; the worker's queue is full")))
            } else {
                do {
                    try generator.submit(r)
                } catch {
                    let duplicate = generator.requestIDs.contains(r.id)
                    send(.error(ErrorReply(id: r.id, code: duplicate ? .duplicateId : .badRequest, message: error.message)))
                }
            }
        case .cancel(let id):
            if !generator.cancel(id) {
                send(.error(ErrorReply(id: id, code: .unknownId, message: "no request '\(id)' is queued or running")))
            }
        case .cancelAll:
            for id in generator.requestIDs { _ = generator.cancel(id) }
        case .drain:
            draining = true
        case .shutdown(let deadline):
            draining = true
            shutdownDeadline = min(shutdownDeadline ?? deadline, deadline)
        }
        updateCounts()
    }

    private func updateCounts() {
        let (active, queued, draining) = (generator.activeCount, generator.queuedCount, draining || shutdownDeadline != nil)
        status.update {
            $0.inFlight = active
            $0.queued = queued
            $0.state = draining ? (shutdownDeadline != nil ? .stopping : .draining) : (active + queued > 0 ? .busy : .ready)
        }
    }

    private func publish(_ events: [GeneratorEvent], stepSeconds: Double) {
        // Counters first: a supervisor that asks for health right after a `done` sees them include it.
        let g = generator
        let now = monotonicSeconds()
        let memory = now - memoryReadAt >= options.heartbeatInterval || !g.hasWork ? g.backend.memoryUsage() : nil
        if memory != nil { memoryReadAt = now }
        let done = UInt64(events.count { if case .done = $0 { return true } else { return false } })
        let p = g.profile
        let profile = StepTimes(steps: p.steps, tokens: p.tokens, seconds: p.byName)
        status.update {
            $0.steps = g.stepsCompleted
            $0.tokens = g.tokensGenerated
            $0.promptTokens = g.promptTokensProcessed
            $0.requestsDone += done
            $0.busySeconds += stepSeconds
            $0.profile = profile
            if let memory {
                $0.memory = Self.figures(memory, backend: g.backend)
                $0.deviceBusyFraction = memory.deviceBusyFraction
            }
        }
        updateCounts()
        var messages: [WorkerMessage] = []
        messages.reserveCapacity(events.count)
        for e in events {
            switch e {
            case .token(let id, let index, let token, let text):
                messages.append(.token(TokenEvent(id: id, index: index, token: token, text: text)))
            case .done(let id, let reason, let prompt, let completion, let tail, let t, let cached):
                messages.append(.done(Done(id: id, reason: reason,
                                usage: Usage(promptTokens: prompt, completionTokens: completion, cachedTokens: cached),
                                timings: Timings(queueMs: t.queued * 1000, prefillMs: t.prefill * 1000,
                                                 firstTokenMs: t.firstToken * 1000, decodeMs: t.decode * 1000,
                                                 totalMs: t.total * 1000),
                                tail: tail)))
            }
        }
        sendAll(messages)
    }

    static func figures(_ m: MemoryUsage, backend: any ComputeBackend) -> MemoryFigures {
        // The CPU engine's "device" memory is this process's resident set: already read.
        if backend is CPUBackend {
            return MemoryFigures(vramUsed: nil, vramBudget: nil, rss: m.deviceUsedBytes, kvReserved: m.kvCacheBytes)
        }
        return MemoryFigures(vramUsed: m.deviceUsedBytes, vramBudget: m.deviceBudgetBytes, rss: CPUBackend.residentBytes(),
                             kvReserved: m.kvCacheBytes)
    }

    /// Test-only faults due at this step.
    private func injectFaultIfDue() throws(EngineError) {
        condition.lock()
        let due = fault
        condition.unlock()
        guard let f = due, generator.stepsCompleted >= f.atStep else { return }
        switch f.kind {
        case .crash:
            logger.critical("injected fault: crashing at step \(generator.stepsCompleted)")
            abort()
        case .hang:
            logger.warning("injected fault: the compute thread hangs at step \(generator.stepsCompleted)")
            // Heartbeats go on (their timer is independent of this thread) with frozen counters.
            while true { sleep(3600) }
        case .silent:
            break  // the heartbeat timer reads it
        }
    }

    /// Whether heartbeats should stop now (a `silent` fault that is due).
    var isSilenced: Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let f = fault, f.kind == .silent else { return false }
        return status.current.steps >= f.atStep
    }
}
