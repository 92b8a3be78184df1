import CKernels
import Foundation
import TestHarness
import Testing

/// Float reference of what each vec_dot computes: dot(dequantize(w), dequantize(xq)), with the
/// Q8_1 path using the stored s (= d*sum(q), rounded to f16) for the min term, as ggml does.
func referenceDot(_ t: Int32, n: Int, w: [UInt8], wOffset: Int, xq: [UInt8], xOffset: Int) -> (Double, Double) {
    let dt = ck_vec_dot_type(t)
    let wf = Reference.dequantize(t, w, n: n, offset: wOffset)
    let xf = Reference.dequantize(dt, xq, n: n, offset: xOffset)
    var dot = 0.0, mag = 0.0
    if dt == T.q8_1 {
        let wb = t == T.q4_1 ? 20 : 24
        for blk in 0..<(n / 32) {
            let m = Double(half(w, wOffset + blk * wb + 2))
            let s = Double(half(xq, xOffset + blk * 36 + 2))
            for j in (32 * blk)..<(32 * blk + 32) {
                dot += (Double(wf[j]) - m) * Double(xf[j])
                mag += abs(Double(wf[j]) * Double(xf[j]))
            }
            dot += m * s
            mag += abs(m * s)
        }
    } else {
        for j in 0..<n {
            dot += Double(wf[j]) * Double(xf[j])
            mag += abs(Double(wf[j]) * Double(xf[j]))
        }
    }
    return (dot, mag)
}

@Suite(.serialized) struct VecDotTests {
    @Test(arguments: T.weightTypes)
    func vecDotMatchesFloatReferenceAtEveryISALevel(type: Int32) {
        var rng = SplitMix64(seed: 0x51 + UInt64(type))
        let n = T.testLength(type)
        let rows = 6
        let w = randomWeights(type, n: n, rows: rows, rng: &rng)
        let dt = ck_vec_dot_type(type)
        let xq = ckQuantize(dt, randomActivations(n, rng: &rng))
        for r in 0..<rows {
            let wo = r * rowSize(type, n)
            let (want, mag) = referenceDot(type, n: n, w: w, wOffset: wo, xq: xq, xOffset: 0)
            let scalar = withISA(0) { ckVecDot(type, n: n, w, wOffset: wo, xq) }
            // F16/BF16/F32 products are rounded to float before summing; quantized ones are exact integers.
            let tol = 2e-6 * mag + 1e-9
            #expect(abs(Double(scalar) - want) <= tol, "\(T.name(type)) scalar row \(r): \(scalar) vs \(want)")
            for level in Int32(1)...maxISALevel {
                let got = withISA(level) { ckVecDot(type, n: n, w, wOffset: wo, xq) }
                #expect(abs(Double(got) - want) <= tol,
                        "\(T.name(type)) level \(level) row \(r): \(got) vs \(want) (mag \(mag))")
                #expect(abs(got - scalar) <= Float(tol) * 2,
                        "\(T.name(type)) level \(level) row \(r) differs from scalar: \(got) vs \(scalar)")
            }
        }
    }

    @Test func isaLimitClampsAndNames() {
        withISA(0) {
            #expect(String(cString: ck_isa_name()) == "scalar")
            #expect(ck_cpu_features() == 0)
        }
        #expect(ck_set_isa_limit(99) == maxISALevel)
        #expect(ck_set_isa_limit(-1) == 0)
        ck_set_isa_limit(3)
        let names = ["scalar", "avx2", "avx512", "avx512vnni"]
        #expect(String(cString: ck_isa_name()) == names[Int(maxISALevel)])
    }

    /// A corrupted quant must change the result: guards against kernels that ignore data.
    @Test(arguments: T.weightTypes)
    func vecDotSeesEveryBlock(type: Int32) {
        var rng = SplitMix64(seed: 0x77 + UInt64(type))
        let n = T.testLength(type)
        var w = randomWeights(type, n: n, rows: 1, rng: &rng)
        // small activations except in the last block, so the last block dominates the magnitude
        let lastBlock = n - (T.isSuperBlock(type) ? 256 : type == T.f32 || type == T.f16 || type == T.bf16 ? 8 : 32)
        let xq = ckQuantize(ck_vec_dot_type(type), (0..<n).map { $0 >= lastBlock ? Float(1) + rng.unit() : 0.01 })
        for level in Int32(0)...maxISALevel {
            withISA(level) {
                let before = ckVecDot(type, n: n, w, xq)
                let (want, mag) = referenceDot(type, n: n, w: w, wOffset: 0, xq: xq, xOffset: 0)
                // flip bits in the last block's quants (the final byte is a quant for all but Q6_K, whose d
                // is last; for float types flip a high mantissa bit of the last element)
                let isFloat = type == T.f32 || type == T.f16 || type == T.bf16
                let last = type == T.q6_K ? w.count - 3 : w.count - (isFloat ? 2 : 1)
                let saved = w[last]
                w[last] ^= isFloat ? 0x40 : 0x88
                let after = ckVecDot(type, n: n, w, xq)
                let (want2, _) = referenceDot(type, n: n, w: w, wOffset: 0, xq: xq, xOffset: 0)
                w[last] = saved
                #expect(abs(want2 - want) > 3e-4 * mag)
                #expect(abs(Double(after - before) - (want2 - want)) <= 4e-6 * mag,
                        "\(T.name(type)) level \(level): change \(after - before) vs \(want2 - want)")
            }
        }
    }
}
