import Foundation
import Testing

/// Every test that starts a real vkserved, one at a time: they measure timeouts on a 2-core machine.
@Suite("vkserved end to end", .serialized)
struct EndToEnd {
    static let rootAndSandbox = getuid() == 0 && FileManager.default.fileExists(atPath: "/usr/bin/unshare")
        && FileManager.default.fileExists(atPath: "/lib/systemd/systemd-journald")
}
