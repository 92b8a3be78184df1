import Foundation
import Testing

/// Runs the `vkserve` binary built beside the test bundle.
struct CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let smol = root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static let gemma = root.appendingPathComponent("models/gemma-3-270m-q4_k_m.gguf").path

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vkserve")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    static func requireModels() throws {
        for m in [smol, gemma] where !FileManager.default.fileExists(atPath: m) {
            Issue.record("\(m) is missing: run scripts/fetch-models.sh")
            throw CancellationError()
        }
    }
}

@Suite("vkserve command line", .serialized)
struct CLITests {
    @Test("tokenize prints llama.cpp's ids, with and without BOS and special parsing")
    func tokenize() throws {
        try CLI.requireModels()
        #expect(try CLI.run(["tokenize", "--model", CLI.gemma, "Hello world"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines) == "[2, 9259, 1902]")
        #expect(try CLI.run(["tokenize", "--model", CLI.gemma, "--no-bos", "Hello world"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines) == "[9259, 1902]")
        #expect(try CLI.run(["tokenize", "--model", CLI.smol, "<|im_start|>user\nhi<|im_end|>"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines) == "[1, 4093, 198, 6004, 2]")
        // llama.cpp's ids for the same string with parse_special=false (shared/golden)
        let plain = try CLI.run(["tokenize", "--model", CLI.smol, "--no-special", "<|im_start|>user\nhi<|im_end|>"])
        #expect(plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            == "[44, 108, 306, 79, 3738, 108, 46, 4093, 198, 6004, 44, 108, 306, 79, 486, 108, 46]")
    }

    @Test("perplexity --chunks N evaluates the first N chunks, as llama-perplexity's --chunks does")
    func perplexityChunks() throws {
        try CLI.requireModels()
        let text = "/usr/share/common-licenses/Apache-2.0"
        let one = try CLI.run(["perplexity", "--model", CLI.smol, "--context", "64", "--chunks", "1", text])
        #expect(one.status == 0 && one.stdout.contains("\"chunks\":1,"), "\(one.stdout) \(one.stderr)")
        let two = try CLI.run(["perplexity", "--model", CLI.smol, "--context", "64", "--chunks", "2", text])
        #expect(two.status == 0 && two.stdout.contains("\"chunks\":2,"), "\(two.stdout) \(two.stderr)")
        let zero = try CLI.run(["perplexity", "--model", CLI.smol, "--chunks", "0", text])
        #expect(zero.status != 0 && zero.stderr.contains("--chunks must be positive"), "\(zero.stderr)")
    }

    @Test("tokenize and inspect read llama.cpp's vocabulary-only files (scripts/fetch-test-data.sh)")
    func vocabularyOnlyFiles() throws {
        let dir = CLI.root.appendingPathComponent("test-data/ggml-vocab").path
        // llama-tokenize's ids (llama.cpp 0c1e57098), BOS as each vocabulary adds it.
        for (name, ids) in [("gemma-4", "[2, 9259, 1902, 236764, 120362, 33443]"),
                            ("deepseek-llm", "[100000, 17464, 1843, 11, 10010, 2865, 313, 26506, 587]")] {
            let file = "\(dir)/ggml-vocab-\(name).gguf"
            let r = try CLI.run(["tokenize", "--model", file, "Hello world, naïve café"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == ids, "\(name)")
            let i = try CLI.run(["inspect", file])
            #expect(i.status == 0, "\(i.stderr)")
            #expect(i.stdout.contains("tokenizer.ggml.tokens"), "\(name): \(i.stdout.prefix(400))")
        }
    }

    @Test("inspect prints metadata and the tensor table; --json parses")
    func inspect() throws {
        try CLI.requireModels()
        let r = try CLI.run(["inspect", CLI.smol])
        #expect(r.status == 0)
        #expect(r.stdout.contains("llama.block_count"))
        #expect(r.stdout.contains("blk.29.ffn_down.weight"))
        #expect(r.stdout.contains("Q4_1"))
        let j = try CLI.run(["inspect", "--json", CLI.gemma])
        #expect(j.status == 0)
        #expect(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) is [String: Any])
    }

    @Test("a truncated model gives a clear error and a non-zero exit, never a crash")
    func truncated() throws {
        try CLI.requireModels()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vkserve-cli-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.smol)).prefix(50_000_000)
        let cut = dir.appendingPathComponent("cut.gguf")
        try data.write(to: cut)
        for args in [["inspect", cut.path], ["generate", "--model", cut.path, "hi"]] {
            let r = try CLI.run(args)
            #expect(r.status == 1, "\(args): status \(r.status)")
            #expect(r.stderr.contains("truncated"), "\(args): \(r.stderr)")
        }
        let junk = dir.appendingPathComponent("junk.gguf")
        try Data(String(repeating: "this is not a model at all. ", count: 4).utf8).write(to: junk)
        let r = try CLI.run(["inspect", junk.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not a GGUF file"))
    }

    @Test("generate --json returns ids, text and timings; greedy is repeatable")
    func generate() throws {
        try CLI.requireModels()
        let args = ["generate", "--temperature", "0", "--max-tokens", "8", "--json", "The capital of France is"]
        let a = try CLI.run(args), b = try CLI.run(args)
        #expect(a.status == 0, "\(a.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
        #expect(obj["prompt_ids"] as? [Int] == [504, 3575, 282, 4649, 314])
        #expect((obj["generated_ids"] as? [Int])?.count == 8)
        #expect((obj["text"] as? String)?.hasPrefix(" Paris") == true)
        let timings = try #require(obj["timings"] as? [String: Any])
        #expect((timings["decode_tokens_per_second"] as? Double ?? 0) > 0)
        let ga = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
        let gb = try #require(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
        #expect(ga["generated_ids"] as? [Int] == gb["generated_ids"] as? [Int])
    }

    @Test("bad arguments are refused with a message")
    func badArguments() throws {
        try CLI.requireModels()
        let r = try CLI.run(["generate", "--top-p", "0", "hi"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("top_p"))
        let missing = try CLI.run(["generate", "--model", "/nonexistent.gguf", "hi"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot open"))
    }

    @Test("vkserve devices lists lavapipe; generate runs on Vulkan with the CPU engine's first tokens")
    func vulkan() throws {
        try CLI.requireModels()
        let d = try CLI.run(["devices"])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.stdout.contains("(chosen)"))
        let g = try CLI.run(["generate", "--backend", "vulkan", "--temperature", "0", "--max-tokens", "4", "--json",
                             "The capital of France is"])
        #expect(g.status == 0, "\(g.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as? [String: Any])
        #expect((obj["text"] as? String)?.hasPrefix(" Paris") == true)
        #expect((obj["backend"] as? String)?.hasPrefix("vulkan") == true)
    }

    @Test("injected device faults surface as their typed errors", arguments: [
        ("no-device", "no usable Vulkan device"),
        ("out-of-memory", "out of device memory"),
        ("device-lost@2", "the device was lost"),
    ])
    func injectedFaults(fault: String, message: String) throws {
        try CLI.requireModels()
        let r = try CLI.run(["generate", "--backend", "vulkan", "--temperature", "0", "--max-tokens", "6", "Hello"],
                            environment: ["VKSERVE_INJECT_FAULT": fault])
        #expect(r.status == 1)
        #expect(r.stderr.contains(message), "\(fault): \(r.stderr)")
    }

    @Test("synth-model writes a loadable llama-shaped model; bench single reports its bandwidth bound on both engines")
    func syntheticModelBench() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vkserve-synth-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("tiny.gguf").path
        let w = try CLI.run(["synth-model", "--hidden", "256", "--layers", "2", "--ffn", "512", "--heads", "4",
                             "--kv-heads", "2", model])
        #expect(w.status == 0, "\(w.stderr)")
        let bad = try CLI.run(["synth-model", "--type", "Q5_1", model + ".bad"])
        #expect(bad.status != 0 && bad.stderr.contains("--type"), "\(bad.stderr)")

        let inspect = try CLI.run(["inspect", "--json", model])
        #expect(inspect.stdout.contains("\"llama\"") && inspect.stdout.contains("Q4_K"))
        for backend in ["cpu", "vulkan"] {
            let json = dir.appendingPathComponent("\(backend).json").path
            let r = try CLI.run(["bench", "single", "--backend", backend, "--model", model, "--prompt-tokens", "4",
                                 "--decode-tokens", "4", "--repetitions", "1", "--json-out", json,
                                 "--min-fraction-of-bound", "1.5"],
                                environment: ["VKSERVE_PROFILE": "1"])
            // No engine reaches 150 % of the bandwidth bound: the run measures, then fails the requirement.
            #expect(r.status == 1, "\(backend): \(r.stderr)")
            #expect(r.stderr.contains("below the required 150.0 %"), "\(backend): \(r.stderr)")
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
                as? [String: Any])
            let bandwidth = try #require(obj["read_bandwidth_bytes_per_second"] as? Double)
            #expect(bandwidth > 1e8, "\(backend) read bandwidth \(bandwidth)")
            #expect((obj["decode_fraction_of_bound"] as? Double ?? 0) > 0)
            if backend == "vulkan" {
                #expect(r.stderr.contains("device time by kernel") && r.stderr.contains("matmul.Q4_K"), "\(r.stderr)")
            }
        }
    }

    @Test("bench engine starts a worker, loads it with concurrent clients and reports HdrHistogram percentiles")
    func benchEngine() throws {
        try CLI.requireModels()
        let r = try CLI.run(["bench", "engine", "--concurrency", "3", "--requests", "6", "--max-tokens", "8",
                             "--single-requests", "1", "--threads", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["requests"] as? Int == 6)
        #expect((obj["errors"] as? [String: Int])?.isEmpty == true)
        let itl = try #require(obj["itl"] as? [String: Any])
        // 6 requests × 7 gaps between 8 tokens.
        #expect(itl["count"] as? Int == 42)
        let p50 = try #require(itl["p50_ms"] as? Double), p99 = try #require(itl["p99_ms"] as? Double)
        #expect(p50 > 0 && p99 >= p50)
        #expect((obj["tokens_per_second"] as? Double ?? 0) > 0)
        #expect((obj["scaling_efficiency"] as? Double ?? 0) > 0)
        #expect(((obj["memory_after"] as? [String: Any])?["rss_bytes"] as? Int ?? 0) > 0)
        let missing = try CLI.run(["bench", "engine", "--model", "/nonexistent.gguf", "--requests", "1"])
        #expect(missing.status != 0 && missing.stderr.contains("nonexistent"),
                "\(missing.stderr)")
    }
}
