import ArgumentParser
import CPUBackend
import Engine
import Foundation
import VulkanBackend

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: engine speed beside a reference, and load, soak and reports against a running vkserved.",
        subcommands: [
            BenchSingleCommand.self, BenchEngineCommand.self, BenchLoadCommand.self, BenchSoakCommand.self,
            BenchReportCommand.self, BenchSamplingCommand.self,
        ])
}

/// llama.cpp (commit 0c1e57098) on a 2-core machine of this kind, from the project's issues: its CPU
/// backend with 2 threads, and its Vulkan backend on lavapipe.
struct ReferenceFigures {
    let name: String
    let promptTokensPerSecond: Double
    let decodeTokensPerSecond: Double

    static func llamaCpp(model: String, backend: BackendKind) -> ReferenceFigures? {
        switch (model, backend) {
        case ("SmolLM2-135M-Instruct.Q4_1.gguf", .cpu): return .init(name: "llama.cpp 0c1e57098 CPU, 2 threads", promptTokensPerSecond: 234, decodeTokensPerSecond: 89.7)
        case ("gemma-3-270m-q4_k_m.gguf", .cpu): return .init(name: "llama.cpp 0c1e57098 CPU, 2 threads", promptTokensPerSecond: 386, decodeTokensPerSecond: 42.4)
        case ("SmolLM2-135M-Instruct.Q4_1.gguf", .vulkan): return .init(name: "llama.cpp 0c1e57098 Vulkan, lavapipe", promptTokensPerSecond: 6.4, decodeTokensPerSecond: 1.6)
        case ("gemma-3-270m-q4_k_m.gguf", .vulkan): return .init(name: "llama.cpp 0c1e57098 Vulkan, lavapipe", promptTokensPerSecond: 5.3, decodeTokensPerSecond: 2.1)
        default: return nil
        }
    }
}

struct BenchSingleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "single",
        abstract: "Single-sequence prefill and decode speed, with decode against the memory-bandwidth bound.")

    @OptionGroup var backend: BackendOptions

    @Option(help: "Prompt tokens to prefill.")
    var promptTokens: Int = 64

    @Option(help: "Tokens to decode.")
    var decodeTokens: Int = 128

    @Option(help: "Repetitions (the median is reported).")
    var repetitions: Int = 5

    @Option(help: ArgumentHelp(
        "Unmeasured runs first (0: none).",
        discussion: "A first run also pays for the page faults of a freshly mapped model and cold caches; llama-bench warms up too."))
    var warmup: Int = 1

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Also write the JSON result to this file.")
    var jsonOut: String?

    @Option(help: "Exit with status 1 when decode reaches less than this fraction of the bandwidth bound.")
    var minFractionOfBound: Double?

    func run() throws {
        guard promptTokens >= 1, decodeTokens >= 2, repetitions >= 1 else {
            throw ValidationError("--prompt-tokens, --decode-tokens (2+) and --repetitions must be positive")
        }
        guard (0 ... 100).contains(warmup) else { throw ValidationError("--warmup must be 0 to 100 (got \(warmup))") }
        let engine = try backend.makeBackend(context: promptTokens + decodeTokens + 8)
        let model = engine.model
        // A natural-text prompt of exactly promptTokens tokens.
        let license = (try? String(contentsOfFile: "/usr/share/common-licenses/Apache-2.0", encoding: .utf8))
            ?? String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 200)
        let prompt = Array(model.tokenizer.encode(license).prefix(promptTokens))
        guard prompt.count == promptTokens else { throw CommandFailure("the sample text is too short for \(promptTokens) tokens") }

        let generator = SingleSequenceGenerator(backend: engine)
        for _ in 0 ..< warmup {
            _ = try generator.generate(promptIDs: prompt, parameters: .greedy, maxTokens: decodeTokens,
                                       stopAtEndOfGeneration: false)
        }
        var prefill: [Double] = [], decode: [Double] = []
        for _ in 0 ..< repetitions {
            let r = try generator.generate(promptIDs: prompt, parameters: .greedy, maxTokens: decodeTokens,
                                           stopAtEndOfGeneration: false)
            prefill.append(r.promptTokensPerSecond)
            decode.append(r.decodeTokensPerSecond)
        }
        let bandwidth = (engine as? CPUBackend)?.measureReadBandwidth() ?? (engine as? VulkanBackend)?.measureReadBandwidth() ?? 0
        let bytesPerToken = Double(model.weights.decodeBytesPerToken)
        let bound = bandwidth > 0 ? bandwidth / bytesPerToken : 0
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        let result = BenchSingleResult(
            model: model.name, backend: engine.description, prompt_tokens: promptTokens, decode_tokens: decodeTokens,
            prompt_tokens_per_second: median(prefill), decode_tokens_per_second: median(decode),
            decode_bytes_per_token: Int(bytesPerToken), read_bandwidth_bytes_per_second: bandwidth,
            decode_bound_tokens_per_second: bound, decode_fraction_of_bound: bound > 0 ? median(decode) / bound : 0,
            reference: ReferenceFigures.llamaCpp(model: model.name, backend: backend.backend).map {
                .init(name: $0.name, prompt_tokens_per_second: $0.promptTokensPerSecond,
                      decode_tokens_per_second: $0.decodeTokensPerSecond)
            })
        if let vulkan = engine as? VulkanBackend, !vulkan.profile.isEmpty {
            let total = vulkan.profile.values.reduce(0) { $0 + $1.seconds }
            var lines = ["device time by kernel (VKSERVE_PROFILE=1), all runs:"]
            for (label, v) in vulkan.profile.sorted(by: { $0.value.seconds > $1.value.seconds }) {
                lines.append("  " + label.padding(toLength: 14, withPad: " ", startingAt: 0)
                             + String(format: " %9.3f s  %5.1f %%  %7d dispatches", v.seconds, 100 * v.seconds / total, v.count))
            }
            FileHandle.standardError.write(Data(("\n" + lines.joined(separator: "\n") + "\n").utf8))
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        let encoded = try enc.encode(result)
        if let jsonOut { try encoded.write(to: URL(fileURLWithPath: jsonOut)) }
        print(json ? String(decoding: encoded, as: UTF8.self) : result.table)
        if let minFractionOfBound, result.decode_fraction_of_bound < minFractionOfBound {
            FileHandle.standardError.write(Data(String(
                format: "decode reached %.1f %% of the bandwidth bound, below the required %.1f %%\n",
                result.decode_fraction_of_bound * 100, minFractionOfBound * 100).utf8))
            throw ExitCode(1)
        }
    }
}

struct BenchSingleResult: Encodable {
    struct Reference: Encodable {
        var name: String
        var prompt_tokens_per_second: Double
        var decode_tokens_per_second: Double
    }

    var model: String
    var backend: String
    var prompt_tokens: Int
    var decode_tokens: Int
    var prompt_tokens_per_second: Double
    var decode_tokens_per_second: Double
    var decode_bytes_per_token: Int
    var read_bandwidth_bytes_per_second: Double
    var decode_bound_tokens_per_second: Double
    var decode_fraction_of_bound: Double
    var reference: Reference?

    var table: String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var rows = [["metric", "vkserve", reference?.name ?? "reference", "ratio"]]
        let rp = reference?.prompt_tokens_per_second, rd = reference?.decode_tokens_per_second
        rows.append(["prefill \(prompt_tokens) tokens (tok/s)", f(prompt_tokens_per_second), rp.map(f) ?? "-",
                     rp.map { String(format: "%.2fx", prompt_tokens_per_second / $0) } ?? "-"])
        rows.append(["decode (tok/s)", f(decode_tokens_per_second), rd.map(f) ?? "-",
                     rd.map { String(format: "%.2fx", decode_tokens_per_second / $0) } ?? "-"])
        if decode_bound_tokens_per_second > 0 {
            rows.append(["decode bound: bandwidth / bytes per token (tok/s)", f(decode_bound_tokens_per_second), "", ""])
            rows.append(["decode as a fraction of the bound", String(format: "%.0f %%", decode_fraction_of_bound * 100), "", ""])
        }
        let widths = (0 ..< 4).map { c in rows.map { $0[c].count }.max()! }
        let lines = rows.map { r in (0 ..< 4).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        return "\(model) on \(backend)\n"
            + String(format: "weights read per token %.1f MB, read bandwidth %.1f GB/s\n",
                     Double(decode_bytes_per_token) / 1e6, read_bandwidth_bytes_per_second / 1e9)
            + lines.joined(separator: "\n")
    }
}
