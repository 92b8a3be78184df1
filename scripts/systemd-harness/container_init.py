"""PID 1 of the container until it becomes systemd. Runs inside the new pid, mount, uts, ipc and network
namespaces that console_keeper.py made; builds a root file system nothing can write through to the host,
then pivots into it and executes systemd.

    container_init.py NAME CONSOLE [DIR]...    (DIR: host folders bound read-only at the same path)

The root: overlayfs with the host's / as the lower layer and a tmpfs as the upper one (the container may
write anywhere; it all vanishes with the mount namespace), a fresh /proc with /proc/sys read-only, a fresh
read-only /sys with a fresh cgroup v2 at /sys/fs/cgroup (rooted at our own cgroup through a cgroup
namespace), a tmpfs /dev with the harmless device nodes, tmpfs /run and /tmp.
"""

import ctypes
import os
import secrets
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the project (it may be bound read-only)
import common  # noqa: E402
from common import run

CLONE_NEWCGROUP = 0x02000000
MNT_DETACH = 2
SYS_PIVOT_ROOT = 155  # x86-64 and the generic syscall table differ; checked below
# Capabilities systemd keeps in the container, as systemd-nspawn grants them (plus NET_ADMIN, which the private
# network namespace makes harmless and systemd needs to bring up the loopback device). Dropped from the
# bounding set, among others: SYS_MODULE, SYS_RAWIO, SYS_TIME, MAC_*, SYSLOG, WAKE_ALARM.
KEPT_CAPABILITIES = [
    "audit_control", "audit_write", "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "ipc_owner",
    "kill", "lease", "linux_immutable", "mknod", "net_bind_service", "net_broadcast", "net_raw", "net_admin",
    "setfcap", "setgid", "setpcap", "setuid", "sys_admin", "sys_boot", "sys_chroot", "sys_nice", "sys_ptrace",
    "sys_resource", "sys_tty_config",
]
DEVICE_NODES = ["null", "zero", "full", "random", "urandom", "tty"]
# Generators and enable-links the host has that mean nothing in a throwaway container (getty on a console,
# SysV scripts, the host's fstab, its databases and web servers).
GENERATORS_DIR = "usr/lib/systemd/system-generators"
WANTS_DIRS = ["getty.target.wants", "multi-user.target.wants", "sysinit.target.wants", "timers.target.wants"]

libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        common.fail(f"{what}: {os.strerror(errno)}")


def enter_own_cgroup(name):
    """Moves this process (only it: nothing else runs yet) into a fresh cgroup and makes that the root of a
    new cgroup namespace, so systemd manages a subtree of its own and sees nothing of the host's."""
    cgroup = common.cgroup_dir(name)
    cgroup.mkdir()
    (cgroup / "cgroup.procs").write_text("0\n")
    check(libc.unshare(CLONE_NEWCGROUP), "unshare(CLONE_NEWCGROUP)")


def mount_root(state, console, binds):
    layers = state / "layers"
    root = state / "root"
    layers.mkdir(exist_ok=True)
    root.mkdir(exist_ok=True)
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "harness-layers", layers])
    (layers / "upper").mkdir()
    (layers / "work").mkdir()
    run(["mount", "-t", "overlay", "harness-root", "-o",
         f"lowerdir=/,upperdir={layers}/upper,workdir={layers}/work", root])

    run(["mount", "-t", "proc", "-o", "nosuid,nodev,noexec", "proc", root / "proc"])
    for path in ("proc/sys", "proc/sysrq-trigger"):
        if not (root / path).exists():  # kernels without CONFIG_MAGIC_SYSRQ
            continue
        run(["mount", "--bind", root / path, root / path])
        run(["mount", "-o", "remount,bind,ro", root / path])
    run(["mount", "-t", "sysfs", "-o", "ro,nosuid,nodev,noexec", "sysfs", root / "sys"])
    run(["mount", "-t", "cgroup2", "-o", "nosuid,nodev,noexec", "cgroup2", root / "sys/fs/cgroup"])

    dev = root / "dev"
    run(["mount", "-t", "tmpfs", "-o", "mode=0755,nosuid", "harness-dev", dev])
    for node in DEVICE_NODES + ["console"]:
        (dev / node).touch()
        run(["mount", "--bind", console if node == "console" else f"/dev/{node}", dev / node])
    (dev / "pts").mkdir()
    run(["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620,gid=5", "devpts", dev / "pts"])
    (dev / "ptmx").symlink_to("pts/ptmx")
    (dev / "shm").mkdir()
    run(["mount", "-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "harness-shm", dev / "shm"])
    for link, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        (dev / link).symlink_to(target)
    run(["mount", "-t", "tmpfs", "-o", "mode=0755,nosuid,nodev", "harness-run", root / "run"])
    run(["mount", "-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "harness-tmp", root / "tmp"])

    for source in binds:
        target = root / source.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        run(["mount", "--bind", source, target])
        run(["mount", "-o", "remount,bind,ro", target])
    return root


def prepare_systemd(root, name):
    """Edits the overlay (never the host): no host enable-links or generators, a volatile journal, an own
    machine id and host name."""
    for wants in WANTS_DIRS:
        folder = root / "etc/systemd/system" / wants
        if folder.is_dir():
            for link in folder.iterdir():
                link.unlink()
    generators = root / GENERATORS_DIR
    if generators.is_dir():
        for generator in generators.iterdir():
            generator.unlink()
    conf = root / "etc/systemd/journald.conf.d"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "harness.conf").write_text("[Journal]\nStorage=volatile\nRateLimitBurst=0\n")
    (root / "etc/machine-id").write_text(secrets.token_hex(16) + "\n")
    (root / "etc/hostname").write_text(name + "\n")


def pivot_into(root):
    os.chdir(root)
    check(libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    check(libc.umount2(b".", MNT_DETACH), "umount of the old root")
    os.chdir("/")


def main():
    if os.uname().machine != "x86_64":
        common.fail("container_init.py knows pivot_root's syscall number for x86-64 only")
    name = common.check_name(sys.argv[1])
    console = sys.argv[2]
    binds = [os.path.abspath(path) for path in sys.argv[3:]]
    if os.getpid() != 1:
        common.fail("container_init.py must run as PID 1 of a new pid namespace (use boot.py start)")
    state = common.state_dir(name)
    enter_own_cgroup(name)
    root = mount_root(state, console, binds)
    prepare_systemd(root, name)
    run(["hostname", name])
    pivot_into(root)
    bounding = "-all," + ",".join("+" + capability for capability in KEPT_CAPABILITIES)
    os.execv("/usr/bin/setpriv", [
        "setpriv", f"--bounding-set={bounding}", "--",
        "/usr/bin/env", "-i", "container=vkserve-harness", "TERM=linux",
        "/lib/systemd/systemd", "--system", "--unit=multi-user.target",
    ])


if __name__ == "__main__":
    main()
