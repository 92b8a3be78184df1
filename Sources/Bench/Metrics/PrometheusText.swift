/// Samples of a Prometheus text exposition (`name{label="value",…} number`), enough for vkserved's /metrics.
public struct PrometheusText: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public private(set) var samples: [Sample] = []

    public init(_ text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " }
            guard !trimmed.isEmpty, trimmed.first != "#", let sample = Self.parse(Substring(trimmed)) else { continue }
            samples.append(sample)
        }
    }

    /// Sum of the samples of `name` whose labels include `matching`; nil when there is none.
    public func sum(_ name: String, matching: [String: String] = [:]) -> Double? {
        let values = samples.filter { s in
            s.name == name && matching.allSatisfy { s.labels[$0.key] == $0.value }
        }.map(\.value)
        return values.isEmpty ? nil : values.reduce(0, +)
    }

    /// Values of `name` by the value of one label.
    public func byLabel(_ name: String, _ label: String, matching: [String: String] = [:]) -> [String: Double] {
        var out: [String: Double] = [:]
        for s in samples where s.name == name && matching.allSatisfy({ s.labels[$0.key] == $0.value }) {
            out[s.labels[label] ?? "", default: 0] += s.value
        }
        return out
    }

    static func parse(_ line: Substring) -> Sample? {
        var name = Substring("")
        var labels: [String: String] = [:]
        var rest: Substring
        if let brace = line.firstIndex(of: "{") {
            name = line[..<brace]
            var i = line.index(after: brace)
            while i < line.endIndex, line[i] != "}" {
                guard let eq = line[i...].firstIndex(of: "=") else { return nil }
                let key = line[i..<eq].trimmingCharacters(in: [" ", ","])
                var j = line.index(after: eq)
                guard j < line.endIndex, line[j] == "\"" else { return nil }
                j = line.index(after: j)
                var value = ""
                while j < line.endIndex, line[j] != "\"" {
                    if line[j] == "\\", line.index(after: j) < line.endIndex {
                        j = line.index(after: j)
                        value.append(line[j] == "n" ? "\n" : line[j])
                    } else {
                        value.append(line[j])
                    }
                    j = line.index(after: j)
                }
                guard j < line.endIndex else { return nil }
                labels[key] = value
                i = line.index(after: j)
                while i < line.endIndex, line[i] == "," || line[i] == " " { i = line.index(after: i) }
            }
            guard i < line.endIndex else { return nil }
            rest = line[line.index(after: i)...]
        } else {
            guard let space = line.firstIndex(of: " ") else { return nil }
            name = line[..<space]
            rest = line[space...]
        }
        guard let field = rest.split(separator: " ").first else { return nil }
        let value: Double? =
            switch field {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(field)
            }
        guard let value, !name.isEmpty else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }
}
