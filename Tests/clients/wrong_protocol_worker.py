#!/usr/bin/env python3
"""A stand-in for vkserve-worker from another release: it listens where it is told, greets the supervisor with
protocol version 99, then waits for the connection to end. Used to check that vkserved refuses it."""
import json
import os
import socket
import struct
import sys


def main() -> int:
    path = sys.argv[sys.argv.index("--socket") + 1]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    connection, _ = server.accept()
    hello = {"type": "hello", "version": 99, "pid": os.getpid(), "model": "none", "backend": "cpu",
             "device": "cpu", "slots": 1, "context": 64}
    payload = json.dumps(hello).encode()
    connection.sendall(struct.pack(">I", len(payload)) + payload)
    while connection.recv(65536):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
