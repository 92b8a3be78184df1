/// Number decoding that keeps the field's path when a number does not fit its type.
///
/// swift-foundation's `JSONDecoder` reports `1.5` or `4294967296` decoded as `Int32` as "The given data
/// was not valid JSON." at the root, without the field (swiftlang/swift-foundation#1604). The raw error
/// does reach the decoding `init(from:)`, so every number of the protocol is decoded through these
/// helpers, which rethrow it as `DecodingError.dataCorrupted` at the right path.
extension KeyedDecodingContainer {
    package func decodeNumber<T: Decodable & Numeric>(_ type: T.Type, forKey key: Key) throws -> T {
        do {
            return try decode(T.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw NumberDecoding.doesNotFit(T.self, error, at: codingPath + [key])
        }
    }

    package func decodeNumberIfPresent<T: Decodable & Numeric>(_ type: T.Type, forKey key: Key) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw NumberDecoding.doesNotFit(T.self, error, at: codingPath + [key])
        }
    }

    /// An array of numbers, each decoded with its index in the path.
    package func decodeNumbers<T: Decodable & Numeric>(_ type: T.Type, forKey key: Key) throws -> [T] {
        var array = try nestedUnkeyedContainer(forKey: key)
        var out: [T] = []
        out.reserveCapacity(array.count ?? 0)
        while !array.isAtEnd {
            let index = NumberDecoding.Index(intValue: array.currentIndex)
            do {
                out.append(try array.decode(T.self))
            } catch let error as DecodingError {
                throw error
            } catch {
                throw NumberDecoding.doesNotFit(T.self, error, at: array.codingPath + [index])
            }
        }
        return out
    }
}

package enum NumberDecoding {
    package static func doesNotFit(_ type: Any.Type, _ error: any Error, at path: [any CodingKey]) -> DecodingError {
        let number = parsedNumber(in: error).map { "number \($0)" } ?? "number"
        return .dataCorrupted(
            DecodingError.Context(codingPath: path, debugDescription: "\(number) does not fit in \(type)"))
    }

    /// The number's text from the decoder's internal error (`numberIsNotRepresentableInSwift(parsed:)`).
    private static func parsedNumber(in error: any Error) -> String? {
        guard let payload = Mirror(reflecting: error).children.first?.value else { return nil }
        return payload as? String ?? Mirror(reflecting: payload).children.first?.value as? String
    }

    struct Index: CodingKey {
        let intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }

        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }
}
