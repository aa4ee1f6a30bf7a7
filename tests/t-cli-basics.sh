#!/bin/sh
# The ufo command itself: help, version, usage errors, starting ufod like
# tmux does, server start/stop/status, the no-argument listing and --json.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries

# --- No server needed ----------------------------------------------------------

ok "ufo --version exits 0" ufo --version
like "$out" '0\.[0-9]+\.[0-9]+' "--version prints the version"

ok "ufo --help exits 0" ufo --help
like "$out$err" 'op create' "--help lists the commands"
ok "ufo -h exits 0" ufo -h

ok "ufo help exits 0" ufo help
help=$out
for c in "op create" "op list" "op move" "mission create" "pilot create" \
    "token create" "server status" "events"; do
	like "$help" "(^|[[:space:]])$c([[:space:]]|\$)" "help lists $c"
done

ok "ufo help op create exits 0" ufo help op create
like "$out$err" 'op create' "help op create shows its usage"
like "$out$err" '\-t' "help op create shows its options"

fails 2 "an unknown command exits 2" ufo frobnicate
like "$err" 'usage' "an unknown command prints a usage on stderr"
is "$out" "" "nothing on stdout for a usage error"
fails 2 "an unknown subcommand exits 2" ufo op frobnicate
fails 2 "an unknown option exits 2" ufo op list --frobnicate
like "$err" 'usage: ufo op list' "the usage line is that of the command"
fails 2 "a missing argument exits 2" ufo op move UFO-1
like "$err" 'usage: ufo op move' "op move with one argument shows its usage"
fails 2 "too many arguments exit 2" ufo op show UFO-1 UFO-2
fails 2 "an unknown global option exits 2" ufo --frobnicate op list
fails 2 "op move without a status exits 2" ufo op move

check "no ufod was started by help or usage errors" sh -c "! test -e '$SOCK'"

# --- server status/stop never start ufod ----------------------------------------

run ufo server status
isnt "$rc" 0 "server status with no server fails"
like "$out$err" '[Nn]ot running|no ufod|[Nn]o server|not answer' \
    "server status says no server runs"
check "server status did not start ufod" sh -c "! curl -sf --max-time 2 \
    --unix-socket '$SOCK' http://localhost/api/v1/health"
run ufo server stop
check "server stop did not start ufod" sh -c "! curl -sf --max-time 2 \
    --unix-socket '$SOCK' http://localhost/api/v1/health"

# --- Auto-start -------------------------------------------------------------

ok "op list with no ufod starts one (UFOD set) and succeeds" ufo op list
check "ufod answers on the socket afterwards" health
check "the database was made in XDG_DATA_HOME" test -f "$DB"
ok "server status with a server exits 0" ufo server status
like "$out" '[0-9]+' "server status shows the pid"
like "$out" "$SOCK|ufod\\.sock" "server status shows the socket"
ok "server status --json" ufo --json server status
check "server status --json parses" json_valid "$out"
pid=$(jget pid "$out")
like "$pid" '^[0-9]+$' "server status --json has the pid"
check "that pid is alive" alive "$pid"

ok "server start with one running exits 0" ufo server start
api GET /server >/dev/null
is "$(jget pid)" "$pid" "server start did not start another"

ok "server stop exits 0" ufo server stop
check "ufod exits after server stop" wait_for 15 gone "$pid"
check "no ufod answers after server stop" sh -c "! curl -sf --max-time 2 \
    --unix-socket '$SOCK' http://localhost/api/v1/health"
check "the socket is removed" sh -c "! test -e '$SOCK'"

ok "server start starts ufod" ufo server start
check "ufod answers after server start" health
ok "server stop again" ufo server stop
check "and it goes away" wait_for 15 sh -c "! curl -sf --max-time 2 \
    --unix-socket '$SOCK' http://localhost/api/v1/health"

# Without UFOD, ufo finds ../src/ufod next to tui/ufo in the build tree.
if [ "$(dirname "$UFO_BIN")/../src/ufod" -ef "$UFOD_BIN" ]; then
	run env -u UFOD "$UFO_BIN" --socket "$SOCK" op list
	is "$rc" 0 "without UFOD, ufo finds the ufod of the build tree"
	[ "$rc" = 0 ] || diag "$err"
	check "and it answers" health
	ufo server stop >/dev/null 2>&1
	wait_for 15 sh -c "! curl -sf --max-time 2 --unix-socket '$SOCK' \
	    http://localhost/api/v1/health"
else
	skip "ufo and ufod are not in one build tree"
	skip "ufo and ufod are not in one build tree"
fi

# UFO_SOCKET stands for --socket.
run env UFO_SOCKET="$SOCK" "$UFO_BIN" op list
is "$rc" 0 "UFO_SOCKET is honoured (and starts ufod)"
check "ufod answers on UFO_SOCKET" health

# --- Output ------------------------------------------------------------------

ok "create a todo operation" ufo op create -t "Calibrate the tractor beam" \
    "It drifts."
ok "move it to todo" ufo op move UFO-1 todo
ok "create a done operation" ufo op create -t "Polish the hull" "Shiny."
ok "move it to done" ufo op move UFO-2 done
ok "create a backlog operation" ufo op create -t "Name the cat" "Any name."

ok "ufo with no arguments exits 0" ufo
board=$out
like "$board" 'Calibrate the tractor beam' "the listing shows the todo op"
like "$board" 'Polish the hull' "the listing shows the done op"
like "$board" 'UFO-1' "the listing shows codes"
unlike "$board" "$(printf '\033')" "no escape sequences when not a tty"
# Grouped: each status heading comes before its operations, in board order.
order=$(printf '%s\n' "$board" | awk '
	/Name the cat/ { print "cat" NR; next }
	/Calibrate the tractor beam/ { print "beam" NR; next }
	/Polish the hull/ { print "hull" NR; next }
	tolower($0) ~ /backlog/ && !b { b = 1; print "backlog" NR }
	tolower($0) ~ /todo/ && !t { t = 1; print "todo" NR }
	tolower($0) ~ /done/ && !d { d = 1; print "done" NR }' |
	sed 's/[0-9]*$//' | tr '\n' ' ')
is "$order" "backlog cat todo beam done hull " \
    "operations are grouped under their status, in board order"

ok "op list as a table" ufo op list
like "$out" 'UFO-1.*Calibrate the tractor beam' "a table row has code and title"
unlike "$out" "$(printf '\033')" "no colour in a table on a pipe"

ok "op list --json" ufo --json op list
check "op list --json parses as JSON" json_valid "$out"
is "$(jget '#' "$out")" 3 "op list --json is the items array"
is "$(jget 0.code "$out")" UFO-3 "the first item is the backlog op"
ok "op show --json" ufo --json op show UFO-1
check "op show --json parses" json_valid "$out"
is "$(jget code "$out")" UFO-1 "op show --json is the object"
is "$(jget status "$out")" todo "with its status"
ok "mission list --json" ufo --json mission list
check "mission list --json parses" json_valid "$out"
is "$(jget 0.key "$out")" UFO "the bootstrap mission UFO exists"
ok "pilot list --json" ufo --json pilot list
is "$(jget '*.name' "$out" | tr '\n' ' ')" "claude codex goose shell " \
    "the four bootstrap pilots exist, by name"

# --- Failures ----------------------------------------------------------------

fails 1 "showing a missing op exits 1" ufo op show UFO-999
like "$err" '^ufo: ' "the message starts with ufo:"
like "$err" 'UFO-999' "the message names what failed"
is "$out" "" "nothing on stdout on failure"

done_testing
