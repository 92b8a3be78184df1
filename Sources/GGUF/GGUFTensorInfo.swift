/// A tensor's descriptor: name, ggml type, shape (ggml order: `shape[0]` is the row length,
/// the fastest-varying dimension) and where its bytes lie in the file.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGMLType
    public let shape: [Int]
    /// Offset of the data from the start of the file.
    public let fileOffset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
    /// Elements per row (`shape[0]`).
    public var rowLength: Int { shape.first ?? 1 }
    /// Rows: the product of the other dimensions.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes per row.
    public var rowBytes: Int { rowLength / type.blockSize * type.blockBytes }

    public init(name: String, type: GGMLType, shape: [Int], fileOffset: Int, byteCount: Int) {
        self.name = name
        self.type = type
        self.shape = shape
        self.fileOffset = fileOffset
        self.byteCount = byteCount
    }
}
