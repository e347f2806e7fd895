"""POST /otp, /otp/verify, /health and the HTTP edges, against a real guichetd (contract §3.1, §3.3, §8)."""
import http.client
import os
import re
import socket
import stat
import subprocess
import threading
import time
from datetime import datetime, timezone

from harness import STORE, GUICHETD, Server, check, eq, free_port, main, test

MISSING = "Champs requis manquants"
BAD_TYPE = "Type d'opération invalide. Utilisez 'create' ou 'resend'."
NO_CITIZEN = "Numéro de téléphone introuvable ou non associé à un Citoyen"
EXISTS = "Un OTP existe déjà pour ce numéro. Utilisez le type 'resend' pour régénérer."
NONE = "Aucun OTP n'existe pour ce numéro. Utilisez le type 'create' pour en générer un."
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def server_with_citizens(*flags, **kw):
    s = Server(*flags, **kw)
    s.add_citizen("0123456789")
    s.add_citizen("9876543210")
    s.cli("user", "add", "--phone", "5550001", "--type", "AGENT", check_rc=0)
    return s


def otp(s, type_, phone):
    return s.post("/otp", {"type": type_, "phoneNumber": phone})


def refused(r, status, message):
    eq(r.status, status, f"status of {r}")
    eq(r.json, {"status": "error", "message": message, "data": None}, "envelope")


@test
def health_answers_ok():
    s = Server()
    r = s.request("GET", "/health")
    eq(r.status, 200)
    eq(r.json, {"status": "ok"})
    eq(r.header("content-type"), "application/json; charset=utf-8")


@test
def create_answers_201_with_code_and_utc_expiry():
    s = server_with_citizens()
    before = time.time()
    r = otp(s, "create", "0123456789")
    eq(r.status, 201)
    eq(r.json["status"], "success")
    eq(r.message, "OTP créé avec succès")
    eq(r.data["phoneNumber"], "0123456789")
    check(re.fullmatch(r"\d{6}", r.data["otp"]), f"otp {r.data['otp']!r}")
    check(ISO.match(r.data["expiresAt"]), f"expiresAt {r.data['expiresAt']!r}")
    expires = datetime.strptime(r.data["expiresAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    ttl = expires.timestamp() - before
    check(295 < ttl < 305, f"default lifetime 300 s, got {ttl}")
    eq(r.header("content-type"), "application/json; charset=utf-8")


@test
def create_twice_is_refused_while_live():
    s = server_with_citizens()
    eq(otp(s, "create", "0123456789").status, 201)
    refused(otp(s, "create", "0123456789"), 400, EXISTS)


@test
def resend_replaces_the_code():
    s = server_with_citizens()
    first = otp(s, "create", "0123456789").data["otp"]
    r = otp(s, "resend", "0123456789")
    eq(r.status, 200)
    eq(r.json["status"], "success")
    eq(r.message, "OTP régénéré avec succès")
    check(ISO.match(r.data["expiresAt"]), "expiresAt")
    second = r.data["otp"]
    if first != second:  # one chance in a million to be equal
        refused(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": first}), 400, "OTP incorrect ou expiré")
    eq(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": second}).status, 200)


@test
def resend_without_otp_is_refused():
    s = server_with_citizens()
    refused(otp(s, "resend", "9876543210"), 400, NONE)


@test
def resend_after_use_is_refused_and_create_allowed():
    s = server_with_citizens()
    code = otp(s, "create", "0123456789").data["otp"]
    eq(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code}).status, 200)
    refused(otp(s, "resend", "0123456789"), 400, NONE)
    eq(otp(s, "create", "0123456789").status, 201)


@test
def missing_or_empty_fields():
    s = server_with_citizens()
    for body in [{}, {"type": "create"}, {"phoneNumber": "0123456789"}, {"type": "", "phoneNumber": "0123456789"},
                 {"type": "create", "phoneNumber": ""}, {"type": "create", "phoneNumber": " - . "},
                 {"type": None, "phoneNumber": "0123456789"}]:
        refused(s.post("/otp", body), 400, MISSING)
    refused(s.post("/otp", raw=b""), 400, MISSING)


@test
def invalid_type():
    s = server_with_citizens()
    refused(otp(s, "delete", "0123456789"), 400, BAD_TYPE)
    refused(otp(s, "CREATE", "0123456789"), 400, BAD_TYPE)
    refused(s.post("/otp", {"type": 5, "phoneNumber": "0123456789"}), 400, BAD_TYPE)


@test
def unknown_or_non_citizen_number():
    s = server_with_citizens()
    refused(otp(s, "create", "0000000000"), 400, NO_CITIZEN)
    refused(otp(s, "create", "5550001"), 400, NO_CITIZEN)  # an AGENT
    refused(otp(s, "resend", "5550001"), 400, NO_CITIZEN)
    refused(otp(s, "create", "01234abc"), 400, NO_CITIZEN)


@test
def checks_run_in_the_contract_order():
    s = server_with_citizens()
    refused(s.post("/otp", {"type": "bogus"}), 400, MISSING)  # missing before invalid type
    refused(otp(s, "bogus", "0000000000"), 400, BAD_TYPE)  # invalid type before unknown number
    otp(s, "create", "0123456789")
    refused(otp(s, "bogus", "0123456789"), 400, BAD_TYPE)


@test
def phone_numbers_are_normalised():
    s = server_with_citizens()
    r = otp(s, "create", "01 23.45-67 89")
    eq(r.status, 201)
    eq(r.data["phoneNumber"], "0123456789")
    refused(otp(s, "create", "0123-456-789"), 400, EXISTS)
    s.cli("citizen", "add", "--phone", "01.23.45.67.89", check_rc=1)  # the same number, stored once


@test
def wrong_json_types_are_clear_400s():
    s = server_with_citizens()
    r = s.post("/otp", {"type": "create", "phoneNumber": 123456789})
    eq(r.status, 400)
    check("phoneNumber" in r.message, r.message)
    eq(r.json["data"], None)
    r = s.post("/otp", {"type": ["create"], "phoneNumber": "0123456789"})
    refused(r, 400, BAD_TYPE)


@test
def malformed_bodies_are_400_never_500():
    s = server_with_citizens()
    for raw in [b"{", b"not json", b'{"type":"create",}', b"\xff\xfe", b'{"type":"create","phoneNumber":"0123\xff"}',
                b'{"type":"create","phoneNumber":"0123456789"}\x00', b'{"type":"create","phoneNumber":"0123456789\\u0000"}',
                b'{"type":"create"} trailing']:
        r = s.post("/otp", raw=raw)
        eq(r.status, 400, f"{raw!r}")
        eq(r.json, {"status": "error", "message": "Requête JSON invalide.", "data": None}, f"{raw!r}")
    for raw in [b"[]", b'"create"', b"42", b"null"]:
        r = s.post("/otp", raw=raw)
        eq(r.status, 400, f"{raw!r}")
        eq(r.json["status"], "error")
    eq(s.request("GET", "/health").status, 200)  # still alive


@test
def body_over_16_kib_is_413():
    s = server_with_citizens()
    big = b'{"type":"create","phoneNumber":"0123456789","pad":"' + b"x" * 17000 + b'"}'
    refused(s.post("/otp", raw=big), 413, "Requête trop volumineuse.")
    # a chunked body with no Content-Length is capped too
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    conn.request("POST", "/otp", body=iter([b"{" + b" " * 9000, b" " * 9000 + b"}"]),
                 headers={"Content-Type": "application/json"}, encode_chunked=True)
    r = conn.getresponse()
    eq(r.status, 413)
    conn.close()
    ok = b'{"type":"create","phoneNumber":"0123456789","pad":"' + b"x" * 16000 + b'"}'
    eq(s.post("/otp", raw=ok).status, 201)  # just under the cap


@test
def unknown_route_404_and_wrong_method_405():
    s = server_with_citizens()
    refused(s.request("GET", "/nope"), 404, "Route introuvable.")
    refused(s.request("POST", "/otp/"), 404, "Route introuvable.")
    r = s.request("GET", "/otp")
    refused(r, 405, "Méthode non autorisée.")
    eq(r.header("allow"), "POST")
    r = s.request("DELETE", "/health")
    eq(r.status, 405)
    eq(r.header("allow"), "GET")
    r = s.request("GET", "/api/admin/login")
    eq(r.status, 405)
    eq(r.json, {"status": 405, "message": "Méthode non autorisée."})
    eq(s.request("GET", "/api/admin/nope").json, {"status": 404, "message": "Route introuvable."})


@test
def concurrent_creates_give_exactly_one_201():
    s = server_with_citizens()
    statuses = []
    lock = threading.Lock()
    barrier = threading.Barrier(32)

    def one():
        barrier.wait()
        r = otp(s, "create", "0123456789")
        with lock:
            statuses.append((r.status, r.message))

    threads = [threading.Thread(target=one) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sum(1 for st, _ in statuses if st == 201), 1, f"201s among {statuses}")
    eq(sum(1 for st, m in statuses if st == 400 and m == EXISTS), 31, "the others are told it exists")


@test
def expired_otp_allows_create_and_fails_verify():
    s = server_with_citizens("--citizen-otp-ttl", "1")
    code = otp(s, "create", "0123456789").data["otp"]
    time.sleep(1.2)
    refused(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code}), 400, "OTP incorrect ou expiré")
    eq(otp(s, "create", "0123456789").status, 201)
    time.sleep(1.2)
    eq(otp(s, "resend", "0123456789").status, 200)  # an expired code can be regenerated


@test
def verify_is_single_use():
    s = server_with_citizens()
    code = otp(s, "create", "0123456789").data["otp"]
    r = s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code})
    eq(r.status, 200)
    eq(r.json["status"], "success")
    eq(r.message, "OTP vérifié avec succès")
    refused(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code}), 400, "OTP incorrect ou expiré")


@test
def verify_accepts_a_number_left_padded():
    s = server_with_citizens("--otp-digits", "8")
    code = otp(s, "create", "0123456789").data["otp"]
    eq(len(code), 8)
    eq(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": int(code)}).status, 200)


@test
def five_wrong_codes_kill_the_otp():
    s = server_with_citizens()
    code = otp(s, "create", "0123456789").data["otp"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        refused(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": wrong}), 400, "OTP incorrect ou expiré")
    refused(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code}), 400, "OTP incorrect ou expiré")
    eq(otp(s, "create", "0123456789").status, 201)  # a dead OTP is not live


@test
def dead_otp_can_be_resent():
    s = server_with_citizens()
    code = otp(s, "create", "0123456789").data["otp"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": wrong})
    r = otp(s, "resend", "0123456789")
    eq(r.status, 200)
    eq(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": r.data["otp"]}).status, 200)


@test
def verify_bad_input():
    s = server_with_citizens()
    refused(s.post("/otp/verify", {"phoneNumber": "0123456789"}), 400, MISSING)
    refused(s.post("/otp/verify", {"otp": "123456"}), 400, MISSING)
    refused(s.post("/otp/verify", {"phoneNumber": "0000000000", "otp": "123456"}), 400, NO_CITIZEN)
    refused(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": "12ab56"}), 400, "OTP incorrect ou expiré")
    refused(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": "123456"}), 400, "OTP incorrect ou expiré")


@test
def acknowledged_otp_survives_kill_9():
    s = server_with_citizens()
    code = otp(s, "create", "0123456789").data["otp"]
    s.kill9()
    s.start()
    refused(otp(s, "create", "0123456789"), 400, EXISTS)
    eq(s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code}).status, 200)


@test
def cooldown_answers_429_with_retry_after():
    s = server_with_citizens(cooldown=30)
    eq(otp(s, "create", "0123456789").status, 201)
    r = otp(s, "resend", "0123456789")
    eq(r.status, 429)
    eq(r.json["status"], "error")
    check(re.fullmatch(r"Veuillez patienter \d+ secondes avant de demander un nouveau code\.", r.message), r.message)
    wait = int(r.header("retry-after"))
    check(25 <= wait <= 30, f"Retry-After {wait}")
    refused(otp(s, "resend", "9876543210"), 400, NONE)  # the 400 checks come first
    eq(otp(s, "create", "9876543210").status, 201)  # another number is not held back


@test
def rate_limit_per_client_answers_429():
    s = server_with_citizens("--rate-limit", "5")
    for i in range(5):
        r = otp(s, "create" if i == 0 else "bogus", "0123456789")
        eq(r.header("x-ratelimit-limit"), "5")
        eq(r.header("x-ratelimit-remaining"), str(4 - i))
    r = otp(s, "create", "0123456789")
    eq(r.status, 429)
    eq(r.json["status"], "error")
    check(re.fullmatch(r"Trop de requêtes\. Réessayez dans \d+ secondes\.", r.message), r.message)
    # one node: a token bucket (a token every 12 s); several nodes on PostgreSQL: a one-minute window
    check(1 <= int(r.header("retry-after")) <= (60 if STORE == "pg" else 12), r.header("retry-after"))
    eq(r.header("x-ratelimit-remaining"), "0")
    eq(s.request("GET", "/nope").status, 429)
    eq(s.request("GET", "/api/admin/me").json["status"], 429)  # in the route's own envelope
    for _ in range(10):
        eq(s.request("GET", "/health").status, 200)  # never limited


@test
def otp_digits_setting():
    s = server_with_citizens("--otp-digits", "4")
    check(re.fullmatch(r"\d{4}", otp(s, "create", "0123456789").data["otp"]), "4 digits")


@test
def request_log_has_no_secret():
    s = server_with_citizens()
    code = otp(s, "create", "0123456789").data["otp"]
    s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": code})
    s.stop()
    log = s.log_text()
    check(re.search(r"^POST /otp 201 \d+ms$", log, re.M), log)
    check(re.search(r"^POST /otp/verify 200 \d+ms$", log, re.M), log)
    check(code not in log, "the code is not logged")
    check("0123456789" not in log, "no body is logged")


@test(sqlite_only=True)
def database_and_key_are_private():
    s = Server()
    for path in [s.db, s.db + ".key"]:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        eq(mode, 0o600, f"mode of {path}")
    with open(s.db, "rb") as f:
        eq(f.read(16), b"SQLite format 3\x00")


@test
def keep_alive_serves_many_requests_on_one_connection():
    s = server_with_citizens()
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    for _ in range(20):
        conn.request("GET", "/health")
        r = conn.getresponse()
        r.read()
        eq(r.status, 200)
        check(r.getheader("Connection", "").lower() != "close", "connection kept")
    conn.request("POST", "/otp", body=b'{"type":"create","phoneNumber":"0123456789"}')
    eq(conn.getresponse().status, 201)
    conn.close()


@test
def sigterm_stops_cleanly():
    s = Server()
    eq(s.stop(), 0)
    check("stopping" in s.log_text(), "says it stops")


@test
def bad_flags_exit_2_with_a_message():
    for args in [["serve", "--otp-digits", "3"], ["serve", "--bogus", "1"], ["serve", "--listen"],
                 ["serve", "--listen", "nonsense"], ["frobnicate"], ["serve", "--tls-cert", "x"]]:
        p = subprocess.run([GUICHETD, *args], capture_output=True, timeout=10)
        eq(p.returncode, 2, f"{args}: {p.stderr}")
        check(p.stderr.strip(), f"{args}: a message")
    p = subprocess.run([GUICHETD, "serve", "--listen", "127.0.0.1:0"], capture_output=True, timeout=10,
                       env=dict(os.environ, GUICHET_OTP_DIGITS="11"))
    eq(p.returncode, 2)
    check(b"GUICHET_OTP_DIGITS" in p.stderr, p.stderr)


@test
def flags_win_over_environment():
    s = server_with_citizens("--otp-digits", "5", env={"GUICHET_OTP_DIGITS": "9", "GUICHET_CITIZEN_OTP_TTL": "60"})
    r = otp(s, "create", "0123456789")
    eq(len(r.data["otp"]), 5)
    expires = datetime.strptime(r.data["expiresAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    check(55 < expires.timestamp() - time.time() < 65, "GUICHET_CITIZEN_OTP_TTL applies")


@test
def port_in_use_and_bad_database_fail_clearly():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = subprocess.run([GUICHETD, "serve", "--listen", f"127.0.0.1:{port}", "--db", "/tmp/guichet-port-test.db"],
                           capture_output=True, timeout=10)
        check(p.returncode != 0, "exit non-zero")
        check(b"Address already in use" in p.stderr, p.stderr)
    for path in ["/nonexistent/dir/g.db", "/proc/version"]:
        p = subprocess.run([GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", path], capture_output=True, timeout=10)
        check(p.returncode != 0, f"{path}: exit non-zero")
        check(b"database" in p.stderr, p.stderr)
    for f in ["/tmp/guichet-port-test.db", "/tmp/guichet-port-test.db.key"]:
        if os.path.exists(f):
            os.unlink(f)


@test
def restart_on_the_same_port_right_after_a_crash():
    s = server_with_citizens()
    otp(s, "create", "0123456789")
    port = s.port
    s.kill9()
    s.flags[:0] = []
    p = subprocess.Popen([GUICHETD, "serve", "--listen", f"127.0.0.1:{port}", "--db", s.db],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline().decode()
    p.terminate()
    p.wait(timeout=10)
    p.stdout.close()
    eq(line.strip(), f"listening on http://127.0.0.1:{port}")


@test
def citizen_import_reports_added_and_skipped():
    s = Server()
    csv = os.path.join(s.tmp, "citizens.csv")
    with open(csv, "w") as f:
        f.write("Nom,PHONE,prenom,extra\nDoe,01 23 45 67 89,John,x\nRoe,9876543210,Jane,y\n"
                "Bad,12ab,Joe,z\nDup,01.23.45.67.89,Jim,w\n\nNone,,Nobody,v\n")
    p = s.cli("citizen", "import", csv, check_rc=0)
    out = p.stdout.decode()
    check("2 added, 3 skipped" in out, out)
    check("line 4: skipped: invalid phone number" in out, out)
    check("line 5: skipped: phone number 0123456789 already registered" in out, out)
    check("line 7: skipped: empty phone number" in out, out)
    eq(otp(s, "create", "9876543210").status, 201)
    p = s.cli("citizen", "import", "/nonexistent.csv")
    eq(p.returncode, 1)
    p = s.cli("citizen", "import")
    eq(p.returncode, 2)


@test
def provisioning_usage_errors():
    s = Server()
    for args in [["citizen", "add"], ["citizen", "add", "--phone"], ["citizen", "frob"], ["user", "add", "--phone", "1"],
                 ["user", "add", "--phone", "1", "--type", "agent"], ["admin", "add", "--email", "a@b.c"],
                 ["admin", "add", "--email", "nope", "--nom", "N", "--prenom", "P"], ["admin"], ["citizen", "add", "--phone", "abc"]]:
        p = s.cli(*args)
        eq(p.returncode, 2, f"{args}: {p.stderr}")
        check(p.stderr.strip(), f"{args}: says why")


if __name__ == "__main__":
    main()
