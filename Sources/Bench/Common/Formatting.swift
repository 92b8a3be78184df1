import Foundation

/// Numbers as people read them in tables and charts.
enum Format {
    static func fixed(_ v: Double, _ digits: Int = 1) -> String {
        guard v.isFinite else { return "-" }
        return String(format: "%.\(digits)f", v)
    }

    static func bytes(_ v: Double) -> String {
        let mib = v / 1_048_576
        return mib >= 1024 ? String(format: "%.2f GiB", mib / 1024) : String(format: "%.1f MiB", mib)
    }

    static func signedBytes(_ v: Double) -> String { (v < 0 ? "-" : "+") + bytes(abs(v)) }

    static func percent(_ fraction: Double, _ digits: Int = 1) -> String {
        guard fraction.isFinite else { return "-" }
        return String(format: "%.\(digits)f %%", fraction * 100)
    }

    /// `1h02m03s`, `4m05s`, `12.3s`.
    static func seconds(_ s: Double) -> String {
        guard s.isFinite else { return "-" }
        if s < 60 { return String(format: "%.1fs", s) }
        let total = Int(s.rounded())
        let (h, m, sec) = (total / 3600, (total % 3600) / 60, total % 60)
        return h > 0 ? String(format: "%dh%02dm%02ds", h, m, sec) : String(format: "%dm%02ds", m, sec)
    }

    /// A plain-text table with aligned columns (first column left, others right).
    static func table(_ rows: [[String]], allLeft: Bool = false) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            (0..<columns).map { c in
                let cell = c < row.count ? row[c] : ""
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 || allLeft ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
