/*
 * The pager of the text views: lines, their drawing in display columns,
 * the cursor, scrolling and search.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "colors.h"
#include "log.h"
#include "pager.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

#define PAGER_TAB	8	/* columns between tab stops */
#define PAGER_HSTEP	8	/* columns a left or right scrolls */
#define PAGER_WRAP_MIN	8	/* wrapped text keeps at least this many */

void
pager_init(struct pager *p, struct view *v, enum pager_cursor mode,
    int sideways)
{
	memset(p, 0, sizeof *p);
	p->view = v;
	p->mode = mode;
	p->sideways = sideways;
	p->stale = 1;
	p->ref = PAGER_NONE;
	p->cur = mode == PAGER_CURSOR_LINE ? 0 : PAGER_NONE;
	p->found = PAGER_NONE;
}

void
pager_free(struct pager *p)
{
	pager_clear(p, 0);
	free(p->search);
	p->search = NULL;
}

int
pager_stale(const struct pager *p, int width)
{
	return (p->stale || p->width != width);
}

void
pager_clear(struct pager *p, int width)
{
	size_t	 i;

	for (i = 0; i < p->nlines; i++) {
		free(p->lines[i].text);
		free(p->lines[i].target);
	}
	free(p->lines);
	p->lines = NULL;
	p->nlines = 0;
	p->width = width;
	p->stale = 0;
	p->kind = 0;
	p->ref = PAGER_NONE;
}

void
pager_mark(struct pager *p, int kind, size_t ref)
{
	p->kind = kind;
	p->ref = ref;
}

/* Adds text (allocated, now the line's) in color. */
static struct pager_line *
pager_push(struct pager *p, char *text, enum color_element color)
{
	struct pager_line	*l;

	p->lines = xreallocarray(p->lines, p->nlines + 1, sizeof *p->lines);
	l = &p->lines[p->nlines++];
	memset(l, 0, sizeof *l);
	l->text = text;
	l->color[0] = color;
	l->nparts = 1;
	l->kind = p->kind;
	l->ref = p->ref;
	return (l);
}

struct pager_line *
pager_add(struct pager *p, enum color_element color, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("%s", __func__);
	return (pager_push(p, text, color));
}

void
pager_color(struct pager_line *l, size_t from, enum color_element color)
{
	if (l->nparts == PAGER_PARTS)
		return;
	l->from[l->nparts] = from;
	l->color[l->nparts++] = color;
}

/* Columns of the character at s (len bytes left); *n its bytes. */
static int
pager_char(const char *s, size_t len, size_t *n)
{
	mbstate_t	 ps;
	wchar_t		 wc;
	int		 w;

	memset(&ps, 0, sizeof ps);
	*n = mbrtowc(&wc, s, len, &ps);
	if (*n == (size_t)-1 || *n == (size_t)-2 || *n == 0) {
		*n = 1;
		return (1);
	}
	if (wc < 0x20 || wc == 0x7f)
		return (1);
	if ((w = wcwidth(wc)) < 0)
		return (1);
	return (w);
}

char *
pager_expand(const char *s, size_t len)
{
	char	*out;
	size_t	 i, o = 0, tabs = 0, col = 0;

	for (i = 0; i < len; i++)
		tabs += s[i] == '\t';
	out = xmalloc(len + tabs * PAGER_TAB + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '\t') {
			do
				out[o++] = ' ';
			while (++col % PAGER_TAB != 0);
			continue;
		}
		if (s[i] == '\r' || s[i] == '\0')
			continue;
		out[o++] = s[i];
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	}
	out[o] = '\0';
	return (out);
}

void
pager_wrap(struct pager *p, const char *text, const char *first,
    const char *rest, enum color_element color)
{
	const char	*nl, *line, *brk, *s;
	char		*src;
	size_t		 len, n;
	int		 avail, cols, w, lines = 0;

	avail = p->width - (tui_width(first) > tui_width(rest) ?
	    tui_width(first) : tui_width(rest));
	if (avail < PAGER_WRAP_MIN)
		avail = PAGER_WRAP_MIN;
	for (;; text = nl + 1) {
		nl = strchr(text, '\n');
		len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		src = pager_expand(text, len);
		line = src;
		do {
			cols = 0;
			brk = NULL;
			for (s = line; *s != '\0'; s += n) {
				w = pager_char(s, strlen(s), &n);
				if (cols + w > avail)
					break;
				if (*s == ' ')
					brk = s;
				cols += w;
			}
			if (*s != '\0' && brk != NULL && brk > line)
				s = brk;
			pager_add(p, color, "%s%.*s", lines++ == 0 ? first :
			    rest, (int)(s - line), line);
			line = s;
			if (*line == ' ' && brk == s)
				line++;
		} while (*line != '\0');
		free(src);
		if (nl == NULL)
			break;
	}
}

void
pager_raise(struct pager *p, size_t from)
{
	struct pager_line	*moved;
	size_t			 n;

	if (from == 0 || from >= p->nlines)
		return;
	n = p->nlines - from;
	moved = xreallocarray(NULL, n, sizeof *moved);
	memcpy(moved, p->lines + from, n * sizeof *moved);
	memmove(p->lines + n, p->lines, from * sizeof *moved);
	memcpy(p->lines, moved, n * sizeof *moved);
	free(moved);
}

char *
pager_cell(const char *s, int width)
{
	const char	*e;
	size_t		 n;
	int		 cols = 0, w, total;

	if (width <= 0)
		return (xstrdup(""));
	if ((total = tui_width(s)) <= width)
		return (xprintf("%s%*s", s, width - total, ""));
	for (e = s; *e != '\0'; e += n) {
		w = pager_char(e, strlen(e), &n);
		if (cols + w > width - 1)
			break;
		cols += w;
	}
	return (xprintf("%.*s\xe2\x80\xa6%*s", (int)(e - s), s,
	    width - 1 - cols, ""));
}

enum color_element
pager_status_color(const char *status)
{
	static const struct {
		const char		*status;
		enum color_element	 color;
	} colors[] = {
		{ "queued",	COLOR_RUN_QUEUED },
		{ "claimed",	COLOR_RUN_QUEUED },
		{ "running",	COLOR_RUN_RUNNING },
		{ "succeeded",	COLOR_RUN_SUCCEEDED },
		{ "failed",	COLOR_RUN_FAILED },
		{ "cancelled",	COLOR_DIM },
		{ "in_progress", COLOR_RUN_RUNNING },
		{ "in_review",	COLOR_RUN_NEEDS_INPUT },
		{ "done",	COLOR_RUN_SUCCEEDED },
		{ "blocked",	COLOR_RUN_FAILED }
	};
	size_t	 i;

	for (i = 0; status != NULL && i < sizeof colors / sizeof colors[0];
	    i++) {
		if (strcmp(colors[i].status, status) == 0)
			return (colors[i].color);
	}
	return (COLOR_DEFAULT);
}

/* The rows the lines were last drawn in (at least one). */
static size_t
pager_rows(const struct pager *p)
{
	return (p->rows > 0 ? p->rows : 1);
}

/* The top line that shows the last line at the bottom. */
static size_t
pager_bottom(const struct pager *p)
{
	return (p->nlines > pager_rows(p) ? p->nlines - pager_rows(p) : 0);
}

static int
pager_shown(const struct pager *p, size_t i)
{
	return (i != PAGER_NONE && i < p->nlines && i >= p->top &&
	    i < p->top + pager_rows(p));
}

static int
pager_is_stop(const struct pager *p, size_t i)
{
	return (p->mode == PAGER_CURSOR_LINE || p->lines[i].stop);
}

/* Keeps the top and the cursor inside the lines, the cursor in view. */
static void
pager_clamp(struct pager *p)
{
	size_t	 rows = pager_rows(p);

	if (p->nlines == 0) {
		p->top = 0;
		p->cur = p->mode == PAGER_CURSOR_LINE ? 0 : PAGER_NONE;
		return;
	}
	if (p->mode == PAGER_CURSOR_LINE) {
		if (p->follow || p->cur >= p->nlines)
			p->cur = p->nlines - 1;
		if (p->cur < p->top)
			p->top = p->cur;
		if (p->cur >= p->top + rows)
			p->top = p->cur - rows + 1;
	} else if (p->cur != PAGER_NONE && p->cur >= p->nlines)
		p->cur = PAGER_NONE;
	if (p->follow || p->top > pager_bottom(p))
		p->top = pager_bottom(p);
}

/* The byte of s where display column skip starts; *pad columns of a wide
 * character cut in half are drawn as spaces. */
static size_t
pager_skip(const char *s, int skip, int *pad)
{
	size_t	 off = 0, n, len = strlen(s);
	int	 col = 0;

	*pad = 0;
	while (col < skip && off < len) {
		col += pager_char(s + off, len - off, &n);
		off += n;
	}
	if (col > skip)
		*pad = col - skip;
	return (off);
}

/* The part of l that byte at is in. */
static int
pager_part(const struct pager_line *l, size_t at)
{
	int	 i;

	for (i = l->nparts - 1; i > 0 && l->from[i] > at; i--)
		;
	return (i);
}

/* Draws l in its colours (all in the cursor's on the cursor line), cut
 * at cols, with the matches of the search highlighted. */
static void
pager_draw_line(struct pager *p, WINDOW *win, int y, int cols,
    const struct pager_line *l, int cursor)
{
	const char	*s = l->text, *m, *stop, *end;
	char		*piece;
	size_t		 plen, at;
	int		 x = 0, part, attr, hl, cattr;

	hl = colors_attr(COLOR_SEARCH_MATCH);
	cattr = colors_attr(COLOR_CURSOR);
	if (cursor)
		mvwhline(win, y, 0, ' ' | cattr, cols);
	end = s + strlen(s);
	if (p->sideways && p->left > 0) {
		s += pager_skip(s, p->left, &x);
		attr = cursor ? cattr : colors_attr(l->color[pager_part(l,
		    (size_t)(s - l->text))]);
		if (x > 0)
			mvwhline(win, y, 0, ' ' | attr, x);
	}
	plen = p->search != NULL ? strlen(p->search) : 0;
	while (*s != '\0' && x < cols) {
		m = plen > 0 ? strcasestr(s, p->search) : NULL;
		if (m == s) {
			piece = xstrndup(s, plen);
			x += tui_text(win, y, x, cols - x, piece, hl, 0);
			free(piece);
			s += plen;
			continue;
		}
		/* The piece ends at a change of colour, a match or the end. */
		at = (size_t)(s - l->text);
		part = pager_part(l, at);
		stop = end;
		if (part + 1 < l->nparts && l->text + l->from[part + 1] < end)
			stop = l->text + l->from[part + 1];
		if (m != NULL && m < stop)
			stop = m;
		attr = cursor ? cattr : colors_attr(l->color[part]);
		piece = xstrndup(s, (size_t)(stop - s));
		x += tui_text(win, y, x, cols - x, piece, attr,
		    stop == end && !p->sideways);
		free(piece);
		s = stop;
	}
}

void
pager_draw(struct pager *p, WINDOW *win, int y)
{
	size_t	 i;
	int	 lines, cols;

	getmaxyx(win, lines, cols);
	p->rows = lines > y ? (size_t)(lines - y) : 0;
	pager_clamp(p);
	for (i = p->top; y < lines && i < p->nlines; y++, i++)
		pager_draw_line(p, win, y, cols, &p->lines[i],
		    i == p->cur && !p->follow);
}

void
pager_goto(struct pager *p, size_t i)
{
	p->follow = 0;
	p->cur = i;
	if (!pager_shown(p, i))
		p->top = i;
}

/*
 * After a jump: the cursor stays where it is when that is shown, else it
 * goes to the first (dir 1) or last (-1) stop shown, or to none.
 */
static void
pager_settle(struct pager *p, int dir)
{
	size_t	 i, end;

	if (pager_shown(p, p->cur) && pager_is_stop(p, p->cur))
		return;
	p->cur = PAGER_NONE;
	end = p->top + pager_rows(p) < p->nlines ? p->top + pager_rows(p) :
	    p->nlines;
	if (dir > 0) {
		for (i = p->top; i < end; i++) {
			if (pager_is_stop(p, i)) {
				p->cur = i;
				return;
			}
		}
		return;
	}
	for (i = end; i-- > p->top;) {
		if (pager_is_stop(p, i)) {
			p->cur = i;
			return;
		}
	}
}

/*
 * The next stop after (dir 1) or before (-1) the cursor, or from the edge
 * of the screen when the cursor is not on it.
 */
static size_t
pager_next(const struct pager *p, int dir)
{
	size_t	 i, end;

	if (dir > 0) {
		i = pager_shown(p, p->cur) ? p->cur + 1 : p->top;
		for (; i < p->nlines; i++) {
			if (pager_is_stop(p, i))
				return (i);
		}
		return (PAGER_NONE);
	}
	end = p->top + pager_rows(p) < p->nlines ? p->top + pager_rows(p) :
	    p->nlines;
	for (i = pager_shown(p, p->cur) ? p->cur : end; i-- > 0;) {
		if (pager_is_stop(p, i))
			return (i);
	}
	return (PAGER_NONE);
}

/*
 * Up or down: to the next stop when it is shown, else one line of
 * scrolling (taking that stop if it came into view).
 */
static void
pager_move(struct pager *p, int dir)
{
	size_t	 n = pager_next(p, dir);

	if (!pager_shown(p, n)) {
		if (dir > 0 && p->top + pager_rows(p) < p->nlines)
			p->top++;
		else if (dir < 0 && p->top > 0)
			p->top--;
	}
	if (pager_shown(p, n))
		p->cur = n;
	else if (p->mode == PAGER_CURSOR_STOPS && !pager_shown(p, p->cur))
		p->cur = PAGER_NONE;
}

/* A page up (dir -1) or down (1); the cursor moves with the lines. */
static void
pager_page(struct pager *p, int dir)
{
	size_t	 rows = pager_rows(p);

	if (dir < 0)
		p->top = p->top > rows ? p->top - rows : 0;
	else
		p->top = p->top + rows < pager_bottom(p) ? p->top + rows :
		    pager_bottom(p);
	if (p->mode == PAGER_CURSOR_STOPS) {
		pager_settle(p, 1);
		return;
	}
	if (dir < 0)
		p->cur = p->cur > rows ? p->cur - rows : 0;
	else if (p->nlines > 0)
		p->cur = p->cur + rows < p->nlines ? p->cur + rows :
		    p->nlines - 1;
}

/*
 * The next (dir 1) or previous (-1) line matching the search, from the
 * cursor (or the last match, or the top of the screen), around the end.
 */
static void
pager_find(struct pager *p, int dir)
{
	size_t	 i, k, n = p->nlines, from, rows = pager_rows(p);

	if (p->search == NULL) {
		tui_message(p->view->tui, "No search");
		return;
	}
	if (p->mode == PAGER_CURSOR_LINE && p->cur < n)
		from = p->cur;
	else if (p->found < n)
		from = p->found;
	else
		from = dir > 0 ? (p->top > 0 ? p->top - 1 : n - 1) : p->top;
	for (k = 1; k <= n; k++) {
		i = (from + (dir > 0 ? k : n - k)) % n;
		if (strcasestr(p->lines[i].text, p->search) == NULL)
			continue;
		p->found = i;
		p->follow = 0;
		if (!pager_shown(p, i))
			p->top = i > rows / 2 ? i - rows / 2 : 0;
		if (pager_is_stop(p, i))
			p->cur = i;
		else
			pager_settle(p, 1);
		return;
	}
	tui_message(p->view->tui, "Not found: %s", p->search);
}

static void
pager_search(struct pager *p, int dir)
{
	char	*text = NULL;

	if (tui_prompt(p->view->tui, dir > 0 ? "/" : "?", NULL, &text) == -1)
		return;
	free(p->search);
	p->search = NULL;
	p->found = PAGER_NONE;
	if (*text == '\0') {
		free(text);
		return;
	}
	p->search = text;
	pager_find(p, dir);
}

/* To the first line (dir -1) or the last (1). */
static void
pager_end(struct pager *p, int dir)
{
	p->top = dir < 0 ? 0 : pager_bottom(p);
	p->cur = PAGER_NONE;
	pager_settle(p, -dir);
}

static void
pager_side(struct pager *p, int dir)
{
	if (dir < 0)
		p->left = p->left > PAGER_HSTEP ? p->left - PAGER_HSTEP : 0;
	else
		p->left += PAGER_HSTEP;
}

/* What the generic actions do; those going up stop following. */
static const struct {
	enum action	 action;
	void		 (*fn)(struct pager *, int);
	int		 dir;
	int		 up;
	int		 sideways;	/* only when the pager scrolls so */
} pager_actions[] = {
	{ ACTION_UP,		pager_move,	-1,	1,	0 },
	{ ACTION_DOWN,		pager_move,	1,	0,	0 },
	{ ACTION_PAGE_UP,	pager_page,	-1,	1,	0 },
	{ ACTION_PAGE_DOWN,	pager_page,	1,	0,	0 },
	{ ACTION_FIRST,		pager_end,	-1,	1,	0 },
	{ ACTION_LAST,		pager_end,	1,	0,	0 },
	{ ACTION_LEFT,		pager_side,	-1,	0,	1 },
	{ ACTION_RIGHT,		pager_side,	1,	0,	1 },
	{ ACTION_SEARCH,	pager_search,	1,	0,	0 },
	{ ACTION_SEARCH_BACK,	pager_search,	-1,	0,	0 },
	{ ACTION_FIND_NEXT,	pager_find,	1,	0,	0 },
	{ ACTION_FIND_PREV,	pager_find,	-1,	0,	0 }
};

int
pager_action(struct pager *p, enum action a)
{
	size_t	 i;

	for (i = 0; i < sizeof pager_actions / sizeof pager_actions[0]; i++) {
		if (pager_actions[i].action != a)
			continue;
		if (pager_actions[i].sideways && !p->sideways)
			return (0);
		if (pager_actions[i].up)
			p->follow = 0;
		pager_actions[i].fn(p, pager_actions[i].dir);
		p->view->dirty = 1;
		return (1);
	}
	return (0);
}
