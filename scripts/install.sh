#!/usr/bin/env bash
# Install vkserve as a systemd service: binaries, units, sysusers.d/tmpfiles.d entries, the configuration
# (only when there is none: an operator's file is never overwritten), optionally a model. Safe to run again:
# it changes only what differs and says so. Run as root from the project (after `swift build -c release`).
set -euo pipefail
origin=$PWD
cd "$(dirname "$0")/.."

usage() {
    cat <<'EOF'
Usage: scripts/install.sh [OPTIONS]
       scripts/install.sh --uninstall [--purge] [--prefix DIR] [--destdir DIR]

Installs vkserved, vkserve-worker, supervisorctl and vkserve into PREFIX/bin, vkserve.service and
vkserve.socket into /etc/systemd/system, /etc/sysusers.d/vkserve.conf and /etc/tmpfiles.d/vkserve.conf
(and applies them: user and group vkserve, /etc/vkserve, /var/lib/vkserve/models), the example
configuration as /etc/vkserve/vkserve.toml if that file does not exist, and the runbook into
PREFIX/share/doc/vkserve. It neither enables nor starts the service.

Options:
  --prefix DIR    where binaries and documentation go (default /usr/local); the unit's ExecStart follows
  --from DIR      take the binaries from DIR (default .build/release)
  --model FILE    also copy this GGUF model into /var/lib/vkserve/models (a fresh configuration points at it)
  --destdir DIR   stage every file under DIR (for packaging): no users created, no systemctl calls
  --uninstall     stop and disable the units, remove what install put there; keeps /etc/vkserve and
                  /var/lib/vkserve (configuration, models, state) unless --purge is given too
  --purge         with --uninstall: also remove /etc/vkserve, /var/lib/vkserve and the units' drop-ins
                  (the vkserve user stays: files elsewhere may still belong to it)
  -h, --help      this text

Then: edit /etc/vkserve/vkserve.toml, `systemctl enable --now vkserve`, `supervisorctl status`.
EOF
}

die() { echo "install.sh: $*" >&2; exit 1; }

prefix=/usr/local
from=.build/release
model=
destdir=
uninstall=0
purge=0
while (($#)); do
    case $1 in
        --prefix) [[ $# -ge 2 ]] || die "--prefix needs a folder"; prefix=$2; shift 2 ;;
        --from) [[ $# -ge 2 ]] || die "--from needs a folder"; from=$2; shift 2 ;;
        --model) [[ $# -ge 2 ]] || die "--model needs a file"; model=$2; shift 2 ;;
        --destdir) [[ $# -ge 2 ]] || die "--destdir needs a folder"; destdir=$2; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        --purge) purge=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $prefix == /* ]] || die "--prefix must be an absolute path, got '$prefix'"
# Paths given on the command line are relative to where it was typed; the default build is the project's.
[[ -z $destdir || $destdir == /* ]] || destdir=$origin/$destdir
[[ -z $model || $model == /* ]] || model=$origin/$model
[[ $from == /* || $from == .build/release ]] || from=$origin/$from
((purge == 0 || uninstall == 1)) || die "--purge goes with --uninstall"
[[ $(id -u) == 0 || -n $destdir ]] || die "run as root (or stage with --destdir DIR)"

binaries=(vkserved vkserve-worker supervisorctl vkserve)
bindir=$prefix/bin
docdir=$prefix/share/doc/vkserve
unitdir=/etc/systemd/system
config=/etc/vkserve/vkserve.toml
models=/var/lib/vkserve/models
changes=0
# systemctl only where systemd runs this machine and we install onto it (not into a staging folder).
systemd_running() { [[ -z $destdir && -d /run/systemd/system ]]; }
note() { echo "install.sh: $*"; }

# ---- uninstall: everything install put there, configuration and state only with --purge
remove() { # remove PATH
    if [[ -e $destdir$1 || -L $destdir$1 ]]; then
        rm -rf -- "$destdir$1"
        note "removed $1"
        changes=$((changes + 1))
    fi
}
if ((uninstall)); then
    if systemd_running; then
        for unit in vkserve.socket vkserve.service; do
            if systemctl -q is-enabled "$unit" 2>/dev/null || systemctl -q is-active "$unit"; then
                systemctl disable --now -q "$unit"  # the service drains in-flight requests as it stops
                note "stopped and disabled $unit"
                changes=$((changes + 1))
            fi
        done
    fi
    for b in "${binaries[@]}"; do remove "$bindir/$b"; done
    for f in "$unitdir/vkserve.service" "$unitdir/vkserve.socket" /etc/sysusers.d/vkserve.conf \
        /etc/tmpfiles.d/vkserve.conf "$docdir"; do
        remove "$f"
    done
    if ((purge)); then
        for f in "$unitdir/vkserve.service.d" "$unitdir/vkserve.socket.d" /etc/vkserve /var/lib/vkserve; do
            remove "$f"
        done
    elif [[ -e $destdir/etc/vkserve || -e $destdir/var/lib/vkserve ]]; then
        note "kept /etc/vkserve and /var/lib/vkserve (configuration, models, state; --purge removes them)"
    fi
    if systemd_running && ((changes)); then
        systemctl daemon-reload
    fi
    if ((changes)); then note "uninstalled ($changes removal(s))"; else note "nothing to remove"; fi
    exit 0
fi

# ---- checks before touching anything
[[ -d $from ]] || die "no build at $from: build first with \`swift build -c release\` (or pass --from DIR)"
for b in "${binaries[@]}"; do
    [[ -x $from/$b ]] || die "$from/$b is missing: build it with \`swift build -c release\` (or pass --from DIR)"
done
# The unit has ProtectHome=yes: a Swift runtime loaded from a toolchain under /root or /home is unreachable.
if ldd "$from/vkserved" | grep -q 'not found'; then
    die "$from/vkserved lacks shared libraries on this machine:$(ldd "$from/vkserved" | grep 'not found')"
fi
if ldd "$from/vkserved" | grep -Eq '=> /(root|home)/'; then
    die "$from/vkserved loads libraries from under /root or /home, which vkserve.service hides (ProtectHome=yes);" \
        "install the Swift toolchain elsewhere (e.g. /opt/swift) or link the Swift runtime statically"
fi
if [[ -n $model ]]; then
    [[ -f $model && -r $model ]] || die "--model $model: no such readable file"
    [[ $model == *.gguf ]] || die "--model $model: expected a .gguf file"
fi
for tool in systemd-sysusers systemd-tmpfiles; do
    [[ -n $destdir ]] || command -v "$tool" >/dev/null || die "$tool not found (Debian package systemd)"
done

# ---- helpers: install only what differs, atomically (a running binary is replaced, not overwritten)
put() { # put MODE SOURCE TARGET
    local mode=$1 source=$2 target=$destdir$3
    if [[ -f $target ]] && cmp -s "$source" "$target" && [[ $(stat -c %a "$target") == "${mode#0}" ]]; then
        return 1
    fi
    mkdir -p "$(dirname "$target")"
    install -m "$mode" "$source" "$target.install-tmp"
    mv -f "$target.install-tmp" "$target"
    note "installed $3"
    changes=$((changes + 1))
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- binaries
binaries_changed=0
for b in "${binaries[@]}"; do
    put 0755 "$from/$b" "$bindir/$b" && binaries_changed=1
done

# ---- units (paths follow --prefix), sysusers.d, tmpfiles.d
units_changed=0
sed -e "s|/usr/local/bin/|$bindir/|g" -e "s|/usr/local/share/doc/vkserve/|$docdir/|g" \
    units/vkserve.service >"$work/vkserve.service"
sed -e "s|/usr/local/share/doc/vkserve/|$docdir/|g" units/vkserve.socket >"$work/vkserve.socket"
put 0644 "$work/vkserve.service" "$unitdir/vkserve.service" && units_changed=1
put 0644 "$work/vkserve.socket" "$unitdir/vkserve.socket" && units_changed=1
put 0644 units/vkserve.sysusers /etc/sysusers.d/vkserve.conf || true
put 0644 units/vkserve.tmpfiles /etc/tmpfiles.d/vkserve.conf || true

# ---- user, group and folders
if [[ -z $destdir ]]; then
    had_user=$(getent passwd vkserve || true)
    systemd-sysusers /etc/sysusers.d/vkserve.conf
    if [[ -z $had_user ]]; then
        note "created user and group vkserve"
        changes=$((changes + 1))
    fi
    before=$(stat -c '%a %U %G' /etc/vkserve /var/lib/vkserve $models 2>/dev/null || true)
    systemd-tmpfiles --create /etc/tmpfiles.d/vkserve.conf
    after=$(stat -c '%a %U %G' /etc/vkserve /var/lib/vkserve $models)
    if [[ $before != "$after" ]]; then
        note "created /etc/vkserve, /var/lib/vkserve and $models"
        changes=$((changes + 1))
    fi
else
    mkdir -p "$destdir/etc/vkserve" "$destdir$models"
fi

# ---- model
model_name=
if [[ -n $model ]]; then
    model_name=$(basename "$model")
    if put 0640 "$model" "$models/$model_name" && [[ -z $destdir ]]; then
        chown root:vkserve "$models/$model_name"
    fi
fi

# ---- configuration: only when absent
if [[ -e $destdir$config ]]; then
    note "kept $config (an existing configuration is never replaced; the example is $docdir/vkserve.toml.example)"
    if [[ -n $model_name ]] && ! grep -q "^path = \"\(models/\|$models/\)$model_name\"" "$destdir$config"; then
        note "to serve $model_name, set path = \"models/$model_name\" under [model] in $config"
    fi
else
    cp units/vkserve.toml "$work/vkserve.toml"
    if [[ -n $model_name ]]; then  # the example names models/SmolLM2-…, relative to /var/lib/vkserve
        sed -i "s|^path = \"models/.*\"$|path = \"models/$model_name\"|" "$work/vkserve.toml"
    fi
    put 0640 "$work/vkserve.toml" "$config"
    [[ -n $destdir ]] || chown root:vkserve "$config"
fi
put 0644 units/vkserve.toml "$docdir/vkserve.toml.example" || true

# ---- documentation (the runbook, when the project has one)
for doc in runbook/*.md runbook/alerts.yml; do
    [[ -f $doc ]] && { put 0644 "$doc" "$docdir/$(basename "$doc")" || true; }
done

# ---- check the configuration the service will read, and that its model is there
if [[ -z $destdir ]]; then
    effective=$("$bindir/vkserved" --check-config "$config" 2>&1) \
        || die "$config is not valid:"$'\n'"$effective"
    model_path=$(sed -n 's/^path = "\(.*\)"$/\1/p' <<<"$effective" | head -n 1)
    [[ $model_path == /* ]] || model_path=/var/lib/vkserve/$model_path
    [[ -f $model_path ]] || note "warning: the model $model_path does not exist yet:" \
        "copy one there (or run again with --model FILE) before starting vkserve"
fi

# ---- tell systemd
if systemd_running; then
    if ((units_changed)); then
        systemctl daemon-reload
        note "reloaded systemd's unit files"
    fi
    if ((binaries_changed)) && systemctl -q is-active vkserve.service; then
        note "vkserve is still running the previous binaries: systemctl restart vkserve"
    fi
fi

if ((changes == 0)); then
    note "nothing to do: vkserve is installed and up to date"
else
    note "$changes change(s) made"
    systemd_running && ! systemctl -q is-enabled vkserve.service 2>/dev/null \
        && note "next: systemctl enable --now vkserve; then supervisorctl status"
fi
exit 0
