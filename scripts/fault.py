#!/usr/bin/env python3
"""`make fault`: database faults under write load, with evidence.

PostgreSQL, on a throwaway cluster of its own (never the shared server the tests use):
  writers create projects (each with its own Idempotency-Key, retried with the same key until
  acknowledged), PostgreSQL is stopped for a few seconds and started again. While it is down
  the API must answer 503 problem+json within the pool's checkout timeout and /readyz must say
  not ready; afterwards it must serve again without a restart. Reported: recovery time
  (target under 5 s), the slowest answer while down, writes acknowledged before the stop.
  Checked: every acknowledged write is in the database, none twice.

SQLite: a second process holds write locks on the same file while the server writes (no 500:
  the busy timeout waits), then the server is killed (SIGKILL) mid-write and restarted: every
  acknowledged write is still there.

Standard library only. Exits non-zero when a check fails.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "debug", "zhaoshang")
PASSWORD = "Zhaoshang-2026"
CHECKOUT_TIMEOUT_MS = 2000
WRITERS = 4
failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, method, path, token=None, body=None, headers=None, timeout=30):
    """One HTTP request; returns (status, headers, parsed JSON or None, seconds)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, status, hdrs = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, hdrs = e.read(), e.code, e.headers
    except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError):
        return None, {}, None, time.monotonic() - started
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, hdrs, parsed, time.monotonic() - started


class Server:
    def __init__(self, url, log):
        self.url, self.port = url, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = None

    def run(self, *args):
        subprocess.run([BIN, "--database-url", self.url, *args], check=True, stdout=self.log, stderr=self.log)

    def start(self):
        env = dict(os.environ, ZS_BIND=f"127.0.0.1:{self.port}", ZS_POOL_SIZE="4",
                   ZS_POOL_TIMEOUT_MS=str(CHECKOUT_TIMEOUT_MS), ZS_JWT_SECRET="fault-test-secret-0123456789abcdef",
                   ZS_LOG="warn", ZS_WORKERS="2")
        self.proc = subprocess.Popen([BIN, "--database-url", self.url, "serve"], env=env,
                                     stdout=self.log, stderr=self.log)
        for _ in range(300):
            if request(self.base, "GET", "/healthz", timeout=1)[0] == 200:
                return
            time.sleep(0.1)
        raise SystemExit("the server did not start; see its log")

    def kill(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def token(self, username):
        s, _, body, _ = request(self.base, "POST", "/v1/auth/login",
                                body={"username": username, "password": PASSWORD})
        if s != 200:
            raise SystemExit(f"login as {username} failed: {s} {body}")
        return body["access_token"]


class Writers:
    """Threads creating projects; each write retries with its own Idempotency-Key until a 2xx."""

    def __init__(self, server, token, prefix):
        self.server, self.token, self.prefix = server, token, prefix
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}  # name -> project id
        self.answers = []  # (monotonic time, status, seconds, content type)
        self.retried = 0
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(WRITERS)]

    def loop(self):
        while not self.stop.is_set():
            name = f"{self.prefix} {uuid.uuid4()}"
            key = str(uuid.uuid4())
            attempts = 0
            while not self.stop.is_set():
                attempts += 1
                status, hdrs, body, secs = request(
                    self.server.base, "POST", "/v1/projects", self.token,
                    {"name": name, "category": "industrial", "lead_on": "2026-11-02"},
                    {"Idempotency-Key": key}, timeout=30)
                with self.lock:
                    self.answers.append((time.monotonic(), status, secs, hdrs.get("Content-Type") or ""))
                if status in (200, 201):
                    with self.lock:
                        self.acked[name] = body["id"]
                        if attempts > 1:
                            self.retried += 1
                    break
                time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=40)


def as_postgres(cmd, **kw):
    """Runs a PostgreSQL server binary as the `postgres` user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def postgres_fault(tmp, log):
    print("PostgreSQL: stop the database under write load, start it again")
    bindir = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
    bindir = f"/usr/lib/postgresql/{bindir}/bin"
    data = os.path.join(tmp, "pg")
    os.makedirs(data)
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    as_postgres([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust"])
    pg_ctl = lambda *a: as_postgres([f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(data, "log"),
                                      "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", *a])
    pg_ctl("-w", "start")
    try:
        as_postgres([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "zs_fault"])
        url = f"postgres://postgres@127.0.0.1:{port}/zs_fault"
        server = Server(url, log)
        server.run("migrate")
        server.run("seed", "--demo")
        server.start()
        token = server.token("ruili.officer")
        with Writers(server, token, "故障演练") as w:
            while len(w.acked) < 300:
                time.sleep(0.1)
            before = len(w.acked)
            down_at = time.monotonic()
            pg_ctl("-m", "immediate", "stop")
            stopped_at = time.monotonic()
            ready = []
            while time.monotonic() - stopped_at < 4:
                ready.append(request(server.base, "GET", "/readyz", timeout=10))
                time.sleep(0.2)
            pg_ctl("-w", "start")
            started_at = time.monotonic()
            recovered_at = None
            while time.monotonic() - started_at < 30:
                with w.lock:
                    ok = [a for a in w.answers if a[0] > started_at and a[1] in (200, 201)]
                if ok:
                    recovered_at = ok[0][0]
                    break
                time.sleep(0.02)
            time.sleep(2)
        with w.lock:
            down = [a for a in w.answers if stopped_at <= a[0] - a[2] and a[0] <= started_at]
        statuses = sorted({a[1] for a in down}, key=str)
        slowest = max((a[2] for a in down), default=0.0)
        print(f"  acknowledged before the stop: {before}; while down: {len(down)} answers {statuses}; "
              f"slowest answer while down {slowest * 1000:.0f} ms; retried writes acknowledged later: {w.retried}")
        check(before >= 300, "hundreds of writes acknowledged before the stop")
        check(all(a[1] == 503 and a[3].startswith("application/problem+json") for a in down) and down,
              "every write answered while PostgreSQL was down is 503 problem+json")
        check(slowest * 1000 <= CHECKOUT_TIMEOUT_MS + 1000,
              f"no answer while down took longer than the checkout timeout ({CHECKOUT_TIMEOUT_MS} ms) + 1 s")
        check(ready and all(r[0] == 503 for r in ready), "/readyz answers 503 while PostgreSQL is down")
        if recovered_at is None:
            check(False, "the API serves writes again after PostgreSQL is back")
        else:
            recovery = recovered_at - started_at
            print(f"  recovery: first acknowledged write {recovery:.2f} s after PostgreSQL accepted connections "
                  f"(down for {started_at - down_at:.1f} s in all)")
            check(recovery < 5, "recovery under 5 s without restarting the server")
        check(request(server.base, "GET", "/readyz")[0] == 200, "/readyz is ready again")
        server.kill()
        out = subprocess.run(
            [f"{bindir}/psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "zs_fault", "-At", "-c",
             "SELECT id || '|' || name FROM projects WHERE name LIKE '故障演练 %'"],
            check=True, capture_output=True, text=True).stdout.splitlines()
        stored = {}
        for line in out:
            pid, name = line.split("|", 1)
            stored.setdefault(name, []).append(pid)
        missing = [n for n in w.acked if n not in stored]
        dups = [n for n, ids in stored.items() if len(ids) > 1]
        print(f"  acknowledged {len(w.acked)}, stored {sum(len(v) for v in stored.values())}")
        check(not missing, f"every acknowledged write is in the database ({len(missing)} missing)")
        check(not dups, f"no write stored twice after retries with the same Idempotency-Key ({len(dups)} twice)")
    finally:
        try:
            pg_ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass


def sqlite_fault(tmp, log):
    print("SQLite: a second process writes the same file; then the server is killed mid-write")
    path = os.path.join(tmp, "fault.db")
    url = f"sqlite://{path}"
    server = Server(url, log)
    server.run("migrate")
    server.run("seed", "--demo")
    server.start()
    token = server.token("ruili.officer")
    other_stop = threading.Event()
    other_writes = [0]

    def other_process_writes():
        # Another program holding the write lock for 200 ms at a time (BEGIN IMMEDIATE).
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        while not other_stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO app_settings (key, value) VALUES (?, 'x') "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (f"fault-{other_writes[0] % 5}",))
            time.sleep(0.2)
            db.execute("COMMIT")
            other_writes[0] += 1
            time.sleep(0.05)
        db.close()

    other = threading.Thread(target=other_process_writes, daemon=True)
    with Writers(server, token, "并发写入") as w:
        other.start()
        time.sleep(4)
        other_stop.set()
        other.join()
        while len(w.acked) < 300:
            time.sleep(0.1)
        server.kill(signal.SIGKILL)
    with w.lock:
        errors = [a for a in w.answers if a[1] is not None and a[1] >= 500]
    print(f"  acknowledged {len(w.acked)} while another process committed {other_writes[0]} transactions")
    check(not errors, f"no 5xx while another process writes the same file ({len(errors)} seen)")
    server.start()
    check(request(server.base, "GET", "/readyz")[0] == 200, "the restarted server is ready")
    server.kill()
    db = sqlite3.connect(path)
    names = {r[0] for r in db.execute("SELECT name FROM projects WHERE name LIKE '并发写入 %'")}
    db.close()
    missing = [n for n in w.acked if n not in names]
    check(not missing, f"no acknowledged write lost to SIGKILL ({len(missing)} missing of {len(w.acked)})")


def main():
    if not os.path.exists(BIN):
        raise SystemExit(f"{BIN} is missing: run `cargo build -p zhaoshang` (make fault does)")
    tmp = tempfile.mkdtemp(prefix="zs-fault-")
    log_path = os.path.join(tmp, "server.log")
    try:
        with open(log_path, "w") as log:
            postgres_fault(tmp, log)
            sqlite_fault(tmp, log)
    finally:
        if failures:
            print(f"server log kept: {log_path}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("fault: " + ("FAILED: " + "; ".join(failures) if failures else "all checks passed"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
