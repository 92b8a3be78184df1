import ControlProtocol
import ArgumentParser
import Foundation

/// Options every subcommand takes.
struct ControlOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .long],
            help: "vkserved's control socket (default: $VKSERVE_CONTROL_SOCKET or /run/vkserve/control.sock).")
    var socket: String = ProcessInfo.processInfo.environment["VKSERVE_CONTROL_SOCKET"] ?? "/run/vkserve/control.sock"

    @Flag(help: "Print the raw JSON answer.") var json = false

    /// Sends `request`; prints the answer; exit 4 when vkserved cannot be reached, 1 when it refuses.
    func send(_ request: ControlRequest) throws -> ControlResponse {
        let response: ControlResponse
        do {
            response = try ControlClient.send(request, socket: socket)
        } catch {
            FileHandle.standardError.write(Data("supervisorctl: \(error)\n".utf8))
            throw ExitCode(4)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: (try? encoder.encode(response)) ?? Data(), as: UTF8.self))
        }
        if !response.ok, let error = response.error {
            FileHandle.standardError.write(Data("supervisorctl: \(error)\n".utf8))
        }
        return response
    }
}

@main
struct SupervisorctlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisorctl",
        abstract: "Control and inspect vkserved's workers.",
        discussion: "Exit codes: 0 success (status: every worker running), 1 refused, 3 status: some worker not "
            + "running, 4 vkserved unreachable.",
        subcommands: [Status.self, Start.self, Stop.self, Restart.self, Drain.self, Reload.self, Health.self,
                      Version.self, Generate.self],
        defaultSubcommand: Status.self)

    /// Global options may also come before the subcommand (`supervisorctl -s PATH status`).
    static func main() {
        var rest = Array(CommandLine.arguments.dropFirst())
        var global: [String] = []
        while let first = rest.first, ["-s", "--socket", "--json"].contains(first) {
            global.append(rest.removeFirst())
            if first != "--json", !rest.isEmpty { global.append(rest.removeFirst()) }
        }
        guard !global.isEmpty else { return main(nil) }
        let subcommand = rest.first.map { $0.hasPrefix("-") ? "status" : rest.removeFirst() } ?? "status"
        main([subcommand] + global + rest)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The workers' table; exit 0 when all are running, 3 when not.")
    @OptionGroup var options: ControlOptions
    @Argument(help: "Worker names (default: all).") var names: [String] = []

    func run() throws {
        let r = try options.send(ControlRequest(command: .status, names: names))
        guard r.ok, let status = r.status else { throw ExitCode(1) }
        if !options.json { print(StatusTable.render(status), terminator: "") }
        if !status.allRunning { throw ExitCode(3) }
    }
}

/// start, stop, restart and drain: the same shape.
protocol WorkerAction: ParsableCommand {
    static var command: ControlRequest.Command { get }
    var options: ControlOptions { get }
    var names: [String] { get }
}

extension WorkerAction {
    func run() throws {
        let r = try options.send(ControlRequest(command: Self.command, names: names))
        if !options.json, r.ok, let message = r.message { print(message) }
        if !r.ok { throw ExitCode(1) }
    }
}

struct Start: WorkerAction {
    static let configuration = CommandConfiguration(abstract: "Start stopped or fatal workers (resets their backoff).")
    static let command = ControlRequest.Command.start
    @OptionGroup var options: ControlOptions
    @Argument(help: "Worker names, or all.") var names: [String]
}

struct Stop: WorkerAction {
    static let configuration = CommandConfiguration(abstract: "Drain and stop workers; they stay stopped.")
    static let command = ControlRequest.Command.stop
    @OptionGroup var options: ControlOptions
    @Argument(help: "Worker names, or all.") var names: [String]
}

struct Restart: WorkerAction {
    static let configuration = CommandConfiguration(
        abstract: "Restart workers one at a time without dropping requests (make before break when there is room).")
    static let command = ControlRequest.Command.restart
    @OptionGroup var options: ControlOptions
    @Argument(help: "Worker names, or all.") var names: [String]
}

struct Drain: WorkerAction {
    static let configuration = CommandConfiguration(abstract: "Stop routing new requests to workers; in-flight ones finish.")
    static let command = ControlRequest.Command.drain
    @OptionGroup var options: ControlOptions
    @Argument(help: "Worker names, or all.") var names: [String]
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-read the configuration file (as SIGHUP does).")
    @OptionGroup var options: ControlOptions

    func run() throws {
        let r = try options.send(ControlRequest(command: .reload))
        if !options.json, r.ok, let message = r.message { print(message) }
        if !r.ok { throw ExitCode(1) }
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line: whether a worker can serve, and the supervisor loop's lag; exit 0 healthy, 1 not.")
    @OptionGroup var options: ControlOptions

    func run() throws {
        let r = try options.send(ControlRequest(command: .health))
        if !options.json {
            print("\(r.ok ? "healthy" : "unhealthy"): \(r.message ?? r.error ?? ""); loop lag "
                + String(format: "%.1f ms", r.loopLagMs ?? 0))
        }
        if !r.ok { throw ExitCode(1) }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "vkserved's version and protocol.")
    @OptionGroup var options: ControlOptions

    func run() throws {
        let r = try options.send(ControlRequest(command: .version))
        if !options.json, let message = r.message { print(message) }
        if !r.ok { throw ExitCode(1) }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Smoke test: one greedy completion straight from a worker, bypassing the HTTP API.")
    @OptionGroup var options: ControlOptions
    @Option(help: "Worker to ask (default: the least loaded ready one).") var worker: String?
    @Option(help: "Tokens to generate.") var maxTokens: Int = 16
    @Argument(help: "The prompt.") var prompt: String

    func run() throws {
        let r = try options.send(ControlRequest(command: .generate, names: worker.map { [$0] } ?? [], prompt: prompt,
                                                maxTokens: maxTokens))
        if !options.json, r.ok {
            print(r.text ?? "")
            FileHandle.standardError.write(Data(String(format: "%@: %d tokens in %.0f ms\n", r.worker ?? "?",
                                                       r.tokens ?? 0, r.elapsedMs ?? 0).utf8))
        }
        if !r.ok { throw ExitCode(1) }
    }
}
