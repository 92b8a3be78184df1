#!/usr/bin/env python3
"""Reference perplexities from llama.cpp 0c1e57098 for small synthetic models of each architecture
the engine runs (vkserve synth-model --arch A --vocab FILE), written once and committed as
Tests/EngineTests/Data/llamacpp-arch-references.json; the engine and Vulkan tests compare to them.

    scripts/compare/arch-references.py [--out FILE]

Needs the release `vkserve` (swift build -c release), the ggml-vocab files (scripts/fetch-test-data.sh)
and the peer's llama-perplexity (scripts/compare/build-peer.sh --isa avx2 builds it). Each model is
evaluated on /usr/share/common-licenses/Apache-2.0 with context 128 over the first 2 chunks, as
llama-perplexity does by default (BOS per the vocabulary, second half of each chunk scored).
"""
import argparse, hashlib, json, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# variant -> the file whose tokenizer it takes (the family's real vocabulary), from the repository root
VOCAB = "test-data/ggml-vocab/ggml-vocab-{}.gguf"
MODELS = {"llama": VOCAB.format("llama-bpe"), "llama3.1": VOCAB.format("llama-bpe"), "qwen2": VOCAB.format("qwen2"),
          "qwen3": VOCAB.format("qwen2"), "phi3": VOCAB.format("phi-3"), "gemma2": "models/gemma-3-270m-q4_k_m.gguf"}
TEXT = "/usr/share/common-licenses/Apache-2.0"
CONTEXT, CHUNKS = 128, 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/EngineTests/Data/llamacpp-arch-references.json"))
    args = ap.parse_args()
    vkserve = os.path.join(ROOT, ".build/release/vkserve")
    peer = subprocess.run([os.path.join(HERE, "build-peer.sh"), "--isa", "avx2"], capture_output=True, text=True,
                          check=True).stdout.strip().splitlines()[-1]
    out = {"generator": "llama.cpp llama-perplexity 0c1e57098 (AVX2 build), CPU, 2 threads", "text": TEXT,
           "context": CONTEXT, "chunks": CHUNKS, "made_by": "scripts/compare/arch-references.py", "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for variant, vocab in MODELS.items():
            path = os.path.join(tmp, f"{variant}.gguf")
            subprocess.run([vkserve, "synth-model", "--arch", variant, "--vocab", os.path.join(ROOT, vocab), path],
                           check=True)
            sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
            r = subprocess.run([os.path.join(peer, "llama-perplexity"), "-m", path, "-f", TEXT, "-c", str(CONTEXT),
                                "--chunks", str(CHUNKS), "-t", "2", "-b", str(CONTEXT)], capture_output=True, text=True)
            m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", r.stdout + r.stderr)
            if r.returncode != 0 or not m:
                sys.exit(f"llama-perplexity failed on {variant}: {(r.stdout + r.stderr)[-3000:]}")
            out["models"][variant] = {"vocab": vocab, "sha256": sha,
                                      "perplexity": float(m.group(1)), "stderr": float(m.group(2))}
            print(f"arch-references: {variant}: PPL {m.group(1)} +/- {m.group(2)}", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"arch-references: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
