#!/bin/sh
# The change feed: ufo events, long-polls woken by another process's change,
# server-sent events, Last-Event-ID replay, and replay after a restart.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
start_ufod || bail_out "ufod did not start"

# The id of the newest event.
last_event()
{
	api GET "/events?since=0&wait=0&limit=1000" >/dev/null
	jget last
}

# sse_ids FILE: the ids of the events in an SSE stream, one line.
sse_ids()
{
	tr -d '\r' <"$1" | sed -n 's/^id: *//p' | tr '\n' ' ' | sed 's/ $//'
}

# --- ufo events ----------------------------------------------------------

ok "create an op" ufo --json op create -t "Watch the skies" "Look up."
op_id=$(jget id "$out")
ok "comment on it" ufo op comment UFO-1 "Nothing yet."

ok "ufo events exits 0" ufo events
printf '%s\n' "$out" | while IFS= read -r l; do
	json_valid "$l" || echo bad
done >"$T/bad"
is "$(cat "$T/bad")" "" "every line is one JSON object"
like "$out" '"kind": *"operation.created"' "operation.created is listed"
like "$out" '"kind": *"comment.created"' "comment.created is listed"
like "$out" "$op_id" "with the operation's id"
first=$(printf '%s\n' "$out" | grep operation.created | head -n 1)
is "$(jget entity_id "$first")" "$op_id" "entity_id is the operation"
is "$(jget data.code "$first")" UFO-1 "data is the operation's snapshot"
like "$(jget fleet "$first")" '^flt_' "the event names its fleet"
like "$(jget created_at "$first")" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' \
    "created_at is a UTC timestamp with milliseconds"

ids=$(printf '%s\n' "$out" | while IFS= read -r l; do jget id "$l"; done |
    tr '\n' ' ')
sorted=$(printf '%s\n' $ids | sort -n | tr '\n' ' ')
is "$ids" "$sorted" "events come in id order"

mid=$(printf '%s\n' $ids | tail -n 1)
ok "ufo op move" ufo op move UFO-1 todo
ok "ufo events --since" ufo events --since "$mid"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "--since shows only newer events"
like "$out" '"kind": *"operation.(moved|updated)"' "the move is the new event"

# --- Long-poll ----------------------------------------------------------------

L=$(last_event)
like "$L" '^[0-9]+$' "the last event id is a number"
api GET "/events?since=$L&wait=0" >/dev/null
is "$status" 200 "wait=0 answers at once"
is "$(jget items.#)" 0 "with no items when nothing is newer"
is "$(jget last)" "$L" "and last unchanged"

api GET "/events?since=$L&wait=1" >/dev/null
is "$(jget items.#)" 0 "wait=1 with nothing new ends with no items"

api GET "/events?since=0&wait=0&limit=2" >/dev/null
is "$(jget items.#)" 2 "limit caps the items"

# Park a long-poll, change something from another process, and see it wake
# with that change. wait=60 is only an upper bound: it should end at once.
background "$T/poll" curl -s --max-time 90 --unix-socket "$SOCK" \
    "http://localhost/api/v1/events?since=$L&wait=60"
poll=$BG_PID
sleep 0.5
check "the long-poll is parked while nothing happens" alive "$poll"
ok "another process changes something" ufo --json op create \
    -t "Wake the poller" "now"
woke_id=$(jget id "$out")
check "the long-poll answers after the change" wait_for 45 gone "$poll"
resp=$(cat "$T/poll")
check "its answer parses" json_valid "$resp"
is "$(jget items.0.kind "$resp")" operation.created \
    "it answered with the new event"
is "$(jget items.0.entity_id "$resp")" "$woke_id" "for the new operation"
is "$(jget items.0.id "$resp")" "$((L + 1))" "the next id after since"

# Several parked polls are all woken by one change.
L=$(last_event)
background "$T/p1" curl -s --max-time 90 --unix-socket "$SOCK" \
    "http://localhost/api/v1/events?since=$L&wait=60"
p1=$BG_PID
background "$T/p2" curl -s --max-time 90 --unix-socket "$SOCK" \
    "http://localhost/api/v1/events?since=$L&wait=60"
p2=$BG_PID
sleep 0.5
ok "one change" ufo op comment UFO-1 "Everyone wake up."
check "first poller woke" wait_for 45 gone "$p1"
check "second poller woke" wait_for 45 gone "$p2"
is "$(jget items.0.kind "$(cat "$T/p1")")" comment.created "first got it"
is "$(jget items.0.kind "$(cat "$T/p2")")" comment.created "second got it"

# --- ufo events -f ------------------------------------------------------------

background "$T/follow" ufo events -f --since "$(last_event)"
follow=$BG_PID
sleep 0.5
ok "change while following" ufo --json op create -t "Followed" "f"
fid=$(jget id "$out")
check "ufo events -f prints the new event" wait_for 30 grep -q "$fid" \
    "$T/follow"
check "ufo events -f keeps running" alive "$follow"
kill "$follow" 2>/dev/null
line=$(grep "$fid" "$T/follow" | head -n 1)
check "the followed line is JSON" json_valid "$line"

# --- Server-sent events -----------------------------------------------------

L=$(last_event)
background "$T/sse" curl -sN --max-time 120 --unix-socket "$SOCK" \
    -H 'Accept: text/event-stream' \
    "http://localhost/api/v1/events?since=$L"
sse=$BG_PID
sleep 0.5
check "the stream stays open" alive "$sse"
ok "first change" ufo op comment UFO-1 "one"
ok "second change" ufo op comment UFO-1 "two"
check "both events arrive on the stream" wait_for 30 sh -c \
    "[ \$(tr -d '\\r' <'$T/sse' | grep -c '^data:') -ge 2 ]"
is "$(sse_ids "$T/sse")" "$((L + 1)) $((L + 2))" "ids follow since"
is "$(tr -d '\r' <"$T/sse" | sed -n 's/^event: *//p' | tr '\n' ' ')" \
    "comment.created comment.created " "event: names the kind"
data=$(tr -d '\r' <"$T/sse" | sed -n 's/^data: *//p' | head -n 1)
check "data: is JSON" json_valid "$data"
is "$(jget data.body "$data")" one "data: carries the event"
kill "$sse" 2>/dev/null
got=$((L + 2))

# Missed while disconnected: exactly these come back with Last-Event-ID.
ok "missed 1" ufo op comment UFO-1 "three"
ok "missed 2" ufo op move UFO-1 in_progress
ok "missed 3" ufo op edit UFO-1 -p 2
api GET "/events?since=$got&wait=0&limit=1000" >/dev/null
want=$(jget 'items.*.id' | tr '\n' ' ' | sed 's/ $//')
is "$(printf '%s\n' $want | wc -l | tr -d ' ')" 3 "three events were missed"
background "$T/sse2" curl -sN --max-time 120 --unix-socket "$SOCK" \
    -H 'Accept: text/event-stream' -H "Last-Event-ID: $got" \
    "http://localhost/api/v1/events"
sse2=$BG_PID
check "the missed events are replayed" wait_for 30 sh -c \
    "[ \$(tr -d '\\r' <'$T/sse2' | grep -c '^data:') -ge 3 ]"
sleep 0.3
is "$(sse_ids "$T/sse2")" "$want" "exactly the missed events, once, in order"
ok "a new change" ufo op comment UFO-1 "after reconnect"
check "the reconnected stream goes on live" wait_for 30 sh -c \
    "[ \$(tr -d '\\r' <'$T/sse2' | grep -c '^data:') -ge 4 ]"
kill "$sse2" 2>/dev/null

# --- Restart: the feed is in the database -------------------------------------

api GET "/events?since=0&wait=0&limit=1000" >/dev/null
before_ids=$(jget 'items.*.id' | tr '\n' ' ')
before_kinds=$(jget 'items.*.kind' | tr '\n' ' ')
check "ufod stops" stop_ufod
start_ufod || bail_out "ufod did not restart"
api GET "/events?since=0&wait=0&limit=1000" >/dev/null
is "$(jget 'items.*.id' | tr '\n' ' ')" "$before_ids" \
    "after a restart the feed replays the same ids"
is "$(jget 'items.*.kind' | tr '\n' ' ')" "$before_kinds" "and kinds"
ok "ufo events after restart" ufo events
like "$out" "$op_id" "ufo events replays from the database"
ok "a change after restart" ufo --json op create -t "After" "restart"
last=$(last_event)
last_before=$(printf '%s\n' $before_ids | tail -n 1)
is "$last" "$((last_before + 1))" "ids go on from where they were"

done_testing
