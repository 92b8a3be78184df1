import CKernels
import Foundation
import TestHarness
enum T {
    static let f32 = Int32(CK_F32), f16 = Int32(CK_F16), bf16 = Int32(CK_BF16)
    static let q4_0 = Int32(CK_Q4_0), q4_1 = Int32(CK_Q4_1), q5_0 = Int32(CK_Q5_0), q5_1 = Int32(CK_Q5_1)
    static let q8_0 = Int32(CK_Q8_0), q8_1 = Int32(CK_Q8_1), q8_K = Int32(CK_Q8_K)
    static let q4_K = Int32(CK_Q4_K), q5_K = Int32(CK_Q5_K), q6_K = Int32(CK_Q6_K)

    static let weightTypes: [Int32] = [q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K, q6_K, f16, bf16, f32]

    static func name(_ t: Int32) -> String {
        [f32: "F32", f16: "F16", bf16: "BF16", q4_0: "Q4_0", q4_1: "Q4_1", q5_0: "Q5_0", q5_1: "Q5_1",
         q8_0: "Q8_0", q8_1: "Q8_1", q8_K: "Q8_K", q4_K: "Q4_K", q5_K: "Q5_K", q6_K: "Q6_K"][t] ?? "?\(t)"
    }

    static func isSuperBlock(_ t: Int32) -> Bool { t == q4_K || t == q5_K || t == q6_K || t == q8_K }

    /// A row length valid for the type that is not a multiple of 8 (F types) or of 2 super-blocks.
    static func testLength(_ t: Int32) -> Int {
        if isSuperBlock(t) { return 768 }
        if t == f16 || t == bf16 || t == f32 { return 203 }
        return 576
    }
}

/// Highest ISA level on this machine.
let maxISALevel: Int32 = {
    let l = ck_set_isa_limit(3)
    return l
}()

/// Serializes tests that change the process-wide ISA limit.
let isaLock = NSLock()

func withISA<R>(_ level: Int32, _ body: () throws -> R) rethrows -> R {
    isaLock.lock()
    defer { ck_set_isa_limit(3); isaLock.unlock() }
    ck_set_isa_limit(level)
    return try body()
}

func putHalf(_ b: inout [UInt8], _ off: Int, _ v: Float) {
    let h = Float16(v).bitPattern
    b[off] = UInt8(h & 0xff)
    b[off + 1] = UInt8(h >> 8)
}

func half(_ b: [UInt8], _ off: Int) -> Float {
    Float(Float16(bitPattern: UInt16(b[off]) | UInt16(b[off + 1]) << 8))
}

func bf16(_ b: [UInt8], _ off: Int) -> Float {
    Float(bitPattern: (UInt32(b[off]) | UInt32(b[off + 1]) << 8) << 16)
}

func f32(_ b: [UInt8], _ off: Int) -> Float {
    Float(bitPattern: UInt32(b[off]) | UInt32(b[off + 1]) << 8 | UInt32(b[off + 2]) << 16 | UInt32(b[off + 3]) << 24)
}

func rowSize(_ t: Int32, _ n: Int) -> Int { ck_row_size(t, Int64(n)) }

/// Random valid weights: random quants, sane f16 scales.
func randomWeights(_ t: Int32, n: Int, rows: Int, rng: inout SplitMix64) -> [UInt8] {
    let rs = rowSize(t, n)
    var b = (0..<(rs * rows)).map { _ in rng.byte() }
    func scale(_ rng: inout SplitMix64) -> Float { rng.float(0.002, 0.03) * (rng.next() & 1 == 0 ? 1 : -1) }
    func blocks(_ bytes: Int, _ body: (Int, inout [UInt8], inout SplitMix64) -> Void) {
        var off = 0
        while off < b.count { body(off, &b, &rng); off += bytes }
    }
    switch t {
    case T.q4_0, T.q5_0, T.q8_0:
        blocks(t == T.q4_0 ? 18 : t == T.q5_0 ? 22 : 34) { o, b, r in putHalf(&b, o, scale(&r)) }
    case T.q4_1, T.q5_1:
        blocks(t == T.q4_1 ? 20 : 24) { o, b, r in
            putHalf(&b, o, abs(scale(&r))); putHalf(&b, o + 2, r.float(-0.2, 0.2))
        }
    case T.q4_K, T.q5_K:
        blocks(t == T.q4_K ? 144 : 176) { o, b, r in
            putHalf(&b, o, r.float(0.0005, 0.004)); putHalf(&b, o + 2, r.float(0.0002, 0.002))
        }
    case T.q6_K:
        blocks(210) { o, b, r in putHalf(&b, o + 208, r.float(0.0002, 0.002)) }
    case T.f16:
        blocks(2) { o, b, r in putHalf(&b, o, r.gauss()) }
    case T.bf16:
        blocks(2) { o, b, r in
            let u = r.gauss().bitPattern >> 16
            b[o] = UInt8(u & 0xff); b[o + 1] = UInt8(u >> 8)
        }
    case T.f32:
        blocks(4) { o, b, r in
            let u = r.gauss().bitPattern
            for k in 0..<4 { b[o + k] = UInt8((u >> (8 * UInt32(k))) & 0xff) }
        }
    default:
        break
    }
    return b
}

func randomActivations(_ n: Int, rng: inout SplitMix64) -> [Float] {
    (0..<n).map { _ in rng.gauss() * (rng.next() % 17 == 0 ? 8 : 1) }
}

func ckQuantize(_ dotType: Int32, _ x: [Float]) -> [UInt8] {
    var y = [UInt8](repeating: 0, count: rowSize(dotType, x.count))
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBytes { ck_quantize_row(dotType, xp.baseAddress, $0.baseAddress, Int64(x.count)) }
    }
    return y
}

func ckDequantize(_ t: Int32, _ b: [UInt8], n: Int, offset: Int = 0) -> [Float] {
    var y = [Float](repeating: 0, count: n)
    b.withUnsafeBytes { bp in
        y.withUnsafeMutableBufferPointer { ck_dequantize_row(t, bp.baseAddress! + offset, $0.baseAddress, Int64(n)) }
    }
    return y
}

func ckVecDot(_ t: Int32, n: Int, _ w: [UInt8], wOffset: Int = 0, _ x: [UInt8], xOffset: Int = 0) -> Float {
    w.withUnsafeBytes { wp in
        x.withUnsafeBytes { xp in ck_vec_dot(t, Int64(n), wp.baseAddress! + wOffset, xp.baseAddress! + xOffset) }
    }
}
