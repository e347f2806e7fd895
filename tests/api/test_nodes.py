"""Past one machine (contract §9.5, §9.8): several guichetd on one PostgreSQL database behave as one.

Runs with GUICHET_TEST_STORE=pg (tests/run.sh starts a throw-away cluster); the schema
tests run on both stores.
"""
import http.client
import json
import os
import subprocess
import threading
import time

from harness import GUICHETD, PG_URL, STORE, Server, check, eq, main, new_pg_database, test

PASSWORD = "s3cret-Passw0rd"
PHONE = "0123456789"


def nodes(*flags, cooldown=0):
    """Two guichetd on one database."""
    a = Server(*flags, cooldown=cooldown)
    return a, Server(*flags, cooldown=cooldown, db=a.db)


def post(s, path, body, token=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body), headers=headers)
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    return r.status, json.loads(raw)


def pg_only(fn):
    def run():
        check(STORE == "pg", "runs on PostgreSQL (tests/run.sh gives it one)")
        fn()
    run.__name__ = fn.__name__
    return run


@test
def newer_schema_is_refused_with_a_clear_message():
    s = Server()
    s.stop()
    if STORE == "pg":
        s.sql("UPDATE guichet_schema SET version = 99")
    else:
        s.sql("PRAGMA user_version = 99")
    p = subprocess.run([GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", s.db], capture_output=True, timeout=30)
    eq(p.returncode, 1)
    check(b"schema version 99 is newer than this guichetd" in p.stderr, p.stderr)
    p = subprocess.run([GUICHETD, "admin", "list", "--db", s.db], capture_output=True, timeout=30)
    eq(p.returncode, 1, "subcommands refuse it too")


if STORE == "pg":
    @test
    @pg_only
    def two_nodes_start_together_on_a_fresh_database():
        name = new_pg_database()
        url = f"{PG_URL}/{name}"
        procs = [subprocess.Popen([GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", url, "--mail",
                                   f"outbox:/tmp/guichet-nodes-{name}"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(3)]
        try:
            for p in procs:
                line = p.stdout.readline().decode()
                check(line.startswith("listening on"), f"{line!r} {p.stderr.read1(2000) if p.poll() is not None else ''}")
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=20)
                p.stdout.close()
                p.stderr.close()
        check(all(p.returncode == 0 for p in procs), [p.returncode for p in procs])

    @test
    @pg_only
    def a_code_created_on_one_node_verifies_on_the_other():
        a, b = nodes()
        a.add_citizen(PHONE)
        code = a.post("/otp", {"type": "create", "phoneNumber": PHONE}).data["otp"]
        eq(b.post("/otp/verify", {"phoneNumber": PHONE, "otp": code}).status, 200)
        eq(a.post("/otp/verify", {"phoneNumber": PHONE, "otp": code}).status, 400, "single use, everywhere")
        a.ready_admin("admin@example.cm", PASSWORD)  # signup code mailed by A, used on A
        b.post("/api/admin/password-reset-while-dissconnected-init", {"email": "admin@example.cm"})
        r = a.patch("/api/admin/password-reset-while-dissconnected-process",
                    {"otp": b.last_code("admin@example.cm"), "password": "another-Passw0rd", "email": "admin@example.cm"})
        eq(r.status, 200, r)

    @test
    @pg_only
    def login_on_one_node_logout_on_the_other_revokes_everywhere():
        a, b = nodes()
        a.ready_admin("admin@example.cm", PASSWORD)
        token = a.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
        eq(b.request("GET", "/api/admin/me", token=token).status, 200)
        eq(b.request("DELETE", "/api/admin/logout", token=token).status, 200)
        eq(a.request("GET", "/api/admin/me", token=token).status, 401)

    @test
    @pg_only
    def cooldown_guess_budget_and_login_lock_hold_across_nodes():
        a, b = nodes("--otp-guess-budget", "4", cooldown=30)
        a.add_citizen(PHONE)
        code = a.post("/otp", {"type": "create", "phoneNumber": PHONE}).data["otp"]
        eq(b.post("/otp", {"type": "resend", "phoneNumber": PHONE}).status, 429, "the cooldown is shared")
        wrong = "000000" if code != "000000" else "111111"
        for node in (a, b, a, b):
            eq(node.post("/otp/verify", {"phoneNumber": PHONE, "otp": wrong}).status, 400)
        eq(a.post("/otp/verify", {"phoneNumber": PHONE, "otp": code}).status, 429, "the guess budget is shared")
        a.ready_admin("admin@example.cm", PASSWORD)
        for i in range(10):
            node = a if i % 2 else b
            eq(node.post("/api/admin/login", {"email": "admin@example.cm", "password": "wrong-pass"}).status, 401)
        eq(a.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).status, 429)
        eq(b.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).status, 429)

    @test
    @pg_only
    def the_rate_limit_holds_across_nodes_within_ten_percent():
        a, b = nodes("--rate-limit", "40")
        accepted = 0
        for i in range(120):
            conn = http.client.HTTPConnection("127.0.0.1", (a if i % 2 else b).port, timeout=10,
                                              source_address=("127.0.0.9", 0))
            conn.request("GET", "/nope")
            r = conn.getresponse()
            r.read()
            conn.close()
            accepted += r.status == 404
        print(f"# 120 requests from one address over two nodes, --rate-limit 40: {accepted} accepted", flush=True)
        check(36 <= accepted <= 44, f"{accepted} accepted for a limit of 40 a minute")

    @test
    @pg_only
    def concurrent_creates_split_across_nodes_give_one_201():
        a, b = nodes()
        a.add_citizen(PHONE)
        statuses = []

        def create(n):
            st, _ = post(a if n % 2 else b, "/otp", {"type": "create", "phoneNumber": PHONE})
            statuses.append(st)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        eq(sorted(statuses).count(201), 1, sorted(statuses))
        eq(statuses.count(400), 31, sorted(statuses))

    @test
    @pg_only
    def a_node_killed_mid_load_loses_nothing_acknowledged():
        a, b = nodes("--rate-limit", "0")
        phones = [f"06{i:08d}" for i in range(240)]
        for p in phones:
            a.add_citizen(p)
        acknowledged, lock, stop = {}, threading.Lock(), threading.Event()
        failures = []

        def client(n):
            for p in phones[n::6]:
                if stop.is_set() and n % 2:
                    return
                node = a if n % 2 else b
                try:
                    st, body = post(node, "/otp", {"type": "create", "phoneNumber": p})
                except OSError:
                    continue  # node A is gone: unanswered, so not acknowledged
                if st == 201:
                    with lock:
                        acknowledged[p] = body["data"]["otp"]
                elif node is b:
                    failures.append((p, st))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        a.kill9()
        stop.set()
        for t in threads:
            t.join()
        eq(failures, [], "the other node kept answering")
        eq(b.request("GET", "/health").status, 200)
        check(len(acknowledged) >= 120, f"{len(acknowledged)} acknowledged")
        for p, code in acknowledged.items():
            eq(b.post("/otp/verify", {"phoneNumber": p, "otp": code}).status, 200, f"{p} survived")
        print(f"# kill -9 of one node: {len(acknowledged)} acknowledged codes, all verified on the other", flush=True)


if __name__ == "__main__":
    main()
