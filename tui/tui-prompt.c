/*
 * Questions: y/n, a line of text and a pick from a list on the status
 * line or in a box, and $EDITOR with the screen suspended. Each waits in
 * tui_turn, so the feed keeps being applied and the board drawn meanwhile.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <wctype.h>

#include "colors.h"
#include "editor.h"
#include "tui-internal.h"
#include "tui.h"
#include "xmalloc.h"

#define TUI_CTRL(c)	((c) & 0x1f)
#define TUI_ESC		27

/* The line editor's state. */
struct tui_line {
	const char	*question;
	wchar_t		*buf;
	size_t		 len;
	size_t		 size;
	size_t		 cursor;
};

static int
tui_prompt_is(const struct tui_key *k, int ch)
{
	return (!k->fn && k->code == ch);
}

static int
tui_prompt_cancel(const struct tui_key *k)
{
	return (tui_prompt_is(k, TUI_ESC) || tui_prompt_is(k, TUI_CTRL('g')));
}

static int
tui_prompt_enter(const struct tui_key *k)
{
	return (tui_prompt_is(k, '\r') || tui_prompt_is(k, '\n') ||
	    (k->fn && k->code == KEY_ENTER));
}

static void
tui_prompt_begin(struct tui *t, void (*draw)(struct tui *, WINDOW *, void *),
    void *arg)
{
	t->prompt_draw = draw;
	t->prompt_arg = arg;
	t->status_dirty = 1;
	curs_set(1);
}

static void
tui_prompt_end(struct tui *t)
{
	t->prompt_draw = NULL;
	t->prompt_arg = NULL;
	t->status_dirty = 1;
	curs_set(0);
}

static void
tui_confirm_draw(struct tui *t, WINDOW *w, void *arg)
{
	int	 x;

	x = tui_text(w, 0, 0, tui_cols(t) - 1, arg,
	    colors_attr(COLOR_STATUS_LINE), 1);
	wmove(w, 0, x < tui_cols(t) ? x : tui_cols(t) - 1);
}

int
tui_confirm(struct tui *t, const char *fmt, ...)
{
	struct tui_key	 k;
	va_list		 ap;
	char		*q, *line;
	int		 rc = -1;

	va_start(ap, fmt);
	if (vasprintf(&q, fmt, ap) == -1)
		q = NULL;
	va_end(ap);
	line = xprintf("%s (y/n) ", q != NULL ? q : "");
	free(q);
	tui_prompt_begin(t, tui_confirm_draw, line);
	while (tui_turn(t, &k) == 0) {
		if (tui_prompt_is(&k, 'y') || tui_prompt_is(&k, 'Y')) {
			rc = 0;
			break;
		}
		if (tui_prompt_is(&k, 'n') || tui_prompt_is(&k, 'N') ||
		    tui_prompt_cancel(&k))
			break;
	}
	tui_prompt_end(t);
	free(line);
	return (rc);
}

static int
tui_wcwidth(wchar_t wc)
{
	int	 w = wcwidth(wc);

	return (w < 0 ? 1 : w);
}

/*
 * The question, then as much of the text as fits with the cursor in
 * sight: the text scrolls left when the cursor nears the right edge.
 */
static void
tui_line_draw(struct tui *t, WINDOW *w, void *arg)
{
	struct tui_line	*l = arg;
	cchar_t		 cc;
	wchar_t		 one[2];
	size_t		 start = 0, i;
	int		 qw, room, cw = 0, x, attr;

	attr = colors_attr(COLOR_STATUS_LINE);
	qw = tui_text(w, 0, 0, tui_cols(t) / 2, l->question, attr, 1);
	room = tui_cols(t) - qw - 1;
	if (room < 1)
		room = 1;
	for (i = 0; i < l->cursor; i++)
		cw += tui_wcwidth(l->buf[i]);
	while (cw >= room && start < l->cursor)
		cw -= tui_wcwidth(l->buf[start++]);
	x = qw;
	for (i = start; i < l->len; i++) {
		if (x + tui_wcwidth(l->buf[i]) > tui_cols(t) - 1)
			break;
		one[0] = iswprint(l->buf[i]) ? l->buf[i] : L' ';
		one[1] = L'\0';
		if (setcchar(&cc, one, (attr_t)attr & ~A_COLOR,
		    PAIR_NUMBER(attr), NULL) == OK)
			mvwadd_wch(w, 0, x, &cc);
		x += tui_wcwidth(l->buf[i]);
	}
	wmove(w, 0, qw + cw);
}

static void
tui_line_insert(struct tui_line *l, wchar_t wc)
{
	if (l->len + 2 > l->size) {
		l->size = l->size == 0 ? 64 : l->size * 2;
		l->buf = xreallocarray(l->buf, l->size, sizeof *l->buf);
	}
	memmove(&l->buf[l->cursor + 1], &l->buf[l->cursor],
	    (l->len - l->cursor) * sizeof *l->buf);
	l->buf[l->cursor++] = wc;
	l->len++;
}

/* Removes the characters from..to (to excluded). */
static void
tui_line_delete(struct tui_line *l, size_t from, size_t to)
{
	if (to > l->len)
		to = l->len;
	if (from >= to)
		return;
	memmove(&l->buf[from], &l->buf[to], (l->len - to) * sizeof *l->buf);
	l->len -= to - from;
	if (l->cursor > to)
		l->cursor -= to - from;
	else if (l->cursor > from)
		l->cursor = from;
}

/* One key of the line editor; 1 when it was an editing key. */
static int
tui_line_key(struct tui_line *l, const struct tui_key *k)
{
	size_t	 i;

	if (k->fn) {
		switch (k->code) {
		case KEY_LEFT:
			if (l->cursor > 0)
				l->cursor--;
			return (1);
		case KEY_RIGHT:
			if (l->cursor < l->len)
				l->cursor++;
			return (1);
		case KEY_HOME:
			l->cursor = 0;
			return (1);
		case KEY_END:
			l->cursor = l->len;
			return (1);
		case KEY_BACKSPACE:
			if (l->cursor > 0)
				tui_line_delete(l, l->cursor - 1, l->cursor);
			return (1);
		case KEY_DC:
			tui_line_delete(l, l->cursor, l->cursor + 1);
			return (1);
		}
		return (0);
	}
	switch (k->code) {
	case TUI_CTRL('b'):
		if (l->cursor > 0)
			l->cursor--;
		return (1);
	case TUI_CTRL('f'):
		if (l->cursor < l->len)
			l->cursor++;
		return (1);
	case TUI_CTRL('a'):
		l->cursor = 0;
		return (1);
	case TUI_CTRL('e'):
		l->cursor = l->len;
		return (1);
	case TUI_CTRL('h'):
	case 127:
		if (l->cursor > 0)
			tui_line_delete(l, l->cursor - 1, l->cursor);
		return (1);
	case TUI_CTRL('d'):
		tui_line_delete(l, l->cursor, l->cursor + 1);
		return (1);
	case TUI_CTRL('u'):
		tui_line_delete(l, 0, l->cursor);
		return (1);
	case TUI_CTRL('k'):
		tui_line_delete(l, l->cursor, l->len);
		return (1);
	case TUI_CTRL('w'):
		i = l->cursor;
		while (i > 0 && iswspace(l->buf[i - 1]))
			i--;
		while (i > 0 && !iswspace(l->buf[i - 1]))
			i--;
		tui_line_delete(l, i, l->cursor);
		return (1);
	}
	if (k->code >= 0x20 && k->code != 0x7f && iswprint((wint_t)k->code)) {
		tui_line_insert(l, (wchar_t)k->code);
		return (1);
	}
	return (0);
}

static void
tui_line_set(struct tui_line *l, const char *s)
{
	mbstate_t	 ps;
	wchar_t		 wc;
	size_t		 n, len;

	if (s == NULL)
		return;
	len = strlen(s);
	memset(&ps, 0, sizeof ps);
	while (len > 0) {
		n = mbrtowc(&wc, s, len, &ps);
		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&ps, 0, sizeof ps);
			wc = L'?';
			n = 1;
		} else if (n == 0)
			break;
		tui_line_insert(l, wc);
		s += n;
		len -= n;
	}
}

static char *
tui_line_text(const struct tui_line *l)
{
	mbstate_t	 ps;
	char		*out, mb[MB_LEN_MAX];
	size_t		 i, n, len = 0;

	out = xmalloc(l->len * MB_LEN_MAX + 1);
	memset(&ps, 0, sizeof ps);
	for (i = 0; i < l->len; i++) {
		if ((n = wcrtomb(mb, l->buf[i], &ps)) == (size_t)-1) {
			memset(&ps, 0, sizeof ps);
			mb[0] = '?';
			n = 1;
		}
		memcpy(out + len, mb, n);
		len += n;
	}
	out[len] = '\0';
	return (out);
}

int
tui_prompt(struct tui *t, const char *question, const char *initial,
    char **out)
{
	struct tui_line	 l;
	struct tui_key	 k;
	int		 rc = -1;

	*out = NULL;
	memset(&l, 0, sizeof l);
	l.question = question;
	tui_line_set(&l, initial);
	tui_prompt_begin(t, tui_line_draw, &l);
	while (tui_turn(t, &k) == 0) {
		if (tui_prompt_enter(&k)) {
			*out = tui_line_text(&l);
			rc = 0;
			break;
		}
		if (tui_prompt_cancel(&k))
			break;
		if (tui_line_key(&l, &k))
			t->status_dirty = 1;
	}
	tui_prompt_end(t);
	free(l.buf);
	return (rc);
}

/* A pick: the items, those the typed text keeps, and the cursor. */
struct tui_pickbox {
	const char		*title;
	const char *const	*items;
	size_t			 n;
	size_t			*shown;		/* indexes of kept items */
	size_t			 nshown;
	size_t			 cursor;	/* in shown */
	size_t			 top;
	struct tui_line		 text;
	WINDOW			*win;
};

static int
tui_pick_contains(const char *hay, const char *needle)
{
	size_t	 n = strlen(needle);

	for (; *hay != '\0'; hay++) {
		if (strncasecmp(hay, needle, n) == 0)
			return (1);
	}
	return (n == 0);
}

static void
tui_pick_narrow(struct tui_pickbox *p)
{
	char	*text;
	size_t	 i;

	text = tui_line_text(&p->text);
	p->nshown = 0;
	for (i = 0; i < p->n; i++) {
		if (tui_pick_contains(p->items[i], text))
			p->shown[p->nshown++] = i;
	}
	free(text);
	if (p->cursor >= p->nshown)
		p->cursor = p->nshown > 0 ? p->nshown - 1 : 0;
}

/* Makes the box fit the screen (again, after a resize). */
static void
tui_pick_place(struct tui *t, struct tui_pickbox *p)
{
	size_t	 i;
	int	 w, h, lines = tui_lines(t), cols = tui_cols(t);

	w = tui_width(p->title) + 6;
	for (i = 0; i < p->n; i++) {
		if (tui_width(p->items[i]) + 4 > w)
			w = tui_width(p->items[i]) + 4;
	}
	if (w < 24)
		w = 24;
	if (w > cols - 2)
		w = cols > 2 ? cols - 2 : cols;
	h = (int)p->n + 3;
	if (h > lines - 2)
		h = lines > 2 ? lines - 2 : lines;
	if (h < 3)
		h = 3;
	if (p->win != NULL)
		delwin(p->win);
	p->win = newwin(h, w, (lines - h) / 2, (cols - w) / 2);
}

static void
tui_pick_draw(struct tui *t, void *arg)
{
	struct tui_pickbox	*p = arg;
	WINDOW			*w;
	char			*text;
	size_t			 i;
	int			 h, wd, rows, y, attr;

	if (p->win == NULL || getmaxx(p->win) > tui_cols(t) ||
	    getmaxy(p->win) > tui_lines(t))
		tui_pick_place(t, p);
	if ((w = p->win) == NULL)
		return;
	getmaxyx(w, h, wd);
	rows = h - 3;
	werase(w);
	wattrset(w, colors_attr(COLOR_DEFAULT));
	box(w, 0, 0);
	tui_text(w, 0, 2, wd - 4, p->title, colors_attr(COLOR_TITLE), 1);
	text = tui_line_text(&p->text);
	mvwaddstr(w, 1, 1, "> ");
	tui_text(w, 1, 3, wd - 4, text, colors_attr(COLOR_DEFAULT), 1);
	free(text);
	if (p->cursor < p->top)
		p->top = p->cursor;
	if (rows > 0 && p->cursor >= p->top + (size_t)rows)
		p->top = p->cursor - (size_t)rows + 1;
	for (y = 0; y < rows && p->top + (size_t)y < p->nshown; y++) {
		i = p->shown[p->top + (size_t)y];
		attr = p->top + (size_t)y == p->cursor ?
		    colors_attr(COLOR_CURSOR) : colors_attr(COLOR_DEFAULT);
		if (attr != colors_attr(COLOR_DEFAULT))
			mvwchgat(w, 2 + y, 1, wd - 2, (attr_t)attr & ~A_COLOR,
			    (short)PAIR_NUMBER(attr), NULL);
		tui_text(w, 2 + y, 2, wd - 4, p->items[i], attr, 1);
	}
	if (p->nshown == 0)
		tui_text(w, 2, 2, wd - 4, "(nothing matches)",
		    colors_attr(COLOR_DIM), 1);
	wnoutrefresh(w);
}

int
tui_pick(struct tui *t, const char *title, const char *const *items,
    size_t n, size_t *out)
{
	struct tui_pickbox	 p;
	struct tui_key		 k;
	int			 rc = -1, moved;

	if (n == 0)
		return (-1);
	memset(&p, 0, sizeof p);
	p.title = title;
	p.items = items;
	p.n = n;
	p.shown = xcalloc(n, sizeof *p.shown);
	tui_pick_narrow(&p);
	t->overlay_draw = tui_pick_draw;
	t->overlay_arg = &p;
	t->overlay_dirty = 1;
	while (tui_turn(t, &k) == 0) {
		moved = 1;
		if (tui_prompt_enter(&k)) {
			if (p.nshown > 0) {
				*out = p.shown[p.cursor];
				rc = 0;
				break;
			}
			continue;
		}
		if (tui_prompt_cancel(&k))
			break;
		if ((k.fn && k.code == KEY_UP) || tui_prompt_is(&k,
		    TUI_CTRL('p')) || (p.text.len == 0 &&
		    tui_prompt_is(&k, 'k'))) {
			if (p.cursor > 0)
				p.cursor--;
		} else if ((k.fn && k.code == KEY_DOWN) || tui_prompt_is(&k,
		    TUI_CTRL('n')) || tui_prompt_is(&k, '\t') ||
		    (p.text.len == 0 && tui_prompt_is(&k, 'j'))) {
			if (p.cursor + 1 < p.nshown)
				p.cursor++;
		} else if (k.fn && k.code == KEY_PPAGE)
			p.cursor = 0;
		else if (k.fn && k.code == KEY_NPAGE)
			p.cursor = p.nshown > 0 ? p.nshown - 1 : 0;
		else if (tui_line_key(&p.text, &k))
			tui_pick_narrow(&p);
		else
			moved = 0;
		if (moved)
			t->overlay_dirty = 1;
	}
	t->overlay_draw = NULL;
	t->overlay_arg = NULL;
	if (p.win != NULL)
		delwin(p.win);
	free(p.shown);
	free(p.text.buf);
	tui_dirty(t);
	return (rc);
}

int
tui_editor(struct tui *t, const char *initial, char **out)
{
	struct ufo_error	 err;
	int			 rc;

	*out = NULL;
	def_prog_mode();
	endwin();
	rc = editor_run(initial, out, &err);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	tui_dirty(t);
	if (rc == -1) {
		tui_error(t, &err);
		return (-1);
	}
	return (0);
}
