/*
 * The board's transfers on one curl multi handle. net_wait sleeps in
 * curl_multi_poll with the keyboard and a self-pipe written on SIGWINCH
 * as extra descriptors, so a key, a resize and a byte from ufod all wake
 * the one loop. Event streams are parsed by client.c's SSE parser and
 * reconnect by themselves with a growing delay and Last-Event-ID.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client.h"
#include "jsonx.h"
#include "net.h"
#include "xmalloc.h"

#define NET_DELAY_MIN_MS	100
#define NET_DELAY_MAX_MS	5000
#define NET_MAX_BODY		(256U * 1024 * 1024)

struct net_buf {
	char	*data;
	size_t	 len;
};

/* One asynchronous GET. */
struct net_get {
	struct net		*net;
	CURL			*easy;
	struct curl_slist	*headers;
	struct net_buf		 body;
	net_get_cb		 cb;
	void			*arg;
	char			 errbuf[CURL_ERROR_SIZE];
	struct net_get		*next;
};

struct net_stream {
	struct net		*net;
	char			*path;
	int64_t			 last_id;
	int			 reconnect;
	net_event_cb		 ecb;
	net_state_cb		 scb;
	void			*arg;
	struct client_sse	*sse;
	CURL			*easy;		/* NULL between connections */
	struct curl_slist	*headers;
	long			 status;
	int			 notstream;
	int			 ended;		/* an "end" event came */
	int			 closed;	/* closed while in net_run */
	int			 failed;
	struct ufo_error	 err;
	struct net_buf		 body;		/* a refusal's answer */
	int			 delay;
	int64_t			 retry_at;	/* ms, 0: not waiting */
	enum net_state		 state;
	char			 errbuf[CURL_ERROR_SIZE];
	struct net_stream	*next;
};

struct net {
	struct client		*client;
	CURLM			*multi;
	struct net_get		*gets;
	struct net_stream	*streams;
	int			 running;	/* inside net_run */
	/*
	 * Inside curl_multi_perform (whose write callbacks deliver events,
	 * and views start loads from them) libcurl refuses new transfers:
	 * GETs started then wait here until it returns.
	 */
	int			 performing;
	struct net_get		*pending;
};

static int		 net_winch_pipe[2] = { -1, -1 };
static struct sigaction	 net_winch_old;

static int64_t
net_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
net_buf_add(struct net_buf *b, const char *p, size_t len)
{
	if (len > NET_MAX_BODY - b->len)
		return (-1);
	b->data = xrealloc(b->data, b->len + len + 1);
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (0);
}

/* Also calls the handler ncurses installed, so it still sees resizes. */
static void
net_winch(int sig)
{
	int	 saved = errno;

	if (net_winch_pipe[1] != -1)
		(void)!write(net_winch_pipe[1], "w", 1);
	if (!(net_winch_old.sa_flags & SA_SIGINFO) &&
	    net_winch_old.sa_handler != SIG_DFL &&
	    net_winch_old.sa_handler != SIG_IGN &&
	    net_winch_old.sa_handler != NULL)
		net_winch_old.sa_handler(sig);
	errno = saved;
}

/* Installed on the first wait, after initscr put its own in place. */
static void
net_winch_install(void)
{
	struct sigaction	 sa;
	int			 i;

	if (net_winch_pipe[0] != -1)
		return;
	if (pipe(net_winch_pipe) == -1)
		return;
	for (i = 0; i < 2; i++) {
		fcntl(net_winch_pipe[i], F_SETFL, O_NONBLOCK);
		fcntl(net_winch_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = net_winch;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, &net_winch_old);
}

struct net *
net_create(struct client *client)
{
	struct net	*net;

	net = xcalloc(1, sizeof *net);
	net->client = client;
	if ((net->multi = curl_multi_init()) == NULL) {
		free(net);
		return (NULL);
	}
	return (net);
}

static void
net_get_free(struct net_get *g)
{
	curl_multi_remove_handle(g->net->multi, g->easy);
	curl_easy_cleanup(g->easy);
	curl_slist_free_all(g->headers);
	free(g->body.data);
	free(g);
}

/* Ends the current connection of s, if any. */
static void
net_stream_disconnect(struct net_stream *s)
{
	if (s->easy != NULL) {
		curl_multi_remove_handle(s->net->multi, s->easy);
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	free(s->body.data);
	memset(&s->body, 0, sizeof s->body);
}

static void
net_stream_free(struct net_stream *s)
{
	net_stream_disconnect(s);
	client_sse_free(s->sse);
	free(s->path);
	free(s);
}

void
net_free(struct net *net)
{
	struct net_get		*g;
	struct net_stream	*s;
	struct ufo_error	 err;

	if (net == NULL)
		return;
	/* Every GET's callback runs once, so its argument is freed. */
	err_set(&err, UFO_EUNAVAIL, "", "closing");
	while ((g = net->pending) != NULL || (g = net->gets) != NULL) {
		if (g == net->pending)
			net->pending = g->next;
		else
			net->gets = g->next;
		g->cb(g->arg, NULL, &err);
		net_get_free(g);
	}
	while ((s = net->streams) != NULL) {
		net->streams = s->next;
		net_stream_free(s);
	}
	curl_multi_cleanup(net->multi);
	free(net);
}

int
net_wait(struct net *net, int fd, int timeout)
{
	struct curl_waitfd	 wfd[2];
	struct net_stream	*s;
	int64_t			 now;
	char			 buf[64];
	int			 numfds = 0, woke = 0, left;

	net_winch_install();
	now = net_now();
	for (s = net->streams; s != NULL; s = s->next) {
		if (s->closed || s->retry_at == 0)
			continue;
		left = s->retry_at > now ? (int)(s->retry_at - now) : 0;
		if (timeout < 0 || left < timeout)
			timeout = left;
	}
	if (timeout < 0)
		timeout = 60 * 1000;
	memset(wfd, 0, sizeof wfd);
	wfd[0].fd = fd;
	wfd[0].events = CURL_WAIT_POLLIN;
	wfd[1].fd = net_winch_pipe[0];
	wfd[1].events = CURL_WAIT_POLLIN;
	if (curl_multi_poll(net->multi, wfd, net_winch_pipe[0] != -1 ? 2 : 1,
	    timeout, &numfds) != CURLM_OK)
		return (0);
	if (wfd[1].revents != 0) {
		while (read(net_winch_pipe[0], buf, sizeof buf) > 0)
			;
		/* The resize comes through the keyboard as KEY_RESIZE. */
		woke = 1;
	}
	if (wfd[0].revents != 0)
		woke = 1;
	return (woke);
}

static void
net_stream_state(struct net_stream *s, enum net_state state,
    const struct ufo_error *err)
{
	s->state = state;
	if (s->scb != NULL && !s->closed)
		s->scb(s->arg, state, err);
}

static int
net_stream_event(int64_t id, const char *kind, const char *data, void *arg,
    struct ufo_error *err)
{
	struct net_stream	*s = arg;

	(void)err;
	if (id > 0)
		s->last_id = id;
	if (strcmp(kind, "end") == 0)
		s->ended = 1;
	if (s->ecb != NULL && !s->closed)
		s->ecb(s->arg, id, kind, data);
	return (0);
}

static size_t
net_stream_write(char *p, size_t size, size_t n, void *arg)
{
	struct net_stream	*s = arg;
	size_t			 len = size * n;
	char			*ct = NULL;

	if (s->closed)
		return (0);
	if (s->status == 0) {
		if (curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE,
		    &s->status) != CURLE_OK || s->status == 0)
			s->status = -1;
		if (curl_easy_getinfo(s->easy, CURLINFO_CONTENT_TYPE, &ct) !=
		    CURLE_OK)
			ct = NULL;
		if (s->status == 200 && (ct == NULL ||
		    strncasecmp(ct, "text/event-stream", 17) != 0))
			s->notstream = 1;
		if (s->status == 200 && !s->notstream) {
			s->delay = 0;
			net_stream_state(s, NET_CONNECTED, NULL);
		}
	}
	if (s->status != 200 || s->notstream) {
		if (net_buf_add(&s->body, p, len) == -1)
			return (0);
		return (len);
	}
	if (client_sse_feed(s->sse, p, len, &s->err) == -1) {
		s->failed = 1;
		return (0);
	}
	return (len);
}

/* Starts one connection of s. */
static void
net_stream_connect(struct net_stream *s)
{
	struct ufo_error	 err;
	CURLcode		 rc = CURLE_OK;

	s->retry_at = 0;
	s->status = 0;
	s->notstream = 0;
	s->failed = 0;
	err_clear(&s->err);
	client_sse_reset(s->sse);
	if ((s->easy = curl_easy_init()) == NULL ||
	    client_setup(s->net->client, s->easy, s->path,
	    "text/event-stream", s->last_id, 1, &s->headers) == -1) {
		err_set(&err, UFO_EINTERNAL, "", "cannot set up GET %s",
		    s->path);
		net_stream_disconnect(s);
		net_stream_state(s, NET_FAILED, &err);
		return;
	}
	s->errbuf[0] = '\0';
	if ((rc = curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION,
	    net_stream_write)) == CURLE_OK &&
	    (rc = curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s)) ==
	    CURLE_OK &&
	    (rc = curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s)) == CURLE_OK)
		rc = curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
	if (rc != CURLE_OK ||
	    curl_multi_add_handle(s->net->multi, s->easy) != CURLM_OK) {
		err_set(&err, UFO_EINTERNAL, "", "cannot start GET %s",
		    s->path);
		net_stream_disconnect(s);
		net_stream_state(s, NET_FAILED, &err);
	}
}

struct net_stream *
net_stream_open(struct net *net, const char *path, int64_t last_id,
    int reconnect, net_event_cb ecb, net_state_cb scb, void *arg)
{
	struct net_stream	*s;

	s = xcalloc(1, sizeof *s);
	s->net = net;
	s->path = xstrdup(path);
	s->last_id = last_id;
	s->reconnect = reconnect;
	s->ecb = ecb;
	s->scb = scb;
	s->arg = arg;
	s->sse = client_sse_create(net_stream_event, s);
	s->state = NET_CONNECTING;
	s->next = net->streams;
	net->streams = s;
	net_stream_connect(s);
	return (s);
}

static void
net_stream_unlink(struct net_stream *s)
{
	struct net_stream	**pp;

	for (pp = &s->net->streams; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
}

void
net_stream_close(struct net_stream *s)
{
	if (s == NULL)
		return;
	s->ecb = NULL;
	s->scb = NULL;
	s->closed = 1;
	/* Inside net_run a curl callback may still hold it: free it later. */
	if (s->net->running)
		return;
	net_stream_unlink(s);
	net_stream_free(s);
}

int64_t
net_stream_last_id(const struct net_stream *s)
{
	return (s->last_id);
}

/* The message of an API error answer, or the HTTP status. */
static void
net_answer_error(const char *what, long status, const struct net_buf *b,
    struct ufo_error *err)
{
	struct json_object	*obj = NULL, *e;
	const char		*msg = NULL;

	if (b->len > 0)
		obj = jsonx_parse(b->data, b->len, NULL);
	if (obj != NULL && json_object_object_get_ex(obj, "error", &e))
		msg = jsonx_str(e, "message");
	if (msg != NULL)
		err_set(err, err_from_status((int)status), "", "%s", msg);
	else
		err_set(err, err_from_status((int)status), "", "%s answered "
		    "HTTP %ld", what, status);
	json_object_put(obj);
}

/* A connection of s ended with rc: report it and maybe plan the next. */
static void
net_stream_done(struct net_stream *s, CURLcode rc)
{
	struct ufo_error	 err;
	int			 retry = 0;

	err_clear(&err);
	if (s->failed)
		err = s->err;
	else if (s->status > 0 && s->status != 200) {
		net_answer_error(client_where(s->net->client), s->status,
		    &s->body, &err);
		/* Refusals do not get better by asking again; outages do. */
		retry = s->status >= 500;
	} else if (s->notstream)
		err_set(&err, UFO_EINTERNAL, "", "%s did not answer GET %s "
		    "with an event stream", client_where(s->net->client),
		    s->path);
	else if (rc != CURLE_OK)
		retry = client_curl_error(s->net->client, rc, s->errbuf, &err);
	else if (!s->ended) {
		err_set(&err, UFO_EUNAVAIL, "", "%s closed the stream",
		    client_where(s->net->client));
		retry = 1;
	}
	net_stream_disconnect(s);
	if (s->ended && !s->failed) {
		net_stream_state(s, NET_ENDED, NULL);
		return;
	}
	if (retry && s->reconnect) {
		s->delay = s->delay == 0 ? NET_DELAY_MIN_MS : s->delay * 2;
		if (s->delay > NET_DELAY_MAX_MS)
			s->delay = NET_DELAY_MAX_MS;
		s->retry_at = net_now() + s->delay;
		net_stream_state(s, NET_RETRYING, &err);
	} else if (retry)
		net_stream_state(s, NET_ENDED, &err);
	else
		net_stream_state(s, NET_FAILED, &err);
}

static void
net_get_done(struct net_get *g, CURLcode rc)
{
	struct json_object	*obj = NULL;
	struct ufo_error	 err;
	long			 status = 0;

	err_clear(&err);
	if (curl_easy_getinfo(g->easy, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK)
		status = 0;
	if (rc != CURLE_OK)
		client_curl_error(g->net->client, rc, g->errbuf, &err);
	else if (status < 200 || status > 299)
		net_answer_error(client_where(g->net->client), status,
		    &g->body, &err);
	else if (g->body.len == 0)
		obj = json_object_new_object();
	else if ((obj = jsonx_parse(g->body.data, g->body.len, &err)) ==
	    NULL)
		err_set(&err, UFO_EINTERNAL, "", "%s: the answer is not JSON",
		    client_where(g->net->client));
	g->cb(g->arg, obj, &err);
	json_object_put(obj);
}

/* Starts the GETs asked for inside curl_multi_perform. */
static void
net_get_flush(struct net *net)
{
	struct net_get		*g;
	struct ufo_error	 err;

	while ((g = net->pending) != NULL) {
		net->pending = g->next;
		if (curl_multi_add_handle(net->multi, g->easy) != CURLM_OK) {
			err_set(&err, UFO_EINTERNAL, "", "cannot start a GET");
			g->cb(g->arg, NULL, &err);
			net_get_free(g);
			continue;
		}
		g->next = net->gets;
		net->gets = g;
	}
}

void
net_run(struct net *net)
{
	struct net_get		*g, **gp;
	struct net_stream	*s, *next;
	CURLMsg			*msg;
	void			*priv;
	int64_t			 now;
	int			 left, n;

	net->running = 1;
	net->performing = 1;
	curl_multi_perform(net->multi, &n);
	net->performing = 0;
	net_get_flush(net);
	while ((msg = curl_multi_info_read(net->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		for (gp = &net->gets; *gp != NULL; gp = &(*gp)->next) {
			if (*gp == priv)
				break;
		}
		if (*gp != NULL) {
			g = *gp;
			*gp = g->next;
			net_get_done(g, msg->data.result);
			net_get_free(g);
			continue;
		}
		for (s = net->streams; s != NULL; s = s->next) {
			if (s == priv && s->easy == msg->easy_handle)
				break;
		}
		if (s != NULL)
			net_stream_done(s, msg->data.result);
	}
	now = net_now();
	for (s = net->streams; s != NULL; s = s->next) {
		if (!s->closed && s->easy == NULL && s->retry_at != 0 &&
		    s->retry_at <= now) {
			net_stream_state(s, NET_CONNECTING, NULL);
			net_stream_connect(s);
		}
	}
	net->running = 0;
	for (s = net->streams; s != NULL; s = next) {
		next = s->next;
		if (s->closed) {
			net_stream_unlink(s);
			net_stream_free(s);
		}
	}
}

static size_t
net_get_write(char *p, size_t size, size_t n, void *arg)
{
	struct net_get	*g = arg;

	if (net_buf_add(&g->body, p, size * n) == -1)
		return (0);
	return (size * n);
}

int
net_get(struct net *net, const char *path, net_get_cb cb, void *arg,
    struct ufo_error *err)
{
	struct net_get	*g;
	CURLcode	 rc = CURLE_OK;

	g = xcalloc(1, sizeof *g);
	g->net = net;
	g->cb = cb;
	g->arg = arg;
	if ((g->easy = curl_easy_init()) == NULL ||
	    client_setup(net->client, g->easy, path, "application/json", 0,
	    0, &g->headers) == -1 ||
	    (rc = curl_easy_setopt(g->easy, CURLOPT_WRITEFUNCTION,
	    net_get_write)) != CURLE_OK ||
	    (rc = curl_easy_setopt(g->easy, CURLOPT_WRITEDATA, g)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(g->easy, CURLOPT_PRIVATE, g)) != CURLE_OK ||
	    (rc = curl_easy_setopt(g->easy, CURLOPT_ERRORBUFFER, g->errbuf)) !=
	    CURLE_OK || (!net->performing &&
	    curl_multi_add_handle(net->multi, g->easy) != CURLM_OK)) {
		if (g->easy != NULL)
			curl_easy_cleanup(g->easy);
		curl_slist_free_all(g->headers);
		free(g);
		return (err_set(err, UFO_EINTERNAL, "", "cannot start GET %s",
		    path));
	}
	if (net->performing) {
		g->next = net->pending;
		net->pending = g;
		return (0);
	}
	g->next = net->gets;
	net->gets = g;
	return (0);
}
