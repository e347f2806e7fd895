"""Citizen codes in the field (contract §9.1, §9.2): caller keys, SMS delivery, every send audited."""
import glob
import http.server
import json
import os
import subprocess
import tempfile
import threading
import time

from harness import GUICHETD, Server, check, eq, main, test

PHONE = "0123456789"
PASSWORD = "s3cret-Passw0rd"
# GSM 03.38 basic character set (what one 160-character SMS can hold)
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")


class Gateway:
    """A small SMS gateway on loopback: records what it is sent, answers `status` after `delay` seconds."""

    def __init__(self, status=200, delay=0.0):
        self.status, self.delay, self.received = status, delay, []
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.received.append((self.path, dict(self.headers), json.loads(body)))
                time.sleep(gateway.delay)
                try:
                    self.send_response(gateway.status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # guichetd gave up waiting (--sms-timeout)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/send"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def code_line(text):
    lines = [line for line in text.splitlines() if line.strip().isdigit()]
    eq(len(lines), 1, f"one line with the code in {text!r}")
    return lines[0].strip()


def sms_files(directory):
    return sorted(glob.glob(os.path.join(directory, "*.sms")))


@test
def gateway_receives_the_json_and_its_key():
    gw = Gateway()
    try:
        s = Server("--sms", gw.url, "--sms-header", "X-Api-Key: k-123", "--sms-header", "X-Tenant: guichet")
        s.add_citizen(PHONE)
        r = s.post("/otp", {"type": "create", "phoneNumber": PHONE})
        eq(r.status, 201, r)
        check("otp" not in r.data, f"no code in the answer: {r.data}")
        eq(sorted(r.data), ["expiresAt", "phoneNumber"])
        eq(len(gw.received), 1)
        path, headers, body = gw.received[0]
        eq(path, "/send")
        eq(headers.get("X-Api-Key"), "k-123")
        eq(headers.get("X-Tenant"), "guichet")
        check(headers.get("Content-Type", "").startswith("application/json"), headers)
        eq(sorted(body), ["text", "to"])
        eq(body["to"], PHONE)
        text = body["text"]
        check(len(text) < 160 and set(text) <= GSM7, f"one GSM-7 SMS: {text!r}")
        check("5 minutes" in text, f"names the lifetime: {text!r}")
        code = code_line(text)
        eq(s.post("/otp/verify", {"phoneNumber": PHONE, "otp": code}).status, 200)
        check(code not in s.log_text(), "the code is not logged")
    finally:
        gw.close()


@test
def gateway_failure_leaves_no_code_and_no_cooldown():
    gw = Gateway(status=500)
    try:
        s = Server("--sms", gw.url, cooldown=30)
        s.add_citizen(PHONE)
        r = s.post("/otp", {"type": "create", "phoneNumber": PHONE})
        eq(r.status, 500, r)
        eq(r.message, "Erreur serveur lors de la gestion de l'OTP")
        eq(r.json["status"], "error")
        gw.status = 200
        r = s.post("/otp", {"type": "create", "phoneNumber": PHONE})
        eq(r.status, 201, f"an immediate create succeeds: {r}")
    finally:
        gw.close()


@test
def gateway_that_hangs_past_the_timeout_gives_500_then_create_works():
    gw = Gateway(delay=4)
    try:
        s = Server("--sms", gw.url, "--sms-timeout", "1", cooldown=30)
        s.add_citizen(PHONE)
        started = time.time()
        r = s.post("/otp", {"type": "create", "phoneNumber": PHONE})
        took = time.time() - started
        eq(r.status, 500, r)
        check(took < 3.5, f"answered after {took:.1f} s")
        eq(s.request("GET", "/health").status, 200)
        gw.delay = 0
        eq(s.post("/otp", {"type": "create", "phoneNumber": PHONE}).status, 201)
    finally:
        gw.close()


@test
def outbox_file_holds_the_code_that_verifies():
    tmp = tempfile.mkdtemp(prefix="guichet-test-")
    directory = os.path.join(tmp, "sms")
    s = Server("--sms", f"outbox:{directory}", tmp=tmp)
    s.add_citizen(PHONE)
    r = s.post("/otp", {"type": "create", "phoneNumber": PHONE})
    eq(r.status, 201, r)
    check("otp" not in r.data, r.data)
    files = sms_files(directory)
    eq(len(files), 1)
    eq(os.stat(files[0]).st_mode & 0o777, 0o600)
    with open(files[0], encoding="utf-8") as f:
        text = f.read()
    check(f"To: {PHONE}" in text, text)
    eq(s.post("/otp/verify", {"phoneNumber": PHONE, "otp": code_line(text)}).status, 200)


@test
def otp_in_response_follows_the_setting():
    s = Server("--otp-in-response", "no")
    s.add_citizen(PHONE)
    r = s.post("/otp", {"type": "create", "phoneNumber": PHONE})
    eq(r.status, 201)
    eq(sorted(r.data), ["expiresAt", "phoneNumber"])
    d = os.path.join(s.tmp, "sms2")
    s2 = Server("--sms", f"outbox:{d}", "--otp-in-response", "yes")
    s2.add_citizen(PHONE)
    r = s2.post("/otp", {"type": "create", "phoneNumber": PHONE})
    eq(r.status, 201)
    check(r.data["otp"].isdigit(), r.data)
    eq(s2.cli("serve", "--otp-in-response", "maybe").returncode, 2)


def login(s):
    s.ready_admin("admin@example.cm", PASSWORD)
    return s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]


def new_key(s, name):
    p = s.cli("apikey", "add", "--name", name, check_rc=0)
    return p.stdout.decode().strip().splitlines()[-1]


@test
def callers_key_needs_a_key_or_a_live_token():
    s = Server("--otp-callers", "key", "--token-ttl", "2")
    s.add_citizen(PHONE)
    s.add_citizen("9876543210")
    r = s.post("/otp", {"type": "create", "phoneNumber": PHONE})
    eq(r.status, 401)
    eq(r.json, {"status": "error", "message": "Non authentifié.", "data": None})
    eq(s.post("/otp/verify", {"phoneNumber": PHONE, "otp": "123456"}).status, 401)
    key = new_key(s, "portail")
    check(key.startswith("gk_") and len(key) > 40, key)
    r = s.post("/otp", {"type": "create", "phoneNumber": PHONE}, headers={"Authorization": f"Bearer {key}"})
    eq(r.status, 201, r)
    eq(s.post("/otp/verify", {"phoneNumber": PHONE, "otp": r.data["otp"]},
              headers={"Authorization": f"Bearer {key}"}).status, 200)
    token = login(s)
    eq(s.post("/otp", {"type": "create", "phoneNumber": "9876543210"}, token=token).status, 201)
    s.cli("apikey", "revoke", "--name", "portail", check_rc=0)
    eq(s.post("/otp", {"type": "resend", "phoneNumber": PHONE}, headers={"Authorization": f"Bearer {key}"}).status, 401)
    eq(s.post("/otp", {"type": "resend", "phoneNumber": PHONE}, headers={"Authorization": "Bearer gk_madeup"}).status,
       401)
    time.sleep(2.2)  # the token expires
    eq(s.post("/otp", {"type": "resend", "phoneNumber": "9876543210"}, token=token).status, 401)


@test
def a_key_in_use_is_recorded_as_used():
    """The record of use rides on the next group commit: the caller does not wait for it."""
    s = Server()
    s.add_citizen(PHONE)
    key = new_key(s, "portail")

    def last_used():
        return s.cli("apikey", "list", check_rc=0).stdout.decode().splitlines()[1].split("\t")[2]

    never = last_used()
    eq(s.post("/otp", {"type": "create", "phoneNumber": PHONE}, headers={"Authorization": f"Bearer {key}"}).status,
       201)
    deadline = time.time() + 5
    while last_used() == never and time.time() < deadline:
        time.sleep(0.05)
    check(last_used() != never, f"still {never!r}")


@test
def callers_any_ignores_a_dead_credential():
    s = Server()
    s.add_citizen(PHONE)
    key = new_key(s, "portail")
    s.cli("apikey", "revoke", "--name", "portail", check_rc=0)
    r = s.post("/otp", {"type": "create", "phoneNumber": PHONE}, headers={"Authorization": f"Bearer {key}"})
    eq(r.status, 201, r)
    r = s.post("/otp", {"type": "resend", "phoneNumber": PHONE}, headers={"Authorization": "Bearer 1|nonsense"})
    eq(r.status, 200, r)


@test
def apikey_list_never_shows_a_key():
    s = Server()
    key = new_key(s, "portail")
    key2 = new_key(s, "kiosque")
    eq(s.cli("apikey", "add", "--name", "portail").returncode, 1, "a live name is unique")
    s.cli("apikey", "revoke", "--name", "kiosque", check_rc=0)
    eq(s.cli("apikey", "revoke", "--name", "kiosque").returncode, 1)
    out = s.cli("apikey", "list", check_rc=0).stdout.decode()
    check(key not in out and key2 not in out and "gk_" not in out, out)
    lines = out.splitlines()
    eq(lines[0], "name\tcreated\tlast_used\tstate")
    check(lines[1].startswith("portail\t") and lines[1].endswith("\tlive"), lines)
    check(lines[2].startswith("kiosque\t") and lines[2].endswith("\trevoked"), lines)
    check(key not in repr(s.sql("SELECT * FROM api_keys")), "stored only as a hash")
    eq(s.cli("apikey", "add").returncode, 2)
    eq(s.cli("apikey", "frobnicate").returncode, 2)


def start_output(listen):
    """The first line on stdout and everything on stderr of a serve that is stopped at once."""
    d = tempfile.mkdtemp(prefix="guichet-warn-")
    p = subprocess.Popen([GUICHETD, "serve", "--listen", listen, "--db", os.path.join(d, "g.db"), "--mail",
                          f"outbox:{d}/out"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    p.terminate()
    _, err = p.communicate(timeout=20)
    eq(p.returncode, 0)
    return line, err.decode()


@test
def warning_on_every_address_not_on_loopback():
    line, err = start_output("0.0.0.0:0")
    check(line.startswith("listening on http://0.0.0.0:"), line)
    warnings = [w for w in err.splitlines() if w.startswith("warning:")]
    eq(len(warnings), 1, err)
    check("any citizen's code" in warnings[0], warnings)
    _, err = start_output("127.0.0.1:0")
    check("warning:" not in err, err)


@test
def audit_rows_carry_the_callers():
    s = Server()
    s.add_citizen(PHONE)
    key = new_key(s, "portail")
    token = login(s)
    code = s.post("/otp", {"type": "create", "phoneNumber": PHONE}).data["otp"]
    eq(s.post("/otp/verify", {"phoneNumber": PHONE, "otp": "000000" if code != "000000" else "111111"},
              headers={"Authorization": f"Bearer {key}"}).status, 400)
    eq(s.post("/otp", {"type": "resend", "phoneNumber": PHONE}, token=token).status, 200)
    rows = [line.split("\t") for line in s.cli("audit", check_rc=0).stdout.decode().splitlines()]
    eq(rows[0], ["at", "actor", "event", "outcome", "client", "detail"])
    citizen = [(r[1], r[2], r[3], r[4], r[5]) for r in rows[1:] if r[2].startswith("citizen.")]
    eq(citizen, [("anonyme", "citizen.code", "created", "127.0.0.1", PHONE),
                 ("portail", "citizen.verify", "wrong", "127.0.0.1", PHONE),
                 ("admin@example.cm", "citizen.code", "resent", "127.0.0.1", PHONE)])


if __name__ == "__main__":
    main()
