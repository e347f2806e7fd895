#!/usr/bin/env bash
# The .deb of `make deb`, unpacked in a temporary root with dpkg -x: both programs run
# from it, every file the package promises is there, and its service unit passes
# systemd-analyze. Prints "ok - NAME" / "not ok - NAME", then "N passed, N failed".
set -u
deb=${1:?usage: tests/package.sh FILE.deb}
version=$(dpkg-deb -f "$deb" Version)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
passed=0
failed=0

check() {
	local name=$1
	shift
	if "$@" >"$root.log" 2>&1; then
		echo "ok - package:$name"
		passed=$((passed + 1))
	else
		echo "not ok - package:$name"
		sed 's/^/#   /' "$root.log"
		failed=$((failed + 1))
	fi
	rm -f "$root.log"
}

prints() { # prints WANT COMMAND...: the command's output is WANT
	local want=$1 got
	shift
	got=$("$@") && [ "$got" = "$want" ] || { echo "got '$got', want '$want'"; return 1; }
}

has_files() {
	local f missing=0
	for f in usr/bin/guichet usr/bin/guichetd \
		usr/share/man/man1/guichet.1.gz usr/share/man/man5/guichet-config.5.gz usr/share/man/man8/guichetd.8.gz \
		usr/share/bash-completion/completions/guichet usr/share/bash-completion/completions/guichetd \
		usr/share/zsh/vendor-completions/_guichet usr/share/zsh/vendor-completions/_guichetd \
		lib/systemd/system/guichetd.service etc/default/guichetd \
		usr/share/doc/guichet/copyright usr/share/doc/guichet/changelog.gz usr/share/doc/guichet/openapi.yaml; do
		[ -e "$root/$f" ] || { echo "missing: /$f"; missing=1; }
	done
	return $missing
}

# The unit as installed, its ExecStart pointed into the temporary root, and its man page found there.
unit_verify() {
	sed "s|/usr/bin/guichetd|$root/usr/bin/guichetd|" "$root/lib/systemd/system/guichetd.service" >"$root/guichetd.service"
	MANPATH="$root/usr/share/man" systemd-analyze verify "$root/guichetd.service"
}

# systemd-analyze's threshold is in tenths: 20 is an exposure of 2.0.
unit_security() {
	systemd-analyze security --offline=true --threshold=20 "$root/lib/systemd/system/guichetd.service" | tail -1
}

# The installed console loads libcurl (on first use: dlopen, net/dynlib.h) and talks to
# the installed guichetd: the server's own French answer comes back.
console_reaches_server() {
	local out url answer
	out=$(mktemp)
	"$root/usr/bin/guichetd" serve --db "$root/p.db" --listen 127.0.0.1:0 --mail "outbox:$root/out" >"$out" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
	url=$(sed -n 's/^listening on //p' "$out")
	answer=$(LC_ALL=C.UTF-8 LANGUAGE= GUICHET_TOKEN_STORE=none "$root/usr/bin/guichet" --server "$url" otp create 0600000000 2>&1)
	kill "$pid"
	wait "$pid" 2>/dev/null
	rm -f "$out"
	[ "$answer" = "guichet: Numéro de téléphone introuvable ou non associé à un Citoyen" ] || { echo "got: $answer"; return 1; }
}

dpkg -x "$deb" "$root"
check unpacks has_files
check guichetd-version prints "guichetd $version" "$root/usr/bin/guichetd" --version
check guichet-version prints "guichet $version" "$root/usr/bin/guichet" --version
check guichetd-routes grep -qx 'GET /metrics' <("$root/usr/bin/guichetd" routes)
check unit-verify unit_verify
check unit-security unit_security
check console-reaches-server console_reaches_server
check conffile grep -qx /etc/default/guichetd <(dpkg-deb -I "$deb" conffiles)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
