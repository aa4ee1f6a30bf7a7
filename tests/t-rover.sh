#!/bin/sh
# ufo-rover against a real ufod, with fake pilots (tests/fake-pilot linked
# as claude, codex and goose on a private PATH) replaying the recorded
# transcripts: its command line and man page, enroll / list / remove, a run
# of every pilot kind to in_review with its diff, failures, garbage output,
# resume after a comment, cancel, timeout and a revoked rover.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
: "${UFO_ROVER_BIN:=$top_builddir/rover/ufo-rover}"
[ -x "$UFO_ROVER_BIN" ] || bail_out "no ufo-rover at $UFO_ROVER_BIN"

BIN=$HOME/bin
mkdir -p "$BIN"
for k in claude codex goose; do
	ln -s "$top_srcdir/tests/fake-pilot" "$BIN/$k"
done
PATH=$BIN:$PATH
UFO_FAKE_FIXTURES=$top_srcdir/tests/fixtures/pilots
UFO_FAKE_DELAY=0
export PATH UFO_FAKE_FIXTURES UFO_FAKE_DELAY

rover()
{
	"$UFO_ROVER_BIN" "$@"
}

# once [VAR=VALUE...]: one `ufo-rover run --once`, within 60 s.
once()
{
	run env "$@" timeout 60 "$UFO_ROVER_BIN" run --once
}

# group_gone PGID: no live process is left in the process group (a killed
# child may linger as a zombie until init reaps it: that one is gone).
group_gone()
{
	! ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {
	    found = 1 } END { exit !found }'
}

# --- The command line --------------------------------------------------------

ok "--version" rover --version
like "$out" '^ufo-rover [0-9.]+ \(protocol 1\)$' "--version names the protocol"
ok "--help" rover --help
like "$out" "ufo-rover enroll --server URL --code CODE" "--help lists enroll"
ok "help run" rover help run
like "$out" "usage: ufo-rover run \\[--once\\]" "help run: its usage"
fails 2 "no command" rover
fails 2 "an unknown command" rover fly
like "$err" 'unknown command "fly"' "the command is named"
fails 2 "enroll without --code" rover enroll --server unix:/x
like "$err" "usage: ufo-rover enroll" "the usage line of enroll"
fails 2 "run takes no argument" rover run now
fails 2 "remove needs a rover" rover remove
fails 2 "list takes no argument" rover list all
fails 1 "enroll with a bad URL" rover enroll --server ftp://x --code c
like "$err" "unix:/PATH" "the kinds of URL are named"
fails 1 "enroll with bad --units" rover enroll --server unix:/x --code c \
    --units 0
fails 1 "run with no registrations" rover run --once
like "$err" "enroll first" "run says to enroll first"
fails 1 "remove an unknown rover" rover remove nobody
ok "list with no registrations" rover list
is "$out" "" "nothing listed"

MAN=$top_srcdir/man/ufo-rover.8
: "${MANDOC:=}"
[ -n "$MANDOC" ] || MANDOC=$(command -v mandoc 2>/dev/null || true)
if [ -n "$MANDOC" ]; then
	lint=$("$MANDOC" -Tlint -W warning "$MAN" 2>&1)
	is "$lint" "" "mandoc -Tlint -W warning man/ufo-rover.8 is silent"
else
	skip "mandoc is not installed"
fi
missing=
for c in $(rover help | awk '$1 == "ufo-rover" && $2 ~ /^[a-z]+$/ {
    print $2 }'); do
	grep -Eq "^\\.(It )?Cm $c( |\$)" "$MAN" || missing="$missing $c"
done
is "$missing" "" "every command of ufo-rover help is in ufo-rover.8"
for o in registrations help version; do
	check "ufo-rover.8 documents --$o" grep -q "Fl \\\\-$o" "$MAN"
done
for o in server code name tag units once all; do
	check "ufo-rover.8 documents --$o" grep -q "Fl \\\\-$o" "$MAN"
done
for e in UFO_RUN UFO_ATTEMPT UFO_OPERATION UFO_MISSION UFO_WORKDIR HOME \
    PATH CLAUDE_CODE_MAX_RETRIES IS_SANDBOX GOOSE_MODE; do
	check "ufo-rover.8 documents $e" grep -q "Ev $e" "$MAN"
done

# --- Enroll, list, remove ----------------------------------------------------

start_ufod || bail_out "ufod did not start"
ok "an enrollment code" ufo rover code
CODE=$out
ok "enroll over the Unix socket" rover enroll --server "unix:$SOCK" \
    --code "$CODE" --name box --tag fast --units 1
like "$out" "^enrolled rover box \\(rov_[a-z0-9]+\\) with unix:" \
    "enroll says who it is"
REG=$HOME/.ufo/rovers.json
check "rovers.json exists" test -f "$REG"
is "$(stat -c %a "$REG")" 600 "rovers.json is 0600"
is "$(stat -c %a "$HOME/.ufo")" 700 "the .ufo directory is 0700"
body=$(cat "$REG")
ROVER=$(jget 0.id)
like "$ROVER" '^rov_' "the registration keeps the rover id"
like "$(jget 0.token)" '^ufor_' "and its token"
is "$(jget 0.server)" "unix:$SOCK" "and its server"
fails 1 "a code is used once" rover enroll --server "unix:$SOCK" \
    --code "$CODE"
ok "list" rover list
like "$out" "$ROVER +box +unix:$SOCK +1 +fast" "list shows the registration"
unlike "$out" "ufor_" "list never shows a token"
api GET "/rovers/$ROVER" >/dev/null
tags=$(jget auto_tags)
for t in pilot:claude pilot:codex pilot:goose pilot:shell pilot:command \
    os:linux "arch:$(uname -m)"; do
	like "$tags" "\"$t\"" "auto tag $t"
done
is "$(jget tags)" '["fast"]' "the user tag"

# A CLI whose --version fails earns no tag.
ok "a second code" ufo rover code
UFO_FAKE_VERSION_FAIL=1 run "$UFO_ROVER_BIN" -f "$HOME/other.json" enroll \
    --server "unix:$SOCK" --code "$out" --name nopilots
is "$rc" 0 "enroll into another registrations file (-f)"
body=$(cat "$HOME/other.json")
api GET "/rovers/$(jget 0.id)" >/dev/null
unlike "$(jget auto_tags)" "pilot:claude" \
    "no pilot:claude when claude --version fails"
like "$(jget auto_tags)" "pilot:shell" "pilot:shell all the same"
ok "remove from the other file" rover -f "$HOME/other.json" remove nopilots
like "$out" "removed rover nopilots" "remove says what it removed"
ok "the other file is empty" rover -f "$HOME/other.json" list
is "$out" "" "nothing left in it"
ok "revoke it on the server" ufo rover remove nopilots

# --- One run of each kind ----------------------------------------------------

ok "a command pilot" ufo pilot create echo --kind command --arg printf \
    --arg '%s\n' --arg 'said: {prompt}'
for kind in claude codex goose; do
	ok "$kind: an operation" ufo op create -t "Say hello via $kind" \
	    -a "pilot:$kind" "Create hello.txt"
	op=$out
	once UFO_FAKE_WRITE="hello.txt:hello from $kind" \
	    UFO_FAKE_LOG="$HOME/argv.log"
	is "$rc" 0 "$kind: run --once exits 0"
	[ "$rc" = 0 ] || diag "$err"
	last_run "$op"
	is "$(jget status)" succeeded "$kind: the run succeeded"
	is "$(jget attempt)" 1 "$kind: attempt 1"
	isnt "$(jget final_message)" null "$kind: a final message"
	ok "$kind: the operation" ufo --json op show "$op"
	is "$(jget status "$out")" in_review "$kind: the operation is in review"
	ok "$kind: run diff" ufo run diff "$(jget id)"
	like "$out" "^\\+hello from $kind" "$kind: the diff has the new file"
	ok "$kind: run logs" ufo --json run logs "$(jget id)"
	like "$out" '"type":"text"' "$kind: text messages"
	like "$out" '"type":"tool_use"' "$kind: tool_use messages"
	like "$out" '"type":"usage"' "$kind: a usage message"
	like "$out" 'ufo-rover: '"$kind"' in .*/operations/'"$op"'-say-hello' \
	    "$kind: the rover's note names the work dir"
done
last_run UFO-1
is "$(jget session_id)" cf29b6cd-d25e-449e-a1a0-2850a7b09449 \
    "claude: the session id is kept"
is "$(jget usage.input_tokens)" 45522 "claude: input tokens from the result"
is "$(jget usage.cost_usd)" 0.069411 "claude: cost from the result"
last_run UFO-2
is "$(jget session_id)" 01a202cf-4239-7c20-b2b8-b32c9980560d \
    "codex: the thread id is the session"
last_run UFO-3
like "$(jget session_id)" '^ufo-op_' "goose: the session is named"
like "$(grep '^goose|' "$HOME/argv.log")" '\|-n\|ufo-op_[a-z0-9]+\|' \
    "goose: -n SESSION-NAME"

ok "shell: an operation" ufo op create -t "Scripted" -a pilot:shell \
    'echo one; echo two >made.txt; echo "@@UFO_STATUS:done@@"'
op=$out
once
last_run "$op"
is "$(jget status)" succeeded "shell: succeeded"
ok "shell: the operation" ufo --json op show "$op"
is "$(jget status "$out")" 'done' "shell: @@UFO_STATUS:done@@ honoured"
ok "shell: run diff" ufo run diff "$(jget id)"
like "$out" '^\+two' "shell: the diff has what the script wrote"

ok "command: an operation" ufo op create -t "Echo" -a pilot:echo "hi there"
op=$out
once
last_run "$op"
is "$(jget status)" succeeded "command: succeeded"
like "$(jget final_message)" "hi there" "command: stdout is the final message"

# --- Resume after a comment --------------------------------------------------

: >"$HOME/argv.log"
ok "a comment on the claude operation" ufo op comment UFO-1 "Now say bye"
once UFO_FAKE_LOG="$HOME/argv.log"
last_run UFO-1
is "$(jget status)" succeeded "resume: succeeded"
is "$(jget resume)" true "resume: a resume run"
like "$(cat "$HOME/argv.log")" \
    '^claude\|-p\|Now say bye\|.*\|--resume\|cf29b6cd-d25e-449e-a1a0-2850a7b09449' \
    "resume: claude --resume SESSION with the comment as the prompt"
like "$(cat "$HOME/argv.log")" "cwd .*/operations/UFO-1-say-hello-via-claude" \
    "resume: in the same work dir"
is "$(jget usage.input_tokens)" 15312 "resume: this run's usage only"

# --- Failures ----------------------------------------------------------------

ok "claude 401: an operation" ufo op create -t "Bad key" -a pilot:claude x
op=$out
once UFO_FAKE_FIXTURE=claude_401_no_retry.jsonl
last_run "$op"
is "$(jget status)" failed "claude 401: failed"
is "$(jget error)" "claude: 401 Invalid API key · Fix external API key" \
    "claude 401: the reason"
is "$(jget exit_code)" 1 "claude 401: exit code"
ok "claude 401: the operation" ufo --json op show "$op"
is "$(jget status "$out")" blocked "claude 401: the operation is blocked"

ok "goose error: an operation" ufo op create -t "Goose key" -a pilot:goose x
op=$out
once UFO_FAKE_FIXTURE=goose_error.jsonl
last_run "$op"
is "$(jget status)" failed "goose error with exit 0: failed"
like "$(jget error)" "^goose: Request failed" "goose error: the reason"

ok "codex 401: an operation" ufo op create -t "Codex key" -a pilot:codex x
op=$out
once UFO_FAKE_FIXTURE=codex_401.jsonl
last_run "$op"
is "$(jget status)" failed "codex 401: failed"
like "$(jget error)" "^codex: unexpected status 401" "codex 401: the reason"

{
	printf '%s\n' 'not json' '{"type":"brand_new"}' \
	    '{"type":"assistant","message":{"content":[{"type":"text","text":"hi"}]}}'
	printf '\377\376 binary\n'
	printf '%s' '{"type":"result","is_er'
} >"$HOME/garbage.jsonl"
ok "garbage: an operation" ufo op create -t "Garbage" -a pilot:claude x
op=$out
once UFO_FAKE_FIXTURE="$HOME/garbage.jsonl"
last_run "$op"
is "$(jget status)" failed "garbage: no result is a failure"
is "$(jget error)" "claude: ended without a result" "garbage: the reason"
is "$(jget final_message)" hi "garbage: the last text is kept"
run_id=$(jget id)
api GET "/runs/$run_id/messages?limit=100" >/dev/null
is "$(jget 'items.*.type' | tr '\n' ' ')" "log log log text log log " \
    "garbage: every line kept, unknown and broken ones as logs"

ok "env: an operation" ufo op create -t "Env" -a pilot:claude x
op=$out
once CLAUDE_CODE_MAX_RETRIES=5
last_run "$op"
is "$(jget status)" succeeded "env: the kind's settings win over the rover's"

ok "exit status: a pilot" ufo pilot create failing --kind shell
ok "exit status: an operation" ufo op create -t "Fails" -a pilot:failing \
    'echo oops >&2; exit 3'
op=$out
once
last_run "$op"
is "$(jget status)" failed "exit status: failed"
is "$(jget error)" "exit status 3: oops" "exit status: the reason"

# --- Timeout and cancel ------------------------------------------------------

ok "a pilot with a 2 s timeout" ufo pilot create slow --kind claude \
    --timeout 2
ok "timeout: an operation" ufo op create -t "Slow" -a pilot:slow x
op=$out
once UFO_FAKE_SLEEP=60
last_run "$op"
is "$(jget status)" failed "timeout: failed"
is "$(jget error)" "timeout after 2 s" "timeout: the reason"

ok "cancel: an operation" ufo op create -t "Cancel me" -a pilot:claude x
op=$out
background "$HOME/cancel.out" env UFO_FAKE_SLEEP=60 UFO_FAKE_IGNORE_TERM=1 \
    UFO_FAKE_PIDFILE="$HOME/cancel.pid" "$UFO_ROVER_BIN" run --once
pid=$BG_PID
if wait_for 20 run_is "$op" running; then
	pass "cancel: the run is running"
else
	fail "cancel: the run is running" "$body"
fi
ok "cancel: ufo run cancel" ufo run cancel "$(jget id)"
# A heartbeat (10 s) brings it; SIGKILL follows SIGTERM after 5 s.
if wait_exit "$pid" 30; then
	is "$rc" 0 "cancel: the rover finished the run and exited"
else
	fail "cancel: the rover finished the run and exited"
fi
last_run "$op"
is "$(jget status)" cancelled "cancel: the run is cancelled"
# Its process group: the fake pilot and the sleep it ignores TERM in.
check "cancel: the pilot had a pid" test -s "$HOME/cancel.pid"
check "cancel: the pilot is gone" group_gone "$(cat "$HOME/cancel.pid")"

# --- Revoked -----------------------------------------------------------------

ok "revoke: an operation" ufo op create -t "Revoke me" -a pilot:claude x
op=$out
background "$HOME/revoke.out" env UFO_FAKE_SLEEP=60 \
    UFO_FAKE_PIDFILE="$HOME/revoke.pid" "$UFO_ROVER_BIN" run
pid=$BG_PID
if wait_for 20 run_is "$op" running; then
	pass "revoke: the run is running"
else
	fail "revoke: the run is running" "$body"
fi
ok "revoke: ufo rover remove" ufo rover remove "$ROVER"
if wait_exit "$pid" 30; then
	is "$rc" 1 "revoke: the rover stops, exit 1"
else
	fail "revoke: the rover stops, exit 1"
fi
like "$(cat "$HOME/revoke.out.err")" "was revoked" "revoke: it says why"
check "revoke: the pilot had a pid" test -s "$HOME/revoke.pid"
check "revoke: the pilot is gone" group_gone "$(cat "$HOME/revoke.pid")"

ok "remove --all" rover --all
like "$out" "removed rover box" "remove --all removes"
ok "list after remove --all" rover list
is "$out" "" "no registration left"

done_testing
