import Foundation
import Supervisor
import Testing

extension EndToEnd {
    @Suite("vkserved restarts workers that crash, hang or crash-loop")
    struct RestartTests {
        @Test("kill -9 of a worker: restarted; an injected hang: killed within stall_timeout + heartbeat_interval, replaced")
        func crashAndHang() throws {
            // hang@10: the worker's compute thread stops at step 10, which only a request reaches.
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", environment: ["VKSERVE_WORKER_FAULT": "hang@10"])
            let firstReady = try s.waitAllRunning()
            let first = try s.row("cpu-0")
            let pid = try #require(first.pid)
            #expect(first.restarts == 0 && first.state == .ready)

            // Crash: SIGKILL from outside.
            let killedAt = Date()
            kill(pid, SIGKILL)
            try waitUntil("a new cpu-0 running", timeout: 30) {
                guard let r = try? s.row("cpu-0") else { return false }
                return r.state.isRunning && r.pid != pid
            }
            let crashToReady = Date().timeIntervalSince(killedAt)
            let second = try s.row("cpu-0")
            #expect(second.restarts == 1)
            #expect(second.lastExit?.hasPrefix("crash (killed by SIGKILL)") == true, "\(second.lastExit ?? "-")")
            print("first ready after \(firstReady) s; worker crash → ready again: \(String(format: "%.3f", crashToReady)) s")

            // Hang: a request drives the worker to step 10, where it stops stepping but keeps heartbeating.
            let sent = Date()
            let hung = try s.ctl(["generate", "--max-tokens", "64", "The capital of France is"])
            let detected = Date().timeIntervalSince(sent)
            #expect(hung.status == 1 && hung.err.contains("hang"), "\(hung)")
            // Steps 1–10 take well under a second; the kill must follow within stall_timeout (2 s) + heartbeat (0.2 s).
            #expect(detected < 2.0 + 0.2 + 1.0, "hang detected after \(detected) s")
            try waitUntil("a replacement after the hang", timeout: 30) {
                guard let r = try? s.row("cpu-0") else { return false }
                return r.state.isRunning && r.pid != second.pid
            }
            let replaced = Date().timeIntervalSince(sent)
            let third = try s.row("cpu-0")
            #expect(third.restarts == 2 && third.lastExit?.hasPrefix("hang") == true, "\(third)")
            print("injected hang → killed: \(String(format: "%.3f", detected)) s after the request; → replacement ready: "
                + "\(String(format: "%.3f", replaced)) s")
            #expect(s.log.contains("no progress for"))
            #expect(try s.terminate() == 0)
        }

        @Test("a crash loop backs off with growing delays, then is fatal; status exits 3")
        func crashLoop() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", environment: ["VKSERVE_WORKER_FAULT": "crash@0"])
            try waitUntil("cpu-0 fatal", timeout: 60) { s.statusIfUp()?.rows.first?.state == .fatal }
            let row = try s.row("cpu-0")
            #expect(row.restarts == 3 && row.lastExit?.hasPrefix("crash (killed by SIGABRT)") == true, "\(row)")
            #expect(row.retryInS ?? 0 > 3000, "fatal retries slowly (fatal_retry = 1h)")
            // Backoff doubled from backoff_initial: 200 ms, then 400 ms, then fatal.
            let log = s.log
            #expect(log.contains("restarting cpu-0 in 200ms"), "\(log.suffix(2000))")
            #expect(log.contains("restarting cpu-0 in 400ms"))
            #expect(log.contains("cpu-0 failed 3 times in a row"))
            let ctl = try s.ctl(["status"])
            #expect(ctl.status == 3, "\(ctl)")
            #expect(ctl.out.contains("cpu-0") && ctl.out.contains("fatal"), "\(ctl.out)")
            // The operator's start clears fatal and tries again at once.
            #expect(try s.ctl(["start", "cpu-0"]).status == 0)
            try waitUntil("a new attempt after start", timeout: 10) { (try? s.row("cpu-0"))?.restarts ?? 0 >= 4 }
            #expect(try s.terminate() == 0)
        }

        @Test("a drain-first restart lets the request in flight finish, then replaces the worker")
        func drainFirstRestart() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1", restart: "make_before_break = false")
            try s.waitAllRunning()
            let old = try #require(try s.row("cpu-0").pid)
            // A long request in flight, from another process.
            let request = Process()
            request.executableURL = URL(fileURLWithPath: Paths.product("supervisorctl"))
            request.arguments = ["generate", "--socket", s.controlSocket, "--max-tokens", "200", "Once upon a time"]
            let out = Pipe()
            request.standardOutput = out
            request.standardError = FileHandle.nullDevice
            try request.run()
            try waitUntil("the request in flight", timeout: 10) { (try? s.row("cpu-0"))?.inFlight == 1 }
            #expect(try s.ctl(["restart", "cpu-0"]).status == 0)
            try waitUntil("cpu-0 draining", timeout: 5) { (try? s.row("cpu-0"))?.state == .stopping }
            // No second copy while the first drains.
            #expect(try s.row("cpu-0").shadow == nil)
            request.waitUntilExit()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(request.terminationStatus == 0 && text.count > 200, "the request in flight finished: \(text)")
            try waitUntil("a new cpu-0", timeout: 30) {
                guard let r = try? s.row("cpu-0") else { return false }
                return r.state.isRunning && r.pid != old
            }
            #expect(try s.row("cpu-0").restarts == 0, "a requested restart is not a failure")
            #expect(s.log.contains("rolling restart of cpu-0 (operator, drain-first)"))

            // SIGTERM drains too: the request in flight finishes before vkserved exits 0.
            let last = Process()
            last.executableURL = request.executableURL
            last.arguments = request.arguments
            let lastOut = Pipe()
            last.standardOutput = lastOut
            last.standardError = FileHandle.nullDevice
            try last.run()
            try waitUntil("the last request in flight", timeout: 10) { (try? s.row("cpu-0"))?.inFlight == 1 }
            #expect(try s.terminate() == 0)
            last.waitUntilExit()
            let lastText = String(decoding: lastOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(last.terminationStatus == 0 && lastText.count > 200, "drained on SIGTERM: \(lastText)")
            #expect(s.notify.assignments.contains("STOPPING=1"))
        }

        @Test("a worker from another release (another protocol version in its hello) is killed, named as such")
        func protocolMismatch() throws {
            let fake = Paths.root.appendingPathComponent("Tests/clients/wrong_protocol_worker.py").path
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1",
                                   launcher: ["/bin/sh", "-c", "exec \"$0\" \"$@\" --worker-binary '\(fake)'"])
            try waitUntil("the mismatch to end the worker", timeout: 30) {
                (try? s.row("cpu-0"))?.lastExit?.hasPrefix("protocol_mismatch") == true
            }
            #expect(s.log.contains("speaks protocol 99 and this vkserved 1"), "\(s.log.suffix(2000))")
            #expect(try s.status().exits["protocol_mismatch", default: 0] >= 1)
            #expect(try !s.row("cpu-0").state.isRunning)
            #expect(try s.terminate() == 0)
        }
    }
}
