# bash completion for passctl: commands and their options (read from passctl's own --help, so
# they never go stale), device addresses and domain names (asked from the running passd; none,
# silently, when it cannot be reached). Needs nothing from the bash-completion package.

# Commands, global options and each command's options, from --help, once per shell.
declare -gA _passctl_help_cache

_passctl_help() { # passctl [COMMAND [SUBCOMMAND]]: the option and command lines of its --help
  local key=${*:2}
  key=${key:-.}
  if [[ -z ${_passctl_help_cache[$key]+set} ]]; then
    # COMMAND may be two words ("pool define"), or COMMAND SUBCOMMAND ("sriov set")
    # shellcheck disable=SC2086
    _passctl_help_cache[$key]=$("$1" ${2:+$2} "${@:3}" --help 2>/dev/null)
  fi
  printf '%s\n' "${_passctl_help_cache[$key]}"
}

# "--vendor=" for an option taking a value, "--json" for a flag.
_passctl_options() { # passctl [COMMAND [SUBCOMMAND]]
  _passctl_help "$@" | sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\)\(=\)\{0,1\}.*/\2\3/p'
}

_passctl_commands() { # passctl
  _passctl_help "$1" | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

# passctl list --json of passd at the socket the command line names; empty on any failure.
_passctl_list() { # passctl socket-args... -- list-args...
  local passctl=$1 args=()
  shift
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  shift
  timeout 5 "$passctl" "${args[@]}" list --json "$@" </dev/null 2>/dev/null
}

_passctl_addresses() {
  _passctl_list "$@" | sed -n 's/^ *"address" : "\([^"]*\)",\{0,1\}$/\1/p'
}

# Domains holding a device.
_passctl_owners() {
  _passctl_list "$@" | awk '
    /"owners" : \[$/ { inside = 1; next }
    inside && /\]/   { inside = 0; next }
    inside           { sub(/^ *"/, ""); sub(/",?$/, ""); print }' | sort -u
}

# Pool names, from passd.
_passctl_pools() { # passctl socket-args... --
  local passctl=$1 args=()
  shift
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  timeout 5 "$passctl" "${args[@]}" pools --json </dev/null 2>/dev/null |
    sed -n 's/^ *"name" : "\([^"]*\)",\{0,1\}$/\1/p'
}

# The values of an option that takes one of a few words; nothing for the others.
_passctl_values() { # passctl socket-args... -- OPTION
  local option=${!#}
  case $option in
    --numa) [[ ${_passctl_numa_words-} ]] && printf '%s\n' required preferred ignore ;;
    --policy) printf '%s\n' spread pack ;;
    # pool define --kind: what the pool writes; list --kind: what the device is
    --kind) if [[ ${_passctl_list_kind-} ]]; then printf '%s\n' pci usb mdev; else printf '%s\n' pci net; fi ;;
    --pool) _passctl_pools "${@:1:$#-1}" ;;
  esac
}

# Every domain: the owners, and, when virsh is there, what libvirt (at passd's URI) defines.
_passctl_domains() { # passctl socket-args... --
  local passctl=$1 args=() uri
  _passctl_owners "$@"
  shift
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  type -P virsh >/dev/null || return 0
  uri=$(timeout 5 "$passctl" "${args[@]}" status --json </dev/null 2>/dev/null |
    sed -n 's/^ *"uri" : "\([^"]*\)",\{0,1\}$/\1/p')
  [[ -n $uri ]] && timeout 5 virsh -q -c "$uri" list --all --name </dev/null 2>/dev/null
}

_passctl() {
  local passctl words=() cur i command='' value_of='' positionals=()
  local sockargs=() candidates=() line

  # Words from the line itself: bash splits COMP_WORDS at ':' and '=' too, which would cut a
  # PCI address (0000:02:00.1) or --owner=vm1 apart.
  if [[ -n ${COMP_LINE-} ]]; then
    line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}
    read -ra words <<<"$line"
    [[ $line =~ [[:space:]]$ || ${#words[@]} -eq 0 ]] && words+=("")
  else
    words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
  fi
  cur=${words[${#words[@]}-1]}
  passctl=${words[0]:-passctl}

  # Global options, the command, then its arguments; note what the word before cur expects.
  local takes_value=" --socket "
  for ((i = 1; i < ${#words[@]} - 1; i++)); do
    local w=${words[i]}
    if [[ -n $value_of ]]; then
      [[ $value_of == --socket ]] && sockargs=(--socket "$w")
      value_of=
      continue
    fi
    case $w in
      --socket=*) [[ -z $command ]] && sockargs=(--socket "${w#--socket=}") ;;
      --*=*) ;;
      -*)
        [[ $takes_value == *" $w "* ]] && value_of=$w ;;
      *)
        if [[ -z $command ]]; then
          command=$w
          takes_value=" $(_passctl_options "$passctl" "$command" | sed -n 's/=$//p' | tr '\n' ' ') "
        elif [[ $command == pool && ${#positionals[@]} -eq 0 && $w == define ]]; then
          positionals+=("$w")
          command="pool define"
          takes_value=" $(_passctl_options "$passctl" "$command" | sed -n 's/=$//p' | tr '\n' ' ') "
        else
          positionals+=("$w")
        fi ;;
    esac
  done

  if [[ -n $value_of ]]; then
    case $value_of in
      --socket) compopt -o default 2>/dev/null; COMPREPLY=(); return 0 ;;
      --owner) mapfile -t candidates < <(_passctl_owners "$passctl" "${sockargs[@]}" --) ;;
      --numa | --policy | --kind | --pool)
        # attach --numa takes a mode, pool define --numa a node number
        [[ $command == attach ]] && local _passctl_numa_words=1
        [[ $command == list ]] && local _passctl_list_kind=1
        mapfile -t candidates < <(_passctl_values "$passctl" "${sockargs[@]}" -- "$value_of") ;;
      *) COMPREPLY=(); return 0 ;;
    esac
  elif [[ $cur == --socket=* && -z $command ]]; then
    compopt -o default 2>/dev/null
    COMPREPLY=()
    return 0
  elif [[ $cur == --owner=* ]]; then
    mapfile -t candidates < <(_passctl_owners "$passctl" "${sockargs[@]}" -- |
      sed 's/^/--owner=/')
  elif [[ $cur =~ ^--(numa|policy|kind|pool)= ]]; then
    [[ $command == attach ]] && local _passctl_numa_words=1
    [[ $command == list ]] && local _passctl_list_kind=1
    mapfile -t candidates < <(_passctl_values "$passctl" "${sockargs[@]}" -- "${cur%%=*}" |
      sed "s/^/${cur%%=*}=/")
  elif [[ $cur == -* && $command == sriov ]]; then
    # sriov's options are its subcommand's
    [[ ${positionals[0]-} == set || ${positionals[0]-} == show ]] &&
      mapfile -t candidates < <(_passctl_options "$passctl" sriov "${positionals[0]}")
  elif [[ $cur == -* && $command == mdev ]]; then
    # and so are mdev's
    [[ ${positionals[0]-} =~ ^(types|create|remove)$ ]] &&
      mapfile -t candidates < <(_passctl_options "$passctl" mdev "${positionals[0]}")
  elif [[ $cur == -* ]]; then
    mapfile -t candidates < <(_passctl_options "$passctl" ${command:+"$command"})
  elif [[ -z $command ]]; then
    mapfile -t candidates < <(_passctl_commands "$passctl")
  else
    case $command:${#positionals[@]} in
      show:0 | reattach:0 | check:0 | attach:1)
        mapfile -t candidates < <(_passctl_addresses "$passctl" "${sockargs[@]}" --) ;;
      detach:1)
        # only what that domain holds
        mapfile -t candidates < <(_passctl_addresses "$passctl" "${sockargs[@]}" -- \
          --owner "${positionals[0]}") ;;
      detach:0)
        mapfile -t candidates < <(_passctl_owners "$passctl" "${sockargs[@]}" --) ;;
      attach:0 | vm:0)
        mapfile -t candidates < <(_passctl_domains "$passctl" "${sockargs[@]}" -- | sort -u) ;;
      help:0)
        mapfile -t candidates < <(_passctl_commands "$passctl") ;;
      pool:0)
        candidates=(define undefine) ;;
      pool:1)
        [[ ${positionals[0]} == undefine ]] &&
          mapfile -t candidates < <(_passctl_pools "$passctl" "${sockargs[@]}" --) ;;
      sriov:0)
        candidates=(show set) ;;
      mdev:0)
        candidates=(types create remove) ;;
      mdev:1)
        # the mediated devices there are
        [[ ${positionals[0]} == remove ]] &&
          mapfile -t candidates < <(_passctl_addresses "$passctl" "${sockargs[@]}" -- \
            --kind mdev) ;;
      sriov:1)
        # the SR-IOV physical functions
        [[ ${positionals[0]} == set || ${positionals[0]} == show ]] &&
          mapfile -t candidates < <(_passctl_addresses "$passctl" "${sockargs[@]}" -- \
            --pfs) ;;
    esac
  fi

  COMPREPLY=()
  local c prefix=''
  # bash replaces only the part of cur after its last word-break character.
  if [[ $cur =~ ^(.*[:=]) ]]; then
    prefix=${BASH_REMATCH[1]}
    [[ $COMP_WORDBREAKS == *"${prefix: -1}"* ]] || prefix=
  fi
  for c in "${candidates[@]}"; do
    [[ -n $c && $c == "$cur"* ]] && COMPREPLY+=("${c#"$prefix"}")
  done
  [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
  return 0
}

complete -F _passctl passctl
