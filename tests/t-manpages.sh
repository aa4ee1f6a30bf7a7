#!/bin/sh
# The man pages are clean mdoc and cannot drift from the programs: every
# command of `ufo help` is in ufo(1) and back, every ufod option in
# ufod(8), every API route in ufod(8), every ufo.conf key in ufo.conf(5).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries

MAN=$top_srcdir/man
: "${MANDOC:=}"
[ -n "$MANDOC" ] || MANDOC=$(command -v mandoc 2>/dev/null || true)

for page in ufo.1 ufod.8 ufo.conf.5; do
	check "man/$page exists" test -f "$MAN/$page"
done

if [ -n "$MANDOC" ]; then
	for page in ufo.1 ufod.8 ufo.conf.5; do
		lint=$("$MANDOC" -Tlint -W warning "$MAN/$page" 2>&1)
		is "$lint" "" "mandoc -Tlint -W warning man/$page is silent"
	done
else
	skip "mandoc is not installed" 3
fi

# --- ufo(1) against `ufo help` ----------------------------------------------

# Command words of `ufo help`: per line, after an optional "ufo", the
# lower-case words before the first argument or option.
ok "ufo help" ufo help
help_cmds=$(printf '%s\n' "$out" | awk '
	{ sub(/^[ \t]+/, ""); if ($1 == "ufo") sub(/^ufo[ \t]+/, "") }
	$1 !~ /^[a-z][a-z-]*$/ { next }
	$1 == "usage" || $1 ~ /:$/ { next }
	{
		w = $1
		if ($2 ~ /^[a-z][a-z-]*$/) w = w " " $2
		print w
	}' | sort -u)
isnt "$help_cmds" "" "ufo help lists commands"

# .It Cm WORDS heads of the COMMANDS section.
man_cmds=$(awk '
	/^\.Sh / { in_cmds = ($2 == "COMMANDS") }
	in_cmds && /^\.It Cm / {
		w = $3
		if ($4 ~ /^[a-z][a-z-]*$/) w = w " " $4
		print w
	}' "$MAN/ufo.1" | sort -u)
isnt "$man_cmds" "" "ufo.1 has a COMMANDS list"

missing=
for c in $(printf '%s\n' "$help_cmds" | tr ' ' '+'); do
	c=$(printf '%s' "$c" | tr '+' ' ')
	grep -Eq "Cm $c( |\$)" "$MAN/ufo.1" || missing="$missing [$c]"
done
is "$missing" "" "every command of ufo help is a .Cm in ufo.1"

extra=
for c in $(printf '%s\n' "$man_cmds" | tr ' ' '+'); do
	c=$(printf '%s' "$c" | tr '+' ' ')
	printf '%s\n' "$help_cmds" | grep -qx "$c" || extra="$extra [$c]"
done
is "$extra" "" "every command in ufo.1's COMMANDS is in ufo help"

# Each documented command answers `ufo help CMD`.
bad=
for c in $(printf '%s\n' "$man_cmds" | tr ' ' '+'); do
	# shellcheck disable=SC2046 # one or two words
	"$UFO_BIN" --socket "$SOCK" help $(printf '%s' "$c" | tr '+' ' ') \
	    >/dev/null 2>&1 || bad="$bad [$(printf "%s" "$c" | tr + " ")]"
done
is "$bad" "" "ufo help CMD works for every documented command"

for e in UFO_SERVER UFO_SOCKET UFO_TOKEN UFOD EDITOR VISUAL NO_COLOR \
    XDG_CONFIG_HOME XDG_DATA_HOME XDG_RUNTIME_DIR; do
	check "ufo.1 documents $e" grep -Eq "^\\.It (.* )?Ev $e( |\$)" \
	    "$MAN/ufo.1"
done
for o in server socket token fleet json version help; do
	check "ufo.1 documents --$o" grep -Eq "^\\.It Fl .*\\\\-$o( |\$)" \
	    "$MAN/ufo.1"
done

# --- ufod(8) against ufod -h and the route table ----------------------------

run timeout 10 "$UFOD_BIN" -h
usage="$out$err"
like "$usage" 'usage' "ufod -h prints a usage"
# Letters of "[-dfv]" groups and of "-c CONF"-style options.
letters=$(printf '%s\n' "$usage" | sed 's/--[a-z-]*//g' |
    grep -Eo '\[?-[A-Za-z]+' | sed 's/^\[//; s/^-//' | fold -w 1 | sort -u)
isnt "$letters" "" "ufod -h lists option letters"
missing=
for l in $letters V h; do
	grep -Eq "^\\.It Fl $l( |\$)" "$MAN/ufod.8" || missing="$missing -$l"
done
is "$missing" "" "every ufod option is an .It Fl in ufod.8"
extra=
for l in $(awk '/^\.Sh / { o = ($2 == "DESCRIPTION") }
    o && /^\.It Fl [A-Za-z]( |$)/ { print $3 }' "$MAN/ufod.8"); do
	printf '%s\n' $letters V h | grep -qx "$l" || extra="$extra -$l"
done
is "$extra" "" "every option in ufod.8 is in ufod -h"
missing=
for o in $(printf '%s\n' "$usage" | grep -Eo -- '--[a-z][a-z-]*' | sort -u); do
	grep -Eq "^\\.It Fl \\\\${o#-}( |\$)" "$MAN/ufod.8" ||
	    missing="$missing $o"
done
is "$missing" "" "every long option of ufod -h is an .It Fl in ufod.8"

routes=$(tr '\n\t' '  ' <"$top_srcdir/src/api.c" |
    grep -Eo '\{ *"(GET|POST|PATCH|PUT|DELETE)", *"/[^"]*"' |
    sed 's/^{ *"//; s/", *"/ /; s/"$//')
isnt "$routes" "" "src/api.c has a route table"
missing=
while read -r m p; do
	[ -n "$m" ] || continue
	grep -Fqx ".It Li $m Pa $p" "$MAN/ufod.8" || missing="$missing [$m $p]"
done <<EOF
$routes
EOF
is "$missing" "" "every API route is in ufod.8"
extra=
for r in $(grep -E '^\.It Li (GET|POST|PATCH|PUT|DELETE) Pa ' \
    "$MAN/ufod.8" | awk '{ print $3 "+" $5 }'); do
	printf '%s\n' "$routes" | tr ' ' '+' | grep -qxF "$r" ||
	    extra="$extra [$r]"
done
is "$extra" "" "every route in ufod.8 exists"
for s in SIGTERM SIGINT SIGHUP; do
	check "ufod.8 documents $s" grep -q "Dv $s" "$MAN/ufod.8"
done
for c in 400 401 403 404 405 409 413 415; do
	check "ufod.8 documents status $c" grep -q "^\\.It $c Ta" "$MAN/ufod.8"
done

# --- ufo.conf(5) against src/conf.c -----------------------------------------

keys=$(awk '/conf_keys\[\] = \{/ { t = 1; next } t && /^\};/ { t = 0 }
    t' "$top_srcdir/src/conf.c" | grep -Eo '^[[:space:]]*\{ *"[a-z_]+"' |
    grep -Eo '[a-z_]+')
isnt "$keys" "" "src/conf.c has a key table"
missing=
for k in $keys; do
	grep -Eq "^\\.It Ic $k( |\$)" "$MAN/ufo.conf.5" || missing="$missing $k"
done
is "$missing" "" "every ufo.conf key is an .It Ic in ufo.conf.5"
extra=
for k in $(awk '/^\.Ss Settings/ { s = 1 } /^\.Ss Directives/ { s = 0 }
    s && /^\.It Ic / { print $3 }' "$MAN/ufo.conf.5"); do
	printf '%s\n' $keys | grep -qx "$k" || extra="$extra $k"
done
is "$extra" "" "every key in ufo.conf.5 exists in src/conf.c"
for d in bind color; do
	check "ufo.conf.5 documents the $d directive" \
	    grep -q "^\\.Ic $d" "$MAN/ufo.conf.5"
done
example=$top_srcdir/contrib/ufo.conf.example
if [ -f "$example" ]; then
	missing=
	for k in $keys; do
		grep -Eq "^#$k = " "$example" || missing="$missing $k"
	done
	is "$missing" "" "contrib/ufo.conf.example shows every key"
	# Uncommented, the example must load.
	# Without its TCP port (maybe taken) and the certificate files it
	# names (not on this machine), on the test's own paths.
	sed 's/^#\([a-z_]* = \)/\1/; s/^#\(bind\|color\) /\1 /' "$example" |
	    grep -Ev '^(listen|tls_cert|tls_key) ' >"$T/example.conf"
	# Its master_key_env names a variable: it holds a key here.
	UFO_MASTER_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	export UFO_MASTER_KEY
	if start_ufod -c "$T/example.conf" -D "$HOME/example.db"; then
		pass "ufod runs with the example configuration"
		stop_ufod
	else
		fail "ufod runs with the example configuration"
	fi
else
	skip "no contrib/ufo.conf.example" 2
fi

# --- the board's keymaps against ufo.1 and ufo.conf.5 ------------------------

# Every action of KEYS_ACTIONS (tui/keys.h) is documented with its help in
# ufo.conf.5 and appears in ufo.1, and every default binding of
# keys_defaults (tui/keys.c) is a row of its keymap's table in ufo.1.
actions=$(sed -n 's/^[[:space:]]*X([A-Z_]*,[[:space:]]*"\([a-z-]*\)",.*/\1/p' \
    "$top_srcdir/tui/keys.h")
isnt "$actions" "" "tui/keys.h lists actions"
missing=
for a in $actions; do
	grep -Eq "^\\.It Ic $a\$" "$MAN/ufo.conf.5" || missing="$missing $a"
done
is "$missing" "" "ufo.conf.5 documents every action of the board"
missing=
for a in $actions; do
	grep -Eq "Ic $a( |\$)" "$MAN/ufo.1" || missing="$missing $a"
done
is "$missing" "" "ufo.1 names every action of the board"

# "bind MAP KEY ACTION" lines, the KEYS_OP_BINDS(m) ones expanded per map.
defaults=$(awk '
	/^#define KEYS_OP_BINDS/ { in_op = 1; next }
	in_op && /" m "/ {
		line = $0; sub(/^[^"]*"bind " m " /, "", line)
		sub(/".*$/, "", line); op[++nop] = line
		if ($0 !~ /\\$/) in_op = 0
		next
	}
	/^const char \*const keys_defaults/ { in_def = 1; next }
	in_def && /^};/ { in_def = 0 }
	in_def && /KEYS_OP_BINDS\("/ {
		m = $0; sub(/^.*KEYS_OP_BINDS\("/, "", m); sub(/".*$/, "", m)
		for (i = 1; i <= nop; i++) print m " " op[i]
		next
	}
	in_def && /"bind / {
		line = $0; sub(/^[^"]*"bind /, "", line); sub(/".*$/, "", line)
		print line
	}' "$top_srcdir/tui/keys.c")
isnt "$defaults" "" "tui/keys.c has default bindings"
# The tables of ufo.1: ".\" keymap: MAP" then ".It Li KEY Ta Ic ACTION".
documented=$(awk '
	/^\.\\" keymap: / { map = $3; next }
	/^\.El/ { map = "" }
	map != "" && /^\.It Li / {
		key = $3; gsub(/\\&/, "", key)
		print map " " key " " $6
	}' "$MAN/ufo.1")
missing=$(printf '%s\n' "$defaults" | while read -r m k a; do
	printf '%s\n' "$documented" | grep -Fxq "$m $k $a" ||
	    printf ' [%s %s %s]' "$m" "$k" "$a"
done)
is "$missing" "" "ufo.1 lists every default key binding"
extra=$(printf '%s\n' "$documented" | while read -r m k a; do
	printf '%s\n' "$defaults" | grep -Fxq "$m $k $a" ||
	    printf ' [%s %s %s]' "$m" "$k" "$a"
done)
is "$extra" "" "every key binding in ufo.1 is a default one"
check "ufo.1 documents UFO_BOARD_LOG" grep -Eq "^\\.It Ev UFO_BOARD_LOG" \
    "$MAN/ufo.1"

done_testing
