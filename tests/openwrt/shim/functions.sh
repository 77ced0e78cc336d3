# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for OpenWrt's /lib/functions.sh: the UCI calls an init script makes
# (config_load, config_get, config_get_bool, config_list_foreach, config_foreach), reading
# $EMBARGO_ROOT/etc/config/PACKAGE directly instead of asking the uci binary. Values are kept
# in CONFIG_<section>_<option> variables, lists in _ITEM<n> and _LENGTH, as OpenWrt does.

CONFIG_SECTIONS=""

_shim_section() { # name type
	CONFIG_SECTIONS="$CONFIG_SECTIONS $1"
	eval "CONFIG_${1}_TYPE=\$2"
	_shim_current=$1
}

_shim_option() { # key value
	eval "CONFIG_${_shim_current}_${1}=\$2"
}

_shim_list() { # key value
	local n
	eval "n=\${CONFIG_${_shim_current}_${1}_LENGTH:-0}"
	n=$((n + 1))
	eval "CONFIG_${_shim_current}_${1}_ITEM${n}=\$2"
	eval "CONFIG_${_shim_current}_${1}_LENGTH=$n"
}

# The UCI file as calls of the three functions above: sections, options, list items; values
# in single or double quotes or bare; anonymous sections named cfg1, cfg2, ...
config_load() {
	local file="$EMBARGO_ROOT/etc/config/$1" code
	CONFIG_SECTIONS=""
	[ -r "$file" ] || return 1
	code=$(awk -v q="'" '
		function sq(s) { gsub(q, q "\\" q q, s); return q s q }
		function unquote(s) {
			sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s)
			if (s ~ /^'"'"'.*'"'"'$/ || s ~ /^".*"$/)
				s = substr(s, 2, length(s) - 2)
			return s
		}
		function rest(line, n,    i) {
			for (i = 0; i < n; i++)
				sub(/^[ \t]*[^ \t]+/, "", line)
			return unquote(line)
		}
		/^[ \t]*(#|$)/ { next }
		$1 == "config" {
			name = NF >= 3 ? rest($0, 2) : ""
			if (name == "")
				name = "cfg" (++anon)
			print "_shim_section " sq(name) " " sq(unquote($2))
			next
		}
		$1 == "option" { print "_shim_option " sq($2) " " sq(rest($0, 2)); next }
		$1 == "list" { print "_shim_list " sq($2) " " sq(rest($0, 2)); next }
		{ print "echo " sq("config_load: cannot read: " $0) " >&2; return 1" }
	' "$file") || return 1
	eval "$code"
}

config_get() { # VAR SECTION OPTION [DEFAULT] | SECTION OPTION
	if [ $# -lt 3 ]; then
		eval "printf '%s\n' \"\${CONFIG_${1}_${2}:-}\""
		return
	fi
	eval "$1=\${CONFIG_${2}_${3}:-\${4:-}}"
}

config_get_bool() { # VAR SECTION OPTION [DEFAULT]
	local v
	config_get v "$2" "$3" "${4:-0}"
	case "$v" in
	1 | on | true | yes | enabled) v=1 ;;
	0 | off | false | no | disabled) v=0 ;;
	*) v=${4:-0} ;;
	esac
	eval "$1=\$v"
}

config_list_foreach() { # SECTION OPTION FUNCTION [ARGS...]
	local section="$1" option="$2" fn="$3" n i=1 item
	shift 3
	eval "n=\${CONFIG_${section}_${option}_LENGTH:-0}"
	while [ "$i" -le "$n" ]; do
		eval "item=\${CONFIG_${section}_${option}_ITEM${i}}"
		"$fn" "$item" "$@"
		i=$((i + 1))
	done
}

config_foreach() { # FUNCTION [TYPE [ARGS...]]
	local fn="$1" type="${2:-}" s t
	shift
	[ $# -gt 0 ] && shift
	for s in $CONFIG_SECTIONS; do
		eval "t=\${CONFIG_${s}_TYPE}"
		if [ -z "$type" ] || [ "$t" = "$type" ]; then
			"$fn" "$s" "$@"
		fi
	done
}
