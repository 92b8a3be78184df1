/// An exact, byte-for-byte map from token text to token id.
///
/// Swift `String` equality is canonical equivalence, so a `[String: Int32]` would merge tokens
/// that differ only in Unicode normalization (gemma's vocabulary has hundreds of such pairs);
/// llama.cpp compares bytes. All texts live in one buffer and an open-addressing table holds
/// their ids, which keeps a 262k-entry vocabulary to a few allocations.
struct ByteStringTable: Sendable {
    /// Every entry's bytes, back to back.
    let storage: [UInt8]
    /// Entry `i` is `storage[offsets[i] ..< offsets[i + 1]]`.
    let offsets: [Int32]
    /// Open-addressing slots holding entry ids, `-1` when empty; the count is a power of two.
    private let slots: [Int32]

    var count: Int { offsets.count - 1 }

    /// Builds the table; a text that occurs twice maps to its last id, as in llama.cpp's `token_to_id`.
    init(_ texts: [String]) {
        var storage: [UInt8] = []
        storage.reserveCapacity(texts.count * 8)
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(texts.count + 1)
        for text in texts {
            storage.append(contentsOf: text.utf8)
            offsets.append(Int32(storage.count))
        }
        var capacity = 16
        while capacity < texts.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        storage.withUnsafeBufferPointer { store in
            for id in 0 ..< texts.count {
                let start = Int(offsets[id]), end = Int(offsets[id + 1])
                let key = UnsafeBufferPointer(rebasing: store[start ..< end])
                var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
                while true {
                    let occupant = Int(slots[slot])
                    if occupant < 0 {
                        slots[slot] = Int32(id)
                        break
                    }
                    let oStart = Int(offsets[occupant]), oEnd = Int(offsets[occupant + 1])
                    if Self.equal(UnsafeBufferPointer(rebasing: store[oStart ..< oEnd]), key) {
                        slots[slot] = Int32(id)
                        break
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        self.storage = storage
        self.offsets = offsets
        self.slots = slots
    }

    /// The id of the entry whose bytes are exactly `key`.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let mask = slots.count - 1
        return storage.withUnsafeBufferPointer { store in
            slots.withUnsafeBufferPointer { slots in
                offsets.withUnsafeBufferPointer { offsets in
                    var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
                    while true {
                        let occupant = Int(slots[slot])
                        if occupant < 0 { return nil }
                        let start = Int(offsets[occupant]), end = Int(offsets[occupant + 1])
                        if Self.equal(UnsafeBufferPointer(rebasing: store[start ..< end]), key) {
                            return Int32(occupant)
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    func find(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { find($0) }
    }

    func find(_ text: String) -> Int32? {
        var text = text
        return text.withUTF8 { find($0) }
    }

    /// The bytes of entry `id`.
    func bytes(_ id: Int) -> ArraySlice<UInt8> {
        storage[Int(offsets[id]) ..< Int(offsets[id + 1])]
    }

    /// FNV-1a, 64-bit: token texts are short, so a byte loop is as fast as anything.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return h ^ (h >> 29)
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
