#!/usr/bin/env python3
"""Socket activation as systemd does it, for tests: open a listening socket on 127.0.0.1:PORT, put it on
descriptor 3 with LISTEN_FDS=1, LISTEN_PID=<this pid> and LISTEN_FDNAMES, then exec the command in place.

Unlike systemd-socket-activate it closes no other descriptor (the test harness watches its child through
one) and execs at once rather than at the first connection.

usage: socket_activate.py [--datagram] PORT COMMAND [ARG...]
"""
import os
import socket
import sys


def main() -> None:
    args = sys.argv[1:]
    kind = socket.SOCK_STREAM
    if args and args[0] == "--datagram":
        kind = socket.SOCK_DGRAM
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    port, command = int(args[0]), args[1:]
    sock = socket.socket(socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    if kind == socket.SOCK_STREAM:
        sock.listen(128)
    if sock.fileno() != 3:
        os.dup2(sock.fileno(), 3)  # dup2 makes the copy inheritable
        sock.close()
    else:
        os.set_inheritable(3, True)
    os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES="http")
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
