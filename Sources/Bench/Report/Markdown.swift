/// Markdown pieces of the reports.
enum Markdown {
    static func table(_ header: [String], _ rows: [[String]], alignRight: Bool = true) -> String {
        let separator = header.enumerated().map { i, _ in i == 0 || !alignRight ? "---" : "---:" }
        return ([header, separator] + rows).map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n")
    }

    static func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    static func verdictBadge(_ verdict: String) -> String {
        switch verdict {
        case "pass": "**PASS**"
        case "slo_failed", "failed": "**FAIL**"
        default: "**RUN FAILED**"
        }
    }
}

extension Double {
    /// Seconds as a short axis label: 45s, 2m30s, 1h05m.
    static func clockLabel(_ s: Double) -> String {
        if s < 60 { return Format.fixed(s, s < 10 && s != s.rounded() ? 1 : 0) + "s" }
        let total = Int(s.rounded())
        if total < 7200 { return "\(total / 60)m" + (total % 60 == 0 ? "" : String(format: "%02ds", total % 60)) }
        return "\(total / 3600)h" + ((total % 3600) / 60 == 0 ? "" : String(format: "%02dm", (total % 3600) / 60))
    }
}
