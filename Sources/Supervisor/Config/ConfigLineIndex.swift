/// The line of each key and section header of a TOML text, found by scanning it (TOMLKit does not expose
/// source positions of keys).
///
/// Tracks `[section]` headers and matches `key =`, `"key" =` and dotted `a.b =` at the start of a line. A key
/// inside an inline table falls back to the line of the table's key; multi-line strings are skipped.
struct ConfigLineIndex {
    /// First line (1-based) of each dotted path, keys and headers alike.
    private var lines: [String: Int] = [:]

    init(_ text: String) {
        var section: [String] = []
        var openString: String?
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = Substring(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine)
            if let delimiter = openString {
                if line.contains(delimiter) {
                    openString = nil
                }
                continue
            }
            var scanner = Scanner(line)
            scanner.skipSpaces()
            if scanner.atEnd || scanner.peek == "#" {
                continue
            }
            if scanner.peek == "[" {
                if let header = scanner.header() {
                    section = header
                    record(header, number)
                }
                continue
            }
            guard let key = scanner.dottedKey() else {
                continue
            }
            scanner.skipSpaces()
            guard scanner.peek == "=" else {
                continue
            }
            let full = section + key
            for length in (section.count + 1)...full.count {
                record(Array(full.prefix(length)), number)
            }
            let value = line[scanner.index...].dropFirst()
            for delimiter in ["\"\"\"", "'''"] {
                if value.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix(delimiter),
                   value.ranges(of: delimiter).count == 1 {
                    openString = delimiter
                }
            }
        }
    }

    /// The line of a dotted path, or of the nearest enclosing key or header that appears; `nil` when none does.
    func line(of path: String) -> Int? {
        var components = path.split(separator: ".").map(String.init)
        while !components.isEmpty {
            if let line = lines[components.joined(separator: ".")] {
                return line
            }
            components.removeLast()
        }
        return nil
    }

    private mutating func record(_ path: [String], _ line: Int) {
        let key = path.joined(separator: ".")
        if lines[key] == nil {
            lines[key] = line
        }
    }

    /// A cursor over one line.
    private struct Scanner {
        let line: Substring
        var index: Substring.Index

        init(_ line: Substring) {
            self.line = line
            self.index = line.startIndex
        }

        var atEnd: Bool { index == line.endIndex }
        var peek: Character? { atEnd ? nil : line[index] }

        mutating func skipSpaces() {
            while let character = peek, character == " " || character == "\t" {
                index = line.index(after: index)
            }
        }

        /// `[a.b]` or `[[a.b]]` followed only by spaces or a comment.
        mutating func header() -> [String]? {
            let double = line[index...].hasPrefix("[[")
            index = line.index(index, offsetBy: double ? 2 : 1)
            skipSpaces()
            guard let key = dottedKey() else {
                return nil
            }
            skipSpaces()
            let closing = double ? "]]" : "]"
            guard line[index...].hasPrefix(closing) else {
                return nil
            }
            index = line.index(index, offsetBy: closing.count)
            skipSpaces()
            return atEnd || peek == "#" ? key : nil
        }

        /// `a`, `"a b"`, `'a'` or `a . "b"`.
        mutating func dottedKey() -> [String]? {
            var components: [String] = []
            while true {
                guard let component = simpleKey() else {
                    return nil
                }
                components.append(component)
                let save = index
                skipSpaces()
                guard peek == "." else {
                    index = save
                    return components
                }
                index = line.index(after: index)
                skipSpaces()
            }
        }

        private mutating func simpleKey() -> String? {
            guard let first = peek else {
                return nil
            }
            if first == "\"" || first == "'" {
                index = line.index(after: index)
                var text = ""
                while let character = peek, character != first {
                    index = line.index(after: index)
                    if first == "\"", character == "\\", let escaped = peek {
                        index = line.index(after: index)
                        text.append(escaped == "\"" || escaped == "\\" ? escaped : character)
                        if escaped != "\"" && escaped != "\\" {
                            text.append(escaped)
                        }
                        continue
                    }
                    text.append(character)
                }
                guard peek == first else {
                    return nil
                }
                index = line.index(after: index)
                return text
            }
            var text = ""
            while let character = peek, character.isASCII,
                  character.isLetter || character.isNumber || character == "_" || character == "-" {
                text.append(character)
                index = line.index(after: index)
            }
            return text.isEmpty ? nil : text
        }
    }
}
