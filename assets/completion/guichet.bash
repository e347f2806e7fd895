# bash completion for guichet, the console of guichet: guichet(1).
# Installed as .../bash-completion/completions/guichet; works without the
# bash-completion package too (source this file).

_guichet()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local options="--server --cacert --token-store --timeout --password-stdin --email --json
		--limit --admin --phone --headless --keep-going --tap --finally --version --help"
	local commands="login logout whoami health signup password email otp citizen audit sessions"
	# "--token-store=fi": bash splits the word at '='
	if [[ $cur == = ]]; then
		cur=""
	elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	COMPREPLY=()
	case $prev in
	--token-store)
		mapfile -t COMPREPLY < <(compgen -W "keyring file none" -- "$cur")
		return
		;;
	--cacert)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--server | --timeout | --email | --limit | --admin | --phone)
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
		return
	fi
	# the command and its subcommand, wherever the options stand
	local i word command="" sub=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		--server | --cacert | --token-store | --timeout | --email | --limit | --admin | --phone)
			[[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
			((i++))
			;;
		-* | =) ;;
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
	local subs=""
	case $command in
	"") subs=$commands ;;
	signup) subs="init finish" ;;
	password) subs="forgot reset change-init change" ;;
	email) subs="change-init change" ;;
	otp) subs="create resend verify send" ;;
	citizen) subs="show unlock" ;;
	sessions) subs="list revoke" ;;
	esac
	if [[ -n $subs && ( -z $command || -z $sub ) ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
	fi
}

complete -F _guichet guichet
