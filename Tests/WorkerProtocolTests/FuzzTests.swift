import Testing

import WorkerProtocol
import TestHarness

/// Seeded fuzzing: arbitrary bytes never crash the decoders or grow their buffers without bound.
@Suite struct FuzzTests {
    static let validFrames: [[UInt8]] =
        Fixtures.supervisorMessages.map { $0.encoded() } + Fixtures.workerMessages.map { $0.encoded() }

    /// Bytes that steer mutations towards JSON structure rather than mere garbage.
    static let interesting: [UInt8] = Array("{}[]\":,0123456789-.eE \\ntfu".utf8) + [0, 0x7F, 0x80, 0xC3, 0xFF]

    /// Tallies what the fuzzers saw, so a test can check it exercised every outcome.
    struct Outcomes {
        var messages = 0
        var errors: [ProtocolError.Code: Int] = [:]

        mutating func decode(_ payload: [UInt8]) {
            // Typed throws: every failure is a ProtocolError by construction; count which.
            do {
                _ = try SupervisorMessage.decode(payload)
                messages += 1
            } catch {
                errors[error.code, default: 0] += 1
            }
            do {
                _ = try WorkerMessage.decode(payload)
                messages += 1
            } catch {
                errors[error.code, default: 0] += 1
            }
        }
    }

    /// Feeds `bytes` in random chunks, checking the buffer bound after every append.
    static func feed(
        _ bytes: [UInt8], to decoder: inout FrameDecoder, outcomes: inout Outcomes,
        using rng: inout SplitMix64
    ) {
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, Int.random(in: 1...512, using: &rng))
            decoder.append(bytes[offset..<offset + chunk])
            offset += chunk
            #expect(decoder.bufferedByteCount <= decoder.maxFrameBytes + 4 + chunk)
            while let result = decoder.next() {
                switch result {
                case .success(let payload):
                    #expect(payload.count <= decoder.maxFrameBytes && !payload.isEmpty)
                    outcomes.decode(payload)
                case .failure(let error):
                    #expect(error.code == .frameTooLarge || error.code == .emptyFrame)
                    outcomes.errors[error.code, default: 0] += 1
                }
            }
            #expect(decoder.bufferedByteCount < decoder.maxFrameBytes + 4)
        }
    }

    static func mutate(_ frame: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = frame
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = Int.random(in: 0..<max(bytes.count, 1), using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[at] = interesting.randomElement(using: &rng)!
            case 2:
                bytes.insert(interesting.randomElement(using: &rng)!, at: min(at, bytes.count))
            case 3 where !bytes.isEmpty:
                bytes.remove(at: at)
            case 4:
                bytes = Array(bytes.prefix(at))
            case 5 where bytes.count > 4:
                // Duplicate a slice of the JSON: repeated keys, nested fragments.
                let start = Int.random(in: 4..<bytes.count, using: &rng)
                let end = Int.random(in: start...bytes.count, using: &rng)
                bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 4...bytes.count, using: &rng))
            case 6 where bytes.count >= 4:
                // Rewrite the length prefix to a nearby or arbitrary value.
                let length = Bool.random(using: &rng)
                    ? UInt32(clamping: max(0, bytes.count - 4 + Int.random(in: -3...3, using: &rng)))
                    : UInt32.random(in: 0...UInt32.max, using: &rng)
                bytes.replaceSubrange(0..<4, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) })
            default:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: min(at, bytes.count))
            }
        }
        return bytes
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var outcomes = Outcomes()
        var stream = FrameDecoder(maxFrameBytes: 256)
        for i in 0..<2000 {
            let count = Int.random(in: 0...600, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 4 == 0 {
                // A plausible length prefix, so some random payloads reach the JSON decoder whole.
                let n = UInt32(Int.random(in: 0...min(count, 256), using: &rng))
                bytes.insert(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: n >> $0) }, at: 0)
            }
            outcomes.decode(bytes)
            var fresh = FrameDecoder(maxFrameBytes: [16, 256, WireFormat.maxFrameBytes][i % 3])
            Self.feed(bytes, to: &fresh, outcomes: &outcomes, using: &rng)
            Self.feed(bytes, to: &stream, outcomes: &outcomes, using: &rng)
        }
        #expect(outcomes.errors[.malformed, default: 0] > 0)
        #expect(outcomes.errors[.frameTooLarge, default: 0] > 0)
    }

    @Test func mutatedFramesNeverCrash() {
        var rng = SplitMix64(seed: 0x5EED_0002)
        var outcomes = Outcomes()
        var stream = FrameDecoder()
        var small = FrameDecoder(maxFrameBytes: 300)
        for i in 0..<2000 {
            let frame = Self.validFrames[i % Self.validFrames.count]
            let mutated = Self.mutate(frame, using: &rng)
            outcomes.decode(Array(mutated.dropFirst(min(4, mutated.count))))
            var fresh = FrameDecoder()
            Self.feed(mutated, to: &fresh, outcomes: &outcomes, using: &rng)
            Self.feed(mutated, to: &stream, outcomes: &outcomes, using: &rng)
            Self.feed(mutated, to: &small, outcomes: &outcomes, using: &rng)
        }
        // The mutations must reach every decoding outcome, or the fuzzer is testing too little.
        #expect(outcomes.messages > 0)
        #expect(outcomes.errors[.malformed, default: 0] > 0)
        #expect(outcomes.errors[.unknownType, default: 0] > 0)
        #expect(outcomes.errors[.frameTooLarge, default: 0] > 0)
    }

    @Test func streamResynchronizesAfterGarbageFrames() throws {
        // Well-framed garbage payloads between valid frames: each garbage frame is one error, the rest decode.
        var rng = SplitMix64(seed: 0x5EED_0003)
        var decoder = FrameDecoder(maxFrameBytes: 1024)
        var decoded: [SupervisorMessage] = []
        var failures = 0
        for _ in 0..<300 {
            let count = Int.random(in: 0...2048, using: &rng)
            let garbage = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            decoder.append(WireFormat.frame(garbage) + SupervisorMessage.cancel(id: "ok").encoded())
            while let result = decoder.next() {
                switch result {
                case .success(let payload):
                    do { decoded.append(try SupervisorMessage.decode(payload)) } catch { failures += 1 }
                case .failure:
                    failures += 1
                }
            }
        }
        #expect(decoded.filter { $0 == .cancel(id: "ok") }.count == 300)
        #expect(decoded.count + failures == 600)
    }
}
