"""The container's keeper, started detached by `boot.py start`: it owns the pseudo-terminal that becomes the
container's /dev/console (systemd refuses a console that is not a terminal), starts the namespaces with
unshare, and copies everything written to the console into console.log until the container is gone.
Reading the console matters: a full pty buffer would block PID 1 on its next status line.

    console_keeper.py NAME [--bind DIR]...
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the project (it may be bound read-only)
import common  # noqa: E402


def main():
    name = common.check_name(sys.argv[1])
    binds = sys.argv[2:]
    state = common.state_dir(name)
    here = os.path.dirname(os.path.abspath(__file__))

    master, slave = os.openpty()
    console = os.ttyname(slave)
    # --fork: the child is PID 1 of the new pid namespace; --kill-child: if unshare dies, so does it, and with
    # it every process of the namespace. A private network namespace keeps the unit's fixed ports off the host.
    argv = ["unshare", "--fork", "--kill-child", "--pid", "--mount", "--uts", "--ipc", "--net",
            "--propagation", "private",
            sys.executable, os.path.join(here, "container_init.py"), name, console, *binds]
    pid = os.fork()
    if pid == 0:
        os.setsid()
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.closerange(3, 1 << 16)
        os.execvp(argv[0], argv)
    os.close(slave)
    (state / "unshare.pid").write_text(f"{pid}\n")

    with open(state / "console.log", "ab", buffering=0) as log:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the terminal's other end is gone
                break
            if not data:
                break
            log.write(data.replace(b"\r\n", b"\n"))
    _, status = os.waitpid(pid, 0)
    log_line = f"container exited: {os.waitstatus_to_exitcode(status)}\n"
    with open(state / "console.log", "a") as log:
        log.write(log_line)


if __name__ == "__main__":
    main()
