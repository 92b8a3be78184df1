import ArgumentParser
import Engine
import Foundation

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity", abstract: "Perplexity of a model on a text file, by llama.cpp's method.",
        discussion: """
            With --kl-divergence-base FILE (a file written by llama.cpp's `llama-perplexity --save-all-logits FILE`), \
            the model evaluates that file's chunks instead of a text and reports, as `llama-perplexity \
            --kl-divergence` does, the mean KL divergence from the base's distributions, the share of positions \
            with the same most likely token, and the perplexity ratio.
            """)

    @OptionGroup var backend: BackendOptions

    @Option(help: "Tokens per chunk (with --kl-divergence-base: the base file's).")
    var context: Int = 512

    @Option(help: "Evaluate only the first N chunks (llama-perplexity's --chunks; default: all).")
    var chunks: Int?

    @Option(name: .customLong("kl-divergence-base"), help: "A llama-perplexity --save-all-logits file to compare against.")
    var klDivergenceBase: String?

    @Argument(help: "Text file (not with --kl-divergence-base).")
    var textFile: String?

    func validate() throws {
        if (klDivergenceBase == nil) == (textFile == nil) {
            throw ValidationError("give a text file, or --kl-divergence-base FILE, but not both")
        }
        if let chunks, chunks < 1 || klDivergenceBase != nil {
            throw ValidationError("--chunks must be positive, and goes with a text file (a logits file sets its own chunks)")
        }
    }

    func run() throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        if let basePath = klDivergenceBase {
            let base = try LlamaLogitsFile(path: basePath)
            let engine = try backend.makeBackend(context: base.context)
            let r = try Perplexity.klDivergence(backend: engine, base: base) { done, total, r in
                FileHandle.standardError.write(Data(String(format: "[chunk %d/%d] PPL %.4f, mean KLD %.6f, same top %.2f %%\n",
                                                           done, total, r.perplexity, r.meanKLD, 100 * r.sameTop).utf8))
            }
            FileHandle.standardError.write(Data(String(format: """
                Mean PPL(Q)              : %10.6f
                Mean PPL(base)           : %10.6f
                Mean ln(PPL(Q)/PPL(base)): %10.6f ± %10.6f
                Mean PPL(Q)/PPL(base)    : %10.6f
                Mean    KLD              : %10.6f ± %10.6f
                Maximum KLD              : %10.6f
                Same top p               : %6.3f ± %5.3f %%
                RMS Δp                   : %6.3f %%

                """, r.perplexity, r.perplexityBase, r.logPerplexityRatio, r.logPerplexityRatioUncertainty, r.perplexityRatio,
                r.meanKLD, r.meanKLDUncertainty, r.maxKLD, 100 * r.sameTop, 100 * r.sameTopUncertainty, 100 * r.deltaPRMS).utf8))
            print(String(decoding: try enc.encode(r), as: UTF8.self))
            return
        }
        guard let textFile, let data = FileManager.default.contents(atPath: textFile) else {
            throw CommandFailure("cannot read \(textFile ?? "")")
        }
        let engine = try backend.makeBackend(context: context)
        let text = String(decoding: data, as: UTF8.self)
        var tokens = engine.model.tokenizer.encode(text)
        if let chunks { tokens = Array(tokens.prefix(chunks * context)) }
        let result = try Perplexity.evaluate(backend: engine, tokens: tokens, context: context) { done, total, ppl in
            FileHandle.standardError.write(Data(String(format: "[chunk %d/%d] running perplexity %.4f\n", done, total, ppl).utf8))
        }
        print(String(decoding: try enc.encode(result), as: UTF8.self))
    }
}
