/// A compiled compute shader: SPIR-V words embedded in the binary at build time by the
/// ShaderCompiler plugin (from `Shaders/<name>.comp`).
public struct SPIRVModule: Sendable {
    public let name: String
    public let words: [UInt32]

    /// - Parameter words: glslc's numeric output, "0x07230203,0x00010000,...".
    init(name: String, words text: String) {
        self.name = name
        var out: [UInt32] = []
        out.reserveCapacity(text.utf8.count / 11)
        for item in text.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            let digits = item.hasPrefix("0x") ? item.dropFirst(2) : item[...]
            if let w = UInt32(digits, radix: 16) { out.append(w) }
        }
        words = out
    }
}

/// The shaders compiled into this binary, one static property per `Shaders/*.comp`.
public enum SPIRVModules {}
