import Bench
import Testing

@Suite("parsers: server-sent events, Prometheus text, nvidia-smi")
struct ParsingTests {
    @Test("events split across arbitrary pieces, CRLF, multi-line data, comments")
    func sse() throws {
        let stream = "data: {\"a\":1}\n\n: keep-alive\r\n\r\ndata: one\r\ndata: two\r\n\r\nevent: x\ndata:[DONE]\n\n"
        let bytes = Array(stream.utf8)
        for cut in [1, 2, 3, 7, 1000] {
            var parser = ServerSentEventParser()
            var events: [String] = []
            var i = 0
            while i < bytes.count {
                let piece = bytes[i..<min(bytes.count, i + cut)]
                events += try parser.feed(piece).map { String(decoding: $0, as: UTF8.self) }
                i += cut
            }
            #expect(events == ["{\"a\":1}", "one\ntwo", "[DONE]"], "pieces of \(cut)")
        }
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array("data: half".utf8)).isEmpty, "no event before its blank line")
        #expect(try parser.feed(Array("\n\n".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["half"])
        #expect(try parser.feed(Array("dataX: other field\n\nid: 3\n\n".utf8)).isEmpty)
    }

    @Test("a runaway line is refused, not buffered without end")
    func longLine() {
        var parser = ServerSentEventParser()
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        #expect(throws: ServerSentEventParser.LineTooLong.self) {
            for _ in 0..<6 { _ = try parser.feed(chunk) }
        }
    }

    @Test("Prometheus text: labels with escapes, sums by label, counters and their deltas")
    func prometheus() {
        let before = PrometheusText(
            """
            # HELP vkserve_http_requests_total HTTP requests.
            # TYPE vkserve_http_requests_total counter
            vkserve_http_requests_total{endpoint="/v1/completions",status="200"} 5
            vkserve_http_requests_total{endpoint="/metrics",status="200"} 9
            vkserve_tokens_generated_total 100
            vkserve_worker_exits_total{reason="stopped"} 1
            vkserve_worker_rss_bytes{worker="cpu-0"} 1.5e8
            vkserve_worker_rss_bytes{worker="cpu-1"} 5.0e7
            odd_metric{note="a \\"quoted\\" value, with, commas"} +Inf
            """)
        #expect(before.sum("vkserve_worker_rss_bytes") == 2e8)
        #expect(before.byLabel("vkserve_worker_rss_bytes", "worker") == ["cpu-0": 1.5e8, "cpu-1": 5e7])
        #expect(before.samples.last?.labels["note"] == "a \"quoted\" value, with, commas")
        #expect(before.samples.last?.value == .infinity)
        #expect(before.sum("missing") == nil)
        let after = PrometheusText(
            """
            vkserve_http_requests_total{endpoint="/v1/completions",status="200"} 12
            vkserve_http_requests_total{endpoint="/v1/completions",status="429"} 2
            vkserve_http_requests_total{endpoint="/v1/chat/completions",status="200"} 1
            vkserve_http_requests_total{endpoint="/metrics",status="200"} 20
            vkserve_tokens_generated_total 350
            vkserve_worker_exits_total{reason="stopped"} 1
            vkserve_worker_exits_total{reason="crash"} 1
            """)
        let delta = ServerCounters(after).since(ServerCounters(before))
        #expect(delta.requestsByStatus == ["200": 8, "429": 2])
        #expect(delta.requests == 10)
        #expect(delta.tokensGenerated == 250)
        #expect(delta.workerExits == ["crash": 1])
    }

    @Test("nvidia-smi CSV: figures in bytes and degrees; [N/A] stays unknown")
    func nvidiaSMI() {
        let gpus = NvidiaSMI.parse(
            """
            0, NVIDIA H200, 1024, 143771, 34, 0, 74.52
            1, NVIDIA H200, [N/A], 143771, [N/A], 12, [N/A]
            garbage
            """)
        #expect(gpus.count == 2)
        #expect(gpus[0].name == "NVIDIA H200" && gpus[0].memoryUsedBytes == 1024 * 1_048_576)
        #expect(gpus[0].temperatureC == 34 && gpus[0].powerWatts == 74.52)
        #expect(gpus[1].memoryUsedBytes == nil && gpus[1].temperatureC == nil && gpus[1].utilizationPercent == 12)
    }
}
