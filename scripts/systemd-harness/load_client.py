#!/usr/bin/env python3
"""A small HTTP client of vkserve's OpenAI-compatible API for the systemd end-to-end test (stdlib only).
Every request streams (SSE) and counts as failed unless it answers 200, every event parses, a choice
finishes and `data: [DONE]` ends the stream.

    load_client.py load --port P --concurrency N --duration S [--max-tokens N] [--started FILE] [--until FILE]
        N clients in a loop for S seconds; prints {"ok": …, "failed": …, "errors": […]};
        exit 1 on any failure.
        FILE is created once every client has finished one request (the load is under way).
    load_client.py long --port P --max-tokens N [--mark-after K --mark FILE]
        one long completion that counts upwards (no early end of text); creates FILE after K tokens so a
        test knows it is in flight; prints {"finish_reason": …, "completion_tokens": …, "seconds": …, "ended_at": UNIX TIME}.
    load_client.py get --port P PATH
        prints the body of GET PATH (e.g. /health); exit 1 unless it answers 200.
"""

import argparse
import http.client
import json
import pathlib
import sys
import threading
import time


def stream_completion(port, body, on_token=None, timeout=120):
    """Runs one streamed completion; returns (finish_reason, completion_tokens). Raises on any failure."""
    body = dict(body, stream=True, stream_options={"include_usage": True})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.read(300).decode(errors='replace')}")
        finish, usage, done = None, None, False
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            data = line[len("data:"):].strip()
            if data == "[DONE]":
                done = True
                break
            event = json.loads(data)
            if "error" in event:
                raise RuntimeError(f"error event: {event['error']}")
            for choice in event.get("choices", []):
                if choice.get("text") and on_token:
                    on_token()
                finish = choice.get("finish_reason") or finish
            usage = event.get("usage") or usage
        if not done or finish is None:
            raise RuntimeError(f"stream ended early (finish_reason {finish}, [DONE] {'seen' if done else 'missing'})")
        return finish, (usage or {}).get("completion_tokens")
    finally:
        connection.close()


def load(args):
    deadline = time.monotonic() + args.duration
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0, "errors": []}
    first_done = set()

    def going():
        return time.monotonic() < deadline and not (args.until and pathlib.Path(args.until).exists())

    def client(index):
        prompt = f"Request {index}. Write one sentence about the sea:"
        while going():
            began = time.monotonic()
            try:
                stream_completion(args.port, {"prompt": prompt, "max_tokens": args.max_tokens, "temperature": 0})
                with lock:
                    counts["ok"] += 1
                    first_done.add(index)
                    if args.started and len(first_done) == args.concurrency:
                        pathlib.Path(args.started).touch()
            except Exception as error:  # every failure is reported, none ends the load
                with lock:
                    counts["failed"] += 1
                    counts["errors"].append(f"client {index} at +{began - deadline + args.duration:.1f}s: {error}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts["errors"] = counts["errors"][:10]
    print(json.dumps(counts))
    return 0 if counts["failed"] == 0 and counts["ok"] > 0 else 1


def long_request(args):
    tokens = 0

    def on_token():
        nonlocal tokens
        tokens += 1
        if args.mark and tokens == args.mark_after:
            pathlib.Path(args.mark).touch()

    began = time.monotonic()
    try:
        finish, completion_tokens = stream_completion(
            args.port, {"prompt": "1, 2, 3, 4, 5,", "max_tokens": args.max_tokens, "temperature": 0}, on_token)
    except Exception as error:
        print(json.dumps({"error": str(error), "tokens_received": tokens}))
        return 1
    print(json.dumps({"finish_reason": finish, "completion_tokens": completion_tokens, "tokens_received": tokens,
                      "seconds": round(time.monotonic() - began, 2), "ended_at": round(time.time(), 3)}))
    return 0


def get(args):
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
    try:
        connection.request("GET", args.path)
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
    except OSError as error:
        print(f"GET {args.path}: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    print(body)
    return 0 if response.status == 200 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    loading = modes.add_parser("load")
    loading.add_argument("--port", type=int, default=8080)
    loading.add_argument("--concurrency", type=int, default=3)
    loading.add_argument("--duration", type=float, required=True)
    loading.add_argument("--max-tokens", type=int, default=24)
    loading.add_argument("--started")
    loading.add_argument("--until", help="end the load (before --duration) once this file exists")
    loading.set_defaults(run=load)
    longer = modes.add_parser("long")
    longer.add_argument("--port", type=int, default=8080)
    longer.add_argument("--max-tokens", type=int, default=400)
    longer.add_argument("--mark-after", type=int, default=10)
    longer.add_argument("--mark")
    longer.set_defaults(run=long_request)
    getting = modes.add_parser("get")
    getting.add_argument("--port", type=int, default=8080)
    getting.add_argument("path")
    getting.set_defaults(run=get)
    args = parser.parse_args()
    sys.exit(args.run(args))


if __name__ == "__main__":
    main()
