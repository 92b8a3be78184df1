import Foundation

/// Progress on stderr while a phase runs: a bar redrawn in place on a terminal, a plain line every few seconds
/// otherwise (logs and CI keep every line readable).
final class ProgressDisplay: Sendable {
    let isTerminal: Bool
    let quiet: Bool
    private let task = Locked<Task<Void, Never>?>(nil)

    init(quiet: Bool = false) {
        isTerminal = isatty(STDERR_FILENO) == 1
        self.quiet = quiet
    }

    /// Shows `source` until ``stop()``; `plannedSeconds` sets the bar by time when the phase has no request count.
    func start(plannedSeconds: Double?, _ source: @escaping @Sendable () async -> ProgressSnapshot) {
        guard !quiet else { return }
        let started = MonotonicClock.now()
        let terminal = isTerminal
        let t = Task {
            var lastLine = started
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: terminal ? 250_000_000 : 1_000_000_000)
                let now = MonotonicClock.now()
                let snapshot = await source()
                let elapsed = MonotonicClock.seconds(started, now)
                if terminal {
                    Self.emit("\r" + Self.bar(snapshot, elapsed: elapsed, plannedSeconds: plannedSeconds) + "\u{1B}[K")
                } else if MonotonicClock.seconds(lastLine, now) >= 5 {
                    lastLine = now
                    Self.emit(Self.line(snapshot, elapsed: elapsed, plannedSeconds: plannedSeconds) + "\n")
                }
            }
        }
        task.withLock { $0 = t }
    }

    func stop(final snapshot: ProgressSnapshot?, elapsed: Double) async {
        let t = task.withLock { t in
            defer { t = nil }
            return t
        }
        t?.cancel()
        await t?.value
        guard !quiet, let snapshot else { return }
        if isTerminal {
            Self.emit("\r" + Self.bar(snapshot, elapsed: elapsed, plannedSeconds: nil, finished: true) + "\u{1B}[K\n")
        } else {
            Self.emit(Self.line(snapshot, elapsed: elapsed, plannedSeconds: nil) + " (done)\n")
        }
    }

    func note(_ text: String) {
        guard !quiet else { return }
        Self.emit(text + "\n")
    }

    static func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func fraction(_ s: ProgressSnapshot, elapsed: Double, plannedSeconds: Double?) -> Double? {
        if let planned = s.planned, planned > 0 { return min(1, Double(s.done) / Double(planned)) }
        if let plannedSeconds, plannedSeconds > 0 { return min(1, elapsed / plannedSeconds) }
        return nil
    }

    static func bar(_ s: ProgressSnapshot, elapsed: Double, plannedSeconds: Double?, finished: Bool = false) -> String {
        let f = finished ? 1 : fraction(s, elapsed: elapsed, plannedSeconds: plannedSeconds) ?? 0
        let width = 28
        let filled = Int((f * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let count = s.planned.map { "\(s.done)/\($0)" } ?? "\(s.done)"
        let rate = elapsed > 0 ? Double(s.tokens) / elapsed : 0
        return
            "\(s.phase.padding(toLength: 8, withPad: " ", startingAt: 0)) \(bar) \(String(format: "%3.0f%%", f * 100)) "
            + "\(count) req  \(s.failed) failed  \(Format.fixed(rate)) tok/s  \(Format.seconds(elapsed))"
    }

    static func line(_ s: ProgressSnapshot, elapsed: Double, plannedSeconds: Double?) -> String {
        let count = s.planned.map { "\(s.done)/\($0)" } ?? "\(s.done)"
        let rate = elapsed > 0 ? Double(s.tokens) / elapsed : 0
        let pct = fraction(s, elapsed: elapsed, plannedSeconds: plannedSeconds).map { " (\(Int($0 * 100)) %)" } ?? ""
        return "\(s.phase): \(count) requests\(pct), \(s.failed) failed, \(Format.fixed(rate)) tok/s, "
            + "\(Format.seconds(elapsed)) elapsed"
    }
}
