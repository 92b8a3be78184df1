import Logging

/// Forwards a worker's output lines into the supervisor's log under the worker's name, at the
/// level the worker logged them (swift-log's stream format: `<time> <level> <label>: ...`).
enum WorkerOutput {
    static func forward(_ line: String, logger: Logger) {
        guard !line.isEmpty else { return }
        let fields = line.split(separator: " ", maxSplits: 2)
        var level = Logger.Level.info
        var text = Substring(line)
        if fields.count == 3, let parsed = Logger.Level(rawValue: String(fields[1])) {
            level = parsed
            text = fields[2]
        }
        logger.log(level: level, "\(text)", metadata: ["event": "worker_log"])
    }
}
