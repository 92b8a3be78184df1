#!/usr/bin/env python3
"""Closed-loop load through the balancer with the real OpenAI client, one JSON line per request.

Each client thread sends short completions back to back for --seconds, cycling through streamed and whole
chat and text completions. The client never retries (max_retries=0): any retry seen is the balancer's.
Every request is recorded with its start and end (epoch seconds) and one outcome:
  ok      a complete answer (streams: a finish_reason arrived and the stream ended cleanly);
  failed  no answer at all: a connection error or an error status before the response began;
  cut     the stream began (status 200, maybe some text) and then broke off.
"""

import argparse
import json
import threading
import time

import openai

PROMPTS = ["Name a colour.", "Count to five.", "Say hello.", "What is two plus two?"]


def one_request(client, model, kind, prompt, max_tokens):
    """Sends one request of `kind`; returns (outcome, text pieces streamed, error text)."""
    chat = kind.startswith("chat")
    stream = kind.endswith("stream")
    args = dict(model=model, max_tokens=max_tokens, stream=stream)
    try:
        if chat:
            response = client.chat.completions.create(messages=[{"role": "user", "content": prompt}], **args)
        else:
            response = client.completions.create(prompt=prompt, **args)
    except openai.APIError as error:
        return "failed", 0, f"{type(error).__name__}: {error}"
    if not stream:
        finish = response.choices[0].finish_reason if response.choices else None
        return ("ok", 0, "") if finish else ("failed", 0, "answer without finish_reason")
    pieces, finished = 0, False
    try:
        for chunk in response:
            choice = chunk.choices[0] if chunk.choices else None
            if choice is None:
                continue  # the usage chunk
            if (choice.delta.content if chat else choice.text):
                pieces += 1
            if choice.finish_reason:
                finished = True
    except Exception as error:  # the connection broke mid-stream (httpx) or an SSE error event (openai)
        return "cut", pieces, f"{type(error).__name__}: {error}"
    return ("ok", pieces, "") if finished else ("cut", pieces, "stream ended without finish_reason")


def client_loop(index, options, deadline, out, lock):
    client = openai.OpenAI(base_url=options.url, api_key="unused", max_retries=0, timeout=options.timeout)
    kinds = ["chat-stream", "text", "text-stream", "chat"]
    n = index  # clients start at different points of the cycle so every kind is always in flight
    while time.time() < deadline:
        kind = kinds[n % len(kinds)]
        prompt = PROMPTS[n % len(PROMPTS)]
        start = time.time()
        outcome, pieces, error = one_request(client, options.model, kind, prompt, options.max_tokens)
        record = dict(client=index, kind=kind, start=start, end=time.time(), outcome=outcome, pieces=pieces,
                      error=error[:300])
        with lock:
            out.write(json.dumps(record) + "\n")
            out.flush()
        n += 1
    client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="base URL of the API, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--timeout", type=float, default=60, help="per-request timeout in seconds")
    parser.add_argument("--out", required=True, help="JSON Lines file of the requests")
    options = parser.parse_args()
    deadline = time.time() + options.seconds
    lock = threading.Lock()
    with open(options.out, "w") as out:
        threads = [threading.Thread(target=client_loop, args=(i, options, deadline, out, lock))
                   for i in range(options.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


if __name__ == "__main__":
    main()
