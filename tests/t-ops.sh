#!/bin/sh
# Operations end to end through the CLI: create, list and its filters,
# show, edit, move and order, assign, comment, labels, relations,
# sub-operations, archive, paging; missions and pilots.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
start_ufod || bail_out "ufod did not start"

# field OP PATH: a field of `ufo --json op show OP`.
field()
{
	"$UFO_BIN" --socket "$SOCK" --json op show "$1" >"$T/field.json" \
	    2>/dev/null || { echo "(op show $1 failed)"; return 0; }
	jget "$2" "$(cat "$T/field.json")"
}

# codes ARGS...: the codes `ufo --json op list ARGS` prints, one line.
codes()
{
	"$UFO_BIN" --socket "$SOCK" --json op list "$@" >"$T/codes.json" \
	    2>"$T/codes.err" || { echo "(op list $* failed: $(cat \
	    "$T/codes.err"))"; return 0; }
	jget '*.code' "$(cat "$T/codes.json")" | tr '\n' ' ' | sed 's/ $//'
}

# editor NAME TEXT: an editor script that replaces its file with TEXT.
editor()
{
	printf '%s' "$2" >"$T/$1.text"
	cat >"$T/$1" <<-EOF
	#!/bin/sh
	cat '$T/$1.text' >"\$1"
	EOF
	chmod +x "$T/$1"
	echo "$T/$1"
}

ops_total()
{
	api GET "/operations?archived=all&limit=1000" >/dev/null
	jget items.#
}

# --- Create ------------------------------------------------------------------

ok "create with a title and a body" ufo --json op create -t "Fix the hatch" \
    "It sticks when cold."
is "$(jget code "$out")" UFO-1 "the first operation is UFO-1"
is "$(jget title "$out")" "Fix the hatch" "title kept"
is "$(jget body "$out")" "It sticks when cold." "body kept"
is "$(jget status "$out")" backlog "status defaults to backlog"
is "$(jget priority "$out")" 0 "priority defaults to 0"
is "$(jget assignee "$out")" null "no assignee by default"
is "$(jget mission "$out")" UFO "mission defaults to UFO"
like "$(jget id "$out")" '^op_[a-z2-7]{20}$' "the id is op_ and 20 base32 chars"
is "$(jget archived "$out")" false "not archived"

ok "create with priority, labels and an assignee" ufo --json op create \
    -t "Refuel" -p 2 -l ui -l bug -a pilot:claude --no-start "Tank is low."
is "$(jget code "$out")" UFO-2 "numbers follow the mission's sequence"
is "$(jget priority "$out")" 2 "priority 2 (high)"
is "$(jget labels "$out")" '["bug","ui"]' "labels sorted by name"
is "$(jget assignee "$out")" pilot:claude "assigned to pilot:claude"

run_in "Body from stdin
second line" ufo --json op create -t "From stdin" -
is "$rc" 0 "create with body - reads stdin"
is "$(jget body "$out")" "Body from stdin
second line" "the body is standard input"

ed=$(editor ed-create "Title from the editor

Body from the editor.
")
run env EDITOR="$ed" "$UFO_BIN" --socket "$SOCK" --json op create
is "$rc" 0 "create with neither body nor -t opens EDITOR"
is "$(jget title "$out")" "Title from the editor" "first line is the title"
like "$(jget body "$out")" '^Body from the editor\.' "the rest is the body"
ed2=$(editor ed-visual "From VISUAL

visual body")
run env EDITOR="$ed" VISUAL="$ed2" "$UFO_BIN" --socket "$SOCK" --json \
    op create
is "$(jget title "$out")" "From VISUAL" "VISUAL wins over EDITOR"

n=$(ops_total)
empty=$(editor ed-empty "")
run env EDITOR="$empty" "$UFO_BIN" --socket "$SOCK" op create
is "$rc" 1 "an empty editor file aborts with status 1"
like "$err" 'aborted: empty message' "and says so"
is "$(ops_total)" "$n" "nothing was created"

fails 1 "a blank title fails" ufo op create -t "   " "body"
like "$err" 'title' "the error names the title"
fails 1 "an unknown mission fails" ufo op create -m NOPE -t "x" "y"
like "$err" 'NOPE' "the error names the mission"
run ufo op create -t x -p 5 y
isnt "$rc" 0 "priority 5 is refused"
run ufo op create -t x -p -1 y
isnt "$rc" 0 "priority -1 is refused"
is "$(ops_total)" "$n" "failed creates wrote nothing"

# --- Show ------------------------------------------------------------------

ok "op show by code" ufo op show UFO-1
like "$out" 'Fix the hatch' "show prints the title"
like "$out" 'It sticks when cold' "show prints the body"
ok "op show with a lower-case key" ufo --json op show ufo-1
is "$(jget code "$out")" UFO-1 "codes are case-insensitive"
id=$(jget id "$out")
ok "op show by id" ufo --json op show "$id"
is "$(jget code "$out")" UFO-1 "ids work where codes do"
is "$(jget comments "$out")" "[]" "show has comments"
is "$(jget relations "$out")" "[]" "show has relations"
is "$(jget subs "$out")" "[]" "show has sub-operations"

# --- Edit ------------------------------------------------------------------

ok "edit title, priority and status" ufo --json op edit UFO-1 \
    -t "Fix the airlock hatch" -p 3 -s todo
is "$(jget title "$out")" "Fix the airlock hatch" "title changed"
is "$(jget priority "$out")" 3 "priority changed"
is "$(jget status "$out")" todo "status changed"
is "$(jget body "$out")" "It sticks when cold." "body untouched"
run_in "New body." ufo --json op edit UFO-1 -b -
is "$rc" 0 "edit -b - reads stdin"
is "$(field UFO-1 body)" "New body." "body changed"
ed=$(editor ed-edit "Edited in the editor

Edited body.")
run env EDITOR="$ed" "$UFO_BIN" --socket "$SOCK" op edit UFO-1
is "$rc" 0 "edit with no option opens the editor"
is "$(field UFO-1 title)" "Edited in the editor" "editor sets the title"
is "$(field UFO-1 body)" "Edited body." "editor sets the body"
fails 1 "an unknown status fails" ufo op edit UFO-1 -s doing
like "$err" 'status' "the error names the status"

# --- List and filters -------------------------------------------------------

ok "mission create WEB" ufo --json mission create WEB "Web site" \
    --repo /srv/web.git --branch main
is "$(jget key "$out")" WEB "mission key"
is "$(jget repo "$out")" /srv/web.git "mission repo"
is "$(jget branch "$out")" main "mission branch"
ok "an op in WEB" ufo --json op create -m WEB -t "Login form broken" \
    -l bug -a "pilot:codex" --no-start "Safari."
is "$(jget code "$out")" WEB-1 "WEB has its own sequence"
ok "a second op in WEB" ufo --json op create -m WEB -t "Dark mode" "Please."
ok "move WEB-2 to in_progress" ufo op move WEB-2 in_progress

all=$(codes)
like "$all" 'UFO-1' "op list shows UFO-1"
like "$all" 'WEB-2' "op list shows every mission"
is "$(codes -m WEB)" "WEB-1 WEB-2" "filter by mission"
is "$(codes -s todo)" "UFO-1" "filter by status"
is "$(codes -s todo,in_progress)" "UFO-1 WEB-2" \
    "filter by a status list, in board order"
is "$(codes -l bug)" "UFO-2 WEB-1" "filter by label"
is "$(codes -a pilot:codex)" "WEB-1" "filter by assignee"
is "$(codes -q "dark MODE")" "WEB-2" "filter by text, case-insensitive"
is "$(codes -q "Safari")" "WEB-1" "text matches the body"
is "$(codes -q WEB-1)" "WEB-1" "filter by code"
is "$(codes -m WEB -l bug)" "WEB-1" "filters combine"
is "$(codes -q nothing-matches-this)" "" "no match, empty list"
fails 1 "an unknown status filter fails" ufo op list -s doing

ok "op list table" ufo op list -m WEB
like "$out" 'WEB-1' "table has WEB-1"
like "$out" 'Login form broken' "table has the title"

# --- Move and order ---------------------------------------------------------

ok "A" ufo --json op create -t "Order A" "a"
a=$(jget code "$out")
ok "B" ufo --json op create -t "Order B" "b"
b=$(jget code "$out")
ok "C" ufo --json op create -t "Order C" "c"
c=$(jget code "$out")
for x in "$a" "$b" "$c"; do
	ufo op move "$x" blocked >/dev/null 2>&1
done
is "$(codes -s blocked)" "$a $b $c" "moving to a status appends at its end"
ok "move C before A" ufo op move "$c" blocked --before "$a"
is "$(codes -s blocked)" "$c $a $b" "C is now first"
ok "move C after B" ufo op move "$c" blocked --after "$b"
is "$(codes -s blocked)" "$a $b $c" "C is last again"
ok "move A after B" ufo op move "$a" blocked --after "$b"
is "$(codes -s blocked)" "$b $a $c" "A between B and C"
# Many moves into the same gap force a renumbering of the column.
i=0
while [ $i -lt 12 ]; do
	ufo op move "$c" blocked --after "$b" >/dev/null 2>&1
	ufo op move "$a" blocked --after "$b" >/dev/null 2>&1
	i=$((i + 1))
done
is "$(codes -s blocked)" "$b $a $c" "order survives repeated moves into one gap"
ok "move B to done" ufo --json op move "$b" done
is "$(jget status "$out")" done "B is done"
is "$(codes -s blocked)" "$a $c" "B left the blocked column"
run ufo op move "$a" blocked --before "$b"
isnt "$rc" 0 "--before an op of another status fails"
fails 1 "move to an unknown status fails" ufo op move "$a" doing

# --- Assign -----------------------------------------------------------------

api GET /members >/dev/null
email=$(jget items.0.email)
like "$email" '@localhost$' "the local owner is LOGIN@localhost"
ok "assign to a pilot" ufo --json op assign UFO-1 pilot:goose
is "$(jget assignee "$out")" pilot:goose "assignee pilot:goose"
ok "assign to a user" ufo --json op assign UFO-1 "user:$email"
is "$(jget assignee "$out")" "user:$email" "assignee user:EMAIL"
ok "assign to none" ufo --json op assign UFO-1 none
is "$(jget assignee "$out")" null "assignee cleared"
fails 1 "an unknown pilot fails" ufo op assign UFO-1 pilot:nobody
like "$err" 'nobody' "the error names the pilot"
fails 1 "an unknown user fails" ufo op assign UFO-1 user:ghost@nowhere
fails 1 "an unknown assignee form fails" ufo op assign UFO-1 bogus
like "$err" 'assignee' "the error is about the assignee"
is "$(field UFO-1 assignee)" null "failed assigns changed nothing"

# --- Comments -----------------------------------------------------------------

ok "comment with text" ufo op comment UFO-1 "First contact."
run_in "From stdin." ufo op comment UFO-1 -
is "$rc" 0 "comment - reads stdin"
ed=$(editor ed-comment "From the editor.")
run env EDITOR="$ed" "$UFO_BIN" --socket "$SOCK" op comment UFO-1
is "$rc" 0 "comment with no text opens the editor"
empty=$(editor ed-empty2 "")
run env EDITOR="$empty" "$UFO_BIN" --socket "$SOCK" op comment UFO-1
is "$rc" 1 "an empty comment aborts"
fails 1 "a blank comment fails" ufo op comment UFO-1 "  "
ok "show --json" ufo --json op show UFO-1
is "$(jget comments.# "$out")" 3 "three comments"
is "$(jget comments.*.body "$out" | tr '\n' '|')" \
    "First contact.|From stdin.|From the editor.|" "oldest first"
is "$(jget comments.0.author_kind "$out")" user "written by a user"
is "$(jget comments.0.operation "$out")" UFO-1 "naming the operation"
ok "show prints comments" ufo op show UFO-1
like "$out" 'First contact\.' "comment text in show"

# --- Labels -----------------------------------------------------------------

ok "add labels" ufo --json op label UFO-1 +infra docs +bug
is "$(jget labels "$out")" '["bug","docs","infra"]' "labels added, sorted"
ok "remove a label" ufo --json op label UFO-1 -- -docs
is "$(jget labels "$out")" '["bug","infra"]' "docs removed"
ok "adding a present label is harmless" ufo --json op label UFO-1 +bug
is "$(jget labels "$out")" '["bug","infra"]' "no duplicate label"
fails 1 "a label with a space fails" ufo op label UFO-1 "+two words"
ok "label list" ufo --json label list
is "$(jget '*.name' "$out" | tr '\n' ' ')" "bug docs infra ui " \
    "labels are created implicitly, listed by name"
ok "label create" ufo --json label create release --color red
is "$(jget color "$out")" red "label colour"
fails 1 "a duplicate label fails" ufo label create release

# --- Relations --------------------------------------------------------------

ok "relate UFO-1 blocks UFO-2" ufo --json op relate UFO-1 blocks UFO-2
rel=$(jget id "$out")
like "$rel" '^rel_' "the relation has an id"
ok "show UFO-1" ufo --json op show UFO-1
is "$(jget relations.0.kind "$out")" blocks "UFO-1 has the relation"
is "$(jget relations.0.from "$out")" UFO-1 "from UFO-1"
is "$(jget relations.0.to "$out")" UFO-2 "to UFO-2"
is "$(field UFO-2 relations.0.id)" "$rel" "UFO-2 sees it too"
fails 1 "relating an op to itself fails" ufo op relate UFO-1 relates UFO-1
like "$err" 'itself|to' "the error says why"
fails 1 "a duplicate relation fails" ufo op relate UFO-1 blocks UFO-2
run ufo op relate UFO-1 loves UFO-2
isnt "$rc" 0 "an unknown kind fails"
fails 1 "relating to a missing op fails" ufo op relate UFO-1 relates UFO-999
ok "unrelate" ufo op unrelate UFO-1 "$rel"
is "$(field UFO-1 relations)" "[]" "the relation is gone"
is "$(field UFO-2 relations)" "[]" "from both ends"

# --- Sub-operations ---------------------------------------------------------

ok "parent" ufo --json op create -t "Parent" "p"
parent=$(jget code "$out")
ok "child" ufo --json op create -t "Child one" --parent "$parent" "c1"
child=$(jget code "$out")
is "$(jget parent "$out")" "$parent" "the child names its parent"
ok "second child" ufo --json op create -t "Child two" --parent "$parent" "c2"
child2=$(jget code "$out")
ufo op move "$child2" done >/dev/null 2>&1
is "$(field "$parent" children.total)" 2 "parent counts two children"
is "$(field "$parent" children.done)" 1 "one of them done"
is "$(field "$parent" subs.*.code | tr '\n' ' ')" "$child $child2 " \
    "show lists the sub-operations"
is "$(codes --parent "$parent")" "$child $child2" "list --parent"
fails 1 "a grandchild is refused" ufo op create -t "Grandchild" \
    --parent "$child" "g"
like "$err" 'one level' "the error says only one level"
fails 1 "a parent cannot become a child" ufo op edit "$parent" --parent UFO-1
fails 1 "an op cannot be its own parent" ufo op edit UFO-1 --parent UFO-1
ok "detach a child" ufo --json op edit "$child" --parent none
is "$(jget parent "$out")" null "the child is detached"
is "$(field "$parent" children.total)" 1 "the parent has one child left"

# --- Archive: codes are never reused -----------------------------------------

ok "create in WEB" ufo --json op create -m WEB -t "Doomed" "x"
doomed=$(jget code "$out")
is "$doomed" WEB-3 "WEB-3"
ok "archive it" ufo --json op archive "$doomed"
is "$(jget archived "$out")" true "archived"
unlike "$(codes -m WEB)" "$doomed" "archived ops leave the list"
is "$(codes -m WEB --archived)" "$doomed" "--archived lists only archived"
is "$(codes -m WEB --all)" "WEB-1 WEB-3 WEB-2" \
    "--all lists both, in board order"
ok "create after archiving" ufo --json op create -m WEB -t "Next" "y"
is "$(jget code "$out")" WEB-4 "the archived code is not reused"
ok "unarchive" ufo --json op unarchive "$doomed"
is "$(jget archived "$out")" false "unarchived"
like "$(codes -m WEB)" "$doomed" "back in the list"
ok "archive it again" ufo op archive "$doomed"
ok "show archived" ufo --json op show "$doomed"
is "$(jget archived "$out")" true "show says archived"

# --- Paging -----------------------------------------------------------------

ok "mission for paging" ufo mission create PAGE "Paging"
i=1
while [ $i -le 23 ]; do
	"$UFO_BIN" --socket "$SOCK" op create -m PAGE -t "Page $i" "p" \
	    >/dev/null 2>&1 || fail "create PAGE op $i"
	i=$((i + 1))
done
# Mix the order up a little: some in todo.
for x in PAGE-4 PAGE-9 PAGE-17; do
	ufo op move "$x" todo >/dev/null 2>&1
done
want=$(codes -m PAGE -n 1000)
is "$(printf '%s\n' $want | wc -l | tr -d ' ')" 23 "23 operations in PAGE"
got=
before=
pages=0
while [ $pages -lt 20 ]; do
	if [ -n "$before" ]; then
		page=$(codes -m PAGE -n 5 --before "$before")
	else
		page=$(codes -m PAGE -n 5)
	fi
	[ -n "$page" ] || break
	got="$got $page"
	before=${page##* }
	pages=$((pages + 1))
done
got=${got# }
is "$got" "$want" "pages of 5 with --before cover all, once, in order"
is "$pages" 5 "in five pages"
is "$(printf '%s\n' $got | sort | uniq -d)" "" "no operation twice"

# The API's own cursor: next is null on the last page.
api GET "/operations?mission=PAGE&limit=10" >/dev/null
is "$(jget items.#)" 10 "API: a page of 10"
next=$(jget next)
isnt "$next" null "API: next is set while more exist"
api GET "/operations?mission=PAGE&limit=10&before=$next" >/dev/null
next=$(jget next)
api GET "/operations?mission=PAGE&limit=10&before=$next" >/dev/null
is "$(jget items.#)" 3 "API: the last page has the rest"
is "$(jget next)" null "API: next is null on the last page"

# --- Missions ---------------------------------------------------------------

fails 1 "a duplicate mission key fails" ufo mission create WEB "Again"
like "$err" 'WEB' "the error names the key"
run ufo mission create 9LIVES "a digit first"
isnt "$rc" 0 "a key starting with a digit fails"
ok "a lower-case key is raised" ufo --json mission create low "Lower"
is "$(jget key "$out")" LOW "to upper case"
run ufo mission create TOOLONGKEY1 "eleven"
isnt "$rc" 0 "an 11-character key fails"
ok "mission list" ufo --json mission list
is "$(jget '*.key' "$out" | tr '\n' ' ')" "LOW PAGE UFO WEB " "missions by key"
ok "mission show" ufo --json mission show WEB
is "$(jget name "$out")" "Web site" "mission show WEB"
is "$(jget next_number "$out")" 5 "WEB's next number is 5"
ok "mission list table" ufo mission list
like "$out" 'WEB.*Web site' "table shows key and name"

# --- Pilots ---------------------------------------------------------------------

ok "pilot create" ufo --json pilot create night --kind shell --model m1 \
    --arg -x --arg --fast --cred GH_TOKEN --env A=1 --env B=two \
    --max-turns 5 --timeout 60
is "$(jget name "$out")" night "pilot name"
is "$(jget kind "$out")" shell "pilot kind"
is "$(jget model "$out")" m1 "pilot model"
is "$(jget args "$out")" '["-x","--fast"]' "pilot args, in order"
is "$(jget env.B "$out")" two "pilot env"
is "$(jget credentials "$out")" '["GH_TOKEN"]' "pilot credentials"
is "$(jget max_turns "$out")" 5 "pilot max_turns"
is "$(jget timeout "$out")" 60 "pilot timeout"
ok "pilot with defaults" ufo --json pilot create bare --kind command
is "$(jget timeout "$out")" 3600 "timeout defaults to 3600"
fails 1 "a duplicate pilot fails" ufo pilot create night --kind shell
run ufo pilot create odd --kind robot
isnt "$rc" 0 "an unknown kind fails"
run ufo pilot create "Bad Name" --kind shell
isnt "$rc" 0 "a bad pilot name fails"
ok "pilot list" ufo --json pilot list
is "$(jget '*.name' "$out" | tr '\n' ' ')" "bare claude codex goose night shell " \
    "pilots by name"
ok "pilot show" ufo --json pilot show night
is "$(jget kind "$out")" shell "pilot show night"
fails 1 "reassigning while a run is queued is refused" \
    ufo op assign UFO-1 pilot:night
ok "assign to the new pilot without a run" \
    ufo --json op assign UFO-1 pilot:night --no-start
is "$(jget assignee "$out")" pilot:night "assignable at once"

done_testing
