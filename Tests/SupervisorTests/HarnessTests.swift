import Foundation
import Testing

/// The shared harness's process helper, which every end-to-end test leans on.
@Suite("Test harness")
struct HarnessTests {
    @Test("runCommand kills a child that outlives its deadline and says so")
    func deadline() throws {
        let start = Date()
        #expect(throws: TestFailure.self) { try runCommand("/bin/sleep", ["60"], timeout: 1) }
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test("runCommand drains stdout and stderr together: a child filling stderr first does not stall")
    func bothPipes() throws {
        // 1 MiB to stderr before anything to stdout: more than a pipe holds.
        let r = try runCommand("/bin/sh", ["-c", "head -c 1048576 /dev/zero | tr '\\0' e >&2; echo done"], timeout: 60)
        #expect(r.status == 0 && r.out == "done\n" && r.err == String(repeating: "e", count: 1_048_576))
    }

    @Test("a background client's output is drained while it runs: one that fills stderr first still finishes")
    func backgroundDrains() throws {
        let code = "import sys; sys.stderr.write('e' * 1048576); sys.stderr.flush(); print('{\"ok\": 1}')"
        let client = try BackgroundPython(path: "-c", arguments: [code])
        let summary = try client.wait(timeout: 60)
        #expect(summary["ok"] as? Int == 1)
    }
}
