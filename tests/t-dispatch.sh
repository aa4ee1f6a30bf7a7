#!/bin/sh
# The execution plane when things go wrong, against a real ufod and real
# ufo-rover processes with fake pilots: a rover killed mid-run (its run
# requeued by the sweeper and finished by another rover as attempt 2, the
# dead rover's late calls refused), ufod killed mid-run (the rover carries
# on and every message is kept once), two rovers racing for 200 runs,
# cancel from queued and from running, a parked claim whose rover hung up,
# the local rover of ufod -R, and an operation no rover can run.
#
# The lease is 30 s and cannot be shortened from outside, so the killed
# rover's run waits for it while the other scenarios run: that operation
# requires the tag "lease", which only the two rovers of that scenario have.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
: "${UFO_ROVER_BIN:=$top_builddir/rover/ufo-rover}"
[ -x "$UFO_ROVER_BIN" ] || bail_out "no ufo-rover at $UFO_ROVER_BIN"

# Fake claude and goose on PATH; codex only where a rover is meant to have
# it (PATH_CODEX), so that no other rover earns the tag pilot:codex.
BIN=$HOME/bin
CODEX_BIN=$HOME/bin-codex
mkdir -p "$BIN" "$CODEX_BIN"
for k in claude goose; do
	ln -s "$top_srcdir/tests/fake-pilot" "$BIN/$k"
done
ln -s "$top_srcdir/tests/fake-pilot" "$CODEX_BIN/codex"
PATH=$BIN:$PATH
PATH_CODEX=$CODEX_BIN:$PATH
UFO_FAKE_FIXTURES=$top_srcdir/tests/fixtures/pilots
UFO_FAKE_DELAY=0
export PATH UFO_FAKE_FIXTURES UFO_FAKE_DELAY
unset UFO_FAKE_FIXTURE UFO_FAKE_SLEEP UFO_FAKE_PIDFILE UFO_FAKE_IGNORE_TERM

# Pilots write their pid (their process group) in $PILOT_PIDS/NAME.
PILOT_PIDS=$HOME/pilots
mkdir -p "$PILOT_PIDS"

# strays: this test's rovers and pilots wherever they ended up (a rover
# left behind by a ufod killed -9, a pilot whose rover was killed).
strays()
{
	grep -lzxF "HOME=$TEST_HOME" /proc/[0-9]*/environ 2>/dev/null |
	while read -r _f; do
		_p=${_f#/proc/}
		_p=${_p%/environ}
		[ "$_p" != $$ ] || continue
		if [ "$(cat "/proc/$_p/comm" 2>/dev/null)" = ufo-rover ] ||
		    grep -qz '^UFO_RUN=' "$_f" 2>/dev/null; then
			echo "$_p"
		fi
	done
}

no_strays()
{
	[ -z "$(strays)" ]
}

dispatch_cleanup()
{
	for p in $(strays); do
		kill -TERM "$p" 2>/dev/null
	done
	lib_cleanup
	wait_for 10 no_strays
	for p in $(strays); do
		kill -KILL "$p" 2>/dev/null
	done
}
trap dispatch_cleanup EXIT

# --- Helpers -----------------------------------------------------------------

# enroll FILE NAME [OPTION...]: enrolls a rover into its own registrations
# file; its id in $ROVER_ID.
enroll()
{
	_file=$1
	_name=$2
	shift 2
	run ufo rover code
	[ "$rc" = 0 ] || { diag "ufo rover code: $err"; return 1; }
	run "$UFO_ROVER_BIN" -f "$_file" enroll --server "unix:$SOCK" \
	    --code "$out" --name "$_name" "$@"
	[ "$rc" = 0 ] || { diag "enroll $_name: $err"; return 1; }
	ROVER_ID=$(jget 0.id "$(cat "$_file")")
}

# token FILE: the token of the registration in FILE.
token()
{
	jget 0.token "$(cat "$1")"
}

# rover_bg OUT FILE [VAR=VALUE...] [-- ARG...]: `ufo-rover -f FILE run` in
# the background (killed at exit); its pid in $BG_PID.
rover_bg()
{
	_out=$1
	_file=$2
	shift 2
	_env=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_env="$_env $1"
		shift
	done
	[ $# -eq 0 ] || shift
	# shellcheck disable=SC2086
	background "$_out" env $_env "$UFO_ROVER_BIN" -f "$_file" run "$@"
}

# stop_rover PID: TERM, then its exit within 30 s.
stop_rover()
{
	kill -TERM "$1" 2>/dev/null
	wait_exit "$1" 30
}

# run_get RUN: the run as JSON in $body.
run_get()
{
	api GET "/runs/$1" >/dev/null
}

# run_has RUN FIELD VALUE
run_has()
{
	run_get "$1"
	[ "$(jget "$2")" = "$3" ]
}

# messages_at_least RUN N
messages_at_least()
{
	run_get "$1"
	[ "$(jget messages)" -ge "$2" ] 2>/dev/null
}

# op_status OP: prints the operation's status.
op_status()
{
	api GET "/operations/$1" >/dev/null
	jget status
}

op_is()
{
	[ "$(op_status "$1")" = "$2" ]
}

# group_gone PGID: no live process is left in the process group.
group_gone()
{
	! ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {
	    found = 1 } END { exit !found }'
}

# messages RUN: every message of the run, as JSON in $body.
messages()
{
	api GET "/runs/$1/messages?limit=1000" >/dev/null
}

# events FILE: every event so far, one "kind|entity|rover|attempt" a line.
events()
{
	: >"$1"
	_since=0
	while :; do
		api GET "/events?since=$_since&limit=1000&wait=0" >/dev/null
		printf '%s' "$body" >"$T/ev.json"
		_n=$(jget items.#)
		[ "${_n:-0}" -gt 0 ] || break
		sqlite3 -batch -separator '|' :memory: "SELECT
		    json_extract(value, '\$.kind'),
		    json_extract(value, '\$.entity_id'),
		    json_extract(value, '\$.data.rover'),
		    json_extract(value, '\$.data.attempt')
		    FROM json_each(readfile('$T/ev.json'), '\$.items');" >>"$1"
		_since=$(jget last)
	done
}

# claims FILE RUN: the rover and attempt of each run.claimed event of RUN.
claims()
{
	awk -F'|' -v r="$2" '$1 == "run.claimed" && $2 == r {
	    print $3 " " $4 }' "$1"
}

start_ufod || bail_out "ufod did not start"
ok "a pilot that never ends by itself" ufo pilot create sleepy --kind claude

# --- A rover killed mid-run: lease, sweeper, attempt 2 (part 1) --------------

enroll "$HOME/a.json" lost-one --tag lease || bail_out "cannot enroll"
ROVER_A=$ROVER_ID
TOKEN_A=$(token "$HOME/a.json")
enroll "$HOME/b.json" second --tag lease || bail_out "cannot enroll"
ROVER_B=$ROVER_ID
api POST /operations '{"title": "Outlive a rover", "body": "Create hello.txt",
    "assignee": "pilot:claude", "require_tags": ["lease"]}' >/dev/null
is "$(last_status)" 201 "rover kill: an operation requiring tag lease"
lease_op=$(jget code)
rover_bg "$HOME/a.out" "$HOME/a.json" UFO_FAKE_DELAY=1 \
    UFO_FAKE_PIDFILE="$PILOT_PIDS/a"
rover_a=$BG_PID
if wait_for 30 run_is "$lease_op" running && wait_for 30 \
    messages_at_least "$(jget id)" 2; then
	pass "rover kill: the first rover runs it, replaying slowly"
else
	fail "rover kill: the first rover runs it, replaying slowly" "$body"
fi
lease_run=$(jget id)
is "$(jget rover)" "$ROVER_A" "rover kill: held by the first rover"
kill -KILL "$rover_a"
wait "$rover_a" 2>/dev/null
# Its pilot dies of the broken pipe; no orphan may outlive the test.
wait_for 30 group_gone "$(cat "$PILOT_PIDS/a")" ||
    kill -KILL -- "-$(cat "$PILOT_PIDS/a")" 2>/dev/null
run_get "$lease_run"
is "$(jget status)" running "rover kill: the run still looks running"
diag "lease of $lease_run expires at $(jget lease_expires_at)"

# --- ufod killed mid-run -----------------------------------------------------
#
# A run that replays slowly; ufod is killed with -9 after its first
# messages, left dead a moment (the pilot goes on writing), then restarted
# on the same database and socket.

enroll "$HOME/k.json" keeper || bail_out "cannot enroll"
# The reference: the same transcript, undisturbed.
ok "ufod kill: a reference operation" ufo op create -t "Reference" \
    -a pilot:claude "Create hello.txt"
ref_op=$out
run timeout 60 "$UFO_ROVER_BIN" -f "$HOME/k.json" run --once
is "$rc" 0 "ufod kill: the reference run"
last_run "$ref_op"
ref_run=$(jget id)
messages "$ref_run"
ref_count=$(jget items.#)
ref_types=$(jget 'items.*.type' | tr '\n' ' ')
fixture_lines=$(grep -c . "$UFO_FAKE_FIXTURES/claude_success.jsonl")
# One message per transcript line, and the rover's note naming the work dir.
is "$ref_count" "$((fixture_lines + 1))" \
    "ufod kill: the reference run has one message a line and the note"

rover_bg "$HOME/keeper.out" "$HOME/k.json" UFO_FAKE_DELAY=0.7 \
    UFO_FAKE_PIDFILE="$PILOT_PIDS/keeper"
keeper=$BG_PID
ok "ufod kill: an operation" ufo op create -t "Through a crash" \
    -a pilot:claude "Create hello.txt"
crash_op=$out
if wait_for 30 run_is "$crash_op" running && wait_for 30 \
    messages_at_least "$(jget id)" 3; then
	pass "ufod kill: the run is running and sending messages"
else
	fail "ufod kill: the run is running and sending messages" "$body"
fi
crash_run=$(jget id)
before=$(jget messages)
kill -KILL "$UFOD_PID"
wait "$UFOD_PID" 2>/dev/null
# The pilot writes on while ufod is away; the rover keeps its messages.
sleep 1
start_ufod || bail_out "ufod did not restart after kill -9"
pass "ufod kill: ufod restarts on the same database and socket"
# A batch whose answer was lost in the crash comes again: it is ignored.
rover_api "$(token "$HOME/k.json")" POST "/rover/runs/$crash_run/messages" \
    '{"attempt": 1, "messages": [{"seq": 1, "type": "text",
    "data": {"text": "again"}}, {"seq": 2, "type": "text",
    "data": {"text": "again"}}]}' >/dev/null
is "$(last_status) $(jget accepted) $(jget duplicates)" "200 0 2" \
    "ufod kill: a batch sent twice is taken as duplicates"
if wait_for 60 run_has "$crash_run" status succeeded; then
	pass "ufod kill: the run finishes, succeeded"
else
	fail "ufod kill: the run finishes, succeeded" "$body" \
	    "$(tail -n 20 "$HOME/keeper.out.err")"
fi
check "ufod kill: the rover carried on (same process)" alive "$keeper"
is "$(jget attempt)" 1 "ufod kill: still attempt 1 (never requeued)"
is "$(jget messages)" "$ref_count" "ufod kill: the run counts every message"
diag "$before messages were stored before the kill"
messages "$crash_run"
is "$(jget items.#)" "$ref_count" "ufod kill: every message is there"
seqs=$(jget 'items.*.seq' | tr '\n' ' ')
is "$seqs" "$(seq 1 "$ref_count" | tr '\n' ' ')" \
    "ufod kill: seq 1..N, in order, no gap"
is "$(jget 'items.*.seq' | sort -n | uniq -d)" "" "ufod kill: no seq twice"
is "$(jget 'items.*.type' | tr '\n' ' ')" "$ref_types" \
    "ufod kill: the same messages as the undisturbed run"
is "$(op_status "$crash_op")" in_review "ufod kill: the operation is in review"
ok "ufod kill: the rover takes the next run" ufo op create -t "After" \
    -a pilot:claude "Again"
after_op=$out
if wait_for 60 run_is "$after_op" succeeded; then
	pass "ufod kill: the reconnected rover ran it"
else
	fail "ufod kill: the reconnected rover ran it" "$body"
fi
stop_rover "$keeper"
is "$rc" 0 "ufod kill: the rover stops on TERM, exit 0"

# --- The local rover of ufod -R ----------------------------------------------
#
# A ufod of its own (its database, socket and log), so its local rover
# serves nobody else.

LDIR=$HOME/local
LSOCK=$HOME/run/local.sock
LLOG=$HOME/ufod-local.log
LPIDFILE=$LDIR/local-rover.pid
mkdir -p "$LDIR"
LUFOD_PID=

# ufo on the second ufod, never starting one of its own.
lufo()
{
	UFOD=/bin/false "$UFO_BIN" --socket "$LSOCK" "$@"
}

# start_local: ufod -R on $LSOCK; its pid in $LUFOD_PID.
start_local()
{
	UFO_ROVER=$UFO_ROVER_BIN "$UFOD_BIN" -f -R -s "$LSOCK" \
	    -D "$LDIR/ufo.db" >>"$LLOG" 2>&1 </dev/null &
	LUFOD_PID=$!
	track "$LUFOD_PID"
	if ! wait_for 20 health "$LSOCK"; then
		diag "ufod -R did not answer:" "$(tail -n 20 "$LLOG")"
		return 1
	fi
}

# local_pid: the pid in local-rover.pid when it is a live ufo-rover.
local_pid()
{
	_p=$(head -n 1 "$LPIDFILE" 2>/dev/null | tr -cd 0-9)
	[ -n "$_p" ] && alive "$_p" &&
	    case $(cat "/proc/$_p/comm" 2>/dev/null) in
	    ufo-rover*|lt-ufo-rover*) true ;;
	    *) false ;;
	    esac && echo "$_p"
}

has_local_pid()
{
	local_pid >/dev/null
}

# local_rovers: live processes serving the local registration.
local_rovers()
{
	for _d in /proc/[0-9]*; do
		alive "${_d#/proc/}" || continue
		tr '\0' ' ' <"$_d/cmdline" 2>/dev/null |
		    grep -qF -- "--registrations $LDIR/local-rover.json" &&
		    echo "${_d#/proc/}"
	done
}

one_local_rover()
{
	[ "$(local_rovers | wc -l)" -eq 1 ]
}

lop_is()
{
	lufo --json op show "$1" >"$T/lop.json" 2>/dev/null &&
	    [ "$(jget status "$(cat "$T/lop.json")")" = "$2" ]
}

if start_local; then
	pass "local rover: ufod -R starts"
else
	fail "local rover: ufod -R starts"
fi
check "local rover: its pid is in local-rover.pid" wait_for 20 has_local_pid
lpid1=$(local_pid)
check "local rover: local-rover.json is 0600" \
    test "$(stat -c %a "$LDIR/local-rover.json" 2>/dev/null)" = 600
ok "local rover: a shell operation" lufo op create -t "Local" \
    -a pilot:shell 'echo made by the local rover >local.txt'
lop=$out
check "local rover: the operation goes to in_review" wait_for 60 \
    lop_is "$lop" in_review
check "local rover: nobody ran ufo-rover enroll" test ! -e "$HOME/.ufo/rovers.json"
LROVER=$(jget 0.id "$(cat "$LDIR/local-rover.json")")
like "$LROVER" '^rov_' "local rover: its registration is beside the database"
ok "local rover: rover list" lufo --json rover list
is "$(jget '*.id' "$out")" "$LROVER" "local rover: it is the fleet's only rover"
is "$(jget '0.name' "$out")" local "local rover: named local, as ufod.8 says"
kill -TERM "$LUFOD_PID"
if wait_exit "$LUFOD_PID" 20; then
	is "$rc" 0 "local rover: ufod stops, exit 0"
else
	fail "local rover: ufod stops, exit 0"
fi
check "local rover: its rover stopped with it" wait_for 20 gone "$lpid1"
check "local rover: local-rover.pid is removed" test ! -e "$LPIDFILE"

start_local || bail_out "ufod -R did not start again"
check "local rover: started again" wait_for 20 has_local_pid
lpid2=$(local_pid)
isnt "$lpid2" "$lpid1" "local rover: a new process"
kill -KILL "$LUFOD_PID"
wait "$LUFOD_PID" 2>/dev/null
check "local rover: ufod killed -9 leaves its rover running" alive "$lpid2"
start_local || bail_out "ufod -R did not start after kill -9"
check "local rover: the next ufod -R stops the one left behind" \
    wait_for 20 gone "$lpid2"
check "local rover: and runs its own" wait_for 20 has_local_pid
lpid3=$(local_pid)
isnt "$lpid3" "$lpid2" "local rover: the replacement is a new process"
check "local rover: one local rover process, not two" \
    wait_for 20 one_local_rover
ok "local rover: rover list after the restarts" lufo --json rover list
is "$(jget '*.id' "$out")" "$LROVER" \
    "local rover: the registration was kept, not enrolled again"
ok "local rover: another shell operation" lufo op create -t "Local again" \
    -a pilot:shell 'echo again'
check "local rover: the replacement runs it" wait_for 60 \
    lop_is "$out" in_review
kill -TERM "$LUFOD_PID"
wait_exit "$LUFOD_PID" 20
check "local rover: stopped with the last ufod" wait_for 20 gone "$lpid3"
is "$(local_rovers)" "" "local rover: no local rover left"

# The registration lost while its rover stays enrolled: the name is taken.
rm -f "$LDIR/local-rover.json"
start_local || bail_out "ufod -R did not start without its registration"
check "local rover: enrolled again without its registration" \
    wait_for 20 has_local_pid
lpid4=$(local_pid)
ok "local rover: rover list after losing the registration" \
    lufo --json rover list
is "$(jget '*.name' "$out" | wc -l)" 2 "local rover: two rovers now"
is "$(jget '*.name' "$out" | grep -c -x local)" 1 \
    "local rover: the new one is not named local, which is taken"
like "$(cat "$LLOG")" 'named after the host instead' \
    "local rover: ufod's log says why"
kill -TERM "$LUFOD_PID"
wait_exit "$LUFOD_PID" 20
check "local rover: the new one stopped with ufod" wait_for 20 gone "$lpid4"

# --- Cancel: queued, then running --------------------------------------------

ok "cancel: an operation with no rover running" ufo op create \
    -t "Cancel while queued" -a pilot:claude x
cq_op=$out
last_run "$cq_op"
cq_run=$(jget id)
is "$(jget status)" queued "cancel: the run is queued"
ok "cancel: ufo run cancel (queued)" ufo --json run cancel "$cq_run"
is "$(jget status "$out")" cancelled "cancel: the answer says cancelled"
run_get "$cq_run"
is "$(jget status)" cancelled "cancel: the queued run is cancelled at once"
is "$(jget rover)" null "cancel: no rover ever had it"
is "$(op_status "$cq_op")" todo "cancel: the operation goes back to todo"

enroll "$HOME/c.json" canceller || bail_out "cannot enroll"
ROVER_C=$ROVER_ID
rover_bg "$HOME/c.out" "$HOME/c.json" UFO_FAKE_SLEEP=120 \
    UFO_FAKE_PIDFILE="$PILOT_PIDS/c" -- --once
rover_c=$BG_PID
ok "cancel: another operation" ufo op create -t "Cancel while running" \
    -a pilot:sleepy x
cr_op=$out
if wait_for 30 run_is "$cr_op" running; then
	pass "cancel: the run is running"
else
	fail "cancel: the run is running" "$body"
fi
cr_run=$(jget id)
is "$(jget rover)" "$ROVER_C" "cancel: the rover took it, not the cancelled run"
check "cancel: the pilot is up" wait_for 20 test -s "$PILOT_PIDS/c"
pgid=$(cat "$PILOT_PIDS/c" 2>/dev/null)
ok "cancel: ufo run cancel (running)" ufo run cancel "$cr_run"
# The next heartbeat (10 s) tells the rover; TERM to the pilot's group.
if wait_exit "$rover_c" 40; then
	is "$rc" 0 "cancel: the rover finished the run and exited"
else
	fail "cancel: the rover finished the run and exited"
fi
run_get "$cr_run"
is "$(jget status)" cancelled "cancel: the running run ends cancelled"
check "cancel: the pilot's process group is gone" group_gone "${pgid:-0}"
run_get "$cq_run"
is "$(jget status)" cancelled "cancel: the queued one stayed cancelled"

# --- A parked claim whose rover hung up --------------------------------------
#
# Two claims by hand, each parked with nothing to hand out: the first one's
# rover hangs up, then a run is queued. The wake-up must go to the live
# claim, at once: a run handed to the dead one would come back only when
# its lease ran out (attempt 2), and a lost wake-up only at the end of the
# live claim's 100 s wait.

enroll "$HOME/x.json" hangs-up || bail_out "cannot enroll"
ROVER_X=$ROVER_ID
enroll "$HOME/y.json" stays || bail_out "cannot enroll"
ROVER_Y=$ROVER_ID
TOKEN_Y=$(token "$HOME/y.json")
printf '%s' '{"wait": 100, "auto_tags": ["pilot:claude", "pilot:shell"],
    "free_units": 1}' >"$T/claim.json"

# claim_bg OUT REGISTRATIONS: a claim of that rover with curl, in the
# background; its pid in $BG_PID.
claim_bg()
{
	background "$1" curl -s --max-time 120 --unix-socket "$SOCK" \
	    -H "Authorization: Bearer $(token "$2")" \
	    -H "Ufo-Rover-Protocol: 1" -H "Content-Type: application/json" \
	    --data-binary @"$T/claim.json" http://localhost/api/v1/rover/claim
}

# seen_after ROVER TIME: the rover was seen (it claimed) since TIME.
seen_after()
{
	api GET "/rovers/$1" >/dev/null
	[ "$(jget last_seen_at)" != "$2" ]
}

# Being seen is kept to the second: both rovers were seen at enrolment,
# so their claims are seen only a second later.
sleep 1
api GET "/rovers/$ROVER_X" >/dev/null
claim_bg "$HOME/x.claim" "$HOME/x.json"
curl_x=$BG_PID
check "hang-up: the first rover claims" wait_for 20 seen_after "$ROVER_X" \
    "$(jget last_seen_at)"
check "hang-up: its claim is parked (nothing to hand out)" alive "$curl_x"
kill -KILL "$curl_x"
wait "$curl_x" 2>/dev/null
api GET "/rovers/$ROVER_Y" >/dev/null
claim_bg "$HOME/y.claim" "$HOME/y.json"
curl_y=$BG_PID
check "hang-up: the second rover claims" wait_for 20 seen_after "$ROVER_Y" \
    "$(jget last_seen_at)"
check "hang-up: its claim is parked too" alive "$curl_y"
ok "hang-up: an operation" ufo op create -t "After a hang-up" \
    -a pilot:claude x
hu_op=$out
last_run "$hu_op"
hu_run=$(jget id)
check "hang-up: the live claim is answered" wait_for 60 gone "$curl_y"
wait "$curl_y" 2>/dev/null
body=$(cat "$HOME/y.claim")
is "$(jget run.id)" "$hu_run" "hang-up: the live claim gets the run"
is "$(jget run.attempt)" 1 "hang-up: with attempt 1"
run_get "$hu_run"
is "$(jget status) $(jget rover)" "claimed $ROVER_Y" \
    "hang-up: the run is claimed by the rover that stayed"
api GET "/rovers/$ROVER_X" >/dev/null
is "$(jget units_busy)" 0 "hang-up: the rover that hung up holds nothing"
rover_api "$TOKEN_Y" POST "/rover/runs/$hu_run/start" '{"attempt": 1}' \
    >/dev/null
is "$(last_status) $(jget status)" "200 running" "hang-up: start"
rover_api "$TOKEN_Y" POST "/rover/runs/$hu_run/finish" '{"attempt": 1,
    "status": "succeeded", "final_message": "Done by hand."}' >/dev/null
is "$(last_status) $(jget status)" "200 succeeded" "hang-up: finish"
is "$(op_status "$hu_op")" in_review "hang-up: the operation is in review"

# --- No rover can run the pilot ----------------------------------------------

ok "no rover: an operation for codex, which no rover has" ufo op create \
    -t "Needs codex" -a pilot:codex "Create hello.txt"
nr_op=$out
is "$(op_status "$nr_op")" blocked "no rover: the operation is blocked"
last_run "$nr_op"
nr_run=$(jget id)
is "$(jget status)" queued "no rover: its run waits, queued"
api GET /signals >/dev/null
sig=$(jget 'items.*' | grep '"kind":"no_rover"' | grep "\"operation\":\"$nr_op\"")
isnt "$sig" "" "no rover: a no_rover signal"
like "$sig" "\"run\":\"$nr_run\"" "no rover: the signal names the run"
like "$sig" "pilot:codex" "no rover: it says which tag is missing"
PATH=$PATH_CODEX enroll "$HOME/cx.json" codexer || bail_out "cannot enroll"
ROVER_CX=$ROVER_ID
api GET "/rovers/$ROVER_CX" >/dev/null
like "$(jget auto_tags)" '"pilot:codex"' "no rover: the new rover has pilot:codex"
is "$(op_status "$nr_op")" in_progress \
    "no rover: enrolling it unblocks the operation"
run_get "$nr_run"
is "$(jget status)" queued "no rover: the run still waits for it"
run env PATH="$PATH_CODEX" timeout 60 "$UFO_ROVER_BIN" -f "$HOME/cx.json" \
    run --once
is "$rc" 0 "no rover: the codex rover runs it"
run_get "$nr_run"
is "$(jget status)" succeeded "no rover: the run succeeded"
is "$(jget rover)" "$ROVER_CX" "no rover: on the codex rover"
is "$(op_status "$nr_op")" in_review "no rover: the operation is in review"

# --- Two rovers racing for 200 runs ------------------------------------------

N=200
ok "race: a mission" ufo mission create RACE "The race"
enroll "$HOME/r1.json" racer-1 --units 4 || bail_out "cannot enroll"
RACER1=$ROVER_ID
enroll "$HOME/r2.json" racer-2 --units 4 || bail_out "cannot enroll"
RACER2=$ROVER_ID
# Half queued before the rovers start, half while they run.
i=1
made=0
while [ $i -le $N ]; do
	if [ $i -eq $((N / 2 + 1)) ]; then
		rover_bg "$HOME/r1.out" "$HOME/r1.json"
		racer1=$BG_PID
		rover_bg "$HOME/r2.out" "$HOME/r2.json"
		racer2=$BG_PID
	fi
	ufo op create -m RACE -t "Race $i" -a pilot:shell "echo $i" \
	    >/dev/null 2>&1 && made=$((made + 1))
	i=$((i + 1))
done
is "$made" "$N" "race: $N operations assigned to pilot:shell"

# race_runs: the runs of the RACE operations, "id status attempt rover".
race_runs()
{
	api GET "/runs?limit=1000" >/dev/null
	printf '%s' "$body" >"$T/runs.json"
	sqlite3 -batch -separator ' ' :memory: "SELECT
	    json_extract(value, '\$.id'), json_extract(value, '\$.status'),
	    json_extract(value, '\$.attempt'), json_extract(value, '\$.rover')
	    FROM json_each(readfile('$T/runs.json'), '\$.items')
	    WHERE json_extract(value, '\$.operation') LIKE 'RACE-%';" \
	    >"$T/race"
}

race_done()
{
	race_runs
	[ "$(grep -c ' succeeded ' "$T/race")" -ge "$N" ] ||
	    [ "$(awk '$2 == "queued" || $2 == "claimed" || $2 == "running"' \
	    "$T/race" | wc -l)" -eq 0 ]
}

check "race: every run ends" wait_for 180 race_done
is "$(wc -l <"$T/race" | tr -d ' ')" "$N" "race: one run per operation"
is "$(awk '{ print $1 }' "$T/race" | sort -u | wc -l | tr -d ' ')" "$N" \
    "race: $N distinct runs"
is "$(awk '$2 != "succeeded"' "$T/race")" "" "race: every run succeeded"
is "$(awk '$3 != 1' "$T/race")" "" "race: every run on attempt 1"
events "$T/events"
awk '{ print $1 }' "$T/race" | sort >"$T/race.ids"
awk -F'|' '$1 == "run.claimed" { print $2 }' "$T/events" | sort |
    uniq -c >"$T/claimed"
is "$(awk '{ print $2 }' "$T/claimed" | comm -13 - "$T/race.ids")" "" \
    "race: every run has a run.claimed event"
is "$(awk '$1 != 1 { print $2 }' "$T/claimed" | comm -12 - "$T/race.ids")" \
    "" "race: no run claimed twice"
# Claimed by whom the run says; both rovers took part.
n1=$(awk -v r="$RACER1" '$4 == r' "$T/race" | wc -l | tr -d ' ')
n2=$(awk -v r="$RACER2" '$4 == r' "$T/race" | wc -l | tr -d ' ')
is "$((n1 + n2))" "$N" "race: every run ran on one of the two rovers"
check "race: both rovers took runs ($n1 and $n2)" \
    test "$n1" -gt 0 -a "$n2" -gt 0
mismatch=$(awk -F'|' '$1 == "run.claimed" { print $2 " " $3 }' \
    "$T/events" | sort >"$T/claimer"
    awk '{ print $1 " " $4 }' "$T/race" | sort | comm -13 "$T/claimer" -)
is "$mismatch" "" "race: each run was finished by the rover that claimed it"
unlike "$(cat "$HOME/r1.out.err" "$HOME/r2.out.err")" \
    'lease is lost|refused' "race: no rover was fenced off"
api GET "/operations?mission=RACE&limit=1000" >/dev/null
is "$(jget 'items.*.status' | sort | uniq -c | awk '{ print $2 "=" $1 }')" \
    "in_review=$N" "race: every operation is in review"
stop_rover "$racer1"
stop_rover "$racer2"

# --- A rover killed mid-run (part 2) -----------------------------------------
#
# The lease of the killed rover ran out while the scenarios above ran (and
# across the restart of ufod): the sweeper requeued the run as attempt 2,
# claimable after a backoff of 2 s.

requeued()
{
	run_has "$lease_run" attempt 2 && [ "$(jget status)" = queued ]
}

if wait_for 90 requeued; then
	pass "rover kill: the sweeper requeues the run as attempt 2"
else
	fail "rover kill: the sweeper requeues the run as attempt 2" "$body"
fi
is "$(jget rover)" null "rover kill: nobody holds it"
is "$(op_status "$lease_op")" in_progress \
    "rover kill: the operation is still in progress"

# The dead rover's late calls, with its token and attempt 1.
rover_api "$TOKEN_A" POST "/rover/runs/$lease_run/messages" \
    '{"attempt": 1, "messages": [{"seq": 99, "type": "text",
    "data": {"text": "late"}}]}' >/dev/null
is "$(last_status)" 409 "rover kill: a late message batch gets 409"
rover_api "$TOKEN_A" POST "/rover/runs/$lease_run/start" \
    '{"attempt": 1}' >/dev/null
is "$(last_status)" 409 "rover kill: a late start gets 409"
rover_api "$TOKEN_A" POST "/rover/runs/$lease_run/finish" \
    '{"attempt": 1, "status": "succeeded", "final_message": "stale"}' \
    >/dev/null
is "$(last_status)" 409 "rover kill: a late finish gets 409"
rover_api "$TOKEN_A" POST /rover/heartbeat \
    "{\"runs\": [{\"id\": \"$lease_run\", \"attempt\": 1}]}" >/dev/null
like "$(jget lost)" "\"$lease_run\"" "rover kill: its heartbeat hears it lost the run"
run_get "$lease_run"
is "$(jget status) $(jget attempt) $(jget rover)" "queued 2 null" \
    "rover kill: the late calls changed nothing"
messages "$lease_run"
unlike "$(jget 'items.*.data.text')" "late" "rover kill: the late message is not kept"

run timeout 120 "$UFO_ROVER_BIN" -f "$HOME/b.json" run --once
is "$rc" 0 "rover kill: the second rover runs it"
run_get "$lease_run"
is "$(jget status)" succeeded "rover kill: the run succeeded"
is "$(jget attempt)" 2 "rover kill: as attempt 2"
is "$(jget rover)" "$ROVER_B" "rover kill: on the second rover"
isnt "$(jget final_message)" stale "rover kill: not with the stale finish"
finished_at=$(jget finished_at)
is "$(op_status "$lease_op")" in_review "rover kill: the operation is in review"
messages "$lease_run"
is "$(jget 'items.*.attempt' | grep -cx 2)" "$ref_count" \
    "rover kill: attempt 2 sent every message of its replay"
events "$T/events"
is "$(claims "$T/events" "$lease_run" | tr '\n' ',')" \
    "$ROVER_A 1,$ROVER_B 2," \
    "rover kill: claimed once per attempt, by the first then the second rover"
is "$(awk -F'|' -v r="$lease_run" '$1 == "run.finished" && $2 == r' \
    "$T/events" | wc -l | tr -d ' ')" 1 "rover kill: finished once"

rover_api "$TOKEN_A" POST "/rover/runs/$lease_run/finish" \
    '{"attempt": 1, "status": "failed", "error": "stale"}' >/dev/null
is "$(last_status)" 409 "rover kill: the stale rover's finish after the end: 409"
run_get "$lease_run"
is "$(jget status) $(jget attempt) $(jget rover) $(jget finished_at)" \
    "succeeded 2 $ROVER_B $finished_at" "rover kill: and it changed nothing"
is "$(op_status "$lease_op")" in_review "rover kill: the operation stays in review"

check "no rover or pilot of the test is left running" wait_for 20 no_strays

# The second ufod's log counts for sanitizer reports too.
if grep -Eq 'Sanitizer|runtime error:' "$LLOG" 2>/dev/null; then
	fail "ufod -R logged no sanitizer reports" \
	    "$(grep -E -A 12 'Sanitizer|runtime error:' "$LLOG" | head -n 40)"
else
	pass "ufod -R logged no sanitizer reports"
fi
done_testing
