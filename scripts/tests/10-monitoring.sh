#!/usr/bin/env bash
# The monitoring of runbook/ (issue 8): alert rules, their unit tests, the Grafana dashboard, and that both
# speak about series a real vkserved exports.
#   1. promtool check rules runbook/alerts.yml; promtool test rules runbook/alerts.test.yml.
#   2. The dashboard is JSON, has the templated data source and instance variable, and every query parses
#      as PromQL (promtool check rules over a file of them); every runbook_url anchor is a RUNBOOK.md heading.
#   3. Live: a release vkserved (one Vulkan worker on lavapipe where it works, one CPU worker) and a real
#      Prometheus scraping it with alerts.yml loaded. Streamed requests fail both ways the error-rate alert
#      tells apart: a prompt too long for the context (the client's error, a 400 before the stream) and a
#      worker killed under the stream after its 200 (a worker_failed error event). Every metric name in the alerts and the dashboard is in the scrape (or, for
#      the VRAM families a machine without Vulkan lacks, in MetricCatalog.swift); every label they select,
#      group or join on exists; every reason/state value they name is one vkserved uses; every dashboard
#      query runs; all rules evaluate without error and none fires on the healthy instance, a client's failed
#      stream included; a worker killed under a stream makes VkserveHighErrorRate pending; killing vkserved
#      makes VkserveDown pending.
#   4. The checks can fail: a broken rule file, a moved threshold, an error rate blind to failed streams or
#      counting the clients' ones, and an unknown metric are each rejected.
# Needs promtool and prometheus (Debian package prometheus) and the release binaries.
set -euo pipefail
cd "$(dirname "$0")/../.."
project=$PWD
rules=runbook/alerts.yml
tests=runbook/alerts.test.yml
dashboard=runbook/grafana/vkserve-dashboard.json
runbook=runbook/RUNBOOK.md
catalog=Sources/HTTPAPI/Metrics/MetricCatalog.swift
work=$(mktemp -d /tmp/vkserve-monitoring.XXXXXX)
vkserved_pid=
prometheus_pid=

say() { echo "10-monitoring: $*"; }
fail() {
    echo "10-monitoring: FAIL: $*" >&2
    exit 1
}
stop() { # stop PID: SIGTERM, then SIGKILL after 20 s
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local code=$?
    (( code == 0 )) || echo "10-monitoring: exiting with status $code" >&2
    stop "$vkserved_pid"
    stop "$prometheus_pid"
    rm -rf "$work"
    exit "$code"
}
trap cleanup EXIT
# A command that fails outside fail() (set -e) names itself instead of ending the script silently.
trap 'echo "10-monitoring: FAIL: line $LINENO: \"$BASH_COMMAND\" exited with status $?" >&2' ERR
trap 'exit 143' TERM
trap 'exit 130' INT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for tool in promtool prometheus python3 curl setpriv; do
    command -v $tool >/dev/null || fail "$tool not found (scripts/install-deps.sh installs it)"
done
for b in vkserved vkserve-worker supervisorctl; do
    [[ -x .build/release/$b ]] || fail ".build/release/$b missing: swift build -c release"
done

# ---- helpers in Python: expressions out of the rule file and the dashboard, and the checks over them ----------
cat >"$work/monitoring.py" <<'EOF'
import json, re, sys, unicodedata

def rule_exprs(path):
    """(name, expr) of every rule in a Prometheus rule file (YAML read without PyYAML: block scalars only)."""
    lines, out, i = open(path).read().split("\n"), [], 0
    name = None
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*- (alert|record): (\S+)", line)
        if m:
            name = m.group(2)
        m = re.match(r"(\s*)expr: ?(.*)$", line)
        if m:
            indent, first = len(m.group(1)), m.group(2).strip()
            if first in ("|", "|-", ">", ">-"):
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    body.append(lines[i].strip())
                    i += 1
                out.append((name, " ".join(body).strip()))
                continue
            out.append((name, first.strip("'\"")))
        i += 1
    return out

def dashboard_exprs(path):
    """(panel title, expr) of every query of a Grafana dashboard, nested rows included."""
    d = json.load(open(path))
    out = []
    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                out.append((p.get("title", "?"), t.get("expr", "")))
            walk(p.get("panels", []))
    walk(d.get("panels", []))
    return out

def concrete(expr):
    """A dashboard query with Grafana's variables replaced, as Prometheus would receive it."""
    return expr.replace("$__rate_interval", "1m").replace("$instance", ".*")

def all_exprs(rules, dashboard):
    return [("alert " + n, e) for n, e in rule_exprs(rules)] + \
           [("panel " + n, concrete(e)) for n, e in dashboard_exprs(dashboard)]

def check_dashboard(path):
    d = json.load(open(path))
    problems = []
    if not 36 <= d.get("schemaVersion", 0) <= 41:
        problems.append(f"schemaVersion {d.get('schemaVersion')} (expected about 39)")
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    if variables.get("DS_PROMETHEUS", {}).get("type") != "datasource":
        problems.append("no data source variable DS_PROMETHEUS")
    if variables.get("instance", {}).get("type") != "query":
        problems.append("no instance variable")
    exprs = dashboard_exprs(path)
    if len(exprs) < 10:
        problems.append(f"only {len(exprs)} queries")
    def walk(panels):
        for p in panels:
            if p.get("type") != "row":
                if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
                    problems.append(f"panel {p.get('title')}: data source is not ${{DS_PROMETHEUS}}")
                if not p.get("targets"):
                    problems.append(f"panel {p.get('title')}: no query")
            for t in p.get("targets", []):
                if not t.get("expr") or "$instance" not in t["expr"]:
                    problems.append(f"panel {p.get('title')}: query {t.get('expr')!r} ignores $instance")
            walk(p.get("panels", []))
    walk(d.get("panels", []))
    return problems

def slug(heading):
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")

def check_anchors(rules, runbook, *pages):
    """Every runbook_url of the rules, every #link inside the runbook and every RUNBOOK.md#link of the other
    pages names a heading of the runbook."""
    text = open(runbook).read()
    anchors = {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}
    problems = []
    for url in re.findall(r'runbook_url: "([^"]+)"', open(rules).read()):
        page, _, anchor = url.partition("#")
        if not page.endswith("RUNBOOK.md") or anchor not in anchors:
            problems.append(f"runbook_url {url}: no such heading in {runbook}")
    links = [(runbook, a) for a in re.findall(r"\]\(#([^)]+)\)", text)]
    links += [(page, a) for page in pages for a in re.findall(r"RUNBOOK\.md#([^)\s]+)\)", open(page).read())]
    for page, anchor in links:
        if anchor not in anchors:
            problems.append(f"{page}: link to #{anchor}: no such heading in {runbook}")
    return problems

def parse_scrape(path):
    """{sample name: {label: set(values)}} of a Prometheus text exposition."""
    series = {}
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s", line)
        labels = series.setdefault(m.group(1), {})
        for k, v in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""):
            labels.setdefault(k, set()).add(v)
    return series

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
VALUE_CHECKED = ("reason", "state", "backend")

def check_series(rules, dashboard, scrape, catalog):
    series = parse_scrape(scrape)
    names = set(re.findall(r'"(vkserve_[a-z0-9_]+)"', open(catalog).read()))
    known = set(series) | names | {n + s for n in names if n.endswith("_seconds") for s in ("_bucket", "_sum", "_count")}
    all_labels = {"job", "instance", "le"} | {k for labels in series.values() for k in labels}
    problems, catalog_only = [], set()
    for where, expr in all_exprs(rules, dashboard):
        for name, _, matchers in re.findall(r"\b(vkserve_[a-z0-9_]+)(\{([^}]*)\})?", expr):
            if name not in known:
                problems.append(f"{where}: {name} is neither in a live scrape nor in {catalog}")
                continue
            if name not in series:
                catalog_only.add(name)
                continue
            present = set(series[name]) | {"job", "instance"}
            for label, op, value in re.findall(r'([a-zA-Z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"', matchers):
                if label not in present:
                    problems.append(f"{where}: {name} has no label {label} (it has {sorted(present)})")
                elif label in VALUE_CHECKED and re.fullmatch(r"[a-z_|]+", value):
                    for v in value.split("|"):
                        if v not in series[name][label]:
                            problems.append(f"{where}: {name}{{{label}}} never takes the value {v!r} "
                                            f"(values: {sorted(series[name][label])})")
        for clause in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr):
            for label in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", clause):
                if label not in all_labels:
                    problems.append(f"{where}: label {label} in a grouping does not exist on any vkserve series")
    return problems, sorted(catalog_only)

if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "dashboard":
        problems = check_dashboard(args[0])
    elif command == "anchors":
        problems = check_anchors(*args)
    elif command == "series":
        problems, catalog_only = check_series(*args)
        for name in catalog_only:
            print(f"note: {name} is not in this scrape (no Vulkan worker here?); found in the catalog")
    elif command == "dashboard-rules":  # every dashboard query as a recording rule, for promtool check rules
        print("groups:\n  - name: dashboard\n    rules:")
        for i, (_, e) in enumerate(dashboard_exprs(args[0])):
            print(f"      - record: dashboard:query{i}\n        expr: {json.dumps(concrete(e))}")
        sys.exit(0)
    elif command == "exprs":  # the dashboard's queries, one JSON string a line
        for _, e in dashboard_exprs(args[0]):
            print(json.dumps(concrete(e)))
        sys.exit(0)
    else:
        sys.exit(f"unknown command {command}")
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)
EOF
mon() { python3 "$work/monitoring.py" "$@"; }

# ---- 1. rules and their unit tests -------------------------------------------------------------------------
out=$(promtool check rules "$rules" 2>&1) || fail "promtool check rules $rules:"$'\n'"$out"
say "$(grep -o 'SUCCESS: .*' <<<"$out")"
out=$(promtool test rules "$tests" 2>&1) || fail "promtool test rules $tests:"$'\n'"$out"
say "promtool test rules: $(grep -c 'alertname: ' "$tests") alert evaluations, SUCCESS"
for alert in $(sed -n 's/^ *- alert: //p' "$rules"); do
    grep -q "alertname: $alert\$" "$tests" || fail "$alert has no test in $tests"
done

# ---- 2. dashboard and runbook links --------------------------------------------------------------------------
python3 -m json.tool "$dashboard" >/dev/null || fail "$dashboard is not valid JSON"
mon dashboard "$dashboard" || fail "$dashboard: see above"
mon dashboard-rules "$dashboard" >"$work/dashboard-rules.yml"
out=$(promtool check rules "$work/dashboard-rules.yml" 2>&1) || fail "a dashboard query is not PromQL:"$'\n'"$out"
say "dashboard: $(mon exprs "$dashboard" | wc -l) queries parse as PromQL"
[[ -f $runbook ]] || fail "$runbook missing"
mon anchors "$rules" "$runbook" runbook/READINESS.md || fail "runbook links: see above"
say "every runbook_url and every link into $runbook names one of its headings"

# ---- 3. live: vkserved and Prometheus ------------------------------------------------------------------------
port=$(free_port)
# setpriv --pdeathsig: vkserved and Prometheus die with this script even when it is killed outright.
setpriv --pdeathsig KILL .build/release/vkserved --runtime-dir "$work" --control-socket "$work/control.sock" --listen "127.0.0.1:$port" \
    --set workers.vulkan=1 --set workers.software_vulkan=true --set workers.cpu=1 --set workers.threads=1 \
    --set restart.every=0 --log stderr >"$work/vkserved.log" 2>&1 &
vkserved_pid=$!
# Both workers up (the Vulkan one on lavapipe, or its CPU stand-in where Vulkan does not work), a running
# Vulkan worker with its device memory figures, which it reports a moment after it is up.
all_up() {
    local scrape
    scrape=$(curl -s "127.0.0.1:$port/metrics")
    [[ $(grep -c '^vkserve_worker_up{.*} 1' <<<"$scrape") -ge 2 ]] \
        && [[ $(grep -c '^vkserve_worker_vram_used_bytes' <<<"$scrape") -ge \
              $(grep -c '^vkserve_worker_up{.*backend="vulkan".*} 1' <<<"$scrape") ]]
}
for _ in $(seq 600); do
    ready=$(curl -s "127.0.0.1:$port/ready" || true)
    all_up && break
    kill -0 $vkserved_pid 2>/dev/null || { cat "$work/vkserved.log" >&2; fail "vkserved exited"; }
    sleep 0.1
done
[[ $ready == *'"ready"'* ]] || { cat "$work/vkserved.log" >&2; fail "vkserved not ready within 60 s: $ready"; }
traffic() { # one completion on each endpoint
    local endpoint body
    for endpoint in completions chat/completions; do
        body='{"prompt": "The capital of France is", "max_tokens": 4, "messages": [{"role": "user", "content": "Hi"}]}'
        [[ $endpoint == completions ]] && body='{"prompt": "The capital of France is", "max_tokens": 4}'
        curl -sf "127.0.0.1:$port/v1/$endpoint" -H 'Content-Type: application/json' -d "$body" >/dev/null \
            || fail "a completion on /v1/$endpoint failed"
    done
}
workers_up() { # wait until both workers run again after a kill
    for _ in $(seq 600); do
        all_up && return 0
        sleep 0.1
    done
    fail "the workers did not come back within 60 s"
}
# A streamed prompt longer than the context (4096 tokens): the client's error. A stream's 200 waits for its first
# token, so it is answered 400 context_length_exceeded, counted as vkserve_http_requests_total{status="400"}.
client_error_stream() {
    python3 -c 'import json; print(json.dumps({"prompt": "word " * 5000, "max_tokens": 4, "stream": True}))' \
        >"$work/long.json"
    curl -sN "127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' -d @"$work/long.json" \
        -o "$work/long.sse" -w '%{http_code}' >"$work/long.status" || fail "the long streamed prompt got no answer"
    [[ $(cat "$work/long.status") == 400 ]] && grep -q '"code":"context_length_exceeded"' "$work/long.sse" \
        || fail "a streamed prompt over the context was not answered 400 context_length_exceeded:" \
            "$(cat "$work/long.status") $(tail -c 300 "$work/long.sse")"
}
# A stream whose worker is killed (SIGKILL) after its first token: it ends with a worker_failed error event,
# counted as vkserve_stream_errors_total{code="worker_failed"} (the request itself as a 200).
kill_under_stream() {
    local body='{"prompt": "Here is a long story about a dragon. Chapter 1.", "max_tokens": 400, "stream": true}'
    # A worker's in_flight comes from its heartbeats: wait until none reports the requests before, or a
    # stale count could name a worker that is not serving this stream.
    for _ in $(seq 100); do
        [[ -z $(.build/release/supervisorctl --socket "$work/control.sock" status --json | python3 -c \
            'import json, sys; print(*[r["pid"] for r in json.load(sys.stdin)["status"]["rows"] if r["in_flight"]])') ]] && break
        sleep 0.1
    done
    curl -sN "127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' -d "$body" >"$work/killed.sse" &
    local client=$! busy=
    for _ in $(seq 200); do
        if grep -q '"text"' "$work/killed.sse"; then
            busy=$(.build/release/supervisorctl --socket "$work/control.sock" status --json | python3 -c \
                'import json, sys; print(*[r["pid"] for r in json.load(sys.stdin)["status"]["rows"]
                                           if r["in_flight"]])')
            [[ -n $busy ]] && break
        fi
        sleep 0.05
    done
    [[ -n $busy ]] || { kill "$client" 2>/dev/null; fail "no worker took the stream within 10 s"; }
    kill -KILL $busy
    wait "$client" || true
    grep -q '^data: {"error".*"worker_failed"' "$work/killed.sse" || fail \
        "a stream whose worker was killed did not end in a worker_failed event: $(tail -c 300 "$work/killed.sse")"
    workers_up
}
traffic
# Before Prometheus scrapes: a counter's series appears at 1 with its first event, which rate() cannot see,
# so each kind of failed stream happens once here and again once Prometheus watches.
client_error_stream
kill_under_stream
curl -sf "127.0.0.1:$port/metrics" >"$work/scrape.txt" || fail "cannot scrape /metrics"
out=$(promtool check metrics <"$work/scrape.txt" 2>&1) || fail "promtool check metrics:"$'\n'"$out"
for family in 'vkserve_http_requests_total{endpoint="/v1/completions",status="400"} 1' \
    'vkserve_stream_errors_total{code="worker_failed"} 1' 'vkserve_queue_limit 64' 'vkserve_slots_per_worker 12' \
    'vkserve_build_info{version="'; do
    grep -qF "$family" "$work/scrape.txt" || fail "no $family... in the scrape: vkserved older than its sources?"
done
mon series "$rules" "$dashboard" "$work/scrape.txt" "$catalog" || fail "alerts or dashboard name missing series"
say "every metric, label and reason/state value in $rules and $dashboard exists (live scrape of vkserved)"

prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$project/$rules"]
scrape_configs:
  - job_name: vkserve
    static_configs: [{targets: ["127.0.0.1:$port"]}]
EOF
setpriv --pdeathsig KILL prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
api="http://127.0.0.1:$prom_port/api/v1"
query() { curl -sf --get "$api/query" --data-urlencode "query=$1"; }
# Wait for the rules to have evaluated a few times over several scrapes.
for _ in $(seq 300); do
    n=$(query 'count_over_time(up{job="vkserve"}[1m])' 2>/dev/null | python3 -c \
        'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' \
        2>/dev/null || echo 0)
    [[ ${n%.*} -ge 5 ]] && break
    kill -0 $prometheus_pid 2>/dev/null || { cat "$work/prometheus.log" >&2; fail "prometheus exited"; }
    sleep 0.1
done
[[ ${n%.*} -ge 5 ]] || { cat "$work/prometheus.log" >&2; fail "prometheus did not scrape vkserved"; }
# A healthy instance whose only failure is the client's (a prompt over the context, in a stream, answered 400):
# that is half of its requests now, and VkserveHighErrorRate must not count it.
traffic
client_error_stream
sleep 3
curl -sf "$api/rules" >"$work/rules.json" || fail "cannot read Prometheus' rules"
python3 - "$work/rules.json" <<'EOF' || fail "alert rules do not evaluate cleanly against real series"
import json, sys
rules = [r for g in json.load(open(sys.argv[1]))["data"]["groups"] for r in g["rules"]]
bad = [f"{r['name']}: {r['health']} {r.get('lastError', '')}" for r in rules if r["health"] != "ok"]
degraded = any(a["labels"]["alertname"] == "VkserveDegradedToCPU" for r in rules for a in r.get("alerts", []))
# A machine where lavapipe does not work degrades to the CPU: that alert (and only that one) may be pending.
active = [f"{a['labels']['alertname']} ({a['state']})" for r in rules for a in r.get("alerts", [])
          if a["labels"]["alertname"] != "VkserveDegradedToCPU"]
for line in bad + [f"active on a healthy instance: {a}" for a in active]:
    print(line, file=sys.stderr)
if bad or active:
    sys.exit(1)
print(f"10-monitoring: {len(rules)} rules evaluated by Prometheus: all ok, none active"
      + (" (degraded to CPU here: no usable Vulkan)" if degraded else ""))
EOF
while read -r expr; do
    expr=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]))' "$expr")
    answer=$(query "$expr") || fail "dashboard query failed in Prometheus: $expr"
    [[ $answer == *'"status":"success"'* ]] || fail "dashboard query $expr: $answer"
done < <(mon exprs "$dashboard")
say "every dashboard query runs in Prometheus"
if query 'sum(vkserve_worker_up)' | grep -q '"2"'; then :; else fail "Prometheus does not see two workers up"; fi

# A worker dies under a stream: a failure after the 200, which only vkserve_stream_errors_total shows.
kill_under_stream
for _ in $(seq 100); do
    query 'ALERTS{alertname="VkserveHighErrorRate"}' | grep -q '"alertstate":"pending"' && break
    sleep 0.1
done
query 'ALERTS{alertname="VkserveHighErrorRate"}' | grep -q '"alertstate":"pending"' \
    || fail "VkserveHighErrorRate is not pending after a stream failed on a killed worker"
say "a worker killed under a stream: VkserveHighErrorRate pending (the client's failed streams left it silent)"

stop "$vkserved_pid"
vkserved_pid=
for _ in $(seq 100); do
    query 'ALERTS{alertname="VkserveDown"}' | grep -q '"alertstate":"pending"' && break
    sleep 0.1
done
query 'ALERTS{alertname="VkserveDown"}' | grep -q '"alertstate":"pending"' \
    || fail "VkserveDown is not pending after vkserved stopped"
say "vkserved stopped: VkserveDown pending in Prometheus"
stop "$prometheus_pid"
prometheus_pid=

# ---- 4. the checks can fail -----------------------------------------------------------------------------------
mkdir -p "$work/broken"
cp "$tests" "$work/broken/alerts.test.yml"
sed 's/^\(        expr: \)up{job="vkserve"} == 0$/\1up{job="vkserve"} === 0/' "$rules" >"$work/broken/alerts.yml"
cmp -s "$rules" "$work/broken/alerts.yml" && fail "self-test: could not break $rules"
promtool check rules "$work/broken/alerts.yml" >/dev/null 2>&1 && fail "self-test: promtool accepted a broken rule"
sed 's/ > 0\.05$/ > 0.5/' "$rules" >"$work/broken/alerts.yml"
cmp -s "$rules" "$work/broken/alerts.yml" && fail "self-test: could not move a threshold in $rules"
(cd "$work/broken" && promtool test rules alerts.test.yml >/dev/null 2>&1) \
    && fail "self-test: the unit tests passed with the 50 ms threshold at 500 ms"
sed 's/rate(vkserve_stream_errors_total{code!~"context_length_exceeded|invalid_value"}/rate(absent_metric{}/' \
    "$rules" >"$work/broken/alerts.yml"
cmp -s "$rules" "$work/broken/alerts.yml" && fail "self-test: could not drop the stream errors from $rules"
(cd "$work/broken" && promtool test rules alerts.test.yml >/dev/null 2>&1) \
    && fail "self-test: the unit tests passed with an error rate blind to failed streams"
sed 's/{code!~"context_length_exceeded|invalid_value"}//' "$rules" >"$work/broken/alerts.yml"
(cd "$work/broken" && promtool test rules alerts.test.yml >/dev/null 2>&1) \
    && fail "self-test: the unit tests passed with an error rate counting the clients' failed streams"
sed 's/vkserve_degraded == 1/vkserve_degradd == 1/' "$rules" >"$work/broken/alerts.yml"
mon series "$work/broken/alerts.yml" "$dashboard" "$work/scrape.txt" "$catalog" 2>/dev/null \
    && fail "self-test: an unknown metric name passed the series check"
say "self-test: a broken rule, a moved threshold, a blind or overeager error rate and an unknown metric are caught"
say "passed"
