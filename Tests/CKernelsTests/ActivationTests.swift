import CKernels
import Foundation
import TestHarness
import Testing

/// The gated activations give the same bits on every kernel family the machine can run: a
/// model's output must not depend on which CPU serves it.
@Suite("activations", .serialized)
struct ActivationTests {
    /// Gate values across the interesting ranges: ordinary activations, the exp's scaling edges
    /// (|x| near 87, 125 and 192 base-2 exponents), the GELU table's ±10 cut, and lengths whose tails
    /// are not a multiple of the vector width.
    static func inputs(_ n: Int) -> (gate: [Float], up: [Float]) {
        var rng = SplitMix64(seed: UInt64(n))
        var gate = (0 ..< n).map { _ in rng.gauss() * 6 }
        let specials: [Float] = [0, -0.0, 1e-30, -1e-30, 9.999, 10, -10, -10.001, 60, -60, 87, -87, 88.7, -88.7, 89,
                                 -89, 100, -100, 104, -104, 130, -130, 150, -150, 1e10, -1e10, .infinity, -.infinity]
        for (i, v) in specials.enumerated() where i * 7 < n { gate[i * 7] = v }
        let up = (0 ..< n).map { _ in rng.gauss() }
        return (gate, up)
    }

    static func run(_ level: Int32, _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int64) -> Void,
                    _ gate: [Float], _ up: [Float]) -> [UInt32] {
        var out = [Float](repeating: .nan, count: gate.count)
        withISA(level) {
            gate.withUnsafeBufferPointer { g in
                up.withUnsafeBufferPointer { u in
                    out.withUnsafeMutableBufferPointer { o in body(g.baseAddress!, u.baseAddress!, o.baseAddress!, Int64(gate.count)) }
                }
            }
        }
        return out.map(\.bitPattern)
    }

    @Test(arguments: [1, 7, 15, 16, 17, 31, 200, 1536 * 3 + 9])
    func swigluIsTheSameOnEveryFamily(n: Int) {
        let (gate, up) = Self.inputs(n)
        let scalar = Self.run(0, ck_swiglu, gate, up)
        for level in 1 ... maxISALevel {
            let other = Self.run(level, ck_swiglu, gate, up)
            let diff = zip(scalar, other).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(diff == nil, "level \(level), element \(diff?.offset ?? -1): gate \(diff.map { gate[$0.offset] } ?? 0)")
        }
        // And it is SiLU: x·σ(x)·up, to float precision, where finite.
        for i in 0 ..< n where gate[i].isFinite && abs(gate[i]) < 80 {
            let x = Double(gate[i])
            let want = x / (1 + exp(-x)) * Double(up[i])
            #expect(abs(Double(Float(bitPattern: scalar[i])) - want) <= 1e-5 * max(1, abs(want)))
        }
    }

    /// Soft-capping (gemma2's scores and logits, cap · tanh(x / cap)) gives the same bits on every family
    /// and stays within a few ulp of tanh.
    @Test(arguments: [1, 7, 8, 9, 200, 49152 + 3])
    func softcapIsTheSameOnEveryFamily(n: Int) {
        var (x, _) = Self.inputs(n)
        x = x.map { $0 * 8 }   // reach past the polynomial's and the exp's ranges at cap 30
        func capped(_ level: Int32) -> [UInt32] {
            var out = x
            withISA(level) { out.withUnsafeMutableBufferPointer { ck_softcap($0.baseAddress!, Int64(n), 30) } }
            return out.map(\.bitPattern)
        }
        let scalar = capped(0)
        for level in 1 ... maxISALevel {
            let other = capped(level)
            let diff = zip(scalar, other).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(diff == nil, "level \(level), element \(diff?.offset ?? -1): x \(diff.map { x[$0.offset] } ?? 0)")
        }
        for i in 0 ..< n {
            let want = 30 * tanh(Double(x[i]) / 30)
            let got = Double(Float(bitPattern: scalar[i]))
            #expect(abs(got - want) <= 30 * 2.5e-7, "x \(x[i]): \(got) against \(want)")
        }
    }

    @Test(arguments: [1, 7, 8, 9, 200, 2048 * 3 + 5])
    func gegluIsTheSameOnEveryFamily(n: Int) {
        let (gate, up) = Self.inputs(n)
        let scalar = Self.run(0, ck_geglu, gate, up)
        for level in 1 ... maxISALevel {
            let other = Self.run(level, ck_geglu, gate, up)
            let diff = zip(scalar, other).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(diff == nil, "level \(level), element \(diff?.offset ?? -1): gate \(diff.map { gate[$0.offset] } ?? 0)")
        }
    }
}
