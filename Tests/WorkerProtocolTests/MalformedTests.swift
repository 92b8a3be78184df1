import Testing

import WorkerProtocol

/// Payloads that are not valid messages fail with a ProtocolError that says what is wrong.
@Suite struct MalformedTests {
    static func supervisorError(_ json: String) -> ProtocolError? {
        do {
            _ = try SupervisorMessage.decode(Array(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    static func workerError(_ json: String) -> ProtocolError? {
        do {
            _ = try WorkerMessage.decode(Array(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func unknownTypeNamesTheType() throws {
        let error = try #require(Self.supervisorError(#"{"type":"frobnicate","id":"x"}"#))
        #expect(error.code == .unknownType)
        #expect(error.message.contains("\"frobnicate\""))
        // A worker-only type is unknown to the worker, and the other way round.
        #expect(Self.supervisorError(#"{"type":"token"}"#)?.code == .unknownType)
        #expect(Self.workerError(#"{"type":"generate"}"#)?.code == .unknownType)
        #expect(Self.workerError(#"{"type":""}"#)?.code == .unknownType)
    }

    @Test(arguments: [
        "", "hello", "{", "{\"type\":\"health\"", "[1,2]", "[]", "\"health\"", "42", "null", "true",
        "{\"type\":\"health\"}}", "{}", "{\"type\":5}", "{\"type\":null}", "{\"Type\":\"health\"}",
"{'type':'health'}",
    ])
    func notAMessageIsMalformed(json: String) {
        #expect(Self.supervisorError(json)?.code == .malformed, "\(json)")
        #expect(Self.workerError(json)?.code == .malformed, "\(json)")
    }

    @Test func invalidUTF8IsMalformed() {
        let payload: [UInt8] = Array(#"{"type":"cancel","id":""#.utf8) + [0xFF, 0xFE] + Array("\"}".utf8)
        #expect(throws: ProtocolError.self) { try SupervisorMessage.decode(payload) }
    }

    @Test func deepNestingIsMalformedNotACrash() {
        let depth = 100_000
        let json = #"{"type":"cancel","id":"#
            + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        #expect(Self.supervisorError(json)?.code == .malformed)
    }

    @Test func missingFieldNamesItsPath() throws {
        let error = try #require(Self.supervisorError(#"{"type":"generate","id":"a","prompt":"x"}"#))
        #expect(error.code == .malformed)
        #expect(error.message.contains("$.max_tokens"), "\(error.message)")

        let turn = try #require(
            Self.supervisorError(#"{"type":"generate","id":"a","messages":[{"content":"hi"}],"max_tokens":1}"#))
        #expect(turn.message.contains("$.messages[0].role"), "\(turn.message)")

        let usage = try #require(
            Self.workerError(
                #"{"type":"done","id":"a","reason":"stop","usage":{"prompt_tokens":1},"timings":{}}"#))
        #expect(usage.message.contains("$.usage.completion_tokens"), "\(usage.message)")
        let cached = try #require(
            Self.workerError(
                #"{"type":"done","id":"a","reason":"stop","usage":{"prompt_tokens":1,"completion_tokens":1,"cached_tokens":2},"timings":{}}"#))
        #expect(cached.message.contains("cached_tokens"), "\(cached.message)")

        #expect(Self.supervisorError(#"{"type":"cancel"}"#)?.message.contains("$.id") == true)
        #expect(Self.supervisorError(#"{"type":"hello","version":1}"#)?.message.contains("$.client") == true)
    }

    @Test func wrongFieldTypeNamesItsPath() throws {
        let cases: [(String, String)] = [
            (#"{"type":"generate","id":"a","prompt":"x","max_tokens":"5"}"#, "$.max_tokens"),
            (#"{"type":"generate","id":7,"prompt":"x","max_tokens":5}"#, "$.id"),
            (
                #"{"type":"generate","id":"a","prompt":"x","max_tokens":5,"sampling":{"top_k":"x"}}"#,
                "$.sampling.top_k"
            ),
            (#"{"type":"generate","id":"a","prompt":"x","max_tokens":5,"sampling":[]}"#, "$.sampling"),
            (#"{"type":"generate","id":"a","prompt_tokens":[1,"2"],"max_tokens":5}"#, "$.prompt_tokens[1]"),
            (#"{"type":"generate","id":"a","prompt_tokens":[1,4294967296],"max_tokens":5}"#, "$.prompt_tokens[1]"),
            (#"{"type":"generate","id":"a","prompt_tokens":[1.5],"max_tokens":5}"#, "$.prompt_tokens[0]"),
            (#"{"type":"generate","id":"a","prompt":"x","max_tokens":5,"sampling":{"seed":-1}}"#, "$.sampling.seed"),
            (#"{"type":"generate","id":"a","prompt":"x","max_tokens":5,"stop":"\n"}"#, "$.stop"),
            (#"{"type":"generate","id":"a","prompt":"x","max_tokens":5,"ignore_eos":1}"#, "$.ignore_eos"),
            (#"{"type":"shutdown","deadline_ms":"soon"}"#, "$.deadline_ms"),
            (#"{"type":"shutdown","deadline_ms":1e30}"#, "$.deadline_ms"),
            (#"{"type":"generate","id":"a","prompt":"x","max_tokens":5,"sampling":{"temperature":1e300}}"#,
             "$.sampling.temperature"),
            (#"{"type":"inject_fault","fault":"crash","at_step":1.5}"#, "$.at_step"),
        ]
        for (json, path) in cases {
            let error = try #require(Self.supervisorError(json), "\(json)")
            #expect(error.code == .malformed, "\(json)")
            #expect(error.message.contains(path), "\(json): \(error.message)")
        }
        let workerCases: [(String, String)] = [
            (#"{"type":"token","id":"a","index":0,"token":2147483648,"text":""}"#, "$.token"),
            (#"{"type":"done","id":"a","reason":"finished","usage":{},"timings":{}}"#, "$.reason"),
            (#"{"type":"error","code":"oops","message":"m"}"#, "$.code"),
            (#"{"type":"fault","kind":"meltdown","message":""}"#, "$.kind"),
            (#"{"type":"load_progress","stage":"x","fraction":1e999}"#, "$.fraction"),
            (
                #"{"type":"heartbeat","sequence":1,"state":"busy","in_flight":0,"queued":0,"steps":0,"tokens":0,"#
                    + #""requests_done":0,"memory":{"rss":"big"},"uptime_s":1}"#,
                "$.memory.rss"
            ),
            (
                #"{"type":"hello","version":1,"pid":99999999999,"model":"","backend":"","device":"","#
                    + #""slots":1,"context":1}"#,
                "$.pid"
            ),
        ]
        for (json, path) in workerCases {
            let error = try #require(Self.workerError(json), "\(json)")
            #expect(error.code == .malformed, "\(json)")
            #expect(error.message.contains(path), "\(json): \(error.message)")
        }
    }

    @Test func promptMustBeExactlyOneForm() throws {
        let two = try #require(
            Self.supervisorError(#"{"type":"generate","id":"a","prompt":"x","prompt_tokens":[1],"max_tokens":5}"#))
        #expect(two.code == .malformed)
        #expect(two.message.contains("prompt_tokens") && two.message.contains("exactly one"), "\(two.message)")
        let three = Self.supervisorError(
            #"{"type":"generate","id":"a","prompt":"x","prompt_tokens":[1],"messages":[],"max_tokens":5}"#)
        #expect(three?.code == .malformed)
        let none = try #require(Self.supervisorError(#"{"type":"generate","id":"a","max_tokens":5}"#))
        #expect(none.code == .malformed && none.message.contains("none"), "\(none.message)")
    }

    @Test func errorReplyMapsProtocolErrors() {
        #expect(ErrorReply(.frameTooLarge(size: 10, limit: 5)).code == .frameTooLarge)
        #expect(ErrorReply(.emptyFrame).code == .badFrame)
        #expect(ErrorReply(.malformed("x")).code == .badFrame)
        #expect(ErrorReply(.unknownType("x", known: [])).code == .unknownType)
        #expect(ErrorReply(.versionMismatch(peer: 2)).code == .versionMismatch)
        let reply = ErrorReply(.malformed("missing field $.max_tokens"))
        #expect(reply.id == nil && reply.message == "missing field $.max_tokens")
        #expect(ErrorReply(.emptyFrame, id: "r").id == "r")
        #expect(ErrorReply(id: "r", code: .unknownId, message: "m").description == "unknown_id (request r): m")
    }

    @Test func versionCheck() throws {
        try WireFormat.checkVersion(WireFormat.version)
        #expect(throws: ProtocolError.versionMismatch(peer: 2)) { try WireFormat.checkVersion(2) }
        #expect(ProtocolError.versionMismatch(peer: 2).description.hasPrefix("version_mismatch: "))
    }
}
