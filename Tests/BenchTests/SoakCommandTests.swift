import Bench
import Foundation
import Testing

extension BenchEndToEnd {
    /// `vkserve bench soak` against a real vkserved, compressed with --time-scale.
    @Suite("bench soak against a real vkserved")
    struct SoakCommandTests {
        @Test("a compressed soak with two restarts completes; its report shows both restarts")
        func compressedSoak() throws {
            let server = try benchServer(slots: 2)
            let out = try TemporaryFolder("soak")
            let pidsBefore = try server.status().rows.compactMap(\.pid)
            // 30 minutes of protocol at ×60: 30 s. Restarts at 10 and 20 protocol minutes.
            let r = try vkserve([
                "bench", "soak", "--url", server.baseURL, "--control-socket", server.controlSocket, "--duration", "30m",
                "--time-scale", "60", "--restart-every", "10m", "--sample", "1m", "--every", "15s", "--burst", "1..2",
                "--active", "5m", "--idle", "1m..2m", "--warmup", "2m", "--max-tokens", "8", "--concurrency", "2",
                "--out", out.path,
            ])
            // The latency variation of so short a soak on a shared machine may fail; the rest must pass.
            #expect(r.status == 0 || r.status == 1, "\(r.out)\n\(r.err)")
            let s = try readSummary(SoakSummary.self, out.path)
            #expect(s.complete && s.requests > 5 && s.failed == 0, "\(r.out)")
            #expect(s.restarts.count == 2 && s.plannedRestarts == 2)
            #expect(s.restarts.allSatisfy { $0.ok && $0.failedRequests == 0 }, "\(s.restarts)")
            #expect(
                s.restarts.allSatisfy { r in
                    !r.pidsAfter.isEmpty
                        && r.pidsBefore.allSatisfy { r.pidsAfter[$0.key] != nil && r.pidsAfter[$0.key] != $0.value }
                })
            #expect(s.workerExits["stopped"] == 2 && s.workerExits.count == 1, "\(s.workerExits)")
            for name in [
                "clean restarts", "no crashes or unexpected restarts", "no failed requests", "worker RSS drift",
            ] {
                #expect(s.checks.first { $0.name == name }?.status == "pass", "\(name): \(s.checks)")
            }
            #expect(s.checks.first { $0.name == "VRAM growth" }?.status == "n/a")
            // The server agrees: two new worker incarnations.
            let pidsAfter = try server.status().rows.compactMap(\.pid)
            #expect(Set(pidsAfter).isDisjoint(with: pidsBefore))
            // samples.jsonl: one line per sample, about 30 of them, both restarts among them.
            let lines = try String(contentsOfFile: out.file("samples.jsonl"), encoding: .utf8).split(separator: "\n")
            #expect(lines.count >= 20 && lines.count <= 40, "\(lines.count)")
            let samples = try lines.map { try JSONDecoder().decode(SoakSample.self, from: Data($0.utf8)) }
            #expect(samples.flatMap(\.restarts).map(\.number) == [1, 2])
            #expect(samples.contains { $0.restartWindow } && samples.first?.warmup == true)
            // A new worker reports its RSS with its first heartbeat: a sample just after a restart may lack it.
            #expect(samples.filter { ($0.resources.workerRSSBytes ?? 0) > 0 }.count >= samples.count - 3)
            #expect(samples.allSatisfy { $0.resources.error == nil }, "\(samples.compactMap(\.resources.error))")
            // The report: the restarts in its table and as markers on the memory chart.
            let md = try String(contentsOfFile: out.file("report.md"), encoding: .utf8)
            #expect(md.contains("## Restarts") && md.contains("| 1 | ") && md.contains("| 2 | "), "\(md)")
            #expect(md.contains("| clean restarts | ✅ pass |"))
            let memory = try String(contentsOfFile: out.file("memory.svg"), encoding: .utf8)
            #expect(memory.contains(">restart 1</text>") && memory.contains(">restart 2</text>"))
            #expect(memory.contains("protocol time (real time × 60)"))
            let latency = try String(contentsOfFile: out.file("latency-windows.svg"), encoding: .utf8)
            #expect(latency.contains(">restart 2</text>") && latency.contains("mean ITL"))
            #expect(r.out.contains("restart 1 at") && r.out.contains("restart 2 at"))
        }

        @Test("killing the bench mid-soak leaves a readable samples.jsonl, and bench report judges it")
        func killedSoak() throws {
            let server = try benchServer(slots: 2)
            let out = try TemporaryFolder("killed")
            let bench = try startVkserve([
                "bench", "soak", "--url", server.baseURL, "--control-socket", server.controlSocket, "--duration", "1h",
                "--time-scale", "60", "--restart-every", "0", "--sample", "20s", "--every", "10s", "--burst", "1..2",
                "--active", "10m", "--idle", "30s", "--warmup", "0", "--max-tokens", "6", "--concurrency", "2",
                "--out", out.path,
            ])
            let samplesPath = out.file("samples.jsonl")
            try waitUntil("8 samples", timeout: 30) {
                guard bench.process.isRunning else { throw TestFailure("the soak ended early: \(bench.result.err)") }
                let text = (try? String(contentsOfFile: samplesPath, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").count >= 8
            }
            kill(bench.process.processIdentifier, SIGKILL)
            bench.process.waitUntilExit()
            #expect(bench.process.terminationReason == .uncaughtSignal)
            let data = try Data(contentsOf: URL(fileURLWithPath: samplesPath))
            #expect(data.last == 0x0A, "every line written whole")
            let lines = data.split(separator: 0x0A)
            let samples = try lines.map { try JSONDecoder().decode(SoakSample.self, from: Data($0)) }
            #expect(samples.count >= 8 && zip(samples, samples.dropFirst()).allSatisfy { $0.tS < $1.tS })
            #expect(samples.reduce(0) { $0 + $1.requests } > 0)
            #expect(!FileManager.default.fileExists(atPath: out.file("summary.json")))
            // The run can still be judged and reported from what it wrote.
            let r = try vkserve(["bench", "report", out.path])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("INCOMPLETE"))
            let md = try String(contentsOfFile: out.file("report.md"), encoding: .utf8)
            #expect(md.contains("incomplete run") && md.contains("## Pass/fail"))
        }

        @Test("a soak that needs restarts refuses to start without the control socket (2)")
        func noControlSocket() throws {
            let server = try benchServer()
            let out = try TemporaryFolder("nocontrol")
            let r = try vkserve([
                "bench", "soak", "--url", server.baseURL, "--control-socket", out.file("missing.sock"),
                "--duration", "1m", "--out", out.path,
            ])
            #expect(r.status == 2 && r.err.contains("--control-socket"), "\(r.err)")
            let bad = try vkserve(["bench", "soak", "--url", server.baseURL, "--burst", "9..3", "--out", out.path])
            #expect(bad.status == 64 && bad.err.contains("--burst"), "\(bad.err)")
        }
    }
}
