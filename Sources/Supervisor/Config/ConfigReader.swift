import TOMLKit

/// Builds a ``SupervisorConfig`` from a TOML text and `--set` overrides, remembering where each key was set
/// so that validation errors point at the right file line or override.
struct ConfigReader {
    /// Where a key was set.
    struct Origin {
        let source: String
        let line: Int?
    }

    private(set) var config = SupervisorConfig()
    private(set) var origins: [String: Origin] = [:]
    /// Where keys that nothing set are blamed (the file).
    private let defaultSource: String

    init(source: String) {
        defaultSource = source
    }

    /// Reads a TOML document on top of the defaults. Throws the first error by line.
    mutating func read(_ text: String, source: String) throws(ConfigError) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(source: source, line: error.source.begin.line, key: nil, message: error.description)
        } catch {
            throw ConfigError(source: source, line: nil, key: nil, message: "\(error)")
        }
        let index = ConfigLineIndex(text)
        var failures: [ConfigError] = []
        func fail(_ path: String, _ message: String) {
            failures.append(ConfigError(source: source, line: index.line(of: path), key: path, message: message))
        }
        func take(_ key: ConfigKey, _ value: TOMLValueConvertible) {
            switch key.decode(value) {
            case .success(let decoded):
                key.store(decoded, into: &config)
                origins[key.path] = Origin(source: source, line: index.line(of: key.path))
            case .failure(let failure):
                fail(key.path, failure.message)
            }
        }
        let keys = ConfigKey.all
        for name in root.keys {
            guard let value = root[name] else {
                continue
            }
            if ConfigKey.sections.contains(name) {
                guard value.type == .table, let table = value.table else {
                    fail(name, "expected a table ([\(name)]), got \(ConfigValue.describe(value))")
                    continue
                }
                for subName in table.keys {
                    guard let subValue = table[subName] else {
                        continue
                    }
                    if let key = keys.first(where: { $0.section == name && $0.name == subName }) {
                        take(key, subValue)
                    } else {
                        let isTable = subValue.type == .table
                        fail("\(name).\(subName)", Self.unknown(subName, in: name, isTable: isTable))
                    }
                }
            } else if let key = keys.first(where: { $0.section == nil && $0.name == name }) {
                take(key, value)
            } else {
                fail(name, Self.unknown(name, in: nil, isTable: value.type == .table))
            }
        }
        let ordered = failures.enumerated().min { first, second in
            (first.element.line ?? Int.max, first.offset) < (second.element.line ?? Int.max, second.offset)
        }
        if let first = ordered?.element {
            throw first
        }
    }

    /// Applies one `--set KEY=VALUE` override. The value is read as a TOML value (`8`, `false`, `"text"`);
    /// when that fails, or when the key holds text (a string or a duration) and the TOML value is not a
    /// string, the value's text is taken as is, so `model.path=/m/x.gguf` and `restart.every=0` work.
    mutating func apply(override: String) throws(ConfigError) {
        let source = "--set \(override)"
        guard let equals = override.firstIndex(of: "=") else {
            throw ConfigError(
                source: source, line: nil, key: nil,
                message: "expected KEY=VALUE with a dotted key, such as workers.vulkan=0"
            )
        }
        let path = Self.trimmed(override[..<equals])
        let text = Self.trimmed(override[override.index(after: equals)...])
        guard !path.isEmpty else {
            throw ConfigError(
                source: source, line: nil, key: nil,
                message: "the key before '=' is missing; expected KEY=VALUE, such as workers.vulkan=0"
            )
        }
        guard let key = ConfigKey.named(path) else {
            throw ConfigError(source: source, line: nil, key: path, message: Self.unknownOverride(path))
        }
        var value: TOMLValueConvertible = text
        if let table = try? TOMLTable(string: "value = \(text)"), table.keys == ["value"],
           let parsed = table["value"], !(key.isText && parsed.type != .string) {
            value = parsed
        }
        switch key.decode(value) {
        case .success(let decoded):
            key.store(decoded, into: &config)
            origins[key.path] = Origin(source: source, line: nil)
        case .failure(let failure):
            throw ConfigError(source: source, line: nil, key: path, message: failure.message)
        }
    }

    /// Checks every ``ConfigRule``; throws the first violation, blamed on where the offending key was set.
    func validate() throws(ConfigError) {
        for rule in ConfigRule.all {
            guard let message = rule.check(config) else {
                continue
            }
            let blamed = ([rule.key] + rule.related).first { origins[$0] != nil } ?? rule.key
            let origin = origins[blamed] ?? Origin(source: defaultSource, line: nil)
            throw ConfigError(
                source: origin.source, line: origin.line, key: blamed,
                message: blamed == rule.key ? message : "\(rule.key) \(message)"
            )
        }
    }

    // MARK: - Messages

    private static func unknown(_ name: String, in section: String?, isTable: Bool) -> String {
        let keys = ConfigKey.all
        let siblings = keys.filter { $0.section == section }.map(\.name)
        guard let section else {
            if isTable {
                if let close = ConfigSuggestion.closest(to: name, among: ConfigKey.sections) {
                    return "unknown section [\(name)]; did you mean [\(close)]?"
                }
                let known = ConfigKey.sections.map { "[\($0)]" }.joined(separator: ", ")
                return "unknown section [\(name)]; the sections are \(known)"
            }
            if let close = ConfigSuggestion.closest(to: name, among: siblings) {
                return "unknown key '\(name)'; did you mean '\(close)'?"
            }
            if let home = keys.first(where: { $0.name == name })?.section {
                return "unknown key '\(name)' at the top level; '\(name)' belongs in [\(home)]"
            }
            return "unknown key '\(name)'; the top-level keys are \(siblings.joined(separator: ", "))"
        }
        if isTable {
            return "unknown section [\(section).\(name)]; [\(section)] has no subsections"
        }
        if let close = ConfigSuggestion.closest(to: name, among: siblings) {
            return "unknown key '\(name)' in [\(section)]; did you mean '\(close)'?"
        }
        if let home = keys.first(where: { $0.name == name }) {
            let place = home.section.map { "in [\($0)]" } ?? "at the top level"
            return "unknown key '\(name)' in [\(section)]; '\(name)' belongs \(place)"
        }
        return "unknown key '\(name)' in [\(section)]; its keys are \(siblings.joined(separator: ", "))"
    }

    private static func unknownOverride(_ path: String) -> String {
        if ConfigKey.sections.contains(path) {
            let names = ConfigKey.all.filter { $0.section == path }.map(\.path)
            return "'\(path)' is a section; set one of its keys: \(names.joined(separator: ", "))"
        }
        if let close = ConfigSuggestion.closest(to: path, among: ConfigKey.all.map(\.path)) {
            return "unknown key '\(path)'; did you mean '\(close)'?"
        }
        return "unknown key '\(path)'; keys are dotted, such as model.slots or listen"
    }

    private static func trimmed(_ text: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
