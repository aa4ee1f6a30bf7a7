/*
 * The signals view: what needs me (a review, an answer, a failed run, no
 * rover able to take a run), newest first, the unread ones in bold. Enter
 * goes where the signal points and marks it read: the run for a question
 * or a failure, the operation for a review or a missing rover.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "card.h"
#include "colors.h"
#include "jsonx.h"
#include "model.h"
#include "rows.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

/* The title column is never cut below this before the message is dropped. */
#define VIEW_SIGNALS_TITLE_MIN	20

static const struct {
	const char		*kind;
	const char		*word;
	enum color_element	 color;
	int			 run;	/* Enter opens the run (when known) */
} view_signals_kinds[] = {
	{ "review_requested", "review", COLOR_RUN_SUCCEEDED, 0 },
	{ "input_requested", "needs input", COLOR_RUN_NEEDS_INPUT, 1 },
	{ "run_failed", "run failed", COLOR_RUN_FAILED, 1 },
	{ "no_rover", "no rover", COLOR_RUN_FAILED, 0 }
};
#define VIEW_SIGNALS_NKINDS \
	(sizeof view_signals_kinds / sizeof view_signals_kinds[0])

struct view_signals {
	struct rows	 rows;		/* over model_signals */
	char		*title;
};

static struct json_object *
view_signals_list(struct view *v)
{
	struct json_object	*all = model_signals(tui_model(v->tui));

	if (all == NULL || !json_object_is_type(all, json_type_array))
		return (NULL);
	return (all);
}

/* The rows are the model's signals: how many there are now. */
static size_t
view_signals_count(struct view *v)
{
	struct view_signals	*s = v->data;
	struct json_object	*all = view_signals_list(v);

	s->rows.n = all != NULL ? json_object_array_length(all) : 0;
	return (s->rows.n);
}

static struct json_object *
view_signals_get(void *arg, size_t i)
{
	struct json_object	*all = view_signals_list(arg);

	if (all == NULL || i >= json_object_array_length(all))
		return (NULL);
	return (json_object_array_get_idx(all, i));
}

static struct json_object *
view_signals_current(struct view *v)
{
	struct view_signals	*s = v->data;

	return (view_signals_get(v, s->rows.cursor));
}

static int
view_signals_unread(struct json_object *sig)
{
	return (jsonx_str(sig, "read_at") == NULL);
}

static int
view_signals_kind(struct json_object *sig)
{
	const char	*kind = jsonx_str(sig, "kind");
	size_t		 k;

	for (k = 0; kind != NULL && k < VIEW_SIGNALS_NKINDS; k++) {
		if (strcmp(view_signals_kinds[k].kind, kind) == 0)
			return ((int)k);
	}
	return (-1);
}

/*
 * What the signal's message adds to the code and title: ufod writes
 * "UFO-12 needs your input: TITLE" or "UFO-12: Run … failed: exit status
 * 3"; the code has its column and the title is shown. NULL when nothing.
 */
static const char *
view_signals_detail(struct json_object *sig, const char *code,
    const char *title)
{
	const char	*msg = jsonx_str(sig, "message");
	size_t		 len, tlen;

	if (msg == NULL)
		return (NULL);
	if (code != NULL && strncmp(msg, code, strlen(code)) == 0) {
		msg += strlen(code);
		msg += strspn(msg, ": ");
	}
	len = strlen(msg);
	if (len == 0)
		return (NULL);
	if (title != NULL && (tlen = strlen(title)) > 0 && len >= tlen &&
	    strcmp(msg + len - tlen, title) == 0)
		return (NULL);
	return (msg);
}

/* Drawing: marker, kind, code, title (and the message), age. */

#define VIEW_SIGNALS_KIND_W	11
#define VIEW_SIGNALS_AGE_W	4

static void
view_signals_draw_row(struct view *v, WINDOW *win, int y, int cols,
    int codew, struct json_object *sig, int cur, time_t now)
{
	struct json_object	*op;
	const char		*code, *title, *msg;
	char			 age[24];
	int			 unread, k, attr, x, w, tw;

	unread = view_signals_unread(sig);
	k = view_signals_kind(sig);
	attr = card_attr(colors_attr(unread ?
	    COLOR_SIGNAL_UNREAD : COLOR_DEFAULT), cur);
	if (cur)
		mvwhline(win, y, 0, ' ' | attr, cols);

	x = 0;
	tui_text(win, y, x, 1, unread ? "*" : " ", attr, 0);
	x += 2;
	tui_text(win, y, x, VIEW_SIGNALS_KIND_W, k >= 0 ?
	    view_signals_kinds[k].word : jsonx_str(sig, "kind"),
	    card_attr(colors_attr(unread && k >= 0 ?
	    view_signals_kinds[k].color : COLOR_DIM), cur), 1);
	x += VIEW_SIGNALS_KIND_W + 1;
	code = jsonx_str(sig, "operation");
	tui_text(win, y, x, codew, code != NULL ? code : "-",
	    card_attr(colors_attr(COLOR_CODE), cur), 0);
	x += codew + 1;

	w = cols - x - VIEW_SIGNALS_AGE_W - 1;
	op = model_op(tui_model(v->tui), code);
	title = op != NULL ? jsonx_str(op, "title") : NULL;
	msg = view_signals_detail(sig, code, title);
	tw = 0;
	if (w > 0 && title != NULL)
		tw = tui_text(win, y, x, w, title, attr, 1);
	if (msg != NULL && w - tw > VIEW_SIGNALS_TITLE_MIN / 2) {
		if (tw > 0)
			tw += tui_text(win, y, x + tw, w - tw, " · ",
			    card_attr(colors_attr(COLOR_DIM),
			    cur), 0);
		tui_text(win, y, x + tw, w - tw, msg,
		    card_attr(colors_attr(COLOR_DIM), cur), 1);
	}

	card_age(jsonx_str(sig, "created_at"), now, age, sizeof age);
	tui_text(win, y, cols - tui_width(age), tui_width(age), age,
	    card_attr(colors_attr(COLOR_DIM), cur), 0);
}

static void
view_signals_draw(struct view *v, WINDOW *win)
{
	struct view_signals	*s = v->data;
	time_t			 now = time(NULL);
	const char		*code;
	size_t			 i, n = view_signals_count(v);
	int			 lines, cols, y, codew = 4;

	getmaxyx(win, lines, cols);
	werase(win);
	rows_scroll(&s->rows, lines - 1);

	for (i = s->rows.top; i < n && i < s->rows.top +
	    (size_t)s->rows.height; i++) {
		code = jsonx_str(view_signals_get(v, i), "operation");
		if (code != NULL && tui_width(code) > codew)
			codew = tui_width(code);
	}
	tui_text(win, 0, 2, VIEW_SIGNALS_KIND_W, "SIGNAL",
	    colors_attr(COLOR_HEADER), 0);
	tui_text(win, 0, 2 + VIEW_SIGNALS_KIND_W + 1, codew, "CODE",
	    colors_attr(COLOR_HEADER), 0);
	tui_text(win, 0, 2 + VIEW_SIGNALS_KIND_W + 1 + codew + 1,
	    cols - (2 + VIEW_SIGNALS_KIND_W + 1 + codew + 1), "OPERATION",
	    colors_attr(COLOR_HEADER), 1);
	tui_text(win, 0, cols - 3, 3, "AGE", colors_attr(COLOR_HEADER), 0);
	if (n == 0)
		tui_text(win, 1, 0, cols, "Nothing needs you.",
		    colors_attr(COLOR_DIM), 1);
	for (i = s->rows.top, y = 1; i < n && y < lines; i++, y++)
		view_signals_draw_row(v, win, y, cols, codew,
		    view_signals_get(v, i), i == s->rows.cursor, now);
	v->dirty = 0;
}

/* Opening and marking. */

/* Marks sig read (a copy of its id: the answer may replace it). */
static void
view_signals_mark(struct view *v, struct json_object *sig)
{
	if (sig == NULL || !view_signals_unread(sig))
		return;
	json_object_get(sig);
	actions_signal(v->tui, ACTION_MARK_READ, sig);
	json_object_put(sig);
}

static void
view_signals_enter(struct view *v)
{
	struct json_object	*sig;
	const char		*code, *run;
	char			*arg;
	int			 k, by_run;

	if ((sig = view_signals_current(v)) == NULL)
		return;
	k = view_signals_kind(sig);
	run = jsonx_str(sig, "run");
	code = jsonx_str(sig, "operation");
	by_run = k >= 0 && view_signals_kinds[k].run && run != NULL;
	if (!by_run && code == NULL) {
		tui_message(v->tui, "This signal names no operation");
		return;
	}
	arg = xstrdup(by_run ? run : code);
	view_signals_mark(v, sig);
	/* Marking applied events: sig may be gone; arg is ours. */
	tui_open(v->tui, by_run ? &view_run_class : &view_op_class, arg);
	free(arg);
}

/* Searching: in the kind, code, operation title and message. */

static int
view_signals_match(void *arg, struct json_object *sig, const char *needle)
{
	struct view		*v = arg;
	static const char *const fields[] = { "operation", "message",
	    "kind" };
	struct json_object	*op;
	const char		*t;
	size_t			 k;
	int			 kind;

	for (k = 0; k < sizeof fields / sizeof fields[0]; k++) {
		if ((t = jsonx_str(sig, fields[k])) != NULL &&
		    strcasestr(t, needle) != NULL)
			return (1);
	}
	if ((kind = view_signals_kind(sig)) >= 0 &&
	    strcasestr(view_signals_kinds[kind].word, needle) != NULL)
		return (1);
	op = model_op(tui_model(v->tui), jsonx_str(sig, "operation"));
	return (op != NULL && (t = jsonx_str(op, "title")) != NULL &&
	    strcasestr(t, needle) != NULL);
}

/* The run of the signal (or of its operation), or its diff. */
static void
view_signals_open_run(struct view *v, const struct view_class *cls)
{
	struct json_object	*sig, *run;
	const char		*id;

	if ((sig = view_signals_current(v)) == NULL)
		return;
	if ((id = jsonx_str(sig, "run")) == NULL &&
	    (run = model_op_run(tui_model(v->tui), jsonx_str(sig,
	    "operation"))) != NULL)
		id = jsonx_str(run, "id");
	if (id == NULL) {
		tui_message(v->tui, "No run for this signal");
		return;
	}
	tui_open(v->tui, cls, id);
}

static int
view_signals_action(struct view *v, enum action a)
{
	struct view_signals	*s = v->data;
	struct json_object	*sig;
	int			 done;

	view_signals_count(v);
	if (rows_action(&s->rows, a))
		return (1);
	switch (a) {
	case ACTION_ENTER:
		view_signals_enter(v);
		return (1);
	case ACTION_VIEW_RUN:
		view_signals_open_run(v, &view_run_class);
		return (1);
	case ACTION_VIEW_DIFF:
		view_signals_open_run(v, &view_diff_class);
		return (1);
	case ACTION_MARK_READ:
	case ACTION_MARK_ALL_READ:
		sig = a == ACTION_MARK_READ ? view_signals_current(v) : NULL;
		json_object_get(sig);
		done = actions_signal(v->tui, a, sig);
		json_object_put(sig);
		return (done);
	default:
		break;
	}
	/* The other operation actions apply to the signal's operation. */
	sig = view_signals_current(v);
	return (card_action(v->tui, sig != NULL ? model_op(tui_model(v->tui),
	    jsonx_str(sig, "operation")) : NULL, a, NULL, NULL));
}

static void
view_signals_changed(struct view *v, int what)
{
	struct view_signals	*s = v->data;

	if (what & MODEL_OPS)
		v->dirty = 1;	/* titles */
	if ((what & MODEL_SIGNALS) == 0)
		return;
	/* The cursor stays on its signal when new ones arrive above it. */
	view_signals_count(v);
	rows_follow_id(&s->rows);
	v->dirty = 1;
}

static int
view_signals_click(struct view *v, int y, int x)
{
	struct view_signals	*s = v->data;

	(void)x;
	view_signals_count(v);
	return (rows_click(&s->rows, y));
}

static const char *
view_signals_title(struct view *v)
{
	struct view_signals	*s = v->data;
	size_t			 unread = model_unread(tui_model(v->tui));

	free(s->title);
	s->title = xprintf("Signals · %zu unread of %zu", unread,
	    view_signals_count(v));
	return (s->title);
}

static int
view_signals_open(struct view *v)
{
	struct view_signals	*s;

	s = xcalloc(1, sizeof *s);
	rows_init(&s->rows, v, v, view_signals_get, view_signals_match, 1);
	v->data = s;
	view_signals_count(v);
	rows_set_cursor(&s->rows, 0);
	return (0);
}

static void
view_signals_close(struct view *v)
{
	struct view_signals	*s = v->data;

	if (s == NULL)
		return;
	rows_free(&s->rows);
	free(s->title);
	free(s);
	v->data = NULL;
}

const struct view_class view_signals_class = {
	.name = "signals",
	.open = view_signals_open,
	.close = view_signals_close,
	.draw = view_signals_draw,
	.action = view_signals_action,
	.changed = view_signals_changed,
	.title = view_signals_title,
	.click = view_signals_click
};
