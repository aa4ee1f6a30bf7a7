#!/bin/sh
# What the board does to operations and runs, pressed as keys through tmux
# and checked through the CLI afterwards: create (a title, then the body in
# $EDITOR), edit, move (move-left/move-right and move + a status), reorder
# inside a column, assign (pilot and member), priority, labels, comment in
# $EDITOR and as one line, archive with its confirmation, start, cancel and
# retry a run, filter. Keys come from the compiled-in keymap by action
# name, so a changed default changes the key, not the meaning.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
board_fixture_ufod || bail_out "ufod -R did not start"

# The editor: keeps what it was given in editor.in, writes editor.out (when
# there is one) in its place.
cat >"$HOME/bin/test-editor" <<'EOF'
#!/bin/sh
cat "$1" >"$HOME/editor.in"
[ ! -f "$HOME/editor.out" ] || cat "$HOME/editor.out" >"$1"
echo done >>"$HOME/editor.runs"
EOF
chmod +x "$HOME/bin/test-editor"
editor_writes()
{
	printf '%s\n' "$@" >"$HOME/editor.out"
}

ufo op create -t "Alpha" "echo alpha" >/dev/null &&
    ufo op create -t "Bravo" "echo bravo" >/dev/null &&
    ufo op create -t "Charlie" -a pilot:shell --no-start "sleep 60" \
    >/dev/null || bail_out "the operations were not created"
ME=$(jget items.0.email "$(api GET /members)")

# Polls the CLI until FIELD of OP is VALUE.
op_field()
{
	ufo --json op show "$1" >"$T/of.json" 2>/dev/null &&
	    jget "$2" "$(cat "$T/of.json")"
}

op_is()
{
	[ "$(op_field "$1" "$2")" = "$3" ]
}

# check_op NAME OP FIELD VALUE: a test point, waiting for the change.
check_op()
{
	if wait_for 15 op_is "$2" "$3" "$4"; then
		pass "$1"
	else
		fail "$1" "$2 $3: $(op_field "$2" "$3"), wanted $4"
	fi
}

# The codes of a status column, in board order.
column()
{
	ufo --json op list -s "$1" >"$T/col.json" 2>/dev/null &&
	    jget '*.code' "$(cat "$T/col.json")" | tr '\n' ' '
}

has_runs()
{
	[ "$(ufo --json run list -o "$1" 2>/dev/null)" != "[]" ]
}

editor_ran_more()
{
	[ "$(wc -l <"$HOME/editor.runs")" -gt "$1" ]
}

column_is()
{
	[ "$(column "$1")" = "$2" ]
}

board_start -e "$HOME/bin/test-editor" 80x24
board_wait "UFO-1" && board_settle
check "the board opens" board_alive

# --- Create -----------------------------------------------------------------

editor_writes "Body from the editor." "" "Second paragraph."
if board_goto UFO-1 && board_act board create &&
    board_wait "title"; then
	board_type "Made on the board"
	board_keys Enter
	if wait_for 15 ufo op show UFO-4; then
		pass "create: the operation exists"
	else
		fail "create: the operation exists"
	fi
	check_op "create: the title is the one typed" UFO-4 title \
	    "Made on the board"
	check_op "create: the body is the editor's" UFO-4 body \
	    "Body from the editor.

Second paragraph."
	check_op "create: in the column of the cursor" UFO-4 status backlog
	like "$(cat "$HOME/editor.in" 2>/dev/null)" "Made on the board" \
	    "create: the editor is told what it edits"
	board_wait "UFO-4"
	tap_result $? "create: the new card shows on the board"
else
	fail "create: a title is asked"
fi

# --- Edit --------------------------------------------------------------------

editor_writes "Alpha, renamed" "" "echo alpha again"
board_goto UFO-1 && board_act board edit
check_op "edit: the first line is the title" UFO-1 title "Alpha, renamed"
check_op "edit: the rest is the body" UFO-1 body "echo alpha again"
like "$(cat "$HOME/editor.in")" "^echo alpha$" \
    "edit: the editor starts from the body"

# --- Move --------------------------------------------------------------------

board_goto UFO-1 && board_act board move-right
check_op "move-right: backlog → todo" UFO-1 status todo
board_goto UFO-1 && board_act board move-right
check_op "move-right again: todo → in_progress" UFO-1 status in_progress
board_goto UFO-1 && board_act board move-left
check_op "move-left: in_progress → todo" UFO-1 status todo
if board_goto UFO-1 && board_act board move && board_wait "Move to"; then
	board_type "in_review"
	board_keys Enter
	check_op "move + a status picked by typing" UFO-1 status in_review
else
	fail "move asks where to"
fi
if board_goto UFO-1 && board_act board move && board_wait "Move to"; then
	board_keys Escape
	board_wait_gone "Move to"
	board_settle
	is "$(op_field UFO-1 status)" in_review "move, then Escape: nothing moves"
else
	fail "move asks where to, again"
fi
board_unfilter

# --- Reorder inside a column -------------------------------------------------

is "$(column backlog)" "UFO-2 UFO-3 UFO-4 " "the backlog in creation order"
board_goto UFO-4 && board_act board raise
if wait_for 15 column_is backlog "UFO-2 UFO-4 UFO-3 "; then
	pass "raise: UFO-4 goes above UFO-3"
else
	fail "raise: UFO-4 goes above UFO-3" "backlog: $(column backlog)"
fi
board_goto UFO-2 && board_act board lower
if wait_for 15 column_is backlog "UFO-4 UFO-2 UFO-3 "; then
	pass "lower: UFO-2 goes below UFO-4"
else
	fail "lower: UFO-2 goes below UFO-4" "backlog: $(column backlog)"
fi
board_unfilter
board_wait "UFO-3"

# --- Assign, priority, labels ------------------------------------------------

if board_goto UFO-2 && board_act board assign && board_wait "Assign to"; then
	board_type "user:$ME"
	board_keys Enter
	check_op "assign to a member" UFO-2 assignee "user:$ME"
	check_op "a member's operation stays where it is" UFO-2 status backlog
else
	fail "assign offers a picker"
fi
if board_goto UFO-4 && board_act board assign && board_wait "Assign to"; then
	board_type "pilot:shell"
	board_keys Enter
	check_op "assign to a pilot" UFO-4 assignee "pilot:shell"
	# The body "Body from the editor." is no shell command: the run
	# fails, and the operation goes in_progress, then blocked.
	if wait_for 15 has_runs UFO-4; then
		pass "assigning a pilot queues a run"
	else
		fail "assigning a pilot queues a run"
	fi
else
	fail "assign offers a picker, again"
fi

if board_goto UFO-2 && board_act board priority && board_wait "Priority"; then
	board_type "urgent"
	board_keys Enter
	check_op "priority picked by typing" UFO-2 priority 1
else
	fail "priority offers a picker"
fi

if board_goto UFO-2 && board_act board label && board_wait "Labels"; then
	board_type "+ui +fast"
	board_keys Enter
	check_op "labels added" UFO-2 labels '["fast","ui"]'
else
	fail "label asks which"
fi
if board_goto UFO-2 && board_act board label && board_wait "Labels"; then
	board_type "-fast"
	board_keys Enter
	check_op "a label removed" UFO-2 labels '["ui"]'
else
	fail "label asks which, again"
fi

# --- Comments ----------------------------------------------------------------

editor_writes "A comment from the editor." "" "With two paragraphs."
board_goto UFO-2 && board_act board comment
check_op "comment: written in \$EDITOR" UFO-2 comments.0.body \
    "A comment from the editor.

With two paragraphs."
if board_goto UFO-2 && board_act board comment-line &&
    board_wait "Comment on UFO-2"; then
	board_type "A one-line reply, ünïcödé"
	board_keys Enter
	check_op "comment-line: a reply typed on the status line" UFO-2 \
	    comments.1.body "A one-line reply, ünïcödé"
else
	fail "comment-line asks for the line"
fi
rm -f "$HOME/editor.out"
runs_before=$(wc -l <"$HOME/editor.runs" 2>/dev/null || echo 0)
board_goto UFO-2 && board_act board comment
wait_for 15 editor_ran_more "$runs_before"
board_settle
is "$(op_field UFO-2 'comments.#')" 2 \
    "comment: an editor left empty adds nothing"
board_has "Aborted"
tap_result $? "comment: the status line says it was aborted"

# --- Archive, with its confirmation -------------------------------------------

if board_goto UFO-2 && board_act board archive && board_wait "Archive"; then
	board_type n
	board_wait_gone "Archive UFO-2"
	board_settle
	is "$(op_field UFO-2 archived)" false "archive, answered n: kept"
else
	fail "archive asks first"
fi
if board_goto UFO-2 && board_act board archive && board_wait "Archive"; then
	board_type y
	check_op "archive, answered y: archived" UFO-2 archived true
	board_unfilter
	board_wait_gone "UFO-2"
	tap_result $? "an archived card leaves the board"
else
	fail "archive asks first, again"
fi

# --- Runs: start, cancel, retry -----------------------------------------------

run_field()
{
	ufo --json run list -o "$1" >"$T/rl.json" 2>/dev/null &&
	    jget "$2" "$(cat "$T/rl.json")"
}

run_field_is()
{
	[ "$(run_field "$1" "$2")" = "$3" ]
}

board_goto UFO-3 && board_act board start
if wait_for 20 run_field_is UFO-3 0.status running; then
	pass "start: the run of the assigned pilot runs"
else
	fail "start: the run of the assigned pilot runs" \
	    "$(ufo run list -o UFO-3)"
fi
board_wait_re "UFO-3.*|running"
check "start: the card shows the run" board_has_re "running|queued|claimed"
if board_goto UFO-3 && board_act board cancel && board_wait "Cancel"; then
	board_type y
	if wait_for 30 run_field_is UFO-3 0.status cancelled; then
		pass "cancel, answered y: the run is cancelled"
	else
		fail "cancel, answered y: the run is cancelled" \
		    "$(ufo run list -o UFO-3)"
	fi
else
	fail "cancel asks first"
fi
first=$(run_field UFO-3 0.id)
board_goto UFO-3 && board_act board retry
if wait_for 15 run_field_is UFO-3 '#' 2; then
	pass "retry: a new run"
else
	fail "retry: a new run" "$(ufo run list -o UFO-3)"
fi
isnt "$(run_field UFO-3 0.id)" "$first" "retry: the new run is the latest"
# The retry sleeps no longer than the test (its pilot is killed at exit
# too).
ufo run cancel "$(run_field UFO-3 0.id)" >/dev/null 2>&1

# --- Filter ------------------------------------------------------------------

board_act board filter
board_keys C-u
board_type "Charlie"
board_keys Enter
board_wait_gone "UFO-1"
tap_result $? "filter: other cards are hidden"
check "filter: the matching card stays" board_has "UFO-3"
board_act board filter
board_keys C-u
board_type "label:nosuchlabel"
board_keys Enter
board_wait_gone "UFO-3"
tap_result $? "filter: label: matches labels"
board_act board filter
board_keys C-u
board_type "assignee:pilot:shell"
board_keys Enter
board_wait_gone "UFO-1"
tap_result $? "filter: assignee: hides the others"
check "filter: assignee: keeps the pilot's operations" board_has "UFO-3"
board_unfilter
board_wait_gone "filter:"
tap_result $? "an empty filter shows every card"

# --- Errors go to the status line --------------------------------------------

board_goto UFO-1 && board_act board start
board_wait "not assigned to a pilot"
tap_result $? "start on an unassigned operation: the status line says why"
check "ufo is still running" board_alive

board_quit

# --- Bindings from ufo.conf --------------------------------------------------

printf 'bind board F7 move-right\nbind board L none\n' >"$CONF"
board_start -e "$HOME/bin/test-editor" 80x24
board_wait "Board ·" && board_settle
s0=$(op_field UFO-1 status)
s1=$(printf '%s\n' backlog todo in_progress in_review done |
    sed -n "/^$s0\$/{n;p;}")
board_goto UFO-1
board_keys L
board_settle
is "$(op_field UFO-1 status)" "$s0" "bind KEY none: the key does nothing"
board_goto UFO-1
board_keys F7
check_op "bind board F7 move-right: F7 moves right ($s0 → $s1)" UFO-1 \
    status "$s1"
board_quit "with bindings of ufo.conf, ufo"
done_testing
