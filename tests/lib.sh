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
LIB_CLEANUP_HOOKS=

# Every pid in $PIDS, and every ufod holding a lock file under $HOME (ufod
# -d started by ufo itself), gets TERM, then KILL if it lingers.
lib_cleanup()
{
	set +e
	# Helpers that started something of their own (a tmux server) stop it
	# first, while the ufod it talks to is still there.
	for _hook in ${LIB_CLEANUP_HOOKS:-}; do
		"$_hook"
	done
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
# A sanitizer report in the log of a ufod we ran, or on the standard error
# of a board we opened, is one more failure.
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
	# The same for the boards a test opened (their standard error).
	if [ -f "$T/board.err" ]; then
		if grep -Eq 'Sanitizer|runtime error:' "$T/board.err"; then
			fail "the board logged no sanitizer reports" \
			    "$(grep -E -A 12 'Sanitizer|runtime error:' \
			    "$T/board.err" | head -n 40)"
		else
			pass "the board logged no sanitizer reports"
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

# rover_api TOKEN METHOD PATH [BODY]: a request as a rover, with its token.
rover_api()
{
	_tok=$1
	shift
	api -H "Authorization: Bearer $_tok" -H "Ufo-Rover-Protocol: 1" "$@"
}

# The newest run of an operation, as JSON in $body.
last_run()
{
	api GET "/runs?operation=$1&limit=1" >/dev/null
	body=$(jget items.0)
}

# run_is OP STATUS: whether the op's newest run has STATUS.
run_is()
{
	last_run "$1"
	[ "$(jget status)" = "$2" ]
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

# free_port: a TCP port no socket uses (checked in /proc/net/tcp*), below
# the ephemeral range (or above it, when it starts low): an outgoing
# connection takes its local port from that range, and one that took ours
# between this check and the bind would make the bind fail.
free_port()
{
	_used=$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	read -r _lo _hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
	    { _lo=32768; _hi=60999; }
	if [ "$_lo" -ge 11000 ]; then
		_base=10000
		_span=$((_lo - 10000))
	else
		_base=$((_hi + 1))
		_span=$((65536 - _base))
	fi
	if [ "$_span" -lt 1000 ]; then
		_base=20000
		_span=30000
	fi
	_i=0
	while [ $_i -lt 100 ]; do
		_port=$(( ($$ * 7919 + _i * 104729 + $(date +%N | sed 's/^0*//;s/^$/0/') ) % _span + _base ))
		_hex=$(printf '%04X' "$_port")
		if ! printf '%s\n' "$_used" | grep -qx "$_hex"; then
			echo "$_port"
			return 0
		fi
		_i=$((_i + 1))
	done
	return 1
}

# start_ufod_tcp: start_ufod listening on TCP as well, on a free $PORT
# ($URL its base), and a test that it answers there; bails out otherwise.
start_ufod_tcp()
{
	PORT=$(free_port) || bail_out "no free TCP port"
	URL=http://127.0.0.1:$PORT
	printf 'listen = 127.0.0.1:%s\n' "$PORT" >"$CONF"
	start_ufod || bail_out "ufod did not start"
	check "ufod listens on TCP" wait_for 10 curl -sf --max-time 2 \
	    "$URL/api/v1/health"
}

# --- TLS --------------------------------------------------------------------
#
#   tls_ca [CA]                  a private CA: $PKI/CA.pem and CA.key
#                                (CA defaults to "ca")
#   tls_cert NAME SAN [CA]       $PKI/NAME.pem and NAME.key (0600), signed
#                                by CA, for SAN ("DNS:localhost,IP:…")
#
# Made with openssl and a configuration of our own, not the system's.

PKI=$HOME/pki

tls_openssl()
{
	command -v openssl >/dev/null 2>&1 || bail_out "openssl is needed"
	mkdir -p "$PKI"
	chmod 700 "$PKI"
	[ -f "$PKI/openssl.cnf" ] || printf '%s\n' '[req]' \
	    'distinguished_name = dn' 'prompt = no' '[dn]' 'CN = ufo' \
	    '[ca]' 'basicConstraints = critical,CA:TRUE' \
	    'keyUsage = critical,keyCertSign,cRLSign' \
	    'subjectKeyIdentifier = hash' >"$PKI/openssl.cnf"
	openssl "$@" >>"$PKI/openssl.log" 2>&1
}

tls_ca()
{
	_ca=${1:-ca}
	tls_openssl req -x509 -config "$PKI/openssl.cnf" -extensions ca \
	    -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=ufo test $_ca $$" -keyout "$PKI/$_ca.key" \
	    -out "$PKI/$_ca.pem" || bail_out "openssl: cannot make a CA: \
$(tail -n 5 "$PKI/openssl.log")"
}

tls_cert()
{
	printf '%s\n' 'basicConstraints = critical,CA:FALSE' \
	    'keyUsage = critical,digitalSignature' \
	    'extendedKeyUsage = serverAuth' "subjectAltName = $2" \
	    >"$PKI/$1.ext"
	tls_openssl req -new -config "$PKI/openssl.cnf" -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
	    -keyout "$PKI/$1.key" -out "$PKI/$1.csr" &&
	    tls_openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/${3:-ca}.pem" \
	    -CAkey "$PKI/${3:-ca}.key" -CAcreateserial -days 2 \
	    -extfile "$PKI/$1.ext" -out "$PKI/$1.pem" ||
	    bail_out "openssl: cannot make a certificate for $1: \
$(tail -n 5 "$PKI/openssl.log")"
	chmod 600 "$PKI/$1.key"
}

# --- Sanity -----------------------------------------------------------------

lib_need_binaries()
{
	[ -x "$UFOD_BIN" ] || bail_out "no ufod at $UFOD_BIN (run make first)"
	[ -x "$UFO_BIN" ] || bail_out "no ufo at $UFO_BIN (run make first)"
	command -v curl >/dev/null 2>&1 || bail_out "curl is needed"
	command -v sqlite3 >/dev/null 2>&1 || bail_out "sqlite3 is needed"
}

# --- The board, through tmux ------------------------------------------------
#
#   board_start 80x24             ufo (the board) on $SOCK, in a private tmux
#   board_wait "Backlog"          until the screen shows a text
#   board_act board move-right    presses the key bound to an action
#   board_golden board-80x24      the screen against tests/golden/NAME.txt
#   board_resize 160x48
#
# The tmux server is private (-L ufo-test-PID, no user configuration, no
# status bar) and killed at exit with whatever runs in it. Nothing waits a
# fixed time: every wait polls the screen until it shows what is expected,
# with a generous limit (BOARD_TIMEOUT seconds), so a slow machine is only
# slower. With GENERATE=1, board_golden writes the golden screens instead
# of comparing them.

BOARD_TMUX=ufo-test-$$
: "${BOARD_TIMEOUT:=30}"
BOARD_UFO_PID=
BOARD_SOCKET_PATH=
BOARD_TMUX_PID=
GOLDEN_DIR=$top_srcdir/tests/golden
# Extra sed expressions for board_mask, one a line (ids a test knows).
BOARD_MASK=

btmux()
{
	tmux -L "$BOARD_TMUX" -f "$T/tmux.conf" "$@"
}

# The single-quoted form of a string, for the launcher script.
shquote()
{
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# board_start [-t TERM] [-n] [-e EDITOR] [-r] WxH [UFO-ARGS...]: opens the
# board on $SOCK (with -r, only where UFO-ARGS say, e.g. --server URL) in a
# WxH terminal: TERM xterm-256color unless -t, NO_COLOR set with -n,
# $EDITOR from -e (default: false, which fails at once). ufo never
# starts a ufod of its own here (UFOD=/bin/false). Its pid in
# $BOARD_UFO_PID, its standard error in $T/board.err.
board_start()
{
	_bterm=xterm-256color
	_bnocolor=
	_beditor=false
	_bremote=
	while :; do
		case $1 in
		-r) _bremote=1; shift ;;
		-t) _bterm=$2; shift 2 ;;
		-n) _bnocolor=1; shift ;;
		-e) _beditor=$2; shift 2 ;;
		*) break ;;
		esac
	done
	_bw=${1%x*}
	_bh=${1#*x}
	shift
	command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed"
	[ -z "$BOARD_UFO_PID" ] || board_stop
	printf '%s\n' 'set -g status off' 'set -g remain-on-exit on' \
	    'set -g escape-time 0' 'set -g history-limit 0' \
	    'set -g exit-empty off' >"$T/tmux.conf"
	{
		echo '#!/bin/sh'
		echo 'unset LINES COLUMNS NO_COLOR VISUAL UFO_SERVER UFO_TOKEN'
		echo 'unset UFO_SOCKET TMUX TMUX_PANE'
		for _v in HOME XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_DATA_HOME \
		    PATH; do
			eval "_val=\$$_v"
			echo "$_v=$(shquote "$_val"); export $_v"
		done
		echo "TERM=$(shquote "$_bterm"); export TERM"
		echo "EDITOR=$(shquote "$_beditor"); export EDITOR"
		echo 'TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 UFOD=/bin/false'
		echo 'export TZ LANG LC_ALL UFOD'
		[ -z "$_bnocolor" ] || echo 'NO_COLOR=1; export NO_COLOR'
		printf 'exec %s' "$(shquote "$UFO_BIN")"
		[ -n "$_bremote" ] || printf ' --socket %s' "$(shquote "$SOCK")"
		for _a in "$@"; do
			printf ' %s' "$(shquote "$_a")"
		done
		printf ' 2>>%s\n' "$(shquote "$T/board.err")"
	} >"$T/board.sh"
	case " $LIB_CLEANUP_HOOKS " in
	*" board_stop "*) ;;
	*) LIB_CLEANUP_HOOKS="$LIB_CLEANUP_HOOKS board_stop" ;;
	esac
	if ! btmux new-session -d -s board -x "$_bw" -y "$_bh" \
	    "sh $T/board.sh"; then
		diag "tmux new-session failed"
		return 1
	fi
	BOARD_UFO_PID=$(btmux display -p -t board '#{pane_pid}')
	BOARD_SOCKET_PATH=$(btmux display -p -t board '#{socket_path}')
	BOARD_TMUX_PID=$(btmux display -p -t board '#{pid}')
	track "$BOARD_TMUX_PID" "$BOARD_UFO_PID"
}

# board_stop: kills the tmux server and waits for ufo to be gone.
board_stop()
{
	[ -n "$BOARD_UFO_PID" ] || return 0
	btmux kill-server >/dev/null 2>&1
	if ! wait_for 10 gone "$BOARD_UFO_PID"; then
		kill -KILL "$BOARD_UFO_PID" 2>/dev/null
	fi
	rm -f "$BOARD_SOCKET_PATH"
	BOARD_UFO_PID=
}

# board_keys KEY...: tmux key names (Enter, Escape, C-d, Up, …).
board_keys()
{
	btmux send-keys -t board "$@"
}

# board_type TEXT: types TEXT literally.
board_type()
{
	btmux send-keys -t board -l -- "$1"
}

# The screen as text, one line per terminal line.
board_screen()
{
	btmux capture-pane -p -t board
}

# The screen with its attributes and colours as escape sequences.
board_screen_e()
{
	btmux capture-pane -e -p -t board
}

# Succeeds while ufo runs; board_status prints its exit status once dead.
board_alive()
{
	[ "$(btmux display -p -t board '#{pane_dead}' 2>/dev/null)" = 0 ]
}

board_status()
{
	btmux display -p -t board '#{pane_dead_status}' 2>/dev/null
}

board_size()
{
	btmux display -p -t board '#{pane_width}x#{pane_height}'
}

# board_has TEXT / board_has_re ERE: the screen shows it now.
board_has()
{
	board_screen | grep -qF -- "$1"
}

board_has_re()
{
	board_screen | grep -Eq -- "$1"
}

board_lacks()
{
	! board_screen | grep -qF -- "$1"
}

# board_poll WHAT CMD...: polls CMD until it succeeds, for BOARD_TIMEOUT
# seconds; on timeout (or ufo dead) says what it waited for and shows the
# screen. No test point.
board_poll()
{
	_bwhat=$1
	shift
	_bi=0
	_blimit=$((BOARD_TIMEOUT * 10))
	while ! "$@" >/dev/null 2>&1; do
		_bi=$((_bi + 1))
		if [ $_bi -ge $_blimit ] || ! board_alive; then
			if board_alive; then
				diag "waited ${BOARD_TIMEOUT}s for $_bwhat; screen:"
			else
				diag "ufo exited ($(board_status)) waiting for" \
				    "$_bwhat; screen:"
				[ ! -s "$T/board.err" ] ||
				    diag "stderr:" "$(tail -n 20 "$T/board.err")"
			fi
			diag "$(board_screen)"
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# board_wait TEXT / board_wait_re ERE / board_wait_gone TEXT
board_wait()
{
	board_poll "\"$1\"" board_has "$1"
}

board_wait_re()
{
	board_poll "/$1/" board_has_re "$1"
}

board_wait_gone()
{
	board_poll "\"$1\" to go" board_lacks "$1"
}

# board_settle: waits until the screen has not changed for a third of a
# second (four captures in a row alike); 1 when it keeps changing.
board_settle()
{
	_bsame=0
	_bi=0
	_blast=
	while [ $_bsame -lt 3 ]; do
		_bnow=$(board_screen)
		if [ "$_bnow" = "$_blast" ]; then
			_bsame=$((_bsame + 1))
		else
			_bsame=0
		fi
		_blast=$_bnow
		_bi=$((_bi + 1))
		[ $_bi -lt $((BOARD_TIMEOUT * 10)) ] || return 1
		sleep 0.1
	done
	return 0
}

# board_resize WxH: resizes the terminal and waits until the pane has.
board_resize()
{
	btmux resize-window -t board -x "${1%x*}" -y "${1#*x}" &&
	    board_poll "the size $1" board_size_is "$1"
}

board_size_is()
{
	[ "$(board_size)" = "$1" ]
}

# board_keymap: "MAP KEY ACTION" lines of the compiled-in bindings, read
# from keys_defaults in tui/keys.c (the table the board is built from), so
# that a test names actions, not keys.
board_keymap()
{
	if [ ! -s "$T/keymap" ]; then
		# The table and the macros it uses, through the C
		# preprocessor; adjacent string literals are then joined.
		sed -n '/^#define KEYS_[A-Z_]*BINDS/,/^};/p' \
		    "$top_srcdir/tui/keys.c" | ${CPP:-cpp} -P 2>/dev/null |
		    tr '\n' ' ' | sed 's/.*keys_defaults\[\][^{]*{//' |
		    sed 's/" *"//g' | grep -Eo '"bind [^"]*"' | tr -d '"' |
		    sed 's/^bind //; s/\\\\/\\/g' >"$T/keymap"
		[ -s "$T/keymap" ] ||
		    bail_out "no bindings read from keys_defaults in tui/keys.c"
	fi
	cat "$T/keymap"
}

# board_key MAP ACTION: the first key bound to ACTION in MAP, else in
# generic, as ufo names it ("j", "C-d", "Enter").
board_key()
{
	board_keymap | awk -v m="$1" -v a="$2" '
		$3 == a && $1 == m && k == "" { k = $2 }
		$3 == a && $1 == "generic" && g == "" { g = $2 }
		END { if (k != "") print k; else if (g != "") print g }'
}

# board_act MAP ACTION: presses the key bound to ACTION; 1 (with a
# diagnostic) when no key is.
board_act()
{
	_bk=$(board_key "$1" "$2")
	if [ -z "$_bk" ]; then
		diag "no key is bound to $2 in $1 or generic"
		return 1
	fi
	board_press "$_bk"
}

# board_press NAME: a key as ufo names it, sent through tmux.
board_press()
{
	case $1 in
	?) board_type "$1" ;;
	Space) board_keys Space ;;
	Enter|Return) board_keys Enter ;;
	Esc|Escape) board_keys Escape ;;
	Tab) board_keys Tab ;;
	S-Tab|BackTab) board_keys BTab ;;
	Backspace|BS|BSpace) board_keys BSpace ;;
	PgUp|PageUp|PPage) board_keys PPage ;;
	PgDn|PageDown|NPage) board_keys NPage ;;
	Delete|Del|DC) board_keys DC ;;
	Insert|Ins|IC) board_keys IC ;;
	*) board_keys "$1" ;;
	esac
}

# board_mask: masks what changes from one run to the next (dates, times
# of day, elapsed times, ids, the user and host names, the version, the
# rover's work dir, whose length follows $TMPDIR's, and so the gap that
# right-aligns the status line) on
# stdin, plus the test's own BOARD_MASK expressions. Dates and ids keep
# their width; what varies in width (an elapsed time, the host name, the
# version) becomes a word with the spaces after it squeezed, so that the
# columns after it do not move with it.
board_mask()
{
	_bhost=$(hostname 2>/dev/null || echo localhost)
	_buser=$(id -un 2>/dev/null || echo root)
	_bver=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
	    "$top_builddir/config.h" 2>/dev/null | sed 's/\./\\./g')
	printf '%s\n' "$BOARD_MASK" | grep -v '^$' >"$T/mask.sed"
	sed -E "$(cat "$T/mask.sed")" |
	sed -E -e 's#(ufo-rover: [a-z]+ in ).*#\1WORKDIR#' \
	    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}/####-##-##/g' \
	    -e 's/[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?Z?/##:##/g' \
	    -e 's/\b(run|op|rov|usr|sig|cmt|fle|msn|evt)_[a-z0-9]{6,}/\1_XXXXXXXX/g' \
	    -e "s/\\b$_bhost\\b */HOST /g" -e "s/\\b$_buser@/USER@/g" \
	    -e "s/\\b${_bver:-no-version}\\b */VERSION /g" \
	    -e "s/ · $_buser · / · USER · /g" \
	    -e 's#[^ ]*/ufod\.sock\b#SOCKET#g' \
	    -e "s#$TEST_HOME#$(printf '%s' "$TEST_HOME" | sed 's/[^/]/x/g')#g" \
	    -e "s/${TEST_HOME##*.}/XXXXXX/g" \
	    -e 's/\b[0-9a-f]{12}([0-9a-f]{28})?\b/hhhhhhhhhhhh/g' \
	    -e 's/ *\b[0-9]+(\.[0-9]+)?(ms|s|m|h|d)( ago)?\b */ ~ /g' \
	    -e '$ s/ {2,}/  /g'
}

# board_golden NAME: a test point, the masked screen against
# tests/golden/NAME.txt (GENERATE=1: writes it).
board_golden()
{
	_bg=$GOLDEN_DIR/$1.txt
	board_screen | board_mask >"$T/screen.txt"
	if [ -n "${GENERATE:-}" ]; then
		mkdir -p "$GOLDEN_DIR"
		cp "$T/screen.txt" "$_bg"
		pass "golden screen $1 (written)"
		return 0
	fi
	if [ ! -f "$_bg" ]; then
		fail "golden screen $1" "no $_bg; make check GENERATE=1" \
		    "$(cat "$T/screen.txt")"
		return 1
	fi
	if diff -u "$_bg" "$T/screen.txt" >"$T/golden.diff" 2>&1; then
		pass "golden screen $1"
	else
		fail "golden screen $1" "$(cat "$T/golden.diff")"
	fi
}

# board_colour_sgr: the SGR colour parameters (30–38, 40–48, 90–107, with
# 38;5;N as one) of the screen, one a line; attributes (bold, reverse,
# underline, dim) and resets are not colours.
board_colour_sgr()
{
	board_screen_e | grep -Eo "$(printf '\033')\\[[0-9;]*m" |
	    sed 's/^.\[//; s/m$//' | tr ';' '\n' |
	    awk '/^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$/'
}

# board_cursor_on TEXT: TEXT is drawn under the cursor (in reverse video)
# somewhere on the screen but the status line.
board_cursor_on()
{
	board_screen_e | sed '$d' | awk -v want="$1" '
	{
		plain = ""; n = 0; line = $0
		while (length(line) > 0) {
			if (match(line, /^\033\[[0-9;]*m/)) {
				sgr = substr(line, 3, RLENGTH - 3)
				line = substr(line, RLENGTH + 1)
				if (sgr == "") { rev = 0; continue }
				k = split(sgr, p, ";")
				for (i = 1; i <= k; i++) {
					if (p[i] == 0 || p[i] == 27) rev = 0
					else if (p[i] == 7) rev = 1
				}
				continue
			}
			c = substr(line, 1, 1)
			line = substr(line, 2)
			plain = plain c
			r[++n] = rev
		}
		i = index(plain, want)
		if (i > 0 && r[i]) found = 1
		rev = 0
	}
	END { exit !found }'
}

# board_fixture: a fleet with a bit of everything, made in a fixed order
# (the golden screens depend on it), against a ufod started with -R whose
# local rover runs the shell pilot and a fake claude. Waits until both
# runs are in review. Sets SHELL_OP, CLAUDE_OP and their runs SHELL_RUN,
# CLAUDE_RUN.
board_fixture_ufod()
{
	: "${UFO_ROVER_BIN:=$top_builddir/rover/ufo-rover}"
	[ -x "$UFO_ROVER_BIN" ] || bail_out "no ufo-rover at $UFO_ROVER_BIN"
	mkdir -p "$HOME/bin"
	[ -e "$HOME/bin/claude" ] ||
	    ln -s "$top_srcdir/tests/fake-pilot" "$HOME/bin/claude"
	PATH=$HOME/bin:$PATH
	UFO_FAKE_FIXTURES=$top_srcdir/tests/fixtures/pilots
	UFO_FAKE_DELAY=0
	UFO_ROVER=$UFO_ROVER_BIN
	export PATH UFO_FAKE_FIXTURES UFO_FAKE_DELAY UFO_ROVER
	case " $LIB_CLEANUP_HOOKS " in
	*" lib_kill_pilots "*) ;;
	*) LIB_CLEANUP_HOOKS="$LIB_CLEANUP_HOOKS lib_kill_pilots" ;;
	esac
	unset UFO_FAKE_FIXTURE UFO_FAKE_SLEEP UFO_FAKE_WRITE
	start_ufod -R "$@"
}

# lib_kill_pilots: pilots of this test's runs (UFO_RUN in their
# environment) that outlived their rover.
lib_kill_pilots()
{
	for _f in $(grep -lzxF "HOME=$TEST_HOME" /proc/[0-9]*/environ \
	    2>/dev/null); do
		grep -qz '^UFO_RUN=' "$_f" 2>/dev/null || continue
		_p=${_f#/proc/}
		_p=${_p%/environ}
		[ "$_p" = $$ ] || kill -TERM "$_p" 2>/dev/null
	done
}

board_op_status_is()
{
	[ "$(op_status "$1")" = "$2" ]
}

# The status of an operation (its first "status" field).
op_status()
{
	"$UFO_BIN" --socket "$SOCK" --json op show "$1" 2>/dev/null >"$T/os"
	jget status "$(cat "$T/os")"
}

board_fixture()
{
	_bf() {
		"$UFO_BIN" --socket "$SOCK" "$@" >"$T/bf.out" 2>"$T/bf.err" ||
		    bail_out "fixture: ufo $*: $(cat "$T/bf.err")"
		cat "$T/bf.out"
	}
	_bf mission create WEB "Web site" >/dev/null
	_bf op create -t "Fix the login timeout" -l bug -l auth -p 1 \
	    "Users are logged out after a minute." >/dev/null
	_bf op create -t "Find the timeout setting" --parent UFO-1 -p 2 \
	    "Where is it set?" >/dev/null
	_bf op create -t "Raise it to an hour" --parent UFO-1 -p 3 \
	    "One hour, as agreed." >/dev/null
	_bf op move UFO-2 done >/dev/null
	_bf op move UFO-3 todo >/dev/null
	_bf op comment UFO-1 "Seen on staging too." >/dev/null
	_bf op create -t "Write the release notes" -l docs -p 4 \
	    -a pilot:claude --no-start "Notes for 1.0." >/dev/null
	_bf op move UFO-4 todo >/dev/null
	_bf op create -t "Say hello" -l demo -a pilot:shell \
	    'echo hello; seq 1 60 >hello.txt; printf "one\ntwo\n" >two.txt' \
	    >/dev/null
	SHELL_OP=UFO-5
	wait_for 60 board_op_status_is UFO-5 in_review ||
	    bail_out "fixture: UFO-5 did not reach in_review: $(op_status UFO-5)"
	_bf op create -t "Résumé: naïve café, 日本語のとても長いタイトルです" \
	    -p 2 "Wide and accented characters." >/dev/null
	_bf op move UFO-6 in_progress >/dev/null
	_bf op create -t "Ask Claude to tidy up" -a pilot:claude \
	    "Tidy up the repository." >/dev/null
	CLAUDE_OP=UFO-7
	wait_for 60 board_op_status_is UFO-7 in_review ||
	    bail_out "fixture: UFO-7 did not reach in_review: $(op_status UFO-7)"
	_bf op create -t "Blocked on the vendor" "Waiting for their fix." \
	    >/dev/null
	_bf op move UFO-8 blocked >/dev/null
	_bf op create -m WEB -t "Landing page" -l design "A first page." \
	    >/dev/null
	_bf op move WEB-1 todo >/dev/null
	_bf op relate UFO-1 relates UFO-6 >/dev/null
	SHELL_RUN=$(jget 0.id "$(_bf --json run list -o UFO-5)")
	CLAUDE_RUN=$(jget 0.id "$(_bf --json run list -o UFO-7)")
}

# board_wait_exit: waits until ufo has exited; its status in $rc.
board_wait_exit()
{
	_bi=0
	# tmux marks the pane dead when its terminal closes, and knows the
	# status only once it has reaped the process.
	while board_alive || [ -z "$(board_status)" ]; do
		_bi=$((_bi + 1))
		# Now and then tmux 3.3 misses the SIGCHLD of a pane whose
		# terminal has closed, and ufo stays a zombie: remind it.
		if [ $((_bi % 10)) -eq 0 ] && ! board_alive; then
			kill -CHLD "$BOARD_TMUX_PID" 2>/dev/null
		fi
		if [ $_bi -ge $((BOARD_TIMEOUT * 10)) ]; then
			diag "ufo did not exit within ${BOARD_TIMEOUT}s:" \
			    "$(board_screen)" "process:" \
			    "$(ps -o pid,ppid,stat,wchan:24,args -p \
			    "$BOARD_UFO_PID" 2>&1)"
			rc=timeout
			return 1
		fi
		sleep 0.1
	done
	rc=$(board_status)
	return 0
}

# board_quit: presses quit and waits for ufo to exit; a test point that
# it exits 0.
board_quit()
{
	board_act generic quit
	board_wait_exit
	is "$rc" 0 "${1:-ufo} quits with status 0"
}

# board_goto CODE: puts the cursor on the card CODE: filters on its code,
# goes to the first column, then right to the column of its status (as the
# CLI says), and waits until the cursor is on it.
board_goto()
{
	_bst=$(op_status "$1")
	_bcol=0
	for _bs in backlog todo in_progress in_review done blocked \
	    cancelled; do
		[ "$_bs" != "$_bst" ] || break
		_bcol=$((_bcol + 1))
	done
	board_act board filter || return 1
	board_keys C-u
	board_type "$1"
	board_keys Enter
	_bi=0
	while [ $_bi -lt 8 ]; do
		board_act board left
		_bi=$((_bi + 1))
	done
	_bi=0
	while [ $_bi -lt $_bcol ]; do
		board_act board right
		_bi=$((_bi + 1))
	done
	board_poll "the cursor on $1" board_cursor_on "$1"
}

# board_unfilter: an empty filter shows every card again.
board_unfilter()
{
	board_act board filter && board_keys C-u Enter && board_settle
}

# board_bell: 1 once ufo has rung the bell (tmux's bell flag of its
# window, never cleared here since no client looks at it), else 0.
board_bell()
{
	btmux display -p -t board '#{window_bell_flag}'
}

board_rang()
{
	[ "$(board_bell)" = 1 ]
}
