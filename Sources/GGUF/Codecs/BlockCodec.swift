/// Conversion between ggml's block formats and `Float`.
///
/// Dequantization is bit-exact with ggml's `dequantize_row_*` (same order of float operations);
/// quantization follows ggml's reference quantizers (`quantize_row_*_ref`), the ones llama.cpp uses
/// without an importance matrix. Element counts must be whole blocks (32 for the legacy formats,
/// 256 for K-quants).
public enum BlockCodec {
    /// The types this build can dequantize and quantize.
    public static let supportedTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    public static func supports(_ type: GGMLType) -> Bool {
        switch type {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K: return true
        case .q8_1, .q2_K, .q3_K, .q8_K: return false
        }
    }

    // MARK: dequantize

    /// Decodes `count` elements of `type` from the start of `bytes`.
    public static func dequantize(_ type: GGMLType, _ bytes: UnsafeRawBufferPointer, count: Int) throws(GGUFError) -> [Float] {
        try checkDecode(type, available: bytes.count, count: count)
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            decode(type, bytes.baseAddress!, count: count, into: out.baseAddress!)
            initialized = count
        }
    }

    /// Decodes `count` elements of `type` from `bytes`.
    public static func dequantize(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws(GGUFError) -> [Float] {
        do {
            return try bytes.withUnsafeBytes { raw in try dequantize(type, raw, count: count) }
        } catch let error as GGUFError {
            throw error
        } catch {
            throw GGUFError(.malformed, "\(error)")
        }
    }

    /// Decodes `count` elements of `type` from the start of `bytes` into the start of `output`.
    public static func dequantize(_ type: GGMLType, _ bytes: UnsafeRawBufferPointer, count: Int,
                                  into output: UnsafeMutableBufferPointer<Float>) throws(GGUFError) {
        try checkDecode(type, available: bytes.count, count: count)
        guard output.count >= count else {
            throw GGUFError(.malformed, "dequantize \(type): output holds \(output.count) floats, \(count) needed")
        }
        guard count > 0 else { return }
        decode(type, bytes.baseAddress!, count: count, into: output.baseAddress!)
    }

    // MARK: quantize

    /// Encodes `values` as `type` with ggml's reference quantizer; returns the blocks' bytes.
    public static func quantize(_ type: GGMLType, _ values: [Float]) throws(GGUFError) -> [UInt8] {
        let byteCount = try checkEncode(type, values)
        guard byteCount > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            values.withUnsafeBufferPointer { src in
                encode(type, src.baseAddress!, count: src.count, into: UnsafeMutableRawPointer(out.baseAddress!))
            }
            initialized = byteCount
        }
    }

    /// Encodes `values` as `type` into the start of `output`; returns the number of bytes written.
    @discardableResult
    public static func quantize(_ type: GGMLType, _ values: UnsafeBufferPointer<Float>,
                                into output: UnsafeMutableRawBufferPointer) throws(GGUFError) -> Int {
        let byteCount = try checkEncode(type, values)
        guard output.count >= byteCount else {
            throw GGUFError(.malformed, "quantize \(type): output holds \(output.count) bytes, \(byteCount) needed")
        }
        guard byteCount > 0 else { return 0 }
        encode(type, values.baseAddress!, count: values.count, into: output.baseAddress!)
        return byteCount
    }

    // MARK: checks

    private static func checkDecode(_ type: GGMLType, available: Int, count: Int) throws(GGUFError) {
        guard supports(type) else {
            throw GGUFError(.unsupportedType, "dequantize: no codec for \(type) in this build (supported: \(supportedTypes.map(\.description).joined(separator: ", ")))")
        }
        guard count >= 0, count % type.blockSize == 0, let needed = type.byteCount(elements: count) else {
            throw GGUFError(.malformed, "dequantize \(type): \(count) elements is not a whole number of \(type.blockSize)-element blocks")
        }
        guard available >= needed else {
            throw GGUFError(.malformed, "dequantize \(type): \(count) elements need \(needed) bytes, only \(available) given")
        }
    }

    private static func checkEncode<C: Collection>(_ type: GGMLType, _ values: C) throws(GGUFError) -> Int where C.Element == Float {
        guard supports(type) else {
            throw GGUFError(.unsupportedType, "quantize: no codec for \(type) in this build (supported: \(supportedTypes.map(\.description).joined(separator: ", ")))")
        }
        guard values.count % type.blockSize == 0, let needed = type.byteCount(elements: values.count) else {
            throw GGUFError(.malformed, "quantize \(type): \(values.count) values is not a whole number of \(type.blockSize)-element blocks")
        }
        // Float formats carry infinities and NaN; the block formats cannot.
        if type != .f32 && type != .f16 && type != .bf16, let bad = values.firstIndex(where: { !$0.isFinite }) {
            let index = values.distance(from: values.startIndex, to: bad)
            throw GGUFError(.malformed, "quantize \(type): value \(index) is \(values[bad]), block formats need finite values")
        }
        return needed
    }

    // MARK: dispatch (inputs already validated)

    static func decode(_ type: GGMLType, _ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let blocks = count / type.blockSize
        let bs = type.blockSize, bb = type.blockBytes
        switch type {
        case .f32:
            for i in 0 ..< count { dst[i] = Float(bitPattern: src.loadLE(UInt32.self, i * 4)) }
        case .f16:
            for i in 0 ..< count { dst[i] = HalfPrecision.float(fromHalf: src.loadLE(UInt16.self, i * 2)) }
        case .bf16:
            for i in 0 ..< count { dst[i] = HalfPrecision.float(fromBFloat16: src.loadLE(UInt16.self, i * 2)) }
        case .q4_0: for b in 0 ..< blocks { LegacyQuants.decodeQ4_0(src + b * bb, dst + b * bs) }
        case .q4_1: for b in 0 ..< blocks { LegacyQuants.decodeQ4_1(src + b * bb, dst + b * bs) }
        case .q5_0: for b in 0 ..< blocks { LegacyQuants.decodeQ5_0(src + b * bb, dst + b * bs) }
        case .q5_1: for b in 0 ..< blocks { LegacyQuants.decodeQ5_1(src + b * bb, dst + b * bs) }
        case .q8_0: for b in 0 ..< blocks { LegacyQuants.decodeQ8_0(src + b * bb, dst + b * bs) }
        case .q4_K: for b in 0 ..< blocks { KQuants.decodeQ4_K(src + b * bb, dst + b * bs) }
        case .q5_K: for b in 0 ..< blocks { KQuants.decodeQ5_K(src + b * bb, dst + b * bs) }
        case .q6_K: for b in 0 ..< blocks { KQuants.decodeQ6_K(src + b * bb, dst + b * bs) }
        case .q8_1, .q2_K, .q3_K, .q8_K: preconditionFailure("unsupported type passed validation")
        }
    }

    static func encode(_ type: GGMLType, _ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        let blocks = count / type.blockSize
        let bs = type.blockSize, bb = type.blockBytes
        switch type {
        case .f32:
            for i in 0 ..< count { dst.storeLE(src[i].bitPattern, i * 4) }
        case .f16:
            for i in 0 ..< count { dst.storeLE(HalfPrecision.half(from: src[i]), i * 2) }
        case .bf16:
            for i in 0 ..< count { dst.storeLE(HalfPrecision.bfloat16(from: src[i]), i * 2) }
        case .q4_0: for b in 0 ..< blocks { LegacyQuants.encodeQ4_0(src + b * bs, dst + b * bb) }
        case .q4_1: for b in 0 ..< blocks { LegacyQuants.encodeQ4_1(src + b * bs, dst + b * bb) }
        case .q5_0: for b in 0 ..< blocks { LegacyQuants.encodeQ5_0(src + b * bs, dst + b * bb) }
        case .q5_1: for b in 0 ..< blocks { LegacyQuants.encodeQ5_1(src + b * bs, dst + b * bb) }
        case .q8_0: for b in 0 ..< blocks { LegacyQuants.encodeQ8_0(src + b * bs, dst + b * bb) }
        case .q4_K: for b in 0 ..< blocks { KQuants.encodeQ4_K(src + b * bs, dst + b * bb) }
        case .q5_K: for b in 0 ..< blocks { KQuants.encodeQ5_K(src + b * bs, dst + b * bb) }
        case .q6_K: for b in 0 ..< blocks { KQuants.encodeQ6_K(src + b * bs, dst + b * bb) }
        case .q8_1, .q2_K, .q3_K, .q8_K: preconditionFailure("unsupported type passed validation")
        }
    }
}

extension UnsafeRawPointer {
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    @inline(__always)
    func half(_ offset: Int) -> Float { HalfPrecision.float(fromHalf: loadLE(UInt16.self, offset)) }
}

extension UnsafeMutableRawPointer {
    @inline(__always)
    func storeLE<T: FixedWidthInteger>(_ value: T, _ offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

/// ggml's `nearest_int`: round to nearest, ties to even (by adding 1.5·2^23). Inputs are clamped
/// to the range where the trick is valid, so pathological scales give clamped levels, never a trap.
@inline(__always)
func nearestInt(_ value: Float) -> Int {
    let f: Float = value.isNaN ? 0 : max(-4_194_303, min(4_194_303, value))
    let v = f + 12_582_912
    return Int(v.bitPattern & 0x007f_ffff) - 0x0040_0000
}

/// C's float-to-integer conversion (truncation toward zero) for values ggml knows to be small;
/// NaN and out-of-range values clamp instead of being undefined.
@inline(__always)
func truncatedInt(_ value: Float) -> Int {
    if value.isNaN { return 0 }
    return Int(max(-1_000_000, min(1_000_000, value)))
}
