import Foundation
import TestHarness

/// The bench's server under test: a real vkserved (``Supervised``, release build) with `workers` CPU workers on
/// SmolLM2 of `slots` slots each, every worker running; `extra` is more TOML (e.g. an `[api]` section).
func benchServer(slots: Int = 4, workers: Int = 1, extra: String = "") throws -> Supervised {
    let server = try Supervised(
        workers: "vulkan = 0\ncpu = \(workers)", extra: extra, modelSlots: slots, stallTimeout: "10s",
        heartbeatTimeout: "2s", drainTimeout: "20s", watchdogUsec: nil)
    try server.waitAllRunning(timeout: 120)
    return server
}
