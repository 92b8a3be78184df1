/// The Unicode classes the pre-tokenizer regexes ask about (`\p{L}`, `\p{N}`, `\p{P}`, `\p{M}`, `\s`),
/// looked up from a table for the Basic Multilingual Plane and computed beyond it.
struct CodepointClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = CodepointClass(rawValue: 1 << 0)
    static let number = CodepointClass(rawValue: 1 << 1)
    /// Unicode `White_Space`, the set llama.cpp's `\s` uses.
    static let whitespace = CodepointClass(rawValue: 1 << 2)
    static let punctuation = CodepointClass(rawValue: 1 << 3)
    /// `\p{M}`: combining marks (llama.cpp's accent marks).
    static let mark = CodepointClass(rawValue: 1 << 4)

    @inline(__always)
    static func of(_ cp: UInt32) -> CodepointClass {
        if cp < 0x10000 { return CodepointClass(rawValue: bmpTable[Int(cp)]) }
        return compute(cp)
    }

    static func compute(_ cp: UInt32) -> CodepointClass {
        guard let scalar = Unicode.Scalar(cp) else { return [] }
        let props = scalar.properties
        var c: CodepointClass = props.isWhitespace ? .whitespace : []
        switch props.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            c.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            c.insert(.number)
        case .nonspacingMark, .spacingMark, .enclosingMark:
            c.insert(.mark)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            c.insert(.punctuation)
        default:
            break
        }
        return c
    }

    private static let bmpTable: [UInt8] = (0 ..< UInt32(0x10000)).map { compute($0).rawValue }
}
