#!/bin/sh
# Accounts: passwords and ufo login with the token file, failures that do
# not tell a wrong password from an unknown email, fleets made, renamed and
# deleted, invitations for new and existing users, roles and the last
# owner under a race, tokens that expire or are revoked, and the limit on
# failed logins.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries

start_ufod_tcp
TOKENS=$XDG_CONFIG_HOME/ufo/tokens

api GET /members >/dev/null
OWNER_EMAIL=$(jget items.0.email)
OWNER_ID=$(jget items.0.id)
api GET /fleets >/dev/null
DEFAULT_FLEET=$(jget items.0.name)

# tcp ARGS...: api over TCP.
tcp()
{
	API_URL=$URL api "$@"
}

# as TOKEN ARGS...: api over TCP with a bearer token.
as()
{
	_tok=$1
	shift
	API_URL=$URL api -H "Authorization: Bearer $_tok" "$@"
}

# --- Passwords and ufo login --------------------------------------------------

run sh -c "printf 'short\n' | \"$UFO_BIN\" --socket \"$SOCK\" passwd"
is "$rc" 1 "passwd: a short password is refused"
like "$err" 'at least 8' "passwd: saying how long it must be"
run sh -c "printf 'first-secret\n' | \"$UFO_BIN\" --socket \"$SOCK\" passwd"
is "$rc" 0 "passwd: the local owner sets a password over the socket"
like "$out" "password set for $OWNER_EMAIL" "passwd: says for whom"
check "the database holds an Argon2id string, not the password" \
    test "$(sqlite3 "$DB" "SELECT substr(password_hash, 1, 10) FROM users
    WHERE email = '$OWNER_EMAIL'")" = '$argon2id$'
check "nor the password anywhere" sh -c "! grep -q first-secret '$DB'"

tcp POST /login "{\"email\":\"$OWNER_EMAIL\",\"password\":\"wrong-secret\"}" \
    >/dev/null
is "$status" 401 "login: a wrong password is 401"
wrong=$body
tcp POST /login '{"email":"nobody@nowhere.test","password":"wrong-secret"}' \
    >/dev/null
is "$status" 401 "login: an unknown email is 401"
is "$body" "$wrong" "login: the same answer for both"
is "$(jget error.message)" "wrong email or password" "login: which says so"

run sh -c "printf 'first-secret\n' | \"$UFO_BIN\" login \"$URL\" \
    --email \"$OWNER_EMAIL\""
is "$rc" 0 "ufo login with the password on standard input"
like "$out" "logged in to $URL as $OWNER_EMAIL" "ufo login says so"
check "the token file exists" test -f "$TOKENS"
is "$(stat -c %a "$TOKENS")" 600 "the token file is mode 0600"
is "$(grep -c "^$URL ufo_" "$TOKENS")" 1 "with one line for the server"
first=$(awk '{ print $2 }' "$TOKENS")
check "no temporary file is left" sh -c \
    "[ \$(ls '$XDG_CONFIG_HOME/ufo' | grep -c tokens) = 1 ]"

run "$UFO_BIN" --server "$URL" --json member list
is "$rc" 0 "ufo --server URL uses the kept token"
is "$(jget 0.email "$out")" "$OWNER_EMAIL" "as the user who logged in"
run env UFO_SERVER="$URL" "$UFO_BIN" op list
is "$rc" 0 "so does UFO_SERVER"
printf 'listen = 127.0.0.1:%s\nserver = %s\n' "$PORT" "$URL" >"$CONF"
run "$UFO_BIN" op list
is "$rc" 0 "and the server key of ufo.conf"
printf 'listen = 127.0.0.1:%s\n' "$PORT" >"$CONF"
run env UFO_TOKEN=ufo_wrong "$UFO_BIN" --server "$URL" op list
is "$rc" 1 "UFO_TOKEN wins over the kept token"

run sh -c "printf 'first-secret\n' | \"$UFO_BIN\" login \"$URL/\" \
    --email \"$OWNER_EMAIL\""
is "$rc" 0 "logging in again (URL with a trailing slash)"
is "$(grep -c "^$URL " "$TOKENS")" 1 "replaces the line of the server"
isnt "$(awk '{ print $2 }' "$TOKENS")" "$first" "with the new token"

run env XDG_CONFIG_HOME="$HOME/alt" sh -c "printf 'first-secret\n' | \
    \"$UFO_BIN\" login \"$URL\" --email \"$OWNER_EMAIL\""
is "$rc" 0 "ufo login with another XDG_CONFIG_HOME"
check "keeps the token there" test -f "$HOME/alt/ufo/tokens"
is "$(stat -c %a "$HOME/alt/ufo/tokens")" 600 "also mode 0600"

run sh -c "printf 'not-the-secret\n' | \"$UFO_BIN\" login \"$URL\" \
    --email \"$OWNER_EMAIL\""
is "$rc" 1 "ufo login with a wrong password fails"
like "$err" 'wrong email or password' "and says so"
run sh -c "\"$UFO_BIN\" login \"$URL\" --email \"$OWNER_EMAIL\" </dev/null"
is "$rc" 1 "ufo login without a password fails"
run "$UFO_BIN" login ftp://nowhere
is "$rc" 1 "ufo login needs an http(s) URL"

# Over TCP a token alone cannot change the password.
run sh -c "printf 'guessed-wrong\nsecond-secret\n' | \
    \"$UFO_BIN\" --server \"$URL\" passwd"
is "$rc" 1 "passwd over TCP with a wrong current password fails"
like "$err" 'current_password' "naming the current password"
run sh -c "printf 'first-secret\nsecond-secret\n' | \
    \"$UFO_BIN\" --server \"$URL\" passwd"
is "$rc" 0 "passwd over TCP with the current password"
tcp POST /login "{\"email\":\"$OWNER_EMAIL\",\"password\":\"second-secret\"}" \
    >/dev/null
is "$status" 201 "the new password logs in"
OWNER_TOK=$(jget token)

# --- Fleets -------------------------------------------------------------------

ok "fleet create" ufo --json fleet create blue
is "$(jget role "$out")" owner "the creator owns the new fleet"
ok "fleet list" ufo fleet list
like "$out" 'blue +owner' "fleet list shows it with the role"
ok "the new fleet has the usual pilots" ufo --fleet blue --json pilot list
is "$(jget '#' "$out")" 4 "four of them"
run ufo fleet create blue
is "$rc" 1 "a second fleet blue is refused"
like "$err" 'already exists' "saying it exists"
run ufo fleet create "bad name"
is "$rc" 1 "a fleet name with a space is refused"
like "$err" 'not a valid fleet name' "saying why"
ok "fleet rename" ufo fleet rename blue navy
ok "fleet list" ufo --json fleet list
like "$out" '"navy"' "the fleet is renamed"
run ufo fleet rm "$DEFAULT_FLEET"
is "$rc" 1 "the default fleet cannot be deleted"
like "$err" 'default fleet' "saying so"

ok "an operation in navy for shell" ufo --fleet navy --json op create \
    -t "Busy" -a pilot:shell "true"
busy_op=$(jget id "$out")
NAVY=$(api GET /fleets >/dev/null; jget 'items.*' | grep '"navy"' |
    sed 's/.*"id":"\([^"]*\)".*/\1/')
run ufo fleet rm navy
is "$rc" 1 "a fleet with an active run cannot be deleted"
like "$err" 'active run' "saying why"
api -H "Ufo-Fleet: navy" GET "/runs?operation=$busy_op" >/dev/null
echo "navy-secret-value" | ufo --fleet navy cred set navy_key NAVY_KEY \
    >/dev/null || fail "a credential in navy"
ok "cancel its run" ufo --fleet navy run cancel "$(jget items.0.id)"
ok "then fleet rm" ufo fleet rm navy
ok "fleet list" ufo --json fleet list
unlike "$out" 'navy' "the fleet is gone"
is "$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM operations WHERE
    fleet_id = '$NAVY') + (SELECT count(*) FROM runs WHERE
    fleet_id = '$NAVY') + (SELECT count(*) FROM pilots WHERE
    fleet_id = '$NAVY') + (SELECT count(*) FROM members WHERE
    fleet_id = '$NAVY') + (SELECT count(*) FROM credentials WHERE
    fleet_id = '$NAVY')")" 0 \
    "with its operations, runs, pilots, members and credentials"
run ufo --fleet navy op list
is "$rc" 1 "the deleted fleet answers 404"
ok "its name is free again" ufo fleet create navy
like "$out" '^flt_[a-z0-9]+$' "fleet create prints the new fleet's id"

# --- Invitations -------------------------------------------------------------

# accept CODE EMAIL PASSWORD: POST /invitations/accept on the socket.
accept()
{
	api POST /invitations/accept "{\"code\":\"$1\",\"email\":\"$2\",
	    \"password\":\"$3\"}" >/dev/null
}

ok "invite an admin" ufo invite ada@example.test --role admin
ADA_CODE=$out
like "$ADA_CODE" '^ufoi_[A-Za-z0-9_-]{43}$' "the code is printed alone"
ok "invite list" ufo --json invite list
is "$(jget 0.state "$out") $(jget 0.role "$out")" "pending admin" \
    "the invitation is pending"
check "the database keeps no code" sh -c "! grep -q '$ADA_CODE' '$DB'"

accept "$ADA_CODE" eve@example.test ada-password
is "$status" 400 "accepting with another email is refused"
like "$(jget error.message)" 'another address' "saying so"
run sh -c "printf 'ada-password\n' | \"$UFO_BIN\" join \"$URL\" \
    \"$ADA_CODE\" --email ada@example.test --name Ada"
is "$rc" 0 "ufo join: a new user accepts"
like "$out" "joined $URL as ada@example.test" "ufo join says so"
ADA_TOK=$(awk -v u="$URL" '$1 == u { print $2 }' "$TOKENS")
run "$UFO_BIN" --server "$URL" --json member list
is "$rc" 0 "the kept token works"
is "$(jget '#' "$out")" 2 "two members now"
is "$(jget 1.email "$out") $(jget 1.name "$out") $(jget 1.role "$out")" \
    "ada@example.test Ada admin" "Ada is an admin"
accept "$ADA_CODE" ada@example.test ada-password
is "$status" 409 "a code works once"
like "$(jget error.message)" 'already used' "saying so"
ok "invite list" ufo --json invite list
is "$(jget 0.state "$out")" accepted "the invitation is accepted"

ok "invite with a short life" ufo invite late@example.test --expires 1s
late=$out
# Polled with another email, so that the code is not used meanwhile.
expired()
{
	accept "$late" other@example.test late-password
	[ "$status" = 400 ] && jget error.message | grep -q expired
}
check "the code expires" wait_for 30 expired
accept "$late" late@example.test late-password
is "$status" 400 "an expired code is refused"
like "$(jget error.message)" 'expired' "saying it expired"

ok "invite someone to revoke" ufo --json invite rev@example.test
rev_code=$(jget code "$out")
ok "invite revoke" ufo invite revoke "$(jget id "$out")"
accept "$rev_code" rev@example.test rev-password
is "$status" 404 "a revoked code is refused"

# Ada, who has an account, into another fleet.
ok "fleet create" ufo fleet create green
ok "invite Ada to green" ufo --fleet green invite ada@example.test
green_code=$out
accept "$green_code" ada@example.test wrong-password
is "$status" 401 "an existing user must give their password"
accept "$green_code" ada@example.test ada-password
is "$status" 201 "with it, they join"
ADA_GREEN=$(jget token)
as "$ADA_TOK" GET /fleets >/dev/null
is "$(jget items.#)" 2 "Ada is in two fleets"

# --- Roles -------------------------------------------------------------------

ok "invite a member" ufo --json invite mo@example.test
accept "$(jget code "$out")" mo@example.test mo-password
MO_TOK=$(jget token)
MO_ID=$(api GET /members >/dev/null; jget 'items.*' |
    grep '"mo@example.test"' | sed 's/.*"id":"\([^"]*\)".*/\1/')

as "$MO_TOK" POST /invitations '{"email":"x@example.test"}' >/dev/null
is "$status" 403 "a member cannot invite"
like "$(jget error.message)" 'admin' "naming the role needed"
as "$MO_TOK" PATCH "/members/ada@example.test" '{"role":"member"}' >/dev/null
is "$status" 403 "a member cannot change roles"
as "$ADA_TOK" POST /invitations '{"email":"o@example.test","role":"owner"}' \
    >/dev/null
is "$status" 403 "an admin cannot invite an owner"
as "$ADA_TOK" PATCH "/members/$MO_ID" '{"role":"admin"}' >/dev/null
is "$status $(jget role)" "200 admin" "an admin makes a member admin"
as "$MO_TOK" GET /invitations >/dev/null
is "$status" 200 "the new admin lists invitations (the token is cached)"
as "$ADA_TOK" PATCH "/members/mo@example.test" '{"role":"member"}' >/dev/null
is "$status $(jget role)" "200 member" "and back"
as "$MO_TOK" GET /invitations >/dev/null
is "$status" 403 "the role is taken away on the very next request"
as "$ADA_TOK" PATCH "/members/mo@example.test" '{"role":"owner"}' >/dev/null
is "$status" 403 "an admin cannot make an owner"
as "$ADA_TOK" PATCH "/members/$OWNER_EMAIL" '{"role":"admin"}' >/dev/null
is "$status" 403 "nor demote one"
as "$ADA_TOK" DELETE "/members/$OWNER_ID" >/dev/null
is "$status" 403 "nor remove one"
as "$ADA_TOK" PATCH "/members/mo@example.test" '{"role":"chief"}' >/dev/null
is "$status" 400 "an unknown role is refused"
as "$ADA_TOK" PATCH /members/nobody@example.test '{"role":"admin"}' >/dev/null
is "$status" 404 "someone who is not a member is 404"

as "$MO_TOK" GET /operations >/dev/null
is "$status" 200 "the member's token works"
as "$MO_TOK" DELETE "/members/$MO_ID" >/dev/null
is "$status" 200 "a member leaves"
as "$MO_TOK" GET /operations >/dev/null
is "$status" 401 "their token stops at once"

run ufo member role "$OWNER_EMAIL" admin
is "$rc" 1 "the only owner cannot step down"
like "$err" 'keep an owner' "saying the fleet must keep one"
ok "member role: Ada becomes owner" ufo member role ada@example.test owner
as "$ADA_TOK" PATCH "/members/$OWNER_ID" '{"role":"admin"}' >/dev/null
is "$status" 409 "the local user stays owner of the default fleet"
# Ada follows the feed; removing her ends the stream, not its next wake.
background "$T/ada-stream" "$UFO_BIN" --server "$URL" --token "$ADA_TOK" \
    events -f
ada_stream=$BG_PID
ok "an operation while Ada's stream is open" ufo op create -t "Seen" x
check "Ada's stream shows it" wait_for 30 grep -q '"operation.created"' \
    "$T/ada-stream"
ok "member rm: Ada goes" ufo member rm ada@example.test
check "Ada's event stream ends" wait_for 30 gone "$ada_stream"
wait_exit "$ada_stream" 5
is "$rc" 1 "her ufo events -f exits 1"
ok "member list" ufo --json member list
unlike "$out" 'ada@example.test' "Ada is gone from the fleet"

# The last owner, raced: two owners of green step down at the same time.
ok "green: Ada becomes owner" ufo --fleet green member role \
    ada@example.test owner
race_round()
{
	curl -s --max-time 60 -o /dev/null -w '%{http_code}\n' \
	    --unix-socket "$SOCK" -H "Ufo-Fleet: green" \
	    -H "Content-Type: application/json" -X "$1" \
	    ${2:+--data-binary "$2"} \
	    "http://localhost/api/v1/members/$OWNER_ID" >"$T/race.a" &
	_a=$!
	curl -s --max-time 60 -o /dev/null -w '%{http_code}\n' \
	    -H "Authorization: Bearer $ADA_GREEN" -H "Ufo-Fleet: green" \
	    -H "Content-Type: application/json" -X "$1" \
	    ${2:+--data-binary "$2"} \
	    "$URL/api/v1/members/ada@example.test" >"$T/race.b" &
	_b=$!
	track "$_a" "$_b"
	wait "$_a" "$_b"
	sort "$T/race.a" "$T/race.b" | tr '\n' ' '
}
is "$(race_round PATCH '{"role":"member"}')" "200 409 " \
    "two owners demote themselves at once: exactly one succeeds"
api -H "Ufo-Fleet: green" GET /members >/dev/null
is "$(jget 'items.*.role' | grep -c owner)" 1 "one owner remains"
# Whoever stayed owner makes the other one owner again.
api -H "Ufo-Fleet: green" PATCH /members/ada@example.test '{"role":"owner"}' \
    >/dev/null
as "$ADA_GREEN" -H "Ufo-Fleet: green" PATCH "/members/$OWNER_ID" \
    '{"role":"owner"}' >/dev/null
api -H "Ufo-Fleet: green" GET /members >/dev/null
is "$(jget 'items.*.role' | grep -c owner)" 2 "two owners again"
is "$(race_round DELETE)" "200 409 " \
    "two owners leave at once: exactly one succeeds"
# The socket's user may be the one who left: count in the database.
is "$(sqlite3 "$DB" "SELECT count(*) FROM members mb JOIN fleets f
    ON f.id = mb.fleet_id WHERE f.name = 'green' AND mb.role = 'owner'")" 1 \
    "one owner remains again"

# --- Tokens ------------------------------------------------------------------

ok "token create, expiring" ufo --json token create brief --expires 1s
brief=$(jget token "$out")
expired_token()
{
	as "$brief" GET /operations >/dev/null
	[ "$status" = 401 ] && jget error.message | grep -q expired
}
check "an expired token is refused" wait_for 30 expired_token

ok "token create" ufo --json token create revokable
rt=$(jget token "$out")
rt_id=$(jget id "$out")
as "$rt" GET /operations >/dev/null
is "$status" 200 "the token works (and is now cached)"
as "$rt" GET /operations >/dev/null
is "$status" 200 "twice"
ok "token revoke" ufo token revoke "$rt_id"
as "$rt" GET /operations >/dev/null
is "$status" 401 "refused on the very next request"
is "$(jget error.message)" "token revoked" "saying it was revoked"
ok "token list" ufo token list
like "$out" "revokable +ufo_.{4}… " \
    "the list shows the name and a masked token"
unlike "$out" "$rt" "never the token"

# --- The limit on failed logins ----------------------------------------------

# Each success forgets the failures: start from none.
tcp POST /login "{\"email\":\"$OWNER_EMAIL\",\"password\":\"second-secret\"}" \
    >/dev/null
is "$status" 201 "a login that works"
n=0
while [ $n -lt 5 ]; do
	tcp POST /login '{"email":"nobody@nowhere.test","password":"guess"}' \
	    >/dev/null
	[ "$status" = 401 ] || break
	n=$((n + 1))
done
is "$n" 5 "five failed logins from one address are 401"
tcp POST /login '{"email":"nobody@nowhere.test","password":"guess"}' >/dev/null
is "$status" 429 "the sixth is 429"
is "$(jget error.code)" rate_limited "rate_limited"
like "$(header Retry-After)" '^[1-9][0-9]*$' "with Retry-After"
tcp POST /login "{\"email\":\"$OWNER_EMAIL\",\"password\":\"second-secret\"}" \
    >/dev/null
is "$status" 429 "even the right password waits"
api POST /login "{\"email\":\"$OWNER_EMAIL\",\"password\":\"second-secret\"}" \
    >/dev/null
is "$status" 201 "another address (the socket) is not limited"
as "$OWNER_TOK" GET /operations >/dev/null
is "$status" 200 "tokens made before still work"

done_testing
