import Foundation
import GGUF
import Testing

/// Quantize → dequantize error of the reference quantizers on random data.
@Suite struct CodecAccuracyTests {
    /// Largest accepted relative RMS error (RMS of the error / RMS of the data), per type, over
    /// every distribution in `Distribution`. Measured values are in the comments (worst case).
    static let bounds: [GGMLType: Double] = [
        .f32: 0,  // exact
        .f16: 0.00025,  // measured worst 0.00022 (gaussian 0.00021)
        .bf16: 0.002,  // 0.00172
        .q8_0: 0.0075,  // 0.00646 heavy-tailed, 0.00536 gaussian, 0.00377 uniform
        .q6_K: 0.024,  // 0.02108 heavy-tailed, 0.01783 gaussian
        .q5_K: 0.048,  // 0.04219, 0.03651
        .q5_1: 0.05,  // 0.04357, 0.03812
        .q5_0: 0.06,  // 0.05205, 0.04272
        .q4_K: 0.095,  // 0.08328, 0.07203
        .q4_1: 0.10,  // 0.08954, 0.07877
        .q4_0: 0.12,  // 0.10372, 0.08619
    ]

    static let elements = 256 * 64

    @Test(arguments: BlockCodec.supportedTypes)
    func roundTripErrorIsWithinBound(type: GGMLType) throws {
        let bound = try #require(Self.bounds[type])
        var worst = 0.0
        for (i, dist) in Distribution.allCases.enumerated() {
            let x = dist.sample(Self.elements, seed: 1000 + UInt64(i))
            let bytes = try BlockCodec.quantize(type, x)
            #expect(bytes.count == type.byteCount(elements: x.count))
            let y = try BlockCodec.dequantize(type, bytes, count: x.count)
            let err = relativeRMSError(x, y)
            worst = max(worst, err)
            print("roundtrip \(type) \(dist): relative RMS error \(String(format: "%.5f", err))")
            #expect(err <= bound, "\(type) on \(dist): relative RMS error \(err) > \(bound)")
        }
        print("roundtrip \(type): worst \(String(format: "%.5f", worst))")
    }

    /// Quantizing what was just dequantized must give the same bytes back for the formats whose
    /// reference quantizer maps grid points to themselves.
    @Test(arguments: [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q5_0])
    func requantizingDequantizedDataIsStable(type: GGMLType) throws {
        let x = Distribution.gaussian.sample(4096, seed: 99)
        let bytes = try BlockCodec.quantize(type, x)
        let y = try BlockCodec.dequantize(type, bytes, count: x.count)
        let again = try BlockCodec.dequantize(type, BlockCodec.quantize(type, y), count: y.count)
        #expect(relativeRMSError(y, again) < 1e-3, "\(type)")
    }

    @Test func q4_KSearchBeatsNaiveMinMax() throws {
        for (i, dist) in Distribution.allCases.enumerated() {
            let x = dist.sample(Self.elements, seed: 2000 + UInt64(i))
            let searched = try BlockCodec.dequantize(.q4_K, BlockCodec.quantize(.q4_K, x), count: x.count)
            let naive = try BlockCodec.dequantize(.q4_K, Self.naiveQ4_K(x), count: x.count)
            let (es, en) = (rmsError(x, searched), rmsError(x, naive))
            print("q4_K \(dist): search RMSE \(es), naive min/max RMSE \(en) (\(String(format: "%.1f", 100 * (1 - es / en)))% better)")
            #expect(es < en, "\(dist): search \(es) vs naive \(en)")
        }
    }

    @Test func q5_KSearchBeatsNaiveMinMax() throws {
        let x = Distribution.gaussian.sample(Self.elements, seed: 77)
        let searched = try BlockCodec.dequantize(.q5_K, BlockCodec.quantize(.q5_K, x), count: x.count)
        let q5_1 = try BlockCodec.dequantize(.q5_1, BlockCodec.quantize(.q5_1, x), count: x.count)
        // Q5_K spends 5.5 bits per weight against Q5_1's 6 and should still be at least as good.
        #expect(rmsError(x, searched) < rmsError(x, q5_1) * 1.05)
    }

    /// Q4_K with each sub-block's scale and min taken straight from its min and max (no search),
    /// stored the same way (6-bit against the largest), levels re-rounded.
    static func naiveQ4_K(_ x: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for sb in stride(from: 0, to: x.count, by: 256) {
            var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
            for j in 0 ..< 8 {
                let sub = x[sb + 32 * j ..< sb + 32 * j + 32]
                let lo = min(0, sub.min()!), hi = sub.max()!
                scales[j] = (hi - lo) / 15
                mins[j] = -lo
            }
            let maxScale = scales.max()!, maxMin = mins.max()!
            let ls = scales.map { maxScale > 0 ? min(63, Int(($0 * 63 / maxScale).rounded())) : 0 }
            let lm = mins.map { maxMin > 0 ? min(63, Int(($0 * 63 / maxMin).rounded())) : 0 }
            let d16 = HalfPrecision.half(from: maxScale / 63), m16 = HalfPrecision.half(from: maxMin / 63)
            let d = HalfPrecision.float(fromHalf: d16), dmin = HalfPrecision.float(fromHalf: m16)
            var levels = [UInt8](repeating: 0, count: 256)
            for j in 0 ..< 8 {
                let dj = d * Float(ls[j]), mj = dmin * Float(lm[j])
                for i in 0 ..< 32 where dj > 0 {
                    levels[32 * j + i] = UInt8(max(0, min(15, Int(((x[sb + 32 * j + i] + mj) / dj).rounded()))))
                }
            }
            out.appendLE(d16)
            out.appendLE(m16)
            var packed = [UInt8](repeating: 0, count: 12)
            for i in 0 ..< 4 {
                packed[i] = UInt8(ls[i]) | UInt8(ls[i + 4] >> 4) << 6
                packed[i + 4] = UInt8(lm[i]) | UInt8(lm[i + 4] >> 4) << 6
                packed[i + 8] = UInt8(ls[i + 4] & 15) | UInt8(lm[i + 4] & 15) << 4
            }
            out += packed
            for c in 0 ..< 4 {
                for l in 0 ..< 32 { out.append(levels[64 * c + l] | levels[64 * c + 32 + l] << 4) }
            }
        }
        return out
    }
}
