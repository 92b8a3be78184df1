import ControlProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Supervisor
import Systemd

/// vkserved's HTTP API (Hummingbird): the OpenAI-compatible routes, /health, /ready, /metrics.
public enum APIServer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The API as a `Service`; `onListening` runs once it accepts connections (with the port). It serves on the
    /// first of the `activated` sockets (systemd socket activation) when there is one, otherwise on `listen`.
    public static func make(
        config: SupervisorConfig, pool: WorkerPool, router: RequestRouter, metrics: ServerMetrics, logger: Logger,
        activated: [ActivatedSocket] = [], onListening: @escaping @Sendable (Int) async -> Void
    ) throws -> some Service {
        let socket = try ListenSocket.choose(listen: config.listen, activated: activated)
        let key = try apiKey(config.api)
        let modelID = config.api.modelID ?? Self.modelID(fromPath: config.model.path)
        let limits = APILimits(maxTokens: config.limits.maxTokens, defaultMaxTokens: config.limits.defaultMaxTokens,
                               modelIDs: [modelID])
        let endpoint = CompletionEndpoint(router: router, metrics: metrics, limits: limits,
                                          requestTimeout: config.limits.requestTimeout,
                                          maxBodyBytes: config.limits.maxBodyBytes, logger: logger)
        metrics.describe(queueLimit: config.limits.queue, slotsPerWorker: config.model.slots, version: ProductVersion.string)
        let started = OpenAIResponseID.now()
        let routes = Hummingbird.Router(context: BasicRequestContext.self)
        routes.middlewares.add(APIMiddleware<BasicRequestContext>(key: key, metrics: metrics))
        routes.post("/v1/completions") { request, _ in try await endpoint.handle(request, kind: .completion) }
        routes.post("/v1/chat/completions") { request, _ in try await endpoint.handle(request, kind: .chat) }
        routes.get("/v1/models") { _, _ in json(ModelList(ids: limits.modelIDs, created: started).json()) }
        routes.get("/v1/models/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let body = ModelList(ids: limits.modelIDs, created: started).json(model: id) else {
                throw APIError.modelNotFound(id, available: limits.modelIDs)
            }
            return json(body)
        }
        routes.get("/health") { _, _ in
            let lag = pool.loopLag
            let ok = lag < .seconds(10)
            return json(Array("{\"status\":\"\(ok ? "ok" : "stalled")\",\"loop_lag_ms\":\(Int(lag.milliseconds))}".utf8),
                        status: ok ? .ok : .serviceUnavailable)
        }
        routes.get("/ready") { _, _ in
            let status = pool.status
            let body: [String: Any] = status.readyCount > 0
                ? ["status": "ready", "workers_ready": status.readyCount, "degraded": status.degraded,
                   "summary": status.summary]
                : ["status": "not_ready", "reason": status.summary]
            let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return json(Array(data), status: status.readyCount > 0 ? .ok : .serviceUnavailable)
        }
        routes.get("/metrics") { _, _ in
            metrics.update(from: pool.status)
            metrics.setQueueDepth(router.queueDepth)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        let connections = ConnectionLimits(config.limits, openFileLimit: OpenFileLimit.current)
        if connections.maxConnections < config.limits.maxConnections {
            let cap = connections.maxConnections, files = OpenFileLimit.current
            logger.warning("limits.max_connections lowered to \(cap) to fit the open-file limit (\(files)); raise LimitNOFILE=",
                           metadata: ["event": "connection_cap_lowered"])
        }
        return HTTPServer(socket: socket, responder: routes.buildResponder(), serverName: "vkserved",
                          limits: connections, drainTimeout: config.restart.drainTimeout,
                          onDrainTimeout: { router.abandonAll("the stop's drain_timeout ran out") }, logger: logger) {
            port in
            let place: String
            switch socket {
            case .address(let target): place = "\(target.host):\(port)"
            case .inherited: place = "\(socket), port \(port)"
            }
            logger.notice("HTTP API listening on \(place)", metadata: ["event": "http_listen"])
            await onListening(port)
        }
    }

    /// An operator's reading of a failure to bind `listen`; nil for any other error.
    public static func listenFailure(_ error: any Error, listen: String) -> String? {
        guard let io = error as? IOError else { return nil }
        let hint = io.errnoCode == EADDRINUSE ? " (another server holds that port: stop it or change listen)"
            : io.errnoCode == EACCES ? " (a port below 1024 needs CAP_NET_BIND_SERVICE)" : ""
        return "cannot serve HTTP on \(listen): \(io.description)\(hint)"
    }

    /// The router's queue figures, into `metrics`.
    public static func routerObserver(_ metrics: ServerMetrics) -> any RouterObserver {
        MetricsRouterObserver(metrics: metrics)
    }

    /// The model id clients name by default: the file name without `.gguf`.
    public static func modelID(fromPath path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return name.hasSuffix(".gguf") ? String(name.dropLast(5)) : name
    }

    static func apiKey(_ api: SupervisorConfig.API) throws -> String? {
        if let key = api.key { return key }
        guard let file = api.keyFile else { return nil }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let line = text.split(separator: "\n").first.map({ $0.trimmingCharacters(in: .whitespaces) }),
              !line.isEmpty else {
            throw Failure(description: "api.key_file: cannot read a key from \(file) (first line, non-empty)")
        }
        return line
    }

    private static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
