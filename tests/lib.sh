# Sourced by every integration test: an isolated environment, TAP helpers,
# a private ufod, and a trap that cleans up whatever the test started.
#
#   . "${top_srcdir:-..}/tests/lib.sh"
#   start_ufod
#   ok "create an operation" ufo op create -t "Fix it"
#   like "$out" "UFO-1" "the code is printed"
#   done_testing
#
# Binaries come from UFO_BIN and UFOD_BIN (set by make check); top_srcdir
# locates the sources (man pages, src/conf.c). The plan is printed by
# done_testing, which also fails the test when the ufod it ran logged a
# sanitizer report.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${UFO_BIN:=$top_builddir/tui/ufo}"
: "${UFOD_BIN:=$top_builddir/src/ufod}"
export top_srcdir top_builddir UFO_BIN UFOD_BIN

# --- Environment ------------------------------------------------------------

TEST_NAME=$(basename "$0" .sh)
TEST_HOME=$(mktemp -d "${TMPDIR:-/tmp}/ufo-$TEST_NAME.XXXXXX") || {
	echo "Bail out! mktemp failed"
	exit 1
}
chmod 755 "$TEST_HOME"
HOME=$TEST_HOME
XDG_RUNTIME_DIR=$HOME/xdg-run
XDG_CONFIG_HOME=$HOME/.config
XDG_DATA_HOME=$HOME/.local/share
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$HOME/run"
chmod 700 "$XDG_RUNTIME_DIR" "$HOME/run"
TZ=UTC
LANG=C.UTF-8
LC_ALL=C.UTF-8
COLUMNS=80
LINES=24
NO_COLOR=1
# An editor opened by mistake fails at once instead of waiting for keys.
EDITOR=false
export HOME XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_DATA_HOME TZ LANG LC_ALL \
    COLUMNS LINES NO_COLOR EDITOR
unset UFO_SERVER UFO_TOKEN UFO_SOCKET VISUAL
# ufo starts this ufod when none answers.
UFOD=$UFOD_BIN
export UFOD

SOCK=$HOME/run/ufod.sock
CONF=$XDG_CONFIG_HOME/ufo/ufo.conf
DB=$XDG_DATA_HOME/ufo/ufo.db
UFOD_LOG=$HOME/ufod.log
T=$HOME/tmp
mkdir -p "$T" "$XDG_CONFIG_HOME/ufo"

# --- Cleanup ----------------------------------------------------------------

PIDS=
UFOD_PID=

# Every pid in $PIDS, and every ufod holding a lock file under $HOME (ufod
# -d started by ufo itself), gets TERM, then KILL if it lingers.
lib_cleanup()
{
	set +e
	for pid in $PIDS $(lib_lock_pids); do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $PIDS $(lib_lock_pids); do
		i=0
		while alive "$pid" && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	cd /
	rm -rf "$TEST_HOME"
}

lib_lock_pids()
{
	find "$TEST_HOME" \( -name '*.lock' -o -name 'local-rover.pid' \) \
	    -type f 2>/dev/null |
	while read -r f; do
		pid=$(head -n 1 "$f" 2>/dev/null | tr -cd 0-9)
		[ -n "$pid" ] || continue
		# Only a live ufod or rover of this test: pids get reused.
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
		ufod*|lt-ufod*|ufo-rover*) ;;
		*) continue ;;
		esac
		tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" |
		    grep -qxF "HOME=$TEST_HOME" && echo "$pid"
	done
}

trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Remembers a pid for the cleanup.
track()
{
	PIDS="$PIDS $*"
}

# --- TAP --------------------------------------------------------------------

TAP_COUNT=0
TAP_FAILED=0
TAP_PLANNED=
TAP_TODO=

plan()
{
	TAP_PLANNED=$1
	echo "1..$1"
}

diag()
{
	printf '%s\n' "$@" | sed 's/^/# /'
}

# Reports one test point: pass when $1 is 0. Under todo, the point carries
# a TODO directive and a failure does not count.
tap_result()
{
	TAP_COUNT=$((TAP_COUNT + 1))
	if [ -n "${TAP_TODO:-}" ]; then
		if [ "$1" -eq 0 ]; then
			echo "ok $TAP_COUNT - $2 # TODO $TAP_TODO"
		else
			echo "not ok $TAP_COUNT - $2 # TODO $TAP_TODO"
		fi
		return "$1"
	fi
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_COUNT - $2"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_COUNT - $2"
	fi
	return "$1"
}

# run CMD...: runs a command, keeping its status in $rc, its output in
# $out and its error output in $err (no test point).
run()
{
	rc=0
	"$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	return 0
}

# run_in INPUT CMD...: the same with INPUT as standard input.
run_in()
{
	_input=$1
	shift
	rc=0
	printf '%s' "$_input" | { "$@" >"$T/out" 2>"$T/err" || echo $? >"$T/rc"; }
	rc=$(cat "$T/rc" 2>/dev/null || echo 0)
	rm -f "$T/rc"
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	return 0
}

# ok NAME CMD...: passes when CMD exits 0 (output kept as with run).
ok()
{
	_name=$1
	shift
	run "$@"
	if ! tap_result "$rc" "$_name"; then
		diag "command: $*" "exit status: $rc"
		[ -z "$err" ] || diag "stderr: $err"
		return 1
	fi
}

# fails STATUS NAME CMD...: passes when CMD exits with STATUS.
fails()
{
	_want=$1
	_name=$2
	shift 2
	run "$@"
	[ "$rc" = "$_want" ]
	if ! tap_result $? "$_name"; then
		diag "command: $*" "exit status: $rc, wanted $_want"
		[ -z "$err" ] || diag "stderr: $err"
		[ -z "$out" ] || diag "stdout: $out"
		return 1
	fi
}

# check NAME CMD...: a test point from any command's status, output unseen.
check()
{
	_name=$1
	shift
	_rc=0
	"$@" >/dev/null 2>&1 || _rc=$?
	tap_result "$_rc" "$_name"
}

is()
{
	[ "$1" = "$2" ]
	if ! tap_result $? "$3"; then
		diag "got:  '$1'" "want: '$2'"
		return 1
	fi
}

isnt()
{
	[ "$1" != "$2" ]
	if ! tap_result $? "$3"; then
		diag "got '$1', wanted anything else"
		return 1
	fi
}

# like TEXT ERE NAME
like()
{
	printf '%s\n' "$1" | grep -Eq -- "$2"
	if ! tap_result $? "$3"; then
		diag "text:" "$1" "does not match: $2"
		return 1
	fi
}

unlike()
{
	! printf '%s\n' "$1" | grep -Eq -- "$2"
	if ! tap_result $? "$3"; then
		diag "text:" "$1" "matches: $2"
		return 1
	fi
}

# todo REASON HELPER ARGS...: a test point of a known bug, e.g. todo "why"
# is "$got" "$want" "name". It prints "not ok N - name # TODO REASON",
# which keeps the suite green; once the bug is fixed the point passes as
# "ok N - name # TODO REASON", which the TAP driver reports as XPASS, a
# failure, until the todo is taken away.
todo()
{
	TAP_TODO=$1
	shift
	_todo_rc=0
	"$@" || _todo_rc=$?
	TAP_TODO=
	return "$_todo_rc"
}

pass()
{
	tap_result 0 "$1"
}

fail()
{
	tap_result 1 "$1"
	shift
	[ $# -eq 0 ] || diag "$@"
	return 1
}

# skip REASON [N]: N skipped test points.
skip()
{
	_n=${2:-1}
	while [ "$_n" -gt 0 ]; do
		TAP_COUNT=$((TAP_COUNT + 1))
		echo "ok $TAP_COUNT # SKIP $1"
		_n=$((_n - 1))
	done
}

skip_all()
{
	echo "1..0 # SKIP $1"
	exit 0
}

bail_out()
{
	echo "Bail out! $*"
	[ ! -f "$UFOD_LOG" ] || diag "ufod log:" "$(tail -n 20 "$UFOD_LOG")"
	exit 1
}

# Prints the plan when none was given. Failures are in the TAP itself.
# A sanitizer report in the log of a ufod we ran is one more failure.
done_testing()
{
	if [ -f "$UFOD_LOG" ]; then
		if grep -Eq 'Sanitizer|runtime error:' "$UFOD_LOG"; then
			fail "ufod logged no sanitizer reports" \
			    "$(grep -E -A 12 'Sanitizer|runtime error:' \
			    "$UFOD_LOG" | head -n 40)"
		else
			pass "ufod logged no sanitizer reports"
		fi
	fi
	[ -n "$TAP_PLANNED" ] || echo "1..$TAP_COUNT"
	exit 0
}

# --- Waiting ----------------------------------------------------------------

# wait_for SECONDS CMD...: polls CMD until it succeeds; 1 on timeout.
wait_for()
{
	_limit=$(($1 * 20))
	shift
	_i=0
	while ! "$@" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt $_limit ] || return 1
		sleep 0.05
	done
	return 0
}

# Succeeds once pid has exited (a child not yet reaped is a zombie: gone).
gone()
{
	kill -0 "$1" 2>/dev/null || return 0
	if [ -r "/proc/$1/stat" ]; then
		_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	else
		_state=$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)
	fi
	[ "$_state" = Z ] || [ -z "$_state" ]
}

alive()
{
	! gone "$1"
}

# wait_exit PID SECONDS: reaps a child of this shell; its status in $rc.
wait_exit()
{
	if ! wait_for "$2" gone "$1"; then
		rc=timeout
		return 1
	fi
	rc=0
	wait "$1" 2>/dev/null || rc=$?
	return 0
}

# --- ufod and ufo -----------------------------------------------------------

# health [SOCKET]: succeeds when a ufod answers on the socket.
health()
{
	curl -sf --max-time 2 --unix-socket "${1:-$SOCK}" \
	    http://localhost/api/v1/health >/dev/null 2>&1
}

# start_ufod [ARGS...]: runs ufod in the foreground on $SOCK, logging to
# $UFOD_LOG, and waits until it answers; its pid in $UFOD_PID.
start_ufod()
{
	"$UFOD_BIN" -f -s "$SOCK" "$@" >>"$UFOD_LOG" 2>&1 </dev/null &
	UFOD_PID=$!
	track "$UFOD_PID"
	_i=0
	while ! health "$SOCK"; do
		if gone "$UFOD_PID"; then
			wait "$UFOD_PID" 2>/dev/null
			diag "ufod exited early:" "$(tail -n 20 "$UFOD_LOG")"
			return 1
		fi
		_i=$((_i + 1))
		if [ $_i -ge 200 ]; then
			diag "ufod did not answer within 10 s:" \
			    "$(tail -n 20 "$UFOD_LOG")"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# stop_ufod [SIGNAL]: stops the ufod started by start_ufod; status in $rc.
stop_ufod()
{
	kill -"${1:-TERM}" "$UFOD_PID" 2>/dev/null
	if ! wait_exit "$UFOD_PID" 15; then
		diag "ufod $UFOD_PID did not exit within 15 s"
		kill -KILL "$UFOD_PID" 2>/dev/null
		return 1
	fi
	return 0
}

ufo()
{
	"$UFO_BIN" --socket "$SOCK" "$@"
}

# background OUT CMD...: runs CMD in the background with its output in OUT;
# pid in $BG_PID, killed at exit. "ufo" means the real binary on $SOCK.
background()
{
	_bgout=$1
	shift
	if [ "$1" = ufo ]; then
		shift
		set -- "$UFO_BIN" --socket "$SOCK" "$@"
	fi
	"$@" >"$_bgout" 2>"$_bgout.err" </dev/null &
	BG_PID=$!
	track "$BG_PID"
}

# api [-H HEADER]... [-T TYPE] METHOD PATH [BODY]: a request to /api/v1 on
# $SOCK (or on $API_URL, e.g. http://127.0.0.1:PORT, when set). Prints the
# body; keeps the status in $status and the file $T/status, the body in
# $body and $T/body, the headers in $T/headers. BODY "@FILE" sends a file;
# a body goes with Content-Type TYPE (default application/json; "" for
# none). Call it as "api ... >/dev/null" to keep $status and $body.
api()
{
	_type=application/json
	: >"$T/api.hdr"
	while :; do
		case $1 in
		-H) printf '%s\n' "$2" >>"$T/api.hdr"; shift 2 ;;
		-T) _type=$2; shift 2 ;;
		*) break ;;
		esac
	done
	_method=$1
	_path=$2
	shift 2
	if [ $# -gt 0 ]; then
		case $1 in
		@*) _data=$1 ;;
		*) printf '%s' "$1" >"$T/api.req"; _data=@$T/api.req ;;
		esac
		set -- --data-binary "$_data" -H "Content-Type: $_type"
	fi
	if [ -n "${API_URL:-}" ]; then
		set -- "$@" "$API_URL/api/v1$_path"
	else
		set -- "$@" --unix-socket "$SOCK" "http://localhost/api/v1$_path"
	fi
	rm -f "$T/body" "$T/headers"
	status=$(curl -s --max-time 60 -X "$_method" -H @"$T/api.hdr" \
	    -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" \
	    2>"$T/curl.err")
	[ -n "$status" ] || status=000
	echo "$status" >"$T/status"
	body=$(cat "$T/body" 2>/dev/null)
	printf '%s\n' "$body"
}

# The status of the last api call, for use after $(api ...).
last_status()
{
	cat "$T/status"
}

# header NAME: a header of the last api answer (case-insensitive).
header()
{
	tr -d '\r' <"$T/headers" |
	    awk -v h="$1" 'tolower($0) ~ "^" tolower(h) ":" {
		sub(/^[^:]*:[ \t]*/, ""); print; exit }'
}

# --- JSON -------------------------------------------------------------------

# jget PATH [JSON]: the value at a dotted path ("items.0.code", "items.#"
# for a length, "items.*.code" for each element's field, one a line) of
# JSON (default: $body). Strings print raw, null as "null". Uses sqlite3's
# JSON functions, a hard dependency of ufod anyway.
jget()
{
	_json=${2-$body}
	printf '%s' "$_json" >"$T/j.json"
	_p=$1
	_len=
	case $_p in
	*.\#) _len=1; _p=${_p%.#} ;;
	\#) _len=1; _p= ;;
	esac
	case $_p in
	*\**)
		_b=${_p%%\**}
		_a=${_p#*\*}
		_before=$(jpath "${_b%.}")
		_after=$(jpath "${_a#.}")
		sqlite3 -batch :memory: "SELECT CASE json_type(value, '$_after')
		    WHEN 'null' THEN 'null' WHEN 'true' THEN 'true'
		    WHEN 'false' THEN 'false' ELSE json_extract(value, '$_after')
		    END FROM json_each(readfile('$T/j.json'), '$_before');"
		;;
	*)
		_q=$(jpath "$_p")
		if [ -n "$_len" ]; then
			sqlite3 -batch :memory: "SELECT
			    json_array_length(readfile('$T/j.json'), '$_q');"
		else
			sqlite3 -batch :memory: "SELECT CASE
			    json_type(readfile('$T/j.json'), '$_q')
			    WHEN 'null' THEN 'null' WHEN 'true' THEN 'true'
			    WHEN 'false' THEN 'false'
			    ELSE json_extract(readfile('$T/j.json'), '$_q') END;"
		fi
		;;
	esac
}

# "items.0.code" → "$.items[0].code" ("" and "." → "$").
jpath()
{
	case $1 in
	''|.) echo '$'; return 0 ;;
	esac
	printf '%s\n' "$1" | awk -F. '{
		p = "$"
		for (i = 1; i <= NF; i++) {
			if ($i == "") continue
			if ($i ~ /^[0-9]+$/) p = p "[" $i "]"
			else p = p ".\"" $i "\""
		}
		print p
	}'
}

# json_valid [JSON]: succeeds when JSON (default: stdin) is one valid
# JSON document.
json_valid()
{
	if [ $# -gt 0 ]; then
		printf '%s' "$1" >"$T/v.json"
	else
		cat >"$T/v.json"
	fi
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
		    "$T/v.json" 2>/dev/null
	elif command -v jq >/dev/null 2>&1; then
		jq -e . "$T/v.json" >/dev/null 2>&1
	else
		[ "$(sqlite3 -batch :memory: \
		    "SELECT json_valid(readfile('$T/v.json'));")" = 1 ]
	fi
}

# --- Network ----------------------------------------------------------------

# free_port: a TCP port nobody listens on (checked in /proc/net/tcp*).
free_port()
{
	_used=$(awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	_i=0
	while [ $_i -lt 100 ]; do
		_port=$(( ($$ * 7919 + _i * 104729 + $(date +%N | sed 's/^0*//;s/^$/0/') ) % 30000 + 20000 ))
		_hex=$(printf '%04X' "$_port")
		if ! printf '%s\n' "$_used" | grep -qx "$_hex"; then
			echo "$_port"
			return 0
		fi
		_i=$((_i + 1))
	done
	return 1
}

# --- Sanity -----------------------------------------------------------------

lib_need_binaries()
{
	[ -x "$UFOD_BIN" ] || bail_out "no ufod at $UFOD_BIN (run make first)"
	[ -x "$UFO_BIN" ] || bail_out "no ufo at $UFO_BIN (run make first)"
	command -v curl >/dev/null 2>&1 || bail_out "curl is needed"
	command -v sqlite3 >/dev/null 2>&1 || bail_out "sqlite3 is needed"
}
