/*
 * Text in display columns: UTF-8 decoded with mbrtowc (the board sets the
 * locale at start), measured with wcwidth, cut at a character boundary.
 */
#include <string.h>
#include <wchar.h>

#include "tui.h"

/* "…", drawn where text was cut. */
static const wchar_t tui_text_ellipsis = 0x2026;

/*
 * Decodes one character of s (at most len bytes) into *wc; returns the
 * bytes it took. Bytes that are no character count as one '?'.
 */
static size_t
tui_text_next(const char *s, size_t len, wchar_t *wc)
{
	mbstate_t	 ps;
	size_t		 n;

	memset(&ps, 0, sizeof ps);
	n = mbrtowc(wc, s, len, &ps);
	if (n == (size_t)-1 || n == (size_t)-2) {
		*wc = L'?';
		return (1);
	}
	if (n == 0) {
		*wc = L'\0';
		return (1);
	}
	return (n);
}

/* The columns wc takes; control characters become one space. */
static int
tui_text_cols(wchar_t *wc)
{
	int	 w;

	if (*wc < 0x20 || *wc == 0x7f || (*wc >= 0x80 && *wc < 0xa0)) {
		*wc = L' ';
		return (1);
	}
	if ((w = wcwidth(*wc)) < 0) {
		*wc = L'?';
		return (1);
	}
	return (w);
}

int
tui_width(const char *s)
{
	size_t	 len, n;
	wchar_t	 wc;
	int	 w = 0;

	if (s == NULL)
		return (0);
	len = strlen(s);
	while (len > 0) {
		n = tui_text_next(s, len, &wc);
		w += tui_text_cols(&wc);
		s += n;
		len -= n;
	}
	return (w);
}

int
tui_text(WINDOW *win, int y, int x, int width, const char *s, int attr,
    int ellipsis)
{
	cchar_t		 cc;
	wchar_t		 wc, buf[2];
	size_t		 len, n;
	int		 used = 0, w, total, limit;

	if (s == NULL || width <= 0)
		return (0);
	total = tui_width(s);
	limit = width;
	if (total > width && ellipsis)
		limit = width - 1;
	if (wmove(win, y, x) == ERR)
		return (0);
	len = strlen(s);
	while (len > 0) {
		n = tui_text_next(s, len, &wc);
		w = tui_text_cols(&wc);
		if (used + w > limit)
			break;
		s += n;
		len -= n;
		if (w == 0) {
			/* A combining mark joins what is already drawn. */
			if (used == 0)
				continue;
		}
		buf[0] = wc;
		buf[1] = L'\0';
		if (setcchar(&cc, buf, (attr_t)attr & ~A_COLOR, PAIR_NUMBER(attr),
		    NULL) == OK)
			wadd_wch(win, &cc);
		used += w;
	}
	if (total > width && ellipsis && used < width) {
		buf[0] = tui_text_ellipsis;
		buf[1] = L'\0';
		if (setcchar(&cc, buf, (attr_t)attr & ~A_COLOR, PAIR_NUMBER(attr),
		    NULL) == OK)
			wadd_wch(win, &cc);
		used++;
	}
	return (used);
}
