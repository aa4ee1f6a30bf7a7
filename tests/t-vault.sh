#!/bin/sh
# The credentials vault: ufo cred set/list/rm and their API, a run whose
# pilot names credentials (the pilot sees them in its environment, its
# messages, final message and diff arrive masked, and no file ufod or the
# rover wrote holds a value), a credential missing at claim time, a wrong
# or missing master key (refused, the database untouched), the master key
# from a named file or variable, and rotation (also one interrupted).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
# The fake claude shows this variable's value in a text and a tool input.
UFO_FAKE_SHOW_ENV=MY_API_KEY
export UFO_FAKE_SHOW_ENV
board_fixture_ufod || bail_out "ufod did not start"

SECRET=sk-vault-7f3a9c2e-SECRET-4242
MULTI_1=first-line-of-a-pem-QWERTY
MULTI_2=second-line-of-a-pem-ZXCVBN
KEYFILE=$XDG_DATA_HOME/ufo/master.key

sha()
{
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# new_key: 64 hex digits of a random key.
new_key()
{
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

# nowhere: no file under $HOME holds the plaintext of any credential.
nowhere()
{
	! grep -rlF -e "$SECRET" -e "$MULTI_1" -e "$MULTI_2" \
	    -e "$TTY_VALUE" "$HOME" \
	    >"$T/found" 2>/dev/null
}

# --- The master key ---------------------------------------------------------

check "ufod made the master key on its first start" test -f "$KEYFILE"
is "$(stat -c %a "$KEYFILE")" 600 "the master key file is 0600"
like "$(cat "$KEYFILE")" '^[0-9a-f]{64}$' "it holds 64 hex digits"
like "$(cat "$UFOD_LOG")" "created master key $KEYFILE" \
    "ufod says where it put it"

# --- Setting, listing, removing ---------------------------------------------

ok "cred list with none" ufo cred list
is "$out" "" "no credential yet"
run_in "$SECRET
" ufo cred set apikey MY_API_KEY
is "$rc" 0 "cred set reads the value from stdin"
is "$out" apikey "it prints the name"
run_in "$(printf '%s\n%s' "$MULTI_1" "$MULTI_2")" ufo cred set pem MY_PEM
is "$rc" 0 "a multi-line value"
ok "cred list" ufo cred list
like "$out" '^NAME +ENV +SET BY +UPDATED' "the list has a header"
like "$out" 'apikey +MY_API_KEY +[^ ]+@' "apikey, its variable, who set it"
like "$out" 'pem +MY_PEM' "and pem"
ok "cred list --json" ufo --json cred list
is "$(jget '*.name' "$out" | tr '\n' ' ')" "apikey pem " \
    "both, in name order"
is "$(jget '0.env' "$out")" MY_API_KEY "its variable"
unlike "$out" '"value"' "no value is listed"
unlike "$out" "$SECRET" "the list never holds the value"
api GET /credentials >/dev/null
is "$status" 200 "GET /credentials"
unlike "$body" "$SECRET" "the API list holds no value"
api GET "/events?since=0" >/dev/null
like "$body" '"credential.set"' "setting one is an event"
unlike "$body" "$SECRET" "the events hold no value"

run_in "another-value-123" ufo --json cred set apikey MY_API_KEY
is "$rc" 0 "cred set replaces a value"
api PUT /credentials/apikey "{\"env\":\"MY_API_KEY\",\"value\":\"$SECRET\"}" \
    >/dev/null
is "$status" 200 "PUT over an existing credential is 200"
api PUT /credentials/extra '{"env":"EXTRA_KEY","value":"extra-value-1"}' \
    >/dev/null
is "$status" 201 "PUT of a new one is 201"
api DELETE /credentials/extra >/dev/null
is "$status" 200 "DELETE removes it"
like "$(jget name)" extra "and answers what it removed"
api DELETE /credentials/extra >/dev/null
is "$status" 404 "removing it again is 404"
like "$(jget error.message)" "credential extra not found" "naming it"
api GET "/events?since=0" >/dev/null
like "$body" '"credential.removed"' "removing one is an event"

# Bad input: named, and nothing written.
api PUT /credentials/bad%20name '{"env":"X_KEY","value":"abcdefgh"}' >/dev/null
is "$status" 400 "a name with a space is refused"
like "$(jget error.message)" 'not a valid credential name' "saying so"
api PUT /credentials/k '{"env":"PATH","value":"abcdefgh"}' >/dev/null
is "$status" 400 "PATH cannot hold a credential"
like "$(jget error.message)" 'PATH is set by the rover' "saying why"
api PUT /credentials/k '{"env":"UFO_RUN","value":"abcdefgh"}' >/dev/null
is "$status" 400 "nor a variable the rover sets (UFO_*)"
api PUT /credentials/k '{"env":"1ABC","value":"abcdefgh"}' >/dev/null
is "$status" 400 "a variable name starting with a digit is refused"
api PUT /credentials/k '{"env":"K_KEY","value":"abc"}' >/dev/null
is "$status" 400 "a value under 6 bytes is refused"
like "$(jget error.field)" value "the field is named"
api PUT /credentials/k '{"env":"K_KEY"}' >/dev/null
is "$status" 400 "a missing value is refused"
api PUT /credentials/k '{"env":"K_KEY","value":"abcdefgh","x":1}' >/dev/null
is "$status" 400 "an unknown field is refused"
api PUT /credentials/k "{\"env\":\"K_KEY\",\"value\":\"$(head -c 70000 \
    /dev/zero | tr '\0' a)\"}" >/dev/null
is "$status" 400 "a value over 64 KiB is refused"
api GET /credentials >/dev/null
is "$(jget 'items.#')" 2 "nothing was written by the bad requests"
run_in "abcdefgh" ufo cred set k 'BAD-ENV'
is "$rc" 1 "cred set with a bad variable fails"
like "$err" 'not a valid environment variable name' "naming the problem"
# On a terminal the value is asked for, and not echoed.
TTY_VALUE=typed-at-the-prompt-8812
board_start 80x24 cred set ttykey TTY_KEY ||
    bail_out "cannot run ufo in tmux"
board_wait "Value of ttykey:"
is "$?" 0 "on a terminal, cred set asks for the value"
board_type "$TTY_VALUE"
board_keys Enter
board_wait_exit
is "$rc" 0 "and stores what was typed"
board_screen | grep -qF "$TTY_VALUE"
isnt "$?" 0 "the value was not echoed"
board_stop
run ufo cred list
like "$out" 'ttykey +TTY_KEY' "the typed credential is listed"
ok "cred rm" ufo cred rm ttykey
run ufo cred list
unlike "$out" ttykey "cred rm removed it"

fails 2 "cred set needs NAME and ENV_VAR" ufo cred set k
fails 2 "cred rm needs a name" ufo cred rm
fails 1 "cred rm of an unknown credential" ufo cred rm nothere
like "$err" "credential nothere not found" "it is named"

# --- A run that uses them ---------------------------------------------------

ok "a shell pilot that names both" ufo pilot create secretive --kind shell \
    --cred apikey --cred pem
ok "pilot show lists them" ufo pilot show secretive
like "$out" 'credentials: +apikey, pem' "the pilot names its credentials"
api POST /pilots '{"name":"badcreds","kind":"shell","credentials":["a b"]}' \
    >/dev/null
is "$status" 400 "a pilot naming a credential by an invalid name is refused"

# The body names no value: the pilot proves it saw the right one by its hash.
cat >"$T/script" <<'EOF'
printf 'hash=%s\n' "$(printf %s "$MY_API_KEY" | sha256sum | cut -c1-64)"
echo "the key is $MY_API_KEY, inline"
printf '%s\n' "$MY_PEM"
echo "$MY_API_KEY" >leaked.txt
echo "the end: $MY_API_KEY"
EOF
ok "an operation for it" ufo op create -t "Use the key" -a pilot:secretive \
    "$(cat "$T/script")"
run ufo --json op list -q "Use the key"
OP=$(jget 0.code "$out")
wait_for 60 run_is "$OP" succeeded || diag "run: $body"
last_run "$OP"
RUN=$(jget id)
is "$(jget status)" succeeded "the run succeeded"
ok "run logs" ufo run logs "$RUN"
like "$out" "hash=$(sha "$SECRET")" "the pilot saw the value in its environment"
like "$out" 'the key is \*\*\*, inline' "the value in a message arrives masked"
like "$out" '^\*\*\*$' "each line of a multi-line value is masked"
unlike "$out" "$SECRET|$MULTI_1|$MULTI_2" "no value in the logs"
ok "op show" ufo op show "$OP"
like "$out" 'the end: \*\*\*' "the final message (a comment) is masked"
unlike "$out" "$SECRET" "no value on the operation"
ok "run diff" ufo run diff "$RUN"
like "$out" '^\+\*\*\*$' "the diff is masked too"
unlike "$out" "$SECRET" "no value in the diff"
# The pilot itself wrote leaked.txt into its work dir: that is its doing.
find "$HOME/.ufo" -name leaked.txt -exec rm -f {} +
check "no file under HOME holds a value (db, -wal, -shm, logs, outpost)" \
    nowhere || diag "found in:" "$(cat "$T/found")"
check "the rover's registration file was searched too" \
    test -f "$XDG_DATA_HOME/ufo/local-rover.json"
check "and its outpost" test -d "$HOME/.ufo/rovers"

# A claude pilot: the value inside its parsed JSON messages is masked too.
ok "a claude pilot that names it" ufo pilot create keyed-claude \
    --kind claude --cred apikey
ok "an operation for it" ufo op create -t "Claude with a key" \
    -a pilot:keyed-claude "Use the key."
run ufo --json op list -q "Claude with a key"
COP=$(jget 0.code "$out")
wait_for 60 run_is "$COP" succeeded || diag "run: $body"
last_run "$COP"
api GET "/runs/$(jget id)/messages" >/dev/null
like "$body" '"text":"the key is \*\*\*"' "a text message of claude, masked"
like "$body" "\"command\":\"curl -H 'X-Key: \\*\\*\\*'\"" \
    "a tool input, masked"
unlike "$body" "$SECRET" "no value in its messages"

# A pilot that fails saying the value: the run's error is masked.
ok "an operation that fails loudly" ufo op create -t "Fail with the key" \
    -a pilot:secretive 'echo "bad key $MY_API_KEY" >&2; exit 3'
run ufo --json op list -q "Fail with the key"
FOP=$(jget 0.code "$out")
wait_for 60 run_is "$FOP" failed || diag "run: $body"
last_run "$FOP"
like "$(jget error)" 'bad key \*\*\*' "the error of the failed run is masked"
unlike "$body" "$SECRET" "no value in the run"
run ufo op show "$FOP"
unlike "$out" "$SECRET" "nor in the comment saying it failed"

# --- A credential missing at claim time --------------------------------------

ok "a pilot that names a credential nobody set" ufo pilot create ghostly \
    --kind shell --cred nothere
ok "an operation for it" ufo op create -t "Needs a ghost" -a pilot:ghostly \
    "echo hello"
run ufo --json op list -q "Needs a ghost"
GHOST=$(jget 0.code "$out")
wait_for 60 run_is "$GHOST" failed || diag "run: $body"
last_run "$GHOST"
like "$(jget error)" 'credential nothere is not set in this fleet' \
    "the run fails naming the missing credential"
wait_for 30 board_op_status_is "$GHOST" blocked
is "$(op_status "$GHOST")" blocked "the operation is blocked"
ok "op show" ufo op show "$GHOST"
like "$out" 'credential nothere is not set' "a comment says why"
ok "pilot edit --cred" ufo pilot edit ghostly --cred apikey
run ufo --json pilot show ghostly
is "$(jget 'credentials.0' "$out")" apikey "pilot edit replaced the list"
ok "pilot edit --no-cred" ufo pilot edit ghostly --no-cred
run ufo --json pilot show ghostly
is "$(jget 'credentials.#' "$out")" 0 "--no-cred empties it"
fails 2 "pilot edit with nothing to change" ufo pilot edit ghostly
fails 2 "--cred and --no-cred together" ufo pilot edit ghostly --cred a \
    --no-cred

# --- A wrong or missing master key ------------------------------------------

stop_ufod
is "$rc" 0 "ufod stops"
cp "$KEYFILE" "$T/good.key"
before=$(sha256sum <"$DB")
new_key >"$KEYFILE"
: >"$T/wrong.log"
run timeout 30 "$UFOD_BIN" -f -s "$SOCK" -D "$DB"
is "$rc" 1 "ufod refuses a wrong master key"
like "$err" "master key $KEYFILE is not the key of database $DB" \
    "saying which file and which database"
is "$(sha256sum <"$DB")" "$before" "the database file is byte for byte the same"
check "it left no -wal behind" test ! -e "$DB-wal"

rm "$KEYFILE"
run timeout 30 "$UFOD_BIN" -f -s "$SOCK"
is "$rc" 1 "ufod refuses to start without the key while credentials exist"
like "$err" "master key $KEYFILE is missing, and database $DB holds 2 credentials" \
    "saying so"
check "it made no new key" test ! -e "$KEYFILE"
is "$(sha256sum <"$DB")" "$before" "the database is still the same"

cp "$T/good.key" "$KEYFILE"
chmod 644 "$KEYFILE"
run timeout 30 "$UFOD_BIN" -f -s "$SOCK"
is "$rc" 1 "a key file others can read is refused"
like "$err" "mode 0644 lets others read it; chmod 600 $KEYFILE" "how to fix it"
chmod 600 "$KEYFILE"

# The key named by master_key_file, or held in master_key_env.
mv "$KEYFILE" "$T/elsewhere.key"
printf 'master_key_file = %s\n' "$T/elsewhere.key" >"$T/file.conf"
if start_ufod -R -c "$T/file.conf"; then
	pass "master_key_file names the key"
	stop_ufod
else
	fail "master_key_file names the key"
fi
check "no default key was made" test ! -e "$KEYFILE"
printf 'master_key_env = UFO_TEST_MASTER_KEY\n' >"$T/env.conf"
UFO_TEST_MASTER_KEY=$(cat "$T/elsewhere.key")
export UFO_TEST_MASTER_KEY
if start_ufod -R -c "$T/env.conf"; then
	pass "master_key_env names the variable holding it"
	stop_ufod
else
	fail "master_key_env names the variable holding it"
fi
UFO_TEST_MASTER_KEY=$(new_key)
run timeout 30 "$UFOD_BIN" -f -s "$SOCK" -c "$T/env.conf"
is "$rc" 1 "a wrong key in the variable is refused"
like "$err" 'master key in \$UFO_TEST_MASTER_KEY is not the key' "naming it"
unset UFO_TEST_MASTER_KEY
run timeout 30 "$UFOD_BIN" -f -s "$SOCK" -c "$T/env.conf"
is "$rc" 1 "an unset variable is refused"
like "$err" 'master_key_env names UFO_TEST_MASTER_KEY, which is not set' \
    "saying so"
mv "$T/elsewhere.key" "$KEYFILE"

# --- Rotation ---------------------------------------------------------------

start_ufod -R || bail_out "ufod did not start again"
run "$UFOD_BIN" --rotate-master-key
is "$rc" 1 "rotation refuses while ufod runs"
like "$err" 'in use by ufod .*stop it first' "saying to stop it"
stop_ufod
cp "$KEYFILE" "$T/old.key"
run "$UFOD_BIN" --rotate-master-key
is "$rc" 0 "ufod --rotate-master-key"
like "$out" "2 credentials sealed under a new master key in $KEYFILE" \
    "it says how many and where"
isnt "$(cat "$KEYFILE")" "$(cat "$T/old.key")" "the key file has a new key"
is "$(stat -c %a "$KEYFILE")" 600 "still 0600"
check "no temporary key is left" test ! -e "$KEYFILE.new"
printf 'master_key_file = %s\n' "$T/old.key" >"$T/old.conf"
run timeout 30 "$UFOD_BIN" -f -s "$SOCK" -c "$T/old.conf"
is "$rc" 1 "the old key no longer opens the database"

start_ufod -R || bail_out "ufod did not start after the rotation"
ok "another run with the credentials" ufo op create -t "After rotation" \
    -a pilot:secretive "$(cat "$T/script")"
run ufo --json op list -q "After rotation"
OP2=$(jget 0.code "$out")
wait_for 60 run_is "$OP2" succeeded || diag "run: $body"
last_run "$OP2"
run ufo run logs "$(jget id)"
like "$out" "hash=$(sha "$SECRET")" "the credentials still decrypt after it"
stop_ufod

# A rotation that stopped after the database took the new key but before
# the rename: the next start finishes it.
cp "$KEYFILE" "$T/k2.key"
run "$UFOD_BIN" --rotate-master-key
is "$rc" 0 "a second rotation"
mv "$KEYFILE" "$KEYFILE.new"
cp "$T/k2.key" "$KEYFILE"
start_ufod -R || bail_out "ufod did not finish the interrupted rotation"
pass "ufod starts after a rotation stopped before its rename"
like "$(cat "$UFOD_LOG")" 'finished the rotation that was interrupted' \
    "it says it finished it"
check "the new key took the old one's place" test ! -e "$KEYFILE.new"
isnt "$(cat "$KEYFILE")" "$(cat "$T/k2.key")" "the key file is the new key"
stop_ufod

# One that stopped before the database took it: the stray key goes.
new_key >"$KEYFILE.new"
chmod 600 "$KEYFILE.new"
cp "$KEYFILE" "$T/k3.key"
start_ufod -R || bail_out "ufod did not start with a stray new key"
pass "ufod starts after a rotation stopped before its commit"
check "the stray key is removed" test ! -e "$KEYFILE.new"
is "$(cat "$KEYFILE")" "$(cat "$T/k3.key")" "the key is unchanged"
find "$HOME/.ufo" -name leaked.txt -exec rm -f {} +
ok "cred list after it all" ufo --json cred list
is "$(jget 'items.#' "$(api GET /credentials)")" 2 "both credentials remain"
check "still no file under HOME holds a value" nowhere ||
    diag "found in:" "$(cat "$T/found")"

# The local rover ran every pilot here: its log is ufod's to check too.
if grep -Eq 'Sanitizer|runtime error:' "$XDG_DATA_HOME/ufo/local-rover.log"
then
	fail "the local rover logged no sanitizer reports" \
	    "$(grep -E -A 12 'Sanitizer|runtime error:' \
	    "$XDG_DATA_HOME/ufo/local-rover.log" | head -n 40)"
else
	pass "the local rover logged no sanitizer reports"
fi

done_testing
