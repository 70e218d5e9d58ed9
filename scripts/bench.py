#!/usr/bin/env python3
"""`make bench`: load benchmark of the release server on PostgreSQL (and SQLite writes).

1. Makes a database `zs_bench` on the PostgreSQL server of ZS_BENCH_PG (default the local
   one), migrates it with the release binary and loads scripts/bench/data.sql (1,010
   organizations, 1,000,000 projects, 200,000 visits, 200,000 tickets, 50,000 activities).
   With ZS_BENCH_REUSE=1 an existing loaded `zs_bench` is kept (the load takes a minute or two).
2. Starts the release server (pool ZS_POOL_SIZE, default 4) and measures with wrk on loopback
   (32 connections, ZS_BENCH_SECS seconds each, default 10): the filtered project list (first
   page and a page 200 pages deep), project detail, project create, the ticket list and the
   ticket metrics. Prints req/s, p50, p99, errors, and the server's peak RSS.
3. Runs the SQL the API ran for the filtered list (captured from PostgreSQL's statement log)
   with pgbench -M prepared at the same concurrency, and prints API ÷ database.
4. SQLite: a fresh file, the same server, project creates for ZS_BENCH_SECS: acknowledged/s.

Needs wrk (apt) and pgbench (PostgreSQL's server package); standard library Python only.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("ZS_BENCH_BIN") or os.path.join(ROOT, "target", "release", "zhaoshang")
PG = os.environ.get("ZS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "zs_bench"
SECS = int(os.environ.get("ZS_BENCH_SECS", "10"))
CONNS = 32
POOL = os.environ.get("ZS_POOL_SIZE", "4")
PASSWORD = "Bench-Password-2026"
PG_LOG = os.environ.get("ZS_BENCH_PG_LOG", "")


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def psql(sql, db=DB):
    return sh("psql", f"{PG}/{db}", "-v", "ON_ERROR_STOP=1", "-Atqc", sql, capture_output=True).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Server:
    def __init__(self, url, log):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, ZS_BIND=f"127.0.0.1:{self.port}", ZS_POOL_SIZE=POOL, ZS_LOG="warn",
                   ZS_JWT_SECRET="bench-secret-0123456789abcdef0123456789", ZS_ACCESS_TOKEN_TTL_SECS="3600")
        self.proc = subprocess.Popen([BIN, "--database-url", url, "serve"], env=env, stdout=log, stderr=log)
        for _ in range(600):
            try:
                if call(self.base, "GET", "/healthz")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        raise SystemExit("the server did not start")

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def to_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)", v)
    if not m:
        return float("nan")
    x, unit = float(m.group(1)), m.group(2)
    return {"us": x / 1000, "ms": x, "s": x * 1000, "m": x * 60000}[unit]


def wrk(name, url, token, lua=None):
    cmd = ["wrk", "-t", "2", "-c", str(CONNS), "-d", f"{SECS}s", "--latency", "-H", f"Authorization: Bearer {token}"]
    if lua:
        cmd += ["-s", lua]
    out = sh(*cmd, url, capture_output=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    row = {"name": name, "rps": rps, "p50": p50, "p99": p99, "errors": errors}
    print(f"  {name:<34} {rps:>9.0f} req/s   p50 {p50:>7.2f} ms   p99 {p99:>7.2f} ms   errors {errors}")
    return row


def lua(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def load_postgres(log):
    exists = psql(f"SELECT count(*) FROM pg_database WHERE datname = '{DB}'", "postgres") == "1"
    if exists and os.environ.get("ZS_BENCH_REUSE") == "1" and \
            int(psql("SELECT count(*) FROM projects")) >= 1000000:
        print("reusing the loaded database zs_bench")
        return
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {DB}", "postgres")
    sh(BIN, "--database-url", f"{PG}/{DB}", "migrate", stdout=log, stderr=log)
    started = time.monotonic()
    sh("psql", f"{PG}/{DB}", "-v", "ON_ERROR_STOP=1", "-q", "-f", os.path.join(ROOT, "scripts/bench/data.sql"),
       stdout=subprocess.DEVNULL)
    print(f"loaded the data set in {time.monotonic() - started:.0f} s")


def captured_list_sql(server, token, path):
    """The project-list statement the API runs, with its parameters substituted, from the log."""
    log = PG_LOG or max((os.path.join("/var/log/postgresql", f) for f in os.listdir("/var/log/postgresql")
                         if f.endswith(".log")), key=os.path.getmtime)
    psql(f"ALTER DATABASE {DB} SET log_min_duration_statement = 0", "postgres")
    try:
        # New connections pick the setting up: restart the server's pool by a fresh server.
        server.stop()
        srv = Server(f"{PG}/{DB}", server_log)
        start = os.path.getsize(log)
        call(srv.base, "GET", path, token)
        time.sleep(0.5)
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(start)
            text = f.read()
    finally:
        psql(f"ALTER DATABASE {DB} RESET log_min_duration_statement", "postgres")
    srv.stop()
    entries = re.findall(r"execute [^:]*: (SELECT .*?FROM \"projects\".*?)\n(?:.*DETAIL:\s+parameters: (.*?)\n)?", text,
                         re.IGNORECASE)
    entries = [e for e in entries if "LIMIT" in e[0]]
    if not entries:
        return None
    sql, params = entries[0]
    values = dict(re.findall(r"(\$\d+) = ('(?:[^']|'')*'|NULL)", params or ""))
    return re.sub(r"\$\d+", lambda m: values.get(m.group(0), m.group(0)), sql)


def pgbench(sql, tmp):
    path = os.path.join(tmp, "list.sql")
    with open(path, "w") as f:
        f.write(sql + ";\n")
    out = sh("pgbench", "-n", "-M", "prepared", "-c", str(CONNS), "-j", "2", "-T", str(SECS), "-f", path,
             f"{PG}/{DB}", capture_output=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def main():
    global server_log
    for tool in ("wrk", "pgbench", "psql"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (make bench installs wrk; pgbench comes with PostgreSQL)")
    tmp = tempfile.mkdtemp(prefix="zs-bench-")
    server_log = open(os.path.join(tmp, "server.log"), "w")
    load_postgres(server_log)
    # The benchmark user: an officer of a province bureau (subtree of 111 organizations,
    # about 110,000 projects plus those its alliances share).
    province = psql("SELECT id FROM organizations WHERE short_code = 'BENCH-0'")
    if psql("SELECT count(*) FROM users WHERE username = 'bench.officer'") == "0":
        sh(BIN, "--database-url", f"{PG}/{DB}", "user", "create", "--organization", "BENCH-0", "--username",
           "bench.officer", "--role", "officer", "--password", PASSWORD, stdout=server_log, stderr=server_log)
    server = Server(f"{PG}/{DB}", server_log)
    status, body = call(server.base, "POST", "/v1/auth/login", body={"username": "bench.officer", "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"login failed: {status} {body}")
    token = body["access_token"]
    first = "/v1/projects?stage=negotiating&order_by=-contract_amount&page_size=50"
    status, page = call(server.base, "GET", first, token)
    assert status == 200, page
    ids = [p["id"] for p in page["items"]]
    deep_token, pages = page.get("next_page_token"), 1
    while deep_token and pages < 200:
        status, page = call(server.base, "GET", f"{first}&page_token={deep_token}", token)
        assert status == 200, page
        ids += [p["id"] for p in page["items"]]
        deep_token, pages = page.get("next_page_token"), pages + 1
    print(f"PostgreSQL, {CONNS} connections, {SECS} s each, pool {POOL}; the user sees "
          f"{pages * 50}+ negotiating projects; deep page = page {pages}")
    detail = lua(tmp, "detail.lua", "ids = {" + ",".join(f'"{i}"' for i in ids[:2000]) + "}\n"
                 "request = function()\n  return wrk.format('GET', '/v1/projects/' .. ids[math.random(#ids)])\nend\n")
    create = lua(tmp, "create.lua", "wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n"
                 "wrk.body = '{\"name\": \"压测新建项目\", \"category\": \"industrial\", \"lead_on\": \"2026-11-02\"}'\n")
    rows = [
        wrk("project list, filtered, first page", server.base + first, token),
        wrk(f"project list, filtered, page {pages}", f"{server.base}{first}&page_token={deep_token}", token),
        wrk("project detail", server.base + "/", token, detail),
        wrk("project create", server.base + "/v1/projects", token, create),
        wrk("ticket list", server.base + "/v1/tickets?page_size=50", token),
        wrk("ticket metrics (year, 22,000 tickets)",
            f"{server.base}/v1/tickets/metrics?organization_id={province}&from=2025-01-01&to=2026-01-01", token),
    ]
    rss = server.peak_rss_mb()
    print(f"  server peak RSS {rss:.0f} MB")
    sql = captured_list_sql(server, token, first)
    if sql:
        tps = pgbench(sql, tmp)
        print(f"  pgbench -M prepared, the same list SQL: {tps:.0f} tps; API ÷ database = {rows[0]['rps'] / tps:.0%}")
    else:
        print("  could not capture the list SQL from PostgreSQL's log (set ZS_BENCH_PG_LOG)")

    print(f"SQLite (fresh file), project creates, {CONNS} connections, {SECS} s")
    path = os.path.join(tmp, "bench.db")
    sh(BIN, "--database-url", f"sqlite://{path}", "migrate", stdout=server_log, stderr=server_log)
    sh(BIN, "--database-url", f"sqlite://{path}", "org", "create", "--name", "压测单位", "--short-code", "BENCH",
       "--level", "province", "--region-code", "530000", stdout=server_log, stderr=server_log)
    sh(BIN, "--database-url", f"sqlite://{path}", "user", "create", "--organization", "BENCH", "--username",
       "bench.officer", "--role", "officer", "--password", PASSWORD, stdout=server_log, stderr=server_log)
    lite = Server(f"sqlite://{path}", server_log)
    status, body = call(lite.base, "POST", "/v1/auth/login", body={"username": "bench.officer", "password": PASSWORD})
    wrk("project create (SQLite)", lite.base + "/v1/projects", body["access_token"], create)
    print(f"  server peak RSS {lite.peak_rss_mb():.0f} MB")
    lite.stop()
    server_log.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
