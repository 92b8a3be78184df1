import Foundation
import Supervisor
import Testing

extension EndToEnd {
    @Suite("vkserved lifecycle: systemd notifications, journald, scheduled restarts, reload, stop")
    struct LifecycleTests {
        @Test("READY/STATUS/WATCHDOG; scheduled restarts; SIGHUP reloads; SIGTERM drains; journal fields",
              .enabled(if: EndToEnd.rootAndSandbox, "needs root, unshare and systemd-journald"))
        func lifecycle() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 2",
                                   extra: "", journald: true)
            try s.waitAllRunning()
            #expect(s.notify.count("READY=1") == 1)
            #expect(s.notify.statuses.last?.hasPrefix("2/2 workers ready on cpu") == true, "\(s.notify.statuses)")
            let before = try s.status().rows.map { $0.pid }
            // The watchdog pings at half of WATCHDOG_USEC (1 s).
            let pings = s.notify.count("WATCHDOG=1")
            let waited = try waitUntil("two more watchdog pings", timeout: 10) { s.notify.count("WATCHDOG=1") >= pings + 2 }
            #expect(waited < 3, "two pings took \(waited) s")

            // Reload with scheduled restarts every 4 s (± 1 s): the workers cycle, one at a time.
            var text = try String(contentsOfFile: s.configPath, encoding: .utf8)
            text = text.replacingOccurrences(of: "every = \"0s\"", with: "every = \"4s\"\njitter = \"1s\"")
            try text.write(toFile: s.configPath, atomically: true, encoding: .utf8)
            kill(s.process.processIdentifier, SIGHUP)
            try waitUntil("RELOADING=1", timeout: 10) { s.notify.count("RELOADING=1") == 1 }
            try waitUntil("READY=1 after the reload", timeout: 10) { s.notify.count("READY=1") == 2 }
            // A changed [restart] section restarts nobody by itself (the command line is unchanged) ...
            #expect(try s.status().rows.map { $0.pid } == before)
            // ... but the schedule now cycles both workers.
            var seen: Set<Int32> = Set(before.compactMap { $0 })
            var maxRunningGap = 0
            try waitUntil("two scheduled restarts of each worker", timeout: 60) {
                guard let st = s.statusIfUp() else { return false }
                maxRunningGap = max(maxRunningGap, st.rows.filter { !$0.state.isRunning }.count)
                for r in st.rows { if let p = r.pid { seen.insert(p) } }
                return seen.count >= 6
            }
            // Make before break: a worker always served in every slot.
            #expect(maxRunningGap == 0, "a slot was without a running worker during scheduled restarts")
            #expect(s.log.isEmpty)  // everything went to the journal

            // SIGHUP with a changed model section: a rolling restart of both workers.
            text = try String(contentsOfFile: s.configPath, encoding: .utf8)
            text = text.replacingOccurrences(of: "every = \"4s\"", with: "every = \"0s\"")
                .replacingOccurrences(of: "jitter = \"1s\"", with: "")
                .replacingOccurrences(of: "slots = 4", with: "slots = 3")
            try text.write(toFile: s.configPath, atomically: true, encoding: .utf8)
            let beforeReload = try s.status().rows.compactMap { $0.pid }
            kill(s.process.processIdentifier, SIGHUP)
            try waitUntil("both workers replaced after the reload", timeout: 60) {
                guard let st = s.statusIfUp(), st.allRunning else { return false }
                return Set(st.rows.compactMap { $0.pid }).isDisjoint(with: beforeReload)
            }

            // A bad file: the reload is refused and everything keeps running.
            try "[model]\nslots = \"many\"\n".write(toFile: s.configPath, atomically: true, encoding: .utf8)
            let refused = try s.ctl(["reload"])
            #expect(refused.status == 1 && refused.err.contains("slots"), "\(refused)")
            #expect(try s.status().allRunning)

            let workers = try s.status().rows.compactMap { $0.pid }
            #expect(try s.terminate() == 0)
            #expect(s.notify.assignments.contains("STOPPING=1"))
            #expect(workers.allSatisfy { !isAlive($0) })

            // The journal: structured fields on every entry, the workers' lines under their names.
            let ready = try s.journal(["SYSLOG_IDENTIFIER=vkserved", "VKSERVE_EVENT=ready"])
            #expect(ready.count >= 2, "\(ready.count) ready entries")
            let entry = try #require(ready.first)
            #expect((entry["VKSERVE_WORKER"] as? String)?.hasPrefix("cpu-") == true)
            #expect(entry["PRIORITY"] as? String == "6")
            #expect((entry["CODE_FILE"] as? String)?.hasSuffix("WorkerInstance+Loop.swift") == true)
            #expect(entry["CODE_LINE"] != nil && entry["CODE_FUNC"] != nil)
            let exits = try s.journal(["VKSERVE_EVENT=exit", "VKSERVE_REASON=stopped"])
            #expect(!exits.isEmpty)
            let workerLines = try s.journal(["VKSERVE_EVENT=worker_log", "VKSERVE_WORKER=cpu-0"])
            #expect(workerLines.contains { ($0["MESSAGE"] as? String)?.contains("ready") == true })
            let spawns = try s.journal(["VKSERVE_EVENT=spawn"])
            #expect(spawns.allSatisfy { Int32($0["VKSERVE_PID"] as? String ?? "") != nil })
        }

        @Test("SIGKILL of vkserved leaves no worker behind")
        func noOrphans() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 2")
            try s.waitAllRunning()
            let workers = try s.status().rows.compactMap { $0.pid }
            #expect(workers.count == 2 && workers.allSatisfy(isAlive))
            kill(s.process.processIdentifier, SIGKILL)
            s.process.waitUntilExit()
            try waitUntil("the workers to die with their parent", timeout: 5) { workers.allSatisfy { !isAlive($0) } }
        }

        @Test("the control socket is 0660, refuses a user outside its group and admits a supplementary member")
        func controlSocketCredentials() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1")
            // Running first: `supervisorctl status` exits 3 while a worker is still loading (a slow machine).
            try s.waitAllRunning()
            var st = stat()
            #expect(stat(s.controlSocket, &st) == 0 && st.st_mode & 0o777 == 0o660)
            // supervisorctl as nobody, from a copy it may execute.
            let ctl = s.dir.appendingPathComponent("supervisorctl").path
            try FileManager.default.copyItem(atPath: Paths.product("supervisorctl"), toPath: ctl)
            chmod(ctl, 0o755)
            chmod(s.dir.path, 0o755)
            let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", ctl, "status", "--socket", s.controlSocket]
            // The file mode keeps nobody out ...
            let denied = try runCommand("/usr/bin/setpriv", asNobody)
            #expect(denied.status == 4 && denied.err.contains("ermission denied"), "\(denied)")
            // ... and so do the peer credentials when the mode would not.
            chmod(s.controlSocket, 0o666)
            let refused = try runCommand("/usr/bin/setpriv", asNobody)
            #expect(refused.status == 1 && refused.err.contains("permission denied: uid 65534"), "\(refused)")
            #expect(s.log.contains("control connection refused"))
            // A member of the control group (here root's) through a supplementary group only is let in: the
            // groups come from the socket (SO_PEERGROUPS), as /proc is hidden under ProtectProc=invisible.
            let member = try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--groups=0", ctl,
                                                            "status", "--socket", s.controlSocket])
            #expect(member.status == 0 && member.out.contains("cpu-0"), "\(member)")
            // Root is welcome.
            #expect(try s.ctl(["version"]).out.contains("vkserved"))
            // Global options before the subcommand, as with supervisord's supervisorctl.
            let before = try runCommand(Paths.product("supervisorctl"), ["-s", s.controlSocket, "--json", "status"])
            #expect(before.status == 0 && before.out.contains("\"state\" : \"ready\""), "\(before)")
            #expect(try s.terminate() == 0)
        }
    }
}
