import Bench
import Foundation
import Testing

/// `vkserve bench load` against a server that is not vkserved and closes keep-alive connections
/// under its clients (Tests/clients/one_request_per_connection.py answers one request a
/// connection, then drops the next unanswered): every request still succeeds, the ones that met a
/// dead pooled connection say they went again, and the server's counters are "not available".
@Suite("bench load against a peer that drops pooled connections")
struct StaleConnectionTests {
    @Test("requests on dropped connections go again and succeed; counters of another server are not available")
    func retriesOnNewConnections() throws {
        let dir = try TemporaryFolder("stale")
        let portFile = dir.file("port")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", Paths.root.appendingPathComponent("Tests/clients/one_request_per_connection.py").path, portFile]
        try server.run()
        defer {
            // SIGKILL: the test runner's children may inherit SIGTERM ignored.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        var port: String?
        for _ in 0 ..< 100 where port == nil {
            port = try? String(contentsOfFile: portFile, encoding: .utf8)
            if port == nil { usleep(50_000) }
        }
        let p = try #require(port, "the fake server did not start")
        let out = try TemporaryFolder("stale-out")
        let r = try vkserve([
            "bench", "load", "--url", "http://127.0.0.1:\(p)", "--concurrency", "4", "--requests", "24",
            "--max-tokens", "5", "--warmup", "4", "--quiet", "--out", out.path,
        ])
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        let s = try readSummary(LoadSummary.self, out.path)
        #expect(s.load.requests == 24 && s.load.succeeded == 24 && s.load.failed == 0, "\(s.load.errors)")
        #expect((s.load.retried ?? 0) > 0, "no request met a dropped connection: the test did not test the retry")
        #expect(s.load.outputTokens == 24 * 5)
        let check = try #require(s.load.serverCounts)
        #expect(check.agrees == nil && !check.server.available)
        #expect(r.out.contains("server counters: not available"), "\(r.out)")
        #expect(!s.notes.contains { $0.contains("disagree") }, "\(s.notes)")
        let lines = try readLines(out.file("requests.jsonl"))
        #expect(lines.contains { ($0["retries"] as? Int ?? 0) > 0 })
    }
}
