#!/usr/bin/env python3
"""HTTP fuzzing of a live vkserved (issue requirement: at least 10,000 requests built by mutating valid
requests — field types and values, truncation, random bytes, huge numbers, deep nesting — with no response
outside 200/4xx/503/504, no crash, and a normal completion succeeding afterwards).

Every case is derived from (seed, case number) alone, so a failure is reproduced with
`fuzz.py --base-url URL --seed S --case N` whatever the thread scheduling was. Cases:

  valid       valid /v1/completions and /v1/chat/completions bodies (max_tokens <= 4), streamed or not
  field       a valid body with 1-3 structural mutations: wrong JSON types, out-of-range and huge numbers
              (1e308, -1, 2**64, 1e400, "NaN"), deleted or unknown members, duplicate keys, bad messages,
              stop lists, token-id prompts out of the vocabulary, stream/stream_options toggles
  bytes       a valid or mutated body serialised, then truncated, bit-flipped, spliced with random bytes or
              invalid UTF-8, re-encoded (UTF-16), padded, or replaced by deep nesting / huge strings
  http        well-formed HTTP with the wrong method, path, Content-Type, chunked bodies, Expect, odd headers
  raw         malformed HTTP over a plain socket: bad request lines, huge headers, a header without a colon,
              bad chunk sizes, Content-Length lies (short, long, negative, duplicated, with chunked), pipelining

Failures: a status outside {200, 400-499, 503, 504}; a connection closed or reset without an answer to
well-formed HTTP (one retry on a fresh connection when a kept-alive one was closed under us); no answer
within --request-timeout to well-formed HTTP; a 200 whose body is not valid JSON (or SSE ending in
[DONE] for text/event-stream); vkserved exiting; a worker exiting during the run. Each failure is written
(request truncated) to --log. Afterwards vkserved must be alive, /health 200, and a normal completion
must return 200 with text. Exit status 0 when nothing failed.

Standard library only. Contacts only the --base-url given, which must be on 127.0.0.1.
"""
import argparse
import collections
import http.client
import json
import random
import re
import socket
import sys
import threading
import time
import urllib.parse

ALLOWED = lambda status: status == 200 or 400 <= status <= 499 or status in (503, 504)  # noqa: E731

# ------------------------------------------------------------------------------------------------------
# JSON that json.dumps cannot write: raw literals (1e400, NaN, "\ud800"), objects with duplicate keys.


class Raw:
    """A literal written as is into the JSON text."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"Raw({self.text[:40]!r})"


class Pairs:
    """A JSON object as a list of (key, value) pairs: duplicate keys allowed."""

    def __init__(self, pairs):
        self.pairs = pairs


def dump(value, ascii_only=True):
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(dump(k, ascii_only) + ":" + dump(v, ascii_only) for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(dump(str(k), ascii_only) + ":" + dump(v, ascii_only) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def encode(value, rng=None):
    ascii_only = rng.random() < 0.7 if rng else True
    return dump(value, ascii_only).encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------------------------------------------
# Valid requests.

PROMPTS = ["The capital of France is", "Once upon a time", "1, 2, 3,", "Hello", "Q: What is 2+2?\nA:",
           "Ünïcödé ☃ 日本語 🙂", " ", "a\nb\tc\"d\\e", "<|im_start|>user\nhi<|im_end|>"]
MODEL = "SmolLM2-135M-Instruct.Q4_1"
VOCAB = 49152  # SmolLM2's vocabulary; valid token-id prompts stay below it


def valid_sampling(rng, d):
    if rng.random() < 0.5:
        d["temperature"] = rng.choice([0, 0.0, 0.7, 1, 2, 1.5])
    if rng.random() < 0.2:
        d["top_p"] = rng.choice([1, 0.9, 0.01])
    if rng.random() < 0.2:
        d["top_k"] = rng.choice([0, 1, 40])
    if rng.random() < 0.1:
        d["min_p"] = rng.choice([0, 0.05, 1])
    if rng.random() < 0.1:
        d["repeat_penalty"] = rng.choice([1, 1.1, 0.5])
    if rng.random() < 0.1:
        d["repeat_last_n"] = rng.choice([-1, 0, 64])
    if rng.random() < 0.2:
        d["seed"] = rng.choice([0, 42, -1, 2**63 - 1, 2**64 - 1])
    if rng.random() < 0.2:
        d["stop"] = rng.choice(["\n", ["\n", "."], [], "", ["a", "b", "c", "d"]])
    if rng.random() < 0.1:
        d["ignore_eos"] = rng.choice([True, False])
    if rng.random() < 0.05:
        d["n"] = 1
    if rng.random() < 0.05:
        d["logprobs"] = False
    if rng.random() < 0.05:
        d["frequency_penalty"] = 0
    if rng.random() < 0.05:
        d["presence_penalty"] = 0
    if rng.random() < 0.05:
        d["logit_bias"] = {}
    if rng.random() < 0.05:
        d["user"] = "fuzz"
    if rng.random() < 0.3:
        d["stream"] = True
        if rng.random() < 0.5:
            d["stream_options"] = {"include_usage": rng.choice([True, False])}
    elif rng.random() < 0.2:
        d["stream"] = False


def valid_completion(rng):
    prompt = rng.choice(PROMPTS)
    r = rng.random()
    if r < 0.1:
        prompt = [prompt]
    elif r < 0.2:
        prompt = [rng.randrange(VOCAB) for _ in range(rng.randint(1, 8))]
    elif r < 0.25:
        prompt = [[rng.randrange(VOCAB) for _ in range(rng.randint(1, 8))]]
    d = {"model": MODEL, "prompt": prompt, "max_tokens": rng.randint(1, 4)}
    if rng.random() < 0.1:
        del d["model"]
    if rng.random() < 0.05:
        d["echo"] = False
    if rng.random() < 0.05:
        d["suffix"] = ""
    if rng.random() < 0.05:
        d["best_of"] = 1
    valid_sampling(rng, d)
    return "/v1/completions", d


def valid_message(rng, role=None):
    role = role or rng.choice(["system", "developer", "user", "assistant"])
    content = rng.choice(PROMPTS)
    if rng.random() < 0.2:
        content = [{"type": "text", "text": content}, {"type": "text", "text": "!"}][:rng.randint(0, 2)]
    m = {"role": role, "content": content}
    if rng.random() < 0.05:
        m["name"] = "x"
    if role == "assistant" and rng.random() < 0.1:
        m["tool_calls"] = []
    return m


def valid_chat(rng):
    msgs = [valid_message(rng) for _ in range(rng.randint(0, 3))] + [valid_message(rng, "user")]
    d = {"model": MODEL, "messages": msgs}
    key = rng.choice(["max_tokens", "max_completion_tokens"])
    d[key] = rng.randint(1, 4)
    if rng.random() < 0.05:
        d["response_format"] = {"type": "text"}
    if rng.random() < 0.05:
        d["tools"] = []
    if rng.random() < 0.05:
        d["tool_choice"] = rng.choice(["none", "auto"])
    if rng.random() < 0.05:
        d["top_logprobs"] = 0
    valid_sampling(rng, d)
    return "/v1/chat/completions", d


def valid_request(rng):
    return valid_completion(rng) if rng.random() < 0.5 else valid_chat(rng)


# ------------------------------------------------------------------------------------------------------
# Structural mutations.

FIELDS = ["model", "prompt", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
          "min_p", "repeat_penalty", "repeat_last_n", "seed", "stop", "stream", "stream_options", "n", "best_of",
          "echo", "suffix", "logprobs", "top_logprobs", "logit_bias", "frequency_penalty", "presence_penalty",
          "user", "ignore_eos", "tools", "functions", "tool_choice", "function_call", "response_format"]
NUMERIC = ["max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "min_p", "repeat_penalty",
           "repeat_last_n", "seed", "n", "best_of", "logprobs", "top_logprobs", "frequency_penalty",
           "presence_penalty"]

HUGE_NUMBERS = [Raw("1e308"), Raw("-1e308"), Raw("1e309"), Raw("1e400"), Raw("-1e400"), Raw("1E+999999999"),
                Raw("1e-400"), 2**64, 2**64 - 1, 2**63, 2**63 - 1, -(2**63), -(2**63) - 1, 2**31, 2**32, -1, 0,
                Raw("-0"), Raw("-0.0"), 1.5, 0.5, Raw("4.0"), Raw("4e0"), Raw("0.4e1"), Raw("4.000000000000001"),
                Raw("1" * 400), Raw("-" + "9" * 400), Raw("0." + "0" * 400 + "1"), Raw("1e-99999999999"),
                Raw("123456789012345678901234567890.5e-10"), 5e-324, 1.7976931348623157e308, 4096, 4097, 5,
                "NaN", "Infinity", "-Infinity", "1e308", "4", "0x10", Raw("NaN"), Raw("Infinity"), Raw("-Infinity"),
                Raw("+1"), Raw(".5"), Raw("01"), Raw("1."), Raw("1e"), Raw("0x10"), Raw("1_000"), Raw("--1")]


def weird_value(rng, depth=0):
    r = rng.random()
    if r < 0.35:
        return rng.choice(HUGE_NUMBERS)
    if r < 0.45:
        return rng.choice([None, True, False, Raw("true"), Raw("null"), Raw("nul"), Raw("True"), Raw("undefined")])
    if r < 0.65:
        return rng.choice(["", "x", "null", "true", "\u0000", "\ud800", "\udfff\ud800", "☃" * 50, "a" * 5000,
                           "\n\r\t", "\"", "\\", "%s%n", "../../etc/passwd", "\u202e", "\ufeff", "💩" * 100,
                           Raw('"\\x41"'), Raw('"\\u00"'), Raw('"\\uD800\\uDC00"'), Raw('"\\ud83d"'),
                           Raw('"a\x00b"'), Raw('"a\x1fb"'), Raw('"a\nb"'), Raw("'single'"), Raw('"unterminated')])
    if r < 0.8 and depth < 3:
        return [weird_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if r < 0.9 and depth < 3:
        return {rng.choice(FIELDS + ["", "x", "\u0000"]): weird_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice([[], {}, [[]], [{}], {"": None}, [None], [1, "a", None, True], list(range(100))])


def mutate_messages(rng, d):
    msgs = d.get("messages")
    if not isinstance(msgs, list) or not msgs:
        d["messages"] = weird_value(rng)
        return
    i = rng.randrange(len(msgs))
    m = msgs[i]
    op = rng.randrange(12)
    if op == 0 or not isinstance(m, dict):
        msgs[i] = weird_value(rng)
    elif op == 1:
        m["role"] = rng.choice(["tool", "function", "", "USER", "root", None, 1, ["user"], "user\u0000"])
    elif op == 2:
        m["content"] = weird_value(rng)
    elif op == 3:
        m.pop(rng.choice(["role", "content"]), None)
    elif op == 4:
        m["content"] = [rng.choice([{"type": "image_url", "image_url": {"url": "http://127.0.0.1/x.png"}},
                                    {"type": "text"}, {"text": "hi"}, {"type": "text", "text": 5},
                                    {"type": 5, "text": "x"}, "text", None, {"type": "input_audio"}])]
    elif op == 5:
        m["tool_calls"] = rng.choice([[{"id": "1", "type": "function"}], "x", {}, [None]])
    elif op == 6:
        m["function_call"] = rng.choice([{"name": "f"}, "x", None])
    elif op == 7:
        d["messages"] = []
    elif op == 8:
        d["messages"] = msgs * rng.choice([50, 500])
    elif op == 9:
        m["content"] = [{"type": "text", "text": "a"}] * rng.choice([100, 2000])
    elif op == 10:
        d["messages"] = {"role": "user", "content": "hi"}
    else:
        m[rng.choice(["name", "refusal", "audio", "weird"])] = weird_value(rng)


def mutate_prompt(rng, d):
    op = rng.randrange(10)
    if op == 0:
        d["prompt"] = ""
    elif op == 1:
        d["prompt"] = [rng.randrange(VOCAB, 2**31) for _ in range(rng.randint(1, 4))]  # out of the vocabulary
    elif op == 2:
        d["prompt"] = [rng.choice([-1, 2**31, 2**31 - 1, 2**63, 1.5, Raw("1e3"), "1", None, VOCAB, VOCAB - 1])]
    elif op == 3:
        d["prompt"] = [rng.choice(PROMPTS) for _ in range(rng.randint(2, 5))]  # batch
    elif op == 4:
        d["prompt"] = [[1, 2], [3]]
    elif op == 5:
        d["prompt"] = [[]]
    elif op == 6:
        d["prompt"] = []
    elif op == 7:
        d["prompt"] = [rng.randrange(VOCAB) for _ in range(rng.choice([3000, 5000]))]  # over the context
    elif op == 8:
        d["prompt"] = [1, "a", [2]]
    else:
        d["prompt"] = weird_value(rng)


def mutate_stop(rng, d):
    d["stop"] = rng.choice([
        ["a"] * rng.randint(5, 100), [1, 2], [None], [["a"]], "x" * 100_000, ["x" * 50_000] * 4, [""] * 4,
        ["\u0000"], {"a": 1}, True, ["\ud800"], [Raw('"\\u00zz"')], ["", "", "", "", ""]])


def mutate_structure(rng, path, d):
    """One structural mutation of the dict d (in place); returns d or a replacement top-level value."""
    op = rng.randrange(16)
    if op in (0, 1, 2):  # a known field gets a wrong type or a weird value
        d[rng.choice(FIELDS)] = weird_value(rng)
    elif op in (3, 4):  # numbers out of range
        d[rng.choice(NUMERIC)] = rng.choice(HUGE_NUMBERS)
    elif op == 5:  # a member deleted
        if d:
            del d[rng.choice(list(d))]
    elif op == 6:  # unknown members
        for _ in range(rng.choice([1, 3, 1000])):
            d[f"unknown_{rng.randrange(10**6)}"] = weird_value(rng)
    elif op == 7:
        if path.endswith("chat/completions"):
            mutate_messages(rng, d)
        else:
            mutate_prompt(rng, d)
    elif op == 8:
        mutate_stop(rng, d)
    elif op == 9:  # stream toggles and stream_options
        d["stream"] = rng.choice([True, False, None, "true", 1, 0])
        d["stream_options"] = rng.choice([{"include_usage": True}, {"include_usage": "yes"}, {}, None, [], "x",
                                          {"include_usage": True, "x": 1}, {"include_usage": None}])
    elif op == 10:  # OpenAI features the server lacks
        k, v = rng.choice([("n", 2), ("best_of", 3), ("echo", True), ("suffix", "x"), ("logprobs", True),
                           ("logprobs", 5), ("top_logprobs", 3), ("logit_bias", {"1": 100}),
                           ("frequency_penalty", 1), ("presence_penalty", -2.5),
                           ("tools", [{"type": "function", "function": {"name": "f"}}]), ("tool_choice", "required"),
                           ("tool_choice", {"type": "function"}), ("function_call", 5),
                           ("response_format", {"type": "json_object"}), ("response_format", {}),
                           ("response_format", "text"), ("functions", [{}]), ("model", "gpt-4"), ("model", ""),
                           ("model", "SmolLM2-135M-Instruct.Q4_1 "), ("max_tokens", 5000)])
        d[k] = v
    elif op == 11:  # the other endpoint's body
        if "messages" in d:
            d["prompt"] = "hello"
            if rng.random() < 0.5:
                d.pop("messages", None)
        else:
            d["messages"] = [{"role": "user", "content": "hi"}]
            if rng.random() < 0.5:
                d.pop("prompt", None)
    elif op == 12:  # duplicate keys
        items = list(d.items())
        if items:
            k, _ = rng.choice(items)
            items.insert(rng.randrange(len(items) + 1), (k, weird_value(rng) if rng.random() < 0.5 else 10**6))
        return Pairs(items)
    elif op == 13:  # the top level is not an object
        return rng.choice([[d], None, 1, "x", True, [], Raw(json.dumps(dump(d)))])
    elif op == 14:  # valid-but-deep nesting inside an unknown member (just under and just over the parser's cap)
        depth = rng.choice([100, 126, 127, 128, 129, 200])
        d["deep"] = Raw("[" * depth + "]" * depth)
    else:  # a valid max_tokens spelled oddly, or at the limit
        d["max_tokens"] = rng.choice([Raw("4.0"), Raw("4e0"), Raw("40e-1"), 4, 5, 4096, Raw("-0"), Raw("1E0")])
    return d


# ------------------------------------------------------------------------------------------------------
# Byte-level mutations.

BAD_UTF8 = [b"\xff", b"\xfe", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf4\x90\x80\x80",
            b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\x80", b"\xc3", b"\xf0\x9f\x98"]
_blobs = {}


def blob(name):
    """Large bodies, built once."""
    if name not in _blobs:
        n = 100_000
        _blobs[name] = {
            "brackets": b"[" * n,
            "brackets_closed": b"[" * n + b"]" * n,
            "braces": b'{"a":' * (n // 5) + b"1" + b"}" * (n // 5),
            "mixed": b'{"prompt":' + b'[{"x":' * (n // 6),
            "prompt_deep": b'{"model":"m","prompt":' + b"[" * n + b"]" * n + b',"max_tokens":1}',
            "huge_prompt": dump({"model": MODEL, "prompt": "word " * 180_000, "max_tokens": 1}).encode(),
            "huge_prompt_over": dump({"model": MODEL, "prompt": "x" * 1_100_000, "max_tokens": 1}).encode(),
            "huge_key": b'{"' + b"k" * 900_000 + b'":1,"prompt":"a","max_tokens":1}',
            "huge_number": b'{"prompt":"a","max_tokens":' + b"1" * 900_000 + b"}",
            "huge_fraction": b'{"prompt":"a","temperature":0.' + b"0" * 900_000 + b"1,\"max_tokens\":1}",
            "many_members": ("{" + ",".join(f'"k{i}":{i}' for i in range(80_000)) + ',"prompt":"a","max_tokens":1}').encode(),
            "many_elements": b'{"prompt":"a","max_tokens":1,"x":[' + b"0," * 300_000 + b"0]}",
            "spaces": b" " * 900_000 + b'{"prompt":"a","max_tokens":1}',
            "escapes": b'{"prompt":"' + b"\\u0041" * 150_000 + b'","max_tokens":1}',
        }[name]
    return _blobs[name]


BLOBS = ["brackets", "brackets_closed", "braces", "mixed", "prompt_deep", "huge_prompt", "huge_prompt_over",
         "huge_key", "huge_number", "huge_fraction", "many_members", "many_elements", "spaces", "escapes"]


def mutate_bytes(rng, body):
    op = rng.randrange(14)
    if op in (0, 1, 2):  # truncation
        return body[:rng.randrange(len(body) + 1)] if body else body
    if op == 3:  # bit flips
        b = bytearray(body)
        for _ in range(rng.randint(1, 8)):
            if b:
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if op == 4:  # random bytes spliced in
        pos = rng.randrange(len(body) + 1)
        return body[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 32))) + body[pos:]
    if op == 5:  # a range deleted
        a = rng.randrange(len(body) + 1)
        return body[:a] + body[a + rng.randint(1, 20):]
    if op == 6:  # invalid UTF-8 inside a string, or anywhere
        idx = [m.start() + 1 for m in re.finditer(rb'"[^"\\]', body)]
        pos = rng.choice(idx) if idx and rng.random() < 0.8 else rng.randrange(len(body) + 1)
        return body[:pos] + rng.choice(BAD_UTF8) + body[pos:]
    if op == 7:  # random bytes only
        return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 16, 1024, 4096])))
    if op == 8:  # other encodings, BOMs
        text = body.decode("utf-8", "replace")
        return rng.choice([text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-32"),
                           b"\xef\xbb\xbf" + body, b"\xef\xbb\xbf\xef\xbb\xbf" + body, b"\xfe\xff" + body,
                           text.encode("latin-1", "replace")])
    if op == 9:  # trailing data
        return body + rng.choice([b"x", b"{}", b"\x00", b"\n\n\n", b",", b"]", b" " * 1000, body])
    if op == 10:  # leading junk
        return rng.choice([b"\x00", b"x", b"//", b"/*c*/", b"\x1e", b"\xc2\xa0"]) + body
    if op == 11:  # empty, or whitespace only
        return rng.choice([b"", b" ", b"\n", b"\t\r\n "])
    if op == 12:  # a JSON scalar or oddity at the top level
        return rng.choice([b"null", b"[]", b"{}", b"1", b'"x"', b"true", b"-", b"{", b"[", b'{"":}', b"{,}",
                           b'{"a" 1}', b'{"a":1,}', b"[1,]", b"{'a':1}", b"NaN", b'{"prompt":"a"}garbage'])
    return blob(rng.choice(BLOBS))  # deep nesting, huge strings, numbers, members


# ------------------------------------------------------------------------------------------------------
# Cases.


class Case:
    """One request: `raw` bytes over a fresh socket, or method/path/headers/body through http.client."""

    def __init__(self, kind, desc, method="POST", path="/v1/completions", headers=None, body=b"", raw=None,
                 chunks=None, envelope_ok=True, raw_mode=None):
        self.kind, self.desc = kind, desc
        self.method, self.path, self.headers, self.body = method, path, headers or {}, body
        self.raw, self.chunks, self.raw_mode = raw, chunks, raw_mode
        # False where the HTTP envelope itself is hostile enough that a server may close without answering.
        self.envelope_ok = envelope_ok
        self.valid = False  # a valid generation request

    def text(self, limit=2000):
        if self.raw is not None:
            data = self.raw
        else:
            head = f"{self.method} {self.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
            body = b"".join(self.chunks) if self.chunks is not None else self.body
            data = head.encode("latin-1", "replace") + b"\r\n" + body
        shown = repr(data[:limit])
        return shown + (f" ... ({len(data)} bytes in all)" if len(data) > limit else "")


def json_headers(rng):
    return {"Content-Type": "application/json"}


def case_valid(rng):
    path, d = valid_request(rng)
    c = Case("valid", f"valid {path}", path=path, headers=json_headers(rng), body=encode(d, rng))
    c.valid = True
    return c


def cheap(d):
    """A mutant that stays valid is cheap to serve: one token, and a chat with its own short system message
    (else the template adds a long default one). The run is about the API, not the engine."""
    for key in ("max_tokens", "max_completion_tokens"):
        if key in d:
            d[key] = 1
    msgs = d.get("messages")
    if msgs and not any(m.get("role") in ("system", "developer") for m in msgs):
        msgs.insert(0, {"role": "system", "content": "x"})
    return d


def case_field(rng):
    path, d = valid_request(rng)
    cheap(d)
    value = d
    for _ in range(rng.randint(1, 3)):
        if not isinstance(value, dict):
            break
        value = mutate_structure(rng, path, value)
    return Case("field", f"field mutation of {path}", path=path, headers=json_headers(rng), body=encode(value, rng))


def case_bytes(rng):
    path, d = valid_request(rng)
    cheap(d)
    if rng.random() < 0.3:
        d = mutate_structure(rng, path, d)
    body = mutate_bytes(rng, encode(d, rng))
    if rng.random() < 0.2:
        body = mutate_bytes(rng, body)
    return Case("bytes", f"byte mutation of {path}", path=path, headers=json_headers(rng), body=body)


PATHS = ["/v1/completions/", "/v1//completions", "//v1/completions", "/V1/completions", "/v1/completions?stream=true",
         "/v1/completions?x=%ff%00", "/v1/chat", "/v1/chat/completions/x", "/v1/engines/x/completions", "/v1",
         "/", "/health", "/ready", "/metrics", "/v1/models", "/v1/models/x", "/v1/models/%2e%2e/completions",
         "/v1/models/../completions", "/v1/models/%ff%fe", "/v1/models/" + "a" * 4000, "/v1/completions%00",
         "/v1/completions%2f", "/%2e%2e/%2e%2e/etc/passwd", "/v1/completions;x", "/v1/completions?" + "a=b&" * 500,
         "/v1/models/SmolLM2-135M-Instruct.Q4_1", "/v1/models/SmolLM2-135M-Instruct.Q4_1/x", "/favicon.ico",
         "/v1/embeddings", "/v1/responses", "/v2/completions", "/health?x", "/metrics/"]
CONTENT_TYPES = [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/json; charset=utf-16", "application/json; charset=latin1", "application/xml",
                 "application/json, text/plain", "", "*/*", "application/jsonx", "APPLICATION/JSON",
                 "application/json; charset=\"utf-8\"; x=" + "y" * 1000]


def case_http(rng):
    path, d = valid_request(rng)
    cheap(d)
    body = encode(d, rng)
    headers = {"Content-Type": "application/json"}
    op = rng.randrange(11)
    method, chunks, envelope_ok = "POST", None, True
    if op in (0, 1):  # wrong method
        method = rng.choice(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"])
        if rng.random() < 0.5:
            body = b""
    elif op in (2, 3):  # wrong path, any method
        path = rng.choice(PATHS)
        method = rng.choice(["GET", "POST", "POST", "HEAD", "DELETE"])
        if method in ("GET", "HEAD") and rng.random() < 0.7:
            body = b""
    elif op in (4, 5):  # wrong Content-Type
        ct = rng.choice(CONTENT_TYPES)
        if ct is None:
            del headers["Content-Type"]
        else:
            headers["Content-Type"] = ct
        if ct and ct.startswith("application/x-www"):
            body = urllib.parse.urlencode({"prompt": "hi", "max_tokens": "2"}).encode()
    elif op == 6:  # chunked transfer encoding (well-formed)
        if rng.random() < 0.5:
            body = mutate_bytes(rng, body)
        n = rng.choice([1, 2, 7, 64])
        chunks = [body[i:i + n] for i in range(0, len(body), n)] if body else []
        chunks = chunks[:20000]
        headers["Transfer-Encoding"] = "chunked"
    elif op == 7:  # Expect: 100-continue, Connection variants
        headers[rng.choice(["Expect", "Connection", "Keep-Alive"])] = rng.choice(
            ["100-continue", "close", "keep-alive", "upgrade", "timeout=0", "x"])
    elif op == 8:  # encodings the server does not decode
        headers["Content-Encoding"] = rng.choice(["gzip", "deflate", "br", "identity", "x"])
        headers["Accept-Encoding"] = rng.choice(["gzip", "*", "br;q=1"])
    elif op == 9:  # many or odd headers
        for i in range(rng.choice([5, 50, 95])):
            headers[f"X-Fuzz-{i}"] = rng.choice(["", "x" * rng.randrange(200), "\u00ff", "a b c", "=;,"])
        if rng.random() < 0.3:
            headers["Authorization"] = rng.choice(["Bearer", "Bearer x", "Basic Og==", "x" * 2000])
        if rng.random() < 0.3:
            headers["Accept"] = rng.choice(["text/event-stream", "application/xml", "*/*;q=0"])
    else:  # a long URL or header (still within what servers commonly accept)
        if rng.random() < 0.5:
            path = path + "?q=" + "a" * rng.choice([1000, 6000, 20000])
        else:
            headers["X-Long"] = "b" * rng.choice([1000, 6000, 20000])
        envelope_ok = False  # a server may refuse an over-long head by closing (431/414 preferred)
    return Case("http", f"http op {op}", method=method, path=path, headers=headers, body=body, chunks=chunks,
                envelope_ok=envelope_ok)


def raw_request(head_lines, body=b"", sep=b"\r\n"):
    return sep.join(head_lines) + sep + sep + body


VALID_BODY = b'{"prompt":"Hi","max_tokens":1}'


def case_raw(rng):
    host = b"Host: 127.0.0.1"
    op = rng.randrange(30)
    # "halfclose": shutdown(SHUT_WR) after sending (vkserved takes the FIN as the client leaving and closes
    # without answering, so only what cannot be answered otherwise half-closes); "hangup": close after waiting;
    # "rst": close with SO_LINGER 0 right away.
    mode = None
    if op == 0:
        data = rng.choice([b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\r\n\r\n", b"GET /health\r\n\r\n",
                           b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n", b"GET /health HTTP/1.1 x\r\n\r\n",
                           b"GET  /health  HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /health HTTP/1\r\n\r\n",
                           b" GET /health HTTP/1.1\r\n\r\n", b"GET /hea\x00lth HTTP/1.1\r\n\r\n",
                           b"G\xffT / HTTP/1.1\r\n\r\n", b"POST\t/v1/completions\tHTTP/1.1\r\n\r\n"])
    elif op == 1:  # unknown or lowercase methods
        m = rng.choice([b"post", b"FOO", b"PRI", b"CONNECT", b"PROPFIND", b"X" * 1000, b"GET\x7f"])
        data = raw_request([m + b" /v1/completions HTTP/1.1", host, b"Content-Length: %d" % len(VALID_BODY)], VALID_BODY)
    elif op == 2:  # a header without a colon
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Type application/json",
                            b"Content-Length: %d" % len(VALID_BODY)], VALID_BODY)
    elif op == 3:  # odd header syntax
        bad = rng.choice([b"Bad Name: x", b"X-A : x", b": novalue", b"X-Fold: a\r\n  continued", b"X-Nul: a\x00b",
                          b"X-CR: a\rb", b"\x80\x81: x", b"X-Empty:", b"Content-Length : 5", b"\tX-Tab: y"])
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, bad, b"Content-Length: %d" % len(VALID_BODY)],
                           VALID_BODY)
    elif op == 4:  # a huge header
        data = raw_request([b"GET /health HTTP/1.1", host, b"X-Huge: " + b"a" * rng.choice([70_000, 200_000, 1_000_000])])
    elif op == 5:  # very many headers
        data = raw_request([b"GET /health HTTP/1.1", host] + [b"X-H%d: v" % i for i in range(rng.choice([1000, 10_000]))])
    elif op == 6:  # a huge request line
        data = raw_request([b"GET /health?" + b"a" * rng.choice([70_000, 500_000]) + b" HTTP/1.1", host])
    elif op == 7:  # bad chunk sizes
        size = rng.choice([b"zz", b"-1", b"ffffffffffffffffffffffff", b"1;" + b"e" * 100_000, b"", b" 5", b"0x5",
                           b"5 5", b"\xff"])
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Type: application/json",
                            b"Transfer-Encoding: chunked"], size + b"\r\n" + VALID_BODY + b"\r\n0\r\n\r\n")
    elif op == 8:  # chunk data longer than its size, or a missing terminator
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Transfer-Encoding: chunked"],
                           rng.choice([b"3\r\n" + VALID_BODY + b"\r\n0\r\n\r\n", b"%x\r\n" % len(VALID_BODY) + VALID_BODY,
                                       b"%x\r\n" % len(VALID_BODY) + VALID_BODY + b"\r\n"]))
    elif op == 9:  # Content-Length longer than the body: the server waits; we half-close or hang up
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Type: application/json",
                            b"Content-Length: %d" % (len(VALID_BODY) + rng.choice([1, 100, 10**6]))], VALID_BODY)
        mode = rng.choice(["halfclose", "hangup"])
    elif op == 10:  # Content-Length shorter than the body: the rest is read as the next request
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Type: application/json",
                            b"Content-Length: %d" % rng.randrange(len(VALID_BODY))], VALID_BODY)
    elif op == 11:  # impossible Content-Length values
        cl = rng.choice([b"-1", b"abc", b"1e3", b"99999999999999999999999", b"0x10", b" ", b"+31", b"31 31",
                         b"18446744073709551616", b"9223372036854775807"])
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Length: " + cl], VALID_BODY)
    elif op == 12:  # two different Content-Lengths
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Length: %d" % len(VALID_BODY),
                            b"Content-Length: 2"], VALID_BODY)
    elif op == 13:  # Content-Length and chunked together (request smuggling shape)
        chunked = b"%x\r\n" % len(VALID_BODY) + VALID_BODY + b"\r\n0\r\n\r\n"
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Length: 4",
                            b"Transfer-Encoding: chunked"], chunked)
    elif op == 14:  # unknown transfer codings
        data = raw_request([b"POST /v1/completions HTTP/1.1", host,
                            b"Transfer-Encoding: " + rng.choice([b"gzip", b"chunked, gzip", b"x", b"chunked, chunked"])],
                           VALID_BODY)
    elif op == 15:  # pipelining: several requests in one write
        one = raw_request([b"GET /health HTTP/1.1", host])
        post = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Type: application/json",
                            b"Content-Length: %d" % len(VALID_BODY)], VALID_BODY)
        data = one * rng.randint(2, 5) + post + raw_request([b"GET /ready HTTP/1.1", host, b"Connection: close"])
    elif op == 16:  # bare LF line endings
        data = raw_request([b"GET /health HTTP/1.1", host, b"Connection: close"], sep=b"\n")
    elif op == 17:  # HTTP/1.0, no Host, absolute form, asterisk form
        data = rng.choice([b"GET /health HTTP/1.0\r\n\r\n", b"GET /health HTTP/1.1\r\n\r\n",
                           b"GET http://127.0.0.1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                           b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n",
                           b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"])
    elif op == 18:  # other protocols
        data = rng.choice([b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x12\x04\x00\x00\x00\x00\x00",
                           bytes.fromhex("16030100a5010000a10303") + bytes(rng.randrange(256) for _ in range(160)),
                           b"SSH-2.0-OpenSSH_9.0\r\n", b"\x00" * 64])
    elif op == 19:  # upgrades
        data = raw_request([b"GET /v1/completions HTTP/1.1", host, b"Connection: Upgrade, HTTP2-Settings",
                            rng.choice([b"Upgrade: h2c", b"Upgrade: websocket"]), b"HTTP2-Settings: AAMAAABkAAQAAP__"])
    elif op == 20:  # random bytes
        data = bytes(rng.randrange(256) for _ in range(rng.choice([1, 10, 100, 5000])))
    elif op == 21:  # a truncated head, then half-close
        full = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Length: %d" % len(VALID_BODY)], VALID_BODY)
        data = full[:rng.randrange(1, len(full))]
        mode = "halfclose"
    elif op == 22:  # a request, then a reset before the answer
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Type: application/json",
                            b"Content-Length: %d" % len(VALID_BODY)], VALID_BODY)
        mode = "rst"
    elif op == 23:  # a trailer section with junk
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Transfer-Encoding: chunked"],
                           b"%x\r\n" % len(VALID_BODY) + VALID_BODY + b"\r\n0\r\nX-Trailer: a\r\nbad trailer\r\n\r\n")
    elif op == 24:  # Expect: 100-continue without sending the body, then half-close
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Expect: 100-continue",
                            b"Content-Length: %d" % len(VALID_BODY)])
        mode = "halfclose"
    elif op == 25:  # a huge chunked body (over max_body_bytes)
        chunk = b"a" * 65536
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Transfer-Encoding: chunked"],
                           (b"10000\r\n" + chunk + b"\r\n") * 20 + b"0\r\n\r\n")
    elif op == 26:  # a Content-Length over max_body_bytes with no body sent
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Length: 2000000000"])
        mode = "halfclose"
    elif op == 27:  # an empty line storm before the request
        data = b"\r\n" * rng.choice([10, 10_000]) + raw_request([b"GET /health HTTP/1.1", host, b"Connection: close"])
    elif op == 28:  # obsolete HTTP/0.9 style, or a request line without a path
        data = rng.choice([b"GET /\r\n", b"GET HTTP/1.1\r\n\r\n", b"/ HTTP/1.1\r\n\r\n", b"GET ?x HTTP/1.1\r\n\r\n"])
    else:  # Content-Type lies on a valid body
        data = raw_request([b"POST /v1/completions HTTP/1.1", host, b"Content-Type: application/json; charset=\xff",
                            b"Content-Length: %d" % len(VALID_BODY), b"Connection: close"], VALID_BODY)
    return Case("raw", f"raw op {op}", raw=data, raw_mode=mode, envelope_ok=False)


def make_case(seed, index):
    rng = random.Random(f"{seed}:{index}")
    r = rng.random()
    # Mix: 4 % valid, 46 % field mutations, 30 % byte mutations, 12 % HTTP-level, 8 % raw socket.
    if r < 0.04:
        return case_valid(rng)
    if r < 0.50:
        return case_field(rng)
    if r < 0.80:
        return case_bytes(rng)
    if r < 0.92:
        return case_http(rng)
    return case_raw(rng)


# ------------------------------------------------------------------------------------------------------
# Running cases.


class Outcome:
    def __init__(self, label, failure=None, note=None, status=None, body=b"", headers=None):
        self.label = label        # the count bucket: "200", "400", "closed(malformed)", ...
        self.failure = failure    # why this is a failure, or None
        self.note = note          # something odd but within the requirement
        self.status = status
        self.body = body
        self.headers = headers or []


def check_sse(body):
    """None when body is a well-formed SSE stream ending in [DONE], else what is wrong."""
    text = body.decode("utf-8", "strict")
    events = [e for e in text.split("\n\n") if e.strip()]
    if not events:
        return "empty event stream"
    for e in events:
        for line in e.split("\n"):
            if not line.startswith("data: "):
                return f"SSE line without 'data: ': {line[:200]!r}"
            payload = line[6:]
            if payload == "[DONE]":
                continue
            try:
                obj = json.loads(payload)
            except ValueError:
                return f"SSE data is not JSON: {payload[:200]!r}"
            if not isinstance(obj, dict):
                return f"SSE data is not a JSON object: {payload[:200]!r}"
    if events[-1] != "data: [DONE]":
        return f"stream does not end in [DONE]: {events[-1][:200]!r}"
    return None


def stream_error_code(body):
    for line in body.decode("utf-8", "replace").split("\n"):
        if line.startswith('data: {"error"'):
            try:
                return (json.loads(line[6:])["error"].get("code") or "error")
            except (ValueError, KeyError, AttributeError):
                return "unparsable"
    return None


def judge_response(case, status, headers, body):
    ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "")
    label = str(status)
    if not ALLOWED(status):
        return Outcome(label, failure=f"status {status} outside 200/4xx/503/504", status=status, body=body,
                       headers=headers)
    head_only = case.method == "HEAD"
    if status == 200 and not head_only:
        if "text/event-stream" in ctype:
            try:
                problem = check_sse(body)
            except UnicodeDecodeError as e:
                problem = f"SSE body is not UTF-8: {e}"
            if problem:
                return Outcome(label, failure=f"200 with a malformed event stream: {problem}", status=status, body=body,
                               headers=headers)
            code = stream_error_code(body)
            if code:
                failure = None
                if code == "worker_failed":
                    failure = "a stream ended with a worker_failed error event"
                return Outcome("200+error_event", failure=failure, note=f"200 stream ended with an error event ({code})",
                               status=status, body=body, headers=headers)
        elif "json" in ctype:
            try:
                obj = json.loads(body)
            except ValueError as e:
                return Outcome(label, failure=f"200 with a body that is not JSON: {e}", status=status, body=body,
                               headers=headers)
            if case.path.split("?")[0] in ("/v1/completions", "/v1/chat/completions") and case.method == "POST":
                if not isinstance(obj, dict) or not obj.get("choices"):
                    return Outcome(label, failure="200 completion without choices", status=status, body=body,
                                   headers=headers)
        elif case.method == "POST" and case.path.startswith("/v1/"):
            return Outcome(label, failure=f"200 with Content-Type {ctype!r}", status=status, body=body, headers=headers)
    note = None
    if 400 <= status <= 599 and not head_only and status != 200:
        try:
            err = json.loads(body)["error"]
            if not isinstance(err, dict) or "message" not in err or "type" not in err:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            note = f"{status} without an OpenAI error body ({ctype!r}): {body[:120]!r}"
    return Outcome(label, note=note, status=status, body=body, headers=headers)


class Client:
    """One keep-alive http.client connection per thread."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None
        self.used = 0

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def _send(self, case):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.used = 0
        self.used += 1
        conn = self.conn
        if case.chunks is not None:
            headers = dict(case.headers)
            conn.request(case.method, case.path, body=iter(case.chunks), headers=headers, encode_chunked=True)
        else:
            conn.request(case.method, case.path, body=case.body if (case.body or case.method == "POST") else None,
                         headers=case.headers)
        resp = conn.getresponse()
        body = resp.read()
        headers = resp.getheaders()
        if resp.will_close:
            self.close()
        return resp.status, headers, body

    def run(self, case):
        for attempt in (0, 1):
            reused = self.conn is not None and self.used > 0
            try:
                status, headers, body = self._send(case)
                return judge_response(case, status, headers, body)
            except (http.client.InvalidURL, ValueError, UnicodeEncodeError) as e:
                self.close()
                return Outcome("client-refused", note=f"http.client refused to send it: {e}")
            except socket.timeout:
                self.close()
                if not case.envelope_ok:
                    return Outcome("timeout(malformed)", note="no answer to a hostile HTTP head")
                return Outcome("timeout", failure=f"no answer within {self.timeout} s")
            except (ConnectionError, http.client.RemoteDisconnected, http.client.IncompleteRead,
                    http.client.BadStatusLine, http.client.LineTooLong, OSError) as e:
                self.close()
                if isinstance(e, http.client.IncompleteRead):
                    return Outcome("cut", failure=f"response cut short: {e!r}")
                if isinstance(e, (http.client.BadStatusLine, http.client.LineTooLong)) and \
                        not isinstance(e, http.client.RemoteDisconnected):
                    return Outcome("bad-response", failure=f"malformed response: {e!r}")
                if reused and attempt == 0:
                    continue  # a kept-alive connection closed under us: once more on a fresh one
                if not case.envelope_ok:
                    return Outcome("closed(malformed)", note=f"closed without an answer: {e!r}")
                return Outcome("closed", failure=f"connection closed/reset without an answer: {e!r}")
        return Outcome("closed", failure="unreachable")


STATUS_RE = re.compile(rb"(?:^|\r?\n)HTTP/1\.[01] (\d{3})")


def run_raw(host, port, case, no_data_timeout=1.0, idle_timeout=0.3, cap=3.0):
    s = socket.create_connection((host, port), timeout=5)
    received = b""
    outcome = None
    try:
        try:
            s.sendall(case.raw)
            if case.raw_mode == "halfclose":
                s.shutdown(socket.SHUT_WR)
            elif case.raw_mode == "rst":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
                return Outcome("raw:reset-by-us")
        except (BrokenPipeError, ConnectionResetError):
            outcome = "raw:closed-while-sending"
        start = time.monotonic()
        if outcome is None:
            while time.monotonic() - start < cap:
                s.settimeout(idle_timeout if received else no_data_timeout)
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    outcome = "raw:answered" if received else "raw:no-answer"
                    break
                except ConnectionResetError:
                    outcome = "raw:reset"
                    break
                if not chunk:
                    outcome = "raw:answered+closed" if received else "raw:closed"
                    break
                received += chunk
            else:
                outcome = "raw:answered" if received else "raw:no-answer"
    finally:
        s.close()
    statuses = [int(m) for m in STATUS_RE.findall(received)]
    if received and not received.startswith(b"HTTP/1.") and not statuses:
        return Outcome(outcome, failure=f"non-HTTP bytes answered: {received[:200]!r}", body=received)
    bad = [st for st in statuses if not ALLOWED(st)]
    if bad:
        return Outcome(outcome, failure=f"status {bad[0]} outside 200/4xx/503/504", status=bad[0], body=received)
    label = outcome + ("" if not statuses else ":" + ",".join(map(str, sorted(set(statuses)))))
    return Outcome(label, body=received)


# ------------------------------------------------------------------------------------------------------
# Server checks.


def http_get(host, port, path, timeout=5):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def worker_exits(host, port):
    """Sum of vkserve_worker_exits_total, or None."""
    try:
        status, body = http_get(host, port, "/metrics")
    except OSError:
        return None
    total = 0.0
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("vkserve_worker_exits_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def pid_alive(pid):
    if pid is None:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def normal_completion(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        body = json.dumps({"model": MODEL, "prompt": "The capital of France is", "max_tokens": 4, "temperature": 0})
        conn.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        return r.status, data
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------------------


def main():
    global MODEL
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", required=True, help="http://127.0.0.1:PORT of a running vkserved")
    p.add_argument("--pid", type=int, help="vkserved's pid, checked alive throughout")
    p.add_argument("--seed", type=int, default=None, help="seed (default: random, printed)")
    p.add_argument("--count", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--case", type=int, action="append", help="run only this case number (repeatable), verbosely")
    p.add_argument("--log", default="fuzz-failures.log", help="file the failing requests are written to")
    p.add_argument("--request-timeout", type=float, default=20, help="seconds a well-formed request may take")
    p.add_argument("--time-limit", type=float, default=420, help="give up (and fail) after this many seconds")
    p.add_argument("--timings", help="write 'case kind outcome seconds' per case to this file")
    p.add_argument("--min-valid", type=int, default=200, help="fewest valid generations a full run must make")
    args = p.parse_args()

    url = urllib.parse.urlsplit(args.base_url)
    host, port = url.hostname, url.port
    if host != "127.0.0.1":
        sys.exit("fuzz.py: only 127.0.0.1 may be fuzzed")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"fuzz: seed {seed} (rerun: --seed {seed}; one case: --seed {seed} --case N)", flush=True)

    try:
        status, body = http_get(host, port, "/v1/models")
        if status == 200:
            MODEL = json.loads(body)["data"][0]["id"]
    except (OSError, ValueError, KeyError, IndexError):
        pass

    if args.case:
        failed = 0
        for index in args.case:
            case = make_case(seed, index)
            print(f"case {index} ({case.kind}: {case.desc}): {case.text(4000)}")
            out = run_raw(host, port, case) if case.raw is not None else Client(host, port, args.request_timeout).run(case)
            print(f"  -> {out.label} failure={out.failure} note={out.note}\n  body: {out.body[:2000]!r}")
            failed += out.failure is not None
        sys.exit(1 if failed else 0)

    exits_before = worker_exits(host, port)
    lock = threading.Lock()
    next_index = [0]
    counts = collections.Counter()
    kinds = collections.Counter()
    notes = collections.Counter()
    note_examples = {}
    failures = []
    valid_ok = [0]
    in_flight = {}
    slowest = []
    seconds_by_kind = collections.Counter()
    stop = threading.Event()
    dead = []
    started = time.monotonic()
    log = open(args.log, "w")
    timings = open(args.timings, "w") if args.timings else None
    log.write(f"fuzz seed {seed}, {args.count} cases, against {args.base_url}\n")

    def record_failure(index, case, out):
        with lock:
            failures.append((index, case, out))
            log.write(f"\n=== FAILURE case {index} ({case.kind}: {case.desc}): {out.failure}\n")
            log.write(f"request: {case.text()}\n")
            if out.status is not None or out.body:
                log.write(f"response: status {out.status} headers {out.headers} body {out.body[:2000]!r}\n")
            log.write(f"reproduce: fuzz.py --base-url {args.base_url} --seed {seed} --case {index}\n")
            log.flush()

    def worker(tid):
        client = Client(host, port, args.request_timeout)
        while not stop.is_set():
            with lock:
                index = next_index[0]
                if index >= args.count:
                    break
                next_index[0] += 1
            case = make_case(seed, index)
            with lock:
                in_flight[tid] = (index, case)
            t0 = time.monotonic()
            try:
                out = run_raw(host, port, case) if case.raw is not None else client.run(case)
            except Exception as e:  # the harness itself must not die on one case
                out = Outcome("harness-error", failure=f"harness error: {e!r}")
            took = time.monotonic() - t0
            with lock:
                in_flight.pop(tid, None)
                slowest.append((took, index, case.desc, out.label))
                slowest.sort(reverse=True)
                del slowest[8:]
                seconds_by_kind[case.kind] += took
                if timings:
                    timings.write(f"{index} {case.kind} {out.label} {took:.3f} {case.desc}\n")
                counts[out.label] += 1
                kinds[case.kind] += 1
                if case.valid and out.status == 200:
                    valid_ok[0] += 1
                if out.note:
                    key = out.note.split(":")[0][:80]
                    notes[key] += 1
                    note_examples.setdefault(key, (index, out.note))
            if out.failure:
                record_failure(index, case, out)
        client.close()

    def monitor():
        while not stop.wait(1.0):
            if not pid_alive(args.pid):
                with lock:
                    dead.append(dict(in_flight))
                stop.set()
            if time.monotonic() - started > args.time_limit:
                stop.set()

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(args.threads)]
    mon = threading.Thread(target=monitor, daemon=True)
    mon.start()
    for t in threads:
        t.start()
    last = time.monotonic()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=0.5)
        if time.monotonic() - last >= 15:
            last = time.monotonic()
            with lock:
                print(f"fuzz: {next_index[0]} cases sent, {len(failures)} failures, "
                      f"{time.monotonic() - started:.0f} s", flush=True)
    stop.set()
    elapsed = time.monotonic() - started
    done = sum(counts.values())

    problems = []
    if dead:
        problems.append(f"vkserved (pid {args.pid}) exited during the run")
        for tid, (index, case) in sorted(dead[0].items()):
            log.write(f"\n=== IN FLIGHT when vkserved died: case {index} ({case.kind}): {case.text()}\n")
            problems.append(f"  in flight at its death: case {index} ({case.kind}: {case.desc}) {case.text(300)}")
    if done < args.count:
        problems.append(f"only {done} of {args.count} cases ran within the {args.time_limit:.0f} s limit")
    exits_after = worker_exits(host, port)
    if exits_before is not None and exits_after is not None and exits_after > exits_before:
        problems.append(f"a worker exited during the run (vkserve_worker_exits_total {exits_before:g} -> "
                        f"{exits_after:g})")

    print(f"fuzz: {done} requests in {elapsed:.1f} s ({done / max(elapsed, 1e-9):.0f}/s), seed {seed}")
    print("fuzz: by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("fuzz: by outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))))
    print("fuzz: seconds spent (summed over threads) by kind: "
          + ", ".join(f"{k} {v:.0f}" for k, v in sorted(seconds_by_kind.items())))
    print("fuzz: slowest cases: " + "; ".join(f"#{i} {d} -> {lbl} {t:.1f} s" for t, i, d, lbl in slowest))
    print(f"fuzz: valid generations answered 200: {valid_ok[0]}")
    if args.count >= 10_000 and valid_ok[0] < args.min_valid:
        problems.append(f"only {valid_ok[0]} valid generations succeeded (want >= {args.min_valid})")
    for key, n in sorted(notes.items(), key=lambda kv: -kv[1]):
        index, text = note_examples[key]
        print(f"fuzz: note ({n}x): {text[:300]} [e.g. case {index}]")

    # After the run: alive, healthy, serving.
    checks = []
    alive = pid_alive(args.pid)
    checks.append(("vkserved still running" + (f" (pid {args.pid})" if args.pid else ""), alive))
    try:
        status, body = http_get(host, port, "/health")
        checks.append((f"/health {status} {body[:80]!r}", status == 200))
    except OSError as e:
        checks.append((f"/health: {e!r}", False))
    try:
        status, body = normal_completion(host, port)
        text = json.loads(body)["choices"][0]["text"] if status == 200 else ""
        checks.append((f"a normal completion: {status} text {text!r}", status == 200 and bool(text)))
    except (OSError, ValueError, KeyError, IndexError) as e:
        checks.append((f"a normal completion: {e!r}", False))
    for what, ok in checks:
        print(f"fuzz: after the run: {'ok' if ok else 'FAILED'}: {what}")
        if not ok:
            problems.append(what)

    shown = 0
    by_reason = collections.Counter(out.failure.split(":")[0] for _, _, out in failures)
    for reason, n in by_reason.most_common():
        print(f"fuzz: FAILURE ({n}x): {reason}")
    for index, case, out in failures[:15]:
        shown += 1
        print(f"  case {index} ({case.kind}: {case.desc}): {out.failure}\n    request: {case.text(400)}\n"
              f"    response: {out.status} {out.body[:300]!r}")
    if failures:
        print(f"fuzz: every failing request is in {args.log}")
    for p_ in problems:
        print(f"fuzz: FAILED: {p_}")
    log.close()
    passed = done - len(failures)
    print(f"{passed + sum(ok for _, ok in checks)} passed, {len(failures) + len(problems)} failed")
    sys.exit(1 if failures or problems else 0)


if __name__ == "__main__":
    main()
