#!/bin/sh
# kill -9 in the middle of writes: after a restart (which the stale lock
# and socket must not block) every create that was answered is there, the
# database is intact, and no code is handed out twice.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
start_ufod || bail_out "ufod did not start"

ROUNDS=3
: >"$T/acked"

# all_codes: every operation's code, archived too, sorted.
all_codes()
{
	api GET "/operations?archived=all&limit=1000" >/dev/null
	jget 'items.*.code' | sort
}

both_gone()
{
	gone "$1" && gone "$2"
}

# max_number: the highest operation number in the database.
max_number()
{
	api GET "/operations?archived=all&limit=1000" >/dev/null
	jget 'items.*.number' | sort -n | tail -n 1
}

i=1
while [ $i -le 10 ]; do
	ufo --json op create -t "Before the crash $i" "b" >"$T/c.json" \
	    2>/dev/null && jget code "$(cat "$T/c.json")" >>"$T/acked"
	i=$((i + 1))
done
is "$(wc -l <"$T/acked" | tr -d ' ')" 10 "ten operations made before any crash"

# The writer: creates until one fails, recording each acknowledged code.
# UFOD=/bin/false so that ufo cannot start a new ufod behind our back.
cat >"$T/writer" <<EOF
#!/bin/sh
n=0
while [ \$n -lt 400 ]; do
	if UFOD=/bin/false "$UFO_BIN" --socket "$SOCK" --json op create \\
	    -t "Round \$1 op \$n" "w" >"$T/w.\$1.json" 2>/dev/null; then
		sed -n 's/.*"code": *"\\([A-Z0-9]*-[0-9]*\\)".*/\\1/p' \\
		    "$T/w.\$1.json" | head -n 1 >>"$T/acked.\$1"
	else
		exit 0
	fi
	n=\$((n + 1))
done
EOF
chmod +x "$T/writer"

round=1
while [ $round -le $ROUNDS ]; do
	# Two writers at once, so the kill lands while requests are in flight.
	: >"$T/acked.$round-a"
	: >"$T/acked.$round-b"
	background "$T/writer.$round-a.out" "$T/writer" "$round-a"
	wa=$BG_PID
	background "$T/writer.$round-b.out" "$T/writer" "$round-b"
	wb=$BG_PID
	# Let some writes land, then kill ufod in the middle of the next ones.
	wait_for 30 sh -c "[ \$(cat '$T/acked.$round-a' '$T/acked.$round-b' |
	    wc -l) -ge $((round * 4)) ]"
	kill -KILL "$UFOD_PID"
	wait "$UFOD_PID" 2>/dev/null
	check "round $round: the writers stop once ufod is gone" \
	    wait_for 60 both_gone "$wa" "$wb"
	acked=$(cat "$T/acked.$round-a" "$T/acked.$round-b" | grep -c .)
	cat "$T/acked.$round-a" "$T/acked.$round-b" >>"$T/acked"
	diag "round $round: $acked creates acknowledged before the kill"
	check "round $round: a stale socket is left behind" test -S "$SOCK"
	start_ufod || bail_out "round $round: ufod did not restart after kill -9"
	pass "round $round: ufod restarts over the stale lock and socket"
	now=$(all_codes)
	missing=
	for c in $(cat "$T/acked"); do
		printf '%s\n' "$now" | grep -qx "$c" || missing="$missing $c"
	done
	is "$missing" "" "round $round: every acknowledged create survived"
	is "$(printf '%s\n' "$now" | uniq -d)" "" \
	    "round $round: no code appears twice"
	round=$((round + 1))
done

# Codes are never reused: the next one is past every number ever stored.
top=$(max_number)
ok "a create after the crashes" ufo --json op create -t "After" "a"
is "$(jget number "$out")" "$((top + 1))" "the next number follows the highest"
api GET /missions/UFO >/dev/null
is "$(jget next_number)" "$((top + 2))" "the mission's sequence agrees"

check "ufod stops cleanly" stop_ufod
is "$rc" 0 "with status 0"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1)" ok \
    "PRAGMA integrity_check says ok"
is "$(sqlite3 "$DB" 'PRAGMA foreign_key_check;' 2>&1)" "" \
    "no foreign key violations"

# One more kill -9 with no writes in flight, then straight back.
start_ufod || bail_out "ufod did not start again"
kill -KILL "$UFOD_PID"
wait "$UFOD_PID" 2>/dev/null
start_ufod
is "$?" 0 "ufod starts right after kill -9 with nothing in flight"
n=$(all_codes | wc -l | tr -d ' ')
want=$(($(sort -u "$T/acked" | wc -l) + 1))
# More is fine: a create may commit and lose its answer to the kill.
check "all $want acknowledged creates are there ($n in all)" \
    test "$n" -ge "$want"

done_testing
