"""The console against a hostile server (contract §9.3, §9.7): no control character of the
server's reaches the terminal, --json stays valid JSON on one line, and the code-only
routes always name their admin. The UI shows the same client_result strings, so these
one-shot and headless runs cover what it prints too."""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading

from harness import Server, check, eq, main, test

GUICHET = os.environ.get("GUICHET", os.path.join(os.path.dirname(os.environ.get("GUICHETD", "build/guichetd")), "guichet"))
PASSWORD = "s3cret-Passw0rd"

# What an attacker would like a terminal to obey: an OSC 52 clipboard write, a screen
# clear, a carriage return and a forged result line, a TAB, C1 CSI (as UTF-8 and as a
# lone byte), bytes that are no UTF-8 at all. The French accents must survive.
EVIL = "\x1b]52;c;ZXZpbA==\x07\x1b[2J cr\u00e9\u00e9\r\nok\t9\tforged\u009b31m"
EVIL_RAW = EVIL.encode() + b"\x9b\xff\xc3"


def escaped_body(data=None, status="success"):
    """Valid JSON: the controls arrive as \\u escapes, cJSON decodes them."""
    return json.dumps({"status": status, "message": EVIL, "data": data}, indent=1).encode()


def raw_body(data=b"null", status=b"success"):
    """The controls and the broken UTF-8 as raw bytes inside the strings, CR LF between members."""
    return b'{"status":"' + status + b'",\r\n"message":"' + EVIL_RAW + b'",\r\n"data":' + data + b'}'


OTP_DATA = {"phoneNumber": "\x1b[2J0123456789", "otp": "12\r\n34", "expiresAt": "\u009b2J 2030"}
ADMIN = {"id": 1, "matricule": "M\x1b]0;title\x07", "nom": "Doe\r\nok\t9\tforged", "prenom": "Andr\u00e9\x1b[31m",
         "email": "a@example.cm\x07", "telephone": "\u009b6n", "ville": "\u202eDouala\u200b\t", "pays": "Cameroun\x7f"}


class Evil:
    """A fake guichetd on 127.0.0.1: every route answers `body` with `status`; requests are kept."""

    def __init__(self, body=None, status=200):
        self.body = body if body is not None else escaped_body()
        self.status = status
        self.seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                outer.seen.append((self.command, self.path, self.rfile.read(n).decode()))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            do_GET = do_POST = do_PATCH = do_DELETE = answer

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self, method):
        return [json.loads(b) for m, _, b in self.seen if m == method]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


class Console:
    """guichet with a private HOME / XDG dirs and the file token store."""

    def __init__(self, url, store="file"):
        self.home = tempfile.mkdtemp(prefix="guichet-home-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "DBUS_", "XDG_"))}
        self.env.update(HOME=self.home, XDG_STATE_HOME=f"{self.home}/state", XDG_CONFIG_HOME=f"{self.home}/config",
                        GUICHET_TOKEN_STORE=store, GUICHET_SERVER=url)

    def run(self, *args, input=None, env=None):
        p = subprocess.run([GUICHET, *args], input=input.encode() if input is not None else None,
                           capture_output=True, env=dict(self.env, **(env or {})), timeout=60,
                           stdin=None if input is not None else subprocess.DEVNULL)
        p.out = p.stdout.decode("utf-8", "replace")
        p.err = p.stderr.decode("utf-8", "replace")
        return p

    def state_files(self):
        d = f"{self.home}/state/guichet"
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def cleanup(self):
        shutil.rmtree(self.home, ignore_errors=True)


def terminal_safe(p, what, tabs=False):
    """Nothing but text, LF (and the headless TABs) on stdout and stderr, in valid UTF-8."""
    for name, data in (("stdout", p.stdout), ("stderr", p.stderr)):
        bad = sorted({b for b in data if (b < 0x20 and b != 0x0A and not (tabs and b == 0x09 and name == "stdout"))
                      or b == 0x7F})
        eq(bad, [], f"{what}: control bytes on {name} {data!r}")
        text = data.decode("utf-8")  # raises on broken UTF-8
        check(not any(0x80 <= ord(ch) <= 0x9F for ch in text), f"{what}: C1 control on {name} {data!r}")
        check(b"\x9b" not in data, f"{what}: byte 0x9b on {name}")
        check(not any(ch in "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
                                "\u2068\u2069\ufeff" for ch in text), f"{what}: an invisible format character on {name}")
        check(not any(line.startswith("ok\t9") for line in text.splitlines()), f"{what}: a forged line {text!r}")


def rc(p, want, what=""):
    eq(p.returncode, want, f"{what} exit code (stdout {p.out!r}, stderr {p.err!r})")


@test
def one_shot_output_carries_no_server_control_character():
    for body in (escaped_body(OTP_DATA), raw_body(json.dumps(OTP_DATA).encode())):
        evil = Evil(body)
        c = Console(evil.url)
        p = c.run("otp", "create", "0123456789")
        rc(p, 0)
        terminal_safe(p, "otp create")
        check("créé" in p.out, p.out)
        eq(p.out.count("\n"), 4, f"message, phone, code, expiry: {p.out!r}")
        p = c.run("whoami", env={"GUICHET_TOKEN": "t"})
        terminal_safe(p, "whoami (message only)")
        evil.body = body.replace(b'"data":', b'"data":{"admin":' + json.dumps(ADMIN).encode() + b'},"x":')
        p = c.run("whoami", env={"GUICHET_TOKEN": "t"})
        rc(p, 0)
        terminal_safe(p, "whoami")
        check("Prénom    : André?[31m" in p.out and "Nom       : Doe??ok?9?forged" in p.out, p.out)
        evil.body = body.replace(b'"data":', b'"data":{"token":"tok\\r\\nX: 1","admin":' + json.dumps(ADMIN).encode()
                                 + b'},"x":')
        p = c.run("--password-stdin", "login", "a@example.cm", input=PASSWORD + "\n")
        rc(p, 0)
        terminal_safe(p, "login")
        evil.status = 401
        for args in (["otp", "verify", "0123456789", "123456"], ["whoami"], ["health"]):
            p = c.run(*args, env={"GUICHET_TOKEN": "t"})
            rc(p, 1, str(args))
            terminal_safe(p, str(args))
            check("guichet: " in p.err and "créé" in p.err, p.err)
        c.cleanup()
        evil.stop()
    # a message longer than the console keeps is cut between characters, never inside one
    evil = Evil(json.dumps({"message": "é" * 400, "data": None}, ensure_ascii=False).encode(), status=400)
    c = Console(evil.url)
    p = c.run("otp", "create", "0123456789")
    rc(p, 1)
    terminal_safe(p, "long message")
    check(p.err.startswith("guichet: éé") and "\ufffd" not in p.err, p.err)
    c.cleanup()
    evil.stop()


@test
def headless_prints_exactly_one_clean_line_per_command():
    evil = Evil(raw_body(json.dumps(OTP_DATA).encode()))
    c = Console(evil.url)
    script = "otp create 0123456789\notp resend 0123456789\nwhoami\nhealth\nlogin a@example.cm --password-stdin\n" \
             + PASSWORD + "\n"
    p = c.run("--headless", "--keep-going", input=script, env={"GUICHET_TOKEN": "t"})
    rc(p, 0)
    terminal_safe(p, "headless", tabs=True)
    lines = p.out.split("\n")
    eq(lines[-1], "", "ends with a newline")
    eq(len(lines) - 1, 5, p.out)
    for n, line in enumerate(lines[:-1], 1):
        cols = line.split("\t")
        eq(len(cols), 4, f"line {n}: {line!r}")
        eq(cols[:2], ["ok", str(n)], line)
    check("créé" in lines[0] and " | Code : 12??34 | " in lines[0], lines[0])
    evil.status = 400
    p = c.run("--headless", "--keep-going", input="otp create 1\notp verify 1 2\n")
    rc(p, 1)
    terminal_safe(p, "headless refusals", tabs=True)
    eq([l.split("\t")[:2] for l in p.out.splitlines()], [["FAIL", "1"], ["FAIL", "2"]], p.out)
    c.cleanup()
    evil.stop()


@test
def json_escapes_controls_and_stays_valid():
    # the server escaped its controls: the body is printed as it came
    evil = Evil(escaped_body(OTP_DATA))
    c = Console(evil.url)
    p = c.run("--json", "otp", "create", "0123456789")
    rc(p, 0)
    terminal_safe(p, "--json (escaped)")
    eq(json.loads(p.out), json.loads(evil.body))
    eq(p.out, evil.body.decode() + "\n", "unchanged")
    # raw controls inside strings become \u00XX, broken UTF-8 U+FFFD: now valid JSON
    evil.body = raw_body(json.dumps(OTP_DATA).encode())
    p = c.run("--json", "otp", "create", "0123456789")
    rc(p, 0)
    terminal_safe(p, "--json (raw)")
    got = json.loads(p.out)
    eq(got["message"], EVIL + "\ufffd\ufffd\ufffd")
    eq(got["data"], OTP_DATA)
    for esc in ("\\u001b", "\\u0007", "\\u000d", "\\u000a", "\\u0009", "\\u009b", "\\ufffd"):
        check(esc in p.out.lower(), f"{esc} in {p.out!r}")
    check("créé" in p.out, "accents stay")
    # a refusal prints its JSON too, on stdout, exit 1
    evil.status = 404
    p = c.run("--json", "otp", "verify", "0123456789", "123456")
    rc(p, 1)
    terminal_safe(p, "--json refused")
    eq(json.loads(p.out)["message"], EVIL + "\ufffd\ufffd\ufffd")
    # --headless --json: one line per command, the JSON in the message column
    evil.status = 200
    p = c.run("--headless", "--json", input="otp create 0123456789\nhealth\n")
    rc(p, 0)
    terminal_safe(p, "--headless --json", tabs=True)
    lines = p.out.splitlines()
    eq(len(lines), 2, p.out)
    for n, line in enumerate(lines, 1):
        status, num, shown, body = line.split("\t")
        eq((status, num), ("ok", str(n)), line)
        eq(json.loads(body)["data"], OTP_DATA)
    p = c.run("--headless", input="otp create 0123456789 --json\n")
    eq(json.loads(p.out.split("\t")[3])["message"], EVIL + "\ufffd\ufffd\ufffd")
    c.cleanup()
    evil.stop()


@test
def code_only_routes_always_send_the_email():
    evil = Evil(json.dumps({"status": "success", "message": "ok", "data": None}).encode())
    c = Console(evil.url)
    # nothing remembered, no --email: exit 2, nothing sent, not even a password asked
    for args in (["signup", "finish", "123456"], ["password", "reset", "123456"]):
        p = c.run("--password-stdin", *args, input=PASSWORD + "\n")
        rc(p, 2, str(args))
        check("--email" in p.err, p.err)
    p = c.run("--headless", "--keep-going", input=f"signup finish 123456 --password-stdin\n{PASSWORD}\n")
    rc(p, 2)
    check(p.out.startswith("FAIL\t1\t") and "--email" in p.out, p.out)
    eq(len(p.out.splitlines()), 1, "the password line is not run as a command")
    check(PASSWORD not in p.out + p.err, "the password is never shown")
    eq(evil.seen, [], "no request without an e-mail")
    # --email wins
    rc(c.run("--password-stdin", "signup", "finish", "123456", "--email", "given@example.cm", input=PASSWORD + "\n"), 0)
    eq(evil.bodies("PATCH")[-1], {"otp": "123456", "password": PASSWORD, "email": "given@example.cm"})
    # remembered from signup init, per server, in a 0600 file, forgotten once used
    rc(c.run("signup", "init", "M-1", "init@example.cm"), 0)
    [f] = [f for f in c.state_files() if f.startswith("email-")]
    eq(oct(os.stat(f"{c.home}/state/guichet/{f}").st_mode & 0o777), "0o600")
    p = c.run("--password-stdin", "signup", "finish", "123456", input=PASSWORD + "\n")
    rc(p, 0)
    eq(evil.seen[-1][:2], ("PATCH", "/api/admin/signin-process"))
    eq(evil.bodies("PATCH")[-1]["email"], "init@example.cm")
    eq([f for f in c.state_files() if f.startswith("email-")], [], "forgotten once used")
    rc(c.run("password", "forgot", "forgot@example.cm"), 0)
    rc(c.run("--password-stdin", "password", "reset", "654321", input=PASSWORD + "\n"), 0)
    eq(evil.seen[-1][:2], ("PATCH", "/api/admin/password-reset-while-dissconnected-process"))
    eq(evil.bodies("PATCH")[-1], {"otp": "654321", "password": PASSWORD, "email": "forgot@example.cm"})
    # another server's address is not this one's
    rc(c.run("password", "forgot", "forgot@example.cm"), 0)
    elsewhere = {"GUICHET_SERVER": evil.url.replace("127.0.0.1", "localhost")}
    rc(c.run("--password-stdin", "password", "reset", "654321", input=PASSWORD + "\n", env=elsewhere), 2)
    # a failed code keeps the address for the next try; --headless alike, even with no file store
    evil.status = 401
    rc(c.run("--password-stdin", "password", "reset", "000000", input=PASSWORD + "\n"), 1)
    evil.status = 200
    rc(c.run("--password-stdin", "password", "reset", "111111", input=PASSWORD + "\n"), 0)
    eq(evil.bodies("PATCH")[-1]["email"], "forgot@example.cm")
    n = Console(evil.url, store="none")
    p = n.run("--headless", input=f"signup init M-2 head@example.cm\nsignup finish 222222 --password-stdin\n{PASSWORD}\n"
                                  f"password forgot head2@example.cm\npassword reset 333333 --password-stdin\n{PASSWORD}\n")
    rc(p, 0)
    eq([b.get("email") for b in evil.bodies("PATCH")[-2:]], ["head@example.cm", "head2@example.cm"])
    for x in (c, n):
        x.cleanup()
    evil.stop()


@test
def code_only_routes_end_to_end_with_guichetd():
    s = Server()
    m = s.add_admin(email="admin@example.cm")
    c = Console(s.url)
    rc(c.run("signup", "init", m, "admin@example.cm"), 0)
    p = c.run("--password-stdin", "signup", "finish", s.last_code(), input=PASSWORD + "\n")
    rc(p, 0)
    eq(p.out.strip(), "Mot de passe et email mis à jour.")
    rc(c.run("password", "forgot", "admin@example.cm"), 0)
    p = c.run("--password-stdin", "password", "reset", s.last_code(), input="brand-new-pass\n")
    rc(p, 0)
    eq(p.out.strip(), "Mot de passe mis a jour avec succes. Veuillez vous reconnecter.")
    rc(c.run("--password-stdin", "login", "admin@example.cm", input="brand-new-pass\n"), 0)
    # headless, the same journey for a second admin
    m2 = s.add_admin(email="second@example.cm")
    h = Console(s.url, store="none")
    rc(h.run("--headless", input=f"signup init {m2} second@example.cm\n"), 0)
    p = h.run("--headless", input=f"signup finish {s.last_code('second@example.cm')} --password-stdin\n{PASSWORD}\n"
                                  f"login second@example.cm --password-stdin\n{PASSWORD}\n")
    rc(p, 0)
    eq([l.split("\t")[0] for l in p.out.splitlines()], ["ok", "ok"], p.out)
    c.cleanup()
    h.cleanup()


if __name__ == "__main__":
    main()
