/*
 * The lanes view: missions as rows, statuses as columns, and in each cell
 * the cards of that mission and status, one line each. The cursor is on a
 * cell and a card in it (an empty cell can hold the cursor: create goes
 * there). Columns scroll sideways when they do not fit; lanes scroll down.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "card.h"
#include "colors.h"
#include "columns.h"
#include "filter.h"
#include "jsonx.h"
#include "model.h"
#include "protocol.h"
#include "rows.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

struct view_lanes_cell {
	struct json_object	**cards;	/* references of ours */
	size_t			  n;
	size_t			  size;
};

struct view_lanes_lane {
	char			*key;
	char			*name;
	struct view_lanes_cell	 cells[OP_NSTATUS];
	size_t			 total;
};

struct view_lanes {
	struct model_filter	 filter;
	struct view_lanes_lane	*lanes;
	size_t			 nlanes;
	struct columns		 cols;		/* the cursor's: cols.cursor */
	size_t			 counts[OP_NSTATUS];

	size_t			 lane;		/* the cursor */
	size_t			 card;
	char			*cursor_id;

	int			 top;		/* first line shown */
	int			 height;

	struct rows_search	 search;
	char			*title;
	int			 stale;		/* lanes to build again */
};

/* Building the lanes. */

static void
view_lanes_free_lanes(struct view_lanes *l)
{
	size_t	 i, s, k;

	for (i = 0; i < l->nlanes; i++) {
		for (s = 0; s < OP_NSTATUS; s++) {
			for (k = 0; k < l->lanes[i].cells[s].n; k++)
				json_object_put(l->lanes[i].cells[s].cards[k]);
			free(l->lanes[i].cells[s].cards);
		}
		free(l->lanes[i].key);
		free(l->lanes[i].name);
	}
	free(l->lanes);
	l->lanes = NULL;
	l->nlanes = 0;
}

static struct view_lanes_lane *
view_lanes_add_lane(struct view_lanes *l, const char *key, const char *name)
{
	struct view_lanes_lane	*lane;

	l->lanes = xreallocarray(l->lanes, l->nlanes + 1, sizeof *l->lanes);
	lane = &l->lanes[l->nlanes++];
	memset(lane, 0, sizeof *lane);
	lane->key = xstrdup(key);
	lane->name = xstrdup(name != NULL ? name : "");
	return (lane);
}

static struct view_lanes_lane *
view_lanes_find_lane(struct view_lanes *l, const char *key)
{
	size_t	 i;

	for (i = 0; i < l->nlanes; i++) {
		if (strcmp(l->lanes[i].key, key) == 0)
			return (&l->lanes[i]);
	}
	return (NULL);
}

static struct view_lanes_cell *
view_lanes_cell(struct view_lanes *l, size_t lane, size_t col)
{
	if (lane >= l->nlanes || col >= l->cols.n)
		return (NULL);
	return (&l->lanes[lane].cells[l->cols.status[col]]);
}

static struct json_object *
view_lanes_current(struct view_lanes *l)
{
	struct view_lanes_cell	*c;

	if ((c = view_lanes_cell(l, l->lane, l->cols.cursor)) == NULL ||
	    l->card >= c->n)
		return (NULL);
	return (c->cards[l->card]);
}

/* Puts the cursor on lane, col, card (clamped) and remembers its card. */
static void
view_lanes_set_cursor(struct view_lanes *l, size_t lane, size_t col,
    size_t card)
{
	struct view_lanes_cell	*c;
	struct json_object	*op;
	const char		*id;

	if (l->nlanes == 0)
		lane = 0;
	else if (lane >= l->nlanes)
		lane = l->nlanes - 1;
	if (col >= l->cols.n)
		col = l->cols.n > 0 ? l->cols.n - 1 : 0;
	c = view_lanes_cell(l, lane, col);
	if (c == NULL || c->n == 0)
		card = 0;
	else if (card >= c->n)
		card = c->n - 1;
	l->lane = lane;
	l->cols.cursor = col;
	l->card = card;
	free(l->cursor_id);
	l->cursor_id = NULL;
	if ((op = view_lanes_current(l)) != NULL &&
	    (id = jsonx_str(op, "id")) != NULL)
		l->cursor_id = xstrdup(id);
}

/* Finds the card of the cursor's operation (by its object) after a build. */
static int
view_lanes_find_cursor(struct view *v)
{
	struct view_lanes	*l = v->data;
	struct view_lanes_cell	*c;
	struct json_object	*at;
	size_t			 i, col, k;

	if (l->cursor_id == NULL ||
	    (at = model_op(tui_model(v->tui), l->cursor_id)) == NULL)
		return (0);
	for (i = 0; i < l->nlanes; i++) {
		for (col = 0; col < l->cols.n; col++) {
			c = view_lanes_cell(l, i, col);
			for (k = 0; k < c->n; k++) {
				if (c->cards[k] == at) {
					l->lane = i;
					l->cols.cursor = col;
					l->card = k;
					return (1);
				}
			}
		}
	}
	return (0);
}

static void
view_lanes_rebuild(struct view *v)
{
	struct view_lanes	 *l = v->data;
	struct model		 *m = tui_model(v->tui);
	struct json_object	 *missions, *ms, **ops;
	struct view_lanes_lane	 *lane;
	struct view_lanes_cell	 *c;
	const char		 *key;
	size_t			  i, n;
	int			  si, all;

	view_lanes_free_lanes(l);
	l->stale = 0;
	memset(l->counts, 0, sizeof l->counts);
	columns_show(&l->cols, l->filter.hidden);

	missions = model_missions(m);
	n = missions != NULL ? json_object_array_length(missions) : 0;
	for (i = 0; i < n; i++) {
		ms = json_object_array_get_idx(missions, i);
		if ((key = jsonx_str(ms, "key")) == NULL)
			continue;
		if (l->filter.mission != NULL &&
		    strcasecmp(l->filter.mission, key) != 0)
			continue;
		view_lanes_add_lane(l, key, jsonx_str(ms, "name"));
	}

	n = model_ops(m, &ops);
	all = model_filter_empty(&l->filter);
	for (i = 0, lane = NULL; i < n; i++) {
		si = model_ops_status(m, i);
		if (si < 0 || si >= OP_NSTATUS)
			continue;
		if (all) {
			if (!columns_shown(&l->cols, si))
				continue;
		} else if (!model_filter_match(&l->filter, ops[i]))
			continue;
		if ((key = jsonx_str(ops[i], "mission")) == NULL)
			key = "?";
		/* Neighbours often share a mission: the last lane first. */
		if (lane == NULL || strcmp(lane->key, key) != 0) {
			if ((lane = view_lanes_find_lane(l, key)) == NULL)
				lane = view_lanes_add_lane(l, key, NULL);
		}
		c = &lane->cells[si];
		if (c->n == c->size) {
			c->size = c->size == 0 ? 8 : c->size * 2;
			c->cards = xreallocarray(c->cards, c->size,
			    sizeof *c->cards);
		}
		c->cards[c->n++] = json_object_get(ops[i]);
		lane->total++;
		l->counts[si]++;
	}

	/* When its card left, the cursor stays in its lane and status. */
	if (!view_lanes_find_cursor(v))
		view_lanes_set_cursor(l, l->lane, l->cols.cursor, l->card);
	v->dirty = 1;
}

/* Drawing. */

/* Lines a lane takes: its header and its tallest shown cell (at least 1). */
static int
view_lanes_lane_lines(struct view_lanes *l, size_t i)
{
	size_t	 col, most = 1;

	for (col = 0; col < l->cols.n; col++) {
		if (l->lanes[i].cells[l->cols.status[col]].n > most)
			most = l->lanes[i].cells[l->cols.status[col]].n;
	}
	return (1 + (int)most);
}

/* Moves the view so the cursor's card (and its lane's name) are shown. */
static void
view_lanes_scroll(struct view_lanes *l)
{
	size_t	 i;
	int	 y = 0, head, line;

	for (i = 0; i < l->lane && i < l->nlanes; i++)
		y += view_lanes_lane_lines(l, i);
	head = y;
	line = y + 1 + (int)l->card;
	if (line >= l->top + l->height)
		l->top = line - l->height + 1;
	if (line < l->top)
		l->top = line;
	/* The lane's name above its first card. */
	if (l->card == 0 && head < l->top)
		l->top = head;
	if (l->top < 0)
		l->top = 0;
}

static void
view_lanes_draw_card(struct view *v, WINDOW *win, int y, int x, int w,
    struct json_object *op, int cur, time_t now)
{
	struct json_object	*last;
	const char		*code, *mark;
	char			*run;
	int			 attr, a, ra = 0, cw, mw, rw = 0, tw;

	attr = card_attr(colors_attr(COLOR_DEFAULT), cur);
	if (cur)
		mvwhline(win, y, x, ' ' | attr, w);
	code = jsonx_str(op, "code");
	cw = tui_text(win, y, x, w, code, card_attr(colors_attr(COLOR_CODE),
	    cur), 0) + 1;
	mark = card_priority(op, &a);
	mw = 0;
	if (*mark != '\0' && cw < w)
		mw = tui_text(win, y, x + cw, w - cw, mark, card_attr(a, cur),
		    0) + 1;

	last = model_op_run(tui_model(v->tui), jsonx_str(op, "id"));
	run = card_run_state(last, now, 0, &ra);
	if (run != NULL && w - cw - mw - tui_width(run) - 1 < 8) {
		free(run);
		run = card_run_state(last, now, 1, &ra);
	}
	if (run != NULL) {
		rw = tui_width(run);
		if (rw > w - cw - mw)
			rw = w - cw - mw > 0 ? w - cw - mw : 0;
		tui_text(win, y, x + w - rw, rw, run, card_attr(ra, cur), 0);
		rw++;
		free(run);
	}
	tw = w - cw - mw - rw;
	if (tw > 0)
		tui_text(win, y, x + cw + mw, tw, jsonx_str(op, "title"),
		    attr, 1);
}

static void
view_lanes_draw(struct view *v, WINDOW *win)
{
	struct view_lanes	*l = v->data;
	struct view_lanes_lane	*lane;
	struct view_lanes_cell	*c;
	time_t			 now = time(NULL);
	char			 buf[64];
	size_t			 i, col, k;
	int			 lines, cols, colw, y, x, ly, n, cur;
	int			 bottom;

	if (l->stale)
		view_lanes_rebuild(v);
	getmaxyx(win, lines, cols);
	werase(win);
	l->height = lines > 1 ? lines - 1 : 1;
	columns_layout(&l->cols, cols);
	colw = l->cols.width;
	view_lanes_scroll(l);
	for (i = 0, bottom = -l->top; i < l->nlanes; i++)
		bottom += view_lanes_lane_lines(l, i);
	if (bottom > l->height)
		bottom = l->height;
	/* Pages still loading: the counts are lower bounds. */
	columns_draw(&l->cols, win, 0, l->counts,
	    model_loading(tui_model(v->tui)), bottom + 1);
	if (l->nlanes == 0)
		tui_text(win, 1, 0, cols, "No missions.",
		    colors_attr(COLOR_DIM), 1);
	for (i = 0, ly = 0; i < l->nlanes; i++) {
		lane = &l->lanes[i];
		n = view_lanes_lane_lines(l, i);
		if (ly + n <= l->top) {
			ly += n;
			continue;
		}
		if (ly - l->top >= l->height)
			break;
		y = 1 + ly - l->top;
		if (ly >= l->top) {
			mvwhline(win, y, 0, ' ' | colors_attr(COLOR_TITLE),
			    cols);
			snprintf(buf, sizeof buf, "%s", lane->key);
			x = tui_text(win, y, 0, cols, buf,
			    colors_attr(COLOR_TITLE), 0);
			if (*lane->name != '\0' &&
			    strcmp(lane->name, lane->key) != 0)
				x += tui_text(win, y, x + 1, cols - x - 1,
				    lane->name, colors_attr(COLOR_TITLE),
				    1) + 1;
			snprintf(buf, sizeof buf, " %zu", lane->total);
			if (x < cols)
				tui_text(win, y, x, cols - x, buf,
				    colors_attr(COLOR_COUNT), 0);
		}
		for (col = l->cols.first; col < l->cols.n &&
		    col < l->cols.first + l->cols.fit; col++) {
			x = columns_x(&l->cols, col);
			c = &lane->cells[l->cols.status[col]];
			cur = (i == l->lane && col == l->cols.cursor);
			for (k = 0; k < (c->n > 0 ? c->n : 1); k++) {
				y = 1 + ly + 1 + (int)k - l->top;
				if (y < 1)
					continue;
				if (y > l->height)
					break;
				if (c->n == 0) {
					if (cur)
						mvwhline(win, y, x, ' ' |
						    colors_attr(COLOR_CURSOR),
						    colw);
					continue;
				}
				view_lanes_draw_card(v, win, y, x, colw,
				    c->cards[k], cur && k == l->card, now);
			}
		}
		ly += n;
	}
	v->dirty = 0;
}

/* Moving. */

static void
view_lanes_down(struct view_lanes *l)
{
	struct view_lanes_cell	*c = view_lanes_cell(l, l->lane, l->cols.cursor);

	if (c != NULL && l->card + 1 < c->n)
		view_lanes_set_cursor(l, l->lane, l->cols.cursor, l->card + 1);
	else if (l->lane + 1 < l->nlanes)
		view_lanes_set_cursor(l, l->lane + 1, l->cols.cursor, 0);
}

static void
view_lanes_up(struct view_lanes *l)
{
	if (l->card > 0)
		view_lanes_set_cursor(l, l->lane, l->cols.cursor, l->card - 1);
	else if (l->lane > 0)
		view_lanes_set_cursor(l, l->lane - 1, l->cols.cursor, SIZE_MAX);
}

/* The cards in order (lane, column, card), for searching. */
static int
view_lanes_find_step(struct view_lanes *l, size_t *lane, size_t *col,
    size_t *card, int back)
{
	struct view_lanes_cell	*c;

	c = view_lanes_cell(l, *lane, *col);
	if (!back) {
		if (c != NULL && *card + 1 < c->n) {
			(*card)++;
			return (0);
		}
		*card = 0;
		if (++*col < l->cols.n)
			return (0);
		*col = 0;
		if (++*lane < l->nlanes)
			return (0);
		*lane = 0;
		return (1);
	}
	for (;;) {
		if (*card > 0 && c != NULL && *card <= c->n) {
			(*card)--;
			return (0);
		}
		if (*col > 0)
			(*col)--;
		else {
			*col = l->cols.n - 1;
			if (*lane > 0)
				(*lane)--;
			else
				*lane = l->nlanes - 1;
		}
		c = view_lanes_cell(l, *lane, *col);
		*card = c != NULL ? c->n : 0;
		if (c != NULL && c->n > 0) {
			(*card)--;
			return (0);
		}
	}
}

static void
view_lanes_find(struct view *v, int back)
{
	struct view_lanes	*l = v->data;
	struct view_lanes_cell	*c;
	size_t			 lane = l->lane, col = l->cols.cursor, card = l->card;
	size_t			 steps, total = 0, i, k;

	if (l->search.text == NULL) {
		tui_message(v->tui, "No search yet");
		return;
	}
	for (i = 0; i < l->nlanes; i++) {
		for (k = 0; k < l->cols.n; k++)
			total += l->lanes[i].cells[l->cols.status[k]].n;
	}
	if (total == 0 || l->cols.n == 0)
		goto none;
	for (steps = 0; steps < total + l->nlanes * l->cols.n; steps++) {
		view_lanes_find_step(l, &lane, &col, &card, back);
		c = view_lanes_cell(l, lane, col);
		if (c == NULL || card >= c->n)
			continue;
		if (card_matches(c->cards[card], l->search.text)) {
			view_lanes_set_cursor(l, lane, col, card);
			v->dirty = 1;
			return;
		}
	}
none:
	tui_message(v->tui, "Not found: %s", l->search.text);
}

/* In lanes every mission is on screen: the mission action goes to one. */
static void
view_lanes_mission(struct view *v)
{
	struct view_lanes	*l = v->data;
	const char		**items;
	char			**owned, *key = NULL;
	size_t			 i, n = l->nlanes, sel = l->lane;

	if (n == 0)
		return;
	items = xcalloc(n, sizeof *items);
	owned = xcalloc(n, sizeof *owned);
	for (i = 0; i < n; i++) {
		owned[i] = xprintf("%s  %s", l->lanes[i].key,
		    l->lanes[i].name);
		items[i] = owned[i];
	}
	if (tui_pick(v->tui, "Mission", items, n, &sel) == 0 && sel < n)
		key = xstrdup(l->lanes[sel].key);
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(owned);
	free(items);
	/* The lanes may have been rebuilt while the box was open. */
	for (i = 0; key != NULL && i < l->nlanes; i++) {
		if (strcmp(l->lanes[i].key, key) == 0) {
			view_lanes_set_cursor(l, i, l->cols.cursor, 0);
			v->dirty = 1;
		}
	}
	free(key);
}

static int
view_lanes_action(struct view *v, enum action a)
{
	struct view_lanes	*l = v->data;
	int			 i, st;

	if (l->stale)
		view_lanes_rebuild(v);
	switch (a) {
	case ACTION_UP:
		view_lanes_up(l);
		break;
	case ACTION_DOWN:
		view_lanes_down(l);
		break;
	case ACTION_LEFT:
		if (l->cols.cursor > 0)
			view_lanes_set_cursor(l, l->lane, l->cols.cursor - 1, l->card);
		break;
	case ACTION_RIGHT:
		view_lanes_set_cursor(l, l->lane, l->cols.cursor + 1, l->card);
		break;
	case ACTION_PAGE_UP:
		for (i = 0; i < l->height; i++)
			view_lanes_up(l);
		break;
	case ACTION_PAGE_DOWN:
		for (i = 0; i < l->height; i++)
			view_lanes_down(l);
		break;
	case ACTION_FIRST:
		view_lanes_set_cursor(l, 0, l->cols.cursor, 0);
		break;
	case ACTION_LAST:
		view_lanes_set_cursor(l, SIZE_MAX, l->cols.cursor, SIZE_MAX);
		break;
	case ACTION_SEARCH:
	case ACTION_SEARCH_BACK:
		if (rows_search_ask(v->tui, &l->search,
		    a == ACTION_SEARCH_BACK) == 0)
			view_lanes_find(v, l->search.back);
		break;
	case ACTION_FIND_NEXT:
	case ACTION_FIND_PREV:
		view_lanes_find(v, l->search.back ^ (a == ACTION_FIND_PREV));
		break;
	case ACTION_FILTER:
		if (filter_ask(v->tui, &l->filter) == 0)
			view_lanes_rebuild(v);
		break;
	case ACTION_MISSION:
		view_lanes_mission(v);
		break;
	case ACTION_TOGGLE_HIDDEN:
		filter_toggle_hidden(v->tui, &l->filter);
		view_lanes_rebuild(v);
		break;
	default:
		st = columns_status(&l->cols);
		return (card_action(v->tui, view_lanes_current(l), a,
		    st >= 0 ? op_status_name(st) : NULL, l->lane < l->nlanes ?
		    l->lanes[l->lane].key : NULL));
	}
	v->dirty = 1;
	return (1);
}

/* Lanes are built again when next drawn: only the top view is drawn. */
static void
view_lanes_changed(struct view *v, int what)
{
	struct view_lanes	*l = v->data;

	if (what & (MODEL_OPS | MODEL_MISSIONS))
		l->stale = 1;
	if (what & (MODEL_OPS | MODEL_MISSIONS | MODEL_RUNS))
		v->dirty = 1;
}

/* A click on a card (or an empty cell) puts the cursor there. */
static int
view_lanes_click(struct view *v, int y, int x)
{
	struct view_lanes	*l = v->data;
	struct view_lanes_cell	*c;
	size_t			 i, col;
	int			 line, ly, n;

	if (y < 1 || (col = columns_at(&l->cols, x)) == l->cols.n)
		return (0);
	line = l->top + y - 1;
	for (i = 0, ly = 0; i < l->nlanes; i++, ly += n) {
		n = view_lanes_lane_lines(l, i);
		if (line >= ly + n)
			continue;
		if (line == ly)
			return (0);	/* the lane's name */
		c = view_lanes_cell(l, i, col);
		if (c->n > 0 && (size_t)(line - ly - 1) >= c->n)
			return (0);
		view_lanes_set_cursor(l, i, col, (size_t)(line - ly - 1));
		v->dirty = 1;
		return (1);
	}
	return (0);
}

static const char *
view_lanes_title(struct view *v)
{
	struct view_lanes	*l = v->data;
	char			*filter;

	if (l->stale)
		view_lanes_rebuild(v);
	filter = filter_text(&l->filter, 1);
	free(l->title);
	l->title = xprintf("Lanes · %zu mission%s%s%s%s", l->nlanes,
	    l->nlanes == 1 ? "" : "s", *filter != '\0' ? " · " : "", filter,
	    l->filter.hidden ? " · all statuses" : "");
	free(filter);
	return (l->title);
}

static int
view_lanes_open(struct view *v)
{
	struct view_lanes	*l;

	l = xcalloc(1, sizeof *l);
	l->height = 1;
	v->data = l;
	if (v->arg != NULL)
		model_filter_parse(&l->filter, v->arg);
	view_lanes_rebuild(v);
	view_lanes_set_cursor(l, 0, 0, 0);
	return (0);
}

static void
view_lanes_close(struct view *v)
{
	struct view_lanes	*l = v->data;

	if (l == NULL)
		return;
	view_lanes_free_lanes(l);
	model_filter_clear(&l->filter);
	free(l->cursor_id);
	rows_search_free(&l->search);
	free(l->title);
	free(l);
	v->data = NULL;
}

const struct view_class view_lanes_class = {
	.name = "lanes",
	.open = view_lanes_open,
	.close = view_lanes_close,
	.draw = view_lanes_draw,
	.action = view_lanes_action,
	.changed = view_lanes_changed,
	.title = view_lanes_title,
	.click = view_lanes_click
};
