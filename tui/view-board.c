/*
 * The board: one column per status, a card per operation (code, title,
 * priority, assignee, labels, sub-operations, the latest run), a cursor
 * on one card, and columns that scroll sideways when they do not fit.
 * The columns are rebuilt from the model when it changes, lazily, once
 * per draw; only the cards in sight are drawn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define BOARD_CARD_LINES	2

/* The cards of one status. */
struct board_column {
	struct json_object	**ops;
	size_t			 size;
	struct rows		 rows;		/* rows.n cards of ops */
};

struct board {
	struct board_column	 col[OP_NSTATUS];	/* by status */
	struct columns		 cols;			/* those shown */
	int			 stale;
	struct model_filter	 filter;
	char			*follow;	/* a moved card's id */
	int			 follow_status;	/* and its status before */
	char			*title;
};

static struct board *
board_of(struct view *v)
{
	return (v->data);
}

static struct json_object *
board_card(void *arg, size_t i)
{
	struct board_column	*c = arg;

	return (i < c->rows.n ? c->ops[i] : NULL);
}

/* The column of the cursor; NULL when none is shown. */
static struct board_column *
board_column(struct board *b)
{
	int	 st = columns_status(&b->cols);

	return (st >= 0 ? &b->col[st] : NULL);
}

static int
board_open(struct view *v)
{
	struct board	*b;
	int		 st;

	b = xcalloc(1, sizeof *b);
	for (st = 0; st < OP_NSTATUS; st++)
		rows_init(&b->col[st].rows, v, &b->col[st], board_card, NULL,
		    BOARD_CARD_LINES);
	columns_show(&b->cols, 0);
	b->stale = 1;
	v->data = b;
	return (0);
}

static void
board_close(struct view *v)
{
	struct board	*b = board_of(v);
	int		 st;

	if (b == NULL)
		return;
	for (st = 0; st < OP_NSTATUS; st++) {
		free(b->col[st].ops);
		rows_free(&b->col[st].rows);
	}
	model_filter_clear(&b->filter);
	free(b->follow);
	free(b->title);
	free(b);
	v->data = NULL;
}

/* A card moved with H/L takes the cursor to its new column. */
static void
board_follow_moved(struct board *b, struct model *m)
{
	struct board_column	*c;
	struct json_object	*op;
	size_t			 i;
	int			 st;

	if (b->follow == NULL || (op = model_op(m, b->follow)) == NULL ||
	    (st = op_status_from_name(jsonx_str(op, "status"))) ==
	    b->follow_status)
		return;
	if (st >= 0 && st < OP_NSTATUS && columns_shown(&b->cols, st)) {
		c = &b->col[st];
		for (i = 0; i < c->rows.n; i++) {
			if (c->ops[i] == op) {
				columns_goto(&b->cols, st);
				rows_set_cursor(&c->rows, i);
			}
		}
	}
	free(b->follow);
	b->follow = NULL;
}

/* Sorts the model's operations into the shown columns. */
static void
board_rebuild(struct view *v)
{
	struct board		*b = board_of(v);
	struct model		*m = tui_model(v->tui);
	struct board_column	*c;
	struct json_object	**ops, *op;
	size_t			 n, i;
	int			 st, shown[OP_NSTATUS], plain;

	columns_show(&b->cols, b->filter.hidden);
	for (st = 0; st < OP_NSTATUS; st++) {
		b->col[st].rows.n = 0;
		shown[st] = columns_shown(&b->cols, st);
	}
	n = model_ops(m, &ops);
	/* No filter: the status (kept by the model) is all that counts. */
	plain = model_filter_empty(&b->filter);
	for (i = 0; i < n; i++) {
		op = ops[i];
		st = model_ops_status(m, i);
		if (st < 0 || st >= OP_NSTATUS || !shown[st])
			continue;
		if (!plain && !model_filter_match(&b->filter, op))
			continue;
		c = &b->col[st];
		if (c->rows.n == c->size) {
			c->size = c->size == 0 ? 64 : c->size * 2;
			c->ops = xreallocarray(c->ops, c->size,
			    sizeof *c->ops);
		}
		c->ops[c->rows.n++] = op;
	}
	/* The cursor stays on its card, or near where it was. */
	for (st = 0; st < OP_NSTATUS; st++) {
		c = &b->col[st];
		rows_follow_object(&c->rows, c->rows.cursor_id != NULL ?
		    model_op(m, c->rows.cursor_id) : NULL);
	}
	board_follow_moved(b, m);
	b->stale = 0;
}

static void
board_fresh(struct view *v)
{
	if (board_of(v)->stale)
		board_rebuild(v);
}

/* Draws one piece of a card's line; returns the new x. */
static int
board_piece(WINDOW *w, int y, int x, int end, const char *s, int attr,
    int sel)
{
	if (s == NULL || *s == '\0' || x >= end)
		return (x);
	return (x + tui_text(w, y, x, end - x, s, card_attr(attr, sel), 1));
}

static void
board_draw_card(struct view *v, WINDOW *w, int y, int x, int width,
    struct json_object *op, int sel, time_t now)
{
	struct json_object	*labels, *children, *run;
	const char		*assignee, *p, *mark;
	char			 who[128], *state;
	int64_t			 total, done;
	int			 end = x + width, cx, i, n, rw, attr;

	if (sel) {
		attr = card_attr(colors_attr(COLOR_DEFAULT), 1);
		mvwhline(w, y, x, ' ' | attr, width);
		mvwhline(w, y + 1, x, ' ' | attr, width);
	}
	/* Line 1: code, priority, title. */
	cx = board_piece(w, y, x + 1, end - 1, jsonx_str(op, "code"),
	    colors_attr(COLOR_CODE), sel);
	mark = card_priority(op, &attr);
	if (*mark != '\0')
		cx = board_piece(w, y, cx + 1, end - 1, mark, attr, sel);
	board_piece(w, y, cx + 1, end - 1, jsonx_str(op, "title"),
	    colors_attr(COLOR_DEFAULT), sel);

	/* Line 2: the run's state on the right, then who and what. */
	run = model_op_run(tui_model(v->tui), jsonx_str(op, "id"));
	state = card_run_state(run, now, 0, &attr);
	rw = state != NULL ? tui_width(state) : 0;
	if (rw > width - 4)
		rw = width - 4;
	if (state != NULL && rw > 0)
		board_piece(w, y + 1, end - 1 - rw, end - 1, state, attr, sel);
	free(state);
	end -= rw > 0 ? rw + 2 : 1;
	cx = x + 3;
	if (json_object_object_get_ex(op, "children", &children) &&
	    (total = jsonx_int(children, "total", 0)) > 0) {
		done = jsonx_int(children, "done", 0);
		snprintf(who, sizeof who, "%lld/%lld", (long long)done,
		    (long long)total);
		cx = board_piece(w, y + 1, cx, end, who,
		    colors_attr(COLOR_COUNT), sel) + 1;
	}
	if ((assignee = jsonx_str(op, "assignee")) != NULL) {
		p = strchr(assignee, ':');
		snprintf(who, sizeof who, "@%s", p != NULL ? p + 1 : assignee);
		cx = board_piece(w, y + 1, cx, end, who,
		    colors_attr(COLOR_ASSIGNEE), sel) + 1;
	}
	if (json_object_object_get_ex(op, "labels", &labels) &&
	    json_object_is_type(labels, json_type_array)) {
		n = (int)json_object_array_length(labels);
		for (i = 0; i < n && cx < end; i++) {
			snprintf(who, sizeof who, "#%s",
			    json_object_get_string(json_object_array_get_idx(
			    labels, i)));
			cx = board_piece(w, y + 1, cx, end, who,
			    colors_attr(COLOR_LABEL), sel) + 1;
		}
	}
}

static void
board_draw(struct view *v, WINDOW *w)
{
	struct board		*b = board_of(v);
	struct board_column	*c;
	time_t			 now = time(NULL);
	size_t			 counts[OP_NSTATUS], k, i;
	int			 st, x, y, rows, lines;

	board_fresh(v);
	columns_layout(&b->cols, tui_cols(v->tui));
	lines = tui_lines(v->tui);
	rows = (lines - 1) / BOARD_CARD_LINES;
	for (st = 0; st < OP_NSTATUS; st++)
		counts[st] = b->col[st].rows.n;
	/* Pages still loading: the counts are lower bounds. */
	columns_draw(&b->cols, w, 1, counts, model_loading(tui_model(v->tui)),
	    lines);
	for (k = b->cols.first; k < b->cols.n && k < b->cols.first +
	    b->cols.fit; k++) {
		c = &b->col[b->cols.status[k]];
		x = columns_x(&b->cols, k);
		rows_scroll(&c->rows, rows);
		for (i = c->rows.top, y = 1; i < c->rows.n &&
		    i < c->rows.top + (size_t)c->rows.height; i++,
		    y += BOARD_CARD_LINES)
			board_draw_card(v, w, y, x, b->cols.width, c->ops[i],
			    k == b->cols.cursor && i == c->rows.cursor, now);
		if (c->rows.n == 0)
			tui_text(w, 1, x + 1, b->cols.width - 2, "(none)",
			    colors_attr(COLOR_DIM), 1);
	}
}

static struct json_object *
board_current(struct view *v)
{
	struct board_column	*c;

	board_fresh(v);
	if ((c = board_column(board_of(v))) == NULL)
		return (NULL);
	return (board_card(c, c->rows.cursor));
}

/* The filter changed: the columns are sorted again. */
static void
board_refilter(struct view *v)
{
	board_of(v)->stale = 1;
	v->dirty = 1;
}

/* Remembers a card that moves to another status, for the cursor to
 * follow it there. */
static void
board_follow(struct board *b, struct json_object *op)
{
	free(b->follow);
	b->follow = xstrdup(jsonx_str(op, "id"));
	b->follow_status = op_status_from_name(jsonx_str(op, "status"));
}

static int
board_action(struct view *v, enum action a)
{
	struct board		*b = board_of(v);
	struct board_column	*c;
	struct json_object	*op;
	int			 st;

	board_fresh(v);
	c = board_column(b);
	if (c != NULL && rows_move(&c->rows, a))
		return (1);
	switch (a) {
	case ACTION_LEFT:
		if (b->cols.cursor > 0)
			b->cols.cursor--;
		break;
	case ACTION_RIGHT:
		if (b->cols.cursor + 1 < b->cols.n)
			b->cols.cursor++;
		break;
	case ACTION_FILTER:
		if (filter_ask(v->tui, &b->filter) == 0)
			board_refilter(v);
		return (1);
	case ACTION_MISSION:
		if (filter_mission(v->tui, &b->filter) == 0)
			board_refilter(v);
		return (1);
	case ACTION_TOGGLE_HIDDEN:
		filter_toggle_hidden(v->tui, &b->filter);
		board_refilter(v);
		return (1);
	default:
		op = board_current(v);
		if ((a == ACTION_MOVE_LEFT || a == ACTION_MOVE_RIGHT ||
		    a == ACTION_MOVE) && op != NULL)
			board_follow(b, op);
		st = columns_status(&b->cols);
		return (card_action(v->tui, op, a, st >= 0 ?
		    op_status_name(st) : NULL, b->filter.mission));
	}
	v->dirty = 1;
	return (1);
}

static void
board_changed(struct view *v, int flags)
{
	struct board	*b = board_of(v);

	if (flags & (MODEL_OPS | MODEL_MISSIONS)) {
		b->stale = 1;
		v->dirty = 1;
	}
	if (flags & MODEL_RUNS)
		v->dirty = 1;
}

static const char *
board_title(struct view *v)
{
	struct board	*b = board_of(v);
	const char	*mission = b->filter.mission;
	char		*filter;
	size_t		 k, n = 0;

	for (k = 0; k < b->cols.n; k++)
		n += b->col[b->cols.status[k]].rows.n;
	filter = filter_text(&b->filter, 0);
	free(b->title);
	b->title = xprintf("Board%s%s · %zu operation%s%s%s",
	    mission != NULL ? " · " : "", mission != NULL ? mission : "", n,
	    n == 1 ? "" : "s", *filter != '\0' ? " · filter: " : "", filter);
	free(filter);
	return (b->title);
}

static int
board_click(struct view *v, int y, int x)
{
	struct board	*b = board_of(v);
	size_t		 k;

	board_fresh(v);
	if ((k = columns_at(&b->cols, x)) == b->cols.n)
		return (0);
	b->cols.cursor = k;
	rows_click(&b->col[b->cols.status[k]].rows, y);
	return (1);
}

const struct view_class view_board_class = {
	.name = "board",
	.open = board_open,
	.close = board_close,
	.draw = board_draw,
	.action = board_action,
	.changed = board_changed,
	.title = board_title,
	.click = board_click,
};
