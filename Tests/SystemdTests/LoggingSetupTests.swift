import Logging
import Systemd
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("LoggingSetup")
struct LoggingSetupTests {
    private func stderrIdentity() throws -> (device: UInt64, inode: UInt64) {
        var status = stat()
        try #require(fstat(STDERR_FILENO, &status) == 0)
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }

    @Test("JOURNAL_STREAM selects the journal only when it names stderr")
    func journalStream() throws {
        let (device, inode) = try stderrIdentity()
        #expect(LoggingSetup.journalTargetIsAutomatic(environment: ["JOURNAL_STREAM": "\(device):\(inode)"]))
        #expect(!LoggingSetup.journalTargetIsAutomatic(environment: ["JOURNAL_STREAM": "\(device):\(inode + 1)"]))
        #expect(!LoggingSetup.journalTargetIsAutomatic(environment: ["JOURNAL_STREAM": "\(device + 1):\(inode)"]))
        for bad in ["", "garbage", "\(device)", "\(device):\(inode):0", ":\(inode)"] {
            #expect(!LoggingSetup.journalTargetIsAutomatic(environment: ["JOURNAL_STREAM": bad]), "\(bad)")
        }
        #expect(!LoggingSetup.journalTargetIsAutomatic(environment: [:]))
    }

    @Test("each target makes the right handler at the right level")
    func handlers() throws {
        let (device, inode) = try stderrIdentity()
        let journalEnv = ["JOURNAL_STREAM": "\(device):\(inode)"]
        let cases: [(LogTarget, [String: String], Bool)] = [
            (.journal, [:], true), (.stderr, journalEnv, false), (.auto, journalEnv, true), (.auto, [:], false),
        ]
        for (target, env, journal) in cases {
            let handler = LoggingSetup.makeHandler(
                label: "l", identifier: "vkserved", target: target, level: .debug, environment: env
            )
            #expect((handler is JournalLogHandler) == journal, "\(target) \(env)")
            #expect((handler is StreamLogHandler) == !journal, "\(target) \(env)")
            #expect(handler.logLevel == .debug)
            #expect(LoggingSetup.usesJournal(target, environment: env) == journal)
        }
        let journal = try #require(
            LoggingSetup.makeHandler(label: "l", identifier: "vkserved", target: .journal, level: .info)
                as? JournalLogHandler
        )
        #expect(journal.identifier == "vkserved")
        #expect(journal.label == "l")
    }

    @Test("target names for --log-target")
    func targetNames() {
        #expect(LogTarget.allCases.map(\.rawValue) == ["auto", "journal", "stderr"])
        #expect(LogTarget(rawValue: "journal") == .journal)
        #expect(LogTarget(rawValue: "syslog") == nil)
    }
}
