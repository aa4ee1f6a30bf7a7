/*
 * The list view: one row per live operation, filtered and sorted, with its
 * latest run's state. The rows are an index into the model (each holding a
 * reference on its operation), rebuilt when the operations change; the
 * cursor follows its operation when rows move. Only the visible rows are
 * drawn, and curses sends the terminal only the cells that changed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "card.h"
#include "colors.h"
#include "filter.h"
#include "jsonx.h"
#include "model.h"
#include "output.h"
#include "protocol.h"
#include "rows.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

/* The title column is never cut below this before others are dropped. */
#define VIEW_LIST_TITLE_MIN	30

struct view_list_row {
	struct json_object	*op;		/* a reference of ours */
	size_t			 rank;		/* board order */
};

struct view_list {
	struct model_filter	 filter;
	size_t			 sort;		/* index in view_list_sorts */
	struct view_list_row	*list;		/* rows.n of them */
	struct rows		 rows;
	char			*title;
	int			 stale;		/* rows to build again */
};

/* Comparisons for the sort orders; ties keep the board order. */

static int
view_list_rank_cmp(const struct view_list_row *a, const struct view_list_row *b)
{
	return (a->rank < b->rank ? -1 : a->rank > b->rank);
}

/* Newest first; API timestamps compare as strings. */
static int
view_list_cmp_created(const void *pa, const void *pb)
{
	const struct view_list_row	*a = pa, *b = pb;
	int				 c;

	c = rows_compare(b->op, a->op, "created_at", 0);
	return (c != 0 ? c : view_list_rank_cmp(a, b));
}

/* Urgent (1) first, low (4) then none (0) last. */
static int
view_list_priority_key(struct json_object *op)
{
	int64_t	 p = jsonx_int(op, "priority", 0);

	return (p >= 1 && p <= 4 ? (int)p : 5);
}

static int
view_list_cmp_priority(const void *pa, const void *pb)
{
	const struct view_list_row	*a = pa, *b = pb;
	int				 ka, kb;

	ka = view_list_priority_key(a->op);
	kb = view_list_priority_key(b->op);
	if (ka != kb)
		return (ka < kb ? -1 : 1);
	return (view_list_rank_cmp(a, b));
}

/* The model's order is the board's: status, then position. */
static int
view_list_cmp_status(const void *pa, const void *pb)
{
	return (view_list_rank_cmp(pa, pb));
}

static int
view_list_cmp_title(const void *pa, const void *pb)
{
	const struct view_list_row	*a = pa, *b = pb;
	int				 c;

	c = rows_compare(a->op, b->op, "title", 1);
	return (c != 0 ? c : view_list_rank_cmp(a, b));
}

static const struct {
	const char	*name;
	int		 (*cmp)(const void *, const void *);
} view_list_sorts[] = {
	{ "created", view_list_cmp_created },
	{ "priority", view_list_cmp_priority },
	{ "status", view_list_cmp_status },
	{ "title", view_list_cmp_title }
};
#define VIEW_LIST_NSORTS (sizeof view_list_sorts / sizeof view_list_sorts[0])
#define VIEW_LIST_SORT_DEFAULT	2

/* "in_progress" as "in progress". */
static void
view_list_status_word(const char *status, char *buf, size_t len)
{
	char	*p;

	snprintf(buf, len, "%s", status != NULL ? status : "-");
	for (p = buf; *p != '\0'; p++) {
		if (*p == '_')
			*p = ' ';
	}
}

/* Rows. */

static void
view_list_rows_free(struct view_list *l)
{
	size_t	 i;

	for (i = 0; i < l->rows.n; i++)
		json_object_put(l->list[i].op);
	free(l->list);
	l->list = NULL;
	l->rows.n = 0;
}

static struct json_object *
view_list_get(void *arg, size_t i)
{
	struct view_list	*l = arg;

	return (i < l->rows.n ? l->list[i].op : NULL);
}

static int
view_list_match(void *arg, struct json_object *op, const char *needle)
{
	(void)arg;
	return (card_matches(op, needle));
}

static struct json_object *
view_list_current(struct view_list *l)
{
	return (view_list_get(l, l->rows.cursor));
}

/*
 * Builds the rows again from the model. With 10,000 operations this runs
 * on every live update of the top view, so it avoids JSON where it can:
 * statuses come from model_ops_status, the cursor's operation is found by
 * its object.
 */
static void
view_list_rebuild(struct view *v)
{
	struct view_list	 *l = v->data;
	struct model		 *m = tui_model(v->tui);
	struct json_object	**ops;
	size_t			  i, n, k = 0;
	int			  all, st;

	view_list_rows_free(l);
	l->stale = 0;
	n = model_ops(m, &ops);
	all = model_filter_empty(&l->filter);
	l->list = xcalloc(n > 0 ? n : 1, sizeof *l->list);
	for (i = 0; i < n; i++) {
		if (all) {
			st = model_ops_status(m, i);
			if (!l->filter.hidden && (st == OP_BLOCKED ||
			    st == OP_CANCELLED))
				continue;
		} else if (!model_filter_match(&l->filter, ops[i]))
			continue;
		l->list[k].op = json_object_get(ops[i]);
		l->list[k].rank = i;
		k++;
	}
	l->rows.n = k;
	if (l->sort != VIEW_LIST_SORT_DEFAULT)
		qsort(l->list, k, sizeof *l->list,
		    view_list_sorts[l->sort].cmp);

	v->dirty = 1;
	rows_follow_object(&l->rows, l->rows.cursor_id != NULL ?
	    model_op(m, l->rows.cursor_id) : NULL);
}

/* Drawing. */

enum view_list_col {
	VIEW_LIST_CODE,
	VIEW_LIST_PRIORITY,
	VIEW_LIST_STATUS,
	VIEW_LIST_TITLE,
	VIEW_LIST_ASSIGNEE,
	VIEW_LIST_LABELS,
	VIEW_LIST_RUN,
	VIEW_LIST_UPDATED,
	VIEW_LIST_NCOLS
};

/* Header, width (0: the rest), and in which order to drop when narrow. */
static const struct {
	const char	*header;
	int		 width;
	int		 drop;		/* 0: never */
} view_list_cols[VIEW_LIST_NCOLS] = {
	{ "CODE", 4, 0 },
	{ "P", 2, 0 },
	{ "STATUS", 11, 0 },
	{ "TITLE", 0, 0 },
	{ "ASSIGNEE", 12, 3 },
	{ "LABELS", 12, 1 },
	{ "RUN", 13, 0 },
	{ "UPDATED", 7, 2 }
};

struct view_list_layout {
	int	 x[VIEW_LIST_NCOLS];
	int	 w[VIEW_LIST_NCOLS];	/* 0: not shown */
};

static void
view_list_layout(struct view_list *l, int cols, struct view_list_layout *lay)
{
	const char	*code;
	size_t		 i;
	int		 c, used, drop, codew;

	codew = view_list_cols[VIEW_LIST_CODE].width;

	for (i = l->rows.top; i < l->rows.n && i < l->rows.top +
	    (size_t)l->rows.height + 1; i++) {
		code = jsonx_str(l->list[i].op, "code");
		if (code != NULL && tui_width(code) > codew)
			codew = tui_width(code);
	}
	for (c = 0; c < VIEW_LIST_NCOLS; c++)
		lay->w[c] = view_list_cols[c].width;
	lay->w[VIEW_LIST_CODE] = codew;
	for (drop = 1;; drop++) {
		used = 0;
		for (c = 0; c < VIEW_LIST_NCOLS; c++) {
			if (c != VIEW_LIST_TITLE && lay->w[c] > 0)
				used += lay->w[c] + 1;
		}
		lay->w[VIEW_LIST_TITLE] = cols - used;
		if (lay->w[VIEW_LIST_TITLE] >= VIEW_LIST_TITLE_MIN || drop > 3)
			break;
		for (c = 0; c < VIEW_LIST_NCOLS; c++) {
			if (view_list_cols[c].drop == drop)
				lay->w[c] = 0;
		}
	}
	if (lay->w[VIEW_LIST_TITLE] < 1)
		lay->w[VIEW_LIST_TITLE] = 1;
	for (used = 0, c = 0; c < VIEW_LIST_NCOLS; c++) {
		lay->x[c] = used;
		if (lay->w[c] > 0)
			used += lay->w[c] + 1;
	}
}

static void
view_list_draw_row(struct view *v, WINDOW *win, int y, int cols,
    const struct view_list_layout *lay, struct json_object *op, int cur,
    time_t now)
{
	struct model	*m = tui_model(v->tui);
	const char	*s, *mark;
	char		 buf[32], *run, *labels;
	int		 attr, a, x;

	attr = card_attr(colors_attr(COLOR_DEFAULT), cur);
	if (cur)
		mvwhline(win, y, 0, ' ' | attr, cols);

	x = lay->x[VIEW_LIST_CODE];
	tui_text(win, y, x, lay->w[VIEW_LIST_CODE], jsonx_str(op, "code"),
	    card_attr(colors_attr(COLOR_CODE), cur), 0);

	mark = card_priority(op, &a);
	tui_text(win, y, lay->x[VIEW_LIST_PRIORITY], lay->w[VIEW_LIST_PRIORITY],
	    mark, card_attr(a, cur), 0);

	view_list_status_word(jsonx_str(op, "status"), buf, sizeof buf);
	tui_text(win, y, lay->x[VIEW_LIST_STATUS], lay->w[VIEW_LIST_STATUS],
	    buf, attr, 1);

	tui_text(win, y, lay->x[VIEW_LIST_TITLE], lay->w[VIEW_LIST_TITLE],
	    jsonx_str(op, "title"), attr, 1);

	if (lay->w[VIEW_LIST_ASSIGNEE] > 0) {
		s = jsonx_str(op, "assignee");
		tui_text(win, y, lay->x[VIEW_LIST_ASSIGNEE],
		    lay->w[VIEW_LIST_ASSIGNEE], s != NULL ? s : "-",
		    card_attr(colors_attr(s != NULL ? COLOR_ASSIGNEE :
		    COLOR_DIM), cur), 1);
	}
	if (lay->w[VIEW_LIST_LABELS] > 0) {
		labels = output_labels(op, ",");
		tui_text(win, y, lay->x[VIEW_LIST_LABELS],
		    lay->w[VIEW_LIST_LABELS], labels,
		    card_attr(colors_attr(COLOR_LABEL), cur), 1);
		free(labels);
	}
	run = card_run_state(model_op_run(m, jsonx_str(op, "id")), now, 0,
	    &a);
	if (run != NULL) {
		tui_text(win, y, lay->x[VIEW_LIST_RUN], lay->w[VIEW_LIST_RUN],
		    run, card_attr(a, cur), 1);
		free(run);
	}
	if (lay->w[VIEW_LIST_UPDATED] > 0) {
		card_age(jsonx_str(op, "updated_at"), now, buf, sizeof buf);
		x = lay->x[VIEW_LIST_UPDATED] + lay->w[VIEW_LIST_UPDATED] -
		    tui_width(buf);
		tui_text(win, y, x, tui_width(buf), buf,
		    card_attr(colors_attr(COLOR_DIM), cur), 0);
	}
}

static void
view_list_draw(struct view *v, WINDOW *win)
{
	struct view_list	*l = v->data;
	struct view_list_layout	 lay;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 lines, cols, c, y;

	if (l->stale)
		view_list_rebuild(v);
	getmaxyx(win, lines, cols);
	werase(win);
	rows_scroll(&l->rows, lines - 1);

	view_list_layout(l, cols, &lay);
	for (c = 0; c < VIEW_LIST_NCOLS; c++) {
		if (lay.w[c] > 0)
			tui_text(win, 0, lay.x[c], lay.w[c],
			    view_list_cols[c].header,
			    colors_attr(COLOR_HEADER), 0);
	}
	if (l->rows.n == 0) {
		tui_text(win, 1, 0, cols, l->filter.text != NULL ||
		    l->filter.label != NULL || l->filter.assignee != NULL ||
		    l->filter.mission != NULL ? "No operation matches the "
		    "filter." : "No operations.", colors_attr(COLOR_DIM), 1);
	}
	for (i = l->rows.top, y = 1; i < l->rows.n && y < lines; i++, y++)
		view_list_draw_row(v, win, y, cols, &lay, l->list[i].op,
		    i == l->rows.cursor, now);
	v->dirty = 0;
}

static int
view_list_action(struct view *v, enum action a)
{
	struct view_list	*l = v->data;

	if (l->stale)
		view_list_rebuild(v);
	if (rows_action(&l->rows, a))
		return (1);
	switch (a) {
	case ACTION_FILTER:
		if (filter_ask(v->tui, &l->filter) == 0)
			view_list_rebuild(v);
		return (1);
	case ACTION_MISSION:
		if (filter_mission(v->tui, &l->filter) == 0)
			view_list_rebuild(v);
		return (1);
	case ACTION_SORT:
		l->sort = (l->sort + 1) % VIEW_LIST_NSORTS;
		view_list_rebuild(v);
		tui_message(v->tui, "Sorted by %s",
		    view_list_sorts[l->sort].name);
		return (1);
	case ACTION_TOGGLE_HIDDEN:
		filter_toggle_hidden(v->tui, &l->filter);
		view_list_rebuild(v);
		return (1);
	default:
		return (card_action(v->tui, view_list_current(l), a, NULL,
		    l->filter.mission));
	}
}

/* Rows are built again when next drawn: only the top view is drawn. */
static void
view_list_changed(struct view *v, int what)
{
	struct view_list	*l = v->data;

	if (what & (MODEL_OPS | MODEL_MISSIONS))
		l->stale = 1;
	if (what & (MODEL_OPS | MODEL_MISSIONS | MODEL_RUNS))
		v->dirty = 1;
}

static int
view_list_click(struct view *v, int y, int x)
{
	(void)x;
	return (rows_click(&((struct view_list *)v->data)->rows, y));
}

static const char *
view_list_title(struct view *v)
{
	struct view_list	*l = v->data;
	char			*filter;

	if (l->stale)
		view_list_rebuild(v);
	filter = filter_text(&l->filter, 1);
	free(l->title);
	l->title = xprintf("List · %zu · by %s%s%s%s", l->rows.n,
	    view_list_sorts[l->sort].name, *filter != '\0' ? " · " : "",
	    filter, l->filter.hidden ? " · all" : "");
	free(filter);
	return (l->title);
}

static int
view_list_open(struct view *v)
{
	struct view_list	*l;

	l = xcalloc(1, sizeof *l);
	l->sort = VIEW_LIST_SORT_DEFAULT;
	rows_init(&l->rows, v, l, view_list_get, view_list_match, 1);
	v->data = l;
	/* An argument is a filter: "mission:UFO label:bug". */
	if (v->arg != NULL)
		model_filter_parse(&l->filter, v->arg);
	view_list_rebuild(v);
	rows_set_cursor(&l->rows, 0);
	return (0);
}

static void
view_list_close(struct view *v)
{
	struct view_list	*l = v->data;

	if (l == NULL)
		return;
	view_list_rows_free(l);
	rows_free(&l->rows);
	model_filter_clear(&l->filter);
	free(l->title);
	free(l);
	v->data = NULL;
}

const struct view_class view_list_class = {
	.name = "list",
	.open = view_list_open,
	.close = view_list_close,
	.draw = view_list_draw,
	.action = view_list_action,
	.changed = view_list_changed,
	.title = view_list_title,
	.click = view_list_click
};
