#!/usr/bin/env python3
"""Judges a scale-out run: reads what load.py recorded, nginx's access and error logs and the per-instance
request counts the test collected, prints a summary and exits 1 when failover did not hold.

The facts file holds key=value lines written by 30-scaleout.sh: the two instances' addresses (killed,
survivor), the epoch times of the SIGKILL (kill_at) and of the killed instance being ready again
(back_at), and completions each instance had answered (from its /metrics) at those points.
"""

import argparse
import json
import re
import sys

ACCESS = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d{3}) \d+ upstream="(?P<upstream>[^"]*)" '
                    r'upstream_status="(?P<upstream_status>[^"]*)" request_time=(?P<request_time>[\d.]+) '
                    r'upstream_time="[^"]*" msec=(?P<msec>[\d.]+)')


def read_facts(path):
    facts = {}
    with open(path) as file:
        for line in file:
            key, _, value = line.strip().partition("=")
            if key:
                facts[key] = value
    return facts


def read_access_log(path):
    """Completion requests nginx logged: start, end, status, instances tried (last = the one that answered)."""
    entries = []
    with open(path) as file:
        for line in file:
            match = ACCESS.search(line)
            if not match or not match["request"].startswith("POST /v1/"):
                continue
            end = float(match["msec"])
            entries.append(dict(start=end - float(match["request_time"]), end=end, status=int(match["status"]),
                                tried=[a.strip() for a in match["upstream"].split(",")],
                                upstream_status=match["upstream_status"]))
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", required=True)
    parser.add_argument("--facts", required=True)
    parser.add_argument("--access-log", required=True)
    parser.add_argument("--error-log", required=True)
    options = parser.parse_args()

    facts = read_facts(options.facts)
    killed, survivor = facts["killed"], facts["survivor"]
    kill_at, back_at = float(facts["kill_at"]), float(facts["back_at"])
    with open(options.results) as file:
        requests = [json.loads(line) for line in file if line.strip()]
    logged = read_access_log(options.access_log)
    with open(options.error_log, errors="replace") as file:
        upstream_errors = [line.rstrip() for line in file if f'upstream: "http://{killed}' in line]
    refused = sum(1 for line in upstream_errors if "Connection refused" in line)

    before = [r for r in requests if r["end"] <= kill_at]
    at_kill = [r for r in requests if r["start"] < kill_at < r["end"]]
    after = [r for r in requests if r["start"] >= kill_at]

    def count(group, outcome):
        return sum(1 for r in group if r["outcome"] == outcome)

    failed = [r for r in requests if r["outcome"] == "failed"]
    cut_after = [r for r in after if r["outcome"] == "cut"]
    cut_before = [r for r in before if r["outcome"] == "cut"]
    # Between the kill and the killed instance being ready again, only the survivor can answer.
    outage = [e for e in logged if kill_at <= e["start"] < back_at]
    outage_elsewhere = [e for e in outage if e["tried"][-1] != survivor]
    retried = [e for e in logged if len(e["tried"]) > 1]
    not_200 = [e for e in logged if e["status"] != 200]
    returned = [e for e in logged if e["start"] >= back_at and e["tried"][-1] == killed]

    served = {key: int(facts[key]) for key in ("killed_before", "survivor_before", "survivor_final", "killed_final")}
    survivor_after = served["survivor_final"] - served["survivor_before"]

    print(f"scale-out through nginx: {len(requests)} requests, {count(requests, 'ok')} ok, {len(failed)} failed, "
          f"{count(requests, 'cut')} cut mid-stream")
    print(f"  before the kill:    {count(before, 'ok')} ok, {count(before, 'failed')} failed, "
          f"{len(cut_before)} cut")
    cut_at_kill = [r for r in at_kill if r["outcome"] == "cut"]
    # A stream's response head goes out when vkserved admits it, before its first token: from then on nginx
    # cannot move it, so a stream can be cut with no text yet.
    print(f"  in flight at kill:  {count(at_kill, 'ok')} ok, {count(at_kill, 'failed')} failed, "
          f"{len(cut_at_kill)} cut mid-stream ({sum(1 for r in cut_at_kill if r['pieces'] == 0)} of them before "
          f"their first token; text pieces received: {[r['pieces'] for r in cut_at_kill]})")
    print(f"  after the kill:     {count(after, 'ok')} ok, {count(after, 'failed')} failed, {len(cut_after)} cut")
    print(f"  nginx: {len(logged)} completions logged, {len(retried)} retried on another instance "
          f"({sorted(set(e['upstream_status'] for e in retried))}), {len(not_200)} not 200; "
          f"{len(outage)} started while {killed} was down, {len(outage) - len(outage_elsewhere)} of them "
          f"answered by {survivor}; {len(returned)} answered by {killed} after its restart")
    print(f"  per instance (completions answered 200, /metrics): {killed} {served['killed_before']} before the "
          f"kill, {served['killed_final']} after its restart; {survivor} {served['survivor_before']} before the "
          f"kill, {survivor_after} after it")
    print(f"  nginx error log: {len(upstream_errors)} lines about {killed} ({refused} connection refused)"
          + (f", first: {upstream_errors[0]}" if upstream_errors else ""))

    problems = []
    if failed:
        problems.append(f"{len(failed)} requests failed before their answer began, e.g. {failed[0]['error']}")
    if cut_after or cut_before:
        problems.append(f"{len(cut_after) + len(cut_before)} streams cut that were not in flight at the kill")
    if not_200:
        problems.append(f"nginx answered {len(not_200)} completions with a status other than 200, "
                        f"e.g. {not_200[0]}")
    if outage_elsewhere:
        problems.append(f"{len(outage_elsewhere)} requests during the outage not answered by {survivor}")
    if count(before, "ok") < 8 or count(after, "ok") < 8:
        problems.append("too little load before or after the kill to judge")
    if len(outage) < 4:
        problems.append("too few requests while one instance was down to judge")
    if served["killed_before"] == 0 or served["survivor_before"] == 0:
        problems.append("the balancer did not use both instances before the kill")
    if survivor_after == 0:
        problems.append(f"{survivor} served nothing after the kill")
    if served["killed_final"] == 0 or not returned:
        problems.append(f"no traffic returned to {killed} after its restart")
    if not retried:
        problems.append("nginx never had to move a request to the survivor: failover was not exercised")
    if not upstream_errors:
        problems.append(f"nginx's error log does not mention the failure of {killed}")
    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print("PASS: no request failed; the survivor carried the load; traffic returned after the restart")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
