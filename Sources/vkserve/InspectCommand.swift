import ArgumentParser
import GGUF

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print a GGUF file's metadata and tensor table.")

    @Argument(help: "GGUF file.")
    var file: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let f = try GGUFFile(path: file)
        print(json ? try GGUFInspector.json(f) : GGUFInspector.render(f))
    }
}
