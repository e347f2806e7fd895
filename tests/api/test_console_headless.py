"""guichet's headless subcommands against a real guichetd, with a real Secret Service (contract §6)."""
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading

from harness import Server, check, eq, free_port, main, test

GUICHET = os.environ.get("GUICHET", os.path.join(os.path.dirname(os.environ.get("GUICHETD", "build/guichetd")), "guichet"))
PASSWORD = "s3cret-Passw0rd"


class Console:
    """Runs guichet with a private HOME/XDG dirs and the file token store by default."""

    def __init__(self, server, store="file"):
        self.server = server
        self.home = tempfile.mkdtemp(prefix="guichet-home-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "DBUS_", "XDG_"))}
        self.env.update(HOME=self.home, XDG_STATE_HOME=f"{self.home}/state", XDG_CONFIG_HOME=f"{self.home}/config",
                        GUICHET_TOKEN_STORE=store)
        if server:
            self.env["GUICHET_SERVER"] = server.url

    def run(self, *args, input=None, env=None):
        e = dict(self.env, **(env or {}))
        p = subprocess.run([GUICHET, *args], input=input.encode() if input is not None else None,
                           capture_output=True, env=e, timeout=60, stdin=None if input is not None else subprocess.DEVNULL)
        p.out = p.stdout.decode()
        p.err = p.stderr.decode()
        return p

    def token_path(self):
        """Where the file store keeps the token for this console's server."""
        url = self.env["GUICHET_SERVER"]
        return f"{self.home}/state/guichet/token-" + re.sub(r"[^A-Za-z0-9.-]", "_", url)

    def token_file(self):
        d = f"{self.home}/state/guichet"
        files = os.listdir(d) if os.path.isdir(d) else []
        return [os.path.join(d, f) for f in files if f.startswith("token-")]

    def cleanup(self):
        shutil.rmtree(self.home, ignore_errors=True)


def ready_admin(s, email="admin@example.cm"):
    return s.ready_admin(email, PASSWORD, ville="Douala", pays="Cameroun", telephone="677000000")


def rc(p, want, what=""):
    eq(p.returncode, want, f"{what} exit code (stdout {p.out!r}, stderr {p.err!r})")


@test
def whole_journey_from_the_shell():
    s = Server()
    s.add_citizen("0123456789")
    c = Console(s)
    m = s.add_admin(email="admin@example.cm", nom="Doe", prenom="John")
    p = c.run("signup", "init", m, "admin@example.cm")
    rc(p, 0)
    eq(p.out.strip(), "E-mail envoyé avec succès.")
    p = c.run("--password-stdin", "signup", "finish", s.last_code(), input=PASSWORD + "\n")
    rc(p, 0)
    eq(p.out.strip(), "Mot de passe et email mis à jour.")
    p = c.run("--password-stdin", "login", "admin@example.cm", input=PASSWORD + "\n")
    rc(p, 0)
    check(p.out.startswith("Connexion réussie.\n"), p.out)
    [tokfile] = c.token_file()
    eq(oct(os.stat(tokfile).st_mode & 0o777), "0o600")
    p = c.run("whoami")
    rc(p, 0)
    check("Matricule : " + m in p.out and "E-mail    : admin@example.cm" in p.out, p.out)
    p = c.run("otp", "create", "0123456789")
    rc(p, 0)
    check(p.out.startswith("OTP créé avec succès\n") and "Code      : " in p.out and "Expire    : " in p.out, p.out)
    code = p.out.split("Code      : ")[1].split()[0]
    p = c.run("otp", "resend", "0123456789")
    rc(p, 0)
    check("OTP régénéré avec succès" in p.out, p.out)
    new_code = p.out.split("Code      : ")[1].split()[0]
    p = c.run("otp", "verify", "0123456789", new_code)
    rc(p, 0)
    eq(p.out.strip(), "OTP vérifié avec succès")
    if new_code != code:
        rc(c.run("otp", "verify", "0123456789", code), 1)
    # e-mail change
    p = c.run("--password-stdin", "email", "change-init", "new@example.cm", input=PASSWORD + "\n")
    rc(p, 0)
    eq(p.out.strip(), "Otp envoyé avec succès.")
    p = c.run("email", "change", s.last_code("new@example.cm"))
    rc(p, 0)
    eq(p.out.strip(), "Email du compte modifié avec succes.")
    check("new@example.cm" in c.run("whoami").out, "profile shows the new address")
    # password change: the token is revoked, so it is forgotten too
    rc(c.run("password", "change-init"), 0)
    p = c.run("--password-stdin", "password", "change", s.last_code("new@example.cm"), input="new-password-9\n")
    rc(p, 0)
    eq(p.out.strip(), "Mot de passe mis a jour avec succes. Veuillez vous reconnecter.")
    eq(c.token_file(), [], "the revoked token is forgotten")
    p = c.run("whoami")
    rc(p, 1)
    eq(p.err.strip(), "guichet: Non connecté.")
    rc(c.run("--password-stdin", "login", "new@example.cm", input="new-password-9\n"), 0)
    p = c.run("logout")
    rc(p, 0)
    eq(p.out.strip(), "Déconnexion réussie.")
    eq(c.token_file(), [])
    c.cleanup()


@test
def password_forgot_and_reset():
    s = Server()
    ready_admin(s)
    c = Console(s)
    p = c.run("password", "forgot", "admin@example.cm")
    rc(p, 0)
    eq(p.out.strip(), "Otp envoyé")
    p = c.run("--password-stdin", "password", "reset", s.last_code(), "--email", "admin@example.cm", input="brand-new-pass\n")
    rc(p, 0)
    eq(p.out.strip(), "Mot de passe mis a jour avec succes. Veuillez vous reconnecter.")
    rc(c.run("--password-stdin", "login", "admin@example.cm", input="brand-new-pass\n"), 0)
    c.cleanup()


@test
def refusals_print_the_server_message_and_exit_1():
    s = Server()
    ready_admin(s)
    c = Console(s)
    p = c.run("--password-stdin", "login", "admin@example.cm", input="wrong-password\n")
    rc(p, 1)
    eq(p.err.strip(), "guichet: Mot de passe incorrect.")
    p = c.run("--password-stdin", "login", "nobody@example.cm", input="x\n")
    rc(p, 1)
    eq(p.err.strip(), "guichet: Adresse inconnue.")
    p = c.run("otp", "create", "0000000000")
    rc(p, 1)
    eq(p.err.strip(), "guichet: Numéro de téléphone introuvable ou non associé à un Citoyen")
    c.cleanup()


@test
def json_prints_the_server_response_unchanged():
    s = Server()
    s.add_citizen("0123456789")
    c = Console(s)
    p = c.run("--json", "otp", "create", "0123456789")
    rc(p, 0)
    body = json.loads(p.out)
    eq(body["status"], "success")
    eq(set(body["data"].keys()), {"phoneNumber", "otp", "expiresAt"})
    eq(p.out.count("\n"), 1)
    p = c.run("--json", "otp", "create", "0123456789")
    rc(p, 1)
    eq(json.loads(p.out), {"status": "error", "message": "Un OTP existe déjà pour ce numéro. Utilisez le type 'resend' pour régénérer.", "data": None})
    c.cleanup()


@test
def not_connected_never_contacts_the_server():
    c = Console(None)
    c.env["GUICHET_SERVER"] = f"http://127.0.0.1:{free_port()}"  # nothing there: contact would be exit 3
    for args in [["whoami"], ["logout"], ["password", "change-init"], ["password", "change", "123456"],
                 ["email", "change-init", "x@example.cm"], ["email", "change", "123456"]]:
        p = c.run(*args, input="")
        rc(p, 1, str(args))
        eq(p.err.strip(), "guichet: Non connecté.", str(args))
    c.cleanup()


@test
def usage_errors_exit_2():
    c = Console(None)
    for args in [["frobnicate"], ["login"], ["otp", "create"], ["otp", "explode", "1"], ["login", "a@b.c", "--password", "x"],
                 ["--token-store", "vault", "health"], ["--server", "ftp://x", "health"], ["signup", "init", "only-one"]]:
        p = c.run(*args, input="")
        rc(p, 2, str(args))
        check(p.err.strip(), f"{args}: says why")
    p = c.run("login", "a@example.cm")  # no terminal, no --password-stdin
    rc(p, 2)
    check("--password-stdin" in p.err, p.err)
    rc(c.run("--help"), 0)
    rc(c.run("otp", "--help"), 0)
    check(c.run("--version").out.startswith("guichet "), "version")
    c.cleanup()


@test
def unreachable_server_exits_3():
    c = Console(None)
    c.env["GUICHET_SERVER"] = f"http://127.0.0.1:{free_port()}"
    p = c.run("health")
    rc(p, 3)
    check("injoignable" in p.err, p.err)
    rc(c.run("otp", "create", "0123456789"), 3)
    c.cleanup()


@test
def server_error_exits_4():
    s = Server(mail=f"smtp://127.0.0.1:{free_port()}")
    m = s.add_admin()
    c = Console(s)
    p = c.run("signup", "init", m, "admin@example.cm")
    rc(p, 4)
    eq(p.err.strip(), "guichet: Erreur interne.")
    c.cleanup()


@test
def token_storage_error_exits_5():
    s = Server()
    ready_admin(s)
    c = Console(s)
    os.makedirs(f"{c.home}/state", exist_ok=True)
    with open(f"{c.home}/state/guichet", "w") as f:  # a file where the directory should be
        f.write("")
    p = c.run("--password-stdin", "login", "admin@example.cm", input=PASSWORD + "\n")
    rc(p, 5)
    c.cleanup()


@test
def logout_forgets_the_token_even_when_unreachable():
    s = Server()
    ready_admin(s)
    c = Console(s)
    rc(c.run("--password-stdin", "login", "admin@example.cm", input=PASSWORD + "\n"), 0)
    check(c.token_file(), "token stored")
    s.stop()
    p = c.run("logout")
    rc(p, 3)
    check("jeton supprimé localement" in p.err, p.err)
    eq(c.token_file(), [])
    c.cleanup()


@test
def guichet_token_overrides_the_store():
    s = Server()
    ready_admin(s)
    token = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    c = Console(s)
    p = c.run("whoami", env={"GUICHET_TOKEN": token})
    rc(p, 0)
    check("admin@example.cm" in p.out, p.out)
    rc(c.run("whoami"), 1)
    # a refused GUICHET_TOKEN, or a logout with one, leaves the stored login alone
    rc(c.run("login", "admin@example.cm", "--password-stdin", input=PASSWORD + "\n"), 0)
    p = c.run("whoami", env={"GUICHET_TOKEN": "1|bogus"})
    rc(p, 1)
    check("Non authentifié." in p.err, p.err)
    rc(c.run("logout", env={"GUICHET_TOKEN": token}), 0)
    check(c.token_file(), "the stored token is still there")
    rc(c.run("whoami"), 0, "the stored login still works")
    c.cleanup()


@test
def config_file_gives_the_server():
    s = Server()
    c = Console(None)
    os.makedirs(f"{c.home}/config/guichet")
    with open(f"{c.home}/config/guichet/config", "w") as f:
        f.write(f"# guichet settings\nserver = {s.url}\n")
    rc(c.run("health"), 0)
    # a flag wins over the file
    rc(c.run("--server", f"http://127.0.0.1:{free_port()}", "health"), 3)
    c.cleanup()


@test
def headless_script_one_line_per_command():
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    c = Console(s, store="none")
    script = ("# smoke test\n\nhealth\nlogin admin@example.cm --password-stdin\n" + PASSWORD + "\n"
              "whoami\notp create 0123456789\notp resend 0123456789\nlogout\n")
    p = c.run("--headless", input=script)
    rc(p, 0)
    lines = p.out.splitlines()
    eq(len(lines), 6, p.out)
    check(all(l.startswith("ok\t") for l in lines), p.out)
    check("Connexion réussie." in lines[1] and PASSWORD not in p.out, lines[1])
    check("OTP créé avec succès" in lines[3], lines[3])


@test
def headless_stops_at_the_first_failure_unless_keep_going():
    s = Server()
    s.add_citizen("0123456789")
    c = Console(s)
    script = "otp create 0123456789\notp create 0123456789\nhealth\n"
    p = c.run("--headless", input=script)
    rc(p, 1)
    lines = p.out.splitlines()
    eq(len(lines), 2, p.out)
    check(lines[1].startswith("FAIL\t2\totp create 0123456789\tUn OTP existe déjà"), lines[1])
    p = c.run("--headless", "--keep-going", input="otp create 0000000\nhealth\nbogus command\n")
    rc(p, 1)
    eq([l.split("\t")[0] for l in p.out.splitlines()], ["FAIL", "ok", "FAIL"])


@test
def user_agent_and_timeout():
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen["ua"] = self.headers.get("User-Agent")
            body = b'{"status":"ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever)
    t.start()
    try:
        c = Console(None)
        c.env["GUICHET_SERVER"] = f"http://127.0.0.1:{httpd.server_port}"
        rc(c.run("health"), 0)
        check(seen["ua"].startswith("guichet/"), seen)
    finally:
        httpd.shutdown()
        t.join()


def sms_codes(folder):
    """{file: code} for every SMS written by --sms outbox:FOLDER (the code stands on a line of its own)."""
    out = {}
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            m = re.search(r"^\s*(\d{4,10})\s*$", f.read(), re.M)
        check(m, f"no code in the SMS {name}")
        out[name] = m.group(1)
    return out


def sms_server(*flags):
    """A guichetd that sends citizen codes by SMS to an outbox folder (contract §9.2): (server, folder)."""
    tmp = tempfile.mkdtemp(prefix="guichet-test-")
    folder = os.path.join(tmp, "sms")
    return Server("--sms", f"outbox:{folder}", *flags, tmp=tmp), folder


@test
def otp_sent_by_sms_prints_no_code():
    s, sms = sms_server()
    s.add_citizen("0123456789")
    c = Console(s)
    p = c.run("otp", "create", "0123456789")
    rc(p, 0)
    lines = p.out.splitlines()
    eq(lines[:3], ["OTP créé avec succès", "Téléphone : 0123456789", "Code envoyé par SMS."], p.out)
    check(len(lines) == 4 and lines[3].startswith("Expire    : 20"), p.out)
    [code] = sms_codes(sms).values()
    check(code not in p.out and "Code      :" not in p.out, p.out)
    # --headless: the same words on the result line
    seen = set(sms_codes(sms))
    p = c.run("--headless", input="otp resend 0123456789\n")
    rc(p, 0)
    check(p.out.startswith("ok\t1\totp resend 0123456789\tOTP régénéré avec succès | "
                           "Téléphone : 0123456789 | Code envoyé par SMS. | Expire : 20"), p.out)
    [new] = [v for k, v in sms_codes(sms).items() if k not in seen]
    check(new not in p.out, p.out)
    # --json: the server's answer, which holds no code
    p = c.run("--json", "otp", "verify", "0123456789", new)
    rc(p, 0)
    eq(json.loads(p.out)["message"], "OTP vérifié avec succès")
    c.cleanup()


@test
def otp_commands_send_the_token_only_when_there_is_one():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            auth = self.headers.get("Authorization")
            seen.append((self.path, auth))
            if auth:
                status, body = 201, {"status": "success", "message": "OTP créé avec succès",
                                     "data": {"phoneNumber": "0123456789", "expiresAt": "2030-01-01T00:00:00.000Z"}}
            else:
                status, body = 401, {"status": "error", "message": "Non authentifié.", "data": None}
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *a):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever)
    t.start()
    c = Console(None)
    c.env["GUICHET_SERVER"] = f"http://127.0.0.1:{httpd.server_port}"
    try:
        # no token: no header, and the server's 401 is an ordinary refusal
        p = c.run("otp", "create", "0123456789")
        rc(p, 1)
        eq(p.err, "guichet: Non authentifié.\n")
        eq(seen, [("/otp", None)])
        seen.clear()
        # GUICHET_TOKEN, then a stored token: sent on create, resend and verify
        for env in [{"GUICHET_TOKEN": "1|env-token"}, {}]:
            if not env:
                os.makedirs(f"{c.home}/state/guichet")
                with open(c.token_path(), "w") as f:
                    f.write("2|file-token\n")
            p = c.run("--headless", input="otp create 0123456789\notp resend 0123456789\notp verify 0123456789 123456\n",
                      env=env)
            rc(p, 0)
            check("Code envoyé par SMS." in p.out.splitlines()[0], p.out)
            token = env.get("GUICHET_TOKEN", "2|file-token")
            eq(seen, [("/otp", f"Bearer {token}"), ("/otp", f"Bearer {token}"), ("/otp/verify", f"Bearer {token}")])
            seen.clear()
    finally:
        httpd.shutdown()
        t.join()
        c.cleanup()


@test
def otp_callers_key_accepts_the_logged_in_console():
    s = Server("--otp-callers", "key")
    s.add_citizen("0123456789")
    ready_admin(s)
    c = Console(s)
    p = c.run("otp", "create", "0123456789")
    rc(p, 1)
    eq(p.err, "guichet: Non authentifié.\n")
    rc(c.run("--password-stdin", "login", "admin@example.cm", input=PASSWORD + "\n"), 0)
    p = c.run("otp", "create", "0123456789")
    rc(p, 0)
    code = p.out.split("Code      : ")[1].split()[0]
    p = c.run("otp", "verify", "0123456789", "000000" if code != "000000" else "111111")
    rc(p, 1)
    eq(p.err, "guichet: OTP incorrect ou expiré\n")
    rc(c.run("otp", "verify", "0123456789", code), 0)
    # the audit trail names the admin as the caller of the code sent and of both checks
    audit = s.cli("audit", check_rc=0).stdout.decode()
    check(sum("0123456789" in l and "admin@example.cm" in l for l in audit.splitlines()) >= 3, audit)
    # a token from GUICHET_TOKEN works too; a revoked one is refused (exit 1), and stays stored
    token = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    other = Console(s)
    rc(other.run("otp", "create", "0123456789", env={"GUICHET_TOKEN": token}), 0)
    other.cleanup()
    stored = open(c.token_path()).read().strip()
    eq(s.request("DELETE", "/api/admin/logout", token=stored).status, 200)
    p = c.run("otp", "resend", "0123456789")
    rc(p, 1)
    eq(p.err, "guichet: Non authentifié.\n")
    c.cleanup()


KEYRING = """
set -u
eval "$(printf %s "unlock-pass" | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
gdbus wait --session --timeout 10 org.freedesktop.secrets
printf '%s\\n' "$PASSWORD" | "$GUICHET" --password-stdin login admin@example.cm; echo "login=$?"
echo "stored=$(secret-tool lookup application guichet server "$GUICHET_SERVER")"
"$GUICHET" whoami >/dev/null; echo "whoami=$?"
"$GUICHET" logout; echo "logout=$?"
echo "after=$(secret-tool lookup application guichet server "$GUICHET_SERVER")"
"$GUICHET" whoami 2>&1; echo "whoami2=$?"
"""


@test
def keyring_stores_and_logout_removes_the_token():
    s = Server()
    ready_admin(s)
    c = Console(s, store="keyring")
    env = dict(c.env, PASSWORD=PASSWORD, GUICHET=GUICHET)
    p = subprocess.run(["dbus-run-session", "--", "sh", "-c", KEYRING], capture_output=True, env=env, timeout=60)
    out = p.stdout.decode()
    check("login=0" in out, out + p.stderr.decode())
    stored = out.split("stored=")[1].split("\n")[0]
    check(stored.split("|")[0].isdigit() and len(stored.split("|")[1]) == 48, f"token in the keyring: {stored[:4]}...")
    check("whoami=0" in out and "logout=0" in out, out)
    check("after=\n" in out, "removed from the keyring")
    check("Non connecté." in out and "whoami2=1" in out, out)
    # the token really was the server's
    check(s.request("GET", "/api/admin/me", token=stored).status == 401, "revoked by logout")
    c.cleanup()


@test
def no_secret_service_falls_back_to_the_file_store_and_says_so_once():
    """Over SSH, on a server, in CI: no Secret Service. login then whoami still works (contract §9.7, §9.9)."""
    s = Server()
    ready_admin(s)
    c = Console(s, store="keyring")
    c.env.pop("DISPLAY", None)
    nobus = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    p = c.run("--password-stdin", "login", "admin@example.cm", input=PASSWORD + "\n", env=nobus)
    rc(p, 0)
    [tokfile] = c.token_file()
    eq(oct(os.stat(tokfile).st_mode & 0o777), "0o600")
    eq(p.err, f"guichet: Trousseau indisponible : le jeton est gardé dans le fichier {tokfile} (lisible par vous seul).\n",
       "one French line naming the file, no GLib jargon")
    p = c.run("whoami", env=nobus)  # the next process finds the token: the login lasts
    rc(p, 0)
    check("admin@example.cm" in p.out, p.out)
    check(tokfile in p.err and len(p.err.splitlines()) == 1, p.err)
    # once per process: a script that logs in, asks and logs out says it once
    p = c.run("--headless", input=f"login admin@example.cm --password-stdin\n{PASSWORD}\nwhoami\nlogout\n", env=nobus)
    rc(p, 0)
    eq([l.split("\t")[0] for l in p.out.splitlines()], ["ok", "ok", "ok"])
    eq(len(p.err.splitlines()), 1, p.err)
    eq(c.token_file(), [], "logout removed the file")
    # --token-store none stays in memory: nothing on disk
    p = c.run("--token-store", "none", "--password-stdin", "login", "admin@example.cm", input=PASSWORD + "\n", env=nobus)
    rc(p, 0)
    eq((c.token_file(), p.err), ([], ""))
    # English, through gettext
    p = c.run("--password-stdin", "login", "admin@example.cm", input=PASSWORD + "\n",
              env=dict(nobus, LANGUAGE="en", LANG="C.UTF-8"))
    rc(p, 0)
    check(p.err.startswith("guichet: No keyring: the token is kept in the file /"), p.err)
    c.cleanup()


@test
def headless_console_has_no_definite_leaks():
    """Under valgrind; in the SANITIZE=1 build, LeakSanitizer plays that part (valgrind cannot run ASan binaries)."""
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    c = Console(s, store="file")
    sanitized = os.environ.get("SANITIZE") == "1"
    wrap = [] if sanitized else ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite",
                                  "--error-exitcode=99"]
    script = f"login admin@example.cm --password-stdin\n{PASSWORD}\nwhoami\notp create 0123456789\notp resend 0123456789\n" \
             "otp verify 0123456789 000000\nlogout\nwhoami\n"
    p = subprocess.run([*wrap, GUICHET, "--headless", "--keep-going"], input=script.encode(), capture_output=True,
                       env=c.env, timeout=300)
    eq(p.returncode, 1, f"the last whoami fails, nothing else: {p.stderr.decode()[-3000:]}")
    eq([l.split("\t")[0] for l in p.stdout.decode().splitlines()], ["ok"] * 4 + ["FAIL", "ok", "FAIL"])
    check("definitely lost" not in p.stderr.decode() and "LeakSanitizer" not in p.stderr.decode(), p.stderr.decode()[-3000:])
    c.cleanup()


@test
def options_stand_anywhere_one_parser():
    """Problem 2: options after the subcommand, and in --headless lines alike (getopt_long, in order)."""
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    c = Console(None)
    c.env.pop("GUICHET_SERVER", None)
    p = c.run("login", "admin@example.cm", "--password-stdin", "--server", s.url, input=PASSWORD + "\n")
    rc(p, 0)
    check(p.out.startswith("Connexion réussie.\n"), p.out)
    p = c.run("otp", "create", "0123456789", "--json", f"--server={s.url}")
    rc(p, 0)
    eq(json.loads(p.out)["message"], "OTP créé avec succès")
    p = c.run("otp", "--server", s.url, "resend", "--json", "0123456789", env={"POSIXLY_CORRECT": "1"})
    rc(p, 0)
    eq(json.loads(p.out)["message"], "OTP régénéré avec succès")
    rc(c.run("--server", s.url, "whoami"), 0)
    p = c.run("whoami", "--server")
    rc(p, 2)
    eq(p.err, "guichet: valeur manquante pour --server (guichet --help)\n")
    p = c.run("otp", "create", "0123456789", "--jsn", "--server", s.url)
    rc(p, 2)
    eq(p.err, "guichet: option inconnue : --jsn (guichet --help)\n")
    # a script line takes its command's options anywhere too; the run's own are refused there
    c.env["GUICHET_SERVER"] = s.url
    p = c.run("--headless", "--keep-going",
              input=f"--json otp resend 0123456789\nwhoami --server http://elsewhere:1\nhealth\n")
    rc(p, 2)
    lines = [l.split("\t") for l in p.out.splitlines()]
    eq([l[0] for l in lines], ["ok", "FAIL", "ok"], p.out)
    eq(json.loads(lines[0][3])["message"], "OTP régénéré avec succès")
    eq(lines[1][3], "--server : option de la ligne de commande, pas d'une ligne de script")
    c.cleanup()


@test
def headless_json_keeps_one_result_line_per_command():
    """Problem 9: --json in --headless keeps the result line; the JSON goes in the message column."""
    s = Server()
    s.add_citizen("0123456789")
    c = Console(s)
    p = c.run("--headless", "--json", "--keep-going", input="health\notp send 0123456789\nwhoami\notp create 0123456789\n")
    rc(p, 1)
    lines = [l.split("\t") for l in p.out.splitlines()]
    eq([l[:3] for l in lines], [["ok", "1", "health"], ["ok", "2", "otp send 0123456789"], ["FAIL", "3", "whoami"],
                                ["FAIL", "4", "otp create 0123456789"]])
    eq(json.loads(lines[0][3]), {"status": "ok"})
    eq(json.loads(lines[1][3])["message"], "OTP créé avec succès")
    eq(lines[2][3], "Non connecté.")  # no answer from the server: the message
    eq(json.loads(lines[3][3])["status"], "error")
    c.cleanup()


@test
def otp_send_creates_or_resends_whichever_applies():
    s = Server()
    s.add_citizen("0123456789")
    c = Console(s)
    p = c.run("otp", "send", "0123456789")
    rc(p, 0)
    check(p.out.startswith("OTP créé avec succès\nTéléphone : 0123456789\nCode      : "), p.out)
    p = c.run("otp", "send", "01 23 45 67 89")
    rc(p, 0)
    check(p.out.startswith("OTP régénéré avec succès\n"), p.out)
    code = p.out.split("Code      : ")[1].split()[0]
    check(re.search(r"Expire    : 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(\d\d:\d\d:\d\d, heure locale\)", p.out), p.out)
    rc(c.run("otp", "verify", "0123456789", code), 0)
    p = c.run("otp", "send", "0000000000")
    rc(p, 1)
    eq(p.err, "guichet: Numéro de téléphone introuvable ou non associé à un Citoyen\n")
    c.cleanup()


SMOKE = "health\nlogin admin@example.cm --password-stdin\n{pw}\nwhoami\notp send 0123456789\nlogout --finally\n"


@test
def readme_smoke_script_runs_again_and_finally_lines_always_run():
    """Problem 9: the README's script can run twice; --finally lines run even after a failure."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md"), encoding="utf-8").read()
    check("printf '" + SMOKE.replace("{pw}", "%s").replace("\n", "\\n") + "'" in readme, "the README's smoke script")
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    c = Console(s, store="none")
    for _ in range(2):
        p = c.run("--headless", input=SMOKE.format(pw=PASSWORD))
        rc(p, 0)
        eq([l.split("\t")[0] for l in p.out.splitlines()], ["ok"] * 5, p.out)
    # a failure skips what follows, but not the --finally lines
    c = Console(s, store="file")
    script = f"login admin@example.cm --password-stdin\n{PASSWORD}\notp create 0123456789\nwhoami\n" \
             f"login x@example.cm --password-stdin\nnot-run-as-a-command\nlogout --finally\n"
    p = c.run("--headless", input=script)
    rc(p, 1)
    lines = p.out.splitlines()
    eq([l.split("\t")[:3] for l in lines], [["ok", "1", "login admin@example.cm --password-stdin"],
                                            ["FAIL", "3", "otp create 0123456789"], ["ok", "7", "logout --finally"]])
    eq(c.token_file(), [], "logged out")
    c.cleanup()


@test
def tap_output_one_line_per_command():
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    c = Console(s, store="none")
    script = f"health\nlogin admin@example.cm --password-stdin\n{PASSWORD}\notp create 0123456789\n" \
             "otp create 0123456789\nwhoami # not a comment\nlogout --finally\n"
    p = c.run("--headless", "--tap", input=script)
    rc(p, 1)
    lines = p.out.splitlines()
    eq(len(lines), 7, p.out)
    check(re.fullmatch(r"ok 1 - health: Serveur disponible \(http://127\.0\.0\.1:\d+\)\.", lines[0]), lines[0])
    check(lines[1].startswith("ok 2 - login admin@example.cm --password-stdin: Connexion réussie."), lines[1])
    check(PASSWORD not in p.out, "the password line is never echoed")
    check(lines[2].startswith("ok 3 - otp create 0123456789: OTP créé avec succès | Téléphone : 0123456789 | Code : "),
          lines[2])
    eq(lines[3], "not ok 4 - otp create 0123456789: Un OTP existe déjà pour ce numéro. "
                 "Utilisez le type 'resend' pour régénérer.")
    eq(lines[4], "ok 5 - whoami \\# not a comment # SKIP après un échec")
    eq(lines[5], "ok 6 - logout --finally: Déconnexion réussie.")
    eq(lines[6], "1..6")
    # --tap alone reads a script too
    p = c.run("--tap", input="health\n")
    rc(p, 0)
    eq(p.out.splitlines()[1], "1..1")
    c.cleanup()


@test
def headless_whoami_and_missing_password_lines_read_well():
    """Problem 9: whoami is not flattened into one blur; a missing password line is said as such."""
    s = Server()
    m = ready_admin(s)
    c = Console(s, store="none")
    p = c.run("--headless", input=f"login admin@example.cm --password-stdin\n{PASSWORD}\nwhoami\n")
    rc(p, 0)
    eq(p.out.splitlines()[1].split("\t")[3], f"OK | Nom : Doe | Prénom : John | E-mail : admin@example.cm | "
                                            f"Matricule : {m} | Téléphone : 677000000 | Ville : Douala | Pays : Cameroun")
    p = c.run("--headless", input="login admin@example.cm --password-stdin\n")
    rc(p, 2)
    eq(p.out, "FAIL\t1\tlogin admin@example.cm --password-stdin\tLigne du mot de passe manquante : elle doit suivre "
              "la ligne qui porte --password-stdin.\n")
    p = c.run("login", "admin@example.cm", "--password-stdin", input="")
    rc(p, 2)
    eq(p.err, "guichet: Aucun mot de passe sur l'entrée standard (--password-stdin).\n")
    c.cleanup()


@test
def messages_in_french_or_english_never_mixed():
    """Problem 10: the console speaks French, or English with LANG=en_* / LANGUAGE=en; the server's words stay."""
    c = Console(None)
    c.env["GUICHET_SERVER"] = f"http://127.0.0.1:{free_port()}"
    en = {"LANGUAGE": "en", "LANG": "C.UTF-8"}
    for args, fr, english in [
        (["--bogus"], "guichet: option inconnue : --bogus (guichet --help)\n",
         "guichet: unknown option: --bogus (guichet --help)\n"),
        (["--server", "ftp://x", "health"], "guichet: --server : http://HÔTE:PORT ou https://... attendu, pas « ftp://x »\n",
         'guichet: --server: expected http://HOST:PORT or https://..., got "ftp://x"\n'),
        (["frobnicate"], "guichet: Commande inconnue : frobnicate\n", "guichet: Unknown command: frobnicate\n"),
        (["whoami"], "guichet: Non connecté.\n", "guichet: Not logged in.\n"),
    ]:
        eq(c.run(*args).err, fr, str(args))
        eq(c.run(*args, env=en).err, english, str(args))
    check(c.run("--help").out.startswith("usage : guichet [OPTIONS]"), "French help")
    usage = c.run("--help", env=en).out
    check(usage.startswith("usage: guichet [OPTIONS]") and "  otp send PHONE" in usage and "--tap" in usage, usage)
    check("è" not in usage and "é" not in usage, "English all through")
    c.cleanup()


# ---- the support desk (contract §9.6) ----

def logged_in(s, email="admin@example.cm", store="file"):
    c = Console(s, store=store)
    rc(c.run("login", email, "--password-stdin", input=PASSWORD + "\n"), 0, "login")
    return c


@test
def citizen_show_and_unlock():
    s = Server(cooldown=60)
    s.cli("citizen", "add", "--phone", "0123456789", "--nom", "Mballa", "--prenom", "Awa", check_rc=0)
    ready_admin(s)
    c = logged_in(s)
    try:
        p = c.run("citizen", "show", "01 23 45 67 89")
        rc(p, 0, "citizen show")
        check(p.out.startswith("Citoyen trouvé.\n"), p.out)
        check(re.search(r"^Code +: aucun en cours$", p.out, re.M) and re.search(r"^Citoyen +: Awa Mballa$", p.out, re.M), p.out)
        check(re.search(r"^Dernier envoi +: —$", p.out, re.M), p.out)
        code = re.search(r"^Code +: (\d+)$", c.run("otp", "send", "0123456789").out, re.M).group(1)
        for _ in range(2):
            s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": "000000" if code != "000000" else "111111"})
        p = c.run("citizen", "show", "0123456789")
        check(re.search(r"^Code +: en cours jusqu'à \S+Z \(\d\d:\d\d:\d\d, heure locale\), 3 essai", p.out, re.M), p.out)
        check(re.search(r"^Délai +: nouvel envoi possible dans (60|59|58|57) s$", p.out, re.M), p.out)
        check(re.search(r"^Erreurs permises +: 98 avant blocage$", p.out, re.M), p.out)
        check(re.search(r"^Dernier envoi +: \S+Z \(.*\) par admin@example.cm$", p.out, re.M), p.out)
        p = c.run("citizen", "unlock", "0123456789")
        rc(p, 0, "unlock")
        check(p.out.startswith("Citoyen débloqué.\n") and "aucun : un code peut être envoyé" in p.out and
              " 100 avant blocage" in p.out, p.out)
        rc(c.run("otp", "resend", "0123456789"), 0, "the cooldown is gone")
        p = c.run("citizen", "show", "0000000000")
        rc(p, 1, "unknown citizen")
        check("Numéro de téléphone introuvable ou non associé à un Citoyen" in p.err, p.err)
        for odd in ("0123456789/unlock", "../audit", "0123?x=1"):
            p = c.run("citizen", "show", odd)
            rc(p, 2, odd)
            check("Numéro de téléphone invalide" in p.err, p.err)
        p = c.run("citizen", "show", "0123456789", "--json")
        eq(json.loads(p.out)["data"]["phoneNumber"], "0123456789")
        rc(Console(s).run("citizen", "show", "0123456789"), 1, "not logged in")
    finally:
        c.cleanup()


@test
def audit_prints_tab_separated_lines_pages_and_filters():
    s = Server()
    s.add_citizen("0123456789")
    s.add_citizen("0677000001")
    ready_admin(s)
    ready_admin(s, "other@example.cm")
    c = logged_in(s)
    try:
        s.post("/otp", {"type": "create", "phoneNumber": "0123456789"})
        for _ in range(130):
            s.post("/otp", {"type": "resend", "phoneNumber": "0123456789"})
        p = c.run("audit")
        rc(p, 0, "audit")
        lines = p.out.splitlines()
        eq(len(lines), 50, "the default limit")
        fields = lines[0].split("\t")
        eq(len(fields), 6, lines[0])
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields[0]), fields)
        eq(fields[1:4], ["anonyme", "citizen.code", "resent"])
        eq(fields[5], "0123456789")
        # the same lines as guichetd audit's (a header, then oldest first)
        server = s.cli("audit", check_rc=0).stdout.decode().splitlines()
        eq(lines[:10], server[1:][::-1][:10])
        p = c.run("audit", "--limit", "120")
        eq(len(p.out.splitlines()), 120, "three pages of 50, 50 and 20")
        p = c.run("audit", "--admin", "other@example.cm")
        check(p.out and all(line.split("\t")[1] == "other@example.cm" for line in p.out.splitlines()), p.out)
        rc(c.run("otp", "send", "0677000001"), 0)
        p = c.run("audit", "--phone", "06 77 00 00 01")
        eq([line.split("\t")[1:4] for line in p.out.splitlines()], [["admin@example.cm", "citizen.code", "created"]])
        p = c.run("audit", "--limit", "2", "--json")
        eq(len(json.loads(p.out)["data"]["entries"]), 2)
        for bad in (["audit", "--limit", "0"], ["audit", "--limit", "x"], ["whoami", "--limit", "3"]):
            rc(c.run(*bad), 2, bad)
        p = c.run("--headless", input="audit --limit 3\nsessions list\n")
        lines = p.out.splitlines()
        check(re.fullmatch(r"ok\t1\taudit --limit 3\tOK \| 3 entrée\(s\)", lines[0]), lines)
        check(re.fullmatch(r"ok\t2\tsessions list\tOK \| 1 entrée\(s\)", lines[1]), lines)
    finally:
        c.cleanup()


@test
def sessions_list_and_revoke_another_then_this_one():
    s = Server()
    ready_admin(s)
    other = logged_in(s)
    c = logged_in(s)
    try:
        p = c.run("sessions", "list")
        rc(p, 0, "sessions list")
        rows = [line.split("\t") for line in p.out.splitlines()]
        eq(len(rows), 2, rows)
        mine = [r[0] for r in rows if r[3] == "*"]
        theirs = [r[0] for r in rows if r[3] == "-"]
        eq((len(mine), len(theirs)), (1, 1), rows)
        p = c.run("sessions", "revoke", theirs[0])
        rc(p, 0, "revoke the other")
        eq(p.out.strip(), "Session révoquée.")
        rc(other.run("whoami"), 1, "the other session is over")
        p = c.run("sessions", "revoke", theirs[0])
        rc(p, 1, "already revoked")
        check("Session introuvable." in p.err, p.err)
        rc(c.run("sessions", "revoke", "abc"), 2, "not an id")
        p = c.run("sessions", "revoke", mine[0])
        rc(p, 0, "revoke this one")
        check("Session révoquée." in p.out and "déconnect" in p.out, p.out)
        eq(c.token_file(), [], "the token is forgotten")
        p = c.run("whoami")
        rc(p, 1, "logged out")
        check("Non connecté." in p.err, p.err)
    finally:
        c.cleanup()
        other.cleanup()


if __name__ == "__main__":
    main()
