/// The 32-element block formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0.
///
/// Layouts (little-endian, f16 scales): Q4_0 `d, qs[16]`; Q4_1 `d, m, qs[16]`; Q5_0 `d, qh[4], qs[16]`;
/// Q5_1 `d, m, qh[4], qs[16]`; Q8_0 `d, qs[32] (i8)`. In the nibble formats the low nibble of `qs[j]`
/// is element j and the high nibble element j+16; bit j of `qh` is the fifth bit of element j.
enum LegacyQuants {
    static let qk = 32

    // MARK: decode

    static func decodeQ4_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = b.half(0)
        let qs = b + 2
        for j in 0 ..< 16 {
            let q = qs.load(fromByteOffset: j, as: UInt8.self)
            y[j] = Float(Int(q & 0x0f) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    static func decodeQ4_1(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = b.half(0)
        let m = b.half(2)
        let qs = b + 4
        for j in 0 ..< 16 {
            let q = qs.load(fromByteOffset: j, as: UInt8.self)
            y[j] = Float(q & 0x0f) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    static func decodeQ5_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = b.half(0)
        let qh = b.loadLE(UInt32.self, 2)
        let qs = b + 6
        for j in 0 ..< 16 {
            let q = UInt32(qs.load(fromByteOffset: j, as: UInt8.self))
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10
            let h1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float(Int((q & 0x0f) | h0) - 16) * d
            y[j + 16] = Float(Int((q >> 4) | h1) - 16) * d
        }
    }

    static func decodeQ5_1(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = b.half(0)
        let m = b.half(2)
        let qh = b.loadLE(UInt32.self, 4)
        let qs = b + 8
        for j in 0 ..< 16 {
            let q = UInt32(qs.load(fromByteOffset: j, as: UInt8.self))
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10
            let h1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float((q & 0x0f) | h0) * d + m
            y[j + 16] = Float((q >> 4) | h1) * d + m
        }
    }

    static func decodeQ8_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = b.half(0)
        for j in 0 ..< 32 {
            y[j] = Float(b.load(fromByteOffset: 2 + j, as: Int8.self)) * d
        }
    }

    // MARK: encode (ggml's quantize_row_*_ref)

    /// The value of largest magnitude, keeping its sign (the first one on ties).
    private static func signedAbsMax(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, max: Float = 0
        for j in 0 ..< qk where amax < abs(x[j]) {
            amax = abs(x[j])
            max = x[j]
        }
        return max
    }

    private static func minMax(_ x: UnsafePointer<Float>) -> (min: Float, max: Float) {
        var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
        for j in 0 ..< qk {
            if x[j] < lo { lo = x[j] }
            if x[j] > hi { hi = x[j] }
        }
        return (lo, hi)
    }

    static func encodeQ4_0(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        let d = signedAbsMax(x) / -8
        let id: Float = d != 0 ? 1 / d : 0
        b.storeLE(HalfPrecision.half(from: d), 0)
        for j in 0 ..< 16 {
            let q0 = min(15, truncatedInt(x[j] * id + 8.5))
            let q1 = min(15, truncatedInt(x[j + 16] * id + 8.5))
            b.storeBytes(of: UInt8(truncatingIfNeeded: q0) & 0x0f | UInt8(truncatingIfNeeded: q1) << 4, toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    static func encodeQ4_1(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        let (lo, hi) = minMax(x)
        let d = (hi - lo) / 15
        let id: Float = d != 0 ? 1 / d : 0
        b.storeLE(HalfPrecision.half(from: d), 0)
        b.storeLE(HalfPrecision.half(from: lo), 2)
        for j in 0 ..< 16 {
            let q0 = min(15, truncatedInt((x[j] - lo) * id + 0.5))
            let q1 = min(15, truncatedInt((x[j + 16] - lo) * id + 0.5))
            b.storeBytes(of: UInt8(truncatingIfNeeded: q0) & 0x0f | UInt8(truncatingIfNeeded: q1) << 4, toByteOffset: 4 + j, as: UInt8.self)
        }
    }

    static func encodeQ5_0(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        let d = signedAbsMax(x) / -16
        let id: Float = d != 0 ? 1 / d : 0
        b.storeLE(HalfPrecision.half(from: d), 0)
        var qh: UInt32 = 0
        for j in 0 ..< 16 {
            let q0 = UInt32(truncatingIfNeeded: min(31, truncatedInt(x[j] * id + 16.5)))
            let q1 = UInt32(truncatingIfNeeded: min(31, truncatedInt(x[j + 16] * id + 16.5)))
            b.storeBytes(of: UInt8((q0 & 0x0f) | ((q1 & 0x0f) << 4)), toByteOffset: 6 + j, as: UInt8.self)
            qh |= ((q0 & 0x10) >> 4) << UInt32(j)
            qh |= ((q1 & 0x10) >> 4) << UInt32(j + 16)
        }
        b.storeLE(qh, 2)
    }

    static func encodeQ5_1(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        let (lo, hi) = minMax(x)
        let d = (hi - lo) / 31
        let id: Float = d != 0 ? 1 / d : 0
        b.storeLE(HalfPrecision.half(from: d), 0)
        b.storeLE(HalfPrecision.half(from: lo), 2)
        var qh: UInt32 = 0
        for j in 0 ..< 16 {
            let q0 = UInt32(truncatingIfNeeded: min(31, truncatedInt((x[j] - lo) * id + 0.5)))
            let q1 = UInt32(truncatingIfNeeded: min(31, truncatedInt((x[j + 16] - lo) * id + 0.5)))
            b.storeBytes(of: UInt8((q0 & 0x0f) | ((q1 & 0x0f) << 4)), toByteOffset: 8 + j, as: UInt8.self)
            qh |= ((q0 & 0x10) >> 4) << UInt32(j)
            qh |= ((q1 & 0x10) >> 4) << UInt32(j + 16)
        }
        b.storeLE(qh, 4)
    }

    static func encodeQ8_0(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0 ..< qk { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        b.storeLE(HalfPrecision.half(from: d), 0)
        for j in 0 ..< qk {
            let r = (x[j] * id).rounded()  // roundf: ties away from zero
            let q = r.isNaN ? 0 : Int(max(-127, min(127, r)))
            b.storeBytes(of: Int8(q), toByteOffset: 2 + j, as: Int8.self)
        }
    }
}
