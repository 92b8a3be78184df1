import Foundation
import GGUF
import TestHarness
import Testing

/// Dequantization of hand-built blocks against values worked out from the format descriptions.
@Suite struct CodecReferenceTests {
    /// Bits of `qh` as ggml reads them: bit `j` of the little-endian u32.
    private func bit(_ qh: UInt32, _ j: Int) -> Int { Int((qh >> UInt32(j)) & 1) }

    @Test func f32RoundTripsBitPatterns() throws {
        let values: [Float] = [0, -0.0, 1, -2.5, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        var bytes: [UInt8] = []
        for v in values { bytes.appendLE(v.bitPattern) }
        let out = try BlockCodec.dequantize(.f32, bytes, count: values.count)
        #expect(out.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try BlockCodec.quantize(.f32, values) == bytes)
    }

    @Test func f16KnownPatterns() throws {
        let cases: [(UInt16, Float)] = [
            (0x3c00, 1), (0xc000, -2), (0x3555, 0.333251953125), (0x7bff, 65504), (0x0001, 0x1p-24),
            (0x03ff, 0x1.ff8p-15), (0x0400, 0x1p-14), (0x8000, -0.0), (0x7c00, .infinity), (0xfc00, -.infinity),
        ]
        var bytes: [UInt8] = []
        for (h, _) in cases { bytes.appendLE(h) }
        let out = try BlockCodec.dequantize(.f16, bytes, count: cases.count)
        for (i, (h, v)) in cases.enumerated() {
            #expect(out[i].bitPattern == v.bitPattern, "f16 0x\(String(h, radix: 16))")
        }
        #expect(try BlockCodec.dequantize(.f16, [0x01, 0x7e], count: 1)[0].isNaN)
    }

    @Test func f16ConversionIsExactForEveryPattern() {
        for h in 0 ... UInt16.max {
            let f = HalfPrecision.float(fromHalf: h)
            let expected = halfToFloat(h)
            if expected.isNaN {
                #expect(f.isNaN)
                #expect(HalfPrecision.half(from: f) & 0x7e00 == 0x7e00)
            } else {
                #expect(f.bitPattern == expected.bitPattern, "0x\(String(h, radix: 16))")
                #expect(HalfPrecision.half(from: f) == h, "0x\(String(h, radix: 16)) round trip")
            }
        }
    }

    @Test func f16RoundingIsNearestEven() {
        // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa.
        #expect(HalfPrecision.half(from: 1 + 0x1p-11) == 0x3c00)
        #expect(HalfPrecision.half(from: 1 + 3 * 0x1p-11) == 0x3c02)
        #expect(HalfPrecision.half(from: 1 + 0x1p-11 + 0x1p-20) == 0x3c01)
        #expect(HalfPrecision.half(from: 65519) == 0x7bff)
        #expect(HalfPrecision.half(from: 65520) == 0x7c00)
        #expect(HalfPrecision.half(from: 0x1p-25) == 0x0000)  // halfway to the smallest subnormal: even is zero
        #expect(HalfPrecision.half(from: 0x1.8p-25) == 0x0001)
        #expect(HalfPrecision.half(from: -0x1p-14) == 0x8400)
        #if !(os(macOS) && arch(x86_64))
        var rng = SplitMix64(seed: 7)
        for _ in 0 ..< 200_000 {
            let f = Float(bitPattern: UInt32.random(in: 0 ... .max, using: &rng))
            guard !f.isNaN else { continue }
            #expect(HalfPrecision.half(from: f) == Float16(f).bitPattern, "\(f)")
        }
        #endif
    }

    @Test func bf16KnownPatterns() throws {
        var bytes: [UInt8] = []
        for h: UInt16 in [0x3f80, 0xc040, 0x7f80, 0x0000, 0x4049] { bytes.appendLE(h) }
        let out = try BlockCodec.dequantize(.bf16, bytes, count: 5)
        #expect(out == [1, -3, .infinity, 0, 3.140625])
        // 1 + 2^-8 is halfway between two bf16 values: ties to even (1.0); just above rounds up.
        #expect(HalfPrecision.bfloat16(from: 1 + 0x1p-8) == 0x3f80)
        #expect(HalfPrecision.bfloat16(from: 1 + 0x1p-8 + 0x1p-20) == 0x3f81)
        #expect(try BlockCodec.quantize(.bf16, [1, -3]) == [0x80, 0x3f, 0x40, 0xc0])
    }

    @Test func q4_0HandBuiltBlock() throws {
        var block: [UInt8] = []
        block.appendLE(UInt16(0x3800))  // d = 0.5
        for j in 0 ..< 16 { block.append(UInt8(j) | UInt8(15 - j) << 4) }
        let out = try BlockCodec.dequantize(.q4_0, block, count: 32)
        for j in 0 ..< 16 {
            #expect(out[j] == Float(j - 8) * 0.5)
            #expect(out[j + 16] == Float(15 - j - 8) * 0.5)
        }
    }

    @Test func q4_1HandBuiltBlock() throws {
        var block: [UInt8] = []
        block.appendLE(UInt16(0x3400))  // d = 0.25
        block.appendLE(UInt16(0xbc00))  // m = -1
        for j in 0 ..< 16 { block.append(UInt8(j) | UInt8((j * 5) & 15) << 4) }
        let out = try BlockCodec.dequantize(.q4_1, block, count: 32)
        for j in 0 ..< 16 {
            #expect(out[j] == Float(j) * 0.25 - 1)
            #expect(out[j + 16] == Float((j * 5) & 15) * 0.25 - 1)
        }
    }

    @Test func q5_0HandBuiltBlock() throws {
        let qh: UInt32 = 0xa5a5_0f0f
        var block: [UInt8] = []
        block.appendLE(UInt16(0x4000))  // d = 2
        block.appendLE(qh)
        for j in 0 ..< 16 { block.append(UInt8(j & 15) | UInt8((j * 3) & 15) << 4) }
        let out = try BlockCodec.dequantize(.q5_0, block, count: 32)
        for j in 0 ..< 16 {
            #expect(out[j] == Float((j & 15) + 16 * bit(qh, j) - 16) * 2)
            #expect(out[j + 16] == Float(((j * 3) & 15) + 16 * bit(qh, j + 16) - 16) * 2)
        }
    }

    @Test func q5_1HandBuiltBlock() throws {
        let qh: UInt32 = 0x1234_5678
        var block: [UInt8] = []
        block.appendLE(UInt16(0x3800))  // d = 0.5
        block.appendLE(UInt16(0x4200))  // m = 3
        block.appendLE(qh)
        for j in 0 ..< 16 { block.append(UInt8((j * 7) & 15) | UInt8(j) << 4) }
        let out = try BlockCodec.dequantize(.q5_1, block, count: 32)
        for j in 0 ..< 16 {
            #expect(out[j] == Float(((j * 7) & 15) + 16 * bit(qh, j)) * 0.5 + 3)
            #expect(out[j + 16] == Float(j + 16 * bit(qh, j + 16)) * 0.5 + 3)
        }
    }

    @Test func q8_0HandBuiltBlocks() throws {
        var bytes: [UInt8] = []
        bytes.appendLE(UInt16(0x3000))  // d = 0.125
        for j in 0 ..< 32 { bytes.append(UInt8(bitPattern: Int8(j * 8 - 128))) }
        bytes.appendLE(UInt16(0xc400))  // d = -4
        for j in 0 ..< 32 { bytes.append(UInt8(bitPattern: Int8(127 - j))) }
        let out = try BlockCodec.dequantize(.q8_0, bytes, count: 64)
        for j in 0 ..< 32 {
            #expect(out[j] == Float(j * 8 - 128) * 0.125)
            #expect(out[32 + j] == Float(127 - j) * -4)
        }
    }

    /// The 12 packed bytes of eight 6-bit scales and mins, built from the layout description.
    private func packScalesMins(_ sc: [Int], _ mn: [Int]) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 12)
        for i in 0 ..< 4 {
            p[i] = UInt8(sc[i] & 63) | UInt8(sc[i + 4] >> 4) << 6
            p[i + 4] = UInt8(mn[i] & 63) | UInt8(mn[i + 4] >> 4) << 6
            p[i + 8] = UInt8(sc[i + 4] & 15) | UInt8(mn[i + 4] & 15) << 4
        }
        return p
    }

    private let kScales = [1, 2, 3, 4, 17, 33, 50, 63]
    private let kMins = [0, 5, 10, 15, 20, 40, 60, 63]

    @Test func q4_KHandBuiltBlock() throws {
        var block: [UInt8] = []
        block.appendLE(UInt16(0x3800))  // d = 0.5
        block.appendLE(UInt16(0x3400))  // dmin = 0.25
        block += packScalesMins(kScales, kMins)
        let qs = (0 ..< 128).map { UInt8(($0 * 7 + 3) & 0xff) }
        block += qs
        #expect(block.count == 144)
        let out = try BlockCodec.dequantize(.q4_K, block, count: 256)
        for c in 0 ..< 4 {
            for l in 0 ..< 32 {
                let lo = Int(qs[32 * c + l] & 15), hi = Int(qs[32 * c + l] >> 4)
                let s0 = 2 * c, s1 = 2 * c + 1
                #expect(out[64 * c + l] == Float(0.5 * Double(kScales[s0]) * Double(lo) - 0.25 * Double(kMins[s0])))
                #expect(out[64 * c + 32 + l] == Float(0.5 * Double(kScales[s1]) * Double(hi) - 0.25 * Double(kMins[s1])))
            }
        }
    }

    @Test func q5_KHandBuiltBlock() throws {
        var block: [UInt8] = []
        block.appendLE(UInt16(0x3400))  // d = 0.25
        block.appendLE(UInt16(0x3800))  // dmin = 0.5
        block += packScalesMins(kScales, kMins)
        let qh = (0 ..< 32).map { UInt8(($0 * 37 + 11) & 0xff) }
        let qs = (0 ..< 128).map { UInt8(($0 * 11 + 5) & 0xff) }
        block += qh + qs
        #expect(block.count == 176)
        let out = try BlockCodec.dequantize(.q5_K, block, count: 256)
        for c in 0 ..< 4 {
            for l in 0 ..< 32 {
                let lo = Int(qs[32 * c + l] & 15) + 16 * Int((qh[l] >> UInt8(2 * c)) & 1)
                let hi = Int(qs[32 * c + l] >> 4) + 16 * Int((qh[l] >> UInt8(2 * c + 1)) & 1)
                let s0 = 2 * c, s1 = 2 * c + 1
                #expect(out[64 * c + l] == Float(0.25 * Double(kScales[s0]) * Double(lo) - 0.5 * Double(kMins[s0])))
                #expect(out[64 * c + 32 + l] == Float(0.25 * Double(kScales[s1]) * Double(hi) - 0.5 * Double(kMins[s1])))
            }
        }
    }

    @Test func q6_KHandBuiltBlock() throws {
        let ql = (0 ..< 128).map { UInt8(($0 * 13 + 5) & 0xff) }
        let qh = (0 ..< 64).map { UInt8(($0 * 29 + 7) & 0xff) }
        let scales: [Int8] = [-128, -64, -3, -1, 0, 1, 2, 5, 7, 11, 13, 17, 64, 100, 127, -7]
        var block = ql + qh + scales.map { UInt8(bitPattern: $0) }
        block.appendLE(UInt16(0x3000))  // d = 0.125, stored last
        #expect(block.count == 210)
        let out = try BlockCodec.dequantize(.q6_K, block, count: 256)
        for h in 0 ..< 2 {
            for l in 0 ..< 32 {
                let lowA = ql[64 * h + l], lowB = ql[64 * h + l + 32], high = qh[32 * h + l]
                let q = [
                    Int(lowA & 15) | Int(high & 3) << 4,
                    Int(lowB & 15) | Int((high >> 2) & 3) << 4,
                    Int(lowA >> 4) | Int((high >> 4) & 3) << 4,
                    Int(lowB >> 4) | Int((high >> 6) & 3) << 4,
                ]
                for k in 0 ..< 4 {
                    let scale = Double(scales[8 * h + l / 16 + 2 * k])
                    let expected = Float(0.125 * scale * Double(q[k] - 32))
                    #expect(out[128 * h + 32 * k + l] == expected, "h \(h) l \(l) k \(k)")
                }
            }
        }
    }

    @Test func dequantizeIntoBufferMatchesArrayVariant() throws {
        let values = Distribution.gaussian.sample(512, seed: 3)
        for type in BlockCodec.supportedTypes {
            let bytes = try BlockCodec.quantize(type, values)
            let expected = try BlockCodec.dequantize(type, bytes, count: 512)
            var out = [Float](repeating: .nan, count: 600)
            try out.withUnsafeMutableBufferPointer { o in
                try bytes.withUnsafeBytes { try BlockCodec.dequantize(type, $0, count: 512, into: o) }
            }
            #expect(Array(out[0 ..< 512]) == expected, "\(type)")
            #expect(out[512].isNaN, "\(type) wrote past count")
        }
    }

    // MARK: reference quantizers on hand-checkable data

    @Test func q8_0QuantizesByAbsMax() throws {
        let x = (0 ..< 32).map { Float($0 - 16) }
        let bytes = try BlockCodec.quantize(.q8_0, x)
        #expect(bytes.count == 34)
        let d = Float(16) / 127
        #expect(UInt16(bytes[0]) | UInt16(bytes[1]) << 8 == HalfPrecision.half(from: d))
        for j in 0 ..< 32 {
            let expected = Int8((x[j] * (1 / d)).rounded())
            #expect(Int8(bitPattern: bytes[2 + j]) == expected)
        }
        #expect(Int8(bitPattern: bytes[2]) == -127)
    }

    @Test func legacyFormatsReproduceGridAlignedData() throws {
        // Data already on each format's grid must come back exactly.
        let q4 = (0 ..< 32).map { Float(($0 % 16) - 8) * 0.25 }
        #expect(try BlockCodec.dequantize(.q4_0, BlockCodec.quantize(.q4_0, q4), count: 32) == q4)
        let q41 = (0 ..< 32).map { Float($0 % 16) * 0.5 + 1 }
        #expect(try BlockCodec.dequantize(.q4_1, BlockCodec.quantize(.q4_1, q41), count: 32) == q41)
        let q5 = (0 ..< 32).map { Float($0 - 16) * 0.125 }
        #expect(try BlockCodec.dequantize(.q5_0, BlockCodec.quantize(.q5_0, q5), count: 32) == q5)
        let q51 = (0 ..< 32).map { Float($0) * 0.25 - 3 }
        #expect(try BlockCodec.dequantize(.q5_1, BlockCodec.quantize(.q5_1, q51), count: 32) == q51)
        let q8 = (0 ..< 32).map { Float($0 - 16) }
        let back = try BlockCodec.dequantize(.q8_0, BlockCodec.quantize(.q8_0, q8), count: 32)
        #expect(zip(q8, back).allSatisfy { abs($0 - $1) <= 16.0 / 127 / 2 + 1e-3 })
    }

    @Test func zeroBlocksStayZero() throws {
        for type in BlockCodec.supportedTypes {
            let zeros = [Float](repeating: 0, count: 256)
            let out = try BlockCodec.dequantize(type, BlockCodec.quantize(type, zeros), count: 256)
            #expect(out.allSatisfy { $0 == 0 }, "\(type)")
        }
    }

    // MARK: errors

    @Test func unsupportedTypesAndBadLengthsThrowTypedErrors() throws {
        let e1 = #expect(throws: GGUFError.self) { try BlockCodec.dequantize(.q2_K, [UInt8](repeating: 0, count: 84), count: 256) }
        #expect(e1?.code == .unsupportedType)
        #expect(e1?.message.contains("Q2_K") == true)
        let e2 = #expect(throws: GGUFError.self) { try BlockCodec.quantize(.q3_K, [Float](repeating: 0, count: 256)) }
        #expect(e2?.code == .unsupportedType)
        let e3 = #expect(throws: GGUFError.self) { try BlockCodec.quantize(.q4_K, [Float](repeating: 0, count: 100)) }
        #expect(e3?.code == .malformed)
        #expect(e3?.message.contains("256") == true)
        let e4 = #expect(throws: GGUFError.self) { try BlockCodec.dequantize(.q8_0, [UInt8](repeating: 0, count: 34), count: 31) }
        #expect(e4?.code == .malformed)
        let e5 = #expect(throws: GGUFError.self) { try BlockCodec.dequantize(.q8_0, [UInt8](repeating: 0, count: 33), count: 32) }
        #expect(e5?.code == .malformed)
        #expect(e5?.message.contains("34 bytes") == true)
        let e6 = #expect(throws: GGUFError.self) { try BlockCodec.quantize(.q8_0, [Float](repeating: .nan, count: 32)) }
        #expect(e6?.code == .malformed)
        let e7 = #expect(throws: GGUFError.self) {
            var small = [Float](repeating: 0, count: 16)
            try small.withUnsafeMutableBufferPointer { o in
                try [UInt8](repeating: 0, count: 34).withUnsafeBytes { try BlockCodec.dequantize(.q8_0, $0, count: 32, into: o) }
            }
        }
        #expect(e7?.code == .malformed)
        #expect(BlockCodec.supports(.q6_K) && !BlockCodec.supports(.q8_K))
    }
}
