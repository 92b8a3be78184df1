import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// Bearer-key check (everything but /health and /ready), OpenAI-shaped errors for everything
/// thrown below it, and the request counter by endpoint and status.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The expected Authorization header; nil: no key is configured and every request is admitted.
    let credential: BearerCredential?
    let metrics: ServerMetrics

    init(key: String?, metrics: ServerMetrics) {
        credential = key.map(BearerCredential.init(key:))
        self.metrics = metrics
    }

    static var endpoints: Set<String> {
        ["/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/ready", "/metrics"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let path = request.uri.path
        let endpoint = Self.endpoints.contains(path) ? path : (path.hasPrefix("/v1/models/") ? "/v1/models/{id}" : "other")
        let response: Response
        if let credential, path != "/health", path != "/ready",
           !credential.admits(request.headers[.authorization]) {
            response = APIError.unauthorized.response()
        } else {
            do {
                response = try await next(request, context)
            } catch let error as APIError {
                response = error.response()
            } catch let error as HTTPParserError {
                // A malformed body (bad chunk size, bad trailer): the HTTP channel answers 400 and closes the
                // connection, which cannot be read further.
                metrics.request(endpoint: endpoint, status: 400)
                throw error
            } catch let error as HTTPError {
                response = error.status == .notFound ? APIError.notFound(path: path).response()
                    : APIError(status: Int(error.status.code), type: "invalid_request_error", code: nil, param: nil,
                               message: error.body ?? error.status.reasonPhrase).response()
            } catch {
                response = APIError.workerFailed("internal error: \(error)").response()
            }
        }
        metrics.request(endpoint: endpoint, status: Int(response.status.code))
        return response
    }
}

extension APIError {
    /// The error as an HTTP response: JSON body, and Retry-After where it applies.
    func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return Response(status: .init(code: status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: body())))
    }
}
