/*
 * The rovers view: one row per rover of the fleet with its state, units in
 * use, tags, pilots (its pilot:KIND tags), version and when it was last
 * seen. The state is worked out as ufod does it, at every draw: offline
 * when not seen for UFO_ROVER_OFFLINE_SECS, busy when its live runs (those
 * of the model, so they follow claims and finishes as they happen) fill
 * its units. ufod announces a rover being seen about every
 * UFO_ROVER_SEEN_SECS, so "last seen" stays current from the feed alone.
 * An SSH host that serves no rover yet (its first connection is tried
 * again, or failed) has a row of its own, in its connection's state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "colors.h"
#include "jsonx.h"
#include "model.h"
#include "output.h"
#include "protocol.h"
#include "rows.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

/* The tags column is never cut below this before the host is dropped. */
#define VIEW_ROVERS_TAGS_MIN	16

struct view_rovers_row {
	struct json_object	*rov;		/* a reference of ours */
	int			 host;		/* an SSH host, no rover yet */
	int64_t			 busy;		/* live units in use */
	const char		*seen;		/* the latest last_seen_at */
	const char		*state;		/* at the last draw */
	size_t			 rank;		/* the API's order */
};

struct view_rovers {
	struct view_rovers_row	*list;		/* rows.n of them */
	struct rows		 rows;
	size_t			 sort;
	char			*title;
	int			 stale;		/* rows to build again */
};

/* The order of states when sorting by state: the usable ones first. */
static const struct {
	const char		*state;
	enum color_element	 color;
} view_rovers_states[] = {
	{ "online", COLOR_ROVER_ONLINE },
	{ "busy", COLOR_ROVER_BUSY },
	{ "connecting", COLOR_ROVER_BUSY },
	{ "retrying", COLOR_ROVER_BUSY },
	{ "reconnecting", COLOR_ROVER_BUSY },
	{ "offline", COLOR_ROVER_OFFLINE },
	{ "failed", COLOR_ROVER_OFFLINE },
	{ "removing", COLOR_ROVER_OFFLINE },
	{ "revoked", COLOR_ROVER_OFFLINE }
};
#define VIEW_ROVERS_NSTATES \
	(sizeof view_rovers_states / sizeof view_rovers_states[0])

static size_t
view_rovers_state_rank(const char *state)
{
	size_t	 k;

	for (k = 0; k < VIEW_ROVERS_NSTATES; k++) {
		if (strcmp(view_rovers_states[k].state, state) == 0)
			break;
	}
	return (k);
}

static int
view_rovers_rank_cmp(const struct view_rovers_row *a,
    const struct view_rovers_row *b)
{
	return (a->rank < b->rank ? -1 : a->rank > b->rank);
}

static int
view_rovers_cmp_name(const void *pa, const void *pb)
{
	const struct view_rovers_row	*a = pa, *b = pb;
	int				 c;

	c = rows_compare(a->rov, b->rov, "name", 1);
	return (c != 0 ? c : view_rovers_rank_cmp(a, b));
}

static int
view_rovers_cmp_state(const void *pa, const void *pb)
{
	const struct view_rovers_row	*a = pa, *b = pb;
	size_t				 ka, kb;

	ka = view_rovers_state_rank(a->state);
	kb = view_rovers_state_rank(b->state);
	if (ka != kb)
		return (ka < kb ? -1 : 1);
	return (view_rovers_cmp_name(pa, pb));
}

/* Seen most recently first; timestamps compare as strings. */
static int
view_rovers_cmp_seen(const void *pa, const void *pb)
{
	const struct view_rovers_row	*a = pa, *b = pb;
	int				 c;

	c = strcmp(b->seen != NULL ? b->seen : "", a->seen != NULL ? a->seen :
	    "");
	return (c != 0 ? c : view_rovers_cmp_name(pa, pb));
}

static const struct {
	const char	*name;
	int		 (*cmp)(const void *, const void *);
} view_rovers_sorts[] = {
	{ "name", view_rovers_cmp_name },
	{ "state", view_rovers_cmp_state },
	{ "last seen", view_rovers_cmp_seen }
};
#define VIEW_ROVERS_NSORTS \
	(sizeof view_rovers_sorts / sizeof view_rovers_sorts[0])

static struct json_object *
view_rovers_get(void *arg, size_t i)
{
	struct view_rovers	*r = arg;

	return (i < r->rows.n ? r->list[i].rov : NULL);
}

/* The state at now, as ufod works it out (revoked only ufod can tell). */
static const char *
view_rovers_state(const struct view_rovers_row *row, time_t now)
{
	const char	*state = jsonx_str(row->rov, "state");
	int64_t		 seen, units = jsonx_int(row->rov, "units", 0);

	if (row->host)
		return (state != NULL ? state : "-");
	if (state != NULL && strcmp(state, "revoked") == 0)
		return (state);
	if ((seen = output_time(row->seen)) == -1 ||
	    now - seen > UFO_ROVER_OFFLINE_SECS)
		return ("offline");
	return (units > 0 && row->busy >= units ? "busy" : "online");
}

/* Works out every row's state at now, and sorts them again when a state
 * changed under the sort by state. */
static void
view_rovers_at(struct view_rovers *r, time_t now)
{
	const char	*state;
	size_t		 i;
	int		 moved = 0;

	for (i = 0; i < r->rows.n; i++) {
		state = view_rovers_state(&r->list[i], now);
		if (r->list[i].state != NULL && strcmp(state,
		    r->list[i].state) != 0)
			moved = 1;
		r->list[i].state = state;
	}
	if (moved && view_rovers_sorts[r->sort].cmp == view_rovers_cmp_state) {
		qsort(r->list, r->rows.n, sizeof *r->list,
		    view_rovers_cmp_state);
		rows_follow_id(&r->rows);
	}
}

/* A state that leaves a rover (or host) of no use: its row is dimmed. */
static int
view_rovers_state_dim(const char *state)
{
	size_t	 k = view_rovers_state_rank(state);

	return (k < VIEW_ROVERS_NSTATES &&
	    view_rovers_states[k].color == COLOR_ROVER_OFFLINE);
}

static int
view_rovers_state_attr(const char *state)
{
	size_t	 k = view_rovers_state_rank(state);

	return (colors_attr(k < VIEW_ROVERS_NSTATES ?
	    view_rovers_states[k].color : COLOR_ROVER_OFFLINE));
}

static void
view_rovers_rows_free(struct view_rovers *r)
{
	size_t	 i;

	for (i = 0; i < r->rows.n; i++)
		json_object_put(r->list[i].rov);
	free(r->list);
	r->list = NULL;
	r->rows.n = 0;
}

/* Whether some rover is served through the SSH host id. */
static int
view_rovers_host_served(struct json_object *rovers, const char *id)
{
	struct json_object	*ssh;
	const char		*h;
	size_t			 k, n;

	n = json_object_array_length(rovers);
	for (k = 0; k < n; k++) {
		if (json_object_object_get_ex(json_object_array_get_idx(
		    rovers, k), "ssh", &ssh) && ssh != NULL &&
		    (h = jsonx_str(ssh, "id")) != NULL && strcmp(h, id) == 0)
			return (1);
	}
	return (0);
}

/*
 * Takes the rovers of the model, and the SSH hosts that serve none, counts
 * the claimed and running runs of each rover, and sorts them. An operation
 * has at most one active run, and it is its latest, so the model's latest
 * runs hold every active one.
 */
static void
view_rovers_rebuild(struct view *v)
{
	struct view_rovers	 *r = v->data;
	struct model		 *m = tui_model(v->tui);
	struct json_object	**ops, *rovers, *hosts, *run, *h;
	const char		 *status, *rover, *id;
	size_t			  i, k, n, nr, nh;

	view_rovers_rows_free(r);
	r->stale = 0;
	rovers = model_rovers(m);
	hosts = model_ssh_hosts(m);
	nr = rovers != NULL ? json_object_array_length(rovers) : 0;
	nh = hosts != NULL ? json_object_array_length(hosts) : 0;
	r->list = xcalloc(nr + nh > 0 ? nr + nh : 1, sizeof *r->list);
	for (k = 0; k < nr; k++) {
		r->list[k].rov = json_object_get(json_object_array_get_idx(
		    rovers, k));
		r->list[k].seen = jsonx_str(r->list[k].rov, "last_seen_at");
		r->list[k].rank = k;
	}
	r->rows.n = nr;
	for (i = 0; i < nh; i++) {
		h = json_object_array_get_idx(hosts, i);
		if ((id = jsonx_str(h, "id")) == NULL ||
		    jsonx_str(h, "rover_id") != NULL ||
		    view_rovers_host_served(rovers, id))
			continue;
		r->list[r->rows.n].rov = json_object_get(h);
		r->list[r->rows.n].host = 1;
		r->list[r->rows.n].rank = r->rows.n;
		r->rows.n++;
	}
	if (nr > 0) {
		n = model_ops(m, &ops);
		for (i = 0; i < n; i++) {
			if ((run = model_op_run(m, jsonx_str(ops[i],
			    "id"))) == NULL ||
			    (status = jsonx_str(run, "status")) == NULL ||
			    (rover = jsonx_str(run, "rover")) == NULL ||
			    (strcmp(status, "claimed") != 0 &&
			    strcmp(status, "running") != 0))
				continue;
			for (k = 0; k < nr; k++) {
				id = jsonx_str(r->list[k].rov, "id");
				if (id != NULL && strcmp(id, rover) == 0) {
					r->list[k].busy++;
					break;
				}
			}
		}
	}
	view_rovers_at(r, time(NULL));
	qsort(r->list, r->rows.n, sizeof *r->list,
	    view_rovers_sorts[r->sort].cmp);

	/* The cursor stays on its rover when rows come, go or move. */
	rows_follow_id(&r->rows);
	v->dirty = 1;
}

/* Drawing. */

enum view_rovers_col {
	VIEW_ROVERS_NAME,
	VIEW_ROVERS_HOST,
	VIEW_ROVERS_STATE,
	VIEW_ROVERS_UNITS,
	VIEW_ROVERS_TAGS,
	VIEW_ROVERS_PILOTS,
	VIEW_ROVERS_VERSION,
	VIEW_ROVERS_SEEN,
	VIEW_ROVERS_NCOLS
};

static const struct {
	const char	*header;
	int		 width;		/* 0: the rest */
} view_rovers_cols[VIEW_ROVERS_NCOLS] = {
	{ "NAME", 12 },
	{ "HOST", 12 },
	{ "STATE", 10 },
	{ "UNITS", 5 },
	{ "TAGS", 0 },
	{ "PILOTS", 16 },
	{ "VERSION", 8 },
	{ "LAST SEEN", 10 }
};

static void
view_rovers_layout(int cols, int *x, int *w)
{
	int	 c, used;

	for (c = 0; c < VIEW_ROVERS_NCOLS; c++)
		w[c] = view_rovers_cols[c].width;
	for (;;) {
		for (used = 0, c = 0; c < VIEW_ROVERS_NCOLS; c++) {
			if (c != VIEW_ROVERS_TAGS && w[c] > 0)
				used += w[c] + 1;
		}
		w[VIEW_ROVERS_TAGS] = cols - used;
		if (w[VIEW_ROVERS_TAGS] >= VIEW_ROVERS_TAGS_MIN ||
		    w[VIEW_ROVERS_HOST] == 0)
			break;
		w[VIEW_ROVERS_HOST] = 0;
	}
	if (w[VIEW_ROVERS_TAGS] < 1)
		w[VIEW_ROVERS_TAGS] = 1;
	for (used = 0, c = 0; c < VIEW_ROVERS_NCOLS; c++) {
		x[c] = used;
		if (w[c] > 0)
			used += w[c] + 1;
	}
}

/* The state of a rover's SSH connection when it is not online, or NULL. */
static const char *
view_rovers_link(struct json_object *rov)
{
	struct json_object	*ssh;
	const char		*state;

	if (!json_object_object_get_ex(rov, "ssh", &ssh) || ssh == NULL ||
	    (state = jsonx_str(ssh, "state")) == NULL ||
	    strcmp(state, "online") == 0)
		return (NULL);
	return (state);
}

static void
view_rovers_draw_row(WINDOW *win, int y, int cols, const int *x,
    const int *w, const struct view_rovers_row *row, int cur, time_t now)
{
	struct json_object	*rov = row->rov;
	const char		*state = row->state, *s, *link;
	char			*text;
	int			 attr, dim;

	dim = view_rovers_state_dim(state);
	attr = card_attr(colors_attr(dim ? COLOR_ROVER_OFFLINE :
	    COLOR_DEFAULT), cur);
	if (cur)
		mvwhline(win, y, 0, ' ' | attr, cols);

	s = jsonx_str(rov, "name");
	tui_text(win, y, x[VIEW_ROVERS_NAME], w[VIEW_ROVERS_NAME],
	    s != NULL ? s : "-", card_attr(colors_attr(dim ?
	    COLOR_ROVER_OFFLINE : COLOR_CODE), cur), 1);
	if (w[VIEW_ROVERS_HOST] > 0) {
		/* An SSH connection that is not up says so instead. */
		if ((link = view_rovers_link(rov)) != NULL)
			tui_text(win, y, x[VIEW_ROVERS_HOST],
			    w[VIEW_ROVERS_HOST], link, card_attr(colors_attr(
			    COLOR_ROVER_OFFLINE), cur), 1);
		else {
			s = jsonx_str(rov, "host");
			tui_text(win, y, x[VIEW_ROVERS_HOST],
			    w[VIEW_ROVERS_HOST], s != NULL ? s : "-", attr, 1);
		}
	}
	tui_text(win, y, x[VIEW_ROVERS_STATE], w[VIEW_ROVERS_STATE], state,
	    card_attr(view_rovers_state_attr(state), cur), 1);
	/* A host has no units, pilots or version before its rover. */
	text = row->host ? xstrdup("-") : xprintf("%lld/%lld",
	    (long long)row->busy, (long long)jsonx_int(rov, "units", 0));
	tui_text(win, y, x[VIEW_ROVERS_UNITS], w[VIEW_ROVERS_UNITS], text,
	    attr, 1);
	free(text);
	text = output_tags(rov, OUTPUT_TAGS_PLAIN, ",");
	tui_text(win, y, x[VIEW_ROVERS_TAGS], w[VIEW_ROVERS_TAGS],
	    *text != '\0' ? text : "-", card_attr(colors_attr(dim ?
	    COLOR_ROVER_OFFLINE : COLOR_LABEL), cur), 1);
	free(text);
	text = row->host ? xstrdup("") : output_tags(rov, OUTPUT_TAGS_PILOTS,
	    ",");
	tui_text(win, y, x[VIEW_ROVERS_PILOTS], w[VIEW_ROVERS_PILOTS],
	    *text != '\0' ? text : "-", card_attr(colors_attr(dim ?
	    COLOR_ROVER_OFFLINE : COLOR_ASSIGNEE), cur), 1);
	free(text);
	s = row->host ? NULL : jsonx_str(rov, "version");
	tui_text(win, y, x[VIEW_ROVERS_VERSION], w[VIEW_ROVERS_VERSION],
	    s != NULL ? s : "-", attr, 1);
	text = output_ago(row->seen, now);
	tui_text(win, y, x[VIEW_ROVERS_SEEN], w[VIEW_ROVERS_SEEN],
	    text != NULL ? text : "never", card_attr(colors_attr(COLOR_DIM),
	    cur), 1);
	free(text);
}

static void
view_rovers_draw(struct view *v, WINDOW *win)
{
	struct view_rovers	*r = v->data;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 lines, cols, x[VIEW_ROVERS_NCOLS];
	int			 w[VIEW_ROVERS_NCOLS], c, y;

	if (r->stale)
		view_rovers_rebuild(v);
	view_rovers_at(r, now);
	getmaxyx(win, lines, cols);
	werase(win);
	rows_scroll(&r->rows, lines - 1);

	view_rovers_layout(cols, x, w);
	for (c = 0; c < VIEW_ROVERS_NCOLS; c++) {
		if (w[c] > 0)
			tui_text(win, 0, x[c], w[c], view_rovers_cols[c].header,
			    colors_attr(COLOR_HEADER), 0);
	}
	if (r->rows.n == 0)
		tui_text(win, 1, 0, cols, "No rovers: `ufo rover code` makes "
		    "an enrollment code for ufo-rover enroll.",
		    colors_attr(COLOR_DIM), 1);
	for (i = r->rows.top, y = 1; i < r->rows.n && y < lines; i++, y++)
		view_rovers_draw_row(win, y, cols, x, w, &r->list[i],
		    i == r->rows.cursor, now);
	v->dirty = 0;
}

/* Searching: in the name, host, id, version and tags. */
static int
view_rovers_match(void *arg, struct json_object *rov, const char *needle)
{
	static const char *const fields[] = { "name", "host", "id",
	    "version" };
	const char	*s;
	char		*tags;
	size_t		 k;
	int		 hit;

	(void)arg;
	for (k = 0; k < sizeof fields / sizeof fields[0]; k++) {
		if ((s = jsonx_str(rov, fields[k])) != NULL &&
		    strcasestr(s, needle) != NULL)
			return (1);
	}
	tags = output_tags(rov, OUTPUT_TAGS_ALL, ",");
	hit = strcasestr(tags, needle) != NULL;
	free(tags);
	return (hit);
}

/* Enter: what does not fit in the row, on the status line. */
static void
view_rovers_show(struct view *v)
{
	struct view_rovers	*r = v->data;
	struct view_rovers_row	*row;
	struct json_object	*ssh;
	const char		*name, *id, *host, *user, *e;
	char			*link;

	if (r->rows.cursor >= r->rows.n)
		return;
	row = &r->list[r->rows.cursor];
	name = jsonx_str(row->rov, "name");
	id = jsonx_str(row->rov, "id");
	host = jsonx_str(row->rov, "host");
	if (row->host) {
		user = jsonx_str(row->rov, "user");
		e = jsonx_str(row->rov, "last_error");
		tui_message(v->tui, "%s · ssh %s@%s:%lld %s%s%s · no rover yet",
		    name != NULL ? name : "-", user != NULL ? user : "-",
		    host != NULL ? host : "-", (long long)jsonx_int(row->rov,
		    "port", 22), row->state, e != NULL ? ": " : "",
		    e != NULL ? e : "");
		return;
	}
	/* Over SSH: the connection, its state and why it is not up. */
	if (json_object_object_get_ex(row->rov, "ssh", &ssh) && ssh != NULL &&
	    jsonx_str(ssh, "target") != NULL) {
		e = jsonx_str(ssh, "last_error");
		link = xprintf(" · ssh %s %s%s%s", jsonx_str(ssh, "target"),
		    jsonx_str(ssh, "state") != NULL ? jsonx_str(ssh, "state") :
		    "-", e != NULL ? ": " : "", e != NULL ? e : "");
	} else
		link = xstrdup("");
	tui_message(v->tui, "%s · %s · host %s · last seen %s%s",
	    name != NULL ? name : "-", id != NULL ? id : "-",
	    host != NULL ? host : "-", row->seen != NULL ? row->seen :
	    "never", link);
	free(link);
}

static int
view_rovers_action(struct view *v, enum action a)
{
	struct view_rovers	*r = v->data;

	if (r->stale)
		view_rovers_rebuild(v);
	if (rows_action(&r->rows, a))
		return (1);
	switch (a) {
	case ACTION_ENTER:
		view_rovers_show(v);
		return (1);
	case ACTION_SORT:
		r->sort = (r->sort + 1) % VIEW_ROVERS_NSORTS;
		view_rovers_rebuild(v);
		tui_message(v->tui, "Sorted by %s",
		    view_rovers_sorts[r->sort].name);
		return (1);
	default:
		return (0);
	}
}

/* Rows are built again when next drawn: only the top view is drawn. */
static void
view_rovers_changed(struct view *v, int what)
{
	struct view_rovers	*r = v->data;

	if (what & (MODEL_ROVERS | MODEL_RUNS)) {
		r->stale = 1;
		v->dirty = 1;
	}
}

static int
view_rovers_click(struct view *v, int y, int x)
{
	(void)x;
	return (rows_click(&((struct view_rovers *)v->data)->rows, y));
}

static const char *
view_rovers_title(struct view *v)
{
	struct view_rovers	*r = v->data;
	const char		*state;
	size_t			 i, online = 0;
	int64_t			 units = 0, used = 0;

	if (r->stale)
		view_rovers_rebuild(v);
	for (i = 0; i < r->rows.n; i++) {
		state = r->list[i].state;
		if (strcmp(state, "online") != 0 && strcmp(state, "busy") != 0)
			continue;
		online++;
		units += jsonx_int(r->list[i].rov, "units", 0);
		used += r->list[i].busy;
	}
	free(r->title);
	r->title = xprintf("Rovers · %zu/%zu online · %lld/%lld units · "
	    "by %s", online, r->rows.n, (long long)used, (long long)units,
	    view_rovers_sorts[r->sort].name);
	return (r->title);
}

static int
view_rovers_open(struct view *v)
{
	struct view_rovers	*r;

	r = xcalloc(1, sizeof *r);
	rows_init(&r->rows, v, r, view_rovers_get, view_rovers_match, 1);
	v->data = r;
	view_rovers_rebuild(v);
	return (0);
}

static void
view_rovers_close(struct view *v)
{
	struct view_rovers	*r = v->data;

	if (r == NULL)
		return;
	view_rovers_rows_free(r);
	rows_free(&r->rows);
	free(r->title);
	free(r);
	v->data = NULL;
}

const struct view_class view_rovers_class = {
	.name = "rovers",
	.open = view_rovers_open,
	.close = view_rovers_close,
	.draw = view_rovers_draw,
	.action = view_rovers_action,
	.changed = view_rovers_changed,
	.title = view_rovers_title,
	.click = view_rovers_click
};
