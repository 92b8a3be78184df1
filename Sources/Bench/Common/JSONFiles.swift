import Foundation

/// summary.json and the other whole-file JSON documents: sorted keys, indented, readable in a diff.
enum JSONFiles {
    static func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            try encoder.encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw BenchFailure("cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchFailure("cannot read \(path)") }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw BenchFailure("\(path) is not a summary this version of vkserve can read: \(error)")
        }
    }

    /// Creates the output folder (and its parents).
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BenchFailure("cannot create the output folder \(path): \(error.localizedDescription)")
        }
        guard access(path, W_OK) == 0 else { throw BenchFailure("the output folder \(path) is not writable") }
    }
}
