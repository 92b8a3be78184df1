@testable import HTTPAPI
import Testing

@Suite("API key comparison")
struct BearerCredentialTests {
    let credential = BearerCredential(key: "sk-test-123")

    @Test("only the exact header is admitted")
    func exactMatch() {
        #expect(credential.admits("Bearer sk-test-123"))
        #expect(!credential.admits(nil))
        #expect(!credential.admits(""))
        #expect(!credential.admits("Bearer "))
        #expect(!credential.admits("bearer sk-test-123"))
        #expect(!credential.admits("Bearer sk-test-124"))
        #expect(!credential.admits("Bearer sk-test-12"))
        #expect(!credential.admits("Bearer sk-test-1234"))
        #expect(!credential.admits("Bearer sk-test-123 "))
        #expect(!credential.admits("Xearer sk-test-123"))
    }

    @Test("a length difference cannot hide behind a matching prefix or a repetition of the key")
    func lengthMatters() {
        let expected = Array("abc".utf8)
        #expect(BearerCredential.equal(Array("abc".utf8), expected))
        // The expected bytes are read cyclically: "abcabc" agrees with them at every position, only the length
        // differs, and that alone must make it unequal.
        #expect(!BearerCredential.equal(Array("abcabc".utf8), expected))
        #expect(!BearerCredential.equal(Array("ab".utf8), expected))
        #expect(!BearerCredential.equal([], expected))
        // Lengths that differ by a multiple of 2^k still differ (the XOR of the counts is not zero).
        #expect(!BearerCredential.equal(Array(repeating: 0x61, count: 259), Array(repeating: 0x61, count: 3)))
    }

    @Test("every byte position is compared")
    func everyPosition() {
        let expected = Array("Bearer 0123456789abcdef".utf8)
        for i in expected.indices {
            var wrong = expected
            wrong[i] ^= 0x01
            #expect(!BearerCredential.equal(wrong, expected), "a difference at byte \(i) went unnoticed")
        }
    }
}
