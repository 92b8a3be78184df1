/// IEEE binary16 and bfloat16 conversions, written out in bits so results are identical on every
/// platform (Intel macOS has no `Float16`) and match ggml's `GGML_FP16_TO_FP32` / `GGML_FP32_TO_FP16`
/// (round to nearest, ties to even) and `GGML_FP32_TO_BF16`.
public enum HalfPrecision {
    /// The value of an IEEE binary16 bit pattern.
    @inline(__always)
    public static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0x1f {  // infinity or NaN
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24 is exact in binary32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The IEEE binary16 bit pattern nearest to `f` (ties to even); NaN becomes a quiet NaN
    /// (0x7E00 with the sign), magnitudes of 65520 and above become infinity.
    @inline(__always)
    public static func half(from f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xff)
        let mantissa = bits & 0x7f_ffff
        if exponent == 0xff {
            return sign | (mantissa != 0 ? 0x7e00 : 0x7c00)
        }
        let e = exponent - 127 + 15
        if e >= 0x1f { return sign | 0x7c00 }
        if e <= 0 {
            // The result is subnormal (or zero): shift the full 24-bit significand into place.
            let shift = 14 - e
            if shift > 24 || exponent == 0 { return sign }
            let significand = mantissa | 0x80_0000
            var q = significand >> UInt32(shift)
            let rest = significand & ((1 << UInt32(shift)) - 1)
            let halfway = UInt32(1) << UInt32(shift - 1)
            if rest > halfway || (rest == halfway && q & 1 == 1) { q += 1 }
            return sign | UInt16(q)
        }
        var q = (UInt32(e) << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1fff
        if rest > 0x1000 || (rest == 0x1000 && q & 1 == 1) { q += 1 }  // a carry into the exponent is right
        return sign | UInt16(q)
    }

    /// The value of a bfloat16 bit pattern.
    @inline(__always)
    public static func float(fromBFloat16 b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// The bfloat16 bit pattern nearest to `f` (ties to even); NaN stays a quiet NaN.
    @inline(__always)
    public static func bfloat16(from f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 64 }
        return UInt16(truncatingIfNeeded: (bits &+ (0x7fff &+ ((bits >> 16) & 1))) >> 16)
    }
}
