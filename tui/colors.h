/*
 * Colours by meaning. Every element the board draws is one line of
 * COLORS_ELEMENTS with its default for 256 colours, for 8 colours, and its
 * attributes; `color ELEMENT FG BG [ATTR…]` in ufo.conf overrides them.
 * With NO_COLOR set, on a monochrome terminal, or with `color` turned off,
 * only the attributes are used.
 */
#ifndef UFO_COLORS_H
#define UFO_COLORS_H

#include "tui-curses.h"
#include "error.h"

struct conf;

/* X(ENUM, "name", fg256, fg8, bg, attrs); -1 is the terminal's default. */
#define COLORS_ELEMENTS							\
	X(DEFAULT,	"default",	-1,	-1,	-1, 0)		\
	X(TITLE,	"title",	-1,	-1,	-1, A_BOLD)	\
	X(STATUS_LINE,	"status-line",	-1,	-1,	-1, A_REVERSE)	\
	X(STATUS_ERROR,	"status-error",	196,	1,	-1, A_BOLD)	\
	X(CURSOR,	"cursor",	-1,	-1,	-1, A_REVERSE)	\
	X(HEADER,	"header",	75,	4,	-1, A_BOLD)	\
	X(COUNT,	"count",	245,	-1,	-1, 0)		\
	X(CODE,		"code",		75,	4,	-1, 0)		\
	X(PRIORITY_URGENT, "priority-urgent", 196, 1,	-1, A_BOLD)	\
	X(PRIORITY_HIGH, "priority-high", 208,	3,	-1, 0)		\
	X(PRIORITY_LOW,	"priority-low",	245,	-1,	-1, 0)		\
	X(ASSIGNEE,	"assignee",	141,	5,	-1, 0)		\
	X(LABEL,	"label",	179,	3,	-1, 0)		\
	X(DIM,		"dim",		245,	-1,	-1, A_DIM)	\
	X(RUN_QUEUED,	"run-queued",	245,	-1,	-1, 0)		\
	X(RUN_RUNNING,	"run-running",	39,	6,	-1, A_BOLD)	\
	X(RUN_NEEDS_INPUT, "run-needs-input", 214, 3,	-1, A_BOLD)	\
	X(RUN_FAILED,	"run-failed",	196,	1,	-1, A_BOLD)	\
	X(RUN_SUCCEEDED, "run-succeeded", 77,	2,	-1, 0)		\
	X(AUTHOR_HUMAN,	"author-human",	75,	4,	-1, A_BOLD)	\
	X(AUTHOR_PILOT,	"author-pilot",	141,	5,	-1, A_BOLD)	\
	X(AUTHOR_SYSTEM, "author-system", 245,	-1,	-1, 0)		\
	X(MSG_TEXT,	"msg-text",	-1,	-1,	-1, 0)		\
	X(MSG_THINKING,	"msg-thinking",	245,	-1,	-1, A_DIM)	\
	X(MSG_TOOL,	"msg-tool",	179,	3,	-1, 0)		\
	X(MSG_RESULT,	"msg-result",	109,	6,	-1, 0)		\
	X(MSG_ERROR,	"msg-error",	196,	1,	-1, A_BOLD)	\
	X(MSG_USAGE,	"msg-usage",	245,	-1,	-1, 0)		\
	X(MSG_LOG,	"msg-log",	245,	-1,	-1, 0)		\
	X(SEARCH_MATCH,	"search-match",	-1,	-1,	-1, A_STANDOUT)	\
	X(DIFF_ADD,	"diff-add",	77,	2,	-1, 0)		\
	X(DIFF_DEL,	"diff-del",	203,	1,	-1, 0)		\
	X(DIFF_HUNK,	"diff-hunk",	75,	6,	-1, 0)		\
	X(DIFF_FILE,	"diff-file",	-1,	-1,	-1, A_BOLD)	\
	X(ROVER_ONLINE,	"rover-online",	77,	2,	-1, 0)		\
	X(ROVER_BUSY,	"rover-busy",	39,	6,	-1, 0)		\
	X(ROVER_OFFLINE, "rover-offline", 245,	-1,	-1, A_DIM)	\
	X(SIGNAL_UNREAD, "signal-unread", -1,	-1,	-1, A_BOLD)

enum color_element {
#define X(e, n, f256, f8, bg, attr) COLOR_##e,
	COLORS_ELEMENTS
#undef X
	COLOR__COUNT
};

/*
 * After initscr: starts colours unless NO_COLOR is set or the terminal has
 * none, then applies the `color` lines of conf (errors name the line).
 */
int		 colors_init(const struct conf *, struct ufo_error *);
/* The attributes (colour pair included) to draw element with. */
int		 colors_attr(enum color_element);
/* `color ELEMENT FG BG [ATTR…]`: FG/BG a name, a number, or "default". */
int		 colors_set(int, char **, struct ufo_error *);
const char	*colors_name(enum color_element);

#endif
