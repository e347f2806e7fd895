# bash completion for guichetd, the backend of guichet: guichetd(8).
# Installed as .../bash-completion/completions/guichetd; works without the
# bash-completion package too (source this file).

_guichetd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local serve_options="--listen --db --mail --mail-from --otp-digits --citizen-otp-ttl --admin-otp-ttl
		--otp-cooldown --token-ttl --password-min-length --login-max-failures --rate-limit
		--otp-guess-budget --code-only-guesses --trust-proxy --max-conns-per-addr --request-timeout
		--audit-days --mail-timeout --otp-callers --sms --sms-header --sms-timeout --otp-in-response
		--tls-cert --tls-key --metrics-allow --log-format --help"
	if [[ $cur == = ]]; then
		cur=""
	elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	COMPREPLY=()
	local values=""
	case $prev in
	--otp-callers) values="any key" ;;
	--otp-in-response) values="yes no" ;;
	--log-format) values="text json" ;;
	--type) values="AGENT" ;;
	--metrics-allow) values="127.0.0.0/8,::1 none" ;;
	--sms | --mail)
		# a prefix to go on typing after: no space
		compopt -o nospace 2>/dev/null
		[[ $prev == --sms ]] && values="none outbox: http:// https://" || values="outbox: smtp:// smtps://"
		;;
	--db | --tls-cert | --tls-key)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--help | --version | -h) ;;
	--*)
		# every other option takes a value of the user's own
		return
		;;
	esac
	if [[ -n $values ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
		return
	fi
	# the command and its subcommand
	local i word command="" sub=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		--help | --version | -h) ;;
		--*)
			[[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
			((i++))
			;;
		=) ;;
		:)
			# the rest of a URL or HOST:PORT, which bash splits at ':'
			((i++))
			;;
		*)
			if [[ -z $command ]]; then
				command=$word
			elif [[ -z $sub ]]; then
				sub=$word
			fi
			;;
		esac
	done
	local words=""
	case $command in
	"") words="serve admin citizen user apikey audit backup routes --help --version" ;;
	serve) words=$serve_options ;;
	admin)
		case $sub in
		"") words="add list delete" ;;
		add) words="--email --nom --prenom --telephone --pays --ville --db --help" ;;
		delete) words="--email --db --help" ;;
		list) words="--db --help" ;;
		esac
		;;
	citizen)
		case $sub in
		"") words="add import" ;;
		add) words="--phone --nom --prenom --db --help" ;;
		import)
			words="--db --help"
			if [[ $cur != -* ]]; then
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
				return
			fi
			;;
		esac
		;;
	user)
		case $sub in
		"") words="add" ;;
		add) words="--phone --type --nom --prenom --db --help" ;;
		esac
		;;
	apikey)
		case $sub in
		"") words="add list revoke" ;;
		add | revoke) words="--name --db --help" ;;
		list) words="--db --help" ;;
		esac
		;;
	audit) words="--since --admin --db --help" ;;
	backup)
		words="--db --help"
		if [[ $cur != -* ]]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return
		fi
		;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}

complete -F _guichetd guichetd
