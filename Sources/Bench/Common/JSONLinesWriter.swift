import Foundation

/// Appends one JSON object per line to a file and flushes each line to the kernel as it is written,
/// so a bench killed at any moment leaves every line it wrote complete and readable.
final class JSONLinesWriter: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private let fd: Int32
    private let encoder: JSONEncoder
    /// fsync after every line (soak samples: few and precious); otherwise the page cache is enough.
    private let sync: Bool

    init(path: String, truncate: Bool = true, sync: Bool = false) throws {
        self.path = path
        self.sync = sync
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw BenchFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { close(fd) }

    func append(_ value: some Encodable) throws {
        var data = try encoder.encode(value)
        data.append(0x0A)
        try lock.withLock {
            // One write(2) per line on an O_APPEND descriptor: a line is never interleaved or half written
            // by us; only a crash of the kernel could cut one.
            let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == data.count else {
                throw BenchFailure("cannot append to \(path): \(String(cString: strerror(errno)))")
            }
            if sync { fsync(fd) }
        }
    }

    /// The objects of a JSON-lines file; a last line cut short (a crash mid-write) is skipped.
    static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchFailure("cannot read \(path)")
        }
        let decoder = JSONDecoder()
        var values: [T] = []
        for (number, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
            do {
                values.append(try decoder.decode(T.self, from: Data(line)))
            } catch {
                if line.last == UInt8(ascii: "}") {
                    throw BenchFailure("\(path):\(number + 1): not a valid record: \(error)")
                }
            }
        }
        return values
    }
}
