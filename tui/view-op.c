/*
 * The operation view: one operation with its properties, relations,
 * sub-operations, body, conversation and runs, loaded with two GETs
 * (the operation, its runs) and loaded again when the change feed says it
 * changed. The cursor stops on what can be opened: relations and
 * sub-operations (another operation view) and runs (the run view).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "client.h"
#include "colors.h"
#include "jsonx.h"
#include "model.h"
#include "net.h"
#include "output.h"
#include "pager.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

#define VIEW_OP_KEYW	10	/* the width of a property's name */

static const char *const view_op_priorities[] = {
	"none", "urgent", "high", "medium", "low"
};

/* The lines' kinds: what Enter opens on them (their target). */
enum view_op_kind {
	VIEW_OP_TEXT,
	VIEW_OP_OP,		/* opens the operation target */
	VIEW_OP_RUN		/* opens the run target */
};

struct view_op;

/* A GET in flight; outlives the view when it closes first. */
struct view_op_ticket {
	struct view_op	*vo;
	int		 runs;		/* the runs, not the operation */
};

struct view_op {
	struct view		*view;
	struct json_object	*op;
	struct json_object	*runs;		/* array, newest first */
	struct view_op_ticket	*tickets[2];
	int			 reload;	/* again once both answer */
	/*
	 * Load again from the next draw: the feed's callbacks run inside
	 * net_run, where curl takes no new transfer.
	 */
	int			 load_again;
	int			 failed;
	struct pager		 pager;
	char			 title[256];
};

/* A line of two parts: head in color, the rest in color2. */
static struct pager_line *
view_op_add2(struct view_op *vo, const char *head, enum color_element color,
    const char *rest, enum color_element color2)
{
	struct pager_line	*l;

	l = pager_add(&vo->pager, color, "%s%s", head, rest != NULL ? rest :
	    "");
	pager_color(l, strlen(head), color2);
	return (l);
}

/* Makes l a line the cursor stops on, opening target. */
static void
view_op_link(struct pager_line *l, enum view_op_kind kind,
    const char *target)
{
	l->stop = 1;
	l->kind = kind;
	l->target = xstrdup(target != NULL ? target : "");
}

/* "2026-12-03T06:25:49.739Z" as local "2026-12-03 07:25". */
static void
view_op_time(const char *s, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t;
	int64_t		 secs;

	if ((secs = output_time(s)) == -1) {
		snprintf(buf, len, "%s", s != NULL ? s : "-");
		return;
	}
	t = (time_t)secs;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "%s", s);
}

static void
view_op_prop(struct view_op *vo, const char *name, const char *value,
    enum color_element color)
{
	char	*head;

	head = xprintf("%-*s", VIEW_OP_KEYW, name);
	view_op_add2(vo, head, COLOR_DIM, value != NULL && *value != '\0' ?
	    value : "-", value != NULL && *value != '\0' ? color : COLOR_DIM);
	free(head);
}

static struct json_object *
view_op_array(struct json_object *o, const char *key)
{
	struct json_object	*a;

	if (o == NULL || !json_object_object_get_ex(o, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return (NULL);
	return (a);
}

static void
view_op_build_props(struct view_op *vo)
{
	struct json_object	*op = vo->op;
	enum color_element	 pc;
	const char		*s;
	char			*text, when[64];
	int64_t			 p;

	s = jsonx_str(op, "status");
	view_op_prop(vo, "status", s, pager_status_color(s));
	p = jsonx_int(op, "priority", 0);
	pc = p == 1 ? COLOR_PRIORITY_URGENT : p == 2 ? COLOR_PRIORITY_HIGH :
	    p >= 3 ? COLOR_PRIORITY_LOW : COLOR_DIM;
	view_op_prop(vo, "priority", p >= 0 && p < 5 ?
	    view_op_priorities[p] : "?", pc);
	view_op_prop(vo, "assignee", jsonx_str(op, "assignee"),
	    COLOR_ASSIGNEE);
	view_op_prop(vo, "mission", jsonx_str(op, "mission"), COLOR_CODE);
	text = output_labels(op, ", ");
	view_op_prop(vo, "labels", text, COLOR_LABEL);
	free(text);
	if ((s = jsonx_str(op, "parent")) != NULL) {
		text = xprintf("%-*s", VIEW_OP_KEYW, "parent");
		view_op_link(view_op_add2(vo, text, COLOR_DIM, s, COLOR_CODE),
		    VIEW_OP_OP, s);
		free(text);
	}
	view_op_time(jsonx_str(op, "created_at"), when, sizeof when);
	view_op_prop(vo, "created", when, COLOR_DEFAULT);
	view_op_time(jsonx_str(op, "updated_at"), when, sizeof when);
	view_op_prop(vo, "updated", when, COLOR_DEFAULT);
}

/* A blank line, then a heading. */
static void
view_op_heading(struct view_op *vo, const char *heading)
{
	pager_add(&vo->pager, COLOR_DEFAULT, "%s", "");
	pager_add(&vo->pager, COLOR_HEADER, "%s", heading);
}

static void
view_op_build_relations(struct view_op *vo)
{
	struct json_object	*a, *r;
	const char		*code, *from, *to, *kind, *verb;
	char			*head;
	size_t			 i, n;
	int			 out;

	if ((a = view_op_array(vo->op, "relations")) == NULL ||
	    (n = json_object_array_length(a)) == 0)
		return;
	view_op_heading(vo, "Relations");
	code = jsonx_str(vo->op, "code");
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(a, i);
		from = jsonx_str(r, "from");
		to = jsonx_str(r, "to");
		kind = jsonx_str(r, "kind");
		out = code == NULL || from == NULL || strcmp(from, code) == 0;
		if (kind == NULL)
			kind = "?";
		if (strcmp(kind, "blocks") == 0)
			verb = out ? "blocks" : "blocked by";
		else if (strcmp(kind, "duplicate") == 0)
			verb = out ? "duplicates" : "duplicated by";
		else
			verb = "relates to";
		head = xprintf("  %-14s", verb);
		view_op_link(view_op_add2(vo, head, COLOR_DIM, out ? to : from,
		    COLOR_CODE), VIEW_OP_OP, out ? to : from);
		free(head);
	}
}

static void
view_op_build_subs(struct view_op *vo)
{
	struct json_object	*a, *s;
	const char		*status, *code, *title;
	char			*head, *rest;
	size_t			 i, n, done = 0;

	if ((a = view_op_array(vo->op, "subs")) == NULL ||
	    (n = json_object_array_length(a)) == 0)
		return;
	for (i = 0; i < n; i++) {
		status = jsonx_str(json_object_array_get_idx(a, i), "status");
		done += status != NULL && strcmp(status, "done") == 0;
	}
	head = xprintf("Sub-operations (%zu/%zu done)", done, n);
	view_op_heading(vo, head);
	free(head);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(a, i);
		code = jsonx_str(s, "code");
		status = jsonx_str(s, "status");
		title = jsonx_str(s, "title");
		head = xprintf("  %-9s ", code != NULL ? code : "?");
		rest = xprintf("%-12s %s", status != NULL ? status : "?",
		    title != NULL ? title : "");
		view_op_link(view_op_add2(vo, head, COLOR_CODE, rest,
		    pager_status_color(status)), VIEW_OP_OP, code);
		free(head);
		free(rest);
	}
}

static void
view_op_build_comments(struct view_op *vo)
{
	static const struct {
		const char		*kind;
		enum color_element	 color;
	} authors[] = {
		{ "user",	COLOR_AUTHOR_HUMAN },
		{ "pilot",	COLOR_AUTHOR_PILOT },
		{ "system",	COLOR_AUTHOR_SYSTEM }
	};
	struct json_object	*a, *c;
	enum color_element	 color;
	const char		*kind, *author, *body;
	char			*head, *when, t[64];
	size_t			 i, j, n;
	int			 other;

	a = view_op_array(vo->op, "comments");
	n = a != NULL ? json_object_array_length(a) : 0;
	head = xprintf("Conversation (%zu)", n);
	view_op_heading(vo, head);
	free(head);
	if (n == 0)
		pager_add(&vo->pager, COLOR_DIM, "  No comments yet");
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(a, i);
		kind = jsonx_str(c, "author_kind");
		author = jsonx_str(c, "author");
		color = COLOR_AUTHOR_HUMAN;
		for (j = 0; kind != NULL && j < sizeof authors /
		    sizeof authors[0]; j++) {
			if (strcmp(authors[j].kind, kind) == 0)
				color = authors[j].color;
		}
		if (i > 0)
			pager_add(&vo->pager, COLOR_DEFAULT, "%s", "");
		view_op_time(jsonx_str(c, "created_at"), t, sizeof t);
		head = xprintf("  %s", author != NULL ? author : (kind != NULL ?
		    kind : "?"));
		other = kind != NULL && strcmp(kind, "user") != 0;
		when = xprintf("%s%s%s \xc2\xb7 %s", other ? " (" : "",
		    other ? kind : "", other ? ")" : "", t);
		view_op_add2(vo, head, color, when, COLOR_DIM);
		free(head);
		free(when);
		body = jsonx_str(c, "body");
		pager_wrap(&vo->pager, body != NULL ? body : "", "    ", "    ",
		    COLOR_DEFAULT);
	}
}

/* One run: status, pilot, attempt, start, duration, tokens and cost. */
static void
view_op_build_run(struct view_op *vo, struct json_object *r)
{
	struct json_object	*u;
	const char		*status, *start, *end, *pilot;
	char			*head, *rest, *dur, t[64], cost[32] = "";
	int64_t			 t0, t1;

	status = jsonx_str(r, "status");
	if ((start = jsonx_str(r, "started_at")) == NULL)
		start = jsonx_str(r, "queued_at");
	end = jsonx_str(r, "finished_at");
	view_op_time(start, t, sizeof t);
	t0 = output_time(start);
	t1 = end != NULL ? output_time(end) : (int64_t)time(NULL);
	dur = output_span(t0 != -1 && t1 != -1 ? t1 - t0 : 0);
	if (!json_object_object_get_ex(r, "usage", &u) ||
	    !json_object_is_type(u, json_type_object))
		u = NULL;
	if (u != NULL && output_cost(u) >= 0)
		snprintf(cost, sizeof cost, "  $%.4f", output_cost(u));
	pilot = jsonx_str(r, "pilot");
	head = xprintf("  %-10s ", status != NULL ? status : "?");
	rest = xprintf("%-8s #%lld  %s  %s  %lld/%lld tok%s",
	    pilot != NULL ? pilot : "-", (long long)jsonx_int(r, "attempt", 1),
	    t, dur, (long long)jsonx_int(u, "input_tokens", 0),
	    (long long)jsonx_int(u, "output_tokens", 0), cost);
	view_op_link(view_op_add2(vo, head, pager_status_color(status), rest,
	    COLOR_DEFAULT), VIEW_OP_RUN, jsonx_str(r, "id"));
	free(head);
	free(rest);
	free(dur);
	if (jsonx_str(r, "error") != NULL)
		pager_add(&vo->pager, COLOR_MSG_ERROR, "             %s",
		    jsonx_str(r, "error"));
}

static void
view_op_build_runs(struct view_op *vo)
{
	char	*head;
	size_t	 i, n;

	n = vo->runs != NULL ? json_object_array_length(vo->runs) : 0;
	head = xprintf("Runs (%zu)", n);
	view_op_heading(vo, head);
	free(head);
	if (vo->runs == NULL)
		pager_add(&vo->pager, COLOR_DIM, "  loading\xe2\x80\xa6");
	else if (n == 0)
		pager_add(&vo->pager, COLOR_DIM, "  No runs");
	for (i = 0; i < n; i++)
		view_op_build_run(vo, json_object_array_get_idx(vo->runs, i));
}

/* Builds the lines for width, keeping the cursor on its target. */
static void
view_op_build(struct view_op *vo, int width)
{
	struct pager	*p = &vo->pager;
	const char	*body, *code, *title;
	char		*target = NULL;
	size_t		 i;

	if (p->cur < p->nlines && p->lines[p->cur].target != NULL)
		target = xstrdup(p->lines[p->cur].target);
	pager_clear(p, width);
	p->cur = PAGER_NONE;
	if (vo->op == NULL) {
		pager_add(p, COLOR_DIM, "%s", vo->failed ? "Could not load the "
		    "operation (refresh to try again)" : "loading\xe2\x80\xa6");
		free(target);
		return;
	}
	code = jsonx_str(vo->op, "code");
	title = jsonx_str(vo->op, "title");
	body = jsonx_str(vo->op, "body");
	pager_color(pager_add(p, COLOR_CODE, "%s  %s", code != NULL ? code :
	    "?", title != NULL ? title : ""), strlen(code != NULL ? code : "?"),
	    COLOR_TITLE);
	pager_add(p, COLOR_DEFAULT, "%s", "");
	view_op_build_props(vo);
	view_op_build_relations(vo);
	view_op_build_subs(vo);
	view_op_heading(vo, "Description");
	if (body != NULL && *body != '\0')
		pager_wrap(p, body, "  ", "  ", COLOR_DEFAULT);
	else
		pager_add(p, COLOR_DIM, "  No description");
	view_op_build_comments(vo);
	view_op_build_runs(vo);

	for (i = 0; i < p->nlines; i++) {
		if (!p->lines[i].stop)
			continue;
		if (p->cur == PAGER_NONE)
			p->cur = i;
		if (target != NULL && strcmp(target, p->lines[i].target) == 0) {
			p->cur = i;
			break;
		}
	}
	free(target);
}

static void	view_op_load(struct view_op *);

static void
view_op_loaded(void *arg, struct json_object *body,
    const struct ufo_error *err)
{
	struct view_op_ticket	*t = arg;
	struct view_op		*vo = t->vo;
	struct json_object	*items;
	int			 runs = t->runs;

	free(t);
	if (vo == NULL)
		return;
	vo->tickets[runs] = NULL;
	if (body == NULL) {
		if (!runs) {
			vo->failed = vo->op == NULL;
			tui_error(vo->view->tui, err);
		}
	} else if (runs) {
		if (json_object_object_get_ex(body, "items", &items) &&
		    json_object_is_type(items, json_type_array)) {
			json_object_put(vo->runs);
			vo->runs = json_object_get(items);
		}
	} else {
		json_object_put(vo->op);
		vo->op = json_object_get(body);
	}
	vo->pager.stale = 1;
	vo->view->dirty = 1;
	if (vo->reload && vo->tickets[0] == NULL && vo->tickets[1] == NULL) {
		vo->reload = 0;
		view_op_load(vo);
	}
}

static int
view_op_get(struct view_op *vo, int runs, const char *path,
    struct ufo_error *err)
{
	struct view_op_ticket	*t;

	t = xcalloc(1, sizeof *t);
	t->vo = vo;
	t->runs = runs;
	vo->tickets[runs] = t;
	if (net_get(tui_net(vo->view->tui), path, view_op_loaded, t,
	    err) == -1) {
		vo->tickets[runs] = NULL;
		free(t);
		return (-1);
	}
	return (0);
}

/* Loads the operation and its runs (again, after what is in flight). */
static void
view_op_load(struct view_op *vo)
{
	struct ufo_error	 err;
	char			*path;
	int			 rc;

	if (vo->tickets[0] != NULL || vo->tickets[1] != NULL) {
		vo->reload = 1;
		return;
	}
	path = client_path("/operations/%s", vo->view->arg);
	rc = view_op_get(vo, 0, path, &err);
	free(path);
	path = client_path("/runs");
	client_query_add(&path, "operation", vo->view->arg);
	client_query_add(&path, "limit", "100");
	if (rc == 0)
		rc = view_op_get(vo, 1, path, &err);
	free(path);
	if (rc == -1)
		tui_error(vo->view->tui, &err);
}

static int
view_op_open(struct view *v)
{
	struct view_op	*vo;

	if (v->arg == NULL || *v->arg == '\0') {
		tui_message(v->tui, "No operation to show");
		return (-1);
	}
	vo = xcalloc(1, sizeof *vo);
	vo->view = v;
	pager_init(&vo->pager, v, PAGER_CURSOR_STOPS, 0);
	v->data = vo;
	view_op_load(vo);
	return (0);
}

static void
view_op_close(struct view *v)
{
	struct view_op	*vo = v->data;
	int		 i;

	if (vo == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (vo->tickets[i] != NULL)
			vo->tickets[i]->vo = NULL;
	}
	pager_free(&vo->pager);
	json_object_put(vo->op);
	json_object_put(vo->runs);
	free(vo);
	v->data = NULL;
}

static void
view_op_draw(struct view *v, WINDOW *win)
{
	struct view_op	*vo = v->data;

	werase(win);
	if (vo->load_again) {
		vo->load_again = 0;
		view_op_load(vo);
	}
	if (pager_stale(&vo->pager, getmaxx(win)))
		view_op_build(vo, getmaxx(win));
	pager_draw(&vo->pager, win, 0);
	v->dirty = 0;
}

/* The line under the cursor when it is on the screen, else NULL. */
static struct pager_line *
view_op_cursor(struct view_op *vo)
{
	struct pager	*p = &vo->pager;

	if (p->cur >= p->nlines || p->cur < p->top ||
	    p->cur >= p->top + (p->rows > 0 ? p->rows : 1))
		return (NULL);
	return (&p->lines[p->cur]);
}

/* The run under the cursor, else the latest. */
static const char *
view_op_run(struct view_op *vo, int latest)
{
	struct json_object	*run;
	struct pager_line	*l;

	if (!latest && (l = view_op_cursor(vo)) != NULL &&
	    l->kind == VIEW_OP_RUN)
		return (l->target);
	if (vo->runs != NULL && json_object_array_length(vo->runs) > 0)
		return (jsonx_str(json_object_array_get_idx(vo->runs, 0),
		    "id"));
	if (vo->op != NULL && jsonx_str(vo->op, "id") != NULL &&
	    (run = model_op_run(tui_model(vo->view->tui),
	    jsonx_str(vo->op, "id"))) != NULL)
		return (jsonx_str(run, "id"));
	tui_message(vo->view->tui, "%s has no run", vo->view->arg);
	return (NULL);
}

static void
view_op_enter(struct view_op *vo)
{
	struct pager_line	*l;

	if ((l = view_op_cursor(vo)) == NULL || l->target == NULL ||
	    *l->target == '\0')
		return;
	tui_open(vo->view->tui, l->kind == VIEW_OP_RUN ? &view_run_class :
	    &view_op_class, l->target);
}

static int
view_op_action(struct view *v, enum action a)
{
	struct view_op		*vo = v->data;
	struct json_object	*op;
	const char		*run;

	switch (a) {
	case ACTION_ENTER:
		view_op_enter(vo);
		return (1);
	case ACTION_VIEW_RUN:
	case ACTION_VIEW_DIFF:
		if ((run = view_op_run(vo, a == ACTION_VIEW_RUN)) != NULL)
			tui_open(v->tui, a == ACTION_VIEW_RUN ?
			    &view_run_class : &view_diff_class, run);
		return (1);
	case ACTION_REFRESH:
		view_op_load(vo);
		v->dirty = 1;
		return (1);
	default:
		break;
	}
	if (pager_action(&vo->pager, a))
		return (1);
	if (vo->op == NULL || jsonx_str(vo->op, "id") == NULL ||
	    (op = model_op(tui_model(v->tui), jsonx_str(vo->op, "id"))) == NULL)
		op = vo->op;
	return (actions_op(v->tui, a, op, NULL));
}

/* Reloads when the feed touched this operation or one of its subs. */
static void
view_op_changed(struct view *v, int what)
{
	struct view_op		*vo = v->data;
	struct json_object	*o;
	const char		*changed, *id, *parent, *code;

	if (!(what & (MODEL_OPS | MODEL_COMMENTS | MODEL_RUNS)) ||
	    vo->op == NULL)
		return;
	changed = model_changed_op(tui_model(v->tui));
	id = jsonx_str(vo->op, "id");
	code = jsonx_str(vo->op, "code");
	if (changed == NULL || id == NULL)
		return;
	if (strcmp(changed, id) == 0 ||
	    ((o = model_op(tui_model(v->tui), changed)) != NULL &&
	    (parent = jsonx_str(o, "parent")) != NULL &&
	    ((code != NULL && strcmp(parent, code) == 0) ||
	    strcmp(parent, id) == 0))) {
		vo->load_again = 1;
		v->dirty = 1;
	}
}

static const char *
view_op_title(struct view *v)
{
	struct view_op	*vo = v->data;
	size_t		 n;

	n = vo->runs != NULL ? json_object_array_length(vo->runs) : 0;
	snprintf(vo->title, sizeof vo->title, "%s \xc2\xb7 %zu run%s",
	    vo->op != NULL && jsonx_str(vo->op, "code") != NULL ?
	    jsonx_str(vo->op, "code") : v->arg, n, n == 1 ? "" : "s");
	return (vo->title);
}

const struct view_class view_op_class = {
	.name = "operation",
	.open = view_op_open,
	.close = view_op_close,
	.draw = view_op_draw,
	.action = view_op_action,
	.changed = view_op_changed,
	.title = view_op_title
};
