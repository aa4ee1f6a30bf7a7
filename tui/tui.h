/*
 * The board: `ufo` with no command. One loop (tui.c) waits on the keyboard
 * and the change feed together (net.h), applies events to the model,
 * tells the views, and draws the top view and the status line once per
 * turn. Views and actions reach the rest through these functions.
 */
#ifndef UFO_TUI_H
#define UFO_TUI_H

#include <stddef.h>

#include <json-c/json.h>

#include "error.h"
#include "view.h"

struct client;
struct conf;
struct model;
struct net;
struct tui;

/* Runs the board until quit; the terminal is restored on every exit. */
int		 tui_main(struct client *, const struct conf *,
		     struct ufo_error *);

struct client	*tui_client(struct tui *);
struct model	*tui_model(struct tui *);
struct net	*tui_net(struct tui *);

/* Opens a view of class on top (arg copied: op code, run id, or NULL). */
struct view	*tui_open(struct tui *, const struct view_class *,
		     const char *);
/* Closes the top view; the last one closing quits. */
void		 tui_close(struct tui *);
/* The whole screen is drawn again on the next turn. */
void		 tui_dirty(struct tui *);
/* The lines and columns a view may draw in. */
int		 tui_lines(struct tui *);
int		 tui_cols(struct tui *);

/* A message on the status line until the next key. */
void		 tui_message(struct tui *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
/* An error (err->message) on the status line, in its colour. */
void		 tui_error(struct tui *, const struct ufo_error *);
/* Rings the bell or flashes, as ufo.conf says (a run needs you). */
void		 tui_alert(struct tui *);

/*
 * Questions on the status line; the feed keeps being applied and the
 * screen drawn while they wait. Each answers 0, or -1 when cancelled
 * (Escape or C-g).
 */
/* y or n; 0 for y. */
int		 tui_confirm(struct tui *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
/* One line of text, starting from initial (may be NULL); *out allocated. */
int		 tui_prompt(struct tui *, const char *, const char *,
		     char **);
/* One of n items, in a box over the view, with type-to-narrow. */
int		 tui_pick(struct tui *, const char *, const char *const *,
		     size_t, size_t *);
/*
 * Suspends the screen and runs $VISUAL/$EDITOR on initial (may be NULL);
 * *out is the text written, allocated.
 */
int		 tui_editor(struct tui *, const char *, char **);

/* Text drawing in display columns (UTF-8 aware, wcwidth). */
/* The display width of a UTF-8 string. */
int		 tui_width(const char *);
/*
 * Draws at most width columns of s at y, x with attr; what does not fit is
 * cut at a character boundary (with "…" when ellipsis is set). Returns the
 * columns drawn. Control characters are drawn as spaces.
 */
int		 tui_text(WINDOW *, int, int, int, const char *, int, int);

#endif
