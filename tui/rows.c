#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonx.h"
#include "rows.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

void
rows_init(struct rows *r, struct view *v, void *arg, rows_get_cb get,
    rows_match_cb match, int lines)
{
	memset(r, 0, sizeof *r);
	r->view = v;
	r->arg = arg;
	r->get = get;
	r->match = match;
	r->height = 1;
	r->lines = lines > 0 ? lines : 1;
}

void
rows_free(struct rows *r)
{
	free(r->cursor_id);
	r->cursor_id = NULL;
	rows_search_free(&r->search);
}

void
rows_set_cursor(struct rows *r, size_t i)
{
	const char	*id;

	if (r->n == 0)
		i = 0;
	else if (i >= r->n)
		i = r->n - 1;
	r->cursor = i;
	free(r->cursor_id);
	r->cursor_id = NULL;
	if (i < r->n && (id = jsonx_str(r->get(r->arg, i), "id")) != NULL)
		r->cursor_id = xstrdup(id);
	r->view->dirty = 1;
}

void
rows_follow_object(struct rows *r, struct json_object *at)
{
	size_t	 i;

	for (i = 0; at != NULL && i < r->n; i++) {
		if (r->get(r->arg, i) == at) {
			r->cursor = i;
			return;
		}
	}
	rows_set_cursor(r, r->cursor);
}

void
rows_follow_id(struct rows *r)
{
	const char	*id;
	size_t		 i;

	for (i = 0; r->cursor_id != NULL && i < r->n; i++) {
		id = jsonx_str(r->get(r->arg, i), "id");
		if (id != NULL && strcmp(id, r->cursor_id) == 0) {
			r->cursor = i;
			return;
		}
	}
	rows_set_cursor(r, r->cursor);
}

void
rows_scroll(struct rows *r, int height)
{
	size_t	 h;

	r->height = height > 0 ? height : 1;
	h = (size_t)r->height;
	if (r->cursor >= r->n)
		r->cursor = r->n > 0 ? r->n - 1 : 0;
	if (r->cursor < r->top)
		r->top = r->cursor;
	if (r->cursor >= r->top + h)
		r->top = r->cursor - h + 1;
	/* Rows removed below: a full page when there are enough. */
	if (r->top > 0 && r->top + h > r->n)
		r->top = r->n > h ? r->n - h : 0;
}

int
rows_move(struct rows *r, enum action a)
{
	size_t	 page = (size_t)r->height;

	switch (a) {
	case ACTION_UP:
		rows_set_cursor(r, r->cursor > 0 ? r->cursor - 1 : 0);
		return (1);
	case ACTION_DOWN:
		rows_set_cursor(r, r->cursor + 1);
		return (1);
	case ACTION_PAGE_UP:
		rows_set_cursor(r, r->cursor > page ? r->cursor - page : 0);
		return (1);
	case ACTION_PAGE_DOWN:
		rows_set_cursor(r, r->cursor + page);
		return (1);
	case ACTION_FIRST:
		rows_set_cursor(r, 0);
		return (1);
	case ACTION_LAST:
		rows_set_cursor(r, r->n > 0 ? r->n - 1 : 0);
		return (1);
	default:
		return (0);
	}
}

/* The next row that matches the search, going back when back; wraps. */
static void
rows_find(struct rows *r, int back)
{
	struct tui	*tui = r->view->tui;
	size_t		 i, k;

	if (r->search.text == NULL) {
		tui_message(tui, "No search yet");
		return;
	}
	for (k = 1; k <= r->n; k++) {
		i = back ? (r->cursor + r->n - k % r->n) % r->n :
		    (r->cursor + k) % r->n;
		if (r->match(r->arg, r->get(r->arg, i), r->search.text)) {
			rows_set_cursor(r, i);
			return;
		}
	}
	tui_message(tui, "Not found: %s", r->search.text);
}

int
rows_action(struct rows *r, enum action a)
{
	if (rows_move(r, a))
		return (1);
	if (r->match == NULL)
		return (0);
	switch (a) {
	case ACTION_SEARCH:
	case ACTION_SEARCH_BACK:
		if (rows_search_ask(r->view->tui, &r->search,
		    a == ACTION_SEARCH_BACK) == 0)
			rows_find(r, r->search.back);
		return (1);
	case ACTION_FIND_NEXT:
	case ACTION_FIND_PREV:
		rows_find(r, r->search.back ^ (a == ACTION_FIND_PREV));
		return (1);
	default:
		return (0);
	}
}

int
rows_click(struct rows *r, int y)
{
	size_t	 i;

	if (y < 1)
		return (0);
	i = r->top + (size_t)((y - 1) / r->lines);
	if (i >= r->n)
		return (0);
	rows_set_cursor(r, i);
	return (1);
}

int
rows_compare(struct json_object *a, struct json_object *b, const char *key,
    int fold)
{
	const char	*sa = jsonx_str(a, key), *sb = jsonx_str(b, key);

	if (sa == NULL)
		sa = "";
	if (sb == NULL)
		sb = "";
	return (fold ? strcasecmp(sa, sb) : strcmp(sa, sb));
}

int
rows_search_ask(struct tui *tui, struct rows_search *s, int back)
{
	char	*text;

	if (tui_prompt(tui, back ? "?" : "/", NULL, &text) != 0)
		return (-1);
	if (*text == '\0') {
		free(text);
		return (-1);
	}
	free(s->text);
	s->text = text;
	s->back = back;
	return (0);
}

void
rows_search_free(struct rows_search *s)
{
	free(s->text);
	s->text = NULL;
}
