#!/usr/bin/env python3
"""An OpenAI-style streaming server that behaves like a peer which drops idle keep-alive
connections: it answers the first request on a connection (HTTP/1.1, keep-alive, no
`Connection: close`), then closes the connection, unanswered, when a second request arrives on it.
It has no vkserved counters: /metrics holds another server's metric only.

    one_request_per_connection.py PORT_FILE     (writes the port it listens on, then serves)
"""
import json
import socket
import socketserver
import sys
import threading

counts = {"answered": 0, "dropped": 0}
lock = threading.Lock()


def read_request(f):
    line = f.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    length = 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = f.read(length) if length else b""
    return method, path, body


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        served = 0
        while True:
            req = read_request(self.rfile)
            if req is None:
                return
            method, path, body = req
            if served >= 1 and path.startswith("/v1/"):
                with lock:
                    counts["dropped"] += 1
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            served += 1
            if path == "/v1/models":
                payload = json.dumps({"object": "list", "data": [{"id": "fake", "object": "model"}]}).encode()
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
            elif path == "/metrics":
                payload = ("# TYPE llamacpp:requests_processing gauge\nllamacpp:requests_processing 0\n"
                           "# answered %d dropped %d\n" % (counts["answered"], counts["dropped"])).encode()
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
            elif path == "/v1/completions":
                n = json.loads(body or b"{}").get("max_tokens", 4)
                out = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                for i in range(n):
                    c = {"choices": [{"index": 0, "text": "w%d " % i, "finish_reason": "length" if i == n - 1 else None}]}
                    out += chunk(b"data: " + json.dumps(c).encode() + b"\n\n")
                u = {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": n, "total_tokens": n + 3}}
                out += chunk(b"data: " + json.dumps(u).encode() + b"\n\n") + chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"
                self.wfile.write(out)
                with lock:
                    counts["answered"] += 1
            else:
                self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()
