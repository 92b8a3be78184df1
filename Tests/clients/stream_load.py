#!/usr/bin/env python3
"""Concurrent streaming clients (the real `openai` package) against vkserved, for fault tests.

Each client streams completions back to back until the duration ends. A request that fails
before its first token is retried (up to 5 times, 0.2 s apart); one that fails after tokens is
counted as ended by an error event. A stream silent for --timeout seconds counts as hung.
Prints one JSON summary line."""
import argparse
import json
import threading
import time

import openai

p = argparse.ArgumentParser()
p.add_argument("--base-url", required=True)
p.add_argument("--model", required=True)
p.add_argument("--clients", type=int, default=12)
p.add_argument("--duration", type=float, default=20)
p.add_argument("--max-tokens", type=int, default=48)
p.add_argument("--timeout", type=float, default=60)
p.add_argument("--api-key", default="none")
args = p.parse_args()

lock = threading.Lock()
totals = {"ok": 0, "error_after_tokens": 0, "failed_before_tokens": 0, "retries": 0, "hung": 0, "tokens": 0,
          "errors": []}
stop_at = time.monotonic() + args.duration


def add(key, n=1, error=None):
    with lock:
        totals[key] += n
        if error and len(totals["errors"]) < 20:
            totals["errors"].append(error)


def one_request(client, prompt):
    for attempt in range(6):
        tokens = 0
        try:
            stream = client.completions.create(model=args.model, prompt=prompt, max_tokens=args.max_tokens,
                                               temperature=0.7, stream=True)
            finished = False
            for chunk in stream:
                for choice in chunk.choices:
                    if choice.text:
                        tokens += 1
                    if choice.finish_reason:
                        finished = True
            add("tokens", tokens)
            if finished:
                add("ok")
            else:
                add("error_after_tokens", error="stream ended without a finish reason")
            return
        except openai.APITimeoutError as e:
            add("hung", error=f"timeout after {tokens} tokens: {e}")
            return
        except openai.APIError as e:
            add("tokens", tokens)
            if tokens > 0:
                add("error_after_tokens", error=f"after {tokens} tokens: {e}")
                return
            if attempt == 5:
                add("failed_before_tokens", error=f"{type(e).__name__}: {e}")
                return
            add("retries", error=f"retry after {type(e).__name__}: {e}")
            time.sleep(0.2)


def client_loop(i):
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=args.timeout)
    n = 0
    while time.monotonic() < stop_at:
        one_request(client, f"Story {i}.{n}: Once upon a time")
        n += 1


threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(totals))
