import ControlProtocol
import Foundation
import Supervisor
import Testing

extension EndToEnd {
    @Suite("the HTTP API: the openai client, bad input, admission control, faults under load")
    struct HTTPTests {
        @Test("the openai client: completions and chat, streamed and not, with usage; health, ready, metrics",
              .enabled(if: hasOpenAIClient, "needs the openai Python package (scripts/install-deps.sh)"))
        func openAIClient() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1")
            try s.waitAllRunning()
            try waitUntil("READY=1", timeout: 5) { s.notify.count("READY=1") == 1 }
            // One worker: openai_check.py also expects its repeated prompt to reuse the cached prefix.
            let r = try s.python("openai_check.py", ["\(s.baseURL)/v1", s.modelID])
            #expect(r.status == 0, "\(r.err)")
            let health = try s.http("/health")
            #expect(health.status == 200 && health.body.contains("\"status\":\"ok\""))
            let ready = try s.http("/ready")
            #expect(ready.status == 200 && ready.body.contains("\"workers_ready\":1"), "\(ready)")
            let metrics = try s.http("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("vkserve_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 2"),
                    "\(metrics.body.prefix(3000))")
            #expect(metrics.body.contains("vkserve_worker_up{worker=\"cpu-0\",backend=\"cpu\"} 1"))
            #expect(metrics.body.contains("vkserve_queue_limit 64") && metrics.body.contains("vkserve_slots_per_worker 4")
                && metrics.body.contains("vkserve_build_info{version=\"\(ProductVersion.string)\"} 1"))
            try expectPromtoolAccepts(metrics.body)
            // Nothing ready: /ready says why.
            #expect(try s.ctl(["stop", "cpu-0"]).status == 0)
            try waitUntil("cpu-0 stopped", timeout: 30) { (try? s.row("cpu-0"))?.state == .stopped }
            let notReady = try s.http("/ready")
            #expect(notReady.status == 503 && notReady.body.contains("0/1 workers ready"), "\(notReady)")
            let refused = try s.http("/v1/completions", body: #"{"prompt":"hi","max_tokens":2}"#)
            #expect(refused.status == 503 && refused.body.contains("no_worker_ready"), "\(refused)")
            #expect(try s.terminate() == 0)
        }

        /// Opens the socket as systemd would and execs vkserved with LISTEN_FDS (real systemd: scripts/tests/20-systemd.sh).
        private var activator: [String] {
            ["/usr/bin/env", "python3", Paths.root.appendingPathComponent("Tests/clients/socket_activate.py").path]
        }

        @Test("socket activation: vkserved serves on the socket systemd passes, and its workers do not inherit it")
        func socketActivation() throws {
            let port = try freePort()
            // `listen` names the same port: had vkserved ignored fd 3 and bound it itself, it would have failed.
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", port: port, launcher: activator + ["\(port)"])
            try waitUntil("/health through the passed socket", timeout: 30) { (try? s.http("/health"))?.status == 200 }
            try s.waitAllRunning()
            let r = try s.http("/v1/completions", body: #"{"prompt":"Hello","max_tokens":4}"#)
            #expect(r.status == 200, "\(r)")
            #expect(s.log.contains("HTTP API listening on the socket from systemd (fd 3"), "\(s.log.suffix(2000))")
            let vkserved = try s.status().pid
            let listening = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(vkserved)/fd/3")
            #expect(listening.hasPrefix("socket:["))
            let worker = try #require(try s.row("cpu-0").pid)
            let held = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(worker)/fd").compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(worker)/fd/\($0)")
            }
            #expect(!held.isEmpty && !held.contains(listening), "the worker holds the HTTP socket: \(held)")
            #expect(try s.terminate() == 0)
        }

        @Test("a socket from systemd that is not a listening stream socket stops vkserved with a clear error")
        func socketActivationOfTheWrongKind() throws {
            let port = try freePort()
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", port: port,
                                   launcher: activator + ["--datagram", "\(port)"])
            try waitUntil("vkserved to exit", timeout: 30) { !s.process.isRunning }
            #expect(s.process.terminationStatus == 1)
            #expect(s.log.contains("is not a listening stream socket: vkserve.socket needs ListenStream="), "\(s.log)")
        }

        @Test("bad input gets an OpenAI-shaped 4xx, the API key guards all but /health and /ready, and it keeps serving")
        func badInput() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", limits: "max_tokens = 512\nmax_body_bytes = 4096",
                                   extra: "[api]\nkey = \"sekret\"")
            try s.waitAllRunning()
            let auth = ["Authorization: Bearer sekret"]
            #expect(try s.http("/health").status == 200)
            #expect(try s.http("/ready").status == 200)
            let noKey = try s.http("/v1/models")
            #expect(noKey.status == 401 && noKey.body.contains("invalid_api_key"), "\(noKey)")
            #expect(try s.http("/v1/models", headers: ["Authorization: Bearer wrong"]).status == 401)
            #expect(try s.http("/metrics").status == 401)
            let longPrompt = String(repeating: "word ", count: 2000)
            let cases: [(String, String, Int, String)] = [
                ("malformed JSON", #"{"prompt": "#, 400, "invalid_json"),
                ("not an object", "[1,2]", 400, "invalid_json"),
                ("wrong type", #"{"prompt":"hi","max_tokens":"ten"}"#, 400, "invalid_type"),
                ("unknown model", #"{"model":"gpt-9","prompt":"hi"}"#, 404, "model_not_found"),
                ("body over the size limit", #"{"prompt":"\#(longPrompt)","max_tokens":4}"#, 413, "body_too_large"),
                ("max_tokens over the limit", #"{"prompt":"hi","max_tokens":100000}"#, 400, "max_tokens_exceeded"),
                ("n = 2", #"{"prompt":"hi","n":2}"#, 400, "unsupported_parameter"),
                ("logprobs", #"{"prompt":"hi","logprobs":5}"#, 400, "unsupported_parameter"),
                ("no prompt", #"{"max_tokens":2}"#, 400, "missing_parameter"),
                ("temperature out of range", #"{"prompt":"hi","temperature":7}"#, 400, "invalid_value"),
            ]
            for (what, body, status, code) in cases {
                let r = try s.http("/v1/completions", body: body, headers: auth)
                #expect(r.status == status && r.body.contains("\"code\":\"\(code)\""), "\(what): \(r)")
                #expect(r.body.hasPrefix("{\"error\":{"), "\(what): \(r.body)")
            }
            // A prompt within the body limit but longer than the context (512 tokens): the worker refuses it.
            let tooLong = try s.http("/v1/completions", body: #"{"prompt":"\#(String(repeating: "go ", count: 700))"}"#,
                                     headers: auth)
            #expect(tooLong.status == 400 && tooLong.body.contains("context_length_exceeded"), "\(tooLong)")
            let chat = try s.http("/v1/chat/completions", body: #"{"messages":[{"role":"tool","content":"x"}]}"#,
                                  headers: auth)
            #expect(chat.status == 400 && chat.body.contains("messages[0].role"), "\(chat)")
            #expect(try s.http("/v1/nothing-here", headers: auth).status == 404)
            // Random bytes as bodies: always a 4xx, never a crash.
            var rng = SystemRandomNumberGenerator()
            for _ in 0 ..< 30 {
                let junk = String(decoding: (0 ..< Int.random(in: 1 ... 200, using: &rng)).map { _ in
                    UInt8.random(in: 32 ... 126, using: &rng)
                }, as: UTF8.self)
                let r = try s.http("/v1/chat/completions", body: junk, headers: auth)
                #expect((400 ..< 500).contains(r.status), "\(junk) → \(r)")
            }
            let good = try s.http("/v1/completions", body: #"{"prompt":"The capital of France is","max_tokens":4,"temperature":0}"#,
                                  headers: auth)
            #expect(good.status == 200 && good.body.contains("Paris"), "\(good)")
            #expect(try s.row("cpu-0").restarts == 0)
            #expect(try s.terminate() == 0)
        }

        @Test("a configured chat layout replaces the model's; a conversation the layout refuses is a 400 naming the rule")
        func configuredChatTemplate() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", modelExtra: "chat_template = \"gemma3\"")
            try s.waitAllRunning()
            let prefill = #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],"max_tokens":2}"#
            let ok = try s.http("/v1/chat/completions", body: prefill)
            #expect(ok.status == 200, "\(ok)")
            let twoUsers = #"{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}],"max_tokens":2}"#
            let bad = try s.http("/v1/chat/completions", body: twoUsers)
            #expect(bad.status == 400 && bad.body.contains("alternate"), "\(bad)")
            #expect(s.log.contains("gemma3 (configured)"), "the worker's ready line names the layout")
            #expect(try s.row("cpu-0").restarts == 0)
            #expect(try s.terminate() == 0)
        }

        @Test("a full queue answers 429 with Retry-After; a client that disconnects frees its slot; deadlines give 504")
        func admission() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1",
                                   limits: "queue = 1\nrequest_timeout = \"60s\"\nmax_tokens = 2000")
            try s.waitAllRunning()
            let slots = 4  // Supervised's model.slots
            // Fill every slot with long streams from curl processes, then one more waits in the queue.
            var streams: [Process] = []
            for _ in 0 ..< slots {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                p.arguments = ["-sN", "-o", "/dev/null", "\(s.baseURL)/v1/completions", "-H", "Content-Type: application/json",
                               "-d", #"{"prompt":"Once upon a time","max_tokens":2000,"stream":true,"temperature":1}"#]
                try p.run()
                streams.append(p)
            }
            try waitUntil("all slots busy", timeout: 20) { (try? s.row("cpu-0"))?.inFlight == slots }
            let queued = Process()
            queued.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            let queuedOut = Pipe()
            queued.arguments = ["-s", "-w", "\n%{http_code}", "\(s.baseURL)/v1/completions", "-H", "Content-Type: application/json",
                                "-d", #"{"prompt":"The capital of France is","max_tokens":4,"temperature":0}"#]
            queued.standardOutput = queuedOut
            try queued.run()
            try waitUntil("one request queued", timeout: 10) {
                (try? s.http("/metrics").body.contains("vkserve_queue_depth 1")) ?? false
            }
            let rejected = try s.http("/v1/completions", body: #"{"prompt":"hi","max_tokens":2}"#)
            #expect(rejected.status == 429 && rejected.body.contains("queue_full"), "\(rejected)")
            #expect(Int(rejected.headers["retry-after"] ?? "") ?? 0 >= 1, "\(rejected.headers)")
            // The clients go away: their requests are cancelled in the worker and the slots free at once.
            for p in streams { kill(p.processIdentifier, SIGKILL) }
            let freed = try waitUntil("the queued request served", timeout: 10) { !queued.isRunning }
            let out = String(decoding: queuedOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(out.hasSuffix("200") && out.contains("Paris"), "\(out)")
            try waitUntil("no sequence left in the worker", timeout: 5) { (try? s.row("cpu-0"))?.inFlight == 0 }
            print("disconnect → queued request answered after \(freed) s")
            let metrics = try s.http("/metrics").body
            #expect(metrics.contains("vkserve_queue_rejected_total 1"), "\(metrics.prefix(2000))")
            #expect(try s.terminate() == 0)

            // Deadlines: 504 before anything is sent, an error event once streaming (ignore_eos: an early end of
            // sequence would finish the request inside the deadline).
            let t = try Supervised(workers: "vulkan = 0\ncpu = 1", limits: "request_timeout = \"1s\"\nmax_tokens = 4000")
            try t.waitAllRunning()
            let slow = try t.http("/v1/completions", body: #"{"prompt":"Once upon a time","max_tokens":4000,"temperature":1,"ignore_eos":true}"#)
            #expect(slow.status == 504 && slow.body.contains("deadline_exceeded"), "\(slow)")
            let streamed = try t.http("/v1/completions",
                                      body: #"{"prompt":"Once upon a time","max_tokens":4000,"stream":true,"ignore_eos":true}"#)
            // The error event ends the stream: no finish chunk, no [DONE] (which clients take for success).
            #expect(streamed.status == 200 && streamed.body.contains("deadline_exceeded")
                && !streamed.body.contains("[DONE]") && !streamed.body.contains("\"finish_reason\":\""),
                    "\(streamed.body.suffix(500))")
            #expect(try t.terminate() == 0)
        }

        @Test("12 streaming clients: a worker killed with SIGKILL costs no request that had not started; promtool passes under load",
              .enabled(if: hasOpenAIClient, "needs the openai Python package"))
        func killUnderLoad() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 2", modelSlots: 12)
            try s.waitAllRunning()
            let load = try s.pythonInBackground("stream_load.py", ["--base-url", "\(s.baseURL)/v1", "--model", s.modelID,
                                                                  "--clients", "12", "--duration", "20", "--max-tokens", "48"])
            // The load is under way: every client has finished a request or more.
            try waitUntil("12 requests answered", timeout: 30) {
                (try? s.metric("vkserve_request_duration_seconds_count")) ?? 0 >= 12
            }
            let victim = try #require(try s.row("cpu-0").pid)
            kill(victim, SIGKILL)
            try waitUntil("cpu-0 replaced", timeout: 30) {
                (try? s.row("cpu-0")).map { $0.restarts == 1 && $0.state.isRunning && $0.pid != victim } ?? false
            }
            let scrape = try s.http("/metrics").body
            try expectPromtoolAccepts(scrape)
            let r = try load.wait()
            print("kill -9 under 12 streaming clients: \(r)")
            #expect((r["hung"] as? Int) == 0 && (r["failed_before_tokens"] as? Int) == 0, "\(r)")
            #expect((r["ok"] as? Int ?? 0) > 12)
            #expect(try s.row("cpu-0").state.isRunning && s.row("cpu-0").restarts == 1)
            // Every stream the clients saw end with an error event is counted, though its status was 200.
            let streamErrors = try s.http("/metrics").body.split(separator: "\n")
                .filter { $0.hasPrefix("vkserve_stream_errors_total{") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            #expect(Int(streamErrors) == r["error_after_tokens"] as? Int, "\(streamErrors) vs \(r)")
            #expect(try s.terminate() == 0)
        }

        @Test("scheduled restarts every 20 s with 2 workers under 12 clients for 2 minutes: no failed request",
              .enabled(if: hasOpenAIClient, "needs the openai Python package"))
        func scheduledRestartsUnderLoad() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 2", modelSlots: 12, every: "20s", jitter: "2s")
            try s.waitAllRunning()
            let before = Set(try s.status().rows.compactMap(\.pid))
            let r = try s.python("stream_load.py", ["--base-url", "\(s.baseURL)/v1", "--model", s.modelID,
                                                   "--clients", "12", "--duration", "120", "--max-tokens", "64"]).json
            print("scheduled restarts under 12 streaming clients: \(r)")
            let after = try s.status()
            #expect(!Set(after.rows.compactMap(\.pid)).isSubset(of: before))
            #expect(after.exits["stopped", default: 0] >= 8, "\(after.exits)")
            #expect((r["ok"] as? Int ?? 0) > 50)
            #expect((r["error_after_tokens"] as? Int) == 0 && (r["failed_before_tokens"] as? Int) == 0
                && (r["hung"] as? Int) == 0 && (r["retries"] as? Int) == 0, "\(r)")
            #expect(try s.terminate() == 0)
        }

        @Test("device loss on the Vulkan worker under load: requests keep succeeding on the CPU",
              .enabled(if: hasOpenAIClient, "needs the openai Python package"))
        func deviceLossUnderLoad() throws {
            let faultFile = "/tmp/vks-fault-\(getpid())-load"
            try "device-lost@3".write(toFile: faultFile, atomically: true, encoding: .utf8)
            defer { unlink(faultFile) }
            let s = try Supervised(workers: "vulkan = 1\ncpu = 1\nsoftware_vulkan = true", modelSlots: 12,
                                   // A prefill step of 12 prompts takes many seconds on lavapipe (Mesa's CPU driver).
                                   stallTimeout: "120s", environment: ["VKSERVE_INJECT_FAULT_FILE": faultFile])
            try s.waitAllRunning(timeout: 120)
            let load = try s.pythonInBackground("stream_load.py", ["--base-url", "\(s.baseURL)/v1", "--model", s.modelID,
                                                                  "--clients", "12", "--duration", "25", "--max-tokens", "16"])
            try waitUntil("the Vulkan worker lost its device", timeout: 90) { (try? s.status())?.degraded == true }
            unlink(faultFile)
            let r = try load.wait()
            print("device loss under 12 streaming clients: \(r)")
            #expect((r["hung"] as? Int) == 0 && (r["failed_before_tokens"] as? Int) == 0, "\(r)")
            #expect((r["ok"] as? Int ?? 0) > 12)
            #expect(try s.status().exits["device_lost", default: 0] >= 1)
            #expect(try s.terminate() == 0)
        }
    }
}

/// `promtool check metrics` accepts a scrape (skipped when promtool is absent).
func expectPromtoolAccepts(_ scrape: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else { return }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
    p.arguments = ["check", "metrics"]
    let input = Pipe()
    let output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = output
    try p.run()
    input.fileHandleForWriting.write(Data(scrape.utf8))
    try input.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0 && text.isEmpty, "promtool: \(text)", sourceLocation: sourceLocation)
}
