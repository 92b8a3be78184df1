import Foundation
import PackagePlugin

/// Compiles `Shaders/*.comp` to SPIR-V with glslc at build time and wraps each module in a
/// generated Swift file (`SPIRVModules.<name>`), so binaries carry their shaders with them.
@main
struct ShaderCompiler: BuildToolPlugin {
    struct MissingTool: Error, CustomStringConvertible {
        var description: String { "glslc is needed to compile Shaders/*.comp: install it (apt-get install glslc, or run scripts/install-deps.sh)" }
    }

    /// glslc from $GLSLC, then $PATH.
    static func findGLSLC() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["GLSLC"], FileManager.default.isExecutableFile(atPath: explicit) {
            return URL(fileURLWithPath: explicit)
        }
        let dirs = (env["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for dir in dirs where FileManager.default.isExecutableFile(atPath: dir + "/glslc") {
            return URL(fileURLWithPath: dir + "/glslc")
        }
        throw MissingTool()
    }

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let shaders = context.package.directoryURL.appending(path: "Shaders")
        let files = try FileManager.default.contentsOfDirectory(at: shaders, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let includes = files.filter { $0.pathExtension == "glsl" }
        let glslc = try Self.findGLSLC()
        return files.filter { $0.pathExtension == "comp" }.map { shader in
            let name = shader.deletingPathExtension().lastPathComponent
            let output = context.pluginWorkDirectoryURL.appending(path: "SPIRV_\(name).swift")
            let numbers = context.pluginWorkDirectoryURL.appending(path: "\(name).spv.txt")
            // glslc's numeric output is a comma-separated list of 32-bit words: embed it in a
            // string literal (fast to compile) that SPIRVModules parses once at run time.
            let script = #"""
                set -e
                "$1" --target-env=vulkan1.2 -O -I "$2" -mfmt=num -o "$3" "$4"
                { printf 'extension SPIRVModules {\n    public static let %s = SPIRVModule(name: "%s", words: """\n' "$5" "$5"
                  cat "$3"
                  printf '\n""")\n}\n'; } > "$6"
                """#
            return .buildCommand(
                displayName: "Compiling shader \(name).comp",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", glslc.path, shaders.path, numbers.path, shader.path, name, output.path],
                inputFiles: [shader] + includes,
                outputFiles: [output]
            )
        }
    }
}
