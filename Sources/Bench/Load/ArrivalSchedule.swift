import Foundation

/// Open-loop arrival times: offsets in seconds from the start of the phase, Poisson (exponential gaps with mean
/// 1/rate) or evenly spaced, until `count` arrivals or `duration` seconds.
public struct ArrivalSchedule: Sequence, Sendable {
    public let rate: Double
    public let kind: LoadConfiguration.Arrival
    public let seed: UInt64
    public let count: Int?
    public let duration: Double?

    public init(rate: Double, kind: LoadConfiguration.Arrival, seed: UInt64, count: Int?, duration: Double?) {
        self.rate = rate
        self.kind = kind
        self.seed = seed
        self.count = count
        self.duration = duration
    }

    public struct Iterator: IteratorProtocol {
        let schedule: ArrivalSchedule
        var rng: SeededGenerator
        var t = 0.0
        var produced = 0

        public mutating func next() -> Double? {
            if let count = schedule.count, produced >= count { return nil }
            switch schedule.kind {
            case .poisson:
                // Inverse transform: −ln(1 − U)/λ; 1 − U is in (0, 1], so the logarithm is finite.
                t += -Foundation.log(1 - rng.unit()) / schedule.rate
            case .uniform:
                t = Double(produced) / schedule.rate
            }
            if let duration = schedule.duration, t >= duration { return nil }
            produced += 1
            return t
        }
    }

    public func makeIterator() -> Iterator { Iterator(schedule: self, rng: SeededGenerator(seed: seed ^ 0xA11_7E)) }
}
