import GGUF
let f = try GGUFFile(path: CommandLine.arguments[1])
print(f.version, f.keys.count, f.tensors.count, f.dataOffset, f.alignment)
for t in f.tensors.prefix(3) { print(t) }
print(try f.array("tokenizer.ggml.tokens").count)
