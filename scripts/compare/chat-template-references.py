#!/usr/bin/env python3
"""What llama-server 0c1e57098 renders on /apply-template for every chat template llama.cpp ships (the
sdist's models/templates/*.jinja and the templates in its tests/test-chat-template.cpp), for the templates
of the models at hand, and for one written here after Gemma 3's published layout; written once and
committed as Tests/TokenizerTests/Data/llamacpp-chat-templates.json. ChatTemplateReferenceTests renders
the same conversations: each template must be rendered byte for byte or refused, and those of the
families vkserve serves (REQUIRED) must be rendered.

    scripts/compare/chat-template-references.py [--out FILE]

Needs the release `vkserve` (swift build -c release), the test data (scripts/fetch-test-data.sh), the real
models (scripts/fetch-models.sh) and the peer's llama-server (scripts/compare/build-peer.sh --isa avx2).
llama-server runs with its defaults (Jinja on, assistant prefill on, thinking enabled), one template at a
time via --chat-template-file, over a model whose vocabulary gives the template its bos_token and
eos_token. Sources are named as the test finds them: `file:NAME` (test-data/chat-templates/NAME),
`test-cpp:NAME`, `model:PATH` (the GGUF's own template) or `inline:NAME` (the text is in the output).

Llama 3.1+ templates write today's date; the date llama-server used is recorded as `date_string`.
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VOCAB = "test-data/ggml-vocab/ggml-vocab-{}.gguf"
TEMPLATES = os.path.join(ROOT, "test-data/chat-templates")

# model key -> (how to get the model, vocabulary file the Swift test loads)
MODELS = {
    "llama-bpe": ("synth:llama", VOCAB.format("llama-bpe")),
    "llama-spm": ("synth:llama", VOCAB.format("llama-spm")),
    "qwen2": ("synth:qwen2", VOCAB.format("qwen2")),
    "phi-3": ("synth:phi3", VOCAB.format("phi-3")),
    "smollm2": ("real", "models/SmolLM2-135M-Instruct.Q4_1.gguf"),
    "gemma-3": ("real", "models/gemma-3-270m-q4_k_m.gguf"),
}

# Sources vkserve must recognise (the families issue 15 names); every other template is either
# rendered exactly like llama-server or refused, and the tests check that too.
REQUIRED = [
    "model:models/SmolLM2-135M-Instruct.Q4_1.gguf", "model:" + VOCAB.format("qwen2"),
    "file:Qwen-Qwen2.5-7B-Instruct.jinja", "file:Qwen-Qwen3-0.6B.jinja", "test-cpp:teknium/OpenHermes-2.5-Mistral-7B",
    "test-cpp:Llama-3", "file:meta-llama-Llama-3.1-8B-Instruct.jinja", "file:meta-llama-Llama-3.2-3B-Instruct.jinja",
    "file:meta-llama-Llama-3.3-70B-Instruct.jinja",
    "test-cpp:mistralai/Mistral-7B-Instruct-v0.2 (NOTE: Old pre-v1 without a system prompt)",
    "test-cpp:mistralai/Mistral-7B-Instruct-v0.2 (mistralai 'v1' template with a system prompt)",
    "test-cpp:Mistral-Large-Instruct-2407 (mistralai 'v3' template; modified to have system prompt at start)",
    "test-cpp:Mistral-Nemo-Instruct-2407 (mistralai 'v3-tekken' template; modified to have system prompt at start)",
    "file:mistralai-Mistral-Nemo-Instruct-2407.jinja", "test-cpp:mistralai/Mistral-Large-Instruct-2411 (mistralai 'v7' template)",
    "model:" + VOCAB.format("phi-3"), "file:microsoft-Phi-3.5-mini-instruct.jinja", "test-cpp:Phi-3-mini",
    "test-cpp:Phi-3-small", "test-cpp:Phi-3-medium",
    "inline:gemma-3", "file:google-gemma-2-2b-it.jinja", "test-cpp:google/gemma-7b-it",
]

# Gemma 3's layout, written for this test after the template Google publishes with Gemma 3 (the sdist
# ships none, and the Gemma 3 GGUF in models/ carries none).
INLINE = {"gemma-3": (
    "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif -%}"
    "{%- if message['role'] == 'assistant' -%}{%- set role = 'model' -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\\n' }}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}")}


def all_sources():
    sources = ["model:models/SmolLM2-135M-Instruct.Q4_1.gguf", "model:" + VOCAB.format("qwen2"),
               "model:" + VOCAB.format("phi-3")]
    sources += ["inline:" + name for name in INLINE]
    sources += ["file:" + f for f in sorted(os.listdir(TEMPLATES)) if f.endswith(".jinja")]
    sources += ["test-cpp:" + name for name in test_cpp_templates()]
    return sources


def model_for(source, text):
    """The model whose vocabulary gives the template its special tokens."""
    if source.startswith("model:"):
        return {"models/SmolLM2-135M-Instruct.Q4_1.gguf": "smollm2", VOCAB.format("qwen2"): "qwen2",
                VOCAB.format("phi-3"): "phi-3"}[source.split(":", 1)[1]]
    if "<|start_header_id|>" in text:
        return "llama-bpe"
    if "[INST]" in text:
        return "llama-spm"
    if "<start_of_turn>" in text:
        return "gemma-3"
    if "<|end|>" in text and "<|user|>" in text:
        return "phi-3"
    return "qwen2"


S, U, A = "system", "user", "assistant"
CONVERSATIONS = [
    # llama.cpp's own test conversation (tests/test-chat-template.cpp)
    ([(S, "You are a helpful assistant"), (U, "Hello"), (A, "Hi there"), (U, "Who are you"),
      (A, "   I am an assistant   "), (U, "Another question")], True),
    ([(U, "What is 2+2?")], True),
    ([(U, "What is 2+2?")], False),
    ([(S, "You are terse.\n"), (U, "  Two lines:\nfirst\n\nsecond  \n")], True),
    # assistant prefill: the reply continues the last assistant message
    ([(S, "Answer in French."), (U, "Say hello."), (A, "Bonjour")], True),
    ([(U, "Hi"), (A, "Hello! How can I help?"), (U, "Count to three."), (A, "One,")], True),
    # not alternating: most templates refuse
    ([(U, "one"), (U, "two")], True),
    # llama.cpp's trim removes ASCII whitespace only
    ([(U, "\u3000wide\u00a0 \t")], True),
    # Qwen3 keeps only the answer of an earlier turn that carries its reasoning
    ([(U, "2+2?"), (A, "<think>\nadd them\n</think>\n\n4"), (U, "3+3?")], True),
]


def template_text(source):
    kind, name = source.split(":", 1)
    if kind == "file":
        return open(os.path.join(TEMPLATES, name), encoding="utf-8").read()
    if kind == "test-cpp":
        return test_cpp_templates()[name]
    if kind == "inline":
        return INLINE[name]
    return None  # the model's own


def test_cpp_templates():
    """name -> template string, from the C string literals in tests/test-chat-template.cpp."""
    text = open(os.path.join(TEMPLATES, "test-chat-template.cpp"), encoding="utf-8").read().splitlines()
    out = {}
    for i, line in enumerate(text):
        if "/* .name= */" in line and i + 1 < len(text) and "/* .template_str= */" in text[i + 1]:
            name = c_literal(line.split("/* .name= */", 1)[1])
            out[name] = c_literal(text[i + 1].split("/* .template_str= */", 1)[1])
    return out


def c_literal(s):
    s = s.strip()
    if s.startswith("U8C("):
        s = s[4:]
    assert s.startswith('"'), s
    out, i = [], 1
    while s[i] != '"':
        if s[i] == "\\":
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'"}[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def serve(server, model, template_file):
    port = free_port()
    args = [server, "-m", model, "--port", str(port), "-c", "512", "-t", "1", "--no-warmup", "--no-webui"]
    if template_file:
        args += ["--chat-template-file", template_file]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            return None, proc.stderr.read()[-500:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc, port
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    proc.kill()
    sys.exit("llama-server did not become healthy in 60 s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/TokenizerTests/Data/llamacpp-chat-templates.json"))
    args = ap.parse_args()
    vkserve = os.path.join(ROOT, ".build/release/vkserve")
    peer = subprocess.run([os.path.join(HERE, "build-peer.sh"), "--isa", "avx2"], capture_output=True, text=True,
                          check=True).stdout.strip().splitlines()[-1]
    server = os.path.join(peer, "llama-server")
    out = {"generator": "llama.cpp llama-server 0c1e57098, POST /apply-template, default options (Jinja, prefill)",
           "made_by": "scripts/compare/chat-template-references.py", "templates": []}
    with tempfile.TemporaryDirectory() as tmp:
        models = {}
        for key, (how, vocab) in MODELS.items():
            if how == "real":
                models[key] = os.path.join(ROOT, vocab)
            else:
                path = os.path.join(tmp, f"{key}.gguf")
                subprocess.run([vkserve, "synth-model", "--arch", how.split(":")[1], "--vocab",
                                os.path.join(ROOT, vocab), path], check=True, stdout=subprocess.DEVNULL)
                models[key] = path
        dates = set()
        for source in all_sources():
            text = template_text(source)
            model = model_for(source, text or "")
            template_file = None
            if text is not None:
                template_file = os.path.join(tmp, "template.jinja")
                with open(template_file, "w", encoding="utf-8") as f:
                    f.write(text)
            proc, port = serve(server, models[model], template_file)
            if proc is None:  # llama-server refuses the template itself
                print(f"chat-template-references: {source}: llama-server refused it", file=sys.stderr)
                out["templates"].append({"source": source, "vocab": MODELS[model][1], "required": source in REQUIRED,
                                         "server_refused": True, "cases": []})
                continue
            try:
                cases = []
                for messages, gen in CONVERSATIONS:
                    dates.add(time.strftime("%d %b %Y"))
                    status, body = post(port, "/apply-template", {
                        "messages": [{"role": r, "content": c} for r, c in messages], "add_generation_prompt": gen})
                    dates.add(time.strftime("%d %b %Y"))
                    case = {"messages": [{"role": r, "content": c} for r, c in messages], "add_generation_prompt": gen}
                    if status == 200:
                        case["prompt"] = body["prompt"]
                    else:
                        case["error"] = body.get("error", {}).get("message", str(body))
                    cases.append(case)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            entry = {"source": source, "vocab": MODELS[model][1], "required": source in REQUIRED, "cases": cases}
            if source.startswith("inline:"):
                entry["template"] = text
            out["templates"].append(entry)
            ok = sum(1 for c in cases if "prompt" in c)
            print(f"chat-template-references: {source}: {ok}/{len(cases)} rendered", file=sys.stderr)
        if len(dates) != 1:
            sys.exit(f"the date changed during the run ({sorted(dates)}); run it again")
        out["date_string"] = dates.pop()
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"chat-template-references: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
