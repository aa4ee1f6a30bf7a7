#include <stdio.h>
#include <stdlib.h>

#include "colors.h"
#include "columns.h"
#include "tui.h"

/* A column is never narrower than this: fewer are in sight instead. */
#define COLUMNS_MIN_WIDTH	24

/* By enum op_status: the heading, and whether shown only on demand. */
static const struct {
	const char	*heading;
	int		 hidden;
} columns_statuses[OP_NSTATUS] = {
	[OP_BACKLOG] =		{ "Backlog", 0 },
	[OP_TODO] =		{ "Todo", 0 },
	[OP_IN_PROGRESS] =	{ "In progress", 0 },
	[OP_IN_REVIEW] =	{ "In review", 0 },
	[OP_DONE] =		{ "Done", 0 },
	[OP_BLOCKED] =		{ "Blocked", 1 },
	[OP_CANCELLED] =	{ "Cancelled", 1 }
};

void
columns_show(struct columns *c, int hidden)
{
	int	 st, was = columns_status(c);

	c->n = 0;
	for (st = 0; st < OP_NSTATUS; st++) {
		if (!columns_statuses[st].hidden || hidden)
			c->status[c->n++] = st;
	}
	/* Its column hidden, the cursor starts again from the first. */
	c->cursor = 0;
	columns_goto(c, was);
}

int
columns_shown(const struct columns *c, int status)
{
	size_t	 k;

	for (k = 0; k < c->n; k++) {
		if (c->status[k] == status)
			return (1);
	}
	return (0);
}

int
columns_status(const struct columns *c)
{
	return (c->cursor < c->n ? c->status[c->cursor] : -1);
}

void
columns_goto(struct columns *c, int status)
{
	size_t	 k;

	for (k = 0; k < c->n; k++) {
		if (c->status[k] == status)
			c->cursor = k;
	}
}

void
columns_layout(struct columns *c, int cols)
{
	size_t	 fit;

	fit = (size_t)((cols + 1) / (COLUMNS_MIN_WIDTH + 1));
	if (fit < 1)
		fit = 1;
	if (fit > c->n)
		fit = c->n > 0 ? c->n : 1;
	c->fit = fit;
	c->width = (cols - (int)(fit - 1)) / (int)fit;
	if (c->cursor < c->first)
		c->first = c->cursor;
	if (c->cursor >= c->first + fit)
		c->first = c->cursor - fit + 1;
	if (c->first + fit > c->n)
		c->first = c->n > fit ? c->n - fit : 0;
}

int
columns_x(const struct columns *c, size_t k)
{
	return ((int)(k - c->first) * (c->width + 1));
}

size_t
columns_at(const struct columns *c, int x)
{
	size_t	 k;

	if (x < 0 || c->width < 1 || x % (c->width + 1) == c->width)
		return (c->n);
	k = c->first + (size_t)(x / (c->width + 1));
	return (k < c->n && k < c->first + c->fit ? k : c->n);
}

/*
 * A character of the locale rather than ACS_VLINE: terminals and tmux
 * alike show "│" the same way, where the alternate character set may come
 * out as "x".
 */
static void
columns_line(WINDOW *w, int x, int lines)
{
	const char	*line = MB_CUR_MAX > 1 ? "│" : "|";
	int		 y;

	for (y = 0; y < lines; y++)
		tui_text(w, y, x, 1, line, colors_attr(COLOR_DIM), 0);
}

void
columns_draw(const struct columns *c, WINDOW *w, int indent,
    const size_t *counts, int more, int lines)
{
	char	 count[32];
	size_t	 k;
	int	 x, hx, end;

	for (k = c->first; k < c->n && k < c->first + c->fit; k++) {
		x = columns_x(c, k);
		end = x + c->width;
		if (k > c->first)
			columns_line(w, x - 1, lines);
		hx = x + indent;
		if (k == c->first && c->first > 0)
			hx = x + tui_text(w, 0, x, 2, "‹ ",
			    colors_attr(COLOR_DIM), 0);
		hx += tui_text(w, 0, hx, end - hx - 1,
		    columns_statuses[c->status[k]].heading,
		    colors_attr(COLOR_HEADER) | (k == c->cursor ?
		    A_UNDERLINE : 0), 1);
		snprintf(count, sizeof count, "%zu%s", counts[c->status[k]],
		    more ? "+" : "");
		if (hx + 1 < end)
			tui_text(w, 0, hx + 1, end - hx - 1, count,
			    colors_attr(COLOR_COUNT), 1);
		if (k + 1 == c->first + c->fit && k + 1 < c->n)
			tui_text(w, 0, end - 1, 1, "›",
			    colors_attr(COLOR_DIM), 0);
	}
}
