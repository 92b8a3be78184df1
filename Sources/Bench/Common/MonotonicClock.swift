import Foundation

/// Nanoseconds on the monotonic clock: every latency is a difference of two of these.
enum MonotonicClock {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static func seconds(_ from: UInt64, _ to: UInt64) -> Double {
        to >= from ? Double(to - from) / 1e9 : -Double(from - to) / 1e9
    }

    static func milliseconds(_ from: UInt64, _ to: UInt64) -> Double { seconds(from, to) * 1000 }

    /// Sleeps until the monotonic time `deadline` (returns at once when it has passed).
    static func sleep(until deadline: UInt64) async throws {
        let now = now()
        guard deadline > now else { return }
        try await Task.sleep(nanoseconds: deadline - now)
    }
}
