/*
 * The board's actions and key bindings. Every action is one line of
 * KEYS_ACTIONS (like tig's REQ_INFO): its enum name, its name in `bind`
 * lines and the help view, and a line of help. The default bindings are
 * a compiled-in configuration (keys_defaults, the same `bind` lines a user
 * writes in ufo.conf), read before the user's, so the help view, ufo.1 and
 * ufo.conf.5 are all generated from or checked against one table.
 */
#ifndef UFO_KEYS_H
#define UFO_KEYS_H

#include <stddef.h>

#include "error.h"

struct conf;

/* X(ENUM, "name", "help") */
#define KEYS_ACTIONS							\
	/* Moving around. */						\
	X(UP,		"up",		"Move the cursor up")		\
	X(DOWN,		"down",		"Move the cursor down")		\
	X(LEFT,		"left",		"Move to the column on the left") \
	X(RIGHT,	"right",	"Move to the column on the right") \
	X(PAGE_UP,	"page-up",	"Scroll up a page")		\
	X(PAGE_DOWN,	"page-down",	"Scroll down a page")		\
	X(FIRST,	"first",	"Go to the first line")		\
	X(LAST,		"last",		"Go to the last line")		\
	X(ENTER,	"enter",	"Open what the cursor is on")	\
	X(BACK,		"back",		"Close this view")		\
	X(QUIT,		"quit",		"Quit ufo")			\
	X(REFRESH,	"refresh",	"Load everything again and redraw") \
	/* Views. */							\
	X(VIEW_BOARD,	"view-board",	"Show the board")		\
	X(VIEW_LIST,	"view-list",	"Show the list of operations")	\
	X(VIEW_LANES,	"view-lanes",	"Show missions as lanes")	\
	X(VIEW_ROVERS,	"view-rovers",	"Show the rovers")		\
	X(VIEW_SIGNALS,	"view-signals",	"Show the signals that need you") \
	X(VIEW_HELP,	"view-help",	"Show the key bindings")	\
	X(VIEW_RUN,	"view-run",	"Show the latest run of the operation") \
	X(VIEW_DIFF,	"view-diff",	"Show the diff of the run")	\
	/* Searching and filtering. */					\
	X(SEARCH,	"search",	"Search forward in the view")	\
	X(SEARCH_BACK,	"search-back",	"Search backward in the view")	\
	X(FIND_NEXT,	"find-next",	"Go to the next match")		\
	X(FIND_PREV,	"find-prev",	"Go to the previous match")	\
	X(FILTER,	"filter",	"Filter by text, label:, assignee: or mission:") \
	X(MISSION,	"mission",	"Switch to another mission")	\
	X(SORT,		"sort",		"Change the sort order")	\
	X(TOGGLE_HIDDEN, "toggle-hidden", "Show or hide blocked and cancelled") \
	/* Operations. */						\
	X(CREATE,	"create",	"Create an operation")		\
	X(EDIT,		"edit",		"Edit the title and body in $EDITOR") \
	X(MOVE,		"move",		"Move to a status (asks which)") \
	X(MOVE_LEFT,	"move-left",	"Move to the status on the left") \
	X(MOVE_RIGHT,	"move-right",	"Move to the status on the right") \
	X(RAISE,	"raise",	"Move up inside its column")	\
	X(LOWER,	"lower",	"Move down inside its column")	\
	X(ASSIGN,	"assign",	"Assign to a pilot, crew or member") \
	X(PRIORITY,	"priority",	"Set the priority")		\
	X(LABEL,	"label",	"Add or remove labels")		\
	X(COMMENT,	"comment",	"Reply in $EDITOR")		\
	X(COMMENT_LINE,	"comment-line",	"Reply with one line")		\
	X(ARCHIVE,	"archive",	"Archive the operation")	\
	/* Runs. */							\
	X(START,	"start",	"Start a run of the assigned pilot") \
	X(CANCEL,	"cancel",	"Cancel the active run")	\
	X(RETRY,	"retry",	"Retry the last run")		\
	X(FOLD,		"fold",		"Fold or unfold the entry")	\
	X(FOLD_ALL,	"fold-all",	"Fold or unfold every entry")	\
	X(FOLLOW,	"follow",	"Follow new messages as they come") \
	X(NEXT_FILE,	"next-file",	"Go to the next file of the diff") \
	X(PREV_FILE,	"prev-file",	"Go to the previous file of the diff") \
	X(NEXT_HUNK,	"next-hunk",	"Go to the next hunk")		\
	X(PREV_HUNK,	"prev-hunk",	"Go to the previous hunk")	\
	/* Signals. */							\
	X(MARK_READ,	"mark-read",	"Mark the signal read")		\
	X(MARK_ALL_READ, "mark-all-read", "Mark every signal read")

enum action {
	ACTION_NONE = 0,
#define X(e, n, h) ACTION_##e,
	KEYS_ACTIONS
#undef X
	ACTION__COUNT
};

/*
 * The keymaps, by the name used in `bind`: "generic" applies in every view
 * unless the view's own keymap binds the key.
 */
#define KEYS_MAPS "generic", "board", "list", "lanes", "operation", "run", \
	"diff", "rovers", "signals", "help"

/* One binding, for the help view and the man page test. */
struct keys_binding {
	const char	*map;
	int		 key;		/* a curses key code or character */
	enum action	 action;
};

/* Builds the keymaps from keys_defaults, then the `bind` lines of conf. */
int		 keys_init(const struct conf *, struct ufo_error *);
void		 keys_free(void);
/* The action of key in map (falling back on "generic"); ACTION_NONE. */
enum action	 keys_lookup(const char *, int);
/* `bind MAP KEY ACTION` (ACTION "none" unbinds); errors name the part. */
int		 keys_bind(const char *, const char *, const char *,
		     struct ufo_error *);
const char	*keys_action_name(enum action);
const char	*keys_action_help(enum action);
enum action	 keys_action_find(const char *);
/* "j", "C-d", "Enter", "Up", "F1", "Space", … ; writes into buf. */
const char	*keys_name(int, char *, size_t);
/* The key code of a name; -1 when it names none. */
int		 keys_parse(const char *);
/* The bindings of map, its own before generic ones, in table order. */
size_t		 keys_list(const char *, struct keys_binding **);
/* The compiled-in `bind` lines, NULL-ended. */
extern const char *const keys_defaults[];

#endif
