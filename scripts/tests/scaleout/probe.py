#!/usr/bin/env python3
"""Small HTTP probes for the scale-out test (no curl needed).

  probe.py wait URL SECONDS   wait until URL answers 200; exit 1 with the last answer when it never does
  probe.py served BASE        completions a vkserved answered 200, summed from BASE/metrics
                              (vkserve_http_requests_total of /v1/completions and /v1/chat/completions)
"""

import re
import sys
import time
import urllib.error
import urllib.request

COMPLETION_ROUTES = {"/v1/completions", "/v1/chat/completions"}
SAMPLE = re.compile(r'^vkserve_http_requests_total\{([^}]*)\}\s+([0-9.eE+]+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')


def wait(url, seconds):
    deadline = time.time() + seconds
    last = "no answer"
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return 0
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}: {error.read()[:200]!r}"
        except OSError as error:
            last = str(error)
        time.sleep(0.1)
    print(f"{url} not answering 200 after {seconds}s: {last}", file=sys.stderr)
    return 1


def served(base):
    with urllib.request.urlopen(base.rstrip("/") + "/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if not match:
            continue
        labels = dict(LABEL.findall(match.group(1)))
        if labels.get("endpoint") in COMPLETION_ROUTES and labels.get("status") == "200":
            total += float(match.group(2))
    print(int(total))
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "wait":
        return wait(argv[2], float(argv[3]))
    if len(argv) == 3 and argv[1] == "served":
        return served(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
