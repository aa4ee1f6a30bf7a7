#!/bin/sh
# Enrollment codes and revocation under pressure: a single-use code raced
# by eight enrollments at once (curl and ufo-rover) gives one rover; a code
# of three uses raced by six gives three; an expired code is refused and
# used by nobody; a revoked user token is refused on the very next request,
# cached or parked (a long-poll, an event stream); a revoked rover is
# refused at once and its ufo-rover stops.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
: "${UFO_ROVER_BIN:=$top_builddir/rover/ufo-rover}"
[ -x "$UFO_ROVER_BIN" ] || bail_out "no ufo-rover at $UFO_ROVER_BIN"

start_ufod_tcp

# code USES [EXPIRES_IN]: a new enrollment code in $code, its id in $code_id.
code()
{
	_b="{\"uses\":$1"
	[ -z "${2:-}" ] || _b="$_b,\"expires_in\":$2"
	api POST /rover-codes "$_b}" >/dev/null
	[ "$status" = 201 ] || bail_out "POST /rover-codes: $status $body"
	code=$(jget code)
	code_id=$(jget id)
}

# used ID: how many times the database says code ID was used.
used()
{
	sqlite3 -batch "$DB" "SELECT used FROM enrollment_codes WHERE id = '$1'"
}

# rovers PREFIX: how many live rovers have a name starting with PREFIX.
rovers()
{
	api GET "/rovers?limit=1000" >/dev/null
	jget 'items.*.name' | grep -c "^$1" || true
}

# race N PREFIX CMD...: runs N copies of CMD at once (each waits for the
# same go file, then runs), "%i" in an argument being the copy's number;
# copy i's status is in $T/PREFIX.i.rc, its output in .out and .err.
race()
{
	_n=$1
	_p=$2
	shift 2
	rm -f "$T/go"
	_pids=
	_i=1
	while [ $_i -le "$_n" ]; do
		(
			_args=
			for _a in "$@"; do
				_args="$_args $(shquote "$(printf '%s' "$_a" |
				    sed "s/%i/$_i/g")")"
			done
			while [ ! -e "$T/go" ]; do
				sleep 0.01
			done
			_rc=0
			eval "$_args" >"$T/$_p.$_i.out" 2>"$T/$_p.$_i.err" \
			    </dev/null || _rc=$?
			echo "$_rc" >"$T/$_p.$_i.rc"
		) &
		_pids="$_pids $!"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086 # one pid a word
	track $_pids
	: >"$T/go"
	# shellcheck disable=SC2086 # one pid a word
	wait $_pids
}

# count PREFIX FILE-SUFFIX TEXT: how many copies' FILE holds TEXT exactly.
count()
{
	cat "$T/$1".*."$2" 2>/dev/null | grep -cx -- "$3" || true
}

# enroll_curl CODE NAME: POST /rover/enroll on the socket; prints the
# status then the body.
enroll_curl()
{
	curl -s --max-time 60 --unix-socket "$SOCK" -o "$T/enroll.$2.body" \
	    -w '%{http_code}\n' -H 'Content-Type: application/json' \
	    -H 'Ufo-Rover-Protocol: 1' \
	    --data-binary "{\"code\":\"$1\",\"name\":\"$2\"}" \
	    http://localhost/api/v1/rover/enroll
	cat "$T/enroll.$2.body"
}

# --- A single-use code raced by eight ----------------------------------------

code 1
race 8 one enroll_curl "$code" "one-%i"
is "$(count one rc 0)" 8 "eight enrollments ran"
is "$(cat "$T"/one.*.out | grep -cx 201)" 1 \
    "a single-use code raced by eight curl enrollments: one 201"
is "$(cat "$T"/one.*.out | grep -cx 401)" 7 "the seven others: 401"
is "$(cat "$T"/one.*.out | grep -c '"enrollment code already used"')" 7 \
    "each saying the code is already used"
is "$(rovers one-)" 1 "one rover was made"
is "$(used "$code_id")" 1 "the code was used once"
winner=$(grep -lx 201 "$T"/one.*.out)
body=$(sed -n 2p "$winner")
like "$(jget token)" '^ufor_' "the winner got a rover token"

code 1
race 8 rov "$UFO_ROVER_BIN" -f "$T/rovers-%i.json" enroll --server \
    "unix:$SOCK" --code "$code" --name "rov-%i"
is "$(count rov rc 0)" 1 \
    "a single-use code raced by eight ufo-rover enroll: one exits 0"
is "$(count rov rc 1)" 7 "the seven others exit 1"
is "$(cat "$T"/rov.*.err | grep -c \
    "^ufo-rover: enroll with unix:$SOCK: enrollment code already used$")" \
    7 "each saying the code is already used"
is "$(cat "$T"/rovers-*.json 2>/dev/null | grep -c '"token"')" 1 \
    "one registration was written"
is "$(rovers rov-)" 1 "one rover was made"
is "$(used "$code_id")" 1 "the code was used once"

# --- A code of three uses raced by six ---------------------------------------

code 3
race 6 three enroll_curl "$code" "three-%i"
is "$(cat "$T"/three.*.out | grep -cx 201)" 3 \
    "a three-use code raced by six: three 201"
is "$(cat "$T"/three.*.out | grep -cx 401)" 3 "three 401"
is "$(rovers three-)" 3 "three rovers were made"
is "$(used "$code_id")" 3 "the code was used three times"
run enroll_curl "$code" three-late
is "$(printf '%s\n' "$out" | head -n 1)" 401 "a seventh, later, is refused"

# --- Expired codes -----------------------------------------------------------

code 2 1
expired_id=$code_id
expired=$code
# The code lives one second on ufod's clock; two seconds later it is dead
# however slow this machine is.
sleep 2
run enroll_curl "$expired" late-1
is "$(printf '%s\n' "$out" | head -n 1)" 401 "an expired code is refused: 401"
like "$out" '"enrollment code expired"' "saying it expired"
run "$UFO_ROVER_BIN" -f "$T/late.json" enroll --server "unix:$SOCK" \
    --code "$expired" --name late-2
is "$rc" 1 "ufo-rover enroll with an expired code exits 1"
like "$err" "enrollment code expired" "saying it expired"
check "no registration is written" test ! -s "$T/late.json"
is "$(used "$expired_id")" 0 "the expired code was used by nobody"
is "$(rovers late-)" 0 "no rover was made"
ok "ufo rover code --expires 1s" ufo --json rover code --expires 1s
cli_code=$(jget code "$out")
sleep 2
run "$UFO_ROVER_BIN" -f "$T/late.json" enroll --server "unix:$SOCK" \
    --code "$cli_code"
like "$err" "enrollment code expired" "a code of ufo rover code --expires 1s expires"
run enroll_curl ufoenr_no_such_code_at_all_0123456789abcdef nobody
is "$(printf '%s\n' "$out" | head -n 1)" 401 "an unknown code: 401"
like "$out" '"invalid enrollment code"' "saying it is invalid"

# --- A revoked user token ----------------------------------------------------

TOKEN=$(jget token "$(ufo --json token create doomed 2>/dev/null)")
like "$TOKEN" '^ufo_' "a user token"
API_URL=$URL
i=0
while [ $i -lt 5 ]; do
	api -H "Authorization: Bearer $TOKEN" GET /operations >/dev/null
	[ "$status" = 200 ] || break
	i=$((i + 1))
done
is "$i" 5 "the token works, five times in a row (remembered by ufod)"
unset API_URL

# last_event: the id of the newest event.
last_event()
{
	jget events "$(curl -s --max-time 10 --unix-socket "$SOCK" \
	    http://localhost/api/v1/server)"
}

# An event stream open with the token, and a long-poll parked with it.
background "$T/stream" "$UFO_BIN" --server "$URL" --token "$TOKEN" \
    events -f --since "$(last_event)"
stream=$BG_PID
ok "an operation while the stream is open" ufo op create -t "Before" x
check "the stream shows it" wait_for 30 grep -q '"operation.created"' \
    "$T/stream"
background "$T/poll" curl -s --max-time 90 -o "$T/poll.body" \
    -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
    "$URL/api/v1/events?since=$(last_event)&wait=60"
poll=$BG_PID
# Time for it to park; parked or not, the revocation must refuse it.
sleep 1
check "the long-poll waits" alive "$poll"

ok "revoke the token" ufo token revoke "$TOKEN"
API_URL=$URL
api -H "Authorization: Bearer $TOKEN" GET /operations >/dev/null
is "$status" 401 "the very next request with it: 401"
unset API_URL
if wait_exit "$poll" 30; then
	pass "the parked long-poll answers at once"
else
	fail "the parked long-poll answers at once"
fi
is "$(cat "$T/poll")" 401 "and it answers 401, not the revocation's event"
check "the event stream ends" wait_for 30 gone "$stream"
wait_exit "$stream" 5
is "$rc" 1 "ufo events -f exits 1"
like "$(cat "$T/stream.err")" 'unauthori|revoked|401' "saying it is refused"
ok "an operation after the revoke" ufo op create -t "After the revoke" x
unlike "$(cat "$T/stream")" "$(jget id "$(ufo --json op show "$out")")" \
    "the stream never showed it"

# --- A revoked rover ---------------------------------------------------------

code 1
run "$UFO_ROVER_BIN" enroll --server "$URL" --code "$code" --name doomed-rover
is "$rc" 0 "a rover enrolled over TCP"
body=$(cat "$HOME/.ufo/rovers.json")
RTOKEN=$(jget 0.token)
ROVER=$(jget 0.id)
background "$T/rover" "$UFO_ROVER_BIN" -v run
rover=$BG_PID
check "the rover comes online" wait_for 30 sh -c \
    "curl -s --unix-socket '$SOCK' http://localhost/api/v1/rovers/$ROVER |
    grep -q '\"state\":\"online\"'"
API_URL=$URL
rover_api "$RTOKEN" POST /rover/heartbeat '{}' >/dev/null
is "$status" 200 "its token works"
unset API_URL
ok "revoke the rover" ufo rover remove doomed-rover
API_URL=$URL
rover_api "$RTOKEN" POST /rover/heartbeat '{}' >/dev/null
is "$status" 401 "the very next request with its token: 401"
like "$(jget error.message)" "revoked" "saying it is revoked"
rover_api "$RTOKEN" POST /rover/claim '{"wait":0}' >/dev/null
is "$status" 401 "a claim too"
unset API_URL
if wait_exit "$rover" 30; then
	is "$rc" 1 "its ufo-rover stops, exit 1"
else
	fail "its ufo-rover stops, exit 1"
fi
like "$(cat "$T/rover.err")" "was revoked" "saying it was revoked"

done_testing
