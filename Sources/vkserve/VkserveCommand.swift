import ArgumentParser

@main
struct VkserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vkserve",
        abstract: "Run and inspect GGUF language models with vkserve's engine.",
        subcommands: [GenerateCommand.self, TokenizeCommand.self, InspectCommand.self, PerplexityCommand.self, BenchCommand.self, DevicesCommand.self, SynthModelCommand.self]
    )
}
