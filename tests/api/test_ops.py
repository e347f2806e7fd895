"""Operating guichet: the OpenAPI document against the server, /metrics, the request log,
sd_notify, the systemd unit, the man pages, shell completion and the Makefile's habits."""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import yaml
from prometheus_client.parser import text_string_to_metric_families

from harness import GUICHETD, ROOT, Server, check, eq, main, test

ASSETS = os.path.join(ROOT, "assets")
GUICHET = os.environ.get("GUICHET", os.path.join(ROOT, "build", "guichet"))
PHONE = "0123456789"
PASSWORD = "s3cret-Passw0rd"
ON_PG = os.environ.get("GUICHET_TEST_STORE") == "pg"


def once(fn):
    """A test of files, tools or the process, not of the store: not run again on PostgreSQL."""
    return fn if ON_PG else test(fn)

with open(os.path.join(ASSETS, "openapi.yaml"), encoding="utf-8") as f:
    DOC = yaml.safe_load(f)


# ---- the OpenAPI document ----

def template(path):
    """A documented path as the server's table writes it: every {name} is {}."""
    return re.sub(r"\{[^}/]+\}", "{}", path)


def server_routes():
    p = subprocess.run([GUICHETD, "routes"], capture_output=True, check=True)
    return {tuple(line.split(" ", 1)) for line in p.stdout.decode().splitlines()}


def documented_routes():
    return {(method.upper(), template(path)) for path, item in DOC["paths"].items() for method in item}


def deref(node):
    """Follows local $refs (#/a/b) until a node without one."""
    while isinstance(node, dict) and "$ref" in node:
        target = DOC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def message_rules(schema, fixed, patterns):
    """Collects what a response's `message` may be: constants, enums and patterns."""
    schema = deref(schema)
    if not isinstance(schema, dict):
        return
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            message_rules(sub, fixed, patterns)
    message = schema.get("properties", {}).get("message")
    if message is not None:
        values(deref(message), fixed, patterns)


def values(schema, fixed, patterns):
    if "const" in schema:
        fixed.add(schema["const"])
    fixed.update(schema.get("enum", []))
    if "pattern" in schema:
        patterns.append(schema["pattern"])
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            values(deref(sub), fixed, patterns)


def operation(method, path):
    for doc_path, item in DOC["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(doc_path)), path.split("?")[0]):
            op = item.get(method.lower())
            if op:
                return doc_path, op
    return None, None


def documented(method, path, r):
    """The answer r to METHOD path is one the document describes: its status, and its message."""
    doc_path, op = operation(method, path)
    check(op is not None, f"{method} {path} is not in openapi.yaml")
    response = deref(op["responses"].get(str(r.status)))
    check(response is not None, f"{method} {doc_path}: status {r.status} undocumented ({r})")
    content = response.get("content", {})
    if r.json is None:
        check("text/plain" in content, f"{method} {doc_path} {r.status}: a non-JSON answer undocumented")
        return
    check("application/json" in content, f"{method} {doc_path} {r.status}: JSON undocumented")
    if not isinstance(r.json, dict) or "message" not in r.json:
        return
    fixed, patterns = set(), []
    message_rules(content["application/json"]["schema"], fixed, patterns)
    ok = r.message in fixed or any(re.search(p, r.message) for p in patterns)
    check(ok, f"{method} {doc_path} {r.status}: message {r.message!r} undocumented")


@test
def every_route_of_the_server_is_documented_and_every_documented_route_answers():
    table, doc = server_routes(), documented_routes()
    eq(sorted(table - doc), [], "routes of the server missing from openapi.yaml")
    eq(sorted(doc - table), [], "routes of openapi.yaml the server does not have")
    s = Server()
    for method, path in sorted(doc):
        concrete = path.replace("{}", "1")
        r = s.request(method, concrete)
        check(r.status != 404 or concrete.startswith("/api/admin/sessions/"), f"{method} {concrete}: {r}")
        documented(method, concrete, r)
    check(DOC["openapi"].startswith("3.1"), DOC["openapi"])


@test
def every_answer_of_a_whole_session_is_documented():
    """Walks every route through its outcomes: each status and message met is in the document."""
    s = Server()
    s.add_citizen(PHONE)

    def call(method, path, body=None, token=None, raw=None):
        r = s.request(method, path, body, raw=raw, token=token)
        documented(method, path, r)
        return r

    A = "/api/admin/"
    call("GET", "/health")
    call("GET", "/metrics")
    call("POST", "/otp", {})
    call("POST", "/otp", {"type": "other", "phoneNumber": PHONE})
    call("POST", "/otp", {"type": "create", "phoneNumber": 12})
    call("POST", "/otp", {"type": "create", "phoneNumber": "555"})
    call("POST", "/otp", raw=b"{not json")
    call("POST", "/otp", raw=b"[1]")
    call("POST", "/otp", {"type": "resend", "phoneNumber": PHONE})
    code = call("POST", "/otp", {"type": "create", "phoneNumber": PHONE}).data["otp"]
    call("POST", "/otp", {"type": "create", "phoneNumber": PHONE})
    code = call("POST", "/otp", {"type": "resend", "phoneNumber": PHONE}).data["otp"]
    call("POST", "/otp/verify", {"phoneNumber": PHONE})
    call("POST", "/otp/verify", {"phoneNumber": PHONE, "otp": "0" * 6 if code != "0" * 6 else "1" * 6})
    eq(call("POST", "/otp/verify", {"phoneNumber": PHONE, "otp": code}).status, 200)
    call("POST", "/otp", raw=b"{" + b" " * 20000 + b"}")

    matricule = s.add_admin()
    s.add_admin(email="pending@example.cm")
    call("POST", A + "signin-init", {"matricule": matricule})
    call("POST", A + "signin-init", {"matricule": matricule, "email": 5})
    call("POST", A + "signin-init", {"matricule": "nope", "email": "admin@example.cm"})
    call("POST", A + "signin-init", {"matricule": matricule, "email": "admin@example.cm"})
    call("PATCH", A + "signin-process", {"otp": "12", "password": "short"})
    call("PATCH", A + "signin-process", {"otp": "000001", "password": PASSWORD})
    eq(call("PATCH", A + "signin-process", {"otp": s.last_code(), "password": PASSWORD}).status, 200)
    call("POST", A + "signin-init", {"matricule": matricule, "email": "admin@example.cm"})
    call("POST", A + "login", {"email": "nobody@example.cm", "password": PASSWORD})
    call("POST", A + "login", {"email": "pending@example.cm", "password": PASSWORD})
    call("POST", A + "login", {"email": "admin@example.cm", "password": "wrong-password"})
    token = call("POST", A + "login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    call("GET", A + "me", token=token)
    call("GET", A + "me")
    call("GET", A + "meta")
    call("GET", A + f"citizens/{PHONE}", token=token)
    call("GET", A + "citizens/555", token=token)
    call("POST", A + f"citizens/{PHONE}/unlock", token=token)
    call("POST", A + "citizens/555/unlock", token=token)
    call("GET", A + "audit?limit=2", token=token)
    call("GET", A + "audit?limit=0", token=token)
    sessions = call("GET", A + "sessions", token=token).data["sessions"]
    call("DELETE", A + "sessions/999999", token=token)
    for spelling in ("dissconnected", "disconnected"):
        call("POST", A + f"password-reset-while-{spelling}-init", {"email": "nobody@example.cm"})
        call("POST", A + f"password-reset-while-{spelling}-init", {"email": "pending@example.cm"})
        call("POST", A + f"password-reset-while-{spelling}-init", {"email": "admin@example.cm"})
        call("PATCH", A + f"password-reset-while-{spelling}-process", {"otp": "000002", "password": PASSWORD})
    call("PATCH", A + "password-reset-while-dissconnected-process", {"otp": s.last_code(), "password": PASSWORD})
    token = call("POST", A + "login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    call("POST", A + "password-reset-while-connected-init", token=token)
    call("PATCH", A + "password-reset-while-connected-process", {"otp": "000003", "password": PASSWORD}, token=token)
    call("PATCH", A + "password-reset-while-connected-process", {"otp": s.last_code(), "password": PASSWORD},
         token=token)
    token = call("POST", A + "login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    call("POST", A + "email-reset-init", {"email": "new@example.cm", "password": "wrong-password"}, token=token)
    call("POST", A + "email-reset-init", {"email": "not an address", "password": PASSWORD}, token=token)
    call("POST", A + "email-reset-init", {"email": "admin@example.cm", "password": PASSWORD}, token=token)
    call("POST", A + "email-reset-init", {"email": "new@example.cm", "password": PASSWORD}, token=token)
    call("PATCH", A + "email-reset-process", {}, token=token)
    call("PATCH", A + "email-reset-process", {"otp": "000004"}, token=token)
    call("PATCH", A + "email-reset-process", {"otp": s.last_code("new@example.cm")}, token=token)
    current = [x["id"] for x in call("GET", A + "sessions", token=token).data["sessions"] if x["current"]]
    check(sessions and current, sessions)
    call("DELETE", A + "logout", token=token)
    call("DELETE", A + "logout", token=token)
    call("DELETE", A + f"sessions/{current[0]}", token=token)
    call("POST", A + "login", raw=b"x" * 20000)

    limited = Server("--rate-limit", "2")
    for _ in range(3):
        r = limited.post(A + "login", {})
    eq(r.status, 429, r)
    documented("POST", A + "login", r)


@once
def unknown_paths_and_methods_answer_as_the_document_says():
    s = Server()
    r = s.request("GET", "/nowhere")
    eq((r.status, r.json), (404, {"status": "error", "message": "Route introuvable.", "data": None}))
    r = s.request("PUT", "/metrics")
    eq((r.status, r.message, r.header("allow")), (405, "Méthode non autorisée.", "GET"))
    for text in ("Route introuvable.", "Méthode non autorisée.", "Allow"):
        check(text in DOC["info"]["description"], text)


# ---- /metrics ----

def scrape(s):
    r = s.request("GET", "/metrics")
    eq(r.status, 200, r)
    check(r.header("content-type").startswith("text/plain; version=0.0.4"), r.headers)
    text = r.raw.decode()
    return text, {f.name: f for f in text_string_to_metric_families(text)}


def value(families, name, sample_name=None, **labels):
    for sample in families[name].samples:
        if sample.name == (sample_name or name) and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return 0


@test
def metrics_count_requests_latency_codes_and_limits_without_personal_data():
    sms = tempfile.mkdtemp(prefix="guichet-sms-")
    s = Server("--sms", f"outbox:{sms}", "--rate-limit", "50")
    s.add_citizen(PHONE)
    s.ready_admin()  # one code mailed
    eq(s.post("/otp", {"type": "create", "phoneNumber": PHONE}).status, 201)
    s.request("GET", "/health")
    s.request("GET", f"/api/admin/citizens/{PHONE}")
    s.request("GET", "/nowhere/0123456789")
    for _ in range(3):
        s.post("/api/admin/login", {"email": "admin@example.cm", "password": "wrong-password"})
    text, fam = scrape(s)
    # prometheus_client names a counter family without its _total
    eq(value(fam, "guichet_http_requests", "guichet_http_requests_total", method="POST", route="/otp",
             status="201"), 1.0)
    eq(value(fam, "guichet_http_requests", "guichet_http_requests_total", method="GET",
             route="/api/admin/citizens/{}", status="401"), 1.0)
    eq(value(fam, "guichet_http_requests", "guichet_http_requests_total", route="unmatched", status="404"), 1.0)
    eq(fam["guichet_http_request_duration_seconds"].type, "histogram")
    eq(value(fam, "guichet_http_request_duration_seconds", "guichet_http_request_duration_seconds_count",
             method="GET", route="/health"), 1.0)
    eq(value(fam, "guichet_http_request_duration_seconds", "guichet_http_request_duration_seconds_bucket",
             method="GET", route="/health", le="+Inf"), 1.0)
    eq(value(fam, "guichet_codes_sent", "guichet_codes_sent_total", channel="mail"), 1.0)
    eq(value(fam, "guichet_codes_sent", "guichet_codes_sent_total", channel="sms"), 1.0)
    eq(value(fam, "guichet_codes_failed", "guichet_codes_failed_total", channel="sms"), 0.0)
    eq(sorted(x.labels["limit"] for x in fam["guichet_limit_hits"].samples),
       sorted(["requests", "send", "guess", "code-only", "login"]))
    eq(value(fam, "guichet_build_info", version=open_version()), 1.0)
    check(value(fam, "guichet_start_time_seconds") > time.time() - 3600, "start time")
    for secret in (PHONE, "admin@example.cm", "wrong-password", "nowhere"):
        check(secret not in text, f"{secret!r} in /metrics")

    limited = Server("--rate-limit", "1", "--sms", "http://127.0.0.1:9/none")
    limited.add_citizen(PHONE)
    limited.post("/otp", {"type": "create", "phoneNumber": PHONE})  # the gateway is not there
    limited.post("/otp", {"type": "create", "phoneNumber": PHONE})  # over the per-address budget
    _, fam = scrape(limited)  # /metrics itself is never limited
    eq(value(fam, "guichet_codes_failed", "guichet_codes_failed_total", channel="sms"), 1.0)
    eq(value(fam, "guichet_limit_hits", "guichet_limit_hits_total", limit="requests"), 1.0)
    shutil.rmtree(sms, ignore_errors=True)


def open_version():
    out = subprocess.run([GUICHETD, "--version"], capture_output=True, check=True).stdout.decode()
    return out.split()[-1]


@once
def metrics_answer_only_the_allowed_addresses():
    s = Server("--metrics-allow", "10.0.0.0/8")
    r = s.request("GET", "/metrics")
    eq((r.status, r.json), (403, {"status": "error", "message": "Accès refusé.", "data": None}))
    # behind a trusted proxy, the client is the forwarded address, not the proxy
    s = Server("--trust-proxy", "127.0.0.1")
    eq(s.request("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status, 403)
    eq(s.request("GET", "/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status, 200)
    eq(Server("--metrics-allow", "none").request("GET", "/metrics").status, 403)
    for flags in (["--metrics-allow", "everyone"], ["--log-format", "xml"]):
        p = subprocess.run([GUICHETD, "serve", "--listen", "127.0.0.1:0", "--db", "/nonexistent/x.db", *flags],
                           capture_output=True, timeout=30)
        eq(p.returncode, 2, p.stderr)
        check(flags[0].encode() in p.stderr, p.stderr)


# ---- the request log ----

@once
def the_request_log_is_text_or_json_lines():
    s = Server()
    s.request("GET", "/health")
    s.stop()
    check(re.search(r"^GET /health 200 \d+ms$", s.log_text(), re.M), s.log_text())
    s = Server(env={"GUICHET_LOG_FORMAT": "json"})
    s.request("GET", "/health")
    s.request("GET", f"/api/admin/citizens/{PHONE}")
    s.request("POST", "/nowhere", raw=b'{"password": "x"}')
    s.stop()
    lines = [json.loads(line) for line in s.log_text().splitlines() if line.startswith("{")]
    eq(len(lines), 3, s.log_text())
    check(all(sorted(x) == ["durationMs", "method", "path", "route", "status", "time"] for x in lines), lines)
    # a line is written once its answer is sent, so requests on separate connections may log out of order
    eq(sorted([(x["method"], x["route"] or "", x["status"]) for x in lines]),
       [("GET", "/api/admin/citizens/{}", 401), ("GET", "/health", 200), ("POST", "", 404)])
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lines[0]["time"]), lines[0])
    check(all(isinstance(x["durationMs"], (int, float)) for x in lines), lines)
    check("password" not in s.log_text(), s.log_text())


# ---- systemd ----

@once
def sd_notify_says_ready_once_listening_and_stopping_on_sigterm():
    tmp = tempfile.mkdtemp(prefix="guichet-notify-")
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    try:
        s = Server(env={"NOTIFY_SOCKET": path})
        ready = sock.recv(4096).decode()
        check("READY=1" in ready.splitlines(), ready)
        check(f"STATUS=listening on {s.url}" in ready.splitlines(), ready)
        eq(s.stop(signal.SIGTERM), 0)
        stopping = sock.recv(4096).decode()
        check("STOPPING=1" in stopping.splitlines(), stopping)
    finally:
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)


@once
def the_service_unit_verifies_and_its_exposure_is_at_most_2():
    tmp = tempfile.mkdtemp(prefix="guichet-unit-")
    try:
        with open(os.path.join(ASSETS, "guichetd.service"), encoding="utf-8") as f:
            unit = f.read()
        for key in ("Type=notify", "DynamicUser=yes", "StateDirectory=guichet", "ProtectSystem=strict",
                    "EnvironmentFile=-/etc/default/guichetd"):
            check(re.search(rf"^{re.escape(key)}$", unit, re.M), key)
        # verify runs ExecStart's binary and `man guichetd(8)`: point both at this tree
        os.makedirs(os.path.join(tmp, "man", "man8"))
        shutil.copy(os.path.join(ASSETS, "man", "guichetd.8"), os.path.join(tmp, "man", "man8"))
        with open(os.path.join(tmp, "guichetd.service"), "w", encoding="utf-8") as f:
            f.write(unit.replace("/usr/bin/guichetd", os.path.abspath(GUICHETD)))
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(tmp, "guichetd.service")],
                           capture_output=True, env=dict(os.environ, MANPATH=os.path.join(tmp, "man")))
        eq((p.returncode, p.stderr.decode()), (0, ""))
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", os.path.join(ASSETS, "guichetd.service")],
                           capture_output=True)
        m = re.search(r"Overall exposure level for guichetd\.service: (\d+\.\d)", p.stdout.decode())
        check(m and float(m.group(1)) <= 2.0, p.stdout.decode()[-300:])
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            check(f"exposure {m.group(1)}" in f.read(), f"README does not give the exposure {m.group(1)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- man pages ----

@once
def the_man_pages_are_lint_clean_and_render():
    pages = sorted(glob.glob(os.path.join(ASSETS, "man", "*.[158]")))
    eq([os.path.basename(p) for p in pages], ["guichet-config.5", "guichet.1", "guichetd.8"])
    p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", *pages], capture_output=True)
    eq((p.returncode, p.stdout.decode() + p.stderr.decode()), (0, ""))
    for page in pages:
        p = subprocess.run(["groff", "-ww", "-z", "-mandoc", page], capture_output=True)
        eq((p.returncode, p.stderr.decode()), (0, ""), page)
        p = subprocess.run(["man", "-l", page], capture_output=True, env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
        eq(p.returncode, 0, page)
        check(b"NAME" in p.stdout and b"SEE ALSO" in p.stdout, page)
    with open(os.path.join(ASSETS, "man", "guichetd.8"), encoding="utf-8") as f:
        page = f.read()
    flags = re.findall(r"^  --([a-z-]+)", subprocess.run([GUICHETD, "serve", "--help"], capture_output=True)
                       .stdout.decode(), re.M)
    check(len(flags) > 20, flags)
    for flag in flags:
        check("Fl \\-" + flag.replace("-", "\\-") in page, f"guichetd(8) lacks --{flag}")


# ---- shell completion ----

def complete(script, function, *words):
    """COMPREPLY of a bash completion function for the words typed (the last one being completed)."""
    cmd = (f'source {script}; COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); '
           f'{function}; printf "%s\\n" "${{COMPREPLY[@]}}"')
    p = subprocess.run(["bash", "--norc", "-c", cmd, "bash", *words], capture_output=True, check=True)
    return [w for w in p.stdout.decode().splitlines() if w]


@once
def bash_completion_offers_commands_options_and_token_stores():
    console = os.path.join(ASSETS, "completion", "guichet.bash")
    backend = os.path.join(ASSETS, "completion", "guichetd.bash")
    eq(complete(console, "_guichet", "guichet", "--token-store", ""), ["keyring", "file", "none"])
    eq(complete(console, "_guichet", "guichet", "--token-store", "=", "f"), ["file"])
    eq(complete(console, "_guichet", "guichet", "pass"), ["password"])
    eq(complete(console, "_guichet", "guichet", "password", "c"), ["change-init", "change"])
    eq(complete(console, "_guichet", "guichet", "--server", "http", ":", "//h:1", "otp", "v"), ["verify"])
    eq(complete(console, "_guichet", "guichet", "--json", "--he"), ["--headless", "--help"])
    eq(complete(console, "_guichet", "guichet", "otp", "create", ""), [])
    eq(complete(backend, "_guichetd", "guichetd", "a"), ["admin", "apikey", "audit"])
    eq(complete(backend, "_guichetd", "guichetd", "serve", "--log-format", ""), ["text", "json"])
    eq(complete(backend, "_guichetd", "guichetd", "serve", "--listen", "127.0.0.1", ":", "0", "--otp-ca"),
       ["--otp-callers"])
    eq(complete(backend, "_guichetd", "guichetd", "apikey", ""), ["add", "list", "revoke"])
    eq(complete(backend, "_guichetd", "guichetd", "admin", "delete", "--"), ["--email", "--db", "--help"])

    # everything the programs list is offered
    usage = subprocess.run([GUICHET, "--help"], capture_output=True).stdout.decode()
    commands = set(re.findall(r"^  ([a-z]+)(?: |$)", usage.split("Options:")[0], re.M))
    check(len(commands) >= 8, usage)
    eq(sorted(commands - set(complete(console, "_guichet", "guichet", ""))), [], "guichet commands not completed")
    options = set(re.findall(r"^  (--[a-z-]+)", usage, re.M))
    eq(sorted(options - set(complete(console, "_guichet", "guichet", "--"))), [], "guichet options not completed")
    usage = subprocess.run([GUICHETD, "--help"], capture_output=True).stdout.decode()
    commands = set(re.findall(r"^  ([a-z]+) ", usage, re.M))
    eq(sorted(commands - set(complete(backend, "_guichetd", "guichetd", ""))), [], "guichetd commands not completed")
    usage = subprocess.run([GUICHETD, "serve", "--help"], capture_output=True).stdout.decode()
    flags = {"--" + f for f in re.findall(r"^  --([a-z-]+)", usage, re.M)}
    eq(sorted(flags - set(complete(backend, "_guichetd", "guichetd", "serve", "--"))), [], "serve flags not completed")


@once
def zsh_completion_parses_and_registers_both_programs():
    comp = os.path.join(ASSETS, "completion")
    for name in ("_guichet", "_guichetd"):
        p = subprocess.run(["zsh", "-n", os.path.join(comp, name)], capture_output=True)
        eq((p.returncode, p.stderr.decode()), (0, ""), name)
    home = tempfile.mkdtemp(prefix="guichet-zsh-")
    try:
        p = subprocess.run(["zsh", "-f", "-c", f"fpath=({comp} $fpath); autoload -U compinit; compinit -u -d {home}/dump;"
                            " print $_comps[guichet] $_comps[guichetd]"], capture_output=True, timeout=60)
        eq(p.stdout.decode().split(), ["_guichet", "_guichetd"], p.stderr)
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ---- the Makefile ----

def make(*args, env=None):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, timeout=600,
                          env=dict(os.environ, **(env or {})))


@once
def a_build_without_the_libraries_says_run_make_deps_in_one_line():
    p = make("SERVER_PKGS=libguichet-nowhere")
    check(p.returncode != 0, p)
    lines = p.stderr.decode().strip().splitlines()
    eq(len(lines), 1, p.stderr)
    check(re.search(r"guichet: missing libguichet-nowhere; run: make deps", lines[0]), lines)


@once
def werror_is_for_developers_and_user_flags_are_honoured():
    obj = "build/flags-probe/obj/net/server/clock.o"
    user = make("-n", "-B", "BUILD=build/flags-probe", "CPPFLAGS=-DPROBE_CPP", "LDFLAGS=-Wl,-z,now", obj,
                "build/flags-probe/guichetd").stdout.decode()
    dev = make("-n", "-B", "BUILD=build/flags-probe", "DEVELOPER=1", obj).stdout.decode()
    compile_line = [x for x in user.splitlines() if " -c net/server/clock.c" in x]
    check(compile_line and "-Werror" not in compile_line[0] and "-DPROBE_CPP" in compile_line[0], user[-2000:])
    check(any("-Wl,-z,now" in x and "-o build/flags-probe/guichetd" in x for x in user.splitlines()), user[-2000:])
    check(any("-Werror" in x and " -c net/server/clock.c" in x for x in dev.splitlines()), dev[-2000:])
    shutil.rmtree(os.path.join(ROOT, "build", "flags-probe"), ignore_errors=True)


@once
def install_puts_everything_in_place_and_uninstall_takes_it_away():
    dest = tempfile.mkdtemp(prefix="guichet-install-")
    try:
        build = os.path.relpath(os.path.dirname(GUICHETD), ROOT)
        # the programs the suite runs are taken as they are: never relinked under its feet
        flags = [f"DESTDIR={dest}", "PREFIX=/usr", "DEVELOPER=1", f"SANITIZE={os.environ.get('SANITIZE', '')}",
                 "-o", os.path.join(build, "guichet"), "-o", os.path.join(build, "guichetd")]
        p = make("install", *flags)
        eq(p.returncode, 0, p.stderr.decode())
        installed = {os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest) for f in fs}
        eq(sorted(set([
            "usr/bin/guichet", "usr/bin/guichetd", "usr/share/man/man1/guichet.1",
            "usr/share/man/man5/guichet-config.5", "usr/share/man/man8/guichetd.8",
            "usr/share/bash-completion/completions/guichet", "usr/share/bash-completion/completions/guichetd",
            "usr/share/zsh/site-functions/_guichet", "usr/share/zsh/site-functions/_guichetd",
            "usr/lib/systemd/system/guichetd.service"]) - installed), [], "not installed")
        with open(os.path.join(dest, "usr/lib/systemd/system/guichetd.service"), encoding="utf-8") as f:
            check("ExecStart=/usr/bin/guichetd serve" in f.read(), "ExecStart")
        p = make("uninstall", *flags)
        eq(p.returncode, 0, p.stderr.decode())
        eq([f for _, _, fs in os.walk(dest) for f in fs], [])
    finally:
        shutil.rmtree(dest, ignore_errors=True)


# ---- backup ----

@test
def backup_under_load_is_whole_and_never_overwrites():
    s = Server()
    phones = [f"0677{i:06d}" for i in range(40)]
    for phone in phones:
        s.add_citizen(phone)
    acknowledged, stop = [], threading.Event()

    def load():
        i = 0
        while not stop.is_set():
            if s.post("/otp", {"type": "create", "phoneNumber": phones[i % len(phones)]}).status == 201:
                acknowledged.append(phones[i % len(phones)])
            i += 1

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(0.5)
    before = len(acknowledged)
    dest = os.path.join(s.tmp, "copy.backup")
    p = s.cli("backup", dest)
    stop.set()
    for w in workers:
        w.join()
    eq(p.returncode, 0, p.stderr)
    check(before > 0, "the load was running")
    if ON_PG:
        listing = subprocess.run(["pg_restore", "--list", dest], capture_output=True, check=True).stdout.decode()
        check(re.search(r"TABLE DATA public users", listing), listing)
    else:
        import sqlite3
        copy = sqlite3.connect(dest)
        eq(copy.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        eq(copy.execute("SELECT count(*) FROM users").fetchone()[0], len(phones))
        copy.close()
    check(s.db not in p.stdout.decode() + p.stderr.decode() or not ON_PG, "the URL is not echoed")
    again = s.cli("backup", dest)
    eq(again.returncode, 1, again.stderr)
    check(b"cannot create" in again.stderr, again.stderr)


main()
