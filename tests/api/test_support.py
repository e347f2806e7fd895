"""The support desk's routes (contract §9.6): meta, a citizen's state and unlock, the audit trail, sessions."""
import re

from harness import Server, check, eq, main, test

PHONE = "0123456789"
PASSWORD = "s3cret-Passw0rd"
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def admin(s, email="admin@example.cm"):
    s.ready_admin(email, PASSWORD)
    return s.post("/api/admin/login", {"email": email, "password": PASSWORD}).data["token"]


def get(s, path, token=None):
    return s.request("GET", path, token=token)


@test
def meta_needs_no_token_and_tells_the_settings():
    s = Server("--otp-digits", "8", "--citizen-otp-ttl", "120", "--otp-callers", "key")
    r = get(s, "/api/admin/meta")
    eq(r.status, 200, r)
    eq(r.json["status"], 200)
    d = r.data
    eq((d["otpDigits"], d["citizenOtpTtl"], d["adminOtpTtl"], d["otpCallers"], d["sms"]), (8, 120, 600, "key", False))
    check(isinstance(d["version"], str) and d["version"], d)


@test
def every_support_route_needs_a_token():
    s = Server()
    for method, path in [("GET", f"/api/admin/citizens/{PHONE}"), ("POST", f"/api/admin/citizens/{PHONE}/unlock"),
                         ("GET", "/api/admin/audit"), ("GET", "/api/admin/sessions"),
                         ("DELETE", "/api/admin/sessions/1")]:
        r = s.request(method, path)
        eq((r.status, r.json), (401, {"status": 401, "message": "Non authentifié."}), f"{method} {path}")
    eq(s.request("PUT", "/api/admin/sessions/1").status, 405)
    eq(s.request("PUT", "/api/admin/sessions/1").header("allow"), "DELETE")


@test
def citizen_state_follows_codes_guesses_and_unlock():
    s = Server(cooldown=60)
    s.add_citizen(PHONE)
    s.cli("citizen", "add", "--phone", "9876543210", "--nom", "Mballa", "--prenom", "Awa", check_rc=0)
    token = admin(s)
    r = get(s, f"/api/admin/citizens/{PHONE}", token)
    eq(r.status, 200, r)
    eq(r.message, "Citoyen trouvé.")
    eq(r.data, {"phoneNumber": PHONE, "nom": None, "prenom": None,
                "otp": {"live": False, "expiresAt": None, "triesLeft": 0},
                "cooldownSeconds": 0, "guessBudgetLeft": 100, "lastSentAt": None, "lastSentBy": None})
    eq(get(s, "/api/admin/citizens/98.76.54.32.10", token).data["nom"], "Mballa")
    code = s.post("/otp", {"type": "create", "phoneNumber": PHONE}).data["otp"]
    for _ in range(2):
        s.post("/otp/verify", {"phoneNumber": PHONE, "otp": "000000" if code != "000000" else "111111"})
    d = get(s, f"/api/admin/citizens/{PHONE}", token).data
    check(d["otp"]["live"] and re.fullmatch(ISO, d["otp"]["expiresAt"]), d)
    eq(d["otp"]["triesLeft"], 3)
    eq(d["guessBudgetLeft"], 98)
    check(50 < d["cooldownSeconds"] <= 60, d)
    check(re.fullmatch(ISO, d["lastSentAt"]), d)
    eq(d["lastSentBy"], "anonyme", "the code was asked without a token")
    s.post(f"/api/admin/citizens/{PHONE}/unlock", token=token)
    s.request("POST", "/otp", {"type": "resend", "phoneNumber": PHONE}, token=token)
    eq(get(s, f"/api/admin/citizens/{PHONE}", token).data["lastSentBy"], "admin@example.cm")
    eq(s.post("/otp", {"type": "resend", "phoneNumber": PHONE}).status, 429)
    r = s.post(f"/api/admin/citizens/{PHONE}/unlock", token=token)
    eq(r.status, 200, r)
    eq(r.message, "Citoyen débloqué.")
    eq((r.data["cooldownSeconds"], r.data["guessBudgetLeft"]), (0, 100))
    eq(s.post("/otp", {"type": "resend", "phoneNumber": PHONE}).status, 200, "the cooldown is really gone")
    for path in ["/api/admin/citizens/0000000000", "/api/admin/citizens/not-a-phone"]:
        r = get(s, path, token)
        eq((r.status, r.message), (404, "Numéro de téléphone introuvable ou non associé à un Citoyen"))
    eq(s.post("/api/admin/citizens/0000000000/unlock", token=token).status, 404)
    rows = s.cli("audit", check_rc=0).stdout.decode().splitlines()
    check(any("\tcitizen.unlock\tok\t" in r and r.endswith(PHONE) and "admin@example.cm" in r for r in rows), rows)


@test
def audit_pages_newest_first_with_filters():
    s = Server()
    s.add_citizen(PHONE)
    s.add_citizen("9876543210")
    token = admin(s)
    for _ in range(3):
        s.post("/api/admin/login", {"email": "nobody@example.cm", "password": "wrong-pass"})
    for _ in range(4):
        s.post("/otp/verify", {"phoneNumber": "98 76 54 32 10", "otp": "123456"})
        s.post("/otp", {"type": "create", "phoneNumber": PHONE})
    before = s.cli("audit", check_rc=0).stdout.decode().count("\n")
    seen, cursor, pages = [], None, 0
    while True:
        path = "/api/admin/audit?limit=5" + (f"&before={cursor}" if cursor else "")
        r = get(s, path, token)
        eq(r.status, 200, r)
        entries = r.data["entries"]
        check(len(entries) <= 5, entries)
        for e in entries:
            eq(sorted(e), ["actor", "at", "detail", "event", "id", "ip", "outcome"])
            check(re.fullmatch(ISO, e["at"]), e)
        seen += [e["id"] for e in entries]
        pages += 1
        cursor = r.data["next"]
        if cursor is None:
            break
        eq(cursor, entries[-1]["id"])
    check(pages >= 3, f"{pages} pages")
    eq(seen, sorted(seen, reverse=True), "newest first")
    eq(len(seen), len(set(seen)))
    eq(len(seen), before - 1, "every entry once (reading is not audited)")
    only = get(s, "/api/admin/audit?admin=NOBODY@example.cm", token).data["entries"]
    eq([(e["actor"], e["event"], e["outcome"]) for e in only], [("nobody@example.cm", "login", "unknown_email")] * 3)
    phone = get(s, "/api/admin/audit?phone=0123456789&limit=200", token).data
    eq([e["event"] for e in phone["entries"]], ["citizen.code"] * 1, "one create; the others were refused before")
    eq(phone["next"], None)
    eq(phone["entries"][0]["actor"], "anonyme")
    eq(phone["entries"][0]["detail"], PHONE)
    other = get(s, "/api/admin/audit?phone=98.76.54.32.10", token).data["entries"]
    eq([(e["event"], e["outcome"], e["detail"]) for e in other], [("citizen.verify", "wrong", "9876543210")] * 4)
    for bad in ["limit=0", "limit=201", "limit=x", "before=-3"]:
        eq(get(s, f"/api/admin/audit?{bad}", token).status, 400, bad)


@test
def sessions_list_and_revoke():
    s = Server()
    token = admin(s)
    other_admin = admin(s, "other@example.cm")
    second = s.post("/api/admin/login", {"email": "admin@example.cm", "password": PASSWORD}).data["token"]
    r = get(s, "/api/admin/sessions", token)
    eq(r.status, 200, r)
    sessions = r.data["sessions"]
    eq(len(sessions), 2)
    for x in sessions:
        eq(sorted(x), ["createdAt", "current", "id", "lastUsedAt"])
    current = [x["id"] for x in sessions if x["current"]]
    eq(current, [int(token.split("|")[0])])
    foreign = int(other_admin.split("|")[0])
    r = s.request("DELETE", f"/api/admin/sessions/{foreign}", token=token)
    eq((r.status, r.message), (404, "Session introuvable."))
    eq(get(s, "/api/admin/me", other_admin).status, 200, "another admin's session stays")
    eq(s.request("DELETE", "/api/admin/sessions/abc", token=token).status, 404)
    r = s.request("DELETE", f"/api/admin/sessions/{second.split('|')[0]}", token=token)
    eq((r.status, r.message), (200, "Session révoquée."))
    eq(get(s, "/api/admin/me", second).status, 401)
    eq(s.request("DELETE", f"/api/admin/sessions/{second.split('|')[0]}", token=token).status, 404, "already revoked")
    eq(len(get(s, "/api/admin/sessions", token).data["sessions"]), 1)
    r = s.request("DELETE", f"/api/admin/sessions/{token.split('|')[0]}", token=token)
    eq(r.status, 200)
    eq(get(s, "/api/admin/sessions", token).status, 401, "revoking the current one logs out")


@test
def refusals_are_in_the_trail_too():
    s = Server()
    token = admin(s)
    eq(s.post("/api/admin/password-reset-while-dissconnected-init", {"email": "nobody@example.cm"}).status, 404)
    eq(s.post("/otp/verify", {"phoneNumber": "0999999999", "otp": "123456"}).status, 400)
    entries = get(s, "/api/admin/audit", token).data["entries"]
    got = [(e["event"], e["outcome"], e["actor"], e["detail"]) for e in entries[:2]]
    eq(got, [("citizen.verify", "unknown_phone", "anonyme", "0999999999"),
             ("password-reset.code", "unknown_email", "nobody@example.cm", None)])


if __name__ == "__main__":
    main()
