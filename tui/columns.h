/*
 * The status columns of the board and of the lanes, side by side: which
 * statuses are shown (blocked and cancelled only on demand), which column
 * the cursor is in, and which are in sight when they do not all fit (they
 * scroll sideways), with their headings ("‹ In progress 3 ›") and the
 * lines between them.
 */
#ifndef UFO_COLUMNS_H
#define UFO_COLUMNS_H

#include <stddef.h>

#include "protocol.h"
#include "tui-curses.h"

struct columns {
	int	 status[OP_NSTATUS];	/* enum op_status, of each shown */
	size_t	 n;
	size_t	 cursor;
	size_t	 first;			/* the leftmost in sight */
	size_t	 fit;			/* how many are in sight */
	int	 width;			/* of each, the line between aside */
};

/* Shows every status (hidden set) or all but blocked and cancelled; the
 * cursor stays on its status, or goes to the first when it is hidden. */
void		 columns_show(struct columns *, int);
/* Whether a status (enum op_status) is shown. */
int		 columns_shown(const struct columns *, int);
/* The status of the cursor's column; -1 when none is shown. */
int		 columns_status(const struct columns *);
/* Puts the cursor on the column of a status, when it is shown. */
void		 columns_goto(struct columns *, int);
/* Fits the columns into a screen cols wide; the cursor's comes in sight. */
void		 columns_layout(struct columns *, int);
/* Where the k-th shown column begins (k in sight). */
int		 columns_x(const struct columns *, size_t);
/* The shown column at x; n when none (or on a line between). */
size_t		 columns_at(const struct columns *, int);
/*
 * Draws the headings of the columns in sight on line 0 (the heading after
 * indent columns), each with counts[status] ("+" after it while more
 * loads), and the lines between them from line 0 down lines lines.
 */
void		 columns_draw(const struct columns *, WINDOW *, int,
		     const size_t *, int, int);

#endif
