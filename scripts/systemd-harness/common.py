"""What the harness's stages share: where a container's state lives, and the cgroup v2 hierarchy it uses."""

import pathlib
import re
import subprocess
import sys

# One folder per container on the host: pids, the console log and the overlay's mount point. The container
# mounts its own /run, so this folder is invisible inside it.
STATE_ROOT = pathlib.Path("/run/vkserve-harness")

# Prefix of the container's cgroup folder in the host's cgroup v2 hierarchy.
CGROUP_PREFIX = "vkserve-harness-"

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")


def fail(message):
    print(f"systemd-harness: {message}", file=sys.stderr)
    sys.exit(1)


def check_name(name):
    if not NAME_PATTERN.fullmatch(name):
        fail(f"bad container name {name!r}: use 1-41 lower-case letters, digits and '-'")
    return name


def state_dir(name):
    return STATE_ROOT / name


def read_pid(path):
    """The pid stored in `path`, or None when the file is absent or that process is gone."""
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pathlib.Path(f"/proc/{pid}").exists() else None


def cgroup2_mount():
    """Where the host mounts a cgroup v2 hierarchy: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on
    a hybrid one (cgroup v1 controllers beside it). systemd inside gets a fresh cgroup v2 from a subfolder."""
    mounts = {}
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            separator = fields.index("-")
            mounts[fields[4]] = fields[separator + 1]
    for candidate in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        if mounts.get(candidate) == "cgroup2":
            return pathlib.Path(candidate)
    fail("no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified; systemd needs one")


def cgroup_dir(name):
    return cgroup2_mount() / (CGROUP_PREFIX + name)


def run(argv, **kwargs):
    """Runs a setup command; any failure ends the stage with the command and its output."""
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        output = result.stderr.strip() or result.stdout.strip()
        fail(f"{' '.join(map(str, argv))} failed ({result.returncode}): {output}")
    return result.stdout
