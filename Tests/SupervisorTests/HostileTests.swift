import Foundation
import Supervisor
import Testing

extension EndToEnd {
    @Suite("hostile conditions: restarts under long requests, frozen workers, drained pools, inherited descriptors")
    struct HostileTests {
        /// A request sent by a curl process in the background; `finish()` waits for it.
        final class Background {
            let process = Process()
            let output = Pipe()

            init(_ s: Supervised, body: String) throws {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                process.arguments = ["-sN", "-w", "\n%{http_code}", "--max-time", "120", "\(s.baseURL)/v1/completions",
                                     "-H", "Content-Type: application/json", "-d", body]
                process.standardOutput = output
                try process.run()
            }

            /// The status and the body.
            func finish() -> (status: Int, body: String) {
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let status = Int(lines.popLast() ?? "") ?? 0
                return (status, lines.joined(separator: "\n"))
            }
        }

        static let long = #""prompt":"Once upon a time","max_tokens":400,"temperature":0,"ignore_eos":true"#

        @Test("a drain-first restart under a 400-token request: the whole answer (retried) or an error, never a short one",
              arguments: [false, true])
        func restartUnderLongRequest(streamed: Bool) throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", restart: "make_before_break = false",
                                   limits: "max_tokens = 1000", drainTimeout: "2s")
            try s.waitAllRunning()
            let request = try Background(s, body: "{\(Self.long),\"stream\":\(streamed)}")
            try waitUntil("the request running", timeout: 20) { (try? s.row("cpu-0"))?.inFlight == 1 }
            // Under way: tokens are coming (each one after the first is an inter-token latency sample).
            try waitUntil("tokens flowing", timeout: 20) {
                (try? s.metric("vkserve_inter_token_latency_seconds_count")) ?? 0 >= 10
            }
            #expect(try s.ctl(["restart", "cpu-0"]).status == 0)
            let (status, body) = request.finish()
            #expect(status == 200, "\(body.suffix(500))")
            if streamed {
                // The drain (2 s) ends before 400 tokens (about 4 s here): the stream ends with an error event,
                // without a finish chunk or [DONE].
                #expect(body.contains(#"data: {"error":"#) && body.contains("worker_failed"), "\(body.suffix(500))")
                #expect(!body.contains(#""finish_reason":""#) && !body.contains("[DONE]"), "\(body.suffix(500))")
            } else {
                let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                let usage = try #require(json["usage"] as? [String: Any], "\(body.prefix(500))")
                #expect(usage["completion_tokens"] as? Int == 400, "\(usage)")
                let choice = try #require((json["choices"] as? [[String: Any]])?.first)
                #expect(choice["finish_reason"] as? String == "length")
                #expect(s.log.contains("event=request_retry"), "\(s.log.suffix(2000))")
            }
            #expect(try s.row("cpu-0").restarts == 0)
            #expect(try s.terminate() == 0)
        }

        @Test("a drained pool answers 503 with Retry-After at once; a streamed request that fails first gets a real status")
        func statusBeforeTheStream() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", limits: "request_timeout = \"60s\"")
            try s.waitAllRunning()
            // 512-token context (Supervised): a prompt of 2,000 words is refused before any 200 goes out.
            let words = Array(repeating: "river", count: 2000).joined(separator: " ")
            let tooLong = try s.http("/v1/completions", body: #"{"prompt":"\#(words)","max_tokens":4,"stream":true}"#)
            #expect(tooLong.status == 400 && tooLong.body.contains("context_length_exceeded"), "\(tooLong)")
            #expect(try s.ctl(["drain", "cpu-0"]).status == 0)
            try waitUntil("cpu-0 draining", timeout: 10) { (try? s.row("cpu-0"))?.state == .draining }
            for stream in [false, true] {
                let start = Date()
                let r = try s.http("/v1/completions", body: #"{"prompt":"Hello","max_tokens":4,"stream":\#(stream)}"#)
                let seconds = Date().timeIntervalSince(start)
                #expect(r.status == 503 && r.body.contains("no_worker_ready"), "\(r)")
                #expect(Int(r.headers["retry-after"] ?? "") ?? 0 >= 1, "\(r.headers)")
                #expect(seconds < 1, "a drained pool took \(seconds) s to answer")
            }
            #expect(try s.terminate() == 0)
        }

        @Test("a frozen worker: /health answers, the supervisor ends the request at its deadline with 504, slot freed")
        func frozenWorkerDeadline() throws {
            // Heartbeat and stall timeouts longer than the request's: only the supervisor's own deadline can end it.
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", limits: "request_timeout = \"3s\"\nmax_tokens = 4000",
                                   stallTimeout: "60s", heartbeatTimeout: "60s")
            try s.waitAllRunning()
            let worker = try #require(try s.row("cpu-0").pid)
            let request = try Background(s, body: #"{"prompt":"Once upon a time","max_tokens":4000,"ignore_eos":true}"#)
            try waitUntil("the request running", timeout: 20) { (try? s.row("cpu-0"))?.inFlight == 1 }
            kill(worker, SIGSTOP)
            defer { kill(worker, SIGCONT) }
            let start = Date()
            let health = try s.http("/health", timeout: 5)
            #expect(health.status == 200 && Date().timeIntervalSince(start) < 1, "\(health)")
            let (status, body) = request.finish()
            let waited = Date().timeIntervalSince(start)
            #expect(status == 504 && body.contains("deadline_exceeded"), "\(status) \(body.prefix(300))")
            #expect(waited < 6, "the 504 came \(waited) s after the freeze (deadline 3 s from arrival)")
            #expect(s.log.contains("event=deadline_enforced"), "\(s.log.suffix(2000))")
            kill(worker, SIGCONT)
            let next = try s.http("/v1/completions", body: #"{"prompt":"The capital of France is","max_tokens":4,"temperature":0}"#)
            #expect(next.status == 200 && next.body.contains("Paris"), "\(next)")
            #expect(try s.terminate() == 0)
        }

        @Test("out of descriptors: HTTP accept failures are logged and retried, the control socket answers, it recovers")
        func outOfDescriptors() throws {
            // 32 open files: the connection cap drops to its floor (16), and vkserved's own descriptors plus 16
            // connections exceed the limit, so accept(2) fails with EMFILE while the clients hold on.
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", launcher: ["/usr/bin/prlimit", "--nofile=32:32"])
            try s.waitAllRunning()
            var held: [Int32] = []
            defer { held.forEach { close($0) } }
            for _ in 0 ..< 40 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(s.port).bigEndian)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                _ = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                held.append(fd)
            }
            try waitUntil("an accept failure logged", timeout: 10) { s.log.contains("event=http_accept_failed") }
            #expect(s.log.contains("limits.max_connections lowered to 16"), "\(s.log.suffix(2000))")
            #expect(try s.status().rows.first?.state.isRunning == true)
            held.forEach { close($0) }
            held.removeAll()
            try waitUntil("a completion after the flood", timeout: 15) {
                (try? s.http("/v1/completions", body: #"{"prompt":"Hello","max_tokens":2}"#, timeout: 5))?.status == 200
            }
            #expect(s.process.isRunning)
            #expect(try s.terminate() == 0)
        }

        @Test("a worker started while a client holds a connection inherits no descriptor of vkserved's")
        func workersInheritNoDescriptors() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1")
            try s.waitAllRunning()
            // A client connection held open across the worker's replacement.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(s.port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            let old = try #require(try s.row("cpu-0").pid)
            kill(old, SIGKILL)
            try waitUntil("a new cpu-0", timeout: 30) {
                guard let row = try? s.row("cpu-0") else { return false }
                return row.state.isRunning && row.pid != old
            }
            let worker = try #require(try s.row("cpu-0").pid)
            let vkserved = try s.status().pid
            func sockets(_ pid: Int32) -> Set<String> {
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
                return Set(fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
                    .filter { $0.hasPrefix("socket:") })
            }
            let shared = sockets(worker).intersection(sockets(vkserved))
            #expect(shared.isEmpty, "the worker holds vkserved's sockets: \(shared)")
            let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(worker)/fd").compactMap { Int($0) }
            // stdio, its listening socket and the supervisor's connection, and its own event loop's descriptors.
            #expect(fds.count < 16, "the worker holds \(fds.count) descriptors: \(fds.sorted())")
            #expect(try s.terminate() == 0)
        }
    }
}
