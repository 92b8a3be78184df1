import Foundation
import Logging
import Systemd
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(
    "journald sandbox (live)",
    .serialized,
    .enabled(
        if: JournaldSandbox.isAvailable,
        "needs root, unshare, nsenter, setpriv, logger, journalctl and /lib/systemd/systemd-journald"
    )
)
struct JournaldSandboxTests {
    // The limits guard against a hang, not a slow machine: Foundation's Process learns of a child's
    // exit on a dispatch queue, and while long synchronous tests hold the worker threads (2 on a
    // 2-core machine), each of this test's subprocess waits stalls; a full run beside the Vulkan
    // tests took 331 s here.
    @Test("an entry with VKSERVE_ fields round-trips through a real journald", .timeLimit(.minutes(10)))
    func roundTrip() throws {
        let sandbox = try JournaldSandbox()
        let identifier = "vkserve-test-\(UUID().uuidString.prefix(8).lowercased())"
        let messageID = "2f4c8a6b0e1d4c3ba1f2e3d4c5b6a798"
        let fields = JournalLogHandler.fields(
            level: .warning, message: "worker gpu-0 restarted",
            metadata: ["event": "worker_restart", "worker": "gpu-0", "pid": "4242", "message_id": .string(messageID)],
            source: "Supervisor", file: "Restart.swift", function: "restart()", line: 42, identifier: identifier,
            label: "vkserve.supervisor"
        )
        // logger --journald sends one FIELD=value line each, through sd_journal_sendv.
        let sent = try sandbox.run(["logger", "--journald"], input: fields.joined(separator: "\n") + "\n")
        #expect(sent.status == 0, "logger failed: \(sent.stderr)")

        let query = ["journalctl", "--no-pager", "-o", "json", "SYSLOG_IDENTIFIER=\(identifier)"]
        var entry: [String: Any]?
        let deadline = Date().addingTimeInterval(5)
        while entry == nil && Date() < deadline {
            let read = try sandbox.run(query)
            let line = read.stdout.split(separator: "\n").first.map(String.init)
            entry = line.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            if entry == nil { usleep(100_000) }
        }
        let found = try #require(entry, "entry not found in the sandbox journal; sandbox said: \(sandbox.output)")
        #expect(found["VKSERVE_EVENT"] as? String == "worker_restart")
        #expect(found["VKSERVE_WORKER"] as? String == "gpu-0")
        #expect(found["VKSERVE_PID"] as? String == "4242")
        #expect(found["MESSAGE"] as? String == "worker gpu-0 restarted")
        #expect(found["MESSAGE_ID"] as? String == messageID)
        #expect(found["PRIORITY"] as? String == "4")
        #expect(found["CODE_LINE"] as? String == "42")
        #expect(found["LOGGER_LABEL"] as? String == "vkserve.supervisor")
        #expect(found["_TRANSPORT"] as? String == "journal")

        // The host's journal never saw it.
        if let host = try? Subprocess.run(query) {
            #expect(!host.stdout.contains(identifier))
        }

        let journald = sandbox.journaldPID
        #expect(!JournaldSandbox.isGone(journald))
        let stopped = sandbox.stop(signal: SIGTERM)
        #expect(stopped, "sandbox did not exit on SIGTERM; it said: \(sandbox.output)")
        if stopped { #expect(sandbox.process.terminationStatus == 143) }
        #expect(JournaldSandbox.waitGone(journald), "journald \(journald) outlived the sandbox")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pidFile.path), "PIDFILE left behind")
    }

    @Test("SIGKILL of the sandbox takes journald down too", .timeLimit(.minutes(10)))
    func killed() throws {
        let sandbox = try JournaldSandbox()
        let journald = sandbox.journaldPID
        let socket = try sandbox.run(["test", "-S", "/run/systemd/journal/socket"])
        #expect(socket.status == 0, "no journald socket inside the namespace")
        #expect(!JournaldSandbox.isGone(journald))
        #expect(sandbox.stop(signal: SIGKILL))
        #expect(JournaldSandbox.waitGone(journald), "journald \(journald) outlived a SIGKILLed sandbox")
    }

    @Test("bad usage is refused with a message")
    func usage() throws {
        let noArgument = try Subprocess.run([JournaldSandbox.script.path])
        #expect(noArgument.status == 2)
        #expect(noArgument.stderr.contains("usage:"))
        let noFolder = try Subprocess.run([JournaldSandbox.script.path, "/nonexistent-vkserve/journald.pid"])
        #expect(noFolder.status == 1)
        #expect(noFolder.stderr.contains("does not exist"))
    }
}
