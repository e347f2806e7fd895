"""Abuse limits, HTTPS, faults and load, audit trail (issue: hardening). Loopback only, bounded in time."""
import http.client
import json
import os
import random
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import GUICHETD, Server, check, eq, free_port, main, test

PASSWORD = "s3cret-Passw0rd"
GUICHET = os.path.join(os.path.dirname(GUICHETD), "guichet")


def ready_admin(s, email="admin@example.cm"):
    return s.ready_admin(email, PASSWORD)


def wrong(code):
    return "000000" if code != "000000" else "111111"


@test
def citizen_guess_budget_spans_regenerated_codes():
    s = Server("--otp-guess-budget", "6")
    s.add_citizen("0123456789")
    guesses = 0
    for _ in range(2):  # 2 codes x 3 wrong guesses: each code alone is far from its 5 tries
        code = s.post("/otp", {"type": "create" if guesses == 0 else "resend", "phoneNumber": "0123456789"}).data["otp"]
        for _ in range(3):
            eq(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": wrong(code)}).status, 400)
            guesses += 1
    code = s.post("/otp", {"type": "resend", "phoneNumber": "0123456789"}).data["otp"]
    r = s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code})
    eq(r.status, 429, "the budget is spent, even for the right code")
    eq(r.json["status"], "error")
    check(re.fullmatch(r"Trop de codes erronés\. Réessayez dans \d+ secondes\.", r.message), r.message)
    check(3000 < int(r.header("retry-after")) <= 3600, r.header("retry-after"))
    eq(r.header("x-ratelimit-limit"), "6")
    eq(r.header("x-ratelimit-remaining"), "0")
    s.add_citizen("9876543210")  # another phone has its own budget
    c2 = s.post("/otp", {"type": "create", "phoneNumber": "9876543210"}).data["otp"]
    eq(s.post("/otp/verify", {"phoneNumber": "9876543210", "otp": c2}).status, 200)


@test
def admin_guess_budget_per_admin_and_per_client():
    s = Server("--otp-guess-budget", "4")
    ready_admin(s)
    token = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    for _ in range(2):
        s.post("/api/admin/password-reset-while-connected-init", token=token)
        code = s.last_code()
        for _ in range(2):
            eq(s.patch("/api/admin/password-reset-while-connected-process",
                       {"otp": wrong(code), "password": "new-password-1"}, token=token).status, 401)
    s.post("/api/admin/password-reset-while-connected-init", token=token)
    r = s.patch("/api/admin/password-reset-while-connected-process", {"otp": s.last_code(), "password": "new-password-1"},
                token=token)
    eq(r.status, 429)
    eq(r.json["status"], 429)
    check(r.header("retry-after"), "Retry-After")
    # code-only guesses (no token, no e-mail) share one server-wide budget (test_abuse.py)


@test
def trust_proxy_takes_the_forwarded_client():
    s = Server("--rate-limit", "2", "--trust-proxy", "127.0.0.0/8")
    for ip in ["203.0.113.7", "203.0.113.8"]:
        for _ in range(2):
            eq(s.request("GET", "/nope", headers={"X-Forwarded-For": ip}).status, 404)
        eq(s.request("GET", "/nope", headers={"X-Forwarded-For": ip}).status, 429, f"{ip} has its own budget")
    # a client cannot hide behind a forged entry: the rightmost untrusted one counts
    eq(s.request("GET", "/nope", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}).status, 429)
    untrusted = Server("--rate-limit", "2")
    for ip in ["203.0.113.7", "203.0.113.8"]:
        untrusted.request("GET", "/nope", headers={"X-Forwarded-For": ip})
    eq(untrusted.request("GET", "/nope", headers={"X-Forwarded-For": "192.0.2.1"}).status, 429,
       "without --trust-proxy the header is ignored")
    p = subprocess.run([GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(s.tmp, "x.db"),
                        "--trust-proxy", "not-a-cidr"], capture_output=True, timeout=10)
    check(p.returncode != 0 and b"--trust-proxy" in p.stderr, p.stderr)


@test
def audit_trail_records_admin_events_without_secrets():
    s = Server()
    ready_admin(s)
    s.post("/api/admin/login", {"email": "admin@example.cm", "password": "wrong-password"})
    token = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    s.post("/api/admin/password-reset-while-connected-init", token=token)
    code = s.last_code()
    s.patch("/api/admin/password-reset-while-connected-process", {"otp": wrong(code), "password": "new-password-1"}, token=token)
    s.patch("/api/admin/password-reset-while-connected-process", {"otp": code, "password": "new-password-1"}, token=token)
    s.post("/api/admin/login", {"email": "nobody@example.cm", "password": "x"})
    s.cli("admin", "delete", "--email", "admin@example.cm", check_rc=0)
    out = s.cli("audit", check_rc=0).stdout.decode()
    rows = [l.split("\t") for l in out.strip().splitlines()[1:]]
    events = [(r[2], r[3]) for r in rows]
    for want in [("admin.created", "ok"), ("signup.code", "sent"), ("signup.done", "ok"), ("login", "wrong_password"),
                 ("login", "ok"), ("password-change.code", "sent"), ("password-change.otp", "refused"),
                 ("password-change.done", "ok"), ("login", "unknown_email"), ("admin.deleted", "ok")]:
        check(want in events, f"{want} in {events}")
    check(all(re.match(r"\d{4}-\d\d-\d\dT", r[0]) for r in rows), "times")
    check(any(r[4] == "127.0.0.1" for r in rows), "client address")
    for secret in [PASSWORD, "new-password-1", code, token.split("|")[1]]:
        check(secret not in out, "no secret in the audit trail")
    only = s.cli("audit", "--admin", "nobody@example.cm", check_rc=0).stdout.decode().strip().splitlines()
    eq(len(only), 2, only)
    future = s.cli("audit", "--since", "2999-01-01", check_rc=0).stdout.decode().strip().splitlines()
    eq(len(future), 1, "header only")
    eq(s.cli("audit", "--since", "yesterday").returncode, 2)


@test
def smtp_that_hangs_answers_500_within_the_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts (the kernel does) and never speaks
    try:
        s = Server("--mail-timeout", "2", mail=f"smtp://127.0.0.1:{listener.getsockname()[1]}", cooldown=30)
        m = s.add_admin()
        started = time.time()
        r = s.post("/api/admin/signin-init", {"matricule": m, "email": "admin@example.cm"})
        took = time.time() - started
        eq(r.json, {"status": 500, "message": "Erreur interne."})
        check(took < 10, f"took {took:.1f}s")
        eq(s.request("GET", "/health").status, 200)
        eq(s.sql("SELECT count(*) FROM admin_otps"), [(0,)], "no OTP left")
        eq(s.sql("SELECT count(*) FROM limits WHERE key LIKE 'send:%' AND count > 0"), [(0,)], "no cooldown consumed")
    finally:
        listener.close()


def make_certificate(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@test
def https_with_a_certificate_made_by_the_test():
    d = tempfile.mkdtemp(prefix="guichet-tls-")
    cert, key = make_certificate(d)
    db = os.path.join(d, "g.db")
    subprocess.run([GUICHETD, "citizen", "add", "--phone", "0123456789", "--db", db], check=True, capture_output=True)
    p = subprocess.Popen([GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", db, "--tls-cert", cert, "--tls-key", key,
                          "--mail", f"outbox:{d}/out"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = p.stdout.readline().decode().strip()
        check(line.startswith("listening on https://127.0.0.1:"), line)
        url = line.split()[-1]
        ctx = ssl.create_default_context(cafile=cert)
        conn = http.client.HTTPSConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), context=ctx, timeout=10)
        conn.request("GET", "/health")
        eq(json.loads(conn.getresponse().read()), {"status": "ok"})
        conn.close()
        env = dict(os.environ, GUICHET_SERVER=url, HOME=d, GUICHET_TOKEN_STORE="none")
        q = subprocess.run([GUICHET, "--cacert", cert, "otp", "create", "0123456789"], capture_output=True, env=env, timeout=30)
        eq(q.returncode, 0, q.stderr)
        check("OTP créé avec succès" in q.stdout.decode(), q.stdout)
        q = subprocess.run([GUICHET, "health"], capture_output=True, env=env, timeout=30)
        eq(q.returncode, 3, "an unknown CA is refused by default")
        bad = subprocess.run([GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", db, "--tls-cert", key,
                              "--tls-key", key], capture_output=True, timeout=10)
        check(bad.returncode != 0 and bad.stderr, "a bad certificate is refused at start")
    finally:
        p.terminate()
        p.wait(timeout=10)
        p.stdout.close()


@test(sqlite_only=True)
def read_only_database_gives_500_and_still_serves_reads():
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    token = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    files = [f for f in [s.db, s.db + "-wal"] if os.path.exists(f)]
    # immutable: even root's already-open descriptors can no longer write (ext4's chattr +i)
    r = subprocess.run(["chattr", "+i", *files], capture_output=True)
    check(r.returncode == 0, f"chattr +i: {r.stderr}")
    try:
        r = s.post("/otp", {"type": "create", "phoneNumber": "0123456789"})
        eq(r.status, 500)
        eq(r.json, {"status": "error", "message": "Erreur serveur lors de la gestion de l'OTP", "data": "database unavailable"})
        eq(s.request("GET", "/health").status, 200)
        eq(s.request("GET", "/api/admin/me", token=token).status, 200, "reads still served")
        r = s.request("DELETE", "/api/admin/logout", token=token)
        eq(r.json, {"status": 500, "message": "Erreur interne."})
        eq(s.post("/otp", {"type": "create"}).status, 400, "bad input is still a 400")
        check("guichetd: database:" in s.log_text(), s.log_text()[-800:])
        check(s.proc.poll() is None, "no crash")
    finally:
        subprocess.run(["chattr", "-i", *files], capture_output=True)
    eq(s.post("/otp", {"type": "create", "phoneNumber": "0123456789"}).status, 201, "writes again once writable")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


@test
def load_64_clients_for_20_seconds_no_5xx_memory_flat():
    # under ASan, freed memory waits in a quarantine (256 MiB by default): keep it small so RSS tells the truth
    s = Server("--rate-limit", "0", "--login-max-failures", "0", "--otp-guess-budget", "0",
               env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"})
    phones = [f"06{i:08d}" for i in range(200)]
    csv = os.path.join(s.tmp, "c.csv")
    with open(csv, "w") as f:
        f.write("phone\n" + "\n".join(phones) + "\n")
    s.cli("citizen", "import", csv, check_rc=0)
    ready_admin(s)
    token = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    statuses = {}
    lock = threading.Lock()
    stop = time.time() + 20
    rss = {}

    auth = {"Authorization": f"Bearer {token}"}
    # every route, in forms that do not end the shared session (no logout of it, no password change)
    mix = [
        lambda rnd, phone: ("GET", "/health", None, {}),
        lambda rnd, phone: ("POST", "/otp", {"type": rnd.choice(["create", "resend"]), "phoneNumber": phone}, {}),
        lambda rnd, phone: ("POST", "/otp/verify", {"phoneNumber": phone, "otp": "%06d" % rnd.randrange(10**6)}, {}),
        lambda rnd, phone: ("GET", "/api/admin/me", None, auth),
        lambda rnd, phone: ("POST", "/otp", b"{oops", {}),
        lambda rnd, phone: ("POST", "/api/admin/login", {"email": "admin@example.cm", "password": "wrong-password"}, {}),
        lambda rnd, phone: ("GET", "/nope", None, {}),
        lambda rnd, phone: ("POST", "/api/admin/signin-init", {"matricule": "x", "email": "admin@example.cm"}, {}),
        lambda rnd, phone: ("PATCH", "/api/admin/signin-process", {"otp": "%06d" % rnd.randrange(10**6), "password": PASSWORD}, {}),
        lambda rnd, phone: ("DELETE", "/api/admin/logout", None, {"Authorization": "Bearer 999|nope"}),
        lambda rnd, phone: ("POST", "/api/admin/password-reset-while-dissconnected-init", {"email": "nobody@example.cm"}, {}),
        lambda rnd, phone: ("PATCH", "/api/admin/password-reset-while-dissconnected-process", {"otp": "123456", "password": PASSWORD}, {}),
        lambda rnd, phone: ("POST", "/api/admin/password-reset-while-connected-init", None, auth),
        lambda rnd, phone: ("PATCH", "/api/admin/password-reset-while-connected-process", {"otp": "%06d" % rnd.randrange(10**6), "password": "short"}, auth),
        lambda rnd, phone: ("POST", "/api/admin/email-reset-init", {"email": "taken@example.cm"}, auth),
        lambda rnd, phone: ("PATCH", "/api/admin/email-reset-process", {"otp": "%06d" % rnd.randrange(10**6)}, auth),
    ]

    def client(n):
        rnd = random.Random(n)
        # a slow route waits its turn behind 64 clients' Argon2 work (ASan, a loaded CI machine)
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=90)
        while time.time() < stop:
            req = rnd.choice(mix)(rnd, rnd.choice(phones))
            method, path, body, headers = req
            raw = json.dumps(body).encode() if isinstance(body, dict) else body
            try:
                conn.request(method, path, body=raw, headers=headers)
                r = conn.getresponse()
                r.read()
                st = r.status
            except (http.client.HTTPException, OSError) as e:
                st = f"error {type(e).__name__}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            with lock:
                statuses[st] = statuses.get(st, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    time.sleep(5)
    rss["warm"] = rss_kib(s.proc.pid)
    for t in threads:
        t.join()
    rss["end"] = rss_kib(s.proc.pid)
    print(f"# load: {sum(v for k, v in statuses.items())} requests {statuses}; RSS {rss['warm']} -> {rss['end']} KiB")
    check(not any(isinstance(k, int) and k >= 500 for k in statuses), f"no 5xx: {statuses}")
    check(not any(isinstance(k, str) for k in statuses), f"no transport error: {statuses}")
    check(s.proc.poll() is None, "still running")
    check(rss["end"] - rss["warm"] < 32 * 1024, f"memory flat: {rss}")


@test
def kill_9_under_load_keeps_every_acknowledged_otp():
    s = Server("--rate-limit", "0")
    phones = [f"07{i:08d}" for i in range(3000)]
    csv = os.path.join(s.tmp, "c.csv")
    with open(csv, "w") as f:
        f.write("phone\n" + "\n".join(phones) + "\n")
    s.cli("citizen", "import", csv, check_rc=0)
    acked = {}
    lock = threading.Lock()
    queue = list(phones)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        while True:
            with lock:
                if not queue:
                    return
                phone = queue.pop()
            try:
                conn.request("POST", "/otp", body=json.dumps({"type": "create", "phoneNumber": phone}).encode())
                r = conn.getresponse()
                body = json.loads(r.read())
                if r.status == 201:
                    with lock:
                        acked[phone] = body["data"]["otp"]
            except (http.client.HTTPException, OSError, ValueError):
                return

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    s.kill9()
    for t in threads:
        t.join()
    check(len(acked) > 50, f"only {len(acked)} acknowledged before the kill")
    # a code and its audit row are one commit: none acknowledged is missing from the trail
    rows = [line.split("\t") for line in s.cli("audit", check_rc=0).stdout.decode().splitlines()]
    told = {r[5] for r in rows if len(r) == 6 and r[2:4] == ["citizen.code", "created"]}
    eq([p for p in acked if p not in told], [], f"of {len(acked)} acknowledged OTPs, not in the trail")
    s.start()
    lost = [p for p, code in acked.items()
            if s.post("/otp/verify", {"phoneNumber": p, "otp": code}).status != 200]
    eq(lost, [], f"of {len(acked)} acknowledged OTPs")


@test
def a_batch_with_failing_steps_keeps_its_neighbours():
    """Concurrent creates share group commits; the 23 losers of a race on one phone (each a
    step rolled back to its savepoint) must not cost the 24 other phones their codes."""
    s = Server("--rate-limit", "0")
    phones = [f"06{i:08d}" for i in range(25)]
    csv = os.path.join(s.tmp, "c.csv")
    with open(csv, "w") as f:
        f.write("phone\n" + "\n".join(phones) + "\n")
    s.cli("citizen", "import", csv, check_rc=0)
    targets = [phones[0]] * 24 + phones[1:]
    answers = {}
    barrier = threading.Barrier(len(targets))

    def create(i):
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        body = json.dumps({"type": "create", "phoneNumber": targets[i]}).encode()
        conn.connect()
        barrier.wait()
        conn.request("POST", "/otp", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        answers[i] = (r.status, json.loads(r.read()))
        conn.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _ in answers.values())
    eq(statuses.count(201), 25, statuses)
    eq(statuses.count(400), 23, statuses)
    codes = {b["data"]["phoneNumber"]: b["data"]["otp"] for status, b in answers.values() if status == 201}
    eq(sorted(codes), phones, "one code per phone")
    for phone, code in codes.items():
        eq(s.post("/otp/verify", {"phoneNumber": phone, "otp": code}).status, 200, phone)


if __name__ == "__main__":
    main()
