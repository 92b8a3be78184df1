import ArgumentParser
import Foundation
import HTTPAPI
import Logging
import Supervisor
import Systemd

@main
struct VkservedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vkserved",
        abstract: "The vkserve supervisor: keeps a pool of inference workers serving.",
        discussion: """
            Every configuration key has a default; --set KEY=VALUE overrides any of them \
            (e.g. --set workers.vulkan=0 --set health.stall_timeout=10s). SIGHUP reloads the \
            configuration (rolling restart of changed workers); SIGTERM drains and exits 0.
            """)

    @Option(help: "TOML configuration file (default: /etc/vkserve/vkserve.toml when it exists).")
    var config: String?

    @Option(help: ArgumentHelp("Validate this configuration file, print the effective configuration and exit.",
                               valueName: "file"))
    var checkConfig: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a key: section.key=value (repeatable).",
                                                         valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "HTTP listen address (listen).") var listen: String?
    @Option(help: "GGUF model (model.path).") var model: String?
    @Option(help: "Control socket path (control_socket).") var controlSocket: String?
    @Option(help: "Runtime directory for worker sockets (runtime_dir).") var runtimeDir: String?
    @Option(help: "The vkserve-worker executable (worker_binary; default: beside vkserved).") var workerBinary: String?
    @Option(help: "Where logs go: auto (journald when systemd connected stderr to it), journal or stderr.")
    var log: LogTarget = .auto
    @Option(help: "Lowest level logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    mutating func run() async throws {
        var all = overrides
        if let listen { all.append("listen=\(listen)") }
        if let model { all.append("model.path=\(model)") }
        if let controlSocket { all.append("control_socket=\(controlSocket)") }
        if let runtimeDir { all.append("runtime_dir=\(runtimeDir)") }
        if let workerBinary { all.append("worker_binary=\(workerBinary)") }

        if let checkConfig {
            do {
                let parsed = try SupervisorConfig.load(path: checkConfig, overrides: all)
                print(parsed.rendered(), terminator: "")
                FileHandle.standardError.write(Data("vkserved: \(checkConfig) is valid\n".utf8))
                return
            } catch {
                FileHandle.standardError.write(Data("vkserved: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        let path = config ?? (FileManager.default.fileExists(atPath: "/etc/vkserve/vkserve.toml")
            ? "/etc/vkserve/vkserve.toml" : nil)
        let settings: SupervisorConfig
        do {
            settings = path != nil ? try SupervisorConfig.load(path: path!, overrides: all)
                : try SupervisorConfig.parse("", source: "<defaults>", overrides: all)
        } catch {
            FileHandle.standardError.write(Data("vkserved: \(error)\n".utf8))
            throw ExitCode(1)
        }
        // Taken (and made close-on-exec) before any worker is spawned.
        let activated = SocketActivation.listeningSockets()
        LoggingSetup.bootstrap(identifier: "vkserved", target: log, level: logLevel)
        let logger = Logger(label: "vkserved")
        let files = OpenFileLimit.raise()
        if let failure = files.failure {
            logger.warning("cannot raise the open-file limit above \(files.before): \(failure)",
                           metadata: ["event": "nofile_limit"])
        } else if files.after > files.before {
            logger.info("open-file limit raised from \(files.before) to \(files.after)", metadata: ["event": "nofile_limit"])
        }
        let worker = settings.workerBinary ?? Self.besideThisExecutable("vkserve-worker")
        guard FileManager.default.isExecutableFile(atPath: worker) else {
            logger.critical("the worker executable \(worker) is missing or not executable (set worker_binary)")
            throw ExitCode(1)
        }
        do {
            let metrics = ServerMetrics()
            ServerMetrics.bootstrapGlobal(metrics)
            try await SupervisorDaemon(config: settings, configPath: path, overrides: all, workerBinary: worker,
                                       logger: logger)
                .run(routerObserver: APIServer.routerObserver(metrics)) { pool, router, onListening in
                    try APIServer.make(config: settings, pool: pool, router: router, metrics: metrics, logger: logger,
                                       activated: activated, onListening: onListening)
                }
        } catch let error as ControlServerError {
            logger.critical("\(error.description)", metadata: ["event": "start_failed"])
            throw ExitCode(1)
        } catch let error as UnsafeDirectoryError {
            logger.critical("\(error.description)", metadata: ["event": "start_failed"])
            throw ExitCode(1)
        } catch let error as APIServer.Failure {
            logger.critical("\(error.description)", metadata: ["event": "start_failed"])
            throw ExitCode(1)
        } catch let error where APIServer.listenFailure(error, listen: settings.listen) != nil {
            logger.critical("\(APIServer.listenFailure(error, listen: settings.listen) ?? "")",
                            metadata: ["event": "start_failed"])
            throw ExitCode(1)
        } catch {
            logger.critical("vkserved failed: \(error)", metadata: ["event": "failed"])
            throw ExitCode(1)
        }
    }

    static func besideThisExecutable(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

extension LogTarget: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
