#!/usr/bin/env bash
# Scale-out behind nginx: two vkserved instances on loopback behind nginx running the shipped
# units/nginx/vkserve.conf (only the addresses, the port and the log directory substituted). Under load from
# 8 OpenAI clients, one instance is SIGKILLed, then restarted. Passes when no request failed before its answer
# began, only streams in flight at the kill were cut, the survivor answered everything while the other was
# down, nginx logged the failure, and traffic returned to the restarted instance (scaleout/verdict.py).
# VKSERVE_SCALEOUT_CONF=FILE runs another nginx config instead (e.g. a broken copy, to see this test fail);
# VKSERVE_SCALEOUT_KEEP=1 keeps the temporary directory (logs, requests.jsonl) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

conf_source=${VKSERVE_SCALEOUT_CONF:-units/nginx/vkserve.conf}
bin=.build/release
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
model_id=SmolLM2-135M-Instruct.Q4_1
helpers=scripts/tests/scaleout
clients=8
load_seconds=40
kill_after=10    # seconds of load before the SIGKILL
# Seconds the killed instance stays down: longer than the config's fail_timeout (10s), so nginx also tries it
# while it is down (connection refused) and not only sees its connections reset at the kill.
down_for=12

fail() { echo "30-scaleout: $*" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx_bin ]] || fail "nginx is not installed (scripts/install-deps.sh installs it)"
for file in $bin/vkserved $bin/vkserve-worker $model "$conf_source"; do
    [[ -e $file ]] || fail "missing $file (swift build -c release; scripts/fetch-models.sh)"
done

tmp=$(mktemp -d /tmp/vkserve-scaleout.XXXXXX)
chmod 755 "$tmp"    # nginx's worker process runs as nobody when the master is root
pid_a= pid_b= nginx_pid= load_pid=
stop() {  # PID...: SIGTERM, a few seconds' grace, then SIGKILL
    local pid
    for pid in "$@"; do [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do
        local alive=0
        for pid in "$@"; do [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.1
    done
    for pid in "$@"; do [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "$@"; do [[ -n $pid ]] && wait "$pid" 2>/dev/null || true; done
}
cleanup() {
    stop "$load_pid"
    stop "$nginx_pid" "$pid_a" "$pid_b"
    if [[ ${VKSERVE_SCALEOUT_KEEP:-0} == 1 ]]; then echo "30-scaleout: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

read -r port_a port_b port_nginx < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
killed=127.0.0.1:$port_a survivor=127.0.0.1:$port_b

start_instance() {  # NAME PORT: starts a vkserved with one CPU worker; its pid in $started
    mkdir -p "$tmp/$1"
    # --config /dev/null: defaults only, whatever /etc/vkserve/vkserve.toml this machine may have.
    $bin/vkserved --config /dev/null --runtime-dir "$tmp/$1" --control-socket "$tmp/$1/control.sock" \
        --listen "127.0.0.1:$2" --model $model --set workers.vulkan=0 --set workers.cpu=1 \
        --set workers.threads=1 --log stderr 2>>"$tmp/$1/vkserved.log" &
    started=$!
}
wait_ready() {  # NAME PORT
    python3 $helpers/probe.py wait "http://127.0.0.1:$2/ready" 60 \
        || { tail -20 "$tmp/$1/vkserved.log" >&2; fail "vkserved $1 never became ready"; }
}
served() { python3 $helpers/probe.py served "http://127.0.0.1:$1"; }

start_instance a "$port_a"; pid_a=$started
start_instance b "$port_b"; pid_b=$started
wait_ready a "$port_a"
wait_ready b "$port_b"

# The shipped config with only the upstream addresses, the listen port and the log directory changed.
mkdir -p "$tmp/nginx"
sed -e "s/^\( *server\) 127\.0\.0\.1:8080 /\1 $killed /" -e "s/^\( *server\) 127\.0\.0\.1:8081 /\1 $survivor /" \
    -e "s/^\( *listen\) 80;/\1 127.0.0.1:$port_nginx;/" -e "s|/var/log/nginx/|$tmp/nginx/|" \
    "$conf_source" >"$tmp/nginx/vkserve.conf"
changed=$(diff "$conf_source" "$tmp/nginx/vkserve.conf" | grep -c '^>' || true)
[[ $changed == 5 ]] || fail "expected 5 substituted lines in $conf_source (2 servers, listen, 2 logs), got $changed"
cat >"$tmp/nginx/nginx.conf" <<EOF
# The main configuration around the shipped http{} snippet, as /etc/nginx/nginx.conf provides it.
worker_processes 1;
error_log $tmp/nginx/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    include $tmp/nginx/vkserve.conf;
}
EOF
nginx_args=(-c "$tmp/nginx/nginx.conf" -p "$tmp/nginx/" -e "$tmp/nginx/error.log")
"$nginx_bin" -t -q "${nginx_args[@]}" -g "pid $tmp/nginx/nginx.pid;" || fail "nginx rejects the configuration"
"$nginx_bin" "${nginx_args[@]}" -g "daemon off; pid $tmp/nginx/nginx.pid;" &
nginx_pid=$!
python3 $helpers/probe.py wait "http://127.0.0.1:$port_nginx/v1/models" 10 || fail "nginx is not proxying"

echo "30-scaleout: vkserved a=$killed b=$survivor behind nginx 127.0.0.1:$port_nginx;" \
    "$clients clients for ${load_seconds}s, SIGKILL a at ${kill_after}s, restart it ${down_for}s later"
python3 $helpers/load.py --url "http://127.0.0.1:$port_nginx/v1" --model $model_id --clients $clients \
    --seconds $load_seconds --max-tokens 24 --out "$tmp/requests.jsonl" &
load_pid=$!
sleep $kill_after
killed_before=$(served "$port_a")
survivor_before=$(served "$port_b")
# The time is read before the signal: a stream the kill cuts can end (as the client sees it) before a
# clock read after `kill` returns, and would count as cut before the kill.
{ kill_at=$EPOCHREALTIME; kill -KILL "$pid_a"; wait "$pid_a"; } 2>/dev/null || true   # no "Killed" notice
pid_a=
# Its worker must go with it (PR_SET_PDEATHSIG), or it would hold a core while the instance is "down".
for _ in $(seq 50); do pgrep -f -- "--socket $tmp/a/" >/dev/null || break; sleep 0.1; done
! pgrep -f -- "--socket $tmp/a/" >/dev/null || fail "the killed vkserved's worker outlived it"

sleep $down_for
start_instance a "$port_a"; pid_a=$started
wait_ready a "$port_a"
back_at=$EPOCHREALTIME
wait "$load_pid" || fail "the load client failed"
load_pid=
killed_final=$(served "$port_a")
survivor_final=$(served "$port_b")
stop "$nginx_pid"; nginx_pid=

cat >"$tmp/facts" <<EOF
killed=$killed
survivor=$survivor
kill_at=$kill_at
back_at=$back_at
killed_before=$killed_before
survivor_before=$survivor_before
killed_final=$killed_final
survivor_final=$survivor_final
EOF
python3 $helpers/verdict.py --results "$tmp/requests.jsonl" --facts "$tmp/facts" \
    --access-log "$tmp/nginx/vkserve.access.log" --error-log "$tmp/nginx/vkserve.error.log"
