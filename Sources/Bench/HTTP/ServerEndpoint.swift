import AsyncHTTPClient
import Foundation

/// A vkserved's HTTP API as the bench uses it: one connection pool, the bearer key on every request.
public final class ServerEndpoint: Sendable {
    /// `http://host:port`, without a trailing slash or `/v1`.
    public let base: String
    let apiKey: String?
    /// The load: as many connections as the run keeps requests in flight.
    let client: HTTPClient
    /// /metrics and /v1/models on connections of their own: a scrape must not queue behind the load it measures.
    let probes: HTTPClient

    /// `connections`: the most connections to open at once (the concurrency of the run, or more).
    public init(url: String, apiKey: String?, connections: Int) throws {
        var base = url.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        guard let parsed = URL(string: base), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil
        else {
            throw BenchFailure(
                "--url must be an http:// or https:// address such as http://127.0.0.1:8080, not '\(url)'")
        }
        self.base = base
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connections))
        configuration.timeout.connect = .seconds(10)
        // A connection that cannot be made is an error to count, not one for the pool to hide by retrying.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        client = HTTPClient(configuration: configuration)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 2
        probes = HTTPClient(configuration: configuration)
    }

    public func shutdown() async {
        try? await client.shutdown()
        try? await probes.shutdown()
    }

    func request(_ path: String, method: String = "GET", body: [UInt8]? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        return request
    }

    /// A whole response: status and body (at most `limit` bytes).
    public func get(
        _ path: String, timeoutSeconds: Int64 = 10, limit: Int = 16 << 20
    ) async throws
        -> (status: Int, body: [UInt8])
    {
        // A pooled connection the server closed while idle fails before the request reached it: the
        // request goes again on another connection, as the load's requests do (bounded the same way).
        var attempt = 0
        var response: HTTPClientResponse
        while true {
            do {
                response = try await probes.execute(request(path), timeout: .seconds(timeoutSeconds))
                break
            } catch where attempt < StreamingRequest.staleConnectionRetries && StreamingRequest.isStaleConnection(error) {
                attempt += 1
            }
        }
        var bytes: [UInt8] = []
        for try await buffer in response.body {
            bytes.append(contentsOf: buffer.readableBytesView)
            if bytes.count > limit { throw BenchFailure("\(base)\(path) answered more than \(limit) bytes") }
        }
        return (Int(response.status.code), bytes)
    }

    /// Text of `/metrics`; a clear error when it cannot be read.
    public func metricsText() async throws -> String {
        let r: (status: Int, body: [UInt8])
        do {
            r = try await get("/metrics")
        } catch {
            throw BenchFailure("cannot read \(base)/metrics: \(Self.describe(error))")
        }
        switch r.status {
        case 200: return String(decoding: r.body, as: UTF8.self)
        case 401: throw BenchFailure("\(base)/metrics answered 401: give the API key (--api-key or VKSERVE_API_KEY)")
        default: throw BenchFailure("\(base)/metrics answered \(r.status)")
        }
    }

    /// A short description of an AsyncHTTPClient or NIO error.
    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        return String(describing: error)
    }
}
