/*
 * The board's main loop. One thread: it waits in net_wait for a key, a
 * resize or bytes from ufod, applies what came (keys through the keymaps
 * to the top view, then to the generic actions; feed events to the model,
 * then to every view's changed), and draws once per turn what is dirty
 * with wnoutrefresh and one doupdate, like tmux's redraw and tig's views.
 */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "colors.h"
#include "conf.h"
#include "jsonx.h"
#include "keys.h"
#include "model.h"
#include "net.h"
#include "tui-internal.h"
#include "tui.h"
#include "xmalloc.h"

/* How often the top view is drawn again for its clocks (elapsed time). */
#define TUI_TICK_MS	1000

static struct tui		*tui_current;
static volatile sig_atomic_t	 tui_signalled;
static int64_t			 tui_start_us;
static int			 tui_curses_on;

/* The moment the process started, for the first paint's time. */
__attribute__((constructor)) static void
tui_start_clock(void)
{
	tui_start_us = tui_now_us();
}

int64_t
tui_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* The terminal comes back on every exit, normal or fatal. */
static void
tui_restore(void)
{
	if (tui_curses_on) {
		tui_curses_on = 0;
		endwin();
	}
}

static void
tui_signal(int sig)
{
	tui_signalled = sig;
}

struct client *
tui_client(struct tui *t)
{
	return (t->client);
}

struct model *
tui_model(struct tui *t)
{
	return (t->model);
}

struct net *
tui_net(struct tui *t)
{
	return (t->net);
}

int
tui_lines(struct tui *t)
{
	(void)t;
	return (LINES > 1 ? LINES - 1 : 1);
}

int
tui_cols(struct tui *t)
{
	(void)t;
	return (COLS > 0 ? COLS : 1);
}

static struct view *
tui_top(struct tui *t)
{
	return (t->nviews > 0 ? t->views[t->nviews - 1] : NULL);
}

void
tui_dirty(struct tui *t)
{
	t->all_dirty = 1;
	t->status_dirty = 1;
}

struct view *
tui_open(struct tui *t, const struct view_class *cls, const char *arg)
{
	struct view	*v;

	v = xcalloc(1, sizeof *v);
	v->cls = cls;
	v->tui = t;
	v->arg = arg != NULL ? xstrdup(arg) : NULL;
	v->dirty = 1;
	if (t->nviews == t->sviews) {
		t->sviews = t->sviews == 0 ? 8 : t->sviews * 2;
		t->views = xreallocarray(t->views, t->sviews,
		    sizeof *t->views);
	}
	t->views[t->nviews++] = v;
	if (cls->open != NULL && cls->open(v) == -1) {
		t->nviews--;
		free(v->arg);
		free(v);
		if (tui_top(t) != NULL)
			tui_top(t)->dirty = 1;
		t->status_dirty = 1;
		return (NULL);
	}
	t->status_dirty = 1;
	return (v);
}

static void
tui_view_free(struct view *v)
{
	if (v->cls->close != NULL)
		v->cls->close(v);
	free(v->arg);
	free(v);
}

void
tui_close(struct tui *t)
{
	struct view	*v;

	if (t->nviews == 0)
		return;
	v = t->views[--t->nviews];
	tui_view_free(v);
	if (t->nviews == 0)
		t->quit = 1;
	else
		tui_top(t)->dirty = 1;
	t->status_dirty = 1;
}

void
tui_message(struct tui *t, const char *fmt, ...)
{
	va_list	 ap;

	free(t->message);
	va_start(ap, fmt);
	if (vasprintf(&t->message, fmt, ap) == -1)
		t->message = NULL;
	va_end(ap);
	t->message_error = 0;
	t->status_dirty = 1;
}

void
tui_error(struct tui *t, const struct ufo_error *err)
{
	free(t->message);
	t->message = xstrdup(err != NULL && err->message[0] != '\0' ?
	    err->message : "failed");
	t->message_error = 1;
	t->status_dirty = 1;
}

void
tui_alert(struct tui *t)
{
	if (t->alert == TUI_ALERT_BELL)
		beep();
	else if (t->alert == TUI_ALERT_FLASH)
		flash();
}

static const char *
tui_state_text(struct tui *t)
{
	switch (t->state) {
	case NET_CONNECTING:
		return ("connecting…");
	case NET_CONNECTED:
		return ("connected");
	case NET_RETRYING:
		return ("reconnecting…");
	case NET_FAILED:
	case NET_ENDED:
		return ("failed");
	}
	return ("");
}

/*
 * The status line: the message, the prompt, or the top view's title on
 * the left; signals, fleet and the connection on the right.
 */
static void
tui_draw_status(struct tui *t)
{
	WINDOW		*w = t->status;
	struct view	*top = tui_top(t);
	const char	*title = NULL, *fleet, *where;
	char		*right, *state, signals[48];
	size_t		 skip;
	int		 over, avail;
	size_t		 unread;
	int		 cols = tui_cols(t), attr, rw, lw, x;

	attr = colors_attr(COLOR_STATUS_LINE);
	wbkgdset(w, ' ' | (chtype)attr);
	werase(w);
	if (t->prompt_draw != NULL) {
		t->prompt_draw(t, w, t->prompt_arg);
		return;
	}
	unread = model_unread(t->model);
	signals[0] = '\0';
	if (unread > 0)
		snprintf(signals, sizeof signals, "%zu signal%s · ", unread,
		    unread == 1 ? "" : "s");
	if (t->message != NULL)
		title = t->message;
	else if (top != NULL && top->cls->title != NULL)
		title = top->cls->title(top);
	if (title == NULL && top != NULL)
		title = top->cls->name;
	fleet = model_fleet(t->model);
	where = client_where(t->client);
	if (t->state == NET_FAILED || t->state == NET_ENDED)
		state = xprintf("failed: %s", t->state_reason != NULL ?
		    t->state_reason : "ended");
	else
		state = xstrdup(tui_state_text(t));
	right = xprintf("%s%s%s%s %s", signals, fleet != NULL ? fleet : "",
	    fleet != NULL ? " · " : "", where, state);
	/* Too wide: the start of the socket path or URL goes first. */
	avail = cols - tui_width(title) - 2;
	if (avail < cols / 2)
		avail = cols / 2;
	over = tui_width(right) - avail;
	if (over > 0) {
		skip = (size_t)over + 1;
		if (skip > strlen(where))
			skip = strlen(where);
		while (skip < strlen(where) &&
		    ((unsigned char)where[skip] & 0xc0) == 0x80)
			skip++;
		free(right);
		right = xprintf("%s%s%s…%s %s", signals, fleet != NULL ?
		    fleet : "", fleet != NULL ? " · " : "", where + skip,
		    state);
	}
	free(state);

	lw = tui_width(title);
	rw = tui_width(right);
	/* The left side keeps at least half when both do not fit. */
	if (lw + rw + 2 > cols && rw > cols / 2)
		rw = lw + 2 < cols / 2 ? cols - lw - 2 : cols - cols / 2;
	if (rw < 0)
		rw = 0;
	x = tui_text(w, 0, 0, cols - rw - (rw > 0 ? 1 : 0), title,
	    t->message != NULL && t->message_error ?
	    (colors_attr(COLOR_STATUS_ERROR) | (int)A_REVERSE) : attr, 1);
	(void)x;
	if (rw > 0) {
		x = cols - (tui_width(right) < rw ? tui_width(right) : rw);
		tui_text(w, 0, x, rw, right, attr, 1);
	}
	free(right);
}

/* Writes one line of timing to UFO_BOARD_LOG. */
static void
tui_log_paint(struct tui *t, const char *what, int64_t since)
{
	if (t->log == NULL)
		return;
	fprintf(t->log, "paint %s %.2f\n", what,
	    (double)(tui_now_us() - since) / 1000.0);
	fflush(t->log);
}

void
tui_draw(struct tui *t)
{
	struct view	*top = tui_top(t);
	int		 painted = 0;

	if (top != NULL && (top->dirty || t->all_dirty)) {
		werase(t->main);
		top->cls->draw(top, t->main);
		wnoutrefresh(t->main);
		top->dirty = 0;
		painted = 1;
		/* The title may follow what the view shows. */
		t->status_dirty = 1;
	}
	if (t->overlay_draw != NULL && (painted || t->overlay_dirty)) {
		t->overlay_draw(t, t->overlay_arg);
		t->overlay_dirty = 0;
		painted = 1;
	}
	if (t->status_dirty || t->all_dirty) {
		tui_draw_status(t);
		wnoutrefresh(t->status);
		t->status_dirty = 0;
		painted = 1;
	} else if (painted && t->prompt_draw != NULL) {
		/* The cursor goes back to the prompt. */
		wnoutrefresh(t->status);
	}
	t->all_dirty = 0;
	if (!painted)
		return;
	doupdate();
	if (!t->first_painted) {
		t->first_painted = 1;
		tui_log_paint(t, "first", tui_start_us);
	} else if (t->event_at != 0)
		tui_log_paint(t, "update", t->event_at);
	t->event_at = 0;
}

static void
tui_feed_event(void *arg, int64_t id, const char *kind, const char *data)
{
	struct tui		*t = arg;
	struct json_object	*ev, *d;
	const char		*sk;
	size_t			 i;
	int			 flags;

	if (t->event_at == 0)
		t->event_at = tui_now_us();
	flags = model_apply(t->model, id, kind, data);
	if (flags == 0)
		return;
	for (i = 0; i < t->nviews; i++) {
		if (t->views[i]->cls->changed != NULL)
			t->views[i]->cls->changed(t->views[i], flags);
	}
	if (flags & MODEL_SIGNALS) {
		t->status_dirty = 1;
		if (strcmp(kind, "signal.created") == 0 &&
		    (ev = jsonx_parse(data, strlen(data), NULL)) != NULL) {
			if (!json_object_object_get_ex(ev, "data", &d))
				d = ev;
			sk = jsonx_str(d, "kind");
			if (sk != NULL && (strcmp(sk, "review_requested") == 0 ||
			    strcmp(sk, "input_requested") == 0))
				tui_alert(t);
			json_object_put(ev);
		}
	}
}

static void
tui_feed_state(void *arg, enum net_state state, const struct ufo_error *err)
{
	struct tui	*t = arg;

	t->state = state;
	free(t->state_reason);
	t->state_reason = err != NULL && err->message[0] != '\0' ?
	    xstrdup(err->message) : NULL;
	t->status_dirty = 1;
}

/* One page of operations loading behind the board. */
struct tui_page {
	struct tui	*tui;
	int		 status;
	unsigned	 gen;
};

static void	tui_load_more(struct tui *);

static void
tui_page_done(void *arg, struct json_object *body,
    const struct ufo_error *err)
{
	struct tui_page	*p = arg;
	struct tui	*t = p->tui;
	size_t		 i;

	if (p->gen == t->load_gen) {
		if (model_add_page(t->model, p->status, body) == -1)
			tui_error(t, err);
		for (i = 0; i < t->nviews; i++) {
			if (t->views[i]->cls->changed != NULL)
				t->views[i]->cls->changed(t->views[i],
				    MODEL_OPS);
		}
		t->status_dirty = 1;
		tui_load_more(t);
	}
	free(p);
}

/* Asks for the pages of operations model_load left for later. */
static void
tui_load_more(struct tui *t)
{
	struct ufo_error	 err;
	struct tui_page		*p;
	char			*path;
	int			 st;

	while ((path = model_next_page(t->model, &st)) != NULL) {
		p = xcalloc(1, sizeof *p);
		p->tui = t;
		p->status = st;
		p->gen = t->load_gen;
		if (net_get(t->net, path, tui_page_done, p, &err) == -1) {
			model_add_page(t->model, st, NULL);
			tui_error(t, &err);
			free(p);
		}
		free(path);
	}
	if (!model_loading(t->model) && !t->loaded) {
		t->loaded = 1;
		if (t->log != NULL) {
			fprintf(t->log, "load all %.2f\n",
			    (double)(tui_now_us() - tui_start_us) / 1000.0);
			fflush(t->log);
		}
	}
}

static void
tui_feed_open(struct tui *t)
{
	net_stream_close(t->feed);
	t->state = NET_CONNECTING;
	t->feed = net_stream_open(t->net, "/events", model_last_event(t->model),
	    1, tui_feed_event, tui_feed_state, t);
}

static void
tui_resize(struct tui *t)
{
	int	 lines = LINES > 1 ? LINES - 1 : 1;

	wresize(t->main, lines, COLS);
	wresize(t->status, 1, COLS);
	mvwin(t->status, lines, 0);
	tui_dirty(t);
	if (t->overlay_draw != NULL)
		t->overlay_dirty = 1;
}

int
tui_turn(struct tui *t, struct tui_key *key)
{
	wint_t	 wc;
	int	 r;
	int64_t	 now;

	key->code = -1;
	key->fn = 0;
	for (;;) {
		if (tui_signalled) {
			t->quit = 1;
			return (-1);
		}
		now = tui_now_us();
		if (now - t->tick_at >= TUI_TICK_MS * 1000) {
			t->tick_at = now;
			if (tui_top(t) != NULL && t->first_painted)
				tui_top(t)->dirty = 1;
		}
		tui_draw(t);
		if ((r = wget_wch(t->main, &wc)) != ERR) {
			/* Keep the feed moving under a held-down key. */
			net_run(t->net);
			if (r == KEY_CODE_YES && wc == KEY_RESIZE) {
				tui_resize(t);
				continue;
			}
			key->code = (int)wc;
			key->fn = (r == KEY_CODE_YES);
			return (0);
		}
		net_wait(t->net, STDIN_FILENO, TUI_TICK_MS -
		    (int)((tui_now_us() - t->tick_at) / 1000));
		net_run(t->net);
	}
}

/* Views switched to from anywhere: back to it when open, else on top. */
static const struct tui_switch {
	enum action			 action;
	const struct view_class		*cls;
} tui_switches[] = {
	{ ACTION_VIEW_BOARD,	&view_board_class },
	{ ACTION_VIEW_LIST,	&view_list_class },
	{ ACTION_VIEW_LANES,	&view_lanes_class },
	{ ACTION_VIEW_ROVERS,	&view_rovers_class },
	{ ACTION_VIEW_SIGNALS,	&view_signals_class },
};

static void
tui_switch(struct tui *t, const struct view_class *cls)
{
	size_t	 i;

	for (i = t->nviews; i > 0; i--) {
		if (t->views[i - 1]->cls == cls)
			break;
	}
	if (i == 0) {
		tui_open(t, cls, NULL);
		return;
	}
	while (t->nviews > i)
		tui_close(t);
}

static void
tui_refresh(struct tui *t)
{
	struct ufo_error	 err;
	size_t			 i;

	if (model_load(t->model, t->client, &err) == -1) {
		tui_error(t, &err);
		return;
	}
	for (i = 0; i < t->nviews; i++) {
		if (t->views[i]->cls->changed != NULL)
			t->views[i]->cls->changed(t->views[i], ~0);
	}
	t->load_gen++;
	tui_load_more(t);
	tui_feed_open(t);
	clearok(curscr, TRUE);
	tui_dirty(t);
	tui_message(t, "Loaded again");
}

/* The actions every view shares, when the top view did not take it. */
static void
tui_generic(struct tui *t, enum action a, int key)
{
	struct view	*top = tui_top(t);
	char		 name[32];
	size_t		 i;

	for (i = 0; i < sizeof tui_switches / sizeof tui_switches[0]; i++) {
		if (tui_switches[i].action == a) {
			tui_switch(t, tui_switches[i].cls);
			return;
		}
	}
	switch (a) {
	case ACTION_QUIT:
		t->quit = 1;
		break;
	case ACTION_BACK:
		tui_close(t);
		break;
	case ACTION_REFRESH:
		tui_refresh(t);
		break;
	case ACTION_VIEW_HELP:
		if (top != NULL && top->cls != &view_help_class)
			tui_open(t, &view_help_class, top->cls->name);
		break;
	case ACTION_NONE:
		tui_message(t, "%s is not bound here (? shows the keys)",
		    keys_name(key, name, sizeof name));
		break;
	default:
		tui_message(t, "%s: not in this view", keys_action_name(a));
		break;
	}
}

static void
tui_key(struct tui *t, const struct tui_key *k)
{
	struct view	*top = tui_top(t);
	enum action	 a = ACTION_NONE;

	if (t->message != NULL) {
		free(t->message);
		t->message = NULL;
		t->status_dirty = 1;
	}
	if (k->fn && k->code == KEY_MOUSE) {
		tui_mouse(t);
		return;
	}
	/* Wide characters are no key names (and could look like KEY_*). */
	if (!k->fn && k->code >= 256)
		return;
	if (top != NULL)
		a = keys_lookup(top->cls->name, k->code);
	if (a != ACTION_NONE && top != NULL && top->cls->action != NULL &&
	    top->cls->action(top, a))
		return;
	tui_generic(t, a, k->code);
}

void
tui_mouse(struct tui *t)
{
	struct view	*top = tui_top(t);
	MEVENT		 ev;

	if (getmouse(&ev) != OK || top == NULL)
		return;
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED |
	    BUTTON1_RELEASED)))
		return;
	if (ev.y >= tui_lines(t) || top->cls->click == NULL)
		return;
	if (top->cls->click(top, ev.y, ev.x))
		top->dirty = 1;
}

static void
tui_free(struct tui *t)
{
	while (t->nviews > 0) {
		struct view	*v = t->views[--t->nviews];

		tui_view_free(v);
	}
	free(t->views);
	net_stream_close(t->feed);
	/* Pages still loading are dropped when net_free calls them back. */
	t->load_gen++;
	net_free(t->net);
	model_free(t->model);
	free(t->message);
	free(t->state_reason);
	if (t->log != NULL)
		fclose(t->log);
	free(t);
}

int
tui_main(struct client *client, const struct conf *conf,
    struct ufo_error *err)
{
	struct sigaction	 sa;
	struct tui		*t;
	struct tui_key		 k;
	const char		*logpath;
	char			*ctype;
	int			 rc = 0;

	/* Everything from the environment, but keep the UTF-8 ufo chose. */
	ctype = xstrdup(setlocale(LC_CTYPE, NULL));
	setlocale(LC_ALL, "");
	setlocale(LC_CTYPE, ctype);
	free(ctype);

	t = xcalloc(1, sizeof *t);
	t->client = client;
	t->conf = conf;
	t->alert = TUI_ALERT_BELL;
	if (conf != NULL && conf->alert != NULL) {
		if (strcmp(conf->alert, "flash") == 0)
			t->alert = TUI_ALERT_FLASH;
		else if (strcmp(conf->alert, "none") == 0)
			t->alert = TUI_ALERT_NONE;
	}
	if ((logpath = getenv("UFO_BOARD_LOG")) != NULL && *logpath != '\0' &&
	    (t->log = fopen(logpath, "a")) == NULL) {
		err_set(err, UFO_EINVAL, "", "UFO_BOARD_LOG: %s: %s", logpath,
		    strerror(errno));
		free(t);
		return (-1);
	}
	if (keys_init(conf, err) == -1) {
		tui_free(t);
		return (-1);
	}
	t->model = model_create();
	if ((t->net = net_create(client)) == NULL) {
		keys_free();
		tui_free(t);
		return (err_set(err, UFO_EINTERNAL, "", "cannot start "
		    "libcurl's multi interface"));
	}
	if (model_load(t->model, client, err) == -1) {
		keys_free();
		tui_free(t);
		return (-1);
	}

	tui_current = t;
	atexit(tui_restore);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tui_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (initscr() == NULL) {
		keys_free();
		tui_free(t);
		return (err_set(err, UFO_EINTERNAL, "", "cannot start the "
		    "terminal"));
	}
	tui_curses_on = 1;
	cbreak();
	noecho();
	nonl();
	set_escdelay(25);
	curs_set(0);
	if (colors_init(conf, err) == -1) {
		tui_restore();
		keys_free();
		tui_free(t);
		return (-1);
	}
	t->main = newwin(tui_lines(t), COLS, 0, 0);
	t->status = newwin(1, COLS, tui_lines(t), 0);
	if (t->main == NULL || t->status == NULL) {
		tui_restore();
		keys_free();
		tui_free(t);
		return (err_set(err, UFO_EINTERNAL, "", "cannot make the "
		    "windows"));
	}
	keypad(t->main, TRUE);
	keypad(t->status, TRUE);
	nodelay(t->main, TRUE);
	nodelay(t->status, TRUE);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	mouseinterval(0);

	t->tick_at = tui_now_us();
	if (tui_open(t, &view_board_class, NULL) == NULL) {
		rc = err_set(err, UFO_EINTERNAL, "", "cannot open the board");
		t->quit = 1;
	}
	tui_feed_open(t);
	tui_load_more(t);
	tui_dirty(t);
	while (!t->quit) {
		if (tui_turn(t, &k) == 0)
			tui_key(t, &k);
	}
	if (tui_signalled != 0 && rc == 0)
		rc = 0;
	tui_current = NULL;
	while (t->nviews > 0) {
		struct view	*v = t->views[--t->nviews];

		tui_view_free(v);
	}
	delwin(t->main);
	delwin(t->status);
	tui_restore();
	keys_free();
	tui_free(t);
	return (rc);
}
