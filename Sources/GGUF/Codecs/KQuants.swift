/// The 256-element super-block formats: Q4_K, Q5_K, Q6_K.
///
/// Q4_K `d, dmin (f16), scales[12], qs[128]`; Q5_K `d, dmin, scales[12], qh[32], qs[128]`;
/// Q6_K `ql[128], qh[64], scales[16] (i8), d (f16)`. Q4_K and Q5_K hold eight sub-blocks of 32, each
/// with a 6-bit scale and a 6-bit min packed into `scales` (see `scaleMin`); Q6_K holds sixteen
/// sub-blocks of 16 with signed 8-bit scales.
enum KQuants {
    static let qk = 256

    /// Scale and min of sub-block `j` from the 12 packed bytes (ggml's `get_scale_min_k4`).
    @inline(__always)
    static func scaleMin(_ j: Int, _ q: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        @inline(__always) func at(_ i: Int) -> UInt8 { q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 {
            return (at(j) & 63, at(j + 4) & 63)
        }
        return ((at(j + 4) & 0x0f) | ((at(j - 4) >> 6) << 4), (at(j + 4) >> 4) | ((at(j) >> 6) << 4))
    }

    // MARK: decode

    static func decodeQ4_K(_ b: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = b.half(0)
        let dmin = b.half(2)
        let scales = b + 4
        var q = b + 16
        var y = out
        for chunk in 0 ..< 4 {
            let (s1, n1) = scaleMin(2 * chunk, scales)
            let d1 = d * Float(s1), m1 = dmin * Float(n1)
            let (s2, n2) = scaleMin(2 * chunk + 1, scales)
            let d2 = d * Float(s2), m2 = dmin * Float(n2)
            for l in 0 ..< 32 {
                y[l] = d1 * Float(q.load(fromByteOffset: l, as: UInt8.self) & 0x0f) - m1
            }
            for l in 0 ..< 32 {
                y[32 + l] = d2 * Float(q.load(fromByteOffset: l, as: UInt8.self) >> 4) - m2
            }
            y += 64
            q += 32
        }
    }

    static func decodeQ5_K(_ b: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = b.half(0)
        let dmin = b.half(2)
        let scales = b + 4
        let qh = b + 16
        var ql = b + 48
        var y = out
        var u1: UInt8 = 1, u2: UInt8 = 2
        for chunk in 0 ..< 4 {
            let (s1, n1) = scaleMin(2 * chunk, scales)
            let d1 = d * Float(s1), m1 = dmin * Float(n1)
            let (s2, n2) = scaleMin(2 * chunk + 1, scales)
            let d2 = d * Float(s2), m2 = dmin * Float(n2)
            for l in 0 ..< 32 {
                let lo = Int(ql.load(fromByteOffset: l, as: UInt8.self) & 0x0f)
                let hi = qh.load(fromByteOffset: l, as: UInt8.self) & u1 != 0 ? 16 : 0
                y[l] = d1 * Float(lo + hi) - m1
            }
            for l in 0 ..< 32 {
                let lo = Int(ql.load(fromByteOffset: l, as: UInt8.self) >> 4)
                let hi = qh.load(fromByteOffset: l, as: UInt8.self) & u2 != 0 ? 16 : 0
                y[32 + l] = d2 * Float(lo + hi) - m2
            }
            y += 64
            ql += 32
            u1 <<= 2
            u2 <<= 2
        }
    }

    static func decodeQ6_K(_ b: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = b.half(208)
        var ql = b, qh = b + 128, sc = b + 192
        var y = out
        for _ in 0 ..< 2 {
            for l in 0 ..< 32 {
                let s = l / 16
                let lo0 = ql.load(fromByteOffset: l, as: UInt8.self)
                let lo1 = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                let h = qh.load(fromByteOffset: l, as: UInt8.self)
                let q1 = Int((lo0 & 0x0f) | ((h >> 0) & 3) << 4) - 32
                let q2 = Int((lo1 & 0x0f) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((lo0 >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((lo1 >> 4) | ((h >> 6) & 3) << 4) - 32
                y[l] = d * Float(sc.load(fromByteOffset: s, as: Int8.self)) * Float(q1)
                y[l + 32] = d * Float(sc.load(fromByteOffset: s + 2, as: Int8.self)) * Float(q2)
                y[l + 64] = d * Float(sc.load(fromByteOffset: s + 4, as: Int8.self)) * Float(q3)
                y[l + 96] = d * Float(sc.load(fromByteOffset: s + 6, as: Int8.self)) * Float(q4)
            }
            y += 128
            ql += 64
            qh += 32
            sc += 8
        }
    }

    // MARK: encode (ggml's quantize_row_q{4,5,6}_K_ref)

    static func encodeQ4_K(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: qk) { levels in
            let L = levels.baseAddress!
            quantizeScaleMin(x, nmax: 15, rmin: -1, rdelta: 0.1, nstep: 20, levels: L, block: b)
            let qs = b + 16
            for chunk in 0 ..< 4 {
                for l in 0 ..< 32 {
                    let v = L[64 * chunk + l] | (L[64 * chunk + l + 32] << 4)
                    qs.storeBytes(of: v, toByteOffset: 32 * chunk + l, as: UInt8.self)
                }
            }
        }
    }

    static func encodeQ5_K(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: qk) { levels in
            let L = levels.baseAddress!
            quantizeScaleMin(x, nmax: 31, rmin: -0.5, rdelta: 0.1, nstep: 15, levels: L, block: b)
            let qh = b + 16, ql = b + 48
            for j in 0 ..< 32 { qh.storeBytes(of: 0, toByteOffset: j, as: UInt8.self) }
            var m1: UInt8 = 1, m2: UInt8 = 2
            for chunk in 0 ..< 4 {
                for j in 0 ..< 32 {
                    var l1 = L[64 * chunk + j], l2 = L[64 * chunk + j + 32]
                    var h = qh.load(fromByteOffset: j, as: UInt8.self)
                    if l1 > 15 { l1 -= 16; h |= m1 }
                    if l2 > 15 { l2 -= 16; h |= m2 }
                    qh.storeBytes(of: h, toByteOffset: j, as: UInt8.self)
                    ql.storeBytes(of: l1 | (l2 << 4), toByteOffset: 32 * chunk + j, as: UInt8.self)
                }
                m1 <<= 2
                m2 <<= 2
            }
        }
    }

    /// The shared part of Q4_K and Q5_K: per sub-block (scale, min) search, 6-bit quantization of
    /// scales and mins against their maxima, then re-rounding of every level against the stored
    /// scales. Writes d, dmin and the 12 scale bytes into `block`, the levels (0...nmax) into `levels`.
    private static func quantizeScaleMin(_ x: UnsafePointer<Float>, nmax: Int, rmin: Float, rdelta: Float, nstep: Int,
                                         levels L: UnsafeMutablePointer<UInt8>, block b: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 48) { floats in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { aux in
                let weights = floats.baseAddress!, scales = weights + 32, mins = weights + 40
                var maxScale: Float = 0, maxMin: Float = 0
                for j in 0 ..< 8 {
                    let xs = x + 32 * j
                    var sumX2: Float = 0
                    for l in 0 ..< 32 { sumX2 += xs[l] * xs[l] }
                    let avX = (sumX2 / 32).squareRoot()
                    for l in 0 ..< 32 { weights[l] = avX + abs(xs[l]) }
                    let (scale, theMin) = makeQKX2(n: 32, nmax: nmax, x: xs, weights: weights, levels: L + 32 * j,
                                                   aux: aux.baseAddress!, rmin: rmin, rdelta: rdelta, nstep: nstep)
                    scales[j] = scale
                    mins[j] = theMin
                    if scale > maxScale { maxScale = scale }
                    if theMin > maxMin { maxMin = theMin }
                }

                let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
                let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
                let packed = b + 4
                for j in 0 ..< 8 {
                    let ls = min(63, UInt8(truncatingIfNeeded: nearestInt(invScale * scales[j])))
                    let lm = min(63, UInt8(truncatingIfNeeded: nearestInt(invMin * mins[j])))
                    if j < 4 {
                        packed.storeBytes(of: ls, toByteOffset: j, as: UInt8.self)
                        packed.storeBytes(of: lm, toByteOffset: j + 4, as: UInt8.self)
                    } else {
                        packed.storeBytes(of: (ls & 0x0f) | ((lm & 0x0f) << 4), toByteOffset: j + 4, as: UInt8.self)
                        let a = packed.load(fromByteOffset: j - 4, as: UInt8.self) | ((ls >> 4) << 6)
                        packed.storeBytes(of: a, toByteOffset: j - 4, as: UInt8.self)
                        let c = packed.load(fromByteOffset: j, as: UInt8.self) | ((lm >> 4) << 6)
                        packed.storeBytes(of: c, toByteOffset: j, as: UInt8.self)
                    }
                }
                let d16 = HalfPrecision.half(from: maxScale / 63)
                let dmin16 = HalfPrecision.half(from: maxMin / 63)
                b.storeLE(d16, 0)
                b.storeLE(dmin16, 2)

                let d = HalfPrecision.float(fromHalf: d16), dmin = HalfPrecision.float(fromHalf: dmin16)
                for j in 0 ..< 8 {
                    let (sc, m) = scaleMin(j, UnsafeRawPointer(packed))
                    let dj = d * Float(sc)
                    if dj == 0 { continue }  // ggml keeps the search's levels here
                    let dm = dmin * Float(m)
                    for i in 0 ..< 32 {
                        let l = nearestInt((x[32 * j + i] + dm) / dj)
                        L[32 * j + i] = UInt8(max(0, min(nmax, l)))
                    }
                }
            }
        }
    }

    /// ggml's `make_qkx2_quants`: the (scale, min) pair, min ≤ 0, that minimizes the weighted squared
    /// error of `x ≈ scale·L + min` with L in 0...nmax, tried at the min/max fit and at `nstep + 1`
    /// candidate inverse scales `(nmax + rmin + rdelta·i) / (max − min)`, each refined by weighted
    /// least squares. Returns the scale and `−min`.
    static func makeQKX2(n: Int, nmax: Int, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                         levels L: UnsafeMutablePointer<UInt8>, aux: UnsafeMutablePointer<UInt8>,
                         rmin: Float, rdelta: Float, nstep: Int) -> (scale: Float, theMin: Float) {
        var lo = x[0], hi = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1 ..< n {
            if x[i] < lo { lo = x[i] }
            if x[i] > hi { hi = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if lo > 0 { lo = 0 }
        if hi == lo {
            for i in 0 ..< n { L[i] = 0 }
            return (0, -lo)
        }
        var iscale = Float(nmax) / (hi - lo)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0 ..< n {
            let l = nearestInt(iscale * (x[i] - lo))
            L[i] = UInt8(max(0, min(nmax, l)))
            let diff = scale * Float(L[i]) + lo - x[i]
            bestError += weights[i] * (diff * diff)
        }
        var theMin = lo
        for step in 0 ... nstep {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0 ..< n {
                let l = max(0, min(nmax, nearestInt(iscale * (x[i] - lo))))
                aux[i] = UInt8(l)
                let w = weights[i], fl = Float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var error: Float = 0
                for i in 0 ..< n {
                    let diff = thisScale * Float(aux[i]) + thisMin - x[i]
                    error += weights[i] * (diff * diff)
                }
                if error < bestError {
                    for i in 0 ..< n { L[i] = aux[i] }
                    bestError = error
                    scale = thisScale
                    theMin = thisMin
                }
            }
        }
        return (scale, -theMin)
    }

    static func encodeQ6_K(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: qk) { levels in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scaleBuffer in
                let L = levels.baseAddress!, scales = scaleBuffer.baseAddress!
                var maxScale: Float = 0, maxAbsScale: Float = 0
                for ib in 0 ..< 16 {
                    let scale = makeQX(n: 16, nmax: 32, x: x + 16 * ib, levels: L + 16 * ib)
                    scales[ib] = scale
                    if abs(scale) > maxAbsScale {
                        maxAbsScale = abs(scale)
                        maxScale = scale
                    }
                }
                if maxAbsScale < 1e-15 {
                    for i in 0 ..< 210 { b.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
                    return
                }
                let iscale = -128 / maxScale
                let d16 = HalfPrecision.half(from: 1 / iscale)
                b.storeLE(d16, 208)
                let sc = b + 192
                for ib in 0 ..< 16 {
                    let s = max(-128, min(127, nearestInt(iscale * scales[ib])))
                    sc.storeBytes(of: Int8(s), toByteOffset: ib, as: Int8.self)
                }
                let d16f = HalfPrecision.float(fromHalf: d16)
                for j in 0 ..< 16 {
                    let d = d16f * Float(sc.load(fromByteOffset: j, as: Int8.self))
                    if d == 0 { continue }
                    for i in 0 ..< 16 {
                        let l = max(-32, min(31, nearestInt(x[16 * j + i] / d)))
                        L[16 * j + i] = UInt8(l + 32)
                    }
                }
                for half in 0 ..< 2 {
                    let j = 128 * half
                    let ql = b + 64 * half, qh = b + 128 + 32 * half
                    for l in 0 ..< 32 {
                        let a = L[j + l], c = L[j + l + 32], e = L[j + l + 64], f = L[j + l + 96]
                        ql.storeBytes(of: (a & 0x0f) | ((e & 0x0f) << 4), toByteOffset: l, as: UInt8.self)
                        ql.storeBytes(of: (c & 0x0f) | ((f & 0x0f) << 4), toByteOffset: l + 32, as: UInt8.self)
                        let h = (a >> 4) | ((c >> 4) << 2) | ((e >> 4) << 4) | ((f >> 4) << 6)
                        qh.storeBytes(of: h, toByteOffset: l, as: UInt8.self)
                    }
                }
            }
        }
    }

    /// ggml's `make_qx_quants` with `rmse_type` 1 and no importance weights (weights x²): a signed
    /// scale for levels in −nmax..<nmax, the best of 19 candidate inverse scales around `−nmax / max`.
    /// Levels are stored offset by `nmax`.
    static func makeQX(n: Int, nmax: Int, x: UnsafePointer<Float>, levels L: UnsafeMutablePointer<UInt8>) -> Float {
        var signedMax: Float = 0, amax: Float = 0
        for i in 0 ..< n where abs(x[i]) > amax {
            amax = abs(x[i])
            signedMax = x[i]
        }
        if amax < 1e-15 {
            for i in 0 ..< n { L[i] = 0 }
            return 0
        }
        @inline(__always) func level(_ iscale: Float, _ v: Float) -> Int {
            max(-nmax, min(nmax - 1, nearestInt(iscale * v)))
        }
        var iscale = Float(-nmax) / signedMax
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0 ..< n {
            let l = level(iscale, x[i])
            L[i] = UInt8(l + nmax)
            let w = x[i] * x[i], fl = Float(l)
            sumLX += w * x[i] * fl
            sumL2 += w * fl * fl
        }
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9 ... 9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / signedMax
            sumLX = 0
            sumL2 = 0
            for i in 0 ..< n {
                let l = level(iscale, x[i])
                let w = x[i] * x[i], fl = Float(l)
                sumLX += w * x[i] * fl
                sumL2 += w * fl * fl
            }
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                for i in 0 ..< n { L[i] = UInt8(level(iscale, x[i]) + nmax) }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }
}
