import Foundation

/// The prompts a run sends: from a file, synthesised to a length, or a built-in set that asks for long answers.
public struct PromptSource: Sendable {
    public let prompts: [String]
    let seed: UInt64

    /// Openings that a base or an instruct model continues at length, also with greedy sampling.
    public static let builtIn = [
        "Once upon a time, in a small village by the sea, there lived an old lighthouse keeper who",
        "The history of the printing press begins in the fifteenth century, when",
        "Here is a detailed explanation of how a refrigerator keeps food cold. First,",
        "Dear Mother, the voyage has been long and the sea rough, but today",
        "The recipe for a good loaf of bread starts with flour, water, salt and yeast. To begin,",
        "In the year 2150, the first city on Mars had grown to ten thousand people, and",
        "The water cycle is the journey water takes as it moves around the Earth. It starts when",
        "Chapter One. The train was late again, and Anna stood on the platform wondering",
    ]

    /// Common words that are one token each in most vocabularies, for prompts of about N tokens.
    static let words = """
        the of and to in is was for on that with as by at from his her they were this which are have had one all \
        their there been has when who will more no if out so said what up its about into than them can only other \
        new some could time these two may then do first any my now such like our over man me even most made after \
        also did many before must through back years where much your way well down should because each just those \
        people how too little state good very make world still own see men work long get here between both life \
        being under never day same another know while last might us great old year off come since against go came \
        right used take three
        """.split(separator: " ").map(String.init)

    public init(prompts: [String], seed: UInt64) {
        self.prompts = prompts
        self.seed = seed
    }

    /// The prompts a run's options ask for: a file's, else synthesised to `tokens`, else the built-in set.
    static func choose(file: String?, tokens: Int?, seed: UInt64) throws(BenchFailure) -> PromptSource {
        if let file { return try PromptSource.file(file, seed: seed) }
        if let tokens { return PromptSource.synthetic(tokens: tokens, seed: seed) }
        return PromptSource.builtIn(seed: seed)
    }

    /// Lines of a file: plain text (one prompt a line) or JSON lines with a `prompt` member.
    public static func file(_ path: String, seed: UInt64) throws(BenchFailure) -> PromptSource {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchFailure("cannot read the prompts file \(path)")
        }
        var prompts: [String] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            if text.hasPrefix("{") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                    let prompt = object["prompt"] as? String, !prompt.isEmpty
                else { throw BenchFailure("\(path):\(n + 1): a JSON line needs a non-empty string \"prompt\"") }
                prompts.append(prompt)
            } else {
                prompts.append(text)
            }
        }
        guard !prompts.isEmpty else { throw BenchFailure("the prompts file \(path) holds no prompt") }
        return PromptSource(prompts: prompts, seed: seed)
    }

    /// Sixteen prompts of about `tokens` tokens each: an instruction, then filler words.
    public static func synthetic(tokens: Int, seed: UInt64) -> PromptSource {
        var rng = SeededGenerator(seed: seed ^ 0x5EED)
        let prompts = (0..<16).map { _ in
            let lead = "Continue this text for as long as you can:"
            let fill = max(0, tokens - 10)
            return lead + " "
                + (0..<fill).map { _ in words[Int(rng.next() % UInt64(words.count))] }
                .joined(separator: " ")
        }
        return PromptSource(prompts: prompts, seed: seed)
    }

    public static func builtIn(seed: UInt64) -> PromptSource { PromptSource(prompts: builtIn, seed: seed) }

    /// The prompt of request `index` of a phase: a seeded choice, the same on every run with the same seed.
    public func prompt(_ index: Int, phase: String) -> String {
        var rng = SeededGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9 &+ UInt64(phase.utf8.count))
        return prompts[Int(rng.next() % UInt64(prompts.count))]
    }
}
