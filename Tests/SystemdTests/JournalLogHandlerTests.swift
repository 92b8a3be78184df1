import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Systemd
import Testing

@Suite("JournalLogHandler")
struct JournalLogHandlerTests {
    private func fields(
        level: Logger.Level = .info,
        message: Logger.Message = "hello",
        metadata: Logger.Metadata = [:]
    ) -> [String] {
        JournalLogHandler.fields(
            level: level, message: message, metadata: metadata, source: "Supervisor",
            file: "Supervisor/Restart.swift", function: "restart(worker:)", line: 42, identifier: "vkserved",
            label: "vkserve.supervisor"
        )
    }

    @Test("the fixed fields, in order")
    func fixedFields() {
        #expect(fields() == [
            "MESSAGE=hello", "PRIORITY=6", "SYSLOG_IDENTIFIER=vkserved", "CODE_FILE=Supervisor/Restart.swift",
            "CODE_LINE=42", "CODE_FUNC=restart(worker:)", "LOGGER_LABEL=vkserve.supervisor",
            "LOGGER_SOURCE=Supervisor",
        ])
    }

    @Test("swift-log levels map to syslog priorities")
    func priorities() {
        let expected: [Logger.Level: Int] = [
            .trace: 7, .debug: 7, .info: 6, .notice: 5, .warning: 4, .error: 3, .critical: 2,
        ]
        #expect(Set(expected.keys) == Set(Logger.Level.allCases))
        for (level, priority) in expected {
            #expect(JournalLogHandler.priority(for: level) == priority)
            #expect(fields(level: level).contains("PRIORITY=\(priority)"), "\(level)")
        }
    }

    @Test("metadata keys become VKSERVE_ fields")
    func keyMangling() {
        let mapped = fields(metadata: [
            "event": "worker_restart", "worker": "gpu-0", "pid": "4242", "reason": "exit 139",
            "exit.code": "139", "gpu-id": "0", "Mixed Case": "x", "ünï": "y",
        ])
        for field in [
            "VKSERVE_EVENT=worker_restart", "VKSERVE_WORKER=gpu-0", "VKSERVE_PID=4242", "VKSERVE_REASON=exit 139",
            "VKSERVE_EXIT_CODE=139", "VKSERVE_GPU_ID=0", "VKSERVE_MIXED_CASE=x", "VKSERVE__N_=y",
        ] {
            #expect(mapped.contains(field), "\(field) missing from \(mapped)")
        }
        let long = JournalLogHandler.fieldName(forMetadataKey: String(repeating: "k", count: 100))
        #expect(long == "VKSERVE_" + String(repeating: "K", count: 56))
        #expect(long.utf8.count == JournalLogHandler.maximumFieldNameLength)
        // Metadata fields come after the fixed ones, sorted by key.
        let keys = fields(metadata: ["b": "2", "a": "1"]).suffix(2)
        #expect(Array(keys) == ["VKSERVE_A=1", "VKSERVE_B=2"])
    }

    @Test("message_id becomes journald's MESSAGE_ID")
    func messageID() {
        let id = "2F4C8A6B0E1D4C3BA1F2E3D4C5B6A798"
        #expect(fields(metadata: ["message_id": .string(id)]).contains("MESSAGE_ID=" + id.lowercased()))
        #expect(!fields(metadata: ["message_id": .string(id)]).contains { $0.hasPrefix("VKSERVE_MESSAGE_ID=") })
        let uuid = "2f4c8a6b-0e1d-4c3b-a1f2-e3d4c5b6a798"
        #expect(fields(metadata: ["message_id": .string(uuid)]).contains("MESSAGE_ID=" + id.lowercased()))
        let bad = fields(metadata: ["message_id": "not-an-id"])
        #expect(bad.contains("VKSERVE_MESSAGE_ID=not-an-id"))
        #expect(!bad.contains { $0.hasPrefix("MESSAGE_ID=") })
    }

    @Test("a multi-line message stays one MESSAGE field")
    func multiLine() {
        let mapped = fields(message: "worker crashed\n  frame 0\n  frame 1", metadata: ["trace": "a\nb"])
        #expect(mapped.first == "MESSAGE=worker crashed\n  frame 0\n  frame 1")
        #expect(mapped.filter { $0.hasPrefix("MESSAGE=") }.count == 1)
        #expect(mapped.contains("VKSERVE_TRACE=a\nb"))
    }

    @Test("call-site metadata beats the provider's, which beats the handler's")
    func metadataPrecedence() {
        let provider = Logger.MetadataProvider { ["worker": "provider", "trace_id": "t-1"] }
        var handler = JournalLogHandler(
            label: "vkserve.router", identifier: "vkserved", metadata: ["worker": "handler", "pool": "gpu"],
            metadataProvider: provider
        )
        handler[metadataKey: "node"] = "n1"
        let event = LogEvent(
            level: .error, message: "request failed", metadata: ["worker": "call-site", "request": "r-9"],
            source: "Router", file: "Router.swift", function: "route()", line: 7
        )
        let mapped = handler.fields(for: event)
        #expect(mapped.contains("VKSERVE_WORKER=call-site"))
        #expect(!mapped.contains("VKSERVE_WORKER=handler"))
        #expect(!mapped.contains("VKSERVE_WORKER=provider"))
        for field in ["VKSERVE_POOL=gpu", "VKSERVE_NODE=n1", "VKSERVE_TRACE_ID=t-1", "VKSERVE_REQUEST=r-9"] {
            #expect(mapped.contains(field), "\(field)")
        }
        #expect(mapped.contains("PRIORITY=3"))
        #expect(mapped.contains("LOGGER_LABEL=vkserve.router"))
        let quiet = LogEvent(
            level: .info, message: "m", metadata: nil, source: "Router", file: "f", function: "g", line: 1
        )
        #expect(handler.fields(for: quiet).contains("VKSERVE_WORKER=provider"))
    }

    @Test(
        "without journald, send reports an error and log falls back to stderr",
        .enabled(
            if: !FileManager.default.fileExists(atPath: "/run/systemd/journal/socket"),
            "a journald is running on this machine; the failure path cannot be exercised"
        )
    )
    func noJournald() {
        #expect(JournalLogHandler.send(fields()) == -ENOENT)
        let logger = Logger(label: "test") { JournalLogHandler(label: $0, identifier: "vkserve-systemd-tests") }
        logger.info("fallback line from SystemdTests", metadata: ["event": "fallback"])
    }
}
