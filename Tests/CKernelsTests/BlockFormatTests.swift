import CKernels
import Foundation
import TestHarness
import Testing

@Suite(.serialized) struct BlockFormatTests {
    @Test(arguments: T.weightTypes + [T.q8_1, T.q8_K])
    func dequantizeMatchesFormatSpec(type: Int32) {
        var rng = SplitMix64(seed: 0xD0 + UInt64(type))
        let n = T.testLength(type == T.q8_K ? T.q4_K : type)
        let rows = 3
        let w: [UInt8]
        if type == T.q8_1 || type == T.q8_K {
            w = (0..<rows).flatMap { _ in ckQuantize(type, randomActivations(n, rng: &rng)) }
        } else {
            w = randomWeights(type, n: n, rows: rows, rng: &rng)
        }
        for r in 0..<rows {
            let off = r * rowSize(type, n)
            let got = ckDequantize(type, w, n: n, offset: off)
            let want = Reference.dequantize(type, w, n: n, offset: off)
            #expect(got.count == want.count)
            let mismatches = zip(got, want).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
            #expect(mismatches.isEmpty, "\(T.name(type)) row \(r): first mismatches \(mismatches.prefix(4))")
        }
    }

    @Test func rowSizes() {
        #expect(ck_row_size(T.q4_0, 64) == 36)
        #expect(ck_row_size(T.q4_1, 576) == 18 * 20)
        #expect(ck_row_size(T.q5_0, 32) == 22)
        #expect(ck_row_size(T.q5_1, 32) == 24)
        #expect(ck_row_size(T.q8_0, 640) == 20 * 34)
        #expect(ck_row_size(T.q8_1, 32) == 36)
        #expect(ck_row_size(T.q4_K, 256) == 144)
        #expect(ck_row_size(T.q5_K, 256) == 176)
        #expect(ck_row_size(T.q6_K, 512) == 420)
        #expect(ck_row_size(T.q8_K, 256) == 292)
        #expect(ck_row_size(T.f16, 10) == 20)
        #expect(ck_row_size(T.bf16, 10) == 20)
        #expect(ck_row_size(T.f32, 10) == 40)
    }

    @Test func vecDotTypes() {
        #expect(ck_vec_dot_type(T.q4_0) == T.q8_0)
        #expect(ck_vec_dot_type(T.q5_0) == T.q8_0)
        #expect(ck_vec_dot_type(T.q8_0) == T.q8_0)
        #expect(ck_vec_dot_type(T.q4_1) == T.q8_1)
        #expect(ck_vec_dot_type(T.q5_1) == T.q8_1)
        #expect(ck_vec_dot_type(T.q4_K) == T.q8_K)
        #expect(ck_vec_dot_type(T.q5_K) == T.q8_K)
        #expect(ck_vec_dot_type(T.q6_K) == T.q8_K)
        #expect(ck_vec_dot_type(T.f16) == T.f16)
        #expect(ck_vec_dot_type(T.bf16) == T.bf16)
        #expect(ck_vec_dot_type(T.f32) == T.f32)
    }

    @Test func q8QuantizersMatchGGMLReference() {
        var rng = SplitMix64(seed: 42)
        var x = randomActivations(1024, rng: &rng)
        // exact ties and special blocks: an all-zero block, a block whose extreme is negative
        for j in 0..<32 { x[j] = 0 }
        for j in 32..<64 { x[j] = Float(j - 48) * 0.5 }
        for j in 256..<512 { x[j] = Float(j % 7) - 3 }
        x[300] = -9
        // round-half cases: values whose scaled quotient lands exactly on .5
        for j in 64..<96 { x[j] = j == 64 ? 127 : Float(j - 80) + 0.5 }
        x[600] = 5; x[601] = -5   // tie on |max| within a Q8_K block: the first one wins
        for j in 602..<768 { x[j] = Float(j % 9) * 0.25 - 1 }
        var zeros = x
        for j in 0..<256 { zeros[j] = 0 }
        for level in Int32(0)...maxISALevel {
            withISA(level) {
                #expect(ckQuantize(T.q8_0, x) == Reference.quantizeQ8_0(x, withSum: false), "level \(level)")
                #expect(ckQuantize(T.q8_1, x) == Reference.quantizeQ8_0(x, withSum: true), "level \(level)")
                #expect(ckQuantize(T.q8_K, x) == Reference.quantizeQ8_K(x), "level \(level)")
                #expect(ckQuantize(T.q8_K, zeros) == Reference.quantizeQ8_K(zeros), "level \(level)")
            }
        }
        // random data in bulk, SIMD against scalar
        let big = randomActivations(256 * 64, rng: &rng)
        for dt in [T.q8_0, T.q8_1, T.q8_K] {
            let scalar = withISA(0) { ckQuantize(dt, big) }
            #expect(withISA(maxISALevel) { ckQuantize(dt, big) } == scalar, "\(T.name(dt))")
        }
    }

    @Test func floatRowConversions() {
        var rng = SplitMix64(seed: 7)
        let x = randomActivations(77, rng: &rng)
        let h = ckQuantize(T.f16, x)
        #expect(ckDequantize(T.f16, h, n: 77) == x.map { Float(Float16($0)) })
        let bf = ckQuantize(T.bf16, x)
        let back = ckDequantize(T.bf16, bf, n: 77)
        for (a, b) in zip(x, back) { #expect(abs(a - b) <= abs(a) / 256) }
        #expect(ckDequantize(T.f32, ckQuantize(T.f32, x), n: 77) == x)
    }
}

@Suite struct HalfPrecisionTests {
    @Test func everyHalfRoundTrips() {
        var bad = [UInt16]()
        for bits in 0...UInt16.max {
            let h = Float16(bitPattern: bits)
            let f = ck_fp16_to_fp32(bits)
            if h.isNaN {
                if !f.isNaN || !ck_fp32_to_fp16(f).isHalfNaN { bad.append(bits) }
                continue
            }
            if f.bitPattern != Float(h).bitPattern || ck_fp32_to_fp16(f) != bits { bad.append(bits) }
        }
        #expect(bad.isEmpty, "first failures: \(bad.prefix(8))")
    }

    @Test func floatToHalfRoundsToNearestEven() {
        var rng = SplitMix64(seed: 99)
        var bad = [Float]()
        var xs: [Float] = [65504, 65519.99, 65520, 1e-8, 5.96e-8, 2.98e-8, 2.99e-8, 6.1e-5, -0.0, .infinity, -.infinity]
        for _ in 0..<200_000 { xs.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xC7FF_FFFF)) }
        for x in xs where !x.isNaN {
            if ck_fp32_to_fp16(x) != Float16(x).bitPattern { bad.append(x) }
        }
        #expect(bad.isEmpty, "first failures: \(bad.prefix(8))")
        var row = [UInt16](repeating: 0, count: 5)
        let src: [Float] = [1, -2.5, 0.1, 1000, 3e-6]
        ck_fp32_to_fp16_row(src, &row, 5)
        var back = [Float](repeating: 0, count: 5)
        ck_fp16_to_fp32_row(row, &back, 5)
        #expect(back == src.map { Float(Float16($0)) })
    }
}

extension UInt16 {
    var isHalfNaN: Bool { Float16(bitPattern: self).isNaN }
}
