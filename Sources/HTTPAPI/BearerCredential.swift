/// The `Authorization` header the API expects ("Bearer <api_key>"), compared without leaking how much of a
/// guess was right: every byte of the given header is looked at whatever the first difference, and a length
/// difference is folded into the result rather than cutting the loop short.
struct BearerCredential: Sendable {
    private let expected: [UInt8]

    init(key: String) {
        expected = Array("Bearer \(key)".utf8)
    }

    /// Whether `header` (the request's Authorization value) is exactly the expected one.
    func admits(_ header: String?) -> Bool {
        // A missing header says nothing about the key.
        guard let header else { return false }
        return Self.equal(Array(header.utf8), expected)
    }

    /// Whether `given` equals `expected`, in time that depends only on `given.count`: no early exit at the first
    /// differing byte or on a length mismatch, and the expected bytes are read cyclically so their length does
    /// not decide the number of iterations either. `expected` must not be empty.
    @inline(never)
    static func equal(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        precondition(!expected.isEmpty, "the expected credential is never empty")
        var difference = UInt64(truncatingIfNeeded: given.count ^ expected.count)
        var j = 0
        for byte in given {
            difference |= UInt64(byte ^ expected[j])
            j += 1
            if j == expected.count { j = 0 }  // depends on the position only, never on a byte's value
        }
        return difference == 0
    }
}
