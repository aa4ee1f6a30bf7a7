#!/bin/sh
# The board's views as the user sees them, driven through tmux against a
# real ufod whose local rover ran a shell pilot and a fake claude: golden
# screens of every view (board, list, lanes, operation, run, diff, rovers,
# signals, help) at 80x24 and 160x48, regenerated with GENERATE=1; the help
# view lists every action of the keymap; resizing 80x24 → 160x48 → 60x20;
# moving through columns, hidden columns, sorting, the run view's folds and
# search, marking signals read; NO_COLOR and a monochrome terminal draw no
# colour; quitting exits 0.
#
# After a deliberate change of a view, regenerate and review the goldens:
#   make check TESTS=tests/t-board.sh GENERATE=1 && git diff tests/golden
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
board_fixture_ufod || bail_out "ufod -R did not start"
board_fixture

# Ids the screens may show, shortened or not.
for id in "$SHELL_RUN" "$CLAUDE_RUN"; do
	short=$(printf '%s' "${id#run_}" | cut -c1-8)
	BOARD_MASK="$BOARD_MASK
s/\\b$short\\b/XXXXXXXX/g"
done
rover=$(jget 0.id "$(ufo --json rover list)")
BOARD_MASK="$BOARD_MASK
s/\\b$(printf '%s' "${rover#rov_}" | cut -c1-8)\\b/XXXXXXXX/g"

# board_view NAME WANT MAP ACTION: presses the key of ACTION (in MAP) and
# waits for the view to show WANT and settle.
board_view()
{
	_name=$1
	_want=$2
	board_act "$3" "$4" || { fail "$_name: a key for $4"; return 1; }
	if board_wait "$_want" && board_settle; then
		return 0
	fi
	fail "$_name: the view shows \"$_want\""
	return 1
}

# All nine views at one size.
goldens()
{
	size=$1
	board_start "$size" || { fail "$size: the board starts"; return 1; }
	if board_wait "UFO-1" && board_settle; then
		board_golden "board-$size"
	else
		fail "$size: the board shows UFO-1"
	fi

	board_view "$size help" "move-left" generic view-help &&
	    board_golden "help-$size"
	board_act help back
	board_wait_gone "move-left"
	board_view "$size list" "Say hello" generic view-list &&
	    board_golden "list-$size"
	board_view "$size lanes" "WEB" generic view-lanes &&
	    board_golden "lanes-$size"
	board_view "$size rovers" "local" generic view-rovers &&
	    board_golden "rovers-$size"
	board_view "$size signals" "UFO-7" generic view-signals &&
	    board_golden "signals-$size"
	board_view "$size board again" "UFO-1" generic view-board

	# The operation with labels, sub-operations and a comment.
	if board_goto UFO-1; then
		board_view "$size operation" "Seen on staging too." \
		    board enter && board_golden "operation-$size"
		board_has "UFO-6"
		tap_result $? "$size operation: its relations are shown"
		board_act operation back
		board_wait_gone "Seen on staging too."
	else
		fail "$size: the cursor reaches UFO-1"
	fi

	# The fake claude's run: text, tool calls and their results, usage.
	if board_goto "$CLAUDE_OP"; then
		board_view "$size run" "I'll look at the repository first." \
		    board view-run && board_golden "run-$size"
		board_act run back
		board_wait_gone "I'll look at the repository first."
	else
		fail "$size: the cursor reaches $CLAUDE_OP"
	fi

	# The shell run's diff.
	if board_goto "$SHELL_OP"; then
		board_view "$size diff" "+++ b/hello.txt" board view-diff &&
		    board_golden "diff-$size"
		board_has "two.txt"
		tap_result $? "$size diff: the file list has both files"
		# hello.txt is longer than the screen: two.txt's header is
		# below; the first file is the first jump or where it starts.
		check "$size diff: the second file is out of sight" \
		    board_lacks "+++ b/two.txt"
		board_act diff next-file
		board_settle
		board_has "+++ b/two.txt" || board_act diff next-file
		board_wait "+++ b/two.txt"
		tap_result $? "$size diff: next-file jumps to the next file"
		board_act diff prev-file
		board_act diff prev-file
		board_wait "+++ b/hello.txt"
		tap_result $? "$size diff: prev-file jumps back"
	else
		fail "$size: the cursor reaches $SHELL_OP"
	fi
	board_quit "$size: ufo"
	board_stop
}

goldens 80x24
goldens 160x48

# --- The help view is the live keymap ----------------------------------------

# help_text: the help view of the board, all of it: a terminal tall enough
# for every binding, and one page more in case it is not.
help_text()
{
	board_start 160x120
	board_wait "UFO-1"
	board_act generic view-help
	board_wait "move-left" && board_settle
	board_screen >"$T/help.txt"
	board_act help page-down
	board_settle
	board_screen >>"$T/help.txt"
	board_stop
}

help_text
missing=
for a in $(board_keymap | awk '$1 == "board" || $1 == "generic" {
    print $3 }' | sort -u); do
	grep -qw -- "$a" "$T/help.txt" || missing="$missing $a"
done
is "$missing" "" "the help view of the board names every action bound there"
# A user's binding shows in the help view: it is generated, not written.
printf 'bind board F7 archive\n' >"$CONF"
help_text
like "$(cat "$T/help.txt")" "F7 +archive|archive +F7" \
    "a binding from ufo.conf shows in the help view"
rm -f "$CONF"

# --- Moving around and what views do ---------------------------------------

board_start 80x24
board_wait "UFO-1" && board_settle
check "80x24: the in-review column does not fit at first" board_lacks "UFO-7"
i=0
while [ $i -lt 3 ]; do
	board_act board right
	i=$((i + 1))
done
board_wait "UFO-7"
tap_result $? "80x24: moving right scrolls the columns into view"
board_act board toggle-hidden
i=0
while [ $i -lt 4 ]; do
	board_act board right
	i=$((i + 1))
done
board_wait "UFO-8"
tap_result $? "toggle-hidden shows the blocked column"
board_act board toggle-hidden
board_wait_gone "UFO-8"
tap_result $? "toggle-hidden again hides it"

# Switching mission, and back to all of them (from the first column, so
# that backlog and todo are in sight).
i=0
while [ $i -lt 8 ]; do
	board_act board left
	i=$((i + 1))
done
board_wait "UFO-1" && board_wait "WEB-1"
board_act board mission
if board_wait "Mission"; then
	board_type "Web site"
	board_keys Enter
	board_wait_gone "UFO-1"
	tap_result $? "mission: switching to WEB hides UFO's operations"
	check "mission: WEB's operation stays" board_has "WEB-1"
	board_act board mission
	board_wait "All missions"
	board_type "All missions"
	board_keys Enter
	board_wait "UFO-1"
	tap_result $? "mission: All missions shows every operation again"
else
	fail "mission: a picker of missions opens"
fi

board_act generic view-list
board_wait "by status" && board_settle
board_act list sort
board_wait_gone "by status"
tap_result $? "list: sort changes the order"
board_act generic view-board
board_wait "Board"

# The run view: folds, search.
if board_goto "$CLAUDE_OP" && board_act board view-run &&
    board_wait "I'll look at the repository first." && board_settle; then
	check "run: a tool's result is folded" board_lacks "README.md"
	board_act run fold-all
	board_wait "README.md"
	tap_result $? "run: fold-all unfolds the tool results"
	board_act run fold-all
	board_wait_gone "README.md"
	tap_result $? "run: fold-all again folds them"
	board_act run first
	board_act run search
	board_type "hello world"
	board_keys Enter
	board_settle
	check "run: a search that matches says nothing is missing" \
	    board_lacks "Not found"
	board_act run find-next
	board_settle
	board_act run search
	board_type "no such text anywhere"
	board_keys Enter
	board_wait "Not found"
	tap_result $? "run: a search that does not match says so"
	board_act run back
else
	fail "run: the run view opens"
fi

# Signals: mark one read, then all.
unread()
{
	api GET /signals >/dev/null
	jget 'items.*.read_at' | grep -c '^null$'
}
unread_is()
{
	[ "$(unread)" = "$1" ]
}
before=$(unread)
isnt "$before" 0 "signals: some are unread ($before)"
board_act generic view-signals
board_wait "UFO-" && board_settle
board_act signals first
board_act signals mark-read
if wait_for 15 unread_is $((before - 1)); then
	pass "signals: mark-read marks one read"
else
	fail "signals: mark-read marks one read" "unread: $(unread)"
fi
board_act signals mark-all-read
if wait_for 15 unread_is 0; then
	pass "signals: mark-all-read marks the rest"
else
	fail "signals: mark-all-read marks the rest" "unread: $(unread)"
fi
board_wait_gone "$before signal"
tap_result $? "the status line's count of signals goes down"
board_quit
board_stop

# --- Resizing ----------------------------------------------------------------

board_start 80x24
board_wait "UFO-1" && board_settle
w80=$(board_screen | wc -L)
board_resize 160x48 && board_settle
tap_result $? "resize to 160x48"
check "ufo runs after the resize to 160x48" board_alive
# A wider terminal shows more of the long title.
board_has "UFO-6"
tap_result $? "160x48: the board is drawn again"
lines=$(board_screen | grep -c .)
[ "$lines" -gt 24 ]
tap_result $? "160x48: the board uses the new lines ($lines drawn)"
w160=$(board_screen | wc -L)
[ "$w160" -gt 80 ]
tap_result $? "160x48: the board uses the new columns ($w80 → $w160)"
board_resize 60x20 && board_settle
tap_result $? "resize to 60x20"
check "ufo runs after the resize to 60x20" board_alive
board_has "UFO-"
tap_result $? "60x20: the board is drawn again"
w60=$(board_screen | wc -L)
[ "$w60" -le 60 ]
tap_result $? "60x20: nothing is drawn past the edge"
# Each view survives a small terminal.
for v in view-list view-lanes view-rovers view-signals view-help \
    view-board; do
	board_act generic "$v"
	board_settle
	check "60x20: $v is drawn without a crash" board_alive
done
board_resize 80x24 && board_settle
board_quit "after resizing, ufo"
board_stop

# --- Colours -----------------------------------------------------------------

board_start 80x24
board_wait "UFO-1" && board_settle
isnt "$(board_colour_sgr | head -n 1)" "" \
    "xterm-256color: the board has colours"
board_stop

board_start -n 80x24
board_wait "UFO-1" && board_settle
is "$(board_colour_sgr | sort -u | tr '\n' ' ')" "" \
    "NO_COLOR: no colour escapes"
like "$(board_screen_e)" "$(printf '\033')\\[[0-9;]*(1|7)[0-9;]*m" \
    "NO_COLOR: attributes (bold, reverse) are kept"
board_stop

board_start -t xterm-mono 80x24
board_wait "UFO-1" && board_settle
is "$(board_colour_sgr | sort -u | tr '\n' ' ')" "" \
    "a monochrome terminal: no colour escapes"
board_has "UFO-1"
tap_result $? "a monochrome terminal: the board is drawn"
board_stop

# Colours are configurable by meaning.
printf 'color code 196 default bold\n' >"$CONF"
board_start 80x24
board_wait "UFO-1" && board_settle
like "$(board_screen_e | grep 'UFO-3')" "38;5;196m[^ ]*UFO-3" \
    "color code 196: operation codes are drawn in colour 196"
board_stop
rm -f "$CONF"

# A bad line in ufo.conf is an error that names it, not a crash.
bad_bind_shown()
{
	grep -q no-such-action "$T/board.err" 2>/dev/null ||
	    board_has no-such-action
}
printf 'bind board F7 no-such-action\n' >"$CONF"
board_start 80x24
wait_for "$BOARD_TIMEOUT" bad_bind_shown
tap_result $? "a bad bind line: the error names the action"
# ufo refuses the configuration before it draws; it may still be exiting
# (a sanitizer build checks for leaks first) when the error is seen.
board_wait_exit
like "$(cat "$T/board.err")" "ufo.conf:1" \
    "a bad bind line: the error names the file and line"
isnt "$rc" 0 "a bad bind line: ufo exits with a failure"
unlike "$(cat "$T/board.err")" "Sanitizer|runtime error:" \
    "a bad bind line: no crash"
board_stop
rm -f "$CONF"

board_start -t xterm 80x24
board_wait "UFO-1" && board_settle
unlike "$(board_screen_e)" "38;5;" "8 colours: no 256-colour escapes"
isnt "$(board_colour_sgr | head -n 1)" "" "8 colours: the board has colours"
check "8 colours: the board is drawn" board_has "UFO-1"
board_stop

done_testing
