import Foundation

/// `supervisorctl status` as a table, in the manner of supervisord.
public enum StatusTable {
    public static func render(_ status: PoolStatus) -> String {
        var lines = ["vkserved \(status.version), pid \(status.pid), up \(clock(status.uptimeS)): \(status.summary)"]
        if status.degraded, let reason = status.degradedReason { lines.append("DEGRADED: \(reason)") }
        let header = ["NAME", "STATE", "PID", "UPTIME", "BACKEND/DEVICE", "INFLIGHT", "MEMORY", "RESTARTS", "LAST EXIT"]
        var rows = [header]
        for r in status.rows {
            var state = r.state.rawValue
            if let retry = r.retryInS { state += " (\(clock(retry)))" }
            var backend = r.backend + (r.device.map { " \($0)" } ?? "")
            if let replaces = r.replaces { backend += " [for \(replaces)]" }
            var memory = "-"
            if let used = r.vramUsed { memory = "vram \(bytes(used))" + (r.vramBudget.map { "/\(bytes($0))" } ?? "") }
            else if let rss = r.rss { memory = "rss \(bytes(rss))" }
            var exit = r.lastExit ?? "-"
            if let shadow = r.shadow { exit = "[\(shadow)] " + exit }
            rows.append([r.name, state, r.pid.map { "\($0)" } ?? "-", r.uptimeS.map(clock) ?? "-", backend,
                         "\(r.inFlight)", memory, "\(r.restarts)", exit])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            let cells = row.indices.map { c in c == row.count - 1 ? row[c] : row[c].padding(toLength: widths[c], withPad: " ", startingAt: 0) }
            lines.append(cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        if s >= 86_400 { return "\(s / 86_400)d \(String(format: "%02d:%02d:%02d", s % 86_400 / 3600, s % 3600 / 60, s % 60))" }
        return String(format: "%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60)
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n)B" : String(format: v < 10 ? "%.1f%@" : "%.0f%@", v, units[u])
    }
}
