// Straightforward Swift readings of the block formats (from the format spec, not from the C code),
// used to check ck_dequantize_row and the activation quantizers.
import Foundation

enum Reference {
    /// Dequantize one row, written from the format description.
    static func dequantize(_ t: Int32, _ b: [UInt8], n: Int, offset o0: Int = 0) -> [Float] {
        var y = [Float]()
        y.reserveCapacity(n)
        switch t {
        case T.f32: for i in 0..<n { y.append(f32(b, o0 + 4 * i)) }
        case T.f16: for i in 0..<n { y.append(half(b, o0 + 2 * i)) }
        case T.bf16: for i in 0..<n { y.append(bf16(b, o0 + 2 * i)) }
        case T.q4_0, T.q4_1, T.q5_0, T.q5_1:
            let hasMin = t == T.q4_1 || t == T.q5_1, five = t == T.q5_0 || t == T.q5_1
            let bytes = [T.q4_0: 18, T.q4_1: 20, T.q5_0: 22, T.q5_1: 24][t]!
            for blk in 0..<(n / 32) {
                let o = o0 + blk * bytes
                let d = half(b, o)
                let m: Float = hasMin ? half(b, o + 2) : 0
                var p = o + (hasMin ? 4 : 2)
                var qh: UInt32 = 0
                if five {
                    qh = UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
                    p += 4
                }
                var vals = [Float](repeating: 0, count: 32)
                for j in 0..<16 {
                    var lo = Int(b[p + j] & 0x0F), hi = Int(b[p + j] >> 4)
                    if five {
                        lo |= Int((qh >> UInt32(j)) & 1) << 4
                        hi |= Int((qh >> UInt32(j + 16)) & 1) << 4
                    }
                    if hasMin {
                        vals[j] = Float(lo) * d + m
                        vals[j + 16] = Float(hi) * d + m
                    } else {
                        let off = five ? 16 : 8
                        vals[j] = Float(lo - off) * d
                        vals[j + 16] = Float(hi - off) * d
                    }
                }
                y += vals
            }
        case T.q8_0, T.q8_1:
            let bytes = t == T.q8_0 ? 34 : 36
            for blk in 0..<(n / 32) {
                let o = o0 + blk * bytes
                let d = half(b, o)
                let q = o + (t == T.q8_0 ? 2 : 4)
                for j in 0..<32 { y.append(Float(Int8(bitPattern: b[q + j])) * d) }
            }
        case T.q8_K:
            for blk in 0..<(n / 256) {
                let o = o0 + blk * 292
                let d = f32(b, o)
                for j in 0..<256 { y.append(d * Float(Int8(bitPattern: b[o + 4 + j]))) }
            }
        case T.q4_K, T.q5_K:
            let bytes = t == T.q4_K ? 144 : 176
            for blk in 0..<(n / 256) {
                let o = o0 + blk * bytes
                let d = half(b, o), dmin = half(b, o + 2)
                let s = Array(b[(o + 4)..<(o + 16)])
                let qh = t == T.q5_K ? Array(b[(o + 16)..<(o + 48)]) : []
                let qs = Array(b[(o + (t == T.q5_K ? 48 : 16))..<(o + bytes)])
                func scMin(_ i: Int) -> (Int, Int) {
                    if i < 4 { return (Int(s[i] & 63), Int(s[i + 4] & 63)) }
                    return (Int(s[i + 4] & 15) | Int(s[i - 4] >> 6) << 4, Int(s[i + 4] >> 4) | Int(s[i] >> 6) << 4)
                }
                for c in 0..<4 {
                    for half in 0..<2 {
                        let sub = 2 * c + half
                        let (sc, m) = scMin(sub)
                        let d1 = d * Float(sc), m1 = dmin * Float(m)
                        for l in 0..<32 {
                            var q = Int(half == 0 ? qs[32 * c + l] & 15 : qs[32 * c + l] >> 4)
                            if t == T.q5_K { q += Int((qh[l] >> UInt8(sub)) & 1) * 16 }
                            y.append(d1 * Float(q) - m1)
                        }
                    }
                }
            }
        case T.q6_K:
            for blk in 0..<(n / 256) {
                let o = o0 + blk * 210
                let d = half(b, o + 208)
                var vals = [Float](repeating: 0, count: 256)
                for h in 0..<2 {
                    for l in 0..<32 {
                        let ql0 = Int(b[o + 64 * h + l]), ql1 = Int(b[o + 64 * h + l + 32])
                        let qh = Int(b[o + 128 + 32 * h + l])
                        let q = [(ql0 & 15) | (qh & 3) << 4, (ql1 & 15) | ((qh >> 2) & 3) << 4,
                                 (ql0 >> 4) | ((qh >> 4) & 3) << 4, (ql1 >> 4) | ((qh >> 6) & 3) << 4]
                        for k in 0..<4 {
                            let e = 128 * h + 32 * k + l
                            let sc = Float(Int8(bitPattern: b[o + 192 + e / 16]))
                            vals[e] = d * sc * Float(q[k] - 32)
                        }
                    }
                }
                y += vals
            }
        default:
            break
        }
        return y
    }

    /// ggml's x86 quantize_row_q8_0 / q8_1: d = amax/127, id = 127/amax, q = x*id rounded half to even,
    /// s = d*sum(q).
    static func quantizeQ8_0(_ x: [Float], withSum: Bool) -> [UInt8] {
        var out = [UInt8]()
        for blk in 0..<(x.count / 32) {
            let v = Array(x[(32 * blk)..<(32 * blk + 32)])
            let amax = v.map { abs($0) }.max()!
            let d = amax / 127
            let id: Float = amax != 0 ? 127 / amax : 0
            let q = v.map { Int8(($0 * id).rounded(.toNearestOrEven)) }
            var blockBytes = [UInt8]()
            let dh = Float16(d).bitPattern
            blockBytes += [UInt8(dh & 0xff), UInt8(dh >> 8)]
            if withSum {
                let s = Float16(d * Float(q.reduce(0) { $0 + Int($1) })).bitPattern
                blockBytes += [UInt8(s & 0xff), UInt8(s >> 8)]
            }
            blockBytes += q.map { UInt8(bitPattern: $0) }
            out += blockBytes
        }
        return out
    }

    /// ggml's quantize_row_q8_K_ref: signed max, iscale = -127/max, round half to even, bsums per 16.
    static func quantizeQ8_K(_ x: [Float]) -> [UInt8] {
        var out = [UInt8]()
        for blk in 0..<(x.count / 256) {
            let v = Array(x[(256 * blk)..<(256 * blk + 256)])
            var amax: Float = 0, mx: Float = 0
            for e in v where abs(e) > amax { amax = abs(e); mx = e }
            var q = [Int8](repeating: 0, count: 256)
            var d: Float = 0
            if amax != 0 {
                let iscale = -127 / mx
                q = v.map { Int8(min(127, Int((iscale * $0).rounded(.toNearestOrEven)))) }
                d = 1 / iscale
            }
            let db = d.bitPattern
            out += (0..<4).map { UInt8((db >> (8 * UInt32($0))) & 0xff) }
            out += q.map { UInt8(bitPattern: $0) }
            for g in 0..<16 {
                let s = Int16(q[(16 * g)..<(16 * g + 16)].reduce(0) { $0 + Int($1) })
                out += [UInt8(UInt16(bitPattern: s) & 0xff), UInt8(UInt16(bitPattern: s) >> 8)]
            }
        }
        return out
    }
}
