/*
 * The run view: one run's telemetry as a timeline, followed live. The
 * messages come from GET /runs/{id}/messages?follow=1 as server-sent
 * events (id = the message's seq, event = its type, "end" once the run is
 * over and everything was sent), resumed from the last seq after a loss.
 * Messages are kept as they came; the screen lines are built from them,
 * wrapped to the width, and rebuilt when a message arrives, a fold changes
 * or the width does.
 */
#include <langinfo.h>
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

#define VIEW_RUN_HEADER		2	/* lines above the timeline */

struct view_run_msg {
	int64_t			 seq;
	char			*type;
	struct json_object	*data;
	int			 foldable;
	int			 folded;
};

struct view_run;

/* A GET in flight; outlives the view when it closes first. */
struct view_run_ticket {
	struct view_run	*vr;
};

/* The lines' ref is the index of their message. */
struct view_run {
	struct view		*view;
	struct json_object	*run;		/* GET /runs/{id} */
	struct view_run_ticket	*ticket;
	int			 reload;	/* again once this GET answers */
	/*
	 * Load again from the next draw: the feed's and the stream's
	 * callbacks run inside net_run, where curl takes no new transfer.
	 */
	int			 load_again;

	struct view_run_msg	*msgs;
	size_t			 nmsgs;
	int64_t			 last_seq;
	int			 fold_default;

	struct net_stream	*stream;
	enum net_state		 state;
	int			 ended;		/* "end" came */
	char			*problem;	/* the stream's last error */

	struct pager		 pager;
	int			 utf8;
	char			 title[256];
};

static const char *
view_run_glyph(struct view_run *vr, const char *utf8, const char *ascii)
{
	return (vr->utf8 ? utf8 : ascii);
}

static size_t
view_run_count_lines(const char *s)
{
	size_t	 n = 1;

	for (; *s != '\0'; s++)
		n += *s == '\n' && s[1] != '\0';
	return (n);
}

static void
view_run_build_tool(struct view_run *vr, struct view_run_msg *m)
{
	struct json_object	*input;
	const char		*name;
	char			*summary, *head;

	if (!json_object_object_get_ex(m->data, "input", &input))
		input = NULL;
	name = jsonx_str(m->data, "name");
	summary = output_tool_input(input);
	pager_add(&vr->pager, COLOR_MSG_TOOL, "%s %s%s %s", view_run_glyph(vr,
	    "\xe2\x86\x92", "->"), name != NULL ? name : "tool", m->folded ?
	    "" : ":", m->folded ? summary : "");
	free(summary);
	if (m->folded || input == NULL)
		return;
	if (!json_object_is_type(input, json_type_object)) {
		pager_wrap(&vr->pager, jsonx_compact(input), "    ", "    ",
		    COLOR_MSG_TOOL);
		return;
	}
	json_object_object_foreach(input, key, val) {
		head = xprintf("    %s: ", key);
		pager_wrap(&vr->pager, val == NULL ? "null" :
		    json_object_is_type(val, json_type_string) ?
		    json_object_get_string(val) : jsonx_compact(val), head,
		    "      ", COLOR_MSG_TOOL);
		free(head);
	}
}

static void
view_run_build_result(struct view_run *vr, struct view_run_msg *m)
{
	struct json_object	*out, *v;
	enum color_element	 color = COLOR_MSG_RESULT;
	const char		*arrow;
	char			*text, *first;
	size_t			 n;

	if (json_object_object_get_ex(m->data, "is_error", &v) &&
	    json_object_get_boolean(v))
		color = COLOR_MSG_ERROR;
	if (!json_object_object_get_ex(m->data, "output", &out))
		out = NULL;
	text = output_tool_output(out);
	arrow = view_run_glyph(vr, "\xe2\x86\x90", "<-");
	if (!m->folded) {
		first = xprintf("%s ", arrow);
		pager_wrap(&vr->pager, *text != '\0' ? text : "(no output)",
		    first, "   ", color);
		free(first);
		free(text);
		return;
	}
	n = view_run_count_lines(text);
	first = xstrndup(text, strcspn(text, "\n"));
	if (n > 1)
		pager_add(&vr->pager, color, "%s %s %s(%zu more line%s)", arrow,
		    first, *first != '\0' ? " " : "", n - 1, n == 2 ? "" : "s");
	else
		pager_add(&vr->pager, color, "%s %s", arrow, *first != '\0' ?
		    first : "(no output)");
	free(first);
	free(text);
}

static void
view_run_build_thinking(struct view_run *vr, struct view_run_msg *m)
{
	const char	*text;
	size_t		 n;

	if ((text = jsonx_str(m->data, "text")) == NULL)
		text = "";
	n = view_run_count_lines(text);
	if (m->folded) {
		pager_add(&vr->pager, COLOR_MSG_THINKING,
		    "%s thinking (%zu line%s)", view_run_glyph(vr,
		    "\xe2\x96\xb8", "+"), n, n == 1 ? "" : "s");
		return;
	}
	pager_add(&vr->pager, COLOR_MSG_THINKING, "%s thinking",
	    view_run_glyph(vr, "\xe2\x96\xbe", "-"));
	pager_wrap(&vr->pager, text, "  ", "  ", COLOR_MSG_THINKING);
}

/* The lines of one message. */
static void
view_run_build_msg(struct view_run *vr, size_t i)
{
	struct view_run_msg	*m = &vr->msgs[i];
	const char		*text;
	char			*line;

	pager_mark(&vr->pager, 0, i);
	if (strcmp(m->type, "text") == 0) {
		if (vr->pager.nlines > 0)
			pager_add(&vr->pager, COLOR_MSG_TEXT, "%s", "");
		text = jsonx_str(m->data, "text");
		pager_wrap(&vr->pager, text != NULL ? text : "", "", "",
		    COLOR_MSG_TEXT);
	} else if (strcmp(m->type, "thinking") == 0)
		view_run_build_thinking(vr, m);
	else if (strcmp(m->type, "tool_use") == 0)
		view_run_build_tool(vr, m);
	else if (strcmp(m->type, "tool_result") == 0)
		view_run_build_result(vr, m);
	else if (strcmp(m->type, "error") == 0) {
		text = jsonx_str(m->data, "message");
		line = xprintf("error: %s", text != NULL ? text : "");
		pager_wrap(&vr->pager, line, "", "       ", COLOR_MSG_ERROR);
		free(line);
	} else if (strcmp(m->type, "usage") == 0) {
		line = output_usage(m->data, ", ", 1);
		pager_add(&vr->pager, COLOR_MSG_USAGE, "usage: %s", line);
		free(line);
	} else if (strcmp(m->type, "log") == 0) {
		if ((text = jsonx_str(m->data, "line")) == NULL)
			text = "";
		/* Folded, a log line (often a CLI's raw JSON) takes one line. */
		if (m->folded)
			pager_add(&vr->pager, COLOR_MSG_LOG, "%s %.*s",
			    view_run_glyph(vr, "\xe2\x96\xb8", "+"),
			    (int)strcspn(text, "\n"), text);
		else
			pager_wrap(&vr->pager, text, "", "  ", COLOR_MSG_LOG);
	} else {
		/* A type this ufo does not know still shows. */
		line = xprintf("%s: %s", m->type, jsonx_compact(m->data));
		pager_wrap(&vr->pager, line, "", "  ", COLOR_DIM);
		free(line);
	}
}

/* Builds the lines again, keeping the cursor on its message. */
static void
view_run_build(struct view_run *vr, int width)
{
	struct pager	*p = &vr->pager;
	size_t		 i, msg = PAGER_NONE, off = 0;

	if (p->cur < p->nlines) {
		msg = p->lines[p->cur].ref;
		for (i = p->cur; i > 0 && p->lines[i - 1].ref == msg; i--)
			off++;
	}
	pager_clear(p, width);
	for (i = 0; i < vr->nmsgs; i++)
		view_run_build_msg(vr, i);
	if (msg == PAGER_NONE)
		return;
	for (i = 0; i < p->nlines; i++) {
		if (p->lines[i].ref == msg)
			break;
	}
	/* A folded message is shorter now: stay inside it. */
	while (off > 0 && i + 1 < p->nlines && p->lines[i + 1].ref == msg) {
		i++;
		off--;
	}
	p->cur = i < p->nlines ? i : (p->nlines > 0 ? p->nlines - 1 : 0);
}

static void
view_run_dirty(struct view_run *vr)
{
	vr->view->dirty = 1;
}

static void	view_run_load(struct view_run *);

static void
view_run_loaded(void *arg, struct json_object *body,
    const struct ufo_error *err)
{
	struct view_run_ticket	*t = arg;
	struct view_run		*vr = t->vr;

	free(t);
	if (vr == NULL)
		return;
	vr->ticket = NULL;
	if (body == NULL) {
		if (vr->run == NULL)
			tui_error(vr->view->tui, err);
	} else {
		json_object_put(vr->run);
		vr->run = json_object_get(body);
	}
	view_run_dirty(vr);
	if (vr->reload) {
		vr->reload = 0;
		view_run_load(vr);
	}
}

/* Loads the run's header (status, usage, times) again. */
static void
view_run_load(struct view_run *vr)
{
	struct ufo_error	 err;
	char			*path;

	if (vr->ticket != NULL) {
		vr->reload = 1;
		return;
	}
	vr->ticket = xcalloc(1, sizeof *vr->ticket);
	vr->ticket->vr = vr;
	path = client_path("/runs/%s", vr->view->arg);
	if (net_get(tui_net(vr->view->tui), path, view_run_loaded, vr->ticket,
	    &err) == -1) {
		free(vr->ticket);
		vr->ticket = NULL;
		tui_error(vr->view->tui, &err);
	}
	free(path);
}

static int
view_run_foldable(const char *type)
{
	return (strcmp(type, "thinking") == 0 ||
	    strcmp(type, "tool_use") == 0 ||
	    strcmp(type, "tool_result") == 0 || strcmp(type, "log") == 0);
}

static void
view_run_event(void *arg, int64_t id, const char *kind, const char *data)
{
	struct view_run		*vr = arg;
	struct view_run_msg	*m;
	struct json_object	*msg, *d;
	struct ufo_error	 err;
	const char		*type;
	int64_t			 seq;

	if (strcmp(kind, "end") == 0) {
		vr->ended = 1;
		vr->load_again = 1;
		view_run_dirty(vr);
		return;
	}
	if ((msg = jsonx_parse_object(data, strlen(data), &err)) == NULL)
		return;
	seq = jsonx_int(msg, "seq", id);
	/* A stream resumed after a loss must not show a message twice. */
	if (seq <= vr->last_seq) {
		json_object_put(msg);
		return;
	}
	vr->last_seq = seq;
	if ((type = jsonx_str(msg, "type")) == NULL)
		type = kind;
	if (!json_object_object_get_ex(msg, "data", &d) ||
	    !json_object_is_type(d, json_type_object))
		d = NULL;
	vr->msgs = xreallocarray(vr->msgs, vr->nmsgs + 1, sizeof *vr->msgs);
	m = &vr->msgs[vr->nmsgs++];
	m->seq = seq;
	m->type = xstrdup(type);
	m->data = d != NULL ? json_object_get(d) : json_object_new_object();
	m->foldable = view_run_foldable(m->type);
	m->folded = m->foldable && vr->fold_default;
	json_object_put(msg);
	vr->pager.stale = 1;
	view_run_dirty(vr);
}

static void
view_run_state(void *arg, enum net_state state, const struct ufo_error *err)
{
	struct view_run	*vr = arg;

	vr->state = state;
	free(vr->problem);
	vr->problem = err != NULL && err->message[0] != '\0' ?
	    xstrdup(err->message) : NULL;
	view_run_dirty(vr);
}

static void
view_run_stream(struct view_run *vr)
{
	char	*path, since[32];

	path = client_path("/runs/%s/messages", vr->view->arg);
	client_query_add(&path, "follow", "1");
	snprintf(since, sizeof since, "%lld", (long long)vr->last_seq);
	client_query_add(&path, "since", since);
	vr->state = NET_CONNECTING;
	vr->stream = net_stream_open(tui_net(vr->view->tui), path,
	    vr->last_seq, 1, view_run_event, view_run_state, vr);
	free(path);
	if (vr->stream == NULL)
		vr->state = NET_FAILED;
}

static int
view_run_open(struct view *v)
{
	struct view_run	*vr;

	if (v->arg == NULL || *v->arg == '\0') {
		tui_message(v->tui, "No run to show");
		return (-1);
	}
	vr = xcalloc(1, sizeof *vr);
	vr->view = v;
	pager_init(&vr->pager, v, PAGER_CURSOR_LINE, 0);
	vr->pager.follow = 1;
	vr->fold_default = 1;
	vr->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	v->data = vr;
	view_run_load(vr);
	view_run_stream(vr);
	return (0);
}

static void
view_run_close(struct view *v)
{
	struct view_run	*vr = v->data;
	size_t		 i;

	if (vr == NULL)
		return;
	if (vr->stream != NULL)
		net_stream_close(vr->stream);
	if (vr->ticket != NULL)
		vr->ticket->vr = NULL;
	for (i = 0; i < vr->nmsgs; i++) {
		free(vr->msgs[i].type);
		json_object_put(vr->msgs[i].data);
	}
	free(vr->msgs);
	pager_free(&vr->pager);
	json_object_put(vr->run);
	free(vr->problem);
	free(vr);
	v->data = NULL;
}

/* The usage of the run, or of its latest usage message while it runs. */
static struct json_object *
view_run_usage(struct view_run *vr)
{
	struct json_object	*u;
	size_t			 i;

	if (vr->run != NULL && json_object_object_get_ex(vr->run, "usage",
	    &u) && u != NULL)
		return (u);
	for (i = vr->nmsgs; i > 0; i--) {
		if (strcmp(vr->msgs[i - 1].type, "usage") == 0)
			return (vr->msgs[i - 1].data);
	}
	return (NULL);
}

static void
view_run_draw_header(struct view_run *vr, WINDOW *win, int cols)
{
	struct json_object	*run = vr->run, *u;
	const char		*status, *start, *end, *stream;
	char			*line, *elapsed, *usage;
	int64_t			 t0, t1;
	int			 x, follow = vr->pager.follow;

	if (run == NULL) {
		tui_text(win, 0, 0, cols, "loading\xe2\x80\xa6",
		    colors_attr(COLOR_DIM), 0);
		return;
	}
	status = jsonx_str(run, "status");
	x = tui_text(win, 0, 0, cols, jsonx_str(run, "operation"),
	    colors_attr(COLOR_CODE), 1);
	line = xprintf("  %s  ", jsonx_str(run, "pilot") != NULL ?
	    jsonx_str(run, "pilot") : "-");
	x += tui_text(win, 0, x, cols - x, line, colors_attr(COLOR_ASSIGNEE),
	    1);
	free(line);
	if (jsonx_int(run, "needs_input", 0) && status != NULL &&
	    strcmp(status, "succeeded") == 0)
		x += tui_text(win, 0, x, cols - x, "needs input",
		    colors_attr(COLOR_RUN_NEEDS_INPUT), 1);
	else
		x += tui_text(win, 0, x, cols - x, status != NULL ? status :
		    "?", colors_attr(pager_status_color(status)), 1);
	if ((start = jsonx_str(run, "started_at")) == NULL)
		start = jsonx_str(run, "queued_at");
	end = jsonx_str(run, "finished_at");
	t0 = output_time(start);
	t1 = end != NULL ? output_time(end) : (int64_t)time(NULL);
	elapsed = output_span(t0 != -1 && t1 != -1 ? t1 - t0 : 0);
	line = xprintf("  attempt %lld/%lld  %s%s", (long long)jsonx_int(run,
	    "attempt", 1), (long long)jsonx_int(run, "max_attempts", 1),
	    elapsed, end == NULL ? " elapsed" : "");
	tui_text(win, 0, x, cols - x, line, colors_attr(COLOR_DEFAULT), 1);
	free(line);
	free(elapsed);

	if ((u = view_run_usage(vr)) != NULL) {
		usage = output_usage(u, "  ", 0);
		line = xprintf("%s  ", usage);
		free(usage);
	} else
		line = xstrdup("no usage yet  ");
	x = tui_text(win, 1, 0, cols, line, colors_attr(COLOR_MSG_USAGE), 1);
	free(line);
	if (vr->ended || vr->state == NET_ENDED)
		stream = "ended";
	else if (vr->state == NET_RETRYING)
		stream = "connection lost, reconnecting";
	else if (vr->state == NET_FAILED)
		stream = vr->problem != NULL ? vr->problem : "stream failed";
	else if (vr->state == NET_CONNECTING)
		stream = "connecting";
	else
		stream = follow ? "following" : "live";
	line = xprintf("%zu message%s  %s%s", vr->nmsgs, vr->nmsgs == 1 ? "" :
	    "s", stream, follow && strcmp(stream, "following") != 0 ?
	    ", following" : "");
	x += tui_text(win, 1, x, cols - x, line, colors_attr(vr->state ==
	    NET_FAILED || vr->state == NET_RETRYING ? COLOR_STATUS_ERROR :
	    COLOR_DIM), 1);
	free(line);
	/* The run's own failure reads best beside its state. */
	if (jsonx_str(run, "error") != NULL && x < cols) {
		line = xprintf("  %s", jsonx_str(run, "error"));
		tui_text(win, 1, x, cols - x, line, colors_attr(COLOR_MSG_ERROR),
		    1);
		free(line);
	}
}

static void
view_run_draw(struct view *v, WINDOW *win)
{
	struct view_run	*vr = v->data;
	int		 lines, cols;

	getmaxyx(win, lines, cols);
	werase(win);
	if (vr->load_again) {
		vr->load_again = 0;
		view_run_load(vr);
	}
	if (pager_stale(&vr->pager, cols))
		view_run_build(vr, cols);
	view_run_draw_header(vr, win, cols);
	if (vr->pager.nlines == 0 && lines > VIEW_RUN_HEADER) {
		tui_text(win, VIEW_RUN_HEADER, 0, cols, vr->ended ?
		    "No messages in this run" : "Waiting for messages\xe2\x80\xa6",
		    colors_attr(COLOR_DIM), 1);
	}
	pager_draw(&vr->pager, win, VIEW_RUN_HEADER);
	v->dirty = 0;
}

static void
view_run_fold(struct view_run *vr, int all)
{
	struct pager	*p = &vr->pager;
	size_t		 i, folded = 0;
	int		 to;

	if (!all) {
		if (p->cur >= p->nlines || p->lines[p->cur].ref >= vr->nmsgs ||
		    !vr->msgs[p->lines[p->cur].ref].foldable) {
			tui_message(vr->view->tui, "Nothing to fold here");
			return;
		}
		vr->msgs[p->lines[p->cur].ref].folded ^= 1;
		p->stale = 1;
		return;
	}
	for (i = 0; i < vr->nmsgs; i++)
		folded += vr->msgs[i].foldable && vr->msgs[i].folded;
	to = folded == 0;
	for (i = 0; i < vr->nmsgs; i++)
		vr->msgs[i].folded = vr->msgs[i].foldable && to;
	vr->fold_default = to;
	p->stale = 1;
}

/* The operation of the run, as the model has it, for the op actions. */
static struct json_object *
view_run_op(struct view_run *vr)
{
	const char	*id;

	if (vr->run == NULL ||
	    (id = jsonx_str(vr->run, "operation_id")) == NULL)
		return (NULL);
	return (model_op(tui_model(vr->view->tui), id));
}

static int
view_run_action(struct view *v, enum action a)
{
	struct view_run	*vr = v->data;
	struct pager	*p = &vr->pager;

	switch (a) {
	case ACTION_LAST:
		p->follow = 1;
		break;
	case ACTION_FOLLOW:
		p->follow = !p->follow;
		tui_message(v->tui, "Following %s", p->follow ? "on" : "off");
		break;
	case ACTION_ENTER:
	case ACTION_FOLD:
		view_run_fold(vr, 0);
		break;
	case ACTION_FOLD_ALL:
		view_run_fold(vr, 1);
		break;
	case ACTION_REFRESH:
		view_run_load(vr);
		p->stale = 1;
		break;
	case ACTION_VIEW_DIFF:
		tui_open(v->tui, &view_diff_class, v->arg);
		return (1);
	case ACTION_VIEW_RUN:
		return (1);
	default:
		/* Messages that came since the last draw are searched too. */
		if (p->stale)
			view_run_build(vr, p->width > 0 ? p->width :
			    tui_cols(v->tui));
		if (pager_action(p, a))
			return (1);
		return (actions_op(v->tui, a, view_run_op(vr), NULL));
	}
	v->dirty = 1;
	return (1);
}

/* The run's header comes from the feed: reload it when its op changes. */
static void
view_run_changed(struct view *v, int what)
{
	struct view_run	*vr = v->data;
	const char	*op, *changed;

	if (!(what & MODEL_RUNS) || vr->run == NULL)
		return;
	op = jsonx_str(vr->run, "operation_id");
	changed = model_changed_op(tui_model(v->tui));
	if (op != NULL && changed != NULL && strcmp(op, changed) == 0) {
		vr->load_again = 1;
		v->dirty = 1;
	}
}

static const char *
view_run_title(struct view *v)
{
	struct view_run	*vr = v->data;
	const char	*op = vr->run != NULL ? jsonx_str(vr->run, "operation") :
			    NULL;

	snprintf(vr->title, sizeof vr->title, "%s%s%s%s", op != NULL ? op : "",
	    op != NULL ? " \xc2\xb7 " : "", v->arg, vr->pager.follow ?
	    " \xc2\xb7 following" : "");
	return (vr->title);
}

const struct view_class view_run_class = {
	.name = "run",
	.open = view_run_open,
	.close = view_run_close,
	.draw = view_run_draw,
	.action = view_run_action,
	.changed = view_run_changed,
	.title = view_run_title
};
