#!/bin/sh
# The TCP listener: /health is open, everything else needs a bearer token
# from `ufo token create`; tokens work from curl, --server/--token and the
# environment; revoked and expired tokens stop working; listings mask them.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries

start_ufod_tcp

API_URL=$URL

api GET /health >/dev/null
is "$status" 200 "/health needs no token"
is "$(jget status)" ok "/health says ok"

api GET /operations >/dev/null
is "$status" 401 "/operations without a token is 401"
is "$(jget error.code)" unauthorized "the code is unauthorized"
like "$(header WWW-Authenticate)" '^Bearer' "WWW-Authenticate: Bearer"
api POST /operations '{"title":"sneaky"}' >/dev/null
is "$status" 401 "creating without a token is 401"
api -H "Authorization: Bearer ufo_not_a_real_token" GET /operations \
    >/dev/null
is "$status" 401 "an unknown token is 401"
like "$(header WWW-Authenticate)" '^Bearer' "with WWW-Authenticate again"
api -H "Authorization: Basic dXNlcjpwYXNz" GET /operations >/dev/null
is "$status" 401 "Basic auth is 401"
api -H "Authorization: Bearer" GET /operations >/dev/null
is "$status" 401 "an empty bearer is 401"

# Tokens are made over the socket, by the local owner.
ok "token create over the socket" ufo --json token create ci
TOKEN=$(jget token "$out")
tok_id=$(jget id "$out")
like "$TOKEN" '^ufo_[A-Za-z0-9_-]{43}$' "the token is ufo_ and 43 base64url chars"
like "$tok_id" '^tok_' "the token has an id"
like "$(jget prefix "$out")" '^ufo_' "and a prefix"
ok "token create as a table" ufo token create second
like "$out" 'ufo_[A-Za-z0-9_-]{43}' "the table shows the token once"
TOKEN2=$(printf '%s\n' "$out" | grep -Eo 'ufo_[A-Za-z0-9_-]{43}' | head -n 1)

api -H "Authorization: Bearer $TOKEN" GET /operations >/dev/null
is "$status" 200 "curl with the token: 200"
api -H "Authorization: Bearer $TOKEN" POST /operations \
    '{"title":"Made over TCP"}' >/dev/null
is "$status" 201 "creating over TCP with the token: 201"
is "$(jget code)" UFO-1 "the op is UFO-1"
is "$(jget created_by)" "$(API_URL= api GET /members >/dev/null;
    jget items.0.id)" "made by the token's owner"

unset API_URL
ok "the socket sees the op made over TCP" ufo --json op show UFO-1
is "$(jget title "$out")" "Made over TCP" "same handlers, same store"

run "$UFO_BIN" --server "$URL" --token "$TOKEN" --json op list
is "$rc" 0 "ufo --server --token op list"
is "$(jget 0.code "$out")" UFO-1 "lists over TCP"
run "$UFO_BIN" --server "$URL" --token "$TOKEN" op create -t "From ufo" "x"
is "$rc" 0 "ufo --server --token op create"
run env UFO_SERVER="$URL" UFO_TOKEN="$TOKEN" "$UFO_BIN" --json op list
is "$rc" 0 "UFO_SERVER and UFO_TOKEN"
is "$(jget '#' "$out")" 2 "see both ops"
run env UFO_SERVER="$URL" "$UFO_BIN" --token "$TOKEN2" op list
is "$rc" 0 "UFO_SERVER with --token, the second token"
printf 'listen = 127.0.0.1:%s\nserver = %s\n' "$PORT" "$URL" >"$CONF"
run env UFO_TOKEN="$TOKEN" "$UFO_BIN" op list
is "$rc" 0 "the server key of ufo.conf"
printf 'listen = 127.0.0.1:%s\n' "$PORT" >"$CONF"

run "$UFO_BIN" --server "$URL" op list
is "$rc" 1 "ufo --server without a token fails with 1"
like "$err" '^ufo: ' "with a message"
like "$err" '[Uu]nauthori|token' "saying a token is needed"
run "$UFO_BIN" --server "$URL" --token ufo_wrong op list
is "$rc" 1 "ufo with a bad token fails"
check "ufo --server never starts a local ufod" sh -c \
    "! test -e '$XDG_RUNTIME_DIR/ufo/ufod.sock'"

# Listings never show a token.
ok "token list" ufo token list
unlike "$out" "$TOKEN" "token list does not show the token"
unlike "$out" "$TOKEN2" "nor the second"
like "$out" 'ci' "it shows the names"
ok "token list --json" ufo --json token list
unlike "$out" "$TOKEN" "token list --json does not show the token"
unlike "$out" '"token"' "no token field in the listing"
is "$(jget '#' "$out")" 2 "two tokens"
like "$(jget 0.prefix "$out")" '…|\.\.\.' "the prefix is masked"
api -H "Authorization: Bearer $TOKEN" GET /tokens >/dev/null
unlike "$body" "$TOKEN" "GET /tokens over TCP does not show it either"
API_URL= api GET "/events?since=0&wait=0&limit=1000" >/dev/null
unlike "$body" "$TOKEN" "the event feed never holds a token"
check "the database holds no plaintext token" sh -c \
    "! sqlite3 '$DB' .dump | grep -q '$TOKEN'"

# Revocation, by id and by the token itself.
ok "revoke by id" ufo token revoke "$tok_id"
API_URL=$URL
api -H "Authorization: Bearer $TOKEN" GET /operations >/dev/null
is "$status" 401 "a revoked token is 401"
api -H "Authorization: Bearer $TOKEN2" GET /operations >/dev/null
is "$status" 200 "the other token still works"
unset API_URL
ok "revoke by the token" ufo token revoke "$TOKEN2"
API_URL=$URL
api -H "Authorization: Bearer $TOKEN2" GET /operations >/dev/null
is "$status" 401 "revoked by its plaintext: 401"
unset API_URL
ok "token list after revoking" ufo --json token list
is "$(jget '*.revoked' "$out" | tr '\n' ' ')" "true true " "both shown revoked"
run ufo token revoke tok_aaaaaaaaaaaaaaaaaaaa
is "$rc" 1 "revoking an unknown token fails"

# An expiring token.
ok "token create --expires 12h" ufo --json token create later --expires 12h
isnt "$(jget expires_at "$out")" null "it has expires_at"
api POST /tokens '{"name":"brief","expires_in":1}' >/dev/null
is "$status" 201 "a token that expires in 1 second"
short=$(jget token)
sleep 2
API_URL=$URL
api -H "Authorization: Bearer $short" GET /operations >/dev/null
is "$status" 401 "an expired token is 401"

# A token made over TCP works too, and the feed is reachable.
unset API_URL
ok "fresh token" ufo --json token create fresh
fresh=$(jget token "$out")
API_URL=$URL
api -H "Authorization: Bearer $fresh" POST /tokens '{"name":"made-on-tcp"}' \
    >/dev/null
is "$status" 201 "a token can make a token over TCP"
tcp_token=$(jget token)
api -H "Authorization: Bearer $tcp_token" GET "/events?since=0&wait=0" \
    >/dev/null
is "$status" 200 "and that token reads the feed"
api -H "Authorization: Bearer $fresh" -H "Ufo-Fleet: no-such-fleet" \
    GET /operations >/dev/null
is "$status" 404 "an unknown Ufo-Fleet is 404"

done_testing
