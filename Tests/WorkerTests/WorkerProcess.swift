import Foundation
import GenerationTypes
import Testing
import WorkerProtocol

/// A real `vkserve-worker` process and a real connection to its socket.
final class WorkerProcess {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let smol = root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vkserve-worker").path
    }

    let process = Process()
    let socketPath: String
    let dir: URL
    let stderr = Pipe()
    var socket: FrameSocket?
    /// Messages received, in order (filled by `next`).
    private(set) var received: [WorkerMessage] = []

    init(model: String = WorkerProcess.smol, backend: String = "cpu", slots: Int = 4, context: Int = 512,
         extra: [String] = [], environment: [String: String] = [:]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vkw-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        socketPath = dir.appendingPathComponent("w.sock").path
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--socket", socketPath, "--model", model, "--backend", backend, "--slots", "\(slots)",
                             "--context", "\(context)", "--threads", "2", "--heartbeat-interval", "0.2"] + extra
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Connects (waiting for the socket to appear) and says hello.
    @discardableResult
    func connect(hello: Bool = true, timeout: Double = 30) throws -> FrameSocket {
        let start = Date()
        while true {
            if let s = try? FrameSocket.connect(path: socketPath) {
                socket = s
                break
            }
            guard Date().timeIntervalSince(start) < timeout, process.isRunning else {
                throw TestFailure("worker socket never appeared (running: \(process.isRunning)): \(stderrText)")
            }
            usleep(20_000)
        }
        if hello { try send(.hello(Hello(client: "tests"))) }
        return socket!
    }

    func send(_ m: SupervisorMessage) throws { try socket!.send(m.encoded()) }

    /// The next message, or nil at end of stream. Decoding failures fail the test.
    func next(timeout: Double = 60) throws -> WorkerMessage? {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(socket!.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard let r = try socket!.receive() else { return nil }
        let m = try WorkerMessage.decode(try r.get())
        received.append(m)
        return m
    }

    /// Reads until `match` returns a value; skips everything else (heartbeats, progress, ...).
    func wait<T>(timeout: Double = 120, for match: (WorkerMessage) -> T?) throws -> T {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            guard let m = try next(timeout: max(0.1, timeout - Date().timeIntervalSince(start))) else {
                throw TestFailure("end of stream while waiting; stderr: \(stderrText)")
            }
            if let v = match(m) { return v }
        }
        throw TestFailure("timed out waiting")
    }

    func waitReady() throws {
        _ = try wait { if case .ready(let r) = $0 { return r } else { return nil } }
    }

    struct Completion {
        var tokens: [Int32] = []
        var text = ""
        var done: Done?
        var error: ErrorReply?
    }

    /// Collects token/done/error messages for the ids until each has ended.
    func collect(_ ids: Set<String>, timeout: Double = 300) throws -> [String: Completion] {
        var out: [String: Completion] = [:]
        var open = ids
        let start = Date()
        // Messages about these ids that `wait` already read count too.
        var backlog = received
        while !open.isEmpty {
            guard Date().timeIntervalSince(start) < timeout else { throw TestFailure("timed out; still open: \(open)") }
            let m: WorkerMessage
            if !backlog.isEmpty {
                m = backlog.removeFirst()
            } else {
                guard let n = try next() else { throw TestFailure("end of stream; open: \(open); stderr: \(stderrText)") }
                m = n
            }
            switch m {
            case .token(let t) where ids.contains(t.id):
                #expect(t.index == out[t.id, default: .init()].tokens.count)
                out[t.id, default: .init()].tokens.append(t.token)
                out[t.id, default: .init()].text += t.text
            case .done(let d) where ids.contains(d.id):
                out[d.id, default: .init()].done = d
                out[d.id, default: .init()].text += d.tail
                open.remove(d.id)
            case .error(let e) where e.id.map(ids.contains) == true:
                out[e.id!, default: .init()].error = e
                open.remove(e.id!)
            default: break
            }
        }
        return out
    }

    static func generate(_ id: String, _ prompt: String, maxTokens: Int = 16, ignoreEOS: Bool = true,
                         sampling: Sampling = Sampling(temperature: 0), stop: [String] = []) -> SupervisorMessage {
        .generate(GenerateRequest(id: id, prompt: .text(prompt), sampling: sampling, maxTokens: maxTokens, stop: stop,
                                  ignoreEos: ignoreEOS))
    }

    /// Waits for the process to exit; returns (status, whether it was a signal).
    func waitExit(timeout: Double = 60) throws -> (Int32, Process.TerminationReason) {
        let start = Date()
        while process.isRunning {
            guard Date().timeIntervalSince(start) < timeout else { throw TestFailure("worker did not exit in \(timeout) s") }
            usleep(20_000)
        }
        return (process.terminationStatus, process.terminationReason)
    }

    var stderrText: String {
        if process.isRunning { return "(running)" }
        return String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
