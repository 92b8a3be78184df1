#!/usr/bin/env python3
"""Reference token ids from llama.cpp 0c1e57098 for texts that stress the pre-tokenizers' edges
(combining marks, CJK beside other scripts, non-ASCII spaces, trailing whitespace, backticks, line
feeds, byte fallback), for every vocabulary of llama.cpp's ggml-vocab test set. llama.cpp's own .inp
cases leave these mostly untouched.

    scripts/compare/tokenizer-cases.py [--vocab-dir test-data/ggml-vocab] [--out FILE]

Runs llama-tokenize (built by scripts/compare/build-peer.sh --isa avx2) the way test-tokenizer-0
tokenizes: no BOS, special tokens not parsed. Writes Tests/TokenizerTests/Data/llamacpp-extra-cases.json,
which the tokenizer tests read; rerun it only when the texts below change.
"""
import argparse, json, os, random, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VOCABS = ["command-r", "deepseek-coder", "deepseek-llm", "falcon", "gemma-4", "gpt-2", "llama-bpe", "llama-spm",
          "mpt", "phi-3", "qwen2", "qwen35", "refact", "starcoder"]

FIXED = [
    "école naïve: e\u0301cole nai\u0308ve x\u0308\u0301y \u0300lead",
    "नमस्ते दुनिया, हिन्दी",
    "สวัสดีครับ ภาษาไทย",
    "مَرْحَبًا بِالعَالَم",
    "中文abc中文123 한국어テスト 日本語の文",
    "a\u3000b\u00a0c\u2009d\u2028e\u0085f",
    "trailing   ",
    "trailing \t\n  ",
    "   \n\n   \n",
    "`code` $x+y=z^2 | ~a <b> [c] {d} @e #f %g &h *i _j",
    "Ünïcödé ÀÖØö µ ΩΣω Привет мир Ꭰꭰ Ⴀ",
    "123456789 ١٢٣٤ ½ ¼ 2nd 3.14159 1,000,000",
    "line1\r\nline2\n\n\nline3\r\rline4",
    "🦙🦙 llama's I'M you'LL THEY'RE we'VE",
    "  leading spaces\t\ttabs\t \t",
    "ｆｕｌｌｗｉｄｔｈ！？（ａｂｃ）「引用」。、",
    "‘quoted’ “double” — dash … ellipsis ‹›«»",
    "def f(x):\n    return x**2  # comment\n\n\tpass\n",
    "𝐀𝐁𝐂 𐐀𐐨 Ⓐⓐ ﬁﬂ ℂℍℕ K Å",
    "\n",
    "\n\n",
    "a\n\nb\n\n\nc",
    " ",
    "  \n  ",
    "\u200b\u200d\ufeffzero width",
    "\x00\x01\x7f control \x1b[0m",
    "tab\u000bvtab\u000cff",
]

# Code points grouped by what the rules care about; random strings mix them.
POOL = (list("abcXYZ ") + list("  \t\n\r") + list("0123456789") + list("'`$+<=>^~|!?.,;:-_()[]{}\"#%&*/\\@")
        + ["\u0301", "\u0308", "\u093e", "\u094d", "\u0e31", "\u064e"]  # combining marks
        + list("éÀöΩжԱ") + list("中文한국テ") + ["\u3000", "\u00a0", "\u2009", "\u0085"]
        + list("١٢½") + list("！（）。、") + ["‘", "’", "…", "—"] + ["🦙", "😀", "𝐀", "𐐀"])


def random_texts(n, seed=20261207):
    rng = random.Random(seed)
    return ["".join(rng.choice(POOL) for _ in range(rng.randint(8, 48))) for _ in range(n)]


def tokenize(binary, vocab, text):
    r = subprocess.run([binary, "-m", vocab, "--stdin", "--ids", "--no-bos", "--no-escape", "--no-parse-special",
                        "--log-disable"], input=text.encode("utf-8"), capture_output=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"llama-tokenize failed on {vocab}: {r.stderr.decode(errors='replace')[-2000:]}")
    line = r.stdout.decode().strip().splitlines()[-1]
    return json.loads(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab-dir", default=os.path.join(ROOT, "test-data/ggml-vocab"))
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/TokenizerTests/Data/llamacpp-extra-cases.json"))
    args = ap.parse_args()
    peer = subprocess.run([os.path.join(HERE, "build-peer.sh"), "--isa", "avx2"], capture_output=True, text=True,
                          check=True).stdout.strip().splitlines()[-1]
    binary = os.path.join(peer, "llama-tokenize")
    texts = FIXED + random_texts(40)
    ids = {}
    for v in VOCABS:
        path = os.path.join(args.vocab_dir, f"ggml-vocab-{v}.gguf")
        ids[v] = [tokenize(binary, path, t) for t in texts]
        print(f"tokenizer-cases: {v}: {len(texts)} texts", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"llama_cpp": "0c1e57098", "made_by": "scripts/compare/tokenizer-cases.py",
                   "texts": texts, "ids": ids}, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"tokenizer-cases: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
