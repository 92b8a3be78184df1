/// The members of a JSON object in a request, read with type checks whose errors name the member's path.
struct OpenAIFields {
    /// The members.
    let members: [String: OpenAIJSONValue]
    /// Where the object is in the request ("" for the body, `stream_options`, `messages[2]`).
    let path: String

    init(_ members: [String: OpenAIJSONValue], path: String = "") {
        self.members = members
        self.path = path
    }

    /// The path of member `key`, as errors name it.
    func name(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    /// Member `key`, or nil when absent or null: an explicit null means "the default", as with OpenAI.
    func value(_ key: String) -> OpenAIJSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    /// Member `key` as a string.
    func string(_ key: String) throws(APIError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw .invalidType(param: name(key), expected: "a string") }
        return text
    }

    /// Member `key` as a boolean.
    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw .invalidType(param: name(key), expected: "a boolean") }
        return flag
    }

    /// Member `key` as a finite number.
    func number(_ key: String) throws(APIError) -> Double? {
        guard let value = value(key) else { return nil }
        return try Self.number(value, param: name(key))
    }

    /// Member `key` as a number within `range`; out of it, `invalid_value` saying "`key` must be `rangeText`".
    func number(_ key: String, in range: (Double) -> Bool, _ rangeText: String) throws(APIError) -> Double? {
        guard let number = try number(key) else { return nil }
        guard range(number) else { throw .invalidValue(param: name(key), "\(name(key)) must be \(rangeText)") }
        return number
    }

    /// Member `key` as an integer, of any size.
    func integer(_ key: String) throws(APIError) -> OpenAIJSONValue.Integer? {
        guard let value = value(key) else { return nil }
        return try Self.integer(value, param: name(key))
    }

    /// Member `key` as an integer within `range`; out of it, `invalid_value` saying "`key` must be `rangeText`".
    func int(_ key: String, in range: ClosedRange<Int64>, _ rangeText: String) throws(APIError) -> Int? {
        guard let integer = try integer(key) else { return nil }
        guard case .signed(let value) = integer, range.contains(value), let result = Int(exactly: value) else {
            throw .invalidValue(param: name(key), "\(name(key)) must be \(rangeText)")
        }
        return result
    }

    /// `value` as a finite number, else `invalid_type`/`invalid_value` naming `param`.
    static func number(_ value: OpenAIJSONValue, param: String) throws(APIError) -> Double {
        guard case .number(let literal) = value else { throw .invalidType(param: param, expected: "a number") }
        let number = OpenAIJSONValue.double(literal)
        guard number.isFinite else { throw .invalidValue(param: param, "\(param) is out of range") }
        return number
    }

    /// `value` as an integer, else `invalid_type` naming `param`.
    static func integer(_ value: OpenAIJSONValue, param: String) throws(APIError) -> OpenAIJSONValue.Integer {
        guard case .number(let literal) = value else { throw .invalidType(param: param, expected: "an integer") }
        let integer = OpenAIJSONValue.integer(literal)
        guard integer != .fractional else { throw .invalidType(param: param, expected: "an integer") }
        return integer
    }
}
