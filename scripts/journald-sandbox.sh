#!/usr/bin/env bash
# A private systemd-journald for tests and development, invisible to the host.
#
#   scripts/journald-sandbox.sh PIDFILE
#
# Starts /lib/systemd/systemd-journald (override with JOURNALD=path) in a new mount namespace
# (`unshare --mount --propagation private`) where tmpfs is mounted on /run/systemd/journal,
# /run/log/journal and /var/log/journal, and a volatile journald.conf is bind-mounted over
# /etc/systemd/journald.conf: what journald writes lives and dies with the namespace. (The three
# mount points are created with mkdir -p if the host lacks them: empty folders, nothing else.)
#
# When journald's socket /run/systemd/journal/socket is up (at most 30 s), journald's PID is
# written to PIDFILE (atomically: a temporary file, then mv). Wait for PIDFILE to appear, then run
# commands inside the namespace, where sd_journal_sendv, logger and journalctl reach this journald:
#
#   nsenter -t "$(cat PIDFILE)" --mount -- journalctl --no-pager -o json SYSLOG_IDENTIFIER=vkserved
#   printf 'MESSAGE=hi\nVKSERVE_EVENT=test\n' | nsenter -t "$(cat PIDFILE)" --mount -- logger --journald
#   nsenter -t "$(cat PIDFILE)" --mount -- .build/release/vkserved ...   # logs to this journald
#
# The script stays in the foreground until journald exits or the script is killed. SIGTERM, SIGINT
# or SIGHUP stop journald, wait for it to be gone (at most 5 s) and remove PIDFILE. SIGKILL also
# tears everything down (the PIDFILE stays behind): unshare, the shell inside the namespace and
# journald each die by SIGKILL with their parent (PR_SET_PDEATHSIG: setpriv --pdeathsig, unshare --kill-child).
#
# Needs root, util-linux (unshare, setpriv, mount) and systemd's journald. Exit status: 0 when
# journald ended by itself with status 0, 143 (or 130, 129) when stopped by a signal, 1 on errors,
# 2 on bad usage.
set -euo pipefail

# Multithreaded launchers (Foundation's Process, for one) start children with most signals blocked, and bash
# can neither unblock a signal nor trap one ignored on entry: re-exec once with a clean signal mask and default
# dispositions so that SIGTERM works (perl-base is part of every Debian system).
if [[ -z "${JOURNALD_SANDBOX_REEXEC:-}" && "${1:-}" != --inside-namespace ]] && command -v perl >/dev/null 2>&1; then
    export JOURNALD_SANDBOX_REEXEC=1
    exec perl -MPOSIX -e '
        sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die "journald-sandbox: sigprocmask: $!\n";
        $SIG{$_} = "DEFAULT" for qw(TERM INT HUP);
        exec { $ARGV[0] } @ARGV or die "journald-sandbox: exec $ARGV[0]: $!\n";
    ' "$BASH" "${BASH_SOURCE[0]}" "$@"
fi
unset JOURNALD_SANDBOX_REEXEC

# Second stage, inside the namespace as the child of unshare: $0 --inside-namespace PIDFILE JOURNALD.
if [[ "${1:-}" == --inside-namespace && $# -eq 3 ]]; then
    set +e -u
    pidfile=$2
    journald=$3
    fail() { echo "journald-sandbox: $*" >&2; exit 1; }
    for dir in /run/systemd/journal /run/log/journal /var/log/journal; do
        mkdir -p "$dir" || fail "cannot create $dir"
        mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$dir" || fail "cannot mount tmpfs on $dir"
    done
    # Keep everything in this namespace: no kernel log import, no forwarding, no wall messages.
    conf=/run/systemd/journal/sandbox-journald.conf
    printf "%s\n" "[Journal]" Storage=volatile ReadKMsg=no ForwardToSyslog=no ForwardToKMsg=no \
        ForwardToConsole=no ForwardToWall=no >"$conf" || fail "cannot write $conf"
    if [[ -f /etc/systemd/journald.conf ]]; then
        mount --bind "$conf" /etc/systemd/journald.conf || fail "cannot bind-mount $conf"
    fi
    jpid=
    stop() {
        trap - TERM INT HUP
        if [[ -n "$jpid" ]]; then
            kill -TERM "$jpid" 2>/dev/null
            wait "$jpid" 2>/dev/null
        fi
        exit "$1"
    }
    trap "stop 143" TERM
    trap "stop 130" INT
    trap "stop 129" HUP
    # journald dies with this shell (--pdeathsig); its own messages go to stderr, not /dev/kmsg.
    env -u NOTIFY_SOCKET -u WATCHDOG_USEC -u WATCHDOG_PID -u LISTEN_FDS -u LISTEN_PID -u LISTEN_FDNAMES \
        SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=warning \
        setpriv --pdeathsig KILL "$journald" </dev/null &
    jpid=$!
    for _ in $(seq 300); do
        [[ -S /run/systemd/journal/socket ]] && break
        kill -0 "$jpid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ ! -S /run/systemd/journal/socket ]]; then
        echo "journald-sandbox: $journald did not create /run/systemd/journal/socket within 30 s" >&2
        stop 1
    fi
    printf "%s\n" "$jpid" >"$pidfile.tmp.$$" && mv -f "$pidfile.tmp.$$" "$pidfile" || {
        echo "journald-sandbox: cannot write $pidfile" >&2
        stop 1
    }
    wait "$jpid"
    status=$?
    jpid=
    [[ $status -eq 0 ]] || echo "journald-sandbox: journald exited with status $status" >&2
    exit "$status"
fi

die() {
    echo "journald-sandbox: $*" >&2
    exit 1
}

if [[ $# -ne 1 || -z "$1" || "$1" == -* ]]; then
    echo "usage: $0 PIDFILE" >&2
    exit 2
fi
journald=${JOURNALD:-/lib/systemd/systemd-journald}
[[ "$(id -u)" -eq 0 ]] || die "must run as root (mount namespaces and tmpfs mounts need CAP_SYS_ADMIN)"
for tool in unshare setpriv mount; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (install util-linux / mount)"
done
[[ -x "$journald" ]] || die "systemd-journald not found at $journald (install systemd or set JOURNALD=)"

self=$(readlink -f "${BASH_SOURCE[0]}")
pidfile_dir=$(cd "$(dirname "$1")" 2>/dev/null && pwd) || die "folder of PIDFILE $1 does not exist"
pidfile="$pidfile_dir/$(basename "$1")"
rm -f "$pidfile"

# unshare blocks SIGTERM and SIGINT while it waits for its child, so signals are handled here. Every link
# dies with its parent by SIGKILL, which nothing can block: this shell → unshare (setpriv --pdeathsig) → the
# shell inside (--kill-child) → journald (setpriv --pdeathsig). journald's files are on tmpfs: nothing to flush.
setpriv --pdeathsig KILL \
    unshare --mount --propagation private --fork --kill-child=KILL \
    -- "$self" --inside-namespace "$pidfile" "$journald" &
unshare_pid=$!

gone() {
    [[ ! -e "/proc/$1" ]] || [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == Z ]]
}

teardown() {
    trap - TERM INT HUP
    local jpid=
    [[ -f "$pidfile" ]] && jpid=$(cat "$pidfile" 2>/dev/null || true)
    kill -KILL "$unshare_pid" 2>/dev/null || true
    wait "$unshare_pid" 2>/dev/null || true
    if [[ "$jpid" =~ ^[0-9]+$ ]]; then
        for _ in $(seq 50); do
            gone "$jpid" && break
            sleep 0.1
        done
        if ! gone "$jpid"; then
            echo "journald-sandbox: journald (pid $jpid) still running after 5 s; sending SIGKILL" >&2
            kill -KILL "$jpid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
    exit "$1"
}
trap "teardown 143" TERM
trap "teardown 130" INT
trap "teardown 129" HUP

set +e
wait "$unshare_pid"
status=$?
set -e
rm -f "$pidfile"
exit "$status"
