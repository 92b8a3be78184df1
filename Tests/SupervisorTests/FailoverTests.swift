import Foundation
import Supervisor
import Testing

extension EndToEnd {
    @Suite("vkserved fails over to the CPU when the Vulkan path fails, and back when it works")
    struct FailoverTests {
        @Test("no device, out of device memory, device lost: a CPU worker takes over, loudly; fail-back once lifted",
              .enabled(if: EndToEnd.rootAndSandbox, "needs root, unshare and systemd-journald"))
        func failoverAndBack() throws {
            let faultFile = "/tmp/vks-fault-\(getpid())"
            try "no-device".write(toFile: faultFile, atomically: true, encoding: .utf8)
            defer { unlink(faultFile) }
            let s = try Supervised(workers: "vulkan = 1\ncpu = 0\ncpu_fallback = true\nsoftware_vulkan = true",
                                   environment: ["VKSERVE_INJECT_FAULT_FILE": faultFile], journald: true)

            func expectDegraded(_ reason: String) throws {
                try waitUntil("degraded by \(reason)", timeout: 60) {
                    guard let st = s.statusIfUp() else { return false }
                    return st.degraded && st.rows.contains { $0.name == "cpu-fallback-0" && $0.state.isRunning }
                }
                let st = try s.status()
                print("degraded after \(reason): \(st.summary)")
                #expect(st.degradedReason == "cpu-fallback-0 replaces vulkan-0: \(reason)", "\(st.degradedReason ?? "-")")
                #expect(st.summary.hasPrefix("degraded: "))
                try waitUntil("STATUS=degraded", timeout: 5) {
                    s.notify.statuses.contains("degraded: cpu-fallback-0 replaces vulkan-0: \(reason)")
                }
                let ctl = try s.ctl(["status"])
                #expect(ctl.status == 3 && ctl.out.contains("DEGRADED: cpu-fallback-0 replaces vulkan-0"), "\(ctl.out)")
                #expect(ctl.out.contains("[for vulkan-0]"))
                // It serves meanwhile.
                let answer = try s.ctl(["generate", "--max-tokens", "4", "The capital of France is"])
                #expect(answer.status == 0 && answer.out.contains("Paris"), "\(answer)")
            }

            func expectRecovered(after lifting: () throws -> Void) throws {
                try lifting()
                let took = try waitUntil("fail-back to Vulkan", timeout: 120) {
                    guard let st = s.statusIfUp() else { return false }
                    return !st.degraded && st.rows.count == 1 && st.rows[0].name == "vulkan-0" && st.rows[0].state.isRunning
                }
                #expect(try s.status().rows[0].backend == "vulkan")
                print("fault lifted → serving on \(try s.status().rows[0].device ?? "?") again after \(took) s")
            }

            // 1. No device at start.
            try expectDegraded("no device")
            // The READY=1 came from the CPU stand-in: the service serves.
            #expect(s.notify.count("READY=1") == 1)
            try expectRecovered { unlink(faultFile) }

            // 2. Out of device memory when the worker starts again after a crash.
            try "out-of-memory".write(toFile: faultFile, atomically: true, encoding: .utf8)
            kill(try #require(try s.row("vulkan-0").pid), SIGKILL)
            try expectDegraded("out of device memory")
            try expectRecovered { unlink(faultFile) }

            // 3. Device lost mid-generation.
            try "device-lost@3".write(toFile: faultFile, atomically: true, encoding: .utf8)
            // The fault is read when a worker starts: restart it (make before break) so the new one carries it.
            let healthy = try s.row("vulkan-0").pid
            #expect(try s.ctl(["restart", "vulkan-0"]).status == 0)
            try waitUntil("vulkan-0 restarted", timeout: 120) {
                guard let r = try? s.row("vulkan-0") else { return false }
                return r.state.isRunning && r.pid != healthy && r.shadow == nil
            }
            let lost = try s.ctl(["generate", "--worker", "vulkan-0", "--max-tokens", "16", "Once upon a time"])
            #expect(lost.status == 1 && lost.err.contains("device_lost"), "\(lost)")
            try expectDegraded("device lost")
            try expectRecovered { unlink(faultFile) }

            // Loud in the journal: a warning with a stable MESSAGE_ID for each, and a notice for each recovery.
            let degraded = try s.journal(["MESSAGE_ID=\(MessageIDs.degraded)"])
            #expect(degraded.count == 3, "\(degraded.count)")
            #expect(degraded.allSatisfy { $0["PRIORITY"] as? String == "4" && $0["VKSERVE_WORKER"] as? String == "vulkan-0" })
            #expect(Set(degraded.compactMap { $0["VKSERVE_REASON"] as? String })
                == ["no_device", "out_of_device_memory", "device_lost"])
            #expect(try s.journal(["MESSAGE_ID=\(MessageIDs.recovered)"]).count == 3)
            #expect(try s.terminate() == 0)
        }

        @Test("a Vulkan worker refuses a software renderer unless allowed: the pool fails over to the CPU, loudly")
        func softwareRendererFailsOver() throws {
            let s = try Supervised(workers: "vulkan = 1\ncpu = 0")
            try waitUntil("degraded", timeout: 60) {
                guard let st = s.statusIfUp() else { return false }
                return st.degraded && st.rows.contains { $0.name == "cpu-fallback-0" && $0.state.isRunning }
            }
            let vulkan = try s.row("vulkan-0")
            #expect(vulkan.lastExit?.contains("software renderer on the CPU") == true, "\(vulkan)")
            #expect(try s.status().degradedReason == "cpu-fallback-0 replaces vulkan-0: no device")
            let answer = try s.http("/v1/completions", body: #"{"prompt":"The capital of France is","max_tokens":4,"temperature":0}"#)
            #expect(answer.status == 200 && answer.body.contains("Paris"), "\(answer)")

            // The probes fail the same way every time: after the degraded warning they are quiet (debug) ...
            try waitUntil("two failed probes", timeout: 60) { ((try? s.row("vulkan-0"))?.restarts ?? 0) >= 3 }
            let lines = s.log.split(separator: "\n")
            let degradedAt = try #require(lines.firstIndex {
                $0.contains("degraded: cpu-fallback-0 (CPU) replaces vulkan-0")
            })
            #expect(lines[degradedAt].split(separator: " ").dropFirst().first == "warning", "\(lines[degradedAt])")
            let probeLines = lines[(degradedAt + 1)...].filter { $0.contains("worker=vulkan-0") }
            #expect(probeLines.contains { $0.contains("event=probe_failed") })
            print("probe lines after the degraded warning:\n\(probeLines.suffix(12).joined(separator: "\n"))")
            let loud = probeLines.filter { $0.split(separator: " ").dropFirst().first != "debug" }
            #expect(loud.isEmpty, "probe lines above debug:\n\(loud.joined(separator: "\n"))")
            // ... while degraded stays visible to status, /ready and the metrics.
            #expect(try s.status().degraded)
            let ready = try s.http("/ready")
            #expect(ready.body.contains("\"degraded\":true"), "\(ready)")
            let metrics = try s.http("/metrics").body
            #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("vkserve_degraded 1") }, "\(metrics)")
            #expect(try s.terminate() == 0)
        }
    }
}
