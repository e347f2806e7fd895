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
    t.wait_for("guichet — Connexion")
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
        check(re.search(r"expire dans (09:5\d|10:00)", shown), shown)
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
def citizen_otp_create_resend_verify():
    s = Server()
    s.add_citizen("0123456789")
    ready_admin(s)
    t = Terminal(s.url)
    try:
        login_to_menu(t)
        t.keys("2")
        t.wait_for("guichet — OTP citoyen")
        t.type("01 23 45 67 89")
        t.keys("Enter")
        shown = t.wait_for("OTP créé avec succès")
        code = re.search(r"Dernier code : (\d{6})\s+pour 0123456789", shown).group(1)
        t.keys("Enter")
        t.wait_for("Un OTP existe déjà pour ce numéro. Utilisez le type 'resend' pour régénérer.")
        t.keys("F5")
        shown = t.wait_for("OTP régénéré avec succès")
        new = re.search(r"Dernier code : (\d{6})", shown).group(1)
        check("resend" in shown and "create" in shown, "recent actions listed")
        t.keys("Tab")
        t.type(new)
        t.keys("Enter")
        t.wait_for("OTP vérifié avec succès")
        check(code.isdigit(), code)
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
        check(re.search(r"Code envoyé par SMS\.\s+pour 0123456789\s+\(expire 20", shown), shown)
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
        shown = t.wait_for("(F4 voir)")
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
        wait_for("guichet — Connexion")
        tmux("send-keys", "-t", "demo", "F2")
        wait_for("guichet — Inscription")
        tmux("send-keys", "-t", "demo", "-l", matricule)
        tmux("send-keys", "-t", "demo", "Tab")
        tmux("send-keys", "-t", "demo", "-l", "demo@guichet.local")
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


def dumped(path, server_url, timeout=10):
    """The screen dump (GUICHET_SCREEN_DUMP) once it stops changing, with the server's URL made stable."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        if os.path.exists(path):
            text = open(path, encoding="utf-8").read()
            if text == last:
                return text.replace(server_url, "SERVER")
            last = text
        time.sleep(0.2)
    raise AssertionError(f"no stable screen dump at {path}")


@test
def exact_screens_from_the_dump_mode():
    s = Server()
    ready_admin(s)
    d = tempfile.mkdtemp(prefix="guichet-dump-")
    dump = os.path.join(d, "screen.txt")
    t = Terminal(s.url, env={"GUICHET_SCREEN_DUMP": dump}, cols=80, rows=24)
    try:
        t.wait_for("guichet — Connexion")
        eq(dumped(dump, s.url), open(os.path.join(SCREENS, "connexion-80x24.txt"), encoding="utf-8").read(), "Connexion")
        login_to_menu(t)
        eq(dumped(dump, s.url), open(os.path.join(SCREENS, "menu-80x24.txt"), encoding="utf-8").read(), "Menu")
    finally:
        t.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
