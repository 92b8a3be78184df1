#!/usr/bin/env bash
# units/ in a real systemd (issue 8). Static checks first: `systemd-analyze verify` prints nothing for each
# unit, `systemd-analyze security` scores vkserve.service at 2.0 or less. Then a throwaway systemd booted
# as PID 1 in namespaces (scripts/systemd-harness/boot.py), where scripts/install.sh installs vkserve
# and the test starts it, serves a completion, reads the journal's structured fields, lets a member of
# group vkserve use supervisorctl, freezes vkserved (SIGSTOP) until systemd's watchdog restarts it,
# reloads under streaming load without a failed request (and refuses a broken configuration), stops while
# a long request is in flight (it completes; nothing is left), activates through vkserve.socket and
# restarts behind it under load, starts slower than TimeoutStartSec (vkserved extends it), stops quickly
# when idle, and uninstalls. Needs root; runs against the release binaries (swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/../.."
project=$PWD
harness=$project/scripts/systemd-harness/boot.py
client=$project/scripts/systemd-harness/load_client.py
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
name=vkserve-test-$$
booted=0
diagnose=1
late_failures=()  # steps the others do not depend on: reported at the end
work=$(mktemp -d)
began=$(date +%s.%N)

say() { echo "20-systemd: $*"; }
fail() {
    echo "20-systemd: FAIL: $*" >&2
    ((booted && diagnose)) && "$harness" diagnose "$name" vkserve.service vkserve.socket >&2 || true
    exit 1
}
inside() { "$harness" exec "$name" "$@"; }
# Waits (one call into the container, so it notices at once) until FILE exists inside; false after 60 s.
wait_for_file() { inside timeout 60 sh -c "until [ -e $1 ]; do sleep 0.05; done"; }
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
cleanup() {
    local code=$?
    for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done
    if ((booted)); then "$harness" stop "$name" >/dev/null || code=1; fi
    rm -rf "$work"
    # Nothing may be left on the host: no state folder, no cgroup, no mount, no process of the container.
    if [[ -e /run/vkserve-harness/$name ]] || ls -d /sys/fs/cgroup/{,unified/}vkserve-harness-"$name" 2>/dev/null \
        || grep -q "vkserve-harness/$name" /proc/self/mountinfo; then
        echo "20-systemd: FAIL: container $name left something behind on the host" >&2
        code=1
    fi
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || fail "needs root (namespaces, mounts, cgroups); CI runs it as root"
for b in vkserved vkserve-worker supervisorctl vkserve; do
    [[ -x .build/release/$b ]] || fail ".build/release/$b missing: swift build -c release"
done
[[ -f $model ]] || fail "$model missing: scripts/fetch-models.sh"

# ---- static checks -----------------------------------------------------------------------------------
# verify resolves ExecStart=, so check an installed copy staged in a temporary folder whose ExecStart
# names the staged binary. Any output on stderr (verify exits 0 on warnings) is a failure.
scripts/install.sh --destdir "$work/stage" >/dev/null
staged=$work/stage/etc/systemd/system
sed -i "s|/usr/local/bin/|$work/stage/usr/local/bin/|" "$staged/vkserve.service"
for unit in vkserve.service vkserve.socket; do
    warnings=$(cd "$staged" && systemd-analyze verify "./$unit" 2>&1 >/dev/null) || fail "verify $unit: $warnings"
    [[ -z $warnings ]] || fail "systemd-analyze verify $unit printed:"$'\n'"$warnings"
done
security=$(systemd-analyze security --offline=yes units/vkserve.service 2>&1) || fail "security: $security"
exposure=$(sed -n 's/.*Overall exposure level for vkserve.service: \([0-9.]*\).*/\1/p' <<<"$security")
[[ -n $exposure ]] || fail "no exposure figure in systemd-analyze security's output:"$'\n'"$security"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' \
    || fail "exposure $exposure is above 2.0:"$'\n'"$(grep '✗' <<<"$security")"
# --prefix moves the binaries, and the unit's ExecStart follows.
scripts/install.sh --destdir "$work/prefixed" --prefix /opt/vkserve >/dev/null
[[ -x $work/prefixed/opt/vkserve/bin/vkserved ]] || fail "install.sh --prefix /opt/vkserve put no vkserved there"
grep -qx 'ExecStart=/opt/vkserve/bin/vkserved --config /etc/vkserve/vkserve.toml' \
    "$work/prefixed/etc/systemd/system/vkserve.service" || fail "install.sh --prefix did not rewrite ExecStart="
say "static: systemd-analyze verify clean for vkserve.service and vkserve.socket; exposure $exposure ($(
    awk '{ print $(NF-1), $NF }' <<<"$(tail -n 1 <<<"$security")"))"

# ---- boot and install ----------------------------------------------------------------------------------
booted=1
"$harness" start "$name" --bind "$project" >/dev/null || { booted=0; fail "the container did not boot"; }
install_log=$(inside --cd "$project" -- scripts/install.sh --model "$model" 2>&1) || fail "install.sh: $install_log"
# systemd-sysusers and systemd-tmpfiles report a bad line as FILE:LINE: and carry on.
! grep -E 'vkserve\.conf:[0-9]+' <<<"$install_log" || fail "sysusers.d/tmpfiles.d complained:"$'\n'"$install_log"
again=$(inside --cd "$project" -- scripts/install.sh 2>&1) || fail "install.sh (second run): $again"
grep -q "nothing to do" <<<"$again" || fail "a second install.sh changed something:"$'\n'"$again"
inside id -nG vkserve | grep -qw render || fail "user vkserve is not in group render"
warnings=$(inside systemd-analyze verify /etc/systemd/system/vkserve.service /etc/systemd/system/vkserve.socket 2>&1)
[[ -z $warnings ]] || fail "systemd-analyze verify of the installed units printed:"$'\n'"$warnings"
say "install: $(grep -c installed <<<"$install_log") files installed, user vkserve created; second run: nothing to do"

# The test's configuration (an operator's edit of /etc/vkserve/vkserve.toml) and a short watchdog.
write_config() { # write_config [TOP-LEVEL LINE]...
    { printf '%s\n' "$@"; cat <<'EOF'
[model]
path = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
context = 512
slots = 4
[workers]
vulkan = 0
cpu = 2
threads = 1
[restart]
drain_timeout = "20s"
EOF
    } | inside sh -c 'cat >/etc/vkserve/vkserve.toml'
}
write_config
inside sh -c 'mkdir -p /etc/systemd/system/vkserve.service.d &&
    printf "[Service]\nWatchdogSec=4s\nRestartSec=500ms\n" >/etc/systemd/system/vkserve.service.d/test.conf &&
    systemctl daemon-reload'

# ---- start, serve, status, journal ---------------------------------------------------------------------
t=$(date +%s.%N)
inside systemctl start vkserve || fail "systemctl start vkserve failed"
start_s=$(seconds_since "$t")
[[ $(inside systemctl is-active vkserve) == active ]] || fail "vkserve is not active after start"
completion=$(inside python3 "$client" long --max-tokens 8) || fail "no completion: $completion"
grep -q '"completion_tokens": 8,' <<<"$completion" || fail "unexpected completion: $completion"
inside supervisorctl status >/dev/null || fail "supervisorctl status exited $?"
fields=$(inside journalctl -u vkserve -o json --no-pager VKSERVE_EVENT=state) || fail "journalctl failed"
grep -q '"SYSLOG_IDENTIFIER":"vkserved"' <<<"$fields" || fail "no SYSLOG_IDENTIFIER=vkserved entries"
grep -q '"VKSERVE_WORKER":"cpu-0"' <<<"$fields" || fail "journal entries lack VKSERVE_WORKER"
grep -q '"VKSERVE_TO":"ready"' <<<"$fields" || fail "journal entries lack VKSERVE_TO=ready"
say "start: active in ${start_s} s; completion served; supervisorctl status 0;" \
    "journal: $(grep -c . <<<"$fields") VKSERVE_EVENT=state entries with VKSERVE_WORKER/FROM/TO, SYSLOG_IDENTIFIER"

# An operator in group vkserve (a supplementary group, as `usermod -aG vkserve NAME` makes it) may use
# supervisorctl. vkserve.service hides other users' processes (ProtectProc=invisible), so vkserved cannot
# learn that membership from /proc/PID/status.
inside useradd --no-create-home --no-user-group --groups vkserve vkserve-operator
if operator=$(inside runuser -u vkserve-operator -- supervisorctl status 2>&1); then
    say "operator: a member of group vkserve may use supervisorctl"
else
    late_failures+=("a member of group vkserve was refused by supervisorctl: $operator")
fi

# ---- watchdog: a frozen vkserved is killed and restarted by systemd -------------------------------------
main_pid=$(inside systemctl show -P MainPID vkserve)
inside kill -STOP "$main_pid"
t=$(date +%s.%N)
killed_s= restarted_s=
for _ in $(seq 1 300); do
    pid=$(inside systemctl show -P MainPID vkserve)
    [[ -z $killed_s && $pid != "$main_pid" ]] && killed_s=$(seconds_since "$t")
    if [[ -n $killed_s && $pid != 0 && $(inside systemctl is-active vkserve) == active ]]; then
        restarted_s=$(seconds_since "$t")
        break
    fi
    sleep 0.1
done
[[ -n $restarted_s ]] || fail "vkserve was not restarted within 30 s of SIGSTOP"
journal=$(inside journalctl -u vkserve --no-pager -o short-precise)
for line in "Watchdog timeout" "Failed with result 'watchdog'" "Scheduled restart job"; do
    grep -q "$line" <<<"$journal" || fail "the journal lacks \"$line\""
done
inside supervisorctl status >/dev/null || fail "supervisorctl status after the watchdog restart"
workers=$(inside sh -c 'grep -l "^Name:[[:space:]]*vkserve-worker" /proc/[0-9]*/status | wc -l')
[[ $workers == 2 ]] || fail "$workers worker processes after the watchdog restart (2 configured): old ones survived"
say "watchdog: SIGSTOP → killed after ${killed_s} s, active again after ${restarted_s} s (WatchdogSec=4s); journal:"
grep -E "Watchdog timeout|process $main_pid|Main process exited|result 'watchdog'|Scheduled restart job" \
    <<<"$journal" | sed 's/^/    /'

# ---- reload under streaming load: a rolling restart, no failed request ----------------------------------
pids_of_workers() { inside supervisorctl status --json | python3 -c \
    'import json, sys; print(" ".join(str(r["pid"]) for r in json.load(sys.stdin)["status"]["rows"]))'; }
before=$(pids_of_workers)
# The load goes on until the roll is over (/tmp/load-stop), at most 180 s: a loaded machine rolls slowly.
inside python3 "$client" load --concurrency 3 --duration 180 --started /tmp/load-started --until /tmp/load-stop \
    >"$work/load.json" &
load_job=$!
wait_for_file /tmp/load-started || fail "the load never got going"
# A changed setting makes every worker's command line differ, so the reload restarts each of them.
inside sed -i 's/^slots = 4$/slots = 3/' /etc/vkserve/vkserve.toml
t=$(date +%s.%N)
inside systemctl reload vkserve || fail "systemctl reload vkserve failed"
reload_s=$(seconds_since "$t")
rolled_s=
roll_deadline=$(( $(date +%s) + 120 ))
while (( $(date +%s) < roll_deadline )); do
    now=$(pids_of_workers)
    if inside supervisorctl status >/dev/null && [[ -z $(comm -12 <(tr ' ' '\n' <<<"$before" | sort) \
        <(tr ' ' '\n' <<<"$now" | sort)) ]]; then
        rolled_s=$(seconds_since "$t")
        break
    fi
    sleep 0.1
done
[[ -n $rolled_s ]] || fail "the workers were not all replaced within 120 s of the reload (before: $before, now: $now)"
kill -0 "$load_job" 2>/dev/null || fail "the load ended before the rolling restart finished; lengthen it"
sleep 1  # a last second of load on the new workers
inside touch /tmp/load-stop
wait "$load_job" || fail "requests failed during the reload: $(cat "$work/load.json")"
inside journalctl -u vkserve --no-pager | grep -q "Reloading vkserve.service" || fail "systemd saw no reload"
say "reload: systemctl reload returned in ${reload_s} s; workers [$before] → [$now] in ${rolled_s} s;" \
    "load (3 streaming clients, through the roll): $(cat "$work/load.json")"

# A reload with a broken configuration changes nothing and says why.
inside sh -c 'cp /etc/vkserve/vkserve.toml /tmp/good.toml && echo "slots = \"many\"" >>/etc/vkserve/vkserve.toml'
inside systemctl reload vkserve || fail "systemctl reload (broken configuration) failed"
for _ in $(seq 1 50); do
    inside journalctl -u vkserve --no-pager -o cat VKSERVE_EVENT=reload_failed | grep -q . && break
    sleep 0.1
done
refusal=$(inside journalctl -u vkserve --no-pager -o cat VKSERVE_EVENT=reload_failed)
[[ -n $refusal ]] || fail "a broken configuration was reloaded without a reload_failed entry"
[[ $(inside systemctl is-active vkserve) == active && $(pids_of_workers) == "$now" ]] \
    || fail "a broken configuration disturbed the service"
inside cp /tmp/good.toml /etc/vkserve/vkserve.toml
say "reload of a broken configuration: refused, service untouched; journal: $refusal"

# ---- stop drains: the in-flight request completes, then nothing is left -----------------------------------
inside python3 "$client" long --max-tokens 450 --mark-after 20 --mark /tmp/long-started >"$work/long.json" &
long_job=$!
wait_for_file /tmp/long-started || fail "the long request never started streaming"
t=$(date +%s.%N)
inside systemctl stop vkserve || fail "systemctl stop vkserve failed"
stop_s=$(seconds_since "$t")
stopped_at=$(date +%s.%N)
wait "$long_job" || fail "the in-flight request failed during the stop: $(cat "$work/long.json")"
grep -q '"finish_reason": "length", "completion_tokens": 450' "$work/long.json" \
    || fail "the in-flight request was cut short: $(cat "$work/long.json")"
ended_at=$(sed -n 's/.*"ended_at": \([0-9.]*\).*/\1/p' "$work/long.json")
awk -v s="$t" -v e="$ended_at" -v d="$stopped_at" 'BEGIN { exit !(s < e && e <= d) }' \
    || fail "the request did not end while the stop was under way (stop $t…$stopped_at, request end $ended_at)"
[[ $(inside systemctl is-active vkserve || true) == inactive ]] || fail "vkserve is not inactive after stop"
result=$(inside systemctl show -P Result vkserve)
[[ $result == success ]] || fail "the stop ended with result '$result' (timeout or kill instead of a drain)"
leftovers=$(inside sh -c 'grep -ls "^Uid:[[:space:]]*$(id -u vkserve)[[:space:]]" /proc/[0-9]*/status' || true)
[[ -z $leftovers ]] || fail "processes of user vkserve survived the stop: $leftovers"
say "stop: took ${stop_s} s while a 450-token request was in flight; it completed ($(cat "$work/long.json"));" \
    "unit inactive, result success, no process left"

# ---- socket activation: systemd holds 127.0.0.1:8080; the first connection starts vkserve, and connections
# made while it restarts wait in the socket's backlog instead of being refused -----------------------------
# vkserved adopts an inherited listening socket (LISTEN_FDS) once its sources use SocketActivation; until then
# this step reports what happens and is marked as waiting on vkserved instead of failing.
if grep -rqs "SocketActivation.listeningSockets" Sources --include=*.swift --exclude-dir=Systemd; then
    socket_required=1
else
    socket_required=0
fi
inside systemctl start vkserve.socket || fail "systemctl start vkserve.socket failed"
t=$(date +%s.%N)
if health=$(inside python3 "$client" get /health 2>&1) && [[ $(inside systemctl is-active vkserve.service) == active ]]
then
    activation_s=$(seconds_since "$t")
    first_pid=$(inside systemctl show -P MainPID vkserve)
    inside rm -f /tmp/load-started /tmp/load-stop
    inside python3 "$client" load --concurrency 3 --duration 120 --started /tmp/load-started --until /tmp/load-stop \
        >"$work/load.json" &
    load_job=$!
    wait_for_file /tmp/load-started || fail "the load never got going (socket-activated)"
    t=$(date +%s.%N)
    inside systemctl restart vkserve.service || fail "systemctl restart vkserve (socket-activated) failed"
    restart_s=$(seconds_since "$t")
    [[ $(inside systemctl show -P MainPID vkserve) != "$first_pid" ]] || fail "vkserved was not restarted"
    kill -0 "$load_job" 2>/dev/null || fail "the load ended before the restart finished"
    sleep 2  # load on the restarted service
    inside touch /tmp/load-stop
    wait "$load_job" || fail "requests failed across a restart behind vkserve.socket: $(cat "$work/load.json")"
    say "socket: the first connection started vkserve.service and was answered in ${activation_s} s ($health);" \
        "restart under load in ${restart_s} s: $(cat "$work/load.json")"
    inside systemctl stop vkserve.socket vkserve.service
elif ((socket_required)); then
    fail "socket activation: no answer through vkserve.socket ($health)"
else
    say "socket: WAITING ON vkserved (LISTEN_FDS support): $(inside journalctl -u vkserve.service --no-pager -n 40 \
        | grep -m 1 -iE 'address|bind|listen' || echo "$health")"
    inside systemctl stop vkserve.socket vkserve.service || true
    inside systemctl reset-failed vkserve.socket vkserve.service || true
fi

# ---- a slow start: vkserved extends TimeoutStartSec (EXTEND_TIMEOUT_USEC) while its workers come up -------
# The workers get a wrapper that waits 6 s before it starts the real worker; the unit allows 3 s.
inside sh -c 'printf "#!/bin/sh\nsleep 6\nexec /usr/local/bin/vkserve-worker \"\$@\"\n" \
    >/usr/local/bin/vkserve-worker-slow && chmod 755 /usr/local/bin/vkserve-worker-slow'
write_config 'worker_binary = "/usr/local/bin/vkserve-worker-slow"'
inside sh -c 'printf "[Service]\nTimeoutStartSec=3s\n" >/etc/systemd/system/vkserve.service.d/slow.conf &&
    systemctl daemon-reload'
t=$(date +%s.%N)
inside systemctl start vkserve || fail "a start slower than TimeoutStartSec=3s was not extended"
slow_start_s=$(seconds_since "$t")
inside systemctl stop vkserve
inside rm /etc/systemd/system/vkserve.service.d/slow.conf
write_config
say "slow start: workers ready after ${slow_start_s} s with TimeoutStartSec=3s (extended by vkserved)"

# ---- an idle stop with the shipped WatchdogSec=30s is quick (vkserved's watchdog loop must not hold it) --
inside rm /etc/systemd/system/vkserve.service.d/test.conf
inside systemctl daemon-reload
inside systemctl start vkserve || fail "systemctl start vkserve (shipped watchdog) failed"
t=$(date +%s.%N)
inside systemctl stop vkserve
idle_stop_s=$(seconds_since "$t")
if awk -v s="$idle_stop_s" 'BEGIN { exit !(s < 10) }'; then
    say "idle stop with WatchdogSec=30s: ${idle_stop_s} s"
else
    late_failures+=("an idle stop took ${idle_stop_s} s with WatchdogSec=30s: vkserved waits out its watchdog period \
(WATCHDOG_USEC/2) before it exits")
fi

# ---- uninstall keeps configuration and state; --purge removes them -------------------------------------
removed=$(inside --cd "$project" -- scripts/install.sh --uninstall 2>&1) || fail "install.sh --uninstall: $removed"
inside test -f /etc/vkserve/vkserve.toml || fail "--uninstall removed the configuration"
inside test ! -e /usr/local/bin/vkserved -a ! -e /etc/systemd/system/vkserve.service || fail "--uninstall left files"
again=$(inside --cd "$project" -- scripts/install.sh --uninstall 2>&1)
grep -q "nothing to remove" <<<"$again" || fail "a second --uninstall did something: $again"
inside --cd "$project" -- scripts/install.sh --uninstall --purge >/dev/null
inside test ! -e /etc/vkserve -a ! -e /var/lib/vkserve || fail "--purge left /etc/vkserve or /var/lib/vkserve"
say "uninstall: binaries and units removed, configuration kept; --purge removed it"

diagnose=0
if ((${#late_failures[@]})); then
    fail "$(printf '%s\n' "${late_failures[@]}")"
fi
say "passed in $(seconds_since "$began") s"
