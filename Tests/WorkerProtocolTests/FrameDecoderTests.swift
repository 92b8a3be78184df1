import Testing

import WorkerProtocol
import TestHarness

/// Framing: splits, concatenation, oversized and empty frames.
@Suite struct FrameDecoderTests {
    static let frames: [[UInt8]] =
        Fixtures.supervisorMessages.map { $0.encoded() } + Fixtures.workerMessages.map { $0.encoded() }

    @Test func everySplitPointOfEveryFrameDecodesTheSame() throws {
        for frame in Self.frames {
            let payload = Fixtures.payload(frame)
            for split in 0...frame.count {
                var decoder = FrameDecoder()
                decoder.append(frame[..<split])
                let early = Fixtures.drain(&decoder)
                if split < frame.count { #expect(early.isEmpty) }
                decoder.append(frame[split...])
                let results = early + Fixtures.drain(&decoder)
                #expect(results.count == 1)
                #expect(try results.first?.get() == payload)
                #expect(decoder.bufferedByteCount == 0)
            }
        }
    }

    @Test func streamFedByteByByteOrAllAtOnceDecodesTheSame() throws {
        let stream = Self.frames.flatMap { $0 }
        let expected = Self.frames.map(Fixtures.payload)

        var whole = FrameDecoder()
        whole.append(stream)
        #expect(try Fixtures.drain(&whole).map { try $0.get() } == expected)

        var byteWise = FrameDecoder()
        var payloads: [[UInt8]] = []
        for byte in stream {
            byteWise.append(CollectionOfOne(byte))
            payloads += try Fixtures.drain(&byteWise).map { try $0.get() }
        }
        #expect(payloads == expected)
    }

    @Test func randomChunkingDecodesTheSame() throws {
        let stream = Self.frames.flatMap { $0 }
        let expected = Self.frames.map(Fixtures.payload)
        var rng = SplitMix64(seed: 7)
        for round in 0..<50 {
            var decoder = FrameDecoder(maxFrameBytes: 1 << 12)
            var payloads: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                let n = min(stream.count - offset, Int.random(in: 1...(round < 25 ? 16 : 900), using: &rng))
                // Alternate the generic and the raw-pointer entry points.
                if round % 2 == 0 {
                    decoder.append(stream[offset..<offset + n])
                } else {
                    Array(stream[offset..<offset + n]).withUnsafeBytes { decoder.append($0) }
                }
                offset += n
                payloads += try Fixtures.drain(&decoder).map { try $0.get() }
            }
            #expect(payloads == expected)
        }
    }

    @Test func oversizedFrameFailsOnceAndTheNextFrameDecodes() throws {
        let next = SupervisorMessage.cancel(id: "after").encoded()
        let oversized = WireFormat.frame(Array(repeating: 0x7B, count: 1000))
        let stream = oversized + next
        // Every chunk size, so the skip straddles appends in every way.
        for chunkSize in [1, 2, 3, 4, 5, 7, 64, 999, 1003, 1004, 1005, stream.count] {
            var decoder = FrameDecoder(maxFrameBytes: 100)
            var results: [Result<[UInt8], ProtocolError>] = []
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + chunkSize)
                decoder.append(stream[offset..<end])
                offset = end
                results += Fixtures.drain(&decoder)
                #expect(decoder.bufferedByteCount <= 100 + 4 + chunkSize)
            }
            #expect(results.count == 2, "chunk size \(chunkSize)")
            #expect(results.first?.errorCode == .frameTooLarge)
            if case .failure(let error) = results.first {
                #expect(error.message.contains("1000") && error.message.contains("100"))
            }
            let payload = try #require(try results.last?.get())
            #expect(try SupervisorMessage.decode(payload) == .cancel(id: "after"))
            #expect(decoder.pendingSkipByteCount == 0)
        }
    }

    @Test func oversizedPayloadIsNeverBuffered() throws {
        var decoder = FrameDecoder()
        let size = WireFormat.maxFrameBytes + 1
        decoder.append([UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)])
        #expect(decoder.next()?.errorCode == .frameTooLarge)
        #expect(decoder.next() == nil)
        let chunk = [UInt8](repeating: 0, count: 64 << 10)
        var sent = 0
        while sent + chunk.count <= size {
            decoder.append(chunk)
            sent += chunk.count
            #expect(decoder.bufferedByteCount == 0)
            #expect(decoder.next() == nil)
        }
        #expect(decoder.pendingSkipByteCount == size - sent)
        decoder.append(Array(repeating: 0, count: size - sent) + SupervisorMessage.health.encoded())
        let results = Fixtures.drain(&decoder)
        #expect(results.count == 1)
        let payload = try #require(try results.first?.get())
        #expect(try SupervisorMessage.decode(payload) == .health)
    }

    @Test func largestLengthPrefixIsSkippedToo() {
        var decoder = FrameDecoder()
        decoder.append([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(decoder.next()?.errorCode == .frameTooLarge)
        #expect(decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.pendingSkipByteCount == Int(UInt32.max) - 3)
    }

    @Test func frameOfExactlyTheLimitIsAccepted() throws {
        var decoder = FrameDecoder(maxFrameBytes: 8)
        decoder.append(WireFormat.frame(Array("12345678".utf8)) + WireFormat.frame(Array("123456789".utf8)))
        let results = Fixtures.drain(&decoder)
        #expect(results.count == 2)
        #expect(try results[0].get() == Array("12345678".utf8))
        #expect(results[1].errorCode == .frameTooLarge)
    }

    @Test func emptyFrameFailsAndDecodingContinues() throws {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 0] + [0, 0, 0, 0] + SupervisorMessage.drain.encoded() + [0, 0, 0, 0])
        let results = Fixtures.drain(&decoder)
        #expect(results.map(\.errorCode) == [.emptyFrame, .emptyFrame, nil, .emptyFrame])
        #expect(try SupervisorMessage.decode(results[2].get()) == .drain)
    }

    @Test func incompleteHeaderWaits() {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0])
        #expect(decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 3)
        decoder.append([])
        #expect(decoder.next() == nil)
    }

    @Test func manyLargeFramesKeepTheBufferCompact() throws {
        // 200 frames of 100 KiB fed in 4 KiB chunks: consumed bytes must not pile up at the front.
        let frame = WireFormat.frame(Array(repeating: 0x20, count: 100 << 10))
        var decoder = FrameDecoder()
        var count = 0
        for _ in 0..<200 {
            var offset = 0
            while offset < frame.count {
                let end = min(frame.count, offset + 4096)
                decoder.append(frame[offset..<end])
                offset = end
                count += Fixtures.drain(&decoder).count
                #expect(decoder.bufferedByteCount <= frame.count + 4096)
            }
        }
        #expect(count == 200)
        #expect(decoder.bufferedByteCount == 0)
    }
}
