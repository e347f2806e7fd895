#!/usr/bin/env bash
# make demo: a throw-away guichetd with a demo admin and the seed's citizens,
# admin mail and citizen SMS written to outbox folders, then the console on it;
# quitting the console stops the backend.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD:-build}
dir=$(mktemp -d -t guichet-demo.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
	echo "Backend arrêté, données de démonstration effacées."
}
trap cleanup EXIT
db="$dir/guichet.db"
"$bin/guichetd" citizen import assets/demo-citizens.csv --db "$db" >/dev/null
matricule=$("$bin/guichetd" admin add --db "$db" --email demo@guichet.local --nom Demo --prenom Admin \
	--telephone 677342134 --pays Cameroun --ville Yaoundé)
"$bin/guichetd" serve --listen 127.0.0.1:0 --db "$db" --mail "outbox:$dir/outbox" --sms "outbox:$dir/sms" \
	>"$dir/listen" 2>"$dir/guichetd.log" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/listen" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$dir/listen")
[ -n "$url" ] || { echo "guichetd did not start:"; cat "$dir/guichetd.log"; exit 1; }
cat <<INFO

  guichet — démonstration
  Serveur      : $url   (journal : $dir/guichetd.log)
  Admin démo   : matricule $matricule
                 e-mail    demo@guichet.local
  Citoyens     : 0123456789, 9876543210
  Courrier     : les codes arrivent dans $dir/outbox (un fichier .eml par message)
                 dernier code : grep -h '^[0-9]' \$(ls -t $dir/outbox/*.eml | head -1)
  SMS          : les codes citoyens arrivent dans $dir/sms (un fichier par SMS)
                 dernier code : grep -hxE '[0-9]+' \$(ls -t $dir/sms/* | head -1)

  La console s'ouvre sur ces informations ; F2 y ouvre l'inscription, matricule et e-mail
  déjà remplis : saisissez le code reçu et choisissez un mot de passe, puis connectez-vous.
  F1 ou ^G : aide · Ctrl-Q : quitter (le backend s'arrête avec la console).

INFO
if [ -t 0 ] && [ -t 1 ]; then
	read -r -t 15 -p "Entrée pour ouvrir la console (elle s'ouvre d'elle-même dans 15 s)… " _ || echo
	# the console's first screen: the whole matricule and the folders (one key=value a line)
	GUICHET_DEMO="matricule=$matricule
email=demo@guichet.local
citizens=0123456789, 9876543210
mail=$dir/outbox
sms=$dir/sms" \
		"$bin/guichet" --server "$url" --token-store none || true
else
	echo "(pas de terminal : console non ouverte)"
fi
