"""The terminal UI driven in a real terminal (tmux) against a real guichetd (contract §7)."""
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from harness import Server, check, eq, free_port, main, test

GUICHET = os.environ.get("GUICHET", os.path.join(os.path.dirname(os.environ.get("GUICHETD", "build/guichetd")), "guichet"))
PASSWORD = "s3cret-Passw0rd"


class Terminal:
    """guichet in a detached tmux session; send keys, read the screen."""

    def __init__(self, server_url, store="none", env=None, cols=100, rows=30):
        self.dir = tempfile.mkdtemp(prefix="guichet-ui-")
        self.sock = os.path.join(self.dir, "tmux.sock")
        e = {"TERM": "tmux-256color", "LANG": "C.UTF-8", "GUICHET_SERVER": server_url, "GUICHET_TOKEN_STORE": store,
             "HOME": self.dir, "XDG_STATE_HOME": f"{self.dir}/state", "XDG_CONFIG_HOME": f"{self.dir}/config"}
        e.update(env or {})
        args = []
        for k, v in e.items():
            args += ["-e", f"{k}={v}"]
        self.tmux("new-session", "-d", "-s", "ui", "-x", str(cols), "-y", str(rows), *args,
                  f"{GUICHET}; echo EXIT=$?; sleep 120")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, timeout=20,
                              env={"PATH": os.environ["PATH"]})

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "ui").stdout.decode()

    def wait_for(self, text, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            shown = self.screen()
            if (text in shown) if isinstance(text, str) else re.search(text, shown):
                return shown
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not on screen:\n{self.screen()}")

    def keys(self, *keys):
        for k in keys:
            self.tmux("send-keys", "-t", "ui", k)

    def type(self, text):
        self.tmux("send-keys", "-t", "ui", "-l", text)

    def close(self):
        self.tmux("kill-server")
        shutil.rmtree(self.dir, ignore_errors=True)


def ready_admin(s, email="admin@example.cm"):
    return s.ready_admin(email, PASSWORD, ville="Yaoundé", pays="Cameroun", telephone="677342134")


def login(t, email="admin@example.cm", password=PASSWORD):
    t.wait_for(re.compile(r"guichet [—-] (Connexion|Log in)"))  # French, ASCII or English
    t.type(email)
    t.keys("Tab")
    t.type(password)
    t.keys("Enter")


def login_to_menu(t):
    login(t)
    return t.wait_for("guichet — Menu")


@test
def login_wrong_then_right_password():
    s = Server()
    ready_admin(s)
    t = Terminal(s.url)
    try:
        login(t, password="wrong-password")
        t.wait_for("Mot de passe incorrect.")
        t.type(PASSWORD)
        t.keys("Enter")
        shown = t.wait_for("guichet — Menu")
        for i, item in enumerate(["Profil", "OTP citoyen", "Changer le mot de passe", "Changer l'adresse e-mail",
                                  "Déconnexion", "Quitter"], 1):
            check(f"{i}. {item}" in shown, f"menu item {i}. {item}")
        check("Connexion réussie." in shown and "admin@example.cm" in shown, shown)
    finally:
        t.close()


def console_maps(t):
    """The shared objects the console (the pane's child) has mapped."""
    shell = t.tmux("display-message", "-p", "-t", "ui", "#{pane_pid}").stdout.decode().strip()
    child = open(f"/proc/{shell}/task/{shell}/children").read().split()[0]
    return open(f"/proc/{child}/maps").read()


@test
def libcurl_and_libsecret_load_with_the_first_request_not_at_start():
    """The login screen needs neither: they are loaded on first use (net/dynlib.h), then work."""
    s = Server()
    ready_admin(s)
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        maps = console_maps(t)
        check("libcurl" not in maps and "libsecret" not in maps, "nothing of them mapped before a request")
        login_to_menu(t)
        check("libcurl.so.4" in console_maps(t), "libcurl mapped once a request went")
    finally:
        t.close()


@test
def a_library_that_cannot_be_loaded_is_a_message_not_a_crash():
    """When libcurl and libsecret cannot be loaded (first use), the keyring falls back to the file and a request says why."""
    s = Server()
    ready_admin(s)
    broken = tempfile.mkdtemp(prefix="guichet-nolib-")
    for name in ("libcurl.so.4", "libsecret-1.so.0"):
        open(os.path.join(broken, name), "w").close()  # found first, and not a library
    t = Terminal(s.url, store="keyring", env={"LD_LIBRARY_PATH": broken})
    try:
        t.wait_for("Trousseau indisponible")
        login(t)
        shown = t.wait_for("libcurl ne se charge pas")
        check("libcurl.so.4" in shown, shown)
        t.keys("C-q")
        t.wait_for("EXIT=0")
    finally:
        t.close()
        shutil.rmtree(broken, ignore_errors=True)


@test
def client_side_checks_before_sending():
    s = Server()
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        t.keys("Tab", "Enter")
        t.wait_for("Saisissez l'adresse e-mail et le mot de passe.")
        t.keys("BTab")
        t.type("no-at-sign")
        t.keys("Tab")
        t.type("whatever1")
        t.keys("Enter")
        t.wait_for("Adresse e-mail invalide : il manque « @ ».")
    finally:
        t.close()
    check("POST /api/admin/login" not in s.log_text(), "nothing was sent")


@test
def signup_end_to_end_with_the_mailed_code():
    s = Server()
    m = s.add_admin(email="new@example.cm", nom="Mballa", prenom="Aïcha")
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        t.keys("F2")
        t.wait_for("guichet — Inscription")
        t.type(m)
        t.keys("Tab")
        t.type("new@example.cm")
        t.keys("Enter")
        shown = t.wait_for("guichet — Code OTP")
        check("E-mail envoyé avec succès." in shown, shown)
        check(re.search(r"Le code expire à \d\d:\d\d:\d\d \(dans (09:5\d|10:00)\)\.", shown), shown)  # local time
        t.type(s.last_code())  # pasted whole: fills the boxes, moves on to the password
        t.type(PASSWORD)
        t.keys("Tab")
        t.type("not-the-same")
        t.keys("Enter")
        t.wait_for("Les mots de passe ne correspondent pas.")
        t.type(PASSWORD)
        t.keys("Enter")
        shown = t.wait_for("Mot de passe et email mis à jour.")
        check("guichet — Connexion" in shown and "new@example.cm" in shown, shown)
        t.type(PASSWORD)
        t.keys("Enter")
        shown = t.wait_for("Bonjour Aïcha Mballa.")  # accents render
    finally:
        t.close()


@test
def citizen_otp_send_creates_then_resends_and_verify():
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    t = Terminal(s.url)
    try:
        login_to_menu(t)
        t.keys("2")
        t.wait_for("guichet — OTP citoyen")
        t.type("01 23 45 67 89")
        t.keys("Enter")  # Envoyer le code: no code yet, so a create
        shown = t.wait_for("OTP créé avec succès")
        code = re.search(r"Dernier code : (\d{6}) pour 0123456789, expire à \d\d:\d\d:\d\d \(dans 0[45]:\d\d\)",
                         shown).group(1)
        t.keys("Enter")  # the same action: a code is live, so a resend, never the API's "use resend"
        shown = t.wait_for("OTP régénéré avec succès")
        check("Utilisez le type" not in shown, shown)
        new = re.search(r"Dernier code : (\d{6})", shown).group(1)
        check(re.search(r"renvoi +0123456789 +200 OTP régénéré", shown) and re.search(r"création +0123456789 +201", shown),
              "the session's actions are listed")
        t.keys("F5")  # F5 is the same action
        shown = t.wait_for(re.compile(r"(renvoi +0123456789 +200.*\n.*){2}", re.S))
        newer = re.search(r"Dernier code : (\d{6})", shown).group(1)
        t.keys("Tab")
        t.type(newer)
        t.keys("Enter")
        t.wait_for("OTP vérifié avec succès")
        check(code.isdigit() and new.isdigit(), code)
    finally:
        t.close()


def sms_codes(folder):
    """{file: code} for every SMS written by --sms outbox:FOLDER (the code stands on a line of its own)."""
    out = {}
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            out[name] = re.search(r"^\s*(\d{4,10})\s*$", f.read(), re.M).group(1)
    return out


@test
def citizen_otp_by_sms_sends_the_admin_token():
    tmp = tempfile.mkdtemp(prefix="guichet-test-")
    sms = os.path.join(tmp, "sms")
    # --otp-callers key: every /otp and /otp/verify below succeeds only with the admin's token
    s = Server("--sms", f"outbox:{sms}", "--otp-callers", "key", tmp=tmp)
    s.add_citizen("0123456789")
    ready_admin(s)
    t = Terminal(s.url, store="file")
    try:
        login_to_menu(t)
        t.keys("2")
        t.wait_for("guichet — OTP citoyen")
        t.type("0123456789")
        t.keys("Enter")
        shown = t.wait_for("OTP créé avec succès")
        check(re.search(r"Code envoyé par SMS\. Pour 0123456789, expire à \d\d:\d\d:\d\d", shown), shown)
        check("Dernier code" not in shown, shown)
        [code] = sms_codes(sms).values()
        check(not re.search(rf"(?<!\d){code}(?!\d)", shown), f"the code {code} is not on screen:\n{shown}")
        t.keys("Tab")
        t.type(code)
        t.keys("Enter")
        t.wait_for("OTP vérifié avec succès")
        # the token revoked elsewhere: the server's 401 ends the session
        [tokfile] = [os.path.join(t.dir, "state", "guichet", f) for f in os.listdir(os.path.join(t.dir, "state", "guichet"))
                     if f.startswith("token-")]
        eq(s.request("DELETE", "/api/admin/logout", token=open(tokfile).read().strip()).status, 200)
        t.keys("F5")
        shown = t.wait_for("Session expirée : reconnectez-vous.")
        check("guichet — Connexion" in shown, shown)
    finally:
        t.close()


@test
def profile_shows_the_admin():
    s = Server()
    m = ready_admin(s)
    t = Terminal(s.url)
    try:
        login_to_menu(t)
        t.keys("Down", "Up", "Enter")  # arrows and Enter choose too
        shown = t.wait_for(m)
        for text in ["guichet — Profil", "Nom", "Prénom", "E-mail", "Matricule", "Téléphone", "677342134", "Ville",
                     "Yaoundé", "Pays", "Cameroun", "John", "Doe"]:
            check(text in shown, f"{text} on the profile")
        t.keys("Escape")
        t.wait_for("guichet — Menu")
    finally:
        t.close()


@test
def password_change_then_login_again():
    s = Server()
    ready_admin(s)
    t = Terminal(s.url)
    try:
        login_to_menu(t)
        t.keys("3")
        t.wait_for("guichet — Changer le mot de passe")
        t.keys("Enter")
        t.wait_for("guichet — Code OTP")
        t.type(s.last_code())
        t.type("brand-new-pass")
        t.keys("Tab")
        t.type("brand-new-pass")
        t.keys("Enter")
        shown = t.wait_for("Mot de passe mis a jour avec succes. Veuillez vous reconnecter.")
        check("guichet — Connexion" in shown and "non connecté" in shown, shown)
        t.type("brand-new-pass")
        t.keys("Enter")
        t.wait_for("guichet — Menu")
    finally:
        t.close()


@test
def email_change():
    s = Server()
    ready_admin(s)
    t = Terminal(s.url)
    try:
        login_to_menu(t)
        t.keys("4")
        t.wait_for("guichet — Changer l'adresse e-mail")
        t.type("moved@example.cm")
        t.keys("Tab")
        t.type("wrong-password")
        t.keys("Enter")
        t.wait_for("Mot de passe incorrect.")
        t.type(PASSWORD)  # the password field is emptied and focused
        t.keys("Enter")
        t.wait_for("guichet — Code OTP")
        t.type(s.last_code("moved@example.cm"))
        t.keys("Enter")
        shown = t.wait_for("Email du compte modifié avec succes.")
        check("guichet — Menu" in shown and "moved@example.cm" in shown, shown)
    finally:
        t.close()


@test
def logout_returns_to_connexion():
    s = Server()
    ready_admin(s)
    t = Terminal(s.url)
    try:
        login_to_menu(t)
        t.keys("5")
        shown = t.wait_for("Déconnexion réussie.")
        check("guichet — Connexion" in shown and "non connecté" in shown, shown)
    finally:
        t.close()


@test
def field_editing_with_accents_and_password_toggle():
    s = Server()
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        t.type("éa")
        t.keys("Left", "BSpace")  # the é goes, as one character
        t.keys("Home")
        t.type("b")
        t.keys("End")
        t.type("ç")
        shown = t.wait_for("Adresse e-mail      baç")
        t.keys("Home", "DC")  # Delete under the cursor
        t.wait_for(re.compile(r"Adresse e-mail      aç\s"))
        t.keys("Tab")
        t.type("mot-de-passé")
        shown = t.wait_for("************")
        check("mot-de-passé" not in shown, "masked")
        t.keys("F4")
        t.wait_for("mot-de-passé")
        t.keys("F4")
        shown = t.wait_for("(F4 ^T voir)")
        check("mot-de-passé" not in shown, "masked again")
    finally:
        t.close()


@test
def resize_and_too_small_notice():
    s = Server()
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        t.tmux("resize-window", "-t", "ui", "-x", "50", "-y", "15")
        t.wait_for("Terminal trop petit : 50x15 (minimum 60x18)")
        t.tmux("resize-window", "-t", "ui", "-x", "80", "-y", "24")
        shown = t.wait_for("guichet — Connexion")
        check("trop petit" not in shown, shown)
    finally:
        t.close()


@test
def help_overlay_and_ctrl_q_exit_0():
    s = Server()
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        t.keys("F1")
        t.wait_for("Aide — touches")
        t.keys("F1")
        t.wait_for(re.compile(r"^(?!.*Aide — touches)", re.S))
        t.keys("C-q")
        t.wait_for("EXIT=0")
    finally:
        t.close()


@test
def unreachable_server_is_a_message_not_a_crash():
    t = Terminal(f"http://127.0.0.1:{free_port()}")
    try:
        login(t)
        shown = t.wait_for("Serveur injoignable")
        check("guichet — Connexion" in shown, shown)
        t.keys("C-q")
        t.wait_for("EXIT=0")
    finally:
        t.close()


@test
def slow_server_never_freezes_and_esc_cancels():
    release = threading.Event()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            release.wait(20)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    th = threading.Thread(target=httpd.serve_forever)
    th.start()
    t = Terminal(f"http://127.0.0.1:{httpd.server_port}")
    try:
        login(t)
        t.wait_for("Requête en cours")
        t.keys("F1")  # the screen still answers while the request waits
        t.wait_for("Aide — touches")
        t.keys("F1")
        t.wait_for(re.compile(r"Requête en cours… [1-9]s"))  # the counter moves
        t.keys("Escape")
        shown = t.wait_for("Requête annulée.")
        check("guichet — Connexion" in shown, shown)
    finally:
        release.set()
        t.close()
        httpd.shutdown()
        th.join()


@test
def stored_token_opens_the_menu_and_a_revoked_one_leads_to_connexion():
    s = Server()
    ready_admin(s)
    tmp = tempfile.mkdtemp(prefix="guichet-state-")
    env = {"XDG_STATE_HOME": tmp}
    p = subprocess.run([GUICHET, "--server", s.url, "--token-store", "file", "--password-stdin", "login", "admin@example.cm"],
                       input=(PASSWORD + "\n").encode(), capture_output=True, env=dict(os.environ, **env), timeout=30)
    eq(p.returncode, 0, p.stderr)
    t = Terminal(s.url, store="file", env=env)
    try:
        shown = t.wait_for("guichet — Menu")
        check("Session reprise" in shown, shown)
        t.keys("C-q")
        t.wait_for("EXIT=0")
    finally:
        t.close()
    token = open(os.path.join(tmp, "guichet", os.listdir(os.path.join(tmp, "guichet"))[0])).read().strip()
    s.request("DELETE", "/api/admin/logout", token=token)
    t = Terminal(s.url, store="file", env=env)
    try:
        shown = t.wait_for("Session expirée : reconnectez-vous.")
        check("guichet — Connexion" in shown, shown)
    finally:
        t.close()
        shutil.rmtree(tmp, ignore_errors=True)


@test
def no_color_means_no_colour_codes():
    s = Server()
    t = Terminal(s.url, env={"NO_COLOR": "1"})
    try:
        t.wait_for("guichet — Connexion")
        raw = t.screen(escapes=True)
        check(not re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7]|38;5|48;5)[;m]", raw), "no colour in NO_COLOR mode")
    finally:
        t.close()
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        check(re.search(r"\x1b\[[0-9;]*3[0-7][;m]", t.screen(escapes=True)), "colours otherwise")
    finally:
        t.close()


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@test
def make_demo_as_a_new_user_meets_it():
    d = tempfile.mkdtemp(prefix="guichet-demo-test-")
    sock = os.path.join(d, "tmux.sock")

    def tmux(*args):
        return subprocess.run(["tmux", "-S", sock, *args], capture_output=True, timeout=20)

    def screen():
        return tmux("capture-pane", "-p", "-J", "-t", "demo").stdout.decode()

    def wait_for(text, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in screen():
                return screen()
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n{screen()}")

    tmux("new-session", "-d", "-s", "demo", "-x", "130", "-y", "40", "-e", "TERM=tmux-256color", "-e", "LANG=C.UTF-8",
         "-c", ROOT, "make demo; echo DEMO_EXIT=$?; sleep 120")
    try:
        shown = wait_for("Entrée pour ouvrir la console")
        matricule = re.search(r"matricule ([0-9a-f-]{36})", shown).group(1)
        outbox = re.search(r"arrivent dans (\S+/outbox)", shown).group(1)
        sms = re.search(r"SMS +: les codes citoyens arrivent dans (\S+/sms)", shown).group(1)
        check("demo@guichet.local" in shown and "0123456789" in shown and "9876543210" in shown, shown)
        tmux("send-keys", "-t", "demo", "Enter")
        # the notice has a screen of its own: the whole matricule, the mail and SMS folders
        shown = wait_for("guichet — Démonstration")
        for text in [matricule, "demo@guichet.local", outbox, sms, "0123456789, 9876543210"]:
            check(text in shown, f"{text} on the demo screen:\n{shown}")
        tmux("send-keys", "-t", "demo", "F2")  # Inscription, matricule and e-mail filled in
        shown = wait_for("guichet — Inscription")
        check(matricule in shown and "demo@guichet.local" in shown, shown)
        tmux("send-keys", "-t", "demo", "Enter")
        wait_for("guichet — Code OTP")
        [mail] = os.listdir(outbox)
        code = re.search(r"^(\d{6})\r?$", open(os.path.join(outbox, mail), encoding="utf-8").read(), re.M).group(1)
        for keys in [["-l", code], ["-l", PASSWORD], ["Tab"], ["-l", PASSWORD], ["Enter"]]:
            tmux("send-keys", "-t", "demo", *keys)
        wait_for("Mot de passe et email mis à jour.")
        tmux("send-keys", "-t", "demo", "-l", PASSWORD)
        tmux("send-keys", "-t", "demo", "Enter")
        wait_for("guichet — Menu")
        tmux("send-keys", "-t", "demo", "2")
        wait_for("guichet — OTP citoyen")
        tmux("send-keys", "-t", "demo", "-l", "0123456789")
        tmux("send-keys", "-t", "demo", "Enter")
        wait_for("OTP créé avec succès")
        wait_for("Code envoyé par SMS.")  # the screen tells where the code went
        [code] = sms_codes(sms).values()
        for keys in [["Tab"], ["-l", code], ["Enter"]]:
            tmux("send-keys", "-t", "demo", *keys)
        wait_for("OTP vérifié avec succès")
        tmux("send-keys", "-t", "demo", "C-q")
        shown = wait_for("DEMO_EXIT=0")
        check("Backend arrêté" in shown, shown)
        left = subprocess.run(["pgrep", "-f", outbox.rsplit("/", 1)[0]], capture_output=True)
        eq(left.returncode, 1, "the demo backend is stopped")
        check(not os.path.exists(outbox), "the throw-away data is gone")
    finally:
        tmux("kill-server")
        shutil.rmtree(d, ignore_errors=True)


SCREENS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "screens")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ENGLISH = {"LANGUAGE": "en", "LANG": "C.UTF-8"}
DEMO = "matricule=MATRICULE\nemail=demo@guichet.local\ncitizens=0123456789, 9876543210\n" \
       "mail=/tmp/guichet-demo.XXXXXX/outbox\nsms=/tmp/guichet-demo.XXXXXX/sms"


def stable_text(text, server_url):
    """A screen with what changes from run to run made fixed: the server's URL, matricules, clocks, codes."""
    text = text.replace(server_url, "SERVER")
    text = UUID.sub("MATRICULE", text)
    text = re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", text)
    text = re.sub(r"(?<!\d)\d\d/\d\d(/\d{4})?(?!\d)", lambda m: "DD/MM/YYYY" if m.group(1) else "DD/MM", text)
    text = re.sub(r"(?<![\d:])\d\d:\d\d(?![\d:])", "MM:SS", text)
    return re.sub(r"(?<!\d)\d{6}(?!\d)", "CODE", text)


def dumped(path, server_url, timeout=10):
    """The screen dump (GUICHET_SCREEN_DUMP) once it stops changing, made stable (stable_text)."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        if os.path.exists(path):
            text = stable_text(open(path, encoding="utf-8").read(), server_url)
            if text == last:
                return text
            last = text
        time.sleep(0.2)
    raise AssertionError(f"no stable screen dump at {path}")


def same_screen(got, name):
    """Compares with tests/api/screens/NAME.txt; GUICHET_UPDATE_SCREENS=1 writes it instead (then read the diff)."""
    path = os.path.join(SCREENS, name + ".txt")
    if os.environ.get("GUICHET_UPDATE_SCREENS") == "1":
        with open(path, "w", encoding="utf-8") as f:
            f.write(got)
        return
    want = open(path, encoding="utf-8").read()
    if got != want:
        diff = [f"{i + 1:2}: got  {g!r}\n    want {w!r}" for i, (g, w) in
                enumerate(zip(got.split("\n"), want.split("\n"))) if g != w]
        raise AssertionError(f"screen {name} differs:\n" + "\n".join(diff) + f"\n--- got:\n{got}")


def every_screen(lang, env):
    """Visits every screen at 80x24 and compares each with its reference, in one language."""
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    d = tempfile.mkdtemp(prefix="guichet-dump-")
    dump = os.path.join(d, "screen.txt")
    t = Terminal(s.url, env=dict(env, GUICHET_SCREEN_DUMP=dump, GUICHET_DEMO=DEMO), cols=80, rows=24)

    def screen(name, title):
        t.wait_for(f"guichet — {title}")
        same_screen(dumped(dump, s.url), f"{name}-80x24.{lang}")

    fr = lang == "fr"
    try:
        screen("demo", "Démonstration" if fr else "Demo")
        t.keys("Enter")
        screen("connexion", "Connexion" if fr else "Log in")
        t.keys("F2")
        screen("inscription", "Inscription" if fr else "Sign up")
        t.keys("Escape")
        t.keys("F3")
        screen("mot_de_passe_oublie", "Mot de passe oublié" if fr else "Forgot password")
        t.keys("Escape")
        login(t)
        screen("menu", "Menu")
        t.keys("1")
        t.wait_for("677342134")
        screen("profil", "Profil" if fr else "Profile")
        t.keys("Escape")
        t.keys("2")
        t.wait_for("guichet — OTP citoyen" if fr else "guichet — Citizen OTP")
        t.type("0123456789")
        t.keys("Enter")
        t.wait_for("OTP créé avec succès")
        screen("otp_citoyen", "OTP citoyen" if fr else "Citizen OTP")
        t.keys("Escape")
        t.keys("3")
        screen("changer_mot_de_passe", "Changer le mot de passe" if fr else "Change password")
        t.keys("Enter")
        t.wait_for("Otp envoyé")
        screen("code_otp", "Code OTP" if fr else "OTP code")
        t.keys("Escape")
        t.keys("Escape")
        t.keys("4")
        screen("changer_email", "Changer l'adresse e-mail" if fr else "Change e-mail address")
        t.keys("Escape")
        t.keys("7")
        t.wait_for("guichet — Citoyen" if fr else "guichet — Citizen")
        t.type("0123456789")
        t.keys("Enter")
        t.wait_for("Citoyen trouvé.")
        screen("citoyen", "Citoyen" if fr else "Citizen")
        t.keys("Escape")
        t.keys("8")
        t.wait_for("citizen.code created")
        screen("journal", "Journal" if fr else "Audit log")
        t.keys("Escape")
        t.keys("9")
        t.wait_for("← cette session" if fr else "← this session")
        screen("sessions", "Sessions")
        t.keys("Escape")
        t.keys("F1")
        t.wait_for("Aide — touches" if fr else "Help — keys")
        screen("aide", "Menu")
    finally:
        t.close()
        shutil.rmtree(d, ignore_errors=True)


@test
def exact_screens_in_french():
    every_screen("fr", {})


@test
def exact_screens_in_english():
    every_screen("en", ENGLISH)


def english_locale():
    """An en_US.UTF-8 locale of our own (these machines have C and C.UTF-8 only): LOCPATH, as RECIPES says."""
    d = os.path.join(tempfile.gettempdir(), "guichet-test-locale")
    if not os.path.isdir(os.path.join(d, "en_US.UTF-8")):
        os.makedirs(d, exist_ok=True)
        subprocess.run(["localedef", "-i", "en_US", "-f", "UTF-8", os.path.join(d, "en_US.UTF-8")], capture_output=True,
                       timeout=120)
    return {"LOCPATH": d, "LANG": "en_US.UTF-8"}


@test
def english_through_lang_en_and_server_messages_as_sent():
    s = Server()
    ready_admin(s)
    t = Terminal(s.url, env=english_locale())
    try:
        shown = t.wait_for("guichet — Log in")
        check("E-mail address" in shown and "F2 ^N sign up" in shown and "^Q quit" in shown, shown)
        login(t, password="wrong-password")
        shown = t.wait_for("[Error] Mot de passe incorrect.")  # the server's words, as sent
        t.type(PASSWORD)
        t.keys("Enter")
        shown = t.wait_for("guichet — Menu")
        for text in ["Hello John Doe.", "1. Profile", "2. Citizen OTP", "5. Log out", "6. Quit", "[OK] Connexion réussie.",
                     "token: memory"]:
            check(text in shown, f"{text}:\n{shown}")
    finally:
        t.close()


@test
def lang_c_draws_every_label_in_ascii():
    """Problem 1: in LANG=C every label stays readable: accents dropped, ASCII frames, nothing blank."""
    s = Server()
    ready_admin(s)
    d = tempfile.mkdtemp(prefix="guichet-dump-")
    dump = os.path.join(d, "screen.txt")
    t = Terminal(s.url, env={"LANG": "C", "GUICHET_SCREEN_DUMP": dump}, cols=80, rows=24)
    try:
        t.wait_for("guichet - Connexion")
        same_screen(dumped(dump, s.url), "connexion-80x24.ascii")
        t.keys("F1")
        shown = t.wait_for("Aide - touches")
        for text in ["Entree / Echap   valider / annuler la requete, revenir",
                     "F3 ^O            mot de passe oublie", "F4 ^T            voir ou masquer le mot de passe"]:
            check(text in shown, f"{text}:\n{shown}")
        check(shown.count("|") >= 26, "an ASCII frame")
        t.keys("F1")
        t.type("\x1b[12~")  # PuTTY's F2, in LANG=C too
        shown = t.wait_for("guichet - Inscription")
        check("Etape 1 sur 2 : votre matricule et votre adresse e-mail." in shown, shown)
        t.keys("Escape")
        login(t)
        t.wait_for("guichet - Menu")
        same_screen(dumped(dump, s.url), "menu-80x24.ascii")
        check(all(ord(c) < 128 for c in t.screen()), "only ASCII reaches the terminal")
    finally:
        t.close()
        shutil.rmtree(d, ignore_errors=True)


@test
def putty_function_keys_and_unknown_sequences():
    """Problem 6: PuTTY's F1-F4 (ESC[11~..ESC[14~) work; an unknown sequence is swallowed, never Esc plus text."""
    s = Server()
    ready_admin(s)
    t = Terminal(s.url, cols=80, rows=24)
    try:
        t.wait_for("guichet — Connexion")
        t.type("\x1b[1;5P\x1b[99~\x1b[12;3~")  # sequences this console does not know: nothing happens
        t.type("x@example.cm")
        shown = t.wait_for(re.compile(r"Adresse e-mail +x@example\.cm\s"))
        check("guichet — Connexion" in shown and "[" not in shown.split("Adresse e-mail")[1].split("\n")[0], shown)
        t.type("\x1b[12~")  # F2
        t.wait_for("guichet — Inscription")
        t.keys("Escape")
        t.wait_for("guichet — Connexion")
        t.type("\x1b[13~")  # F3
        shown = t.wait_for("guichet — Mot de passe oublié")
        check("x@example.cm" in shown, "the address follows")
        t.keys("Escape")
        t.wait_for("guichet — Connexion")
        t.keys("Tab")
        t.type("secret-pw")
        t.type("\x1b[14~")  # F4
        t.wait_for("secret-pw")
        t.type("\x1b[11~")  # F1
        t.wait_for("Aide — touches")
        t.type("\x1b[11~")
        t.wait_for(re.compile(r"^(?!.*Aide — touches)", re.S))
        # the Ctrl aliases, for terminals that keep F1 for themselves (GNOME Terminal)
        t.keys("C-t")
        t.wait_for("*********")
        t.keys("C-g")
        t.wait_for("Aide — touches")
        t.keys("Escape")
        t.keys("C-n")
        t.wait_for("guichet — Inscription")
        t.keys("Escape")
        t.keys("C-o")
        t.wait_for("guichet — Mot de passe oublié")
        t.keys("Escape")
        t.wait_for("guichet — Connexion")
        t.keys("C-u", "BTab", "C-u")  # both fields emptied, the e-mail focused
        login(t)
        t.wait_for("guichet — Menu")
        t.keys("?")  # no field takes text here: ? is help
        t.wait_for("Aide — touches")
        t.keys("?")
        t.wait_for(re.compile(r"^(?!.*Aide — touches)", re.S))
        t.keys("C-c")  # Ctrl-C quits, as Ctrl-Q does
        t.wait_for("EXIT=0")
    finally:
        t.close()


@test
def legend_keeps_help_and_quit_at_80_columns_and_help_fits_60x18():
    """Problem 8: the legend drops its least useful keys first; help and quit always stay; the help overlay fits."""
    s = Server()
    d = tempfile.mkdtemp(prefix="guichet-dump-")
    dump = os.path.join(d, "screen.txt")
    t = Terminal(s.url, env={"GUICHET_SCREEN_DUMP": dump}, cols=60, rows=18)
    try:
        shown = t.wait_for("guichet — Connexion")
        legend = [l for l in shown.split("\n") if "^Q quitter" in l]
        check(len(legend) == 1 and "F1 ^G aide" in legend[0] and "F2 ^N inscription" in legend[0], shown)
        t.keys("F1")
        t.wait_for("Aide — touches")
        same_screen(dumped(dump, s.url), "aide-60x18.fr")
        t.tmux("resize-window", "-t", "ui", "-x", "80", "-y", "24")
        shown = t.wait_for(re.compile(r"^ F2 \^N inscription  F3 \^O mot de passe oublié  F1 \^G aide  \^Q quitter$", re.M))
        t.keys("F1")
        t.tmux("resize-window", "-t", "ui", "-x", "120", "-y", "35")
        t.wait_for("Entrée se connecter  F2 ^N inscription  F3 ^O mot de passe oublié  F1 ^G aide  ^Q quitter")
    finally:
        t.close()
        shutil.rmtree(d, ignore_errors=True)


@test
def success_and_error_say_so_in_words_and_text_keeps_the_terminal_colours():
    """Problem 7: no forced white text; success and error are told by words too, not by colour alone."""
    s = Server()
    ready_admin(s)
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        raw = t.screen(escapes=True)
        intro = [l for l in raw.split("\n") if "Connectez-vous" in l][0]
        check(not re.search(r"\x1b\[[0-9;]*3[0-7]m[^\x1b]*Connectez-vous", intro), f"text in the default colour: {intro!r}")
        check(not re.search(r"\x1b\[[0-9;]*3[37][;m]", raw.split("Mot de passe")[-1].split("SERVER")[0].split("\n")[-3]),
              "no yellow or white forced on the legend")
        login(t, password="wrong-password")
        t.wait_for("[Erreur] Mot de passe incorrect.")
        t.type(PASSWORD)
        t.keys("Enter")
        t.wait_for("[OK] Connexion réussie.")
    finally:
        t.close()
    t = Terminal(s.url, env={"NO_COLOR": "1"})
    try:
        login(t, password="wrong-password")
        t.wait_for("[Erreur] Mot de passe incorrect.")
    finally:
        t.close()


@test
def code_length_and_lifetime_come_from_the_server():
    """Problem 5: with --otp-digits 8 the code has 8 boxes; a pasted code stays out of the password."""
    s = Server("--otp-digits", "8", "--admin-otp-ttl", "900")
    m = s.add_admin(email="new@example.cm", nom="Mballa", prenom="Aïcha")
    t = Terminal(s.url)
    try:
        t.wait_for("guichet — Connexion")
        t.keys("F2")
        t.wait_for("guichet — Inscription")
        t.type(m)
        t.keys("Tab")
        t.type("new@example.cm")
        t.keys("Enter")
        shown = t.wait_for("guichet — Code OTP")
        eq(shown.count("[ ]"), 8, shown)
        check(re.search(r"Le code expire à \d\d:\d\d:\d\d \(dans 1[45]:\d\d\)\.", shown), shown)  # 900 s, not 600
        code = s.last_code()
        eq(len(code), 8, code)
        t.type(code)  # pasted whole: 8 boxes, then the password field
        t.type(PASSWORD)
        t.keys("F4")
        shown = t.wait_for(PASSWORD)
        check(re.search(r"Nouveau mot de passe +" + re.escape(PASSWORD) + r"\s", shown), shown)
        t.keys("Tab")
        t.type(PASSWORD)
        t.keys("Enter")
        t.wait_for("Mot de passe et email mis à jour.")
    finally:
        t.close()


def phone_field(t, want, timeout=10):
    """Waits until the OTP citoyen screen's phone field (columns 24-47) holds want."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = [l for l in t.screen().split("\n") if "Téléphone" in l][0]
        if line[24:48].rstrip() == want.rstrip():
            return
        time.sleep(0.05)
    raise AssertionError(f"phone field: {line[24:48]!r}, want {want!r}\n{t.screen()}")


def count_keys(t):
    """Wraps t.keys and t.type so that every keystroke sent is counted."""
    counter = {"n": 0}
    keys, typ = t.keys, t.type

    def counted_keys(*k):
        counter["n"] += len(k)
        keys(*k)

    def counted_type(text):
        counter["n"] += len(text)
        typ(text)

    t.keys, t.type = counted_keys, counted_type
    return counter


@test
def support_desk_resends_a_known_citizens_code_in_three_keystrokes():
    """Problem 4: history on Up, kept for the session with the log; one action; local-time expiry; the count."""
    s = Server()
    for phone in ["0123456789", "9876543210"]:
        s.add_citizen(phone)
    ready_admin(s)
    t = Terminal(s.url, cols=80, rows=24)
    try:
        login_to_menu(t)
        for phone in ["0123456789", "9876543210"]:  # two citizens served earlier in the session
            t.keys("2")
            t.wait_for("guichet — OTP citoyen")
            t.type(phone)  # the last number is filled in: typing replaces it
            t.keys("Enter")
            t.wait_for(re.compile(r"création +" + phone + r" +201"))
            t.keys("Escape")
            t.wait_for("guichet — Menu")
        # the first citizen calls back: from the menu, 2, Up, Enter
        counter = count_keys(t)
        t.keys("2")
        shown = t.wait_for("guichet — OTP citoyen")
        check(re.search(r"Téléphone +9876543210 ", shown), "the last number is kept")
        check(re.search(r"création +9876543210 +201.*\n.*création +0123456789 +201", shown), "the action log is kept")
        t.keys("Up")
        phone_field(t, "0123456789")
        t.keys("Enter")
        shown = t.wait_for(re.compile(r"renvoi +0123456789 +200 OTP régénéré avec succès"))
        eq(counter["n"], 3, "keystrokes from the menu (README: 3)")
        check(counter["n"] <= 8, "the target")
        check(re.search(r"Dernier code : \d{6} pour 0123456789, expire à \d\d:\d\d:\d\d \(dans 0[45]:\d\d\)", shown), shown)
        check("T" not in shown.split("expire à")[1].split("\n")[0], "local time, not UTC ISO")
        # Down goes forward again; Ctrl-U, Ctrl-W and Ctrl-K edit the field
        t.keys("Up")  # 0123456789 is now the newest: Up goes to 9876543210, Down comes back
        phone_field(t, "9876543210")
        t.keys("Down")
        phone_field(t, "0123456789")
        t.keys("Up")
        phone_field(t, "9876543210")
        t.keys("C-u")
        phone_field(t, "")
        t.type("01 23 45")
        t.keys("C-w")
        phone_field(t, "01 23")
        t.keys("Left", "Left", "C-k")
        phone_field(t, "01 2")
        t.keys("C-a", "C-k")
        phone_field(t, "")
        t.keys("C-c")
        t.wait_for("EXIT=0")
    finally:
        t.close()


@test
def cooldown_counts_down_live():
    s = Server(cooldown=30)
    s.add_citizen("0123456789")
    ready_admin(s)
    t = Terminal(s.url)
    try:
        login_to_menu(t)
        t.keys("2")
        t.wait_for("guichet — OTP citoyen")
        t.type("0123456789")
        t.keys("Enter")
        t.wait_for("OTP créé avec succès")
        t.keys("Enter")
        shown = t.wait_for("Veuillez patienter")  # the server's message, as sent
        first = int(re.search(r"Nouvel envoi possible pour 0123456789 dans (\d+) s\.", shown).group(1))
        check(25 <= first <= 30, shown)
        shown = t.wait_for(re.compile(r"dans (?!%d )\d+ s\." % first), timeout=5)  # it moves by itself
        check(int(re.search(r"possible pour 0123456789 dans (\d+) s\.", shown).group(1)) < first, shown)
    finally:
        t.close()


@test
def actions_layer_reports_a_failed_token_removal_and_forgets_after_a_password_change():
    """The session rules are the CLI's: a failed removal is said, a password change forgets the stored token."""
    s = Server()
    ready_admin(s)
    t = Terminal(s.url, store="file")
    state = os.path.join(t.dir, "state", "guichet")
    try:
        login_to_menu(t)
        [tok] = [f for f in os.listdir(state) if f.startswith("token-")]
        os.unlink(os.path.join(state, tok))
        os.mkdir(os.path.join(state, tok))  # a directory where the file was: it cannot be removed
        t.keys("5")
        shown = t.wait_for("Impossible de supprimer")
        check("[Erreur] Déconnexion réussie." in shown and "guichet — Connexion" in shown, shown)
        os.rmdir(os.path.join(state, tok))
        t.type(PASSWORD)
        t.keys("Enter")
        t.wait_for("guichet — Menu")
        check(os.path.exists(os.path.join(state, tok)), "stored")
        t.keys("3")
        t.wait_for("guichet — Changer le mot de passe")
        t.keys("Enter")
        t.wait_for("guichet — Code OTP")
        t.type(s.last_code())
        t.type("brand-new-pass")
        t.keys("Tab")
        t.type("brand-new-pass")
        t.keys("Enter")
        t.wait_for("Veuillez vous reconnecter.")
        check(not os.path.exists(os.path.join(state, tok)), "the revoked token is forgotten")
    finally:
        t.close()


@test
def a_keyring_that_does_not_answer_never_freezes_the_screen():
    """The keyring is read on a thread: a Secret Service that hangs leaves the UI answering."""
    import socket
    d = tempfile.mkdtemp(prefix="guichet-bus-")
    path = os.path.join(d, "bus")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(4)
    srv.settimeout(20)
    s = Server()
    t = Terminal(s.url, store="keyring", env={"DBUS_SESSION_BUS_ADDRESS": f"unix:path={path}"})
    try:
        conn, _ = srv.accept()  # the console's D-Bus connection: never answered
        shown = t.wait_for(re.compile(r"Trousseau de clés… [1-9]s"))
        check("guichet — Connexion" in shown, shown)
        t.keys("F1")
        t.wait_for("Aide — touches")  # keys still work
        t.keys("F1")
        conn.close()  # the bus goes away: the keyring is unavailable, the file store serves
        shown = t.wait_for("jeton : fichier")
        check("Trousseau indisponible" in shown, shown)
    finally:
        t.close()
        srv.close()
        shutil.rmtree(d, ignore_errors=True)


# ---- the support desk's screens (contract §9.6) ----

@test
def citoyen_looks_up_sends_and_unlocks():
    s = Server(cooldown=60)
    s.cli("citizen", "add", "--phone", "0123456789", "--nom", "Mballa", "--prenom", "Awa", check_rc=0)
    ready_admin(s)
    t = Terminal(s.url, cols=80, rows=24)
    try:
        login_to_menu(t)
        t.keys("7")
        t.wait_for("guichet — Citoyen")
        t.type("01 23 45 67 89")
        t.keys("Enter")  # look up
        shown = t.wait_for("Citoyen trouvé.")
        check(re.search(r"Citoyen +Awa Mballa", shown) and re.search(r"Code +aucun en cours", shown), shown)
        check(re.search(r"Dernier envoi +jamais", shown), shown)
        t.keys("F5")  # send: a create, then the state again
        shown = t.wait_for(re.compile(r"Code +en cours jusqu'à \d\d:\d\d \(dans 0[45]:\d\d\)\n +Essais du code +5 restant"))
        check("OTP créé avec succès" in shown and re.search(r"Code envoyé : \d{6}", shown), shown)
        check(re.search(r"Délai d'envoi +nouvel envoi possible dans \d\d s", shown), shown)
        check(re.search(r"Dernier envoi +\d\d/\d\d \d\d:\d\d:\d\d par admin@example.cm", shown), shown)
        code = re.search(r"Code envoyé : (\d{6})", shown).group(1)
        s.post("/otp/verify", {"phoneNumber": "0123456789", "otp": "000000" if code != "000000" else "111111"})
        t.keys("Enter")  # refresh
        t.wait_for(re.compile(r"Essais du code +4 restant\(s\)\n(.*\n)*.*Erreurs permises +99 avant blocage", re.M))
        t.keys("F5")  # within the cooldown: refused, and the state says until when
        shown = t.wait_for("Veuillez patienter")
        t.keys("C-d")  # unlock, after a confirmation
        t.wait_for("Débloquer 0123456789")
        t.keys("n")
        t.wait_for("Déblocage annulé.")
        t.keys("F6")
        t.wait_for("Débloquer 0123456789")
        t.keys("o")
        shown = t.wait_for("Citoyen débloqué.")
        check(re.search(r"Délai d'envoi +aucun : un code peut être envoyé", shown), shown)
        check(re.search(r"Erreurs permises +100 avant blocage", shown), shown)
        t.keys("F5")
        t.wait_for("OTP régénéré avec succès")
        t.keys("C-u")
        t.type("9876543210")  # another number typed: F6 does not unlock the one on screen
        t.keys("F6")
        t.wait_for("Consultez d'abord ce numéro (Entrée).")
    finally:
        t.close()


@test
def journal_scrolls_across_a_page_and_searches():
    s = Server()
    s.add_citizen("0123456789")
    s.add_citizen("0677000001")
    ready_admin(s)
    s.post("/otp", {"type": "create", "phoneNumber": "0677000001"})
    s.post("/otp", {"type": "create", "phoneNumber": "0123456789"})
    for _ in range(60):
        s.post("/otp", {"type": "resend", "phoneNumber": "0123456789"})
    t = Terminal(s.url, cols=80, rows=24)
    try:
        login_to_menu(t)
        t.keys("8")
        shown = t.wait_for("50 entrée(s) chargée(s), d'autres plus anciennes")
        check(re.search(r"\d\d/\d\d \d\d:\d\d:\d\d admin@example.cm +login ok", shown), "newest first")
        for _ in range(49):
            t.keys("Down")
        t.wait_for(re.compile(r"6\d entrée\(s\) chargée\(s\)$", re.M))  # the next page came: none older left
        t.keys("PPage", "PPage", "PPage", "PPage", "PPage")
        t.keys("Home")
        t.keys("/")
        t.wait_for("Chercher :")
        t.type("0677")
        t.keys("Enter")
        shown = t.wait_for(re.compile(r"citizen.code created +0677000001"))
        sel = [l for l in shown.split("\n") if "0677000001" in l]
        check(sel, shown)
        t.keys("Enter")
        shown = t.wait_for("Entrée ou Échap : revenir à la liste.")
        check(re.search(r"Événement +citizen.code", shown) and re.search(r"Détail +0677000001", shown) and
              re.search(r"Adresse IP +127.0.0.1", shown), shown)
        t.keys("Escape")
        t.wait_for("/ n N chercher")  # the list and its legend again
        t.keys("n")
        t.wait_for("« 0677 » : pas d'autre entrée.")
        t.keys("t")
        t.wait_for("Téléphone (vide : tous) :")
        t.type("0677000001")
        t.keys("Enter")
        shown = t.wait_for("Filtres : admin tous · téléphone 0677000001")
        rows = [l for l in shown.split("\n") if re.match(r" +\d\d/\d\d ", l)]
        eq(len(rows), 1, shown)
        t.keys("Escape")
        t.wait_for("guichet — Menu")
    finally:
        t.close()


@test
def sessions_revokes_another_then_this_one_logs_out():
    s = Server()
    ready_admin(s)
    other = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    t = Terminal(s.url, cols=80, rows=24)
    try:
        login_to_menu(t)
        t.keys("9")
        shown = t.wait_for("← cette session")
        rows = [l for l in shown.split("\n") if re.match(r" +\d+ +\d\d/\d\d \d\d:\d\d", l)]
        eq(len(rows), 2, shown)
        check("cette session" in rows[0] and "cette session" not in rows[1], rows)
        t.keys("Down", "Delete")
        t.wait_for(re.compile(r"Révoquer la session 1 \?\n +Confirmer \? o : oui"))
        t.keys("o")
        t.wait_for("Session révoquée.")
        eq(s.request("GET", "/api/admin/me", token=other).status, 401, "the other session is over")
        shown = t.wait_for(re.compile(r"(?s)cette session(?!.*\d\d/\d\d \d\d:\d\d)"))
        t.keys("F6")
        t.wait_for("celle-ci : vous serez déconnecté.")
        t.keys("y")
        t.wait_for("guichet — Connexion")
        t.wait_for("Session révoquée : c'était la vôtre, vous êtes déconnecté.")
    finally:
        t.close()


@test
def support_screens_fit_60x18():
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    s.post("/api/admin/password-reset-while-dissconnected-init", {"email": "admin@example.cm"})
    t = Terminal(s.url, cols=60, rows=18)
    try:
        login_to_menu(t)
        t.keys("8")
        shown = t.wait_for("password-reset")
        rows = shown.split("\n")[5:12]
        check(all(re.match(r"  \d\d/\d\d \d\d:\d\d:\d\d ", r) or not r.strip() for r in rows), shown)
        check("/ n N" in shown and "^Q" in shown, shown)
        t.keys("Escape")
        t.keys("7")
        t.wait_for("guichet — Citoyen")
        t.type("0123456789")
        t.keys("Enter")
        t.wait_for("Citoyen trouvé.")
        t.keys("F6")
        shown = t.wait_for("Confirmer ? o : oui, autre touche : non")
        check("F5 ^R envoyer" in shown and "F6 ^D débloquer" in shown and "^Q quitter" in shown, shown)
        t.keys("n")
        t.keys("Escape")
        t.keys("9")
        t.wait_for("← cette session")
    finally:
        t.close()


if __name__ == "__main__":
    main()
