#!/bin/sh
# Bad requests get the right status, error code, field and message, and
# change nothing: malformed JSON, wrong types, unknown fields, bad values,
# media type, body size, unknown routes and wrong methods.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
start_ufod || bail_out "ufod did not start"

# state: how many operations (archived too) and the newest event id.
state()
{
	api GET "/operations?archived=all&limit=1000" >/dev/null
	_n=$(jget items.#)
	api GET "/events?since=0&wait=0&limit=1000" >/dev/null
	echo "$_n/$(jget last)"
}

# refused STATUS CODE FIELD NAME METHOD PATH [BODY]: the request fails with
# that status, error code and field ("" for none), and changes nothing.
refused()
{
	_st=$1 _code=$2 _field=$3 _name=$4
	shift 4
	_before=$(state)
	api "$@" >/dev/null
	# "400|404": either is right (the spec leaves it open).
	like "$status" "^($_st)\$" "$_name: status $_st"
	like "$(jget error.code)" "^($_code)\$" "$_name: code $_code"
	if [ -n "$_field" ]; then
		is "$(jget error.field)" "$_field" "$_name: field $_field"
	fi
	_msg=$(jget error.message)
	isnt "$_msg" "" "$_name: has a message"
	_saved_body=$body _saved_status=$status
	cp "$T/headers" "$T/refused.headers" 2>/dev/null
	is "$(state)" "$_before" "$_name: nothing written"
	body=$_saved_body status=$_saved_status
	cp "$T/refused.headers" "$T/headers" 2>/dev/null
	msg=$_msg
}

api POST /operations '{"title":"The one good op"}' >/dev/null
is "$status" 201 "a good create answers 201"
is "$(jget code)" UFO-1 "and the op"
like "$(header Content-Type)" '^application/json' "answers are JSON"

# --- Bodies -------------------------------------------------------------------

refused 400 invalid "" "malformed JSON" POST /operations '{"title": "x",}'
like "$msg" 'byte [0-9]+' "malformed JSON: the message names the byte offset"
refused 400 invalid "" "truncated JSON" POST /operations '{"title": "x"'
refused 400 invalid "" "trailing data" POST /operations '{"title":"x"} {}'
refused 400 invalid "" "an array body" POST /operations '["title"]'
refused 400 invalid "" "an empty body" POST /operations ''
refused 400 invalid title "title of the wrong type" POST /operations \
    '{"title": 5}'
like "$msg" 'title' "the message names title"
refused 400 invalid priority "priority as a string" POST /operations \
    '{"title":"x","priority":"high"}'
refused 400 invalid labels "labels not an array" POST /operations \
    '{"title":"x","labels":"bug"}'
refused 400 invalid labels "a label not a string" POST /operations \
    '{"title":"x","labels":["bug",7]}'
refused 400 invalid colour "an unknown field" POST /operations \
    '{"title":"x","colour":"red"}'
like "$msg" 'colour' "the message names the unknown field"
refused 400 invalid title "a missing title" POST /operations '{"body":"x"}'
refused 400 invalid title "a blank title" POST /operations '{"title":"   "}'
refused 400 invalid priority "priority 5" POST /operations \
    '{"title":"x","priority":5}'
refused 400 invalid priority "priority -1" POST /operations \
    '{"title":"x","priority":-1}'
refused 400 invalid status "an unknown status" POST /operations \
    '{"title":"x","status":"doing"}'
refused 400 invalid assignee "an unknown assignee form" POST /operations \
    '{"title":"x","assignee":"bogus"}'
like "$msg" 'pilot:NAME' "the message lists the assignee forms"
refused 400 invalid assignee "an unknown pilot" POST /operations \
    '{"title":"x","assignee":"pilot:nobody"}'
refused 400 invalid labels "a label with a space" POST /operations \
    '{"title":"x","labels":["two words"]}'
refused "400|404" "invalid|not_found" "" "an unknown mission" POST /operations \
    '{"mission":"NOPE","title":"x"}'
refused 400 invalid "" "PATCH with malformed JSON" PATCH /operations/UFO-1 \
    '{"title":'
refused 400 invalid title "PATCH with a blank title" PATCH /operations/UFO-1 \
    '{"title":""}'
refused 400 invalid "" "move with nothing" POST /operations/UFO-1/move '{}'
refused 400 invalid body "a blank comment" POST /operations/UFO-1/comments \
    '{"body":" "}'
refused 400 invalid to "a relation to itself" POST \
    /operations/UFO-1/relations '{"kind":"blocks","to":"UFO-1"}'
refused 400 invalid kind "an unknown relation kind" POST \
    /operations/UFO-1/relations '{"kind":"loves","to":"UFO-1"}'

api POST /operations '{"title":"Parent"}' >/dev/null
api POST /operations '{"title":"Child","parent":"UFO-2"}' >/dev/null
is "$status" 201 "a sub-operation"
refused 400 invalid parent "a grandchild" POST /operations \
    '{"title":"Grandchild","parent":"UFO-3"}'
like "$msg" 'one level' "nesting: the message says one level"
api POST /operations/UFO-1/relations '{"kind":"blocks","to":"UFO-2"}' \
    >/dev/null
is "$status" 201 "a relation answers 201"
refused 409 conflict "" "a duplicate relation" POST \
    /operations/UFO-1/relations '{"kind":"blocks","to":"UFO-2"}'

refused 400 invalid key "a key starting with a digit" POST /missions \
    '{"key":"1WEB","name":"Web"}'
refused 400 invalid key "a key with a dash" POST /missions \
    '{"key":"W-B","name":"Web"}'
refused 400 invalid key "an 11-character key" POST /missions \
    '{"key":"ABCDEFGHIJK","name":"Web"}'
refused 400 invalid name "a blank mission name" POST /missions \
    '{"key":"WEB","name":" "}'
refused 409 conflict "" "a duplicate mission" POST /missions \
    '{"key":"UFO","name":"Again"}'
refused 400 invalid kind "an unknown pilot kind" POST /pilots \
    '{"name":"x","kind":"robot"}'
refused 409 conflict "" "a duplicate pilot" POST /pilots \
    '{"name":"claude","kind":"claude"}'
refused 400 invalid limit "limit 0" GET "/operations?limit=0"
refused 400 invalid limit "limit 5000" GET "/operations?limit=5000"

# --- Media type -------------------------------------------------------------

refused 415 unsupported_media_type "" "text/plain" -T text/plain \
    POST /operations '{"title":"x"}'
refused 415 unsupported_media_type "" "no Content-Type" -T "" \
    POST /operations '{"title":"x"}'
refused 415 unsupported_media_type "" "a form" \
    -T application/x-www-form-urlencoded POST /operations 'title=x'
api -T "application/json; charset=utf-8" POST /operations \
    '{"title":"With charset"}' >/dev/null
is "$status" 201 "application/json with a charset is fine"

# --- Size -----------------------------------------------------------------------

# A 2 MiB body against the default 1 MiB limit.
awk 'BEGIN { printf "{\"title\":\"big\",\"body\":\""
	for (i = 0; i < 2 * 1024 * 1024; i++) printf "x"; printf "\"}" }' \
    >"$T/big.json"
refused 413 too_large "" "2 MiB over the default limit" POST /operations \
    "@$T/big.json"
check "ufod still answers after a large body" health

# Just under 1 MiB is fine.
awk 'BEGIN { printf "{\"title\":\"fits\",\"body\":\""
	for (i = 0; i < 1000 * 1000; i++) printf "y"; printf "\"}" }' \
    >"$T/fits.json"
api POST /operations "@$T/fits.json" >/dev/null
is "$status" 201 "a body under 1 MiB is accepted"

check "ufod stops" stop_ufod
printf 'max_body = 1K\n' >"$CONF"
start_ufod || bail_out "ufod did not restart with max_body = 1K"
awk 'BEGIN { printf "{\"title\":\"2K\",\"body\":\""
	for (i = 0; i < 2048; i++) printf "z"; printf "\"}" }' >"$T/2k.json"
refused 413 too_large "" "2 KiB over max_body = 1K" POST /operations \
    "@$T/2k.json"
awk 'BEGIN { printf "{\"title\":\"small\",\"body\":\""
	for (i = 0; i < 900; i++) printf "z"; printf "\"}" }' >"$T/small.json"
api POST /operations "@$T/small.json" >/dev/null
is "$status" 201 "a body under max_body = 1K is accepted"

# --- Routes -------------------------------------------------------------------

refused 404 not_found "" "an unknown route" GET /nope
refused 404 not_found "" "an unknown sub-route" GET /operations/UFO-1/nope
refused 404 not_found "" "outside the API" GET /../../etc/passwd
refused 404 not_found "" "an unknown op code" GET /operations/UFO-999
refused 404 not_found "" "an unknown op id" GET \
    /operations/op_aaaaaaaaaaaaaaaaaaaa
refused 404 not_found "" "an unknown mission key" GET /missions/NOPE
refused 404 not_found "" "PATCH an unknown op" PATCH /operations/UFO-999 \
    '{"title":"x"}'
refused 404 not_found "" "comment on an unknown op" POST \
    /operations/UFO-999/comments '{"body":"x"}'
refused "400|404" "invalid|not_found" "" "relate to an unknown op" POST \
    /operations/UFO-1/relations '{"kind":"blocks","to":"UFO-999"}'
refused 404 not_found "" "delete an unknown relation" DELETE \
    /operations/UFO-1/relations/rel_aaaaaaaaaaaaaaaaaaaa
refused 404 not_found "" "an unknown pilot" GET /pilots/nobody
refused 404 not_found "" "an unknown fleet header" -H "Ufo-Fleet: nowhere" \
    GET /operations

refused 405 method_not_allowed "" "DELETE /operations" DELETE /operations
allow=$(header Allow)
like "$allow" 'GET' "Allow lists GET"
like "$allow" 'POST' "Allow lists POST"
unlike "$allow" 'DELETE' "Allow does not list DELETE"
refused 405 method_not_allowed "" "PUT /operations/UFO-1" PUT \
    /operations/UFO-1 '{"title":"x"}'
like "$(header Allow)" 'PATCH' "Allow lists PATCH for an op"
refused 405 method_not_allowed "" "POST /health" POST /health '{}'
like "$(header Allow)" '^GET' "Allow for /health is GET"
refused 405 method_not_allowed "" "GET /server/shutdown" GET /server/shutdown

api GET /health >/dev/null
is "$status" 200 "health still 200 after all that"
is "$(jget status)" ok "health says ok"
is "$(jget protocol)" 1 "protocol 1"

done_testing
