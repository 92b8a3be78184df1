/// Where `vkserved` writes its log (`--log-target`).
public enum LogTarget: String, Sendable, CaseIterable {
    /// The journal when systemd connected stderr to it (`JOURNAL_STREAM` matches stderr), otherwise stderr.
    case auto
    /// Structured entries to journald (``JournalLogHandler``), whatever stderr is.
    case journal
    /// Text lines on stderr with metadata (swift-log's `StreamLogHandler`).
    case stderr
}
