import Foundation

/// CPU time of the bench process itself (user + system, from getrusage): a load generator that uses a large
/// share of the machine it shares with the server distorts what it measures.
public struct ClientCPU: Codable, Sendable, Equatable {
    public var userSeconds: Double
    public var systemSeconds: Double
    public var wallSeconds: Double

    enum CodingKeys: String, CodingKey {
        case userSeconds = "user_s"
        case systemSeconds = "system_s"
        case wallSeconds = "wall_s"
    }

    /// CPU time over wall time: 1.0 is one core fully busy.
    public var cores: Double { wallSeconds > 0 ? (userSeconds + systemSeconds) / wallSeconds : 0 }

    struct Mark {
        let user: Double
        let system: Double
        let wall: UInt64

        static func now() -> Mark {
            var usage = rusage()
            #if os(Linux)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            #else
            getrusage(RUSAGE_SELF, &usage)
            #endif
            func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
            return Mark(user: s(usage.ru_utime), system: s(usage.ru_stime), wall: MonotonicClock.now())
        }

        func until(_ end: Mark) -> ClientCPU {
            ClientCPU(
                userSeconds: end.user - user, systemSeconds: end.system - system,
                wallSeconds: MonotonicClock.seconds(wall, end.wall))
        }
    }
}
