#!/usr/bin/env python3
"""A real systemd booted as PID 1 in throwaway namespaces over an overlay of /, for end-to-end tests of units/.
Root only. Nothing the container does reaches the host: its writes land in a tmpfs, its network is private,
its mounts live and die with its mount namespace, and `stop` removes its cgroup and state folder.

    boot.py start NAME [--bind DIR]... [--timeout S]   boot; returns once systemd has finished booting
    boot.py exec NAME [--cd DIR] [--env K=V]... [--] COMMAND [ARG]...
                                                       run a command inside (its exit status is returned)
    boot.py diagnose NAME [UNIT]...                    systemctl status, the units' journal, failed units, console
    boot.py stop NAME                                  power off (SIGKILL if it hangs), clean up everything
    boot.py list                                       containers of this harness on this host

DIR is a host folder bound read-only at the same path (e.g. the project, which may live under /tmp, a
tmpfs inside). The console log is /run/vkserve-harness/NAME/console.log while the container runs.
"""

import argparse
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the project (it may be bound read-only)
import common  # noqa: E402
from common import fail

HERE = pathlib.Path(__file__).resolve().parent
INSIDE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NSENTER_NAMESPACES = ["--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup", "--root"]


def console_tail(state, lines=40):
    try:
        text = (state / "console.log").read_text(errors="replace")
    except FileNotFoundError:
        return "(no console log)"
    return "\n".join(text.splitlines()[-lines:])


def systemd_pid(state):
    """The host pid of the container's PID 1 once it is systemd, else None."""
    unshare = common.read_pid(state / "unshare.pid")
    if unshare is None:
        return None
    try:
        children = pathlib.Path(f"/proc/{unshare}/task/{unshare}/children").read_text().split()
        if children and pathlib.Path(f"/proc/{children[0]}/comm").read_text().strip() == "systemd":
            return int(children[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def inside(pid, argv, cwd="/", env=(), **kwargs):
    """The nsenter command line that runs argv in the container with a clean environment."""
    # --wd without a folder: PID 1's (the container's /); nsenter would resolve a folder outside the container.
    return ["nsenter", f"--target={pid}", *NSENTER_NAMESPACES, "--wd", "env", "-i", f"--chdir={cwd}",
            f"PATH={INSIDE_PATH}", "HOME=/root", "LANG=C.UTF-8", "SYSTEMD_PAGER=cat", "SYSTEMD_COLORS=0", *env, *argv]


def start(args):
    name = common.check_name(args.name)
    state = common.state_dir(name)
    if state.exists():
        fail(f"{state} exists: container {name} is running or was not cleaned up; run `boot.py stop {name}` first")
    for tool in ("unshare", "nsenter", "setpriv", "mount"):
        if shutil.which(tool) is None:
            fail(f"{tool} not found (Debian package util-linux or mount)")
    if not os.access("/lib/systemd/systemd", os.X_OK):
        fail("/lib/systemd/systemd not found (Debian package systemd)")
    if common.cgroup_dir(name).exists():
        fail(f"{common.cgroup_dir(name)} exists: a container named {name} is still around")
    binds = []
    for folder in args.bind:
        if not os.path.isdir(folder):
            fail(f"--bind {folder}: not a folder")
        binds.append(os.path.abspath(folder))

    began = time.monotonic()
    state.mkdir(parents=True)
    with open(state / "keeper.log", "wb") as log:
        keeper = subprocess.Popen([sys.executable, str(HERE / "console_keeper.py"), name, *binds],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True, close_fds=True)
    (state / "keeper.pid").write_text(f"{keeper.pid}\n")

    deadline = began + args.timeout
    pid = None
    while pid is None:
        if keeper.poll() is not None or time.monotonic() > deadline:
            report = f"container {name} did not start systemd:\n{console_tail(state)}"
            stop_container(name, quiet=True)
            fail(report)
        time.sleep(0.05)
        pid = systemd_pid(state)
    (state / "systemd.pid").write_text(f"{pid}\n")
    # systemctl needs systemd's private bus socket, which appears a moment after systemd starts.
    while not pathlib.Path(f"/proc/{pid}/root/run/systemd/private").exists():
        if time.monotonic() > deadline or not pathlib.Path(f"/proc/{pid}").exists():
            report = f"container {name}: systemd never opened its bus socket:\n{console_tail(state)}"
            stop_container(name, quiet=True)
            fail(report)
        time.sleep(0.05)

    try:
        # is-system-running --wait returns when the boot is done: "running", or "degraded" if a unit failed.
        waited = subprocess.run(inside(pid, ["systemctl", "is-system-running", "--wait"]), capture_output=True,
                                text=True, timeout=max(1, deadline - time.monotonic()))
        system_state = waited.stdout.strip()
    except subprocess.TimeoutExpired:
        system_state = "timeout"
    if system_state not in ("running", "degraded"):
        detail = system_state if system_state == "timeout" else f"{system_state}; {waited.stderr.strip()}"
        report = f"container {name} did not finish booting ({detail}):\n{console_tail(state)}"
        stop_container(name, quiet=True)
        fail(report)
    if system_state == "degraded":
        failed = subprocess.run(inside(pid, ["systemctl", "--failed", "--no-legend"]), capture_output=True, text=True)
        print(f"systemd-harness: {name} booted degraded; failed units:\n{failed.stdout}", file=sys.stderr)
    print(f"started {name}: systemd is host pid {pid}, {system_state} after {time.monotonic() - began:.1f} s")


def exec_inside(args):
    name = common.check_name(args.name)
    pid = common.read_pid(common.state_dir(name) / "systemd.pid")
    if pid is None:
        fail(f"container {name} is not running (boot.py start {name})")
    command = args.command
    if not command:
        fail("exec: no command given")
    argv = inside(pid, command, cwd=args.cd, env=args.env)
    os.execvp(argv[0], argv)


def diagnose(args):
    name = common.check_name(args.name)
    state = common.state_dir(name)
    pid = common.read_pid(state / "systemd.pid")
    print(f"===== diagnosis of container {name}")
    if pid is not None:
        commands = [["systemctl", "--failed", "--no-legend"]]
        for unit in args.units:
            commands.append(["systemctl", "status", "--no-pager", "-l", "-n", "0", unit])
            commands.append(["journalctl", "-u", unit, "-b", "--no-pager", "-n", "150", "-o", "short-precise"])
        for command in commands:
            print(f"----- {' '.join(command)}")
            sys.stdout.flush()
            subprocess.run(inside(pid, command), stderr=subprocess.STDOUT)
    else:
        print("(systemd is not running)")
    print(f"----- console (last lines)\n{console_tail(state)}")


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while pathlib.Path(f"/proc/{pid}").exists():
        try:  # reap it if it is our child (a keeper started by this process)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def remove_cgroup(folder, seconds=5):
    """Removes the container's cgroup tree, deepest folders first; they empty once the pid namespace is gone."""
    if not folder.exists():
        return True
    deadline = time.monotonic() + seconds
    while True:
        leftovers = []
        for path, _, _ in sorted(os.walk(folder), key=lambda entry: -entry[0].count("/")):
            try:
                os.rmdir(path)
            except OSError as error:
                leftovers.append(f"{path}: {error.strerror}")
        if not folder.exists():
            return True
        if time.monotonic() > deadline:
            print("systemd-harness: could not remove " + "; ".join(leftovers), file=sys.stderr)
            return False
        time.sleep(0.1)


def stop_container(name, quiet=False):
    state = common.state_dir(name)
    began = time.monotonic()
    how = "nothing was running"
    pid = common.read_pid(state / "systemd.pid") or systemd_pid(state)
    if pid is not None:
        subprocess.run(inside(pid, ["systemctl", "poweroff", "--no-block"]), capture_output=True, timeout=10)
        how = "powered off"
        if not wait_gone(pid, 15):
            os.kill(pid, signal.SIGKILL)  # PID 1 of the namespace: the kernel kills every process in it
            how = "killed (poweroff hung)"
            wait_gone(pid, 5)
    for pid_file in ("unshare.pid", "keeper.pid"):
        other = common.read_pid(state / pid_file)
        if other is not None and not wait_gone(other, 5):
            os.kill(other, signal.SIGKILL)
            wait_gone(other, 5)
    clean = remove_cgroup(common.cgroup_dir(name))
    if state.exists():
        with open("/proc/self/mountinfo") as mountinfo:
            mounted = [line.split()[4] for line in mountinfo if line.split()[4].startswith(str(state))]
        if mounted:  # never delete through a mount; this should not happen (the mounts died with the container)
            fail(f"mounts under {state} on the host: {mounted}; not removing it")
        shutil.rmtree(state)
    try:
        common.STATE_ROOT.rmdir()  # the last container gone: leave no trace of the harness on the host
    except OSError:
        pass
    if not clean:
        fail(f"container {name} stopped but its cgroup could not be removed")
    if not quiet:
        print(f"stopped {name}: {how}, cleaned up in {time.monotonic() - began:.1f} s")


def list_containers(_):
    if not common.STATE_ROOT.is_dir():
        return
    for state in sorted(common.STATE_ROOT.iterdir()):
        pid = common.read_pid(state / "systemd.pid")
        print(f"{state.name}\t{'running, systemd pid ' + str(pid) if pid else 'not running (stop it to clean up)'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="verb", required=True)
    starting = commands.add_parser("start", help="boot a container")
    starting.add_argument("name")
    starting.add_argument("--bind", action="append", default=[], metavar="DIR",
                          help="host folder bound read-only at the same path (repeatable)")
    starting.add_argument("--timeout", type=float, default=30, help="seconds to wait for the boot (default 30)")
    starting.set_defaults(run=start)
    executing = commands.add_parser("exec", help="run a command inside")
    executing.add_argument("name")
    executing.add_argument("--cd", default="/", metavar="DIR", help="working directory inside (default /)")
    executing.add_argument("--env", action="append", default=[], metavar="K=V", help="environment variable")
    executing.add_argument("command", nargs="*", help="the command and its arguments")
    executing.set_defaults(run=exec_inside)
    diagnosing = commands.add_parser("diagnose", help="print what explains a failure")
    diagnosing.add_argument("name")
    diagnosing.add_argument("units", nargs="*")
    diagnosing.set_defaults(run=diagnose)
    stopping = commands.add_parser("stop", help="power off and clean up")
    stopping.add_argument("name")
    stopping.set_defaults(run=lambda args: stop_container(common.check_name(args.name)))
    commands.add_parser("list", help="list containers").set_defaults(run=list_containers)
    argv = sys.argv[1:]
    command = []
    if argv[:1] == ["exec"]:
        # exec NAME [--cd DIR] [--env K=V]... [--] COMMAND...: the command starts at the first other word, and is
        # kept away from argparse (which would take its options for ours).
        position = 2
        while position < len(argv) and argv[position] in ("--cd", "--env"):
            position += 2
        command = argv[position + 1:] if argv[position:position + 1] == ["--"] else argv[position:]
        argv = argv[:position]
    args = parser.parse_args(argv)
    if args.verb == "exec":
        args.command = command
    if os.geteuid() != 0 and args.verb != "list":
        fail("must run as root (it creates namespaces, mounts and cgroups)")
    args.run(args)


if __name__ == "__main__":
    main()
