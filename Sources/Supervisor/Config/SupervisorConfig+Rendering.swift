extension SupervisorConfig {
    /// The configuration rendered as TOML: every key with a one-line comment, durations as strings such as
    /// `"500ms"`, `"1s"` or `"12h"`. An unset optional key is written commented out. Parsing the result gives
    /// back an equal configuration.
    public func rendered() -> String {
        var lines = [
            "# vkserved configuration. Every key is optional; durations are strings such as \"500ms\", \"30s\",",
            "# \"5m\", \"1h30m\" or \"2d\". Command-line overrides: vkserved --set section.key=value.",
        ]
        var section: String?
        for key in ConfigKey.all {
            if key.section != section, let name = key.section {
                section = name
                lines.append("")
                if let comment = ConfigKey.sectionComments[name] {
                    lines.append("# \(comment)")
                }
                lines.append("[\(name)]")
            }
            lines.append("# \(key.comment)")
            if let value = key.value(in: self) {
                lines.append("\(key.name) = \(value.tomlText)")
            } else {
                lines.append("# \(key.name) = \(key.example ?? "")")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
