/// A parsed JSON value, as read from a request body by ``OpenAIJSONParser``.
///
/// Numbers keep their literal text so that integers are read exactly (a seed of 2^63 - 1 survives) and a
/// fractional literal can be told apart from an integer one.
enum OpenAIJSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, valid JSON number grammar.
    case number(String)
    case string(String)
    case array([OpenAIJSONValue])
    /// Members by name; of duplicate names the last wins.
    case object([String: OpenAIJSONValue])

    /// The JSON type in words, with its article, for error messages ("a number", "an object").
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value of a number as a `Double`; infinite when the literal is beyond `Double`'s range.
    static func double(_ literal: String) -> Double {
        Double(literal) ?? .nan
    }

    /// What an integer-valued field makes of a number literal.
    enum Integer: Equatable {
        /// An integer that fits `Int64`.
        case signed(Int64)
        /// An integer above `Int64.max` that fits `UInt64`.
        case unsigned(UInt64)
        /// An integer beyond both; `negative` tells on which side.
        case outOfRange(negative: Bool)
        /// Not an integer (`1.5`).
        case fractional
    }

    /// `literal` read as an integer. Fraction or exponent forms count when their value is whole (`2.0`, `1e3`).
    static func integer(_ literal: String) -> Integer {
        if let value = Int64(literal) { return .signed(value) }
        if let value = UInt64(literal) { return .unsigned(value) }
        let negative = literal.hasPrefix("-")
        if !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .outOfRange(negative: negative) }
        let value = double(literal)
        guard value.isFinite else { return .outOfRange(negative: negative) }
        guard value.rounded(.towardZero) == value else { return .fractional }
        if value >= -9.223_372_036_854_775_808e18 && value < 9.223_372_036_854_775_808e18 {
            return .signed(Int64(value))
        }
        if value >= 0 && value < 1.844_674_407_370_955_161_6e19 { return .unsigned(UInt64(value)) }
        return .outOfRange(negative: negative)
    }
}
