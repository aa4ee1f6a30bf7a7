#!/bin/sh
# ufod as a daemon: -d returns once it listens, the lock keeps a second
# ufod off the database and a live socket, SIGHUP re-reads ufo.conf, and
# SIGTERM/SIGINT shut down cleanly even with a long-poll parked.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries

LOCK=$DB.lock

# Nobody holds the lock (the file itself may stay: the flock is what counts).
lock_free()
{
	[ ! -e "$LOCK" ] && return 0
	if command -v flock >/dev/null 2>&1; then
		flock -n "$LOCK" true
	else
		true
	fi
}

# --- Options that do not start a server -----------------------------------------

ok "ufod -V" timeout 10 "$UFOD_BIN" -V
like "$out$err" '0\.[0-9]+\.[0-9]+' "ufod -V prints the version"
ok "ufod -h" timeout 10 "$UFOD_BIN" -h
like "$out$err" 'usage' "ufod -h prints the usage"
run timeout 10 "$UFOD_BIN" -Z -s "$SOCK"
isnt "$rc" 0 "an unknown option fails"
like "$err" 'usage' "with the usage"
printf 'frobnicate = 1\n' >"$T/bad.conf"
run timeout 20 "$UFOD_BIN" -f -c "$T/bad.conf" -s "$SOCK"
is "$rc" 1 "a bad ufo.conf stops ufod with status 1"
like "$err" 'bad.conf:1' "naming file:line"
run timeout 20 "$UFOD_BIN" -f -c "$T/missing.conf" -s "$SOCK"
is "$rc" 1 "a missing -c file stops ufod"
check "nothing was left on the socket" sh -c "! test -e '$SOCK'"

# --- Daemonize ----------------------------------------------------------------

run timeout 30 "$UFOD_BIN" -d -s "$SOCK"
is "$rc" 0 "ufod -d exits 0"
check "it answers as soon as -d returned" health
check "the lock file exists" test -f "$LOCK"
pid=$(head -n 1 "$LOCK" 2>/dev/null | tr -cd 0-9)
like "$pid" '^[0-9]+$' "the lock file holds the pid"
check "that pid is alive" alive "$pid"
like "$(cat "/proc/$pid/comm" 2>/dev/null)" 'ufod' "and it is ufod"
api GET /server >/dev/null
is "$(jget pid)" "$pid" "GET /server agrees on the pid"
is "$(jget socket)" "$SOCK" "and names the socket"
is "$(jget database)" "$DB" "and the database"
is "$(jget listen)" null "no TCP listener"
ok "ufo server status" ufo server status
like "$out" "$pid" "shows the daemon's pid"

# A second ufod on the same database, another socket: refused by the lock.
run timeout 20 "$UFOD_BIN" -f -s "$HOME/run/second.sock"
is "$rc" 1 "a second ufod on the same database exits 1"
like "$err" "in use by ufod \\(pid $pid\\)" "the message names the pid"
check "the first ufod still answers" health
check "the second left no socket" sh -c "! test -e '$HOME/run/second.sock'"
run timeout 20 "$UFOD_BIN" -d -s "$HOME/run/second.sock"
is "$rc" 1 "the same with -d: the parent reports the failure"

# Another database, the same socket: refused, and the socket stays.
run timeout 20 "$UFOD_BIN" -f -s "$SOCK" -D "$HOME/other.db"
is "$rc" 1 "a second ufod on a live socket exits 1"
check "the live socket is kept" health

# -d that cannot start: the parent says why and exits 1.
run timeout 20 "$UFOD_BIN" -d -s "$HOME/run/third.sock" \
    -D /proc/no/such/dir/ufo.db
is "$rc" 1 "ufod -d with an impossible database exits 1"
isnt "$err" "" "and says why"

# --- SIGHUP re-reads ufo.conf --------------------------------------------------

PORT=$(free_port) || bail_out "no free TCP port"
printf 'listen = 127.0.0.1:%s\nmax_body = 1K\n' "$PORT" >"$CONF"
kill -HUP "$pid"
check "after SIGHUP the new listen address answers" wait_for 20 curl -sf \
    --max-time 2 "http://127.0.0.1:$PORT/api/v1/health"
api GET /server >/dev/null
is "$(jget listen)" "127.0.0.1:$PORT" "GET /server shows the listener"
awk 'BEGIN { printf "{\"title\":\"2K\",\"body\":\""
	for (i = 0; i < 2048; i++) printf "z"; printf "\"}" }' >"$T/2k.json"
api POST /operations "@$T/2k.json" >/dev/null
is "$status" 413 "after SIGHUP max_body = 1K applies"
check "the same pid goes on" alive "$pid"

# A broken file on SIGHUP: logged, the running settings stay.
printf 'listen = 127.0.0.1:%s\nnonsense here\n' "$PORT" >"$CONF"
kill -HUP "$pid"
sleep 1
check "a bad ufo.conf on SIGHUP does not kill ufod" alive "$pid"
check "and the socket still answers" health
check "and the TCP listener still answers" curl -sf --max-time 5 \
    "http://127.0.0.1:$PORT/api/v1/health"

# Dropping listen closes the TCP port.
: >"$CONF"
kill -HUP "$pid"
check "removing listen closes the TCP port" wait_for 20 sh -c \
    "! curl -s --max-time 2 'http://127.0.0.1:$PORT/api/v1/health'"
api POST /operations "@$T/2k.json" >/dev/null
is "$status" 201 "max_body is back to its default"

# --- SIGTERM with a parked long-poll ------------------------------------------

api GET "/events?since=0&wait=0&limit=1000" >/dev/null
L=$(jget last)
background "$T/poll" curl -s --max-time 120 -w '\n%{http_code}' \
    --unix-socket "$SOCK" "http://localhost/api/v1/events?since=$L&wait=100"
poll=$BG_PID
sleep 0.5
check "the long-poll is parked" alive "$poll"
kill -TERM "$pid"
check "ufod exits on SIGTERM with a parked long-poll" wait_for 20 gone "$pid"
check "the parked long-poll was answered" wait_for 20 gone "$poll"
check "the socket is removed" sh -c "! test -e '$SOCK'"
check "the lock is released" lock_free
check "the WAL was checkpointed" sh -c "! test -s '$DB-wal'"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1)" ok "the database is intact"

# In the foreground the exit status can be seen.
start_ufod || bail_out "ufod did not start"
background "$T/poll2" curl -s --max-time 120 --unix-socket "$SOCK" \
    "http://localhost/api/v1/events?since=$L&wait=100"
poll2=$BG_PID
background "$T/sse" curl -sN --max-time 120 --unix-socket "$SOCK" \
    -H 'Accept: text/event-stream' "http://localhost/api/v1/events?since=$L"
sse=$BG_PID
sleep 0.5
check "an event stream is open" alive "$sse"
check "stop_ufod TERM" stop_ufod TERM
is "$rc" 0 "SIGTERM: ufod exits 0 with a long-poll and a stream open"
check "the second long-poll was answered" wait_for 20 gone "$poll2"
check "the event stream was closed" wait_for 20 gone "$sse"
check "the socket is removed after TERM" sh -c "! test -e '$SOCK'"

start_ufod || bail_out "ufod did not start"
check "stop_ufod INT" stop_ufod INT
is "$rc" 0 "SIGINT: ufod exits 0"
check "the socket is removed after INT" sh -c "! test -e '$SOCK'"
check "the lock is released after INT" lock_free

# --- SIGTERM in a burst of writes ---------------------------------------------
# Creates answer from the HTTP threads once committed, reads and other writes
# from the handler pool: a stop in the middle answers each or closes it, and
# keeps every create it answered.
start_ufod || bail_out "ufod did not start"
printf '{"title":"burst"}' >"$T/burst.json"
i=0
while [ $i -lt 40 ]; do
	background "$T/burst.$i" curl -s --max-time 60 -o /dev/null \
	    -w '%{http_code}' --unix-socket "$SOCK" \
	    -H 'Content-Type: application/json' -d "@$T/burst.json" \
	    http://localhost/api/v1/operations
	eval "burst_$i=\$BG_PID"
	background "$T/list.$i" curl -s --max-time 60 -o /dev/null \
	    -w '%{http_code}' --unix-socket "$SOCK" \
	    "http://localhost/api/v1/operations?limit=5"
	eval "list_$i=\$BG_PID"
	i=$((i + 1))
done
check "stop_ufod TERM in a burst" stop_ufod TERM
is "$rc" 0 "ufod exits 0 with writes and reads in flight"
i=0
left=0
while [ $i -lt 40 ]; do
	eval "wait_for 30 gone \$burst_$i && wait_for 30 gone \$list_$i" ||
	    left=$((left + 1))
	i=$((i + 1))
done
is "$left" 0 "every request of the burst ended"
created=0
listed=0
odd=0
i=0
while [ $i -lt 40 ]; do
	for f in "$T/burst.$i" "$T/list.$i"; do
		case "$(cat "$f")" in
		201)	created=$((created + 1)) ;;
		200)	listed=$((listed + 1)) ;;
		000|"")	;;
		*)	odd=$((odd + 1))
			diag "$f: $(cat "$f")" ;;
		esac
	done
	i=$((i + 1))
done
is "$odd" 0 "each was answered 201/200 or had its connection closed"
diag "answered: $created creates, $listed lists"
stored=$(sqlite3 "$DB" "SELECT count(*) FROM operations WHERE title = 'burst'")
check "every create answered 201 is stored ($created <= $stored)" \
    test "$created" -le "$stored"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1)" ok \
    "the database is intact after the burst"

# POST /server/shutdown is a clean stop too.
start_ufod || bail_out "ufod did not start"
api POST /server/shutdown >/dev/null
is "$status" 202 "POST /server/shutdown answers 202"
is "$(jget status)" stopping "saying stopping"
check "and ufod exits" wait_exit "$UFOD_PID" 20
is "$rc" 0 "with status 0"

done_testing
