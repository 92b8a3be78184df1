#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSystemd
import Logging

/// A swift-log handler that writes structured entries straight to journald with `sd_journal_sendv`.
///
/// Each entry carries `MESSAGE` (kept whole, newlines included), `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`,
/// `CODE_LINE`, `CODE_FUNC`, `LOGGER_LABEL`, `LOGGER_SOURCE`, and one `VKSERVE_<KEY>` field per metadata entry,
/// so that `journalctl VKSERVE_EVENT=worker_restart -o json` finds them. The metadata key `message_id` becomes
/// journald's own `MESSAGE_ID`. When journald cannot be reached the line goes to stderr instead.
public struct JournalLogHandler: LogHandler {
    /// The prefix of every field made from a metadata key.
    public static let metadataFieldPrefix = "VKSERVE_"
    /// The longest field name journald accepts; longer metadata keys are cut to fit.
    public static let maximumFieldNameLength = 64

    /// The logger's label (`LOGGER_LABEL`; omitted when empty).
    public let label: String
    /// `SYSLOG_IDENTIFIER`: the program name `journalctl -t` selects, e.g. `vkserved`.
    public let identifier: String
    /// The lowest level this handler writes (`Logger` filters before calling ``log(event:)``).
    public var logLevel: Logger.Level
    /// Metadata attached to every entry; the provider's and the call site's win on equal keys.
    public var metadata: Logger.Metadata
    /// Contextual metadata (task-locals, for one) fetched for each entry.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for logger `label` whose entries carry `SYSLOG_IDENTIFIER=identifier`.
    public init(
        label: String,
        identifier: String,
        logLevel: Logger.Level = .info,
        metadata: Logger.Metadata = [:],
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.identifier = identifier
        self.logLevel = logLevel
        self.metadata = metadata
        self.metadataProvider = metadataProvider
    }

    /// One entry of ``metadata``.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` to journald, or to stderr when journald cannot be reached.
    public func log(event: LogEvent) {
        let fields = fields(for: event)
        if Self.send(fields) < 0 {
            Self.writeToStandardError(event: event, metadata: effectiveMetadata(for: event), identifier: identifier)
        }
    }

    /// The fields `log(event:)` sends for `event`: this handler's metadata, then the metadata provider's, then the
    /// event's own (later ones win on equal keys), plus `error.message` and `error.type` when it carries an error.
    public func fields(for event: LogEvent) -> [String] {
        Self.fields(
            level: event.level,
            message: event.message,
            metadata: effectiveMetadata(for: event),
            source: event.source,
            file: event.file,
            function: event.function,
            line: event.line,
            identifier: identifier,
            label: label
        )
    }

    func effectiveMetadata(for event: LogEvent) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, new in new }
        }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }

    /// The journal fields, as `FIELD=value` strings, for one log statement. Pure: the whole mapping lives here.
    /// `metadata` is the already merged metadata; its entries follow the fixed fields, sorted by key.
    public static func fields(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt,
        identifier: String,
        label: String? = nil
    ) -> [String] {
        var fields = [
            "MESSAGE=\(message)",
            "PRIORITY=\(priority(for: level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(file)",
            "CODE_LINE=\(line)",
            "CODE_FUNC=\(function)",
        ]
        if let label, !label.isEmpty { fields.append("LOGGER_LABEL=\(label)") }
        if !source.isEmpty { fields.append("LOGGER_SOURCE=\(source)") }
        for (key, value) in (metadata ?? [:]).sorted(by: { $0.key < $1.key }) {
            let text = "\(value)"
            if key == "message_id", let id = messageID(text) {
                fields.append("MESSAGE_ID=\(id)")
            } else {
                fields.append("\(fieldName(forMetadataKey: key))=\(text)")
            }
        }
        return fields
    }

    /// The syslog priority journald stores for `level`: trace and debug 7, info 6, notice 5, warning 4,
    /// error 3, critical 2.
    public static func priority(for level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// The journal field for metadata `key`: `VKSERVE_` and the key upper-cased, every character outside A-Z and
    /// 0-9 replaced by `_`, cut to ``maximumFieldNameLength``. `worker` → `VKSERVE_WORKER`, `exit.code` →
    /// `VKSERVE_EXIT_CODE`.
    public static func fieldName(forMetadataKey key: String) -> String {
        var name = metadataFieldPrefix
        for scalar in key.unicodeScalars {
            guard name.utf8.count < maximumFieldNameLength else { break }
            switch scalar {
            case "A"..."Z", "0"..."9":
                name.unicodeScalars.append(scalar)
            case "a"..."z":
                name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32) ?? "_")
            default:
                name.unicodeScalars.append("_")
            }
        }
        return name
    }

    /// `text` as journald's 128-bit `MESSAGE_ID` (32 lower-case hex digits; a UUID's dashes are dropped), or `nil`
    /// when it is not one, in which case it is logged as an ordinary `VKSERVE_MESSAGE_ID` field.
    static func messageID(_ text: String) -> String? {
        let hex = text.lowercased().filter { $0 != "-" }
        guard hex.utf8.count == 32, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return hex
    }

    /// journald's native socket, where `sd_journal_sendv` sends.
    public static let journalSocketPath = "/run/systemd/journal/socket"

    /// Sends `fields` (`FIELD=value` strings) to journald as one entry: 0, or a negative errno. `-ENOENT` when
    /// journald is not running (checked here: `sd_journal_sendv` itself reports success when the socket is absent).
    @discardableResult
    public static func send(_ fields: [String]) -> Int32 {
        guard !fields.isEmpty, fields.count <= Int(Int32.max) else { return -EINVAL }
        var socketStatus = stat()
        guard stat(journalSocketPath, &socketStatus) == 0 else { return -errno }
        guard socketStatus.st_mode & S_IFMT == S_IFSOCK else { return -ENOTSOCK }
        var bytes: [UInt8] = []
        var spans: [(offset: Int, count: Int)] = []
        spans.reserveCapacity(fields.count)
        for field in fields {
            spans.append((bytes.count, field.utf8.count))
            bytes.append(contentsOf: field.utf8)
        }
        return bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -EINVAL }
            let vectors = spans.map { iovec(iov_base: UnsafeMutableRawPointer(base + $0.offset), iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }

    /// The fallback when journald is unreachable: one line (the message may span several) on stderr.
    static func writeToStandardError(event: LogEvent, metadata: Logger.Metadata, identifier: String) {
        var line = "\(identifier)[\(getpid())]: \(event.level): \(event.message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(value)"
        }
        line += "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let written = write(STDERR_FILENO, base + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
