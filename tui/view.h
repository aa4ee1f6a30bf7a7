/*
 * The board's views. Each view is one file, view-NAME.c, that defines one
 * const struct view_class; the board keeps a stack of open views and draws
 * the top one (tig's views). A view never draws from an event: it sets
 * dirty, and the main loop draws once per turn.
 */
#ifndef UFO_VIEW_H
#define UFO_VIEW_H

#include <stdint.h>

#include "keys.h"
#include "tui-curses.h"

struct tui;
struct view;

struct view_class {
	const char	*name;		/* its keymap: "board", "run", … */
	/* Loads what it shows; -1 (with a message on the status line) to
	 * refuse opening. */
	int		 (*open)(struct view *);
	void		 (*close)(struct view *);
	/* Draws into win (the screen but the status line), all of it. */
	void		 (*draw)(struct view *, WINDOW *);
	/* 1 when the view took the action, 0 to leave it to the board. */
	int		 (*action)(struct view *, enum action);
	/* The model changed (MODEL_* flags of model.h); may be NULL. */
	void		 (*changed)(struct view *, int);
	/* A line for the status line ("UFO-12 · 3 runs"), or NULL. */
	const char	*(*title)(struct view *);
	/* A mouse click at y, x of its window; 1 when it moved the cursor
	 * (the view is drawn again). May be NULL. */
	int		 (*click)(struct view *, int, int);
};

struct view {
	const struct view_class	*cls;
	struct tui		*tui;
	char			*arg;		/* op code, run id, or NULL */
	void			*data;		/* the class's own */
	int			 dirty;
};

/* The classes, one per file. */
extern const struct view_class view_board_class;	/* view-board.c */
extern const struct view_class view_list_class;		/* view-list.c */
extern const struct view_class view_lanes_class;	/* view-lanes.c */
extern const struct view_class view_op_class;		/* view-op.c */
extern const struct view_class view_run_class;		/* view-run.c */
extern const struct view_class view_diff_class;		/* view-diff.c */
extern const struct view_class view_rovers_class;	/* view-rovers.c */
extern const struct view_class view_signals_class;	/* view-signals.c */
extern const struct view_class view_help_class;		/* view-help.c */

#endif
