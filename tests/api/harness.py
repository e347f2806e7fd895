"""A small test harness: a real guichetd on a free port, with a throw-away database.

Each test file registers functions with @test and calls main(); every test prints
one line, "ok - NAME" or "not ok - NAME", which tests/run.sh counts.

GUICHET_TEST_STORE=pg (with GUICHET_TEST_PG_URL, the base URL of a throw-away
PostgreSQL cluster) runs the same tests on the PostgreSQL store: each Server gets
a database of its own. Tests of what only a SQLite file has (its mode, its WAL)
are marked @test(sqlite_only=True) and skipped there, said so on a comment line.
"""
import email
import email.policy
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUICHETD = os.environ.get("GUICHETD", os.path.join(ROOT, "build", "guichetd"))

_tests = []
STORE = os.environ.get("GUICHET_TEST_STORE", "sqlite")
PG_URL = os.environ.get("GUICHET_TEST_PG_URL", "")


def test(fn=None, *, sqlite_only=False):
    def register(f):
        f.sqlite_only = sqlite_only
        _tests.append(f)
        return f
    return register(fn) if fn else register


def psql(url, query):
    """Runs one query with psql; rows as tuples of strings (numbers as ints)."""
    p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", query],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"psql {query!r}: {p.stderr.decode()}")
    rows = []
    for line in p.stdout.decode().splitlines():
        rows.append(tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("\t")))
    return rows


def new_pg_database():
    name = "t_" + os.urandom(6).hex()
    psql(f"{PG_URL}/postgres", f"CREATE DATABASE {name}")
    return name


def main():
    only = sys.argv[1:]
    failed = 0
    for fn in _tests:
        if only and fn.__name__ not in only:
            continue
        name = f"{os.path.basename(sys.argv[0])}:{fn.__name__}"
        if STORE == "pg":
            if fn.sqlite_only:
                print(f"# skip {name} on PostgreSQL: it tests the SQLite file itself", flush=True)
                continue
            name = f"[pg] {name}"
        try:
            fn()
            print(f"ok - {name}", flush=True)
        except Exception:
            failed += 1
            print(f"not ok - {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"#   {line}", flush=True)
        finally:
            Server.stop_all()
    sys.exit(1 if failed else 0)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw.decode("utf-8"))
        except ValueError:
            self.json = None

    @property
    def message(self):
        return self.json.get("message") if isinstance(self.json, dict) else None

    @property
    def data(self):
        return self.json.get("data") if isinstance(self.json, dict) else None

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.raw[:300]!r}>"


class Server:
    running = []

    def __init__(self, *flags, cooldown=0, mail=None, env=None, tmp=None, db=None):
        """db: another server's database (a second node); by default a new one of the store under test."""
        self.tmp = tmp or tempfile.mkdtemp(prefix="guichet-test-")
        self.pg_name = new_pg_database() if STORE == "pg" and not db else None
        self.db = db or (f"{PG_URL}/{self.pg_name}" if self.pg_name else os.path.join(self.tmp, "guichet.db"))
        self.outbox = os.path.join(self.tmp, "outbox")
        self.log_path = os.path.join(self.tmp, "guichetd.log")
        self.flags = ["--otp-cooldown", str(cooldown), "--mail", mail or f"outbox:{self.outbox}", *flags]
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.start()
        Server.running.append(self)

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", self.db, *self.flags],
            stdout=subprocess.PIPE, stderr=self.log, env=self.env)
        line = self.proc.stdout.readline().decode()
        check(line.startswith("listening on http://127.0.0.1:"), f"start-up line: {line!r} log: {self.log_text()}")
        self.url = line.split()[-1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def sql(self, query, *params):
        """Rows of a query on the server's database, whichever the store ('?' placeholders)."""
        if self.pg_name:
            for v in params:  # tests pass numbers and plain strings only
                query = query.replace("?", str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'", 1)
            return psql(self.db, query)
        import sqlite3
        db = sqlite3.connect(self.db)
        try:
            rows = [tuple(r) for r in db.execute(query, params)]
            db.commit()
            return rows
        finally:
            db.close()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def request(self, method, path, body=None, raw=None, headers=None, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        if body is not None:
            raw = json.dumps(body).encode()
        if raw is not None:
            hdrs.setdefault("Content-Type", "application/json")
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=raw, headers=hdrs)
        r = conn.getresponse()
        out = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        conn.close()
        return out

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def cli(self, *args, check_rc=None, input=None):
        p = subprocess.run([GUICHETD, *args, "--db", self.db], capture_output=True, env=self.env, input=input)
        if check_rc is not None:
            eq(p.returncode, check_rc, f"guichetd {' '.join(args)}: {p.stderr.decode()}")
        return p

    def add_citizen(self, phone):
        self.cli("citizen", "add", "--phone", phone, check_rc=0)

    def add_admin(self, email="admin@example.cm", nom="Doe", prenom="John", **extra):
        args = ["admin", "add", "--email", email, "--nom", nom, "--prenom", prenom]
        for k, v in extra.items():
            args += [f"--{k}", v]
        return self.cli(*args, check_rc=0).stdout.decode().strip()

    def ready_admin(self, email="admin@example.cm", password="s3cret-Passw0rd", **extra):
        """An admin whose signup is finished (code read from the outbox); returns the matricule."""
        m = self.add_admin(email=email, **extra)
        self.post("/api/admin/signin-init", {"matricule": m, "email": email})
        self.patch("/api/admin/signin-process", {"otp": self.last_code(email), "password": password})
        return m

    def mails(self):
        """Every mail written to the outbox, oldest first, parsed."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.outbox, "*.eml"))):
            with open(path, "rb") as f:
                raw = f.read()
            out.append((raw, email.message_from_bytes(raw, policy=email.policy.default)))
        return out

    def last_code(self, to=None):
        """The OTP of the newest mail (to that address): the line made of digits only."""
        for raw, msg in reversed(self.mails()):
            if to and mail_to(msg) != to.lower():
                continue
            for line in msg.get_content().splitlines():
                if line.strip().isdigit():
                    return line.strip()
        raise AssertionError(f"no code mailed to {to}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        rc = self.proc.returncode if self.proc else None
        if self.proc:
            self.proc.stdout.close()
            self.log.close()
        self.proc = None
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        self.start()

    @classmethod
    def stop_all(cls):
        for s in cls.running:
            rc = s.stop()
            if rc not in (None, 0, -signal.SIGKILL):
                raise AssertionError(f"guichetd exited {rc}: {s.log_text()[-2000:]}")
            shutil.rmtree(s.tmp, ignore_errors=True)
            if s.pg_name:
                psql(f"{PG_URL}/postgres", f"DROP DATABASE IF EXISTS {s.pg_name} WITH (FORCE)")
        cls.running = []


def mail_to(msg):
    """The recipient's bare address, lower-cased."""
    return msg["To"].addresses[0].addr_spec.lower()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
