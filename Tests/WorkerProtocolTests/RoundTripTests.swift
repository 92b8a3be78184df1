import Foundation
import GenerationTypes
import Testing

import WorkerProtocol

/// encoded() → FrameDecoder → decode gives back the message, for every case of both directions.
@Suite struct RoundTripTests {
    @Test(arguments: Fixtures.supervisorMessages)
    func supervisorMessageRoundTrips(message: SupervisorMessage) throws {
        var decoder = FrameDecoder()
        decoder.append(message.encoded())
        let results = Fixtures.drain(&decoder)
        #expect(results.count == 1)
        let payload = try #require(try results.first?.get())
        #expect(try SupervisorMessage.decode(payload) == message)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test(arguments: Fixtures.workerMessages + Fixtures.enumCoverage)
    func workerMessageRoundTrips(message: WorkerMessage) throws {
        var decoder = FrameDecoder()
        decoder.append(message.encoded())
        let results = Fixtures.drain(&decoder)
        #expect(results.count == 1)
        let payload = try #require(try results.first?.get())
        #expect(try WorkerMessage.decode(payload) == message)
    }

    @Test func everyCaseIsCovered() {
        #expect(Set(Fixtures.supervisorMessages.map(\.type)) == Set(SupervisorMessage.types))
        #expect(Set(Fixtures.workerMessages.map(\.type)) == Set(WorkerMessage.types))
    }

    @Test func payloadIsOneFlatObjectWithType() throws {
        for message in Fixtures.supervisorMessages {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(Fixtures.payload(message.encoded()))) as? [String: Any])
            #expect(object["type"] as? String == message.type)
        }
        for message in Fixtures.workerMessages {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(Fixtures.payload(message.encoded()))) as? [String: Any])
            #expect(object["type"] as? String == message.type)
        }
    }

    @Test func lengthPrefixIsBigEndianPayloadLength() {
        let frame = WireFormat.frame(Array(repeating: 0x41, count: 0x01_02_03))
        #expect(Array(frame.prefix(4)) == [0, 1, 2, 3])
        #expect(frame.count == 4 + 0x01_02_03)
        #expect(WireFormat.frame([]) == [0, 0, 0, 0])
    }

    @Test func fieldsAreSnakeCase() throws {
        let generate = SupervisorMessage.generate(
            GenerateRequest(
                id: "a", prompt: .tokens([1]), sampling: Sampling(seed: 7), maxTokens: 3, ignoreEos: true,
                deadlineMs: 9))
        let json = String(decoding: Fixtures.payload(generate.encoded()), as: UTF8.self)
        for key in [
            "\"prompt_tokens\"", "\"max_tokens\"", "\"ignore_eos\"", "\"deadline_ms\"", "\"add_special\"",
            "\"top_k\"", "\"top_p\"", "\"min_p\"", "\"repeat_penalty\"", "\"repeat_last_n\"", "\"seed\"",
        ] {
            #expect(json.contains(key), "\(key) missing from \(json)")
        }
        let beat = String(
            decoding: Fixtures.payload(WorkerMessage.heartbeat(Fixtures.heartbeat).encoded()), as: UTF8.self)
        for key in ["\"in_flight\"", "\"requests_done\"", "\"uptime_s\"", "\"vram_used\"", "\"kv_reserved\""] {
            #expect(beat.contains(key), "\(key) missing from \(beat)")
        }
        #expect(!beat.contains("\"rss\""), "nil optionals are left out")
        let shutdown = String(
            decoding: Fixtures.payload(SupervisorMessage.shutdown(deadlineMs: 5).encoded()), as: UTF8.self)
        #expect(shutdown == #"{"deadline_ms":5,"type":"shutdown"}"#)
        let injection = SupervisorMessage.injectFault(FaultInjection(fault: "hang", atStep: 2))
        let fault = String(decoding: Fixtures.payload(injection.encoded()), as: UTF8.self)
        #expect(fault == #"{"at_step":2,"fault":"hang","type":"inject_fault"}"#)
    }

    @Test func generateDefaultsApplyWhenFieldsAreLeftOut() throws {
        let message = try SupervisorMessage.decode(
            Fixtures.payload(Fixtures.frame(#"{"type":"generate","id":"a","prompt":"hi","max_tokens":5}"#)))
        #expect(message == .generate(GenerateRequest(id: "a", prompt: .text("hi"), maxTokens: 5)))
        guard case .generate(let request) = message else { return }
        #expect(request.sampling == Sampling(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1))
        #expect(request.sampling.repeatLastN == 64 && request.sampling.seed == nil)
        #expect(request.stop == [] && !request.ignoreEos && request.addSpecial && request.deadlineMs == nil)

        let partial = try SupervisorMessage.decode(
            Fixtures.payload(
                Fixtures.frame(
                    #"{"type":"generate","id":"b","prompt_tokens":[1,2],"max_tokens":1,"#
                        + #""sampling":{"top_k":5,"seed":null}}"#)))
        #expect(
            partial
                == .generate(
                    GenerateRequest(id: "b", prompt: .tokens([1, 2]), sampling: Sampling(topK: 5), maxTokens: 1)))
    }

    @Test func unknownFieldsAreIgnored() throws {
        let message = try SupervisorMessage.decode(
            Fixtures.payload(Fixtures.frame(#"{"type":"cancel","id":"x","future_field":[1,{"a":null}]}"#)))
        #expect(message == .cancel(id: "x"))
    }

    @Test func concurrentCodingIsSafe() async {
        // The JSON coders are shared; many threads encode and decode at once in the worker.
        let ok = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<20).allSatisfy { _ in
                        Fixtures.workerMessages.allSatisfy {
                            (try? WorkerMessage.decode(Fixtures.payload($0.encoded()))) == $0
                        }
                    }
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(ok)
    }

    @Test func encodingIsDeterministic() {
        for message in Fixtures.workerMessages {
            #expect(message.encoded() == message.encoded())
        }
    }
}
