#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Logging

/// Installs the process-wide swift-log backend for the chosen ``LogTarget``.
public enum LoggingSetup {
    /// Bootstraps swift-log once per process (a second call traps, as `LoggingSystem.bootstrap` does):
    /// every logger writes to `target` at `level` and up, identified as `identifier` (`SYSLOG_IDENTIFIER`).
    public static func bootstrap(
        identifier: String,
        target: LogTarget,
        level: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        let useJournal = usesJournal(target)
        LoggingSystem.bootstrap(
            { label, provider in
                makeHandler(
                    label: label, identifier: identifier, journal: useJournal, level: level, provider: provider
                )
            },
            metadataProvider: metadataProvider
        )
    }

    /// The handler ``bootstrap(identifier:target:level:metadataProvider:)`` installs for logger `label`:
    /// a ``JournalLogHandler`` or a `StreamLogHandler` on stderr.
    public static func makeHandler(
        label: String,
        identifier: String,
        target: LogTarget,
        level: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> any LogHandler {
        makeHandler(
            label: label,
            identifier: identifier,
            journal: usesJournal(target, environment: environment),
            level: level,
            provider: metadataProvider
        )
    }

    /// Whether `target` resolves to the journal in `environment`.
    public static func usesJournal(
        _ target: LogTarget,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        switch target {
        case .journal: return true
        case .stderr: return false
        case .auto: return journalTargetIsAutomatic(environment: environment)
        }
    }

    /// Whether systemd connected this process's stderr to the journal: `JOURNAL_STREAM` (`device:inode`, both
    /// decimal) names the device and inode of file descriptor 2 (`man systemd.exec`).
    public static func journalTargetIsAutomatic(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    private static func makeHandler(
        label: String,
        identifier: String,
        journal: Bool,
        level: Logger.Level,
        provider: Logger.MetadataProvider?
    ) -> any LogHandler {
        if journal {
            return JournalLogHandler(label: label, identifier: identifier, logLevel: level, metadataProvider: provider)
        }
        var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
        handler.logLevel = level
        return handler
    }
}
