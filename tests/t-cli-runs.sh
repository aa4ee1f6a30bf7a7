#!/bin/sh
# Runs and rovers through the CLI: run list/show/logs/diff/cancel/retry,
# rover code/list/show/edit/remove, op assign --no-start, usage errors and
# unknown ids. No ufo-rover runs here: where a rover is needed, the test
# speaks the rover protocol itself with curl, the way a rover would.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
start_ufod || bail_out "ufod did not start"

# json_lines: succeeds when every line of stdin is one JSON document.
json_lines()
{
	while IFS= read -r _line; do
		json_valid "$_line" || return 1
	done
}

# --- Nothing there yet ------------------------------------------------------

ok "run list with no runs" ufo run list
is "$out" "" "an empty run list prints nothing"
ok "run list --json with no runs" ufo --json run list
is "$out" "[]" "an empty run list is []"
ok "rover list with no rovers" ufo --json rover list
is "$out" "[]" "no rover is enrolled"

# --- Usage errors -----------------------------------------------------------

fails 2 "run show needs a run" ufo run show
like "$err" "usage: ufo run show RUN" "the usage line of run show"
fails 2 "run logs takes one run" ufo run logs a b
fails 2 "run diff takes one run" ufo run diff a b
fails 2 "run list takes no argument" ufo run list extra
fails 2 "run list -n 0" ufo run list -n 0
like "$err" 'invalid limit "0"' "the limit is named"
fails 2 "run list -n x" ufo run list -n x
fails 2 "run logs with an unknown option" ufo run logs -x RUN
like "$err" "unknown option -x" "the option is named"
fails 2 "run cancel needs a run" ufo run cancel
fails 2 "run retry needs a run" ufo run retry
fails 2 "rover code --uses 0" ufo rover code --uses 0
like "$err" 'invalid --uses "0"' "--uses is named"
fails 2 "rover code --uses x" ufo rover code --uses x
fails 2 "rover code --expires soon" ufo rover code --expires soon
like "$err" 'invalid --expires "soon"' "--expires is named"
fails 2 "rover code --tag \"\"" ufo rover code --tag ""
fails 2 "rover code takes no argument" ufo rover code extra
fails 2 "rover edit with nothing to change" ufo rover edit someone
like "$err" "nothing to change" "rover edit says there is nothing to do"
fails 2 "rover edit --units x" ufo rover edit someone --units x
fails 2 "rover show needs a rover" ufo rover show
fails 2 "rover remove needs a rover" ufo rover remove
fails 2 "op assign takes --no-start only" ufo op assign UFO-1 pilot:shell \
    --later
fails 2 "an unknown run subcommand" ufo run frobnicate
like "$err" 'unknown command "run frobnicate"' "the subcommand is named"

# --- Unknown runs and rovers ------------------------------------------------

for c in show logs diff cancel retry; do
	fails 1 "run $c of an unknown run" ufo run $c run_nosuchrunnosuchrunno
	like "$err" "run_nosuchrunnosuchrunno" "run $c names the unknown run"
done
fails 1 "run logs -f of an unknown run" ufo run logs -f nosuch
like "$err" "nosuch" "run logs -f names the unknown run"
for c in show remove; do
	fails 1 "rover $c of an unknown rover" ufo rover $c nosuchrover
	like "$err" "rover nosuchrover not found" \
	    "rover $c names the unknown rover"
done
fails 1 "rover edit of an unknown rover" ufo rover edit nosuchrover --units 2
like "$err" "nosuchrover" "rover edit names the unknown rover"

# --- Enrollment codes -------------------------------------------------------

ok "rover code" ufo rover code
like "$out" '^ufoenr_[A-Za-z0-9_-]+$' "rover code prints the code"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "on one line"
code=$out
unlike "$err" "$code" "the code is not repeated on stderr"
like "$err" "only time it is shown" "stderr says it is shown once"
like "$err" "ufo-rover enroll --server unix:$SOCK" \
    "stderr says how to enroll over this socket"

ok "rover code --uses --expires --tag" ufo --json rover code --uses 3 \
    --expires 2h --tag gpu --tag big
json_valid "$out"
tap_result $? "rover code --json is JSON"
is "$(jget uses "$out")" 3 "--uses is sent"
is "$(jget tags "$out")" '["big","gpu"]' "--tag is sent (tags are kept sorted)"
like "$(jget code "$out")" '^ufoenr_' "the JSON holds the code"
expires=$(jget expires_at "$out")
want=$(date -u -d '+2 hours' +%Y-%m-%dT%H 2>/dev/null || true)
if [ -n "$want" ]; then
	# Within the hour either side of now + 2 h, whatever the minute.
	wantm=$(date -u -d '+2 hours -1 minute' +%Y-%m-%dT%H)
	wantp=$(date -u -d '+2 hours +1 minute' +%Y-%m-%dT%H)
	case $expires in
	"$want"*|"$wantm"*|"$wantp"*) pass "--expires 2h is sent" ;;
	*) fail "--expires 2h is sent" "expires_at: $expires" ;;
	esac
else
	skip "date -d is not GNU date"
fi
code3=$(jget code "$out")

# --- A rover, enrolled the way ufo-rover does it ----------------------------

api -H "Ufo-Rover-Protocol: 1" POST /rover/enroll "{\"code\":\"$code3\",
    \"name\":\"crate\",\"version\":\"0.1.0\",\"host\":\"testhost\",
    \"auto_tags\":[\"pilot:shell\",\"os:linux\"],\"units\":2}" >/dev/null
is "$status" 201 "a rover enrolls with the code"
RTOKEN=$(jget token)
ROVER=$(jget rover.id)
like "$ROVER" '^rov_' "the rover has an id"

ok "rover list" ufo rover list
like "$out" '^NAME +ID +STATE +UNITS +TAGS +VERSION +LAST-SEEN +TRANSPORT$' \
    "rover list has its header"
short=$(printf '%s' "$ROVER" | cut -c5-12)
like "$out" "^crate +$short +(online|busy|offline) +0/2 +.*gpu.*pilot:shell" \
    "rover list shows name, short id, state, units and tags"
like "$out" "0\\.1\\.0 +[0-9]+s ago" "rover list shows version and last seen"
ok "rover list --json" ufo --json rover list
is "$(jget 0.id "$out")" "$ROVER" "rover list --json has the rover"

ok "rover show by name" ufo rover show crate
like "$out" "^name: +crate$" "rover show shows the name"
like "$out" "^id: +$ROVER$" "rover show shows the id"
like "$out" "^auto tags: +os:linux, pilot:shell$" "rover show shows auto tags"
like "$out" "^host: +testhost$" "rover show shows the host"
ok "rover show by short id" ufo --json rover show "$short"
is "$(jget id "$out")" "$ROVER" "a short id finds the rover"
ok "rover show by id prefix with rov_" ufo --json rover show \
    "rov_$(printf '%s' "$short" | cut -c1-4)"
is "$(jget id "$out")" "$ROVER" "a prefix with rov_ finds the rover"

ok "rover edit" ufo rover edit crate --name box --tag fast --tag gpu \
    --units 3
is "$out" "" "rover edit prints nothing"
ok "rover show after edit" ufo --json rover show box
is "$(jget name "$out")" box "--name renames"
is "$(jget tags "$out")" '["fast","gpu"]' "--tag replaces the tags"
is "$(jget units "$out")" 3 "--units changes the units"
ok "rover edit --tag \"\"" ufo --json rover edit box --tag ""
is "$(jget tags "$out")" '[]' "--tag \"\" clears the tags"
is "$(jget name "$out")" box "the name stays"

# --- op assign --no-start ---------------------------------------------------

ok "create an operation for a pilot, not started" ufo --json op create \
    -t "Say hello" -a pilot:shell --no-start "echo hello"
op=$(jget code "$out")
is "$(jget status "$out")" backlog "op create --no-start keeps the status"
ok "run list -o of an op never started" ufo --json run list -o "$op"
is "$out" "[]" "op create --no-start queues no run"

ok "op assign --no-start" ufo op assign "$op" pilot:shell --no-start
ok "op show after op assign --no-start" ufo --json op show "$op"
is "$(jget status "$out")" backlog "op assign --no-start keeps the status"
is "$(jget assignee "$out")" pilot:shell "op assign --no-start assigns"
ok "run list -o after op assign --no-start" ufo --json run list -o "$op"
is "$out" "[]" "op assign --no-start queues no run"

ok "op assign" ufo op assign "$op" pilot:shell
ok "run list -o after op assign" ufo --json run list -o "$op"
is "$(jget '#' "$out")" 1 "op assign queues one run"
RUN=$(jget 0.id "$out")
like "$RUN" '^run_' "the run has an id"
is "$(jget 0.status "$out")" queued "the run is queued"
is "$(jget 0.pilot "$out")" shell "the run is the pilot's"
ok "op show after op assign" ufo --json op show "$op"
is "$(jget status "$out")" in_progress "a queued run puts the op in progress"

run_short=$(printf '%s' "$RUN" | cut -c5-12)
ok "run list" ufo run list
like "$out" '^RUN +OP +PILOT +STATUS +ATTEMPT +ROVER +AGE +DURATION +COST$' \
    "run list has its header"
like "$out" "^$run_short +$op +shell +queued +1/[0-9]+ +- +[0-9]+s +- +-$" \
    "run list shows the queued run"
ok "run show by short id" ufo run show "$run_short"
like "$out" "^$RUN +$op +queued$" "run show starts with id, op, status"
like "$out" "^prompt:$" "run show shows the prompt"
like "$out" "^    echo hello$" "the prompt is the op's body"
ok "run logs of a run with no messages" ufo run logs "$run_short"
is "$out" "" "nothing said, nothing printed"
fails 1 "run diff of a queued run" ufo run diff "$run_short"
like "$err" "run $RUN has no diff" "run diff says there is none"

# --- A run, from claim to finish --------------------------------------------

rover_api "$RTOKEN" POST /rover/claim '{"wait":0,"auto_tags":["pilot:shell","os:linux"],
    "free_units":2}' >/dev/null
is "$status" 200 "the rover claims"
is "$(jget run.id)" "$RUN" "the rover gets the run"
attempt=$(jget run.attempt)
rover_api "$RTOKEN" POST "/rover/runs/$RUN/start" \
    "{\"attempt\":$attempt,\"session_id\":\"sess-1\"}" >/dev/null
is "$status" 200 "the rover starts the run"

rover_api "$RTOKEN" POST "/rover/runs/$RUN/messages" "{\"attempt\":$attempt,
    \"messages\":[
    {\"seq\":1,\"type\":\"text\",\"data\":{\"text\":\"Looking at it.\"}},
    {\"seq\":2,\"type\":\"thinking\",\"data\":{\"text\":\"Cold hinge.\"}},
    {\"seq\":3,\"type\":\"tool_use\",\"data\":{\"id\":\"t1\",\"name\":\"Bash\",
     \"input\":{\"command\":\"ls -la\",\"description\":\"list\"}}},
    {\"seq\":4,\"type\":\"tool_result\",\"data\":{\"id\":\"t1\",
     \"output\":\"l1\\nl2\\nl3\\nl4\\nl5\\nl6\\nl7\",\"is_error\":false}},
    {\"seq\":5,\"type\":\"log\",\"data\":{\"line\":\"warming up\"}}]}" \
    >/dev/null
is "$status" 200 "the rover sends messages"

ok "run list shows the rover by name" ufo run list -o "$op"
like "$out" "^$run_short +$op +shell +running +1/[0-9]+ +box " \
    "the running run shows its rover"

# A follower that comes in the middle gets what was said, then the rest.
background "$T/follow" ufo run logs -f "$RUN"
follower=$BG_PID
wait_for 10 grep -q "warming up" "$T/follow"
tap_result $? "run logs -f prints the messages so far"

rover_api "$RTOKEN" POST "/rover/runs/$RUN/messages" "{\"attempt\":$attempt,
    \"messages\":[
    {\"seq\":6,\"type\":\"error\",\"data\":{\"message\":\"rate limited\"}},
    {\"seq\":7,\"type\":\"usage\",\"data\":{\"input_tokens\":120,
     \"output_tokens\":30,\"cost_usd\":0.25}},
    {\"seq\":8,\"type\":\"text\",\"data\":{\"text\":\"Done.\"}}]}" >/dev/null
wait_for 10 grep -q "Done\\." "$T/follow"
tap_result $? "run logs -f prints new messages as they come"
# A batch sent twice (a retry) is stored once, and printed once.
rover_api "$RTOKEN" POST "/rover/runs/$RUN/messages" "{\"attempt\":$attempt,
    \"messages\":[
    {\"seq\":8,\"type\":\"text\",\"data\":{\"text\":\"Done.\"}}]}" >/dev/null
alive "$follower"
tap_result $? "run logs -f waits while the run is running"

# A new file, with a line in Latin-1: a diff is bytes, not text.
printf '%s\n' 'diff --git a/hello b/hello' 'new file mode 100644' \
    'index 0000000..1' '--- /dev/null' '+++ b/hello' '@@ -0,0 +1,2 @@' \
    '+hello' >"$T/git.diff"
printf '+caf\351\n' >>"$T/git.diff"
rover_api "$RTOKEN" -T text/x-diff POST \
    "/rover/runs/$RUN/artifacts/git.diff?attempt=$attempt" \
    "@$T/git.diff" >/dev/null
is "$status" 201 "the rover uploads the diff"
rover_api "$RTOKEN" POST "/rover/runs/$RUN/finish" "{\"attempt\":$attempt,
    \"status\":\"succeeded\",\"exit_code\":0,\"final_message\":\"All done.\",
    \"session_id\":\"sess-1\",\"usage\":{\"input_tokens\":120,
    \"output_tokens\":30,\"cache_read_tokens\":7,\"cost_usd\":0.25}}" \
    >/dev/null
is "$status" 200 "the rover finishes the run"

if wait_exit "$follower" 10; then
	is "$rc" 0 "run logs -f ends by itself when the run ends"
else
	fail "run logs -f ends by itself when the run ends"
	kill "$follower" 2>/dev/null
fi
is "$(grep -c "Done\\." "$T/follow")" 1 "each message is printed once"
like "$(tail -n 1 "$T/follow")" "^run succeeded" \
    "the follower's last line says how the run ended"

# --- Reading a finished run -------------------------------------------------

ok "run logs" ufo run logs "$run_short"
is "$out" "$(cat "$T/follow")" "a late reader gets what the follower got"
like "$out" "^Looking at it\\.$" "text is printed as it is"
like "$out" "^  Cold hinge\\.$" "thinking is indented"
like "$out" "^→ Bash ls -la$" "a tool call is an arrow, its name and command"
like "$out" "^← l1$" "a tool's output follows a back arrow"
like "$out" "^   l5$" "its first lines are shown"
unlike "$out" "l6" "the rest is left out"
like "$out" "2 more lines" "what was left out is counted"
like "$out" "^warming up$" "log lines are printed"
like "$out" "^error: rate limited$" "errors are printed"
like "$out" "^usage: 120 in, 30 out" "usage is printed"
like "$out" "^run succeeded .*exit 0" "the last line says how it ended"

ok "run logs -f of a finished run" ufo run logs -f "$RUN"
is "$out" "$(cat "$T/follow")" "a late follower replays from the start"

ok "run logs --json" ufo --json run logs "$RUN"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 8 \
    "run logs --json prints one line per message"
printf '%s\n' "$out" | json_lines
tap_result $? "each line is JSON"
is "$(printf '%s\n' "$out" | head -n 1 | sed 's/.*"seq": *\([0-9]*\).*/\1/')" \
    1 "the first line is the first message"
ok "run logs -f --json" ufo --json run logs -f "$RUN"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 8 \
    "run logs -f --json prints the messages and nothing else"

ok "run show" ufo run show "$RUN"
like "$out" "^$RUN +$op +succeeded$" "run show says it succeeded"
like "$out" "^rover: +box \\($ROVER\\)$" "run show shows the rover"
like "$out" "^session: +sess-1$" "run show shows the session"
like "$out" "^exit code: +0$" "run show shows the exit code"
like "$out" "^tokens: +120 in, 30 out, 7 cache read$" "run show shows tokens"
like "$out" '^cost: +\$0\.2500$' "run show shows the cost"
like "$out" "^final message:$" "run show has the final message"
like "$out" "^    All done\\.$" "the final message is indented"
ok "run show --json" ufo --json run show "$RUN"
is "$(jget status "$out")" succeeded "run show --json is the run"

ok "run diff" ufo run diff "$RUN"
cmp -s "$T/out" "$T/git.diff"
tap_result $? "run diff pipes the diff byte for byte"
ok "run diff --json" ufo --json run diff "$RUN"
is "$(jget diff "$out")" null "a diff that is not UTF-8 is not text"
is "$(jget size "$out")" "$(wc -c <"$T/git.diff" | tr -d ' ')" \
    "run diff --json has the size"
printf '%s' "$(jget diff_base64 "$out")" | base64 -d >"$T/diff.back" \
    2>/dev/null
cmp -s "$T/diff.back" "$T/git.diff"
tap_result $? "run diff --json has the bytes in base64"

ok "run list shows the duration and cost" ufo run list -o "$op"
row="^$run_short +$op +shell +succeeded +1/[0-9]+ +box +[0-9]+s +[0-9]+s"
like "$out" "$row +\\\$0\\.25$" "run list shows a finished run"

# --- Retry and cancel -------------------------------------------------------

ok "run retry" ufo run retry "$run_short"
like "$out" '^run_[a-z2-7]+$' "run retry prints the new run's id"
RUN2=$out
isnt "$RUN2" "$RUN" "the retry is a new run"
ok "run list after retry" ufo --json run list -o "$op"
is "$(jget '#' "$out")" 2 "the op has two runs"
is "$(jget 0.id "$out")" "$RUN2" "newest first"
is "$(jget 0.status "$out")" queued "the new run is queued"

ok "run list -n 1" ufo --json run list -n 1
is "$(jget '#' "$out")" 1 "-n 1 lists one run"
ok "run list -s succeeded" ufo --json run list -s succeeded
is "$(jget '*.id' "$out")" "$RUN" "-s filters by status"
ok "run list -s queued -s succeeded" ufo --json run list -s queued \
    -s succeeded
is "$(jget '#' "$out")" 2 "-s may repeat"

fails 1 "a prefix of two runs" ufo run show run_
like "$err" "ambiguous" "an ambiguous prefix is refused"
like "$err" "$RUN" "the candidates are named"

ok "run cancel" ufo run cancel "$RUN2"
is "$out" "" "run cancel prints nothing"
ok "run show after cancel" ufo --json run show "$RUN2"
is "$(jget status "$out")" cancelled "a queued run is cancelled at once"
fails 1 "run diff of a cancelled run" ufo run diff "$RUN2"
like "$err" "has no diff" "a cancelled run has no diff"
ok "run cancel --json" ufo --json run cancel "$RUN2"
json_valid "$out"
tap_result $? "run cancel --json prints the run"

# --- Removing the rover -----------------------------------------------------

ok "rover remove" ufo rover remove box
is "$out" "" "rover remove prints nothing"
ok "rover show after remove" ufo --json rover show "$ROVER"
is "$(jget state "$out")" revoked "the rover is revoked"

done_testing
