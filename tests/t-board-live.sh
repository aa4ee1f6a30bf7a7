#!/bin/sh
# The board follows the change feed: a change made with the CLI while the
# board is open shows on it; a run started from the CLI appears on its card
# and the run view follows its messages as they come; ufod stopped and
# started again while the board is open: the status line says the
# connection is lost, and the board reconnects by itself and shows what
# changed meanwhile. Also: the bell when a run needs review, needs input
# and failed runs on their cards, thinking folded in the run view, the same
# board over TCP with a token.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
board_fixture_ufod || bail_out "ufod -R did not start"

ufo op create -t "Alpha" "echo alpha" >/dev/null ||
    bail_out "no operation was created"

# The status line: the screen's last line that is not empty.
status_line()
{
	board_screen | grep . | tail -n 1
}

board_start 160x48
board_wait "UFO-1" && board_settle
check "the board opens" board_alive
like "$(status_line)" "ufod\\.sock|local|unix" \
    "the status line names the connection"

# --- Changes made elsewhere ---------------------------------------------------

start=$(date +%s%N)
ufo op create -t "Made by the CLI" "echo cli" >/dev/null
board_wait "Made by the CLI"
tap_result $? "an operation created with the CLI shows up"
diag "it showed within $(( ($(date +%s%N) - start) / 1000000 )) ms" \
    "(the tmux polling included)"
ufo op edit UFO-1 -t "Alpha, edited elsewhere" >/dev/null
board_wait "Alpha, edited elsewhere"
tap_result $? "a title edited with the CLI changes on the card"
ufo op archive UFO-1 >/dev/null
board_wait_gone "Alpha, edited"
tap_result $? "an operation archived with the CLI leaves the board"

is "$(board_bell)" 0 "no bell for changes that need nobody"

# --- A run started from the CLI, live -----------------------------------------

# The pilot says line 1, waits for the test to let it go on, then says
# lines 2 and 3 a second apart: what the board shows between is live.
GO=$T/go
ufo op create -t "Slow lines" -a pilot:shell \
    "echo line 1; while [ ! -e $GO ]; do sleep 0.1; done; \
for i in 2 3; do echo line \$i; sleep 1; done" >/dev/null
board_wait_re "UFO-3.*|Slow lines"
board_wait_re "running|claimed|queued"
tap_result $? "the run of an operation assigned on the CLI shows on its card"
board_wait "running"
tap_result $? "its card says it is running"
if board_goto UFO-3 && board_act board view-run; then
	board_wait "line 1"
	tap_result $? "the run view shows what the pilot said so far"
	check "line 2 is not said yet" board_lacks "line 2"
	touch "$GO"
	board_wait "line 2"
	tap_result $? "the run view follows a new message"
	board_wait "line 3"
	tap_result $? "and the next"
	board_act run back
else
	fail "the run view opens on the running operation"
	touch "$GO"
fi
if wait_for 30 board_op_status_is UFO-3 in_review; then
	pass "the run finished"
else
	fail "the run finished" "UFO-3 is $(op_status UFO-3)"
fi
if wait_for 15 board_rang; then
	pass "a run that needs review rings the bell"
else
	fail "a run that needs review rings the bell"
fi
board_act board filter
board_keys C-u Enter
board_settle
board_wait_gone "running"
tap_result $? "the card no longer says running"

# A pilot that asks for input, and one that fails: their cards say so.
board_act board filter
board_keys C-u
board_type "Ask me"
board_keys Enter
ufo op create -t "Ask me" -a pilot:shell \
    'echo "Which colour?"; echo "@@UFO_NEEDS_INPUT@@"' >/dev/null
board_wait "needs input"
tap_result $? "a run that needs input: its card says needs input"
board_act board filter
board_keys C-u
board_type "Fail me"
board_keys Enter
board_act board toggle-hidden
ufo op create -t "Fail me" -a pilot:shell 'echo broken; exit 3' >/dev/null
# Blocked is one of the hidden columns: it is shown now, to the right.
board_wait_gone "Ask me"
i=0
while [ $i -lt 8 ]; do
	board_act board right
	i=$((i + 1))
done
board_wait "failed"
tap_result $? "a failed run: its card says failed"
board_act board toggle-hidden
board_act board filter
board_keys C-u Enter
board_wait_gone "filter:"
i=0
while [ $i -lt 8 ]; do
	board_act board left
	i=$((i + 1))
done
board_wait "Backlog"

# --- A run whose rover is this test: thinking, elapsed time ----------------

code=$(ufo rover code 2>/dev/null)
api -H "Ufo-Rover-Protocol: 1" POST /rover/enroll "{\"code\":\"$code\",
    \"name\":\"thinker\",\"version\":\"0.1.0\",\"host\":\"h\",
    \"auto_tags\":[\"pilot:codex\"],\"units\":1}" >/dev/null
RTOKEN=$(jget token)
ufo op create -t "Think hard" -a pilot:codex "Think hard." >/dev/null
rover_api "$RTOKEN" POST /rover/claim '{"wait":10,"auto_tags":["pilot:codex"],
    "free_units":1}' >/dev/null
RUN=$(jget run.id)
att=$(jget run.attempt)
rover_api "$RTOKEN" POST "/rover/runs/$RUN/start" "{\"attempt\":$att}" >/dev/null
rover_api "$RTOKEN" POST "/rover/runs/$RUN/messages" "{\"attempt\":$att,
    \"messages\":[{\"seq\":1,\"type\":\"thinking\",
    \"data\":{\"text\":\"A secret deliberation.\"}},{\"seq\":2,
    \"type\":\"text\",\"data\":{\"text\":\"Thought about it.\"}}]}" \
    >/dev/null
is "$status" 200 "a rover of the test says something"
board_act board filter
board_keys C-u
board_type "Think hard"
board_keys Enter
board_wait_re "running.*[0-9]+s|[0-9]+s.*running"
tap_result $? "a running card shows its elapsed time"
code=$(jget 0.code "$(ufo --json op list -q "Think hard")")
if board_goto "$code" && board_act board view-run &&
    board_wait "Thought about it." && board_settle; then
	check "run: thinking is folded" board_lacks "A secret deliberation."
	board_act run first
	board_act run fold
	board_wait "A secret deliberation."
	tap_result $? "run: fold unfolds the thinking"
	board_act run back
else
	fail "run: the run view of the test's rover opens"
fi
board_act board filter
board_keys C-u Enter
board_wait_gone "filter:"

# --- ufod goes away and comes back ---------------------------------------------

stop_ufod
board_wait_re "[Dd]isconnected|[Cc]onnection|[Rr]econnect|lost|unreachable"
tap_result $? "the status line says the connection is lost"
diag "status line: $(status_line)"
check "ufo keeps running without ufod" board_alive
board_fixture_ufod || bail_out "ufod did not start again"
ufo op create -t "Made away" "echo away" >/dev/null
board_wait "Made away"
tap_result $? "the board reconnects by itself and shows what changed"
status_connected()
{
	status_line | grep -Eq ' connected$'
}
board_poll "the status line to say connected" status_connected
tap_result $? "the status line says connected again"
ufo op edit UFO-2 -t "Edited again" >/dev/null
board_wait "Edited again"
tap_result $? "the feed goes on after the reconnect"

board_quit

# --- The same board over TCP with a token --------------------------------------

PORT=$(free_port) || bail_out "no free TCP port"
printf 'listen = 127.0.0.1:%s\n' "$PORT" >"$CONF"
stop_ufod
board_fixture_ufod || bail_out "ufod did not start with a TCP listener"
wait_for 10 curl -sf --max-time 2 "http://127.0.0.1:$PORT/api/v1/health" ||
    bail_out "ufod does not listen on $PORT"
TOKEN=$(jget token "$(ufo --json token create board 2>/dev/null)")
board_start -r 160x48 --server "http://127.0.0.1:$PORT" --token "$TOKEN"
board_wait "Edited again"
tap_result $? "remote: the board over HTTP shows the operations"
like "$(status_line)" "127\\.0\\.0\\.1:$PORT" \
    "remote: the status line names the URL"
unlike "$(board_screen)" "$TOKEN" "remote: the token is not shown"
ufo op create -t "Made for the remote" "echo remote" >/dev/null
board_wait "Made for the remote"
tap_result $? "remote: changes come live over HTTP too"
board_quit "remote: ufo"

# --- And over HTTPS, with the CA of its certificate ---------------------------

tls_ca
tls_cert server "DNS:localhost,IP:127.0.0.1"
printf 'listen = 127.0.0.1:%s\ntls_cert = %s\ntls_key = %s\n' "$PORT" \
    "$PKI/server.pem" "$PKI/server.key" >"$CONF"
kill -HUP "$UFOD_PID"
wait_for 30 curl -sf --max-time 2 --cacert "$PKI/ca.pem" \
    "https://127.0.0.1:$PORT/api/v1/health" ||
    bail_out "ufod does not serve HTTPS on $PORT after SIGHUP"
board_start -r 160x48 --server "https://127.0.0.1:$PORT" --token "$TOKEN"
board_wait_exit
is "$rc" 1 "https: the board without the CA exits 1"
like "$(cat "$T/board.err")" "certificate verify failed" \
    "https: saying the certificate does not verify"
board_stop
board_start -r 160x48 --server "https://127.0.0.1:$PORT" --token "$TOKEN" \
    --ca-file "$PKI/ca.pem"
board_wait "Made for the remote"
tap_result $? "https: the board with --ca-file shows the operations"
ufo op create -t "Made for HTTPS" "echo tls" >/dev/null
board_wait "Made for HTTPS"
tap_result $? "https: changes come live over HTTPS"
board_quit "https: ufo"
done_testing
