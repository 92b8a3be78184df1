"""Helpers of the hostile-client scenarios (hostile.py): a release vkserved started with a given
configuration in a private temporary directory, supervisorctl, and small HTTP clients.

Only 127.0.0.1 is contacted. Every vkserved is started from the main thread under
`setpriv --pdeathsig KILL`, so it (and its workers, which die with it) goes when this process goes, and
Server.stop() / stop_all() end it by its pid.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.join(ROOT, ".build", "release")
MODEL = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
HOST = "127.0.0.1"

# Every scenario's vkserved: one CPU worker with one thread (2-core machines), no scheduled restarts, short
# drains (so stopping a vkserved with hung requests is quick).
BASE_SETTINGS = {
    "workers.vulkan": "0",
    "workers.cpu": "1",
    "workers.threads": "1",
    "restart.every": "0",
    "restart.drain_timeout": "2s",
}


class Fail(Exception):
    """The scenario fails: the behaviour is not the spec's."""


class Skip(Exception):
    """The scenario cannot run here (a configuration key vkserved does not know yet, a missing tool)."""


class UnknownKey(Skip):
    pass


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


_servers = []


class Server:
    """A vkserved with BASE_SETTINGS plus `settings`; `nofile` = (soft, hard) runs it under prlimit."""

    def __init__(self, settings=None, nofile=None, name="vkserved", control_socket=None, runtime_dir=None):
        self.settings = dict(BASE_SETTINGS)
        self.settings.update(settings or {})
        self.nofile = nofile
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="vkserve-hostile.")
        self.run_dir = runtime_dir or os.path.join(self.dir, "run")
        if not runtime_dir:
            os.mkdir(self.run_dir, 0o755)
            os.chmod(self.run_dir, 0o755)
        self.control_socket = control_socket or os.path.join(self.run_dir, "control.sock")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "vkserved.log")
        self.proc = None
        self.pid = None

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def command(self):
        cmd = ["setpriv", "--pdeathsig", "KILL"]
        if self.nofile:
            cmd += ["prlimit", f"--nofile={self.nofile[0]}:{self.nofile[1]}"]
        cmd += [os.path.join(BIN, "vkserved"), "--config", "/dev/null", "--runtime-dir", self.run_dir,
                "--control-socket", self.control_socket, "--listen", f"{HOST}:{self.port}", "--model", MODEL,
                "--log", "stderr"]
        for k, v in self.settings.items():
            cmd += ["--set", f"{k}={v}"]
        return cmd

    def start(self, wait=True, timeout=60):
        assert threading.current_thread() is threading.main_thread(), "pdeathsig follows the spawning thread"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=ROOT)
        self.pid = self.proc.pid  # setpriv and prlimit exec in place: this is vkserved's pid
        _servers.append(self)
        if wait:
            self.wait_ready(timeout)
        return self

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=15):
        return "\n".join(self.log_text().splitlines()[-n:])

    def check_start_failure(self):
        """Raises UnknownKey when vkserved refused a key it does not know, Fail for any other early exit."""
        text = self.log_text()
        m = re.search(r"unknown (?:key|section)[^\n]*", text)
        if m:
            raise UnknownKey(f"vkserved does not know the key yet: {m.group(0)[:200]}")
        raise Fail(f"vkserved exited at start (status {self.proc.returncode}): {self.log_tail(8)}")

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.check_start_failure()
            try:
                status, _, _ = request(self.port, "GET", "/ready", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise Fail(f"vkserved not ready within {timeout} s: {self.log_tail(8)}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # A worker stopped with SIGSTOP must be able to die: vkserved SIGKILLs its group, which works.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        if self in _servers:
            _servers.remove(self)

    def cleanup_dir(self, keep=False):
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- supervisorctl ---------------------------------------------------------------------------------

    def ctl(self, *args, timeout=10):
        """(exit status, stdout + stderr, seconds) of supervisorctl ARGS --socket ..."""
        start = time.monotonic()
        try:
            p = subprocess.run([os.path.join(BIN, "supervisorctl"), *args, "--socket", self.control_socket],
                               capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
            return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace"), time.monotonic() - start
        except subprocess.TimeoutExpired:
            return None, f"supervisorctl {' '.join(args)}: no answer within {timeout} s", time.monotonic() - start

    def status(self, timeout=5):
        code, out, _ = self.ctl("status", "--json", timeout=timeout)
        if code is None:
            raise Fail(out)
        try:
            return json.loads(out[out.index("{"):out.rindex("}") + 1])["status"]
        except (ValueError, KeyError) as e:
            raise Fail(f"supervisorctl status --json: unreadable answer ({e}): {out[:300]}")

    def rows(self):
        return self.status()["rows"]

    def worker(self):
        """The one worker's row."""
        rows = self.rows()
        if len(rows) != 1:
            raise Fail(f"expected one worker, found {[r['name'] for r in rows]}")
        return rows[0]

    def in_flight(self):
        return sum(r.get("in_flight", 0) for r in self.rows())

    def wait_worker(self, pred, timeout, what="worker condition"):
        """Polls the worker row until pred(row); returns (row, seconds)."""
        start = time.monotonic()
        row = None
        while time.monotonic() - start < timeout:
            try:
                row = self.worker()
                if pred(row):
                    return row, time.monotonic() - start
            except Fail:
                pass
            time.sleep(0.1)
        raise Fail(f"{what} not reached within {timeout} s (last: {row and {k: row.get(k) for k in ('state', 'pid', 'in_flight')}})")

    def metric(self, name, timeout=5):
        """The sum of the samples of metric family `name` in /metrics, or None when absent."""
        status, _, body = request(self.port, "GET", "/metrics", timeout=timeout)
        if status != 200:
            raise Fail(f"/metrics answered {status}")
        total, seen = 0.0, False
        for line in body.decode("utf-8", "replace").splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
                seen = True
        return total if seen else None


def stop_all(keep=False):
    """Stops every vkserved still running (an interrupted scenario's) and removes its directory unless keep."""
    for s in list(_servers):
        try:
            s.stop()
        except Exception:
            pass
        s.cleanup_dir(keep)


# ---- HTTP ------------------------------------------------------------------------------------------------


def request(port, method, path, body=None, headers=None, timeout=10):
    """(status, headers dict lower-cased, body) over a fresh connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def timed(fn, *args, **kwargs):
    start = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - start


def completion(port, prompt="The capital of France is", max_tokens=4, timeout=30, **extra):
    """(status, parsed JSON or raw body, seconds) of one non-streamed completion."""
    body = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0, **extra}
    (status, headers, data), seconds = timed(request, port, "POST", "/v1/completions", body, timeout=timeout)
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = data
    return status, parsed, seconds, headers


def error_of(parsed):
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        return parsed["error"]
    return None


def raw_post(path, body, extra_headers=b""):
    """The bytes of a POST with a JSON body."""
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n").encode() + extra_headers + b"\r\n" + data


class SSEReader:
    """Reads a streamed completion over a raw socket: status, then data events as they come."""

    def __init__(self, port, body, timeout=60, path="/v1/completions"):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.sendall(raw_post(path, body))
        self.buf = b""
        self.status = None
        self.headers = {}
        self.chunked = False
        self.closed = False
        self.raw_body = b""  # de-chunked body
        self._read_head()

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
        return data

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            d = self._recv()
            if not d:
                raise Fail(f"connection closed before a response head: {self.buf[:200]!r}")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self.length = int(self.headers["content-length"]) if "content-length" in self.headers else None

    def _dechunk(self):
        """Moves whole chunks from buf to raw_body; True at the last chunk."""
        if not self.chunked:
            self.raw_body += self.buf
            self.buf = b""
            return self.length is not None and len(self.raw_body) >= self.length
        while True:
            if b"\r\n" not in self.buf:
                return False
            size_line, rest = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return True
            if len(rest) < size + 2:
                return False
            self.raw_body += rest[:size]
            self.buf = rest[size + 2:]

    def events(self, until=None):
        """Yields (seconds since start, payload string) for every `data:` event until the body ends, the
        connection closes, or `until` (monotonic) passes."""
        consumed = 0
        start = time.monotonic()
        finished = False
        while True:
            finished = self._dechunk() or finished
            text = self.raw_body.decode("utf-8", "replace")
            while True:
                i = text.find("\n\n", consumed)
                if i < 0:
                    break
                event = text[consumed:i]
                consumed = i + 2
                for line in event.split("\n"):
                    if line.startswith("data: "):
                        yield time.monotonic() - start, line[6:]
            if finished or self.closed:
                return
            if until is not None:
                left = until - time.monotonic()
                if left <= 0:
                    return
                self.sock.settimeout(left)
            try:
                d = self._recv()
            except socket.timeout:
                return
            self.buf += d

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_stream(events):
    """A summary of a completion stream's events: text pieces, finish reasons (with the number of text chunks
    before each), error events, [DONE], usage."""
    out = {"pieces": 0, "finish": [], "errors": [], "done": False, "usage": None, "after_done": 0, "times": []}
    for t, payload in events:
        if out["done"]:
            out["after_done"] += 1
        if payload == "[DONE]":
            out["done"] = True
            continue
        try:
            obj = json.loads(payload)
        except ValueError:
            out["errors"].append({"code": "unparsable", "payload": payload[:200]})
            continue
        if "error" in obj:
            out["errors"].append({**obj["error"], "after_pieces": out["pieces"], "after_finish": bool(out["finish"])})
            continue
        if obj.get("usage"):
            out["usage"] = obj["usage"]
        for ch in obj.get("choices", []):
            text = ch.get("text")
            if text is None:
                text = (ch.get("delta") or {}).get("content")
            if text:
                out["pieces"] += 1
                out["times"].append(t)
            if ch.get("finish_reason"):
                out["finish"].append((ch["finish_reason"], out["pieces"]))
    return out


def pid_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def median(xs):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
