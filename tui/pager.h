/*
 * The pager under the text views (operation, run, diff, help), like tig's
 * view.c and draw.c: a view turns what it loaded into lines (wrapped by
 * display width, in colours by parts, each with the view's own kind, ref
 * and target); the pager draws them from a top line with a cursor and the
 * matches of the search highlighted, and moves in them with the generic
 * actions (up, down, pages, first, last, search, find, and left and right
 * when it scrolls sideways).
 */
#ifndef UFO_PAGER_H
#define UFO_PAGER_H

#include <stddef.h>

#include "colors.h"
#include "keys.h"
#include "tui-curses.h"

struct view;

#define PAGER_NONE	((size_t)-1)	/* no line */
#define PAGER_PARTS	4		/* colours a line may have */

enum pager_cursor {
	PAGER_CURSOR_LINE,	/* on any line (run, diff) */
	PAGER_CURSOR_STOPS	/* on stops only, none without (op, help) */
};

struct pager_line {
	char			*text;
	/* From byte from[i] on, the text is drawn in color[i]. */
	size_t			 from[PAGER_PARTS];
	enum color_element	 color[PAGER_PARTS];
	int			 nparts;
	int			 stop;		/* the cursor may stop here */
	int			 kind;		/* the view's own */
	size_t			 ref;		/* the view's own */
	char			*target;	/* the view's own; freed */
};

struct pager {
	struct view		*view;
	enum pager_cursor	 mode;
	int			 sideways;	/* left and right scroll */

	struct pager_line	*lines;
	size_t			 nlines;
	int			 width;		/* lines are wrapped to it */
	int			 stale;		/* lines must be built again */
	int			 kind;		/* of the lines added next */
	size_t			 ref;

	size_t			 top;
	size_t			 cur;		/* PAGER_NONE: none */
	size_t			 rows;		/* drawn the last time */
	int			 left;		/* columns scrolled right */
	int			 follow;	/* the last line is in view */
	char			*search;
	size_t			 found;		/* the line of the last match */
};

void		 pager_init(struct pager *, struct view *, enum pager_cursor,
		     int);
void		 pager_free(struct pager *);

/* Whether the lines must be built (again) for width. */
int		 pager_stale(const struct pager *, int);
/* Drops the lines before building them for width (0: no wrapping). */
void		 pager_clear(struct pager *, int);
/* The lines added from now on carry kind and ref. */
void		 pager_mark(struct pager *, int, size_t);
/* Adds a line in color. */
struct pager_line *pager_add(struct pager *, enum color_element,
		     const char *, ...) __attribute__((format(printf, 3, 4)));
/* From byte from of the line on, color. */
void		 pager_color(struct pager_line *, size_t, enum color_element);
/*
 * Adds text wrapped to the width at spaces (in a word when it has none),
 * its first line after first and the others after rest.
 */
void		 pager_wrap(struct pager *, const char *, const char *,
		     const char *, enum color_element);
/* Moves the lines from index from on before all the others. */
void		 pager_raise(struct pager *, size_t);

/* One line of len bytes, tabs expanded, carriage returns and NULs out. */
char		*pager_expand(const char *, size_t);
/* s cut (with "…") or padded to exactly width columns. */
char		*pager_cell(const char *, int);
/* The colour of an operation or run status in the text views. */
enum color_element pager_status_color(const char *);

/* Draws the lines from y to the bottom of the window. */
void		 pager_draw(struct pager *, WINDOW *, int);
/* Puts the cursor on line i, scrolled to the top when it was not shown. */
void		 pager_goto(struct pager *, size_t);
/* Moves, scrolls or searches; 1 when action is one of those. */
int		 pager_action(struct pager *, enum action);

#endif
