# SPDX-License-Identifier: ISC
# eventful.bash - bash completion for evpub, evsub, evlog, evproject and
# evtour.  Installed once per program name (bash-completion loads the file
# named for the command), it completes options, evlog's subcommands, topic
# names after -T, consumer names after --consumer, and the fixed values of
# --color, --sync and --emit.
#
# The options come from each program's own --help, read once a shell: what
# the help lists is what completes, so the two never drift apart.

# Where topics live, as the programs find it (topic_home in src/topic.c).
_eventful_home()
{
	if [[ -n ${EVENTFUL_HOME-} ]]; then
		printf '%s\n' "$EVENTFUL_HOME"
	elif [[ ${XDG_STATE_HOME-} == /* ]]; then
		printf '%s\n' "$XDG_STATE_HOME/eventful"
	else
		printf '%s\n' "${HOME-}/.local/state/eventful"
	fi
}

# The topics there: the folders of topics/, one name a line.
_eventful_topics()
{
	local home d
	home=$(_eventful_home)
	for d in "$home"/topics/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		printf '%s\n' "${d##*/}"
	done
}

# The consumers of topic $1, or of every topic when $1 is empty.
_eventful_consumers()
{
	local home f
	home=$(_eventful_home)
	for f in "$home"/topics/${1:-*}/consumers/*; do
		[[ -f $f ]] || continue
		printf '%s\n' "${f##*/}"
	done | sort -u
}

# Reads prog's --help into _eventful_opts_PROG (every option) and
# _eventful_args_PROG (those that take a value), once.
_eventful_help()
{
	local prog=$1 var=${1//[^a-zA-Z0-9]/_} line re opts='' args='' o
	[[ -n ${_eventful_seen[$var]-} ]] && return
	# An option line: "  -T, --topic NAME   ..." or "      --raw   ...";
	# an option named in the text of a line runs on, indented further.
	re='^ {1,8}(-[a-zA-Z], )?(--[a-z][a-z-]*)( [^ ,]+)?'
	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		o=${BASH_REMATCH[2]}
		opts+=" $o"
		[[ -n ${BASH_REMATCH[1]} ]] && opts+=" ${BASH_REMATCH[1]%, }"
		if [[ -n ${BASH_REMATCH[3]} ]]; then
			args+=" $o"
			[[ -n ${BASH_REMATCH[1]} ]] &&
			    args+=" ${BASH_REMATCH[1]%, }"
		fi
		# "-h, --help, --version": the last one on the line.
		[[ $line =~ ^\ +-h,\ --help,\ (--version) ]] &&
		    opts+=" ${BASH_REMATCH[1]}"
	done < <("$prog" --help 2>/dev/null)
	_eventful_seen[$var]=1
	printf -v "_eventful_opts_$var" '%s' "$opts"
	printf -v "_eventful_args_$var" '%s' "$args"
}

# evlog's subcommands, from the synopsis of its --help.
_eventful_subcommands()
{
	"$1" --help 2>/dev/null |
	    sed -nE 's/^(usage:)? +evlog ([a-z]+) .*/\2/p' | sort -u
}

# The options evlog's subcommand $2 takes: those of its synopsis in --help,
# which is the man page's, so that what completes is what it accepts.
_eventful_subopts()
{
	"$1" --help 2>/dev/null | awk -v cmd="$2" '
	    /^$/ { exit }
	    /^(usage:)? +evlog [a-z]+ / { on = $0 ~ ("evlog " cmd " ") }
	    on { for (i = 1; i <= NF; i++) { w = $i; gsub(/[][|]/, "", w)
		if (w ~ /^--?[a-zA-Z][a-z-]*$/) print w } }' | sort -u
	printf '%s\n' --help
}

# _eventful_offer WORD: sets COMPREPLY to the lines of stdin that begin with
# WORD (the word being completed, as typed), each quoted for the command line.
# The names are data: a topic or consumer is any folder or file name, and
# someone sharing the home may have named one '$(cmd)'.  So they are matched
# here with a plain prefix test and quoted with printf %q, never handed to
# compgen -W, which would expand them again and run the command.
_eventful_offer()
{
	local word=$1 cur='' quote='' at=0 c w q i j
	# The word as typed, its quotes and backslashes taken off without
	# expanding anything.  An open quote is remembered, and where it
	# opened: readline replaces what follows it.
	for ((i = 0; i < ${#word}; i++)); do
		c=${word:i:1}
		if [[ $quote == "'" ]]; then
			if [[ $c == "'" ]]; then quote=; else cur+=$c; fi
		elif [[ $quote == '"' ]]; then
			if [[ $c == '"' ]]; then
				quote=
			elif [[ $c == \\ && ${word:i+1:1} == [\\\"\$\`] ]]; then
				cur+=${word:i+1:1}
				((i++))
			else
				cur+=$c
			fi
		elif [[ $c == \\ ]]; then
			cur+=${word:i+1:1}
			((i++))
		elif [[ $c == [\'\"] ]]; then
			quote=$c
			at=${#cur}
		else
			cur+=$c
		fi
	done
	COMPREPLY=()
	while IFS= read -r w; do
		[[ -n $w && $w == "$cur"* ]] || continue
		case $quote in
		\')
			w=${w:at}
			w=${w//\'/\'\\\'\'}
			;;
		\")
			q=
			for ((j = at; j < ${#w}; j++)); do
				c=${w:j:1}
				[[ $c == [\\\"\$\`] ]] && q+=\\
				q+=$c
			done
			w=$q
			;;
		*)
			printf -v w '%q' "$w"
			;;
		esac
		COMPREPLY+=("$w")
	done
	return 0
}

_eventful()
{
	local cur prev prog var i topic opts args
	local -a words
	declare -gA _eventful_seen 2>/dev/null || true
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--color=al" comes as "--color" "=" "al" (= breaks words).
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi
	prog=${COMP_WORDS[0]}
	var=${prog##*/}
	var=${var//[^a-zA-Z0-9]/_}

	# After --exec: a command, then its own arguments.
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == --exec ]]; then
			# Names quoted by readline, as bash's own.
			compopt -o filenames 2>/dev/null
			if ((i == COMP_CWORD - 1)); then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			fi
			return 0
		fi
	done

	if [[ ${prog##*/} == evlog ]] && ((COMP_CWORD == 1)) &&
	    [[ $cur != -* ]]; then
		_eventful_offer "$cur" < <(_eventful_subcommands "$prog")
		return 0
	fi
	# An option of evlog's subcommand: only what that one accepts.
	if [[ ${prog##*/} == evlog ]] && ((COMP_CWORD > 1)) &&
	    [[ $cur == -* ]] && _eventful_subcommands "$prog" |
	    grep -qx -- "${COMP_WORDS[1]}"; then
		_eventful_offer "$cur" < <(_eventful_subopts "$prog" \
		    "${COMP_WORDS[1]}")
		return 0
	fi

	case $prev in
	-T | --topic)
		_eventful_offer "$cur" < <(_eventful_topics)
		return 0
		;;
	--consumer)
		# Of the topic named on the line, if one is.
		topic=
		for ((i = 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			-T | --topic) topic=${COMP_WORDS[i + 1]} ;;
			-T?*) topic=${COMP_WORDS[i]#-T} ;;
			esac
		done
		[[ $topic == */* ]] && topic=
		_eventful_offer "$cur" < <(_eventful_consumers "$topic")
		return 0
		;;
	--color)
		_eventful_offer "$cur" < <(printf '%s\n' auto always never)
		return 0
		;;
	--sync)
		_eventful_offer "$cur" < <(printf '%s\n' event batch none)
		return 0
		;;
	--emit)
		_eventful_offer "$cur" < <(printf '%s\n' state changes none)
		return 0
		;;
	--check|--exercise)
		# Only the lessons that have an exercise, as --list says.
		if [[ ${prog##*/} == evtour ]]; then
			_eventful_offer "$cur" < <("$prog" --list 2>/dev/null |
			    sed -nE 's/.*and an exercise \(evtour --check ([a-z]+)\)$/\1/p')
			return 0
		fi
		;;
	esac

	_eventful_help "$prog"
	opts=_eventful_opts_$var
	args=_eventful_args_$var
	# The value of an option that takes one: a file, most often.
	if [[ $prev == -* && " ${!args} " == *" $prev "* ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
	fi
	if [[ $cur == -* ]]; then
		read -ra words <<<"${!opts}"
		_eventful_offer "$cur" < <(printf '%s\n' "${words[@]}")
		return 0
	fi
	case ${prog##*/} in
	evsub)
		# Filters name attributes; a file goes after -i.
		compopt -o nospace 2>/dev/null
		_eventful_offer "$cur" < <(printf '%s\n' type= source= \
		    subject= id= time= datacontenttype= dataschema= data.)
		;;
	evtour)
		_eventful_offer "$cur" < <("$prog" --list 2>/dev/null |
		    sed -nE 's/^([a-z]+) - .*/\1/p')
		;;
	*)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	esac
	return 0
}

complete -F _eventful evpub evsub evlog evproject evtour
