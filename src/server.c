#include <sys/eventfd.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "conf.h"
#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "ratelimit.h"
#include "route.h"
#include "server.h"
#include "tls.h"
#include "waiter.h"
#include "xmalloc.h"

/* A comment line keeps idle event streams (and their proxies) alive. */
#define SERVER_KEEPALIVE_MS	25000
#define SERVER_IDLE_TIMEOUT	120
#define SERVER_MAX_CONNECTIONS	16000
/* GnuTLS's defaults, less the protocol versions older than TLS 1.2. */
#define SERVER_TLS_PRIORITIES	"NORMAL:-VERS-TLS1.1:-VERS-TLS1.0:-VERS-SSL3.0"
/* A pause after accept fails for want of descriptors. */
#define SERVER_ACCEPT_PAUSE_MS	100
/* Failed logins (or invitation passwords) an address may make a minute. */
#define SERVER_LOGIN_FAILURES	5
#define SERVER_LOGIN_WINDOW_MS	60000
/* Request records a listener keeps for the next requests. */
#define SERVER_REQ_SPARE	64
#define SERVER_HTTP_THREADS_MAX	8	/* HTTP threads: one a CPU, up to */
/*
 * After answers of this many bytes in all, the memory freed meanwhile goes
 * back to the system: malloc keeps what a thread frees in that thread's
 * arena, and with a pool of threads the peaks of each stay.
 */
#define SERVER_TRIM_BYTES	(16 * 1024 * 1024)

struct server_listener {
	struct server		*srv;
	struct MHD_Daemon	*daemon;
	int			 fd;
	int			 stopfd;	/* eventfd: the acceptor stops */
	pthread_t		 acceptor;
	int			 accepting;	/* acceptor running */
	int			 is_unix;
	volatile int		 closing;
	char			*addr;
	struct tls_pair		*tls;	/* NULL: plain HTTP */
	int			 loopback;	/* bound to loopback */
	/*
	 * Records of finished requests, for the next ones: a record is a few
	 * kilobytes, and malloc serves a block that big by first merging
	 * every small block freed since (json-c frees hundreds a request).
	 */
	pthread_mutex_t		 spare_lock;
	struct server_req	*spare;
	size_t			 nspare;
	/* Requests suspended until their write is done (api_defer): the
	 * listener stops after they are resumed. */
	pthread_mutex_t		 defer_lock;
	pthread_cond_t		 defer_cond;
	int			 deferred;
};

/*
 * Handlers that may wait (a long read, a write other than the rover
 * protocol's, a password's hash) run on the handler pool, not on the HTTP
 * threads: an HTTP thread serves many connections, and one waiting would
 * hold up all of them. What never waits (API_INLINE: the rover protocol,
 * whose writes are deferred, and what parks) answers on the HTTP thread.
 *
 * A request goes to the thread that went idle last: under a light load a
 * few threads serve all, with their stacks and memory warm; spread over
 * all of them, a long list read now and then would leave its peak in the
 * memory of every thread's allocator arena.
 */
struct server_worker {
	struct server_pool	*pool;
	pthread_t		 thread;
	pthread_cond_t		 cond;
	struct server_req	*r;		/* handed to it */
	struct server_worker	*next_idle;
};

struct server_pool {
	pthread_mutex_t		 lock;
	struct server_req	*head;		/* waiting for a thread */
	struct server_req	**tail;
	struct server_worker	*idle;		/* the last idle first */
	struct server_worker	*workers;
	int			 n;
	int			 stop;
};

struct server {
	struct store		*store;
	char			*database;
	char			*socket;
	uid_t			 uid;
	char			 started[32];
	struct server_listener	*unix_l;
	struct server_listener	*tcp_l;
	pthread_mutex_t		 lock;	/* tcp_l, inflight, max_body */
	pthread_cond_t		 idle;	/* inflight dropped to 0 */
	int			 inflight;
	size_t			 max_body;
	struct ratelimit	*logins;	/* failed logins by address */
	struct server_pool	 pool;
	uint64_t		 answered;	/* bytes, for SERVER_TRIM_BYTES */
};

/* One HTTP request, from its headers to its completion. */
struct server_req {
	struct server_listener	*l;
	struct MHD_Connection	*conn;
	char			*body;
	size_t			 len;
	int			 too_large;
	int			 prepared;
	int			 routed;	/* 0 found, -1 route_err */
	struct ufo_error	 route_err;
	struct route_match	 match;
	struct api_request	 req;
	struct waiter		 w;
	void			 (*undelivered)(struct api_request *, void *);
	void			*undelivered_cls;
	int64_t			 retry_after;	/* seconds, for a 429 */
	struct server_req	*next_spare;
	int			 pool_done;	/* the pool ran its handler */
	struct server_req	*next_pooled;
	struct server_deferred	*d;		/* while suspended for either */
};

/*
 * The outcome of a deferred write (a) or of a handler run on the pool (rc,
 * resp, a.err), kept apart from the request: most requests, and parked
 * claims by the thousand, never need one.
 */
struct server_deferred {
	struct store_async	 a;
	int			 rc;
	struct api_response	 resp;
};

/* A streamed response (server-sent events). */
struct server_stream {
	struct server_listener	*l;
	struct server_req	*r;	/* lives until the stream ends */
	struct MHD_Connection	*conn;
	struct api_stream	 api;
	char			*out;
	size_t			 len;
	size_t			 off;
	int			 done;
	struct waiter		 w;
};

static struct server_req *
server_req_of(struct api_request *req)
{
	return ((struct server_req *)((char *)req -
	    offsetof(struct server_req, req)));
}

const char *
api_query(struct api_request *req, const char *key)
{
	return (MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    key));
}

const char *
api_header(struct api_request *req, const char *key)
{
	return (MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, key));
}

static size_t
server_max_body(struct server *srv)
{
	size_t	 n;

	pthread_mutex_lock(&srv->lock);
	n = srv->max_body;
	pthread_mutex_unlock(&srv->lock);
	return (n);
}

void
server_set_max_body(struct server *srv, size_t n)
{
	pthread_mutex_lock(&srv->lock);
	srv->max_body = n;
	pthread_mutex_unlock(&srv->lock);
}

static void
server_inflight(struct server *srv, int delta)
{
	pthread_mutex_lock(&srv->lock);
	srv->inflight += delta;
	if (srv->inflight == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

/* Answers JSON text s, n bytes (copied, a newline after it). */
static enum MHD_Result
server_reply_text(struct MHD_Connection *conn, int status, const char *s,
    size_t n, const char *hname, const char *hvalue)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	char			*buf;

	buf = xmalloc(n + 1);
	memcpy(buf, s, n);
	buf[n] = '\n';
	resp = MHD_create_response_from_buffer(n + 1, buf,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(buf);
		return (MHD_NO);
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	if (hname != NULL)
		MHD_add_response_header(resp, hname, hvalue);
	ret = MHD_queue_response(conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return (ret);
}

static enum MHD_Result
server_reply(struct MHD_Connection *conn, int status, struct json_object *json,
    const char *hname, const char *hvalue)
{
	const char	*s;

	s = json != NULL ? jsonx_compact(json) : "{}";
	return (server_reply_text(conn, status, s, strlen(s), hname, hvalue));
}

/* The bytes of an answer holding a secret, wiped once sent. */
struct server_secret {
	char	*data;
	size_t	 len;
};

static void
server_secret_free(void *cls)
{
	struct server_secret	*sb = cls;

	explicit_bzero(sb->data, sb->len);
	free(sb->data);
	free(sb);
}

/*
 * A raw answer: the handler's bytes as they are. One carrying a secret
 * (the credentials of a claim) is wiped when libmicrohttpd is done with
 * it, and marked as not to be stored on the way.
 */
static enum MHD_Result
server_reply_raw(struct MHD_Connection *conn, struct api_response *ar)
{
	struct server_secret	*sb = NULL;
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	if (ar->secret) {
		sb = xmalloc(sizeof *sb);
		sb->data = ar->raw;
		sb->len = ar->raw_len;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
		    ar->raw_len, ar->raw, server_secret_free, sb);
	} else
		resp = MHD_create_response_from_buffer(ar->raw_len, ar->raw,
		    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		if (sb != NULL)
			server_secret_free(sb);
		else
			free(ar->raw);
		return (MHD_NO);
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    ar->content_type != NULL ? ar->content_type :
	    "application/octet-stream");
	if (ar->secret)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
	ret = MHD_queue_response(conn, (unsigned int)ar->status, resp);
	MHD_destroy_response(resp);
	return (ret);
}

static enum MHD_Result
server_reply_error(struct server_req *r, const struct ufo_error *err)
{
	struct json_object	*json;
	enum MHD_Result		 ret;
	const char		*hname = NULL, *hvalue = NULL;
	char			 retry[32];

	if (err->code == UFO_EINTERNAL)
		log_error("%s %s: %s", r->req.method, r->req.path,
		    err->message);
	else
		log_debug("%s %s: %d %s", r->req.method, r->req.path,
		    err_status(err->code), err->message);
	if (err->code == UFO_EMETHOD) {
		hname = MHD_HTTP_HEADER_ALLOW;
		hvalue = r->match.allow;
	} else if (err->code == UFO_EUNAUTH) {
		hname = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
		hvalue = "Bearer realm=\"ufo\"";
	} else if (err->code == UFO_ETOOMANY && r->retry_after > 0) {
		snprintf(retry, sizeof retry, "%lld",
		    (long long)r->retry_after);
		hname = MHD_HTTP_HEADER_RETRY_AFTER;
		hvalue = retry;
	}
	json = jsonx_error(err);
	ret = server_reply(r->conn, err_status(err->code), json, hname, hvalue);
	json_object_put(json);
	return (ret);
}

int
server_peer_allowed(int fd, uid_t owner, struct ufo_error *err)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return (err_set(err, UFO_EFORBIDDEN, "", "cannot identify the "
		    "peer on the socket: %s", strerror(errno)));
	if (cred.uid != owner)
		return (err_set(err, UFO_EFORBIDDEN, "", "uid %lu may not use "
		    "this ufod: it belongs to uid %lu", (unsigned long)cred.uid,
		    (unsigned long)owner));
	return (0);
}

/* The bearer token of a request, or an error saying what is wrong. */
static const char *
server_bearer(struct server_req *r, struct ufo_error *err)
{
	const char	*auth;

	auth = api_header(&r->req, MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth == NULL) {
		err_set(err, UFO_EUNAUTH, "", "missing Authorization: Bearer "
		    "token");
		return (NULL);
	}
	if (strncasecmp(auth, "Bearer ", 7) != 0) {
		err_set(err, UFO_EUNAUTH, "", "Authorization must be a Bearer "
		    "token");
		return (NULL);
	}
	auth += 7;
	while (*auth == ' ')
		auth++;
	return (auth);
}

/*
 * Rovers speak a versioned protocol and always carry their own token, on
 * the socket as on TCP: the token says which rover, not only who may ask.
 */
static int
server_authenticate_rover(struct server_req *r, int need_token,
    struct ufo_error *err)
{
	const char	*v, *token;
	char		*end;
	long		 n;

	v = api_header(&r->req, UFO_ROVER_PROTOCOL_HEADER);
	n = v != NULL ? strtol(v, &end, 10) : -1;
	if (v == NULL || *end != '\0' || n < UFO_ROVER_PROTOCOL_MIN ||
	    n > UFO_ROVER_PROTOCOL_MAX)
		return (err_set(err, UFO_EUPGRADE, "", "rover protocol %s is "
		    "not supported: this ufod speaks %d to %d (header %s)",
		    v != NULL ? v : "(none)", UFO_ROVER_PROTOCOL_MIN,
		    UFO_ROVER_PROTOCOL_MAX, UFO_ROVER_PROTOCOL_HEADER));
	if (!need_token)
		return (0);
	if ((token = server_bearer(r, err)) == NULL)
		return (-1);
	return (store_rover_authenticate(r->l->srv->store, token, &r->req.rover,
	    err));
}

/* The value of the route's {name} parameter, NULL when it has none. */
static const char *
server_param(struct server_req *r, const char *name)
{
	const char	*p, *at;
	size_t		 len = strlen(name);
	int		 i = 0;

	for (p = r->match.route->pattern; (at = strchr(p, '{')) != NULL;
	    p = at + 1) {
		if (strncmp(at + 1, name, len) == 0 && at[len + 1] == '}')
			return (i < API_MAX_PARAMS ? r->match.params[i] : NULL);
		i++;
	}
	return (NULL);
}

/*
 * What the route's flags ask of the caller's role, checked before the
 * handler runs (the store checks again what it changes).
 */
static int
server_authorize(struct server_req *r, int flags, struct ufo_error *err)
{
	struct api_request	*req = &r->req;
	int			 rc;

	if (flags & API_SERVER) {
		rc = store_server_owner(req->store, req->actor.user, err);
		if (rc == -1)
			return (-1);
		if (rc == 0)
			return (err_set(err, UFO_EFORBIDDEN, "", "only an "
			    "owner of the default fleet may do this to the "
			    "server"));
	}
	if ((flags & API_OWNER) && req->actor.role < ROLE_OWNER)
		return (err_set(err, UFO_EFORBIDDEN, "", "this needs the owner "
		    "role in the fleet (you are %s)",
		    role_name(req->actor.role)));
	if ((flags & API_ADMIN) && req->actor.role < ROLE_ADMIN)
		return (err_set(err, UFO_EFORBIDDEN, "", "this needs the admin "
		    "role in the fleet (you are %s)",
		    role_name(req->actor.role)));
	return (0);
}

static int
server_authenticate(struct server_req *r, int flags, struct ufo_error *err)
{
	struct server			*srv = r->l->srv;
	const union MHD_ConnectionInfo	*info;
	const char			*auth, *fleet;
	int				 need_token = !(flags & API_PUBLIC);

	if (r->l->is_unix) {
		info = MHD_get_connection_info(r->conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (info == NULL)
			return (err_set(err, UFO_EINTERNAL, "", "no socket for "
			    "the connection"));
		if (server_peer_allowed(info->connect_fd, srv->uid, err) == -1)
			return (-1);
	}
	if (flags & API_ROVER)
		return (server_authenticate_rover(r, need_token, err));
	if (r->l->is_unix) {
		if (store_local_actor(srv->store, &r->req.actor, err) == -1)
			return (-1);
	} else if (need_token) {
		if ((auth = server_bearer(r, err)) == NULL)
			return (-1);
		if (store_token_authenticate(srv->store, auth, &r->req.actor,
		    err) == -1)
			return (-1);
	} else
		return (0);
	/* A route about one fleet acts in it, whatever Ufo-Fleet says. */
	if ((fleet = server_param(r, "fleet")) == NULL)
		fleet = api_header(&r->req, UFO_FLEET_HEADER);
	if (fleet != NULL && store_actor_fleet(srv->store, &r->req.actor,
	    fleet, err) == -1)
		return (-1);
	return (server_authorize(r, flags, err));
}

static int
server_is_json(const char *ct)
{
	size_t	 n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return (0);
	return (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Routes a request as soon as its headers are in, to know its body limit. */
static void
server_route(struct server_req *r, const char *url, const char *method)
{
	size_t	 plen = strlen(UFO_API_PREFIX);

	if (strncmp(url, UFO_API_PREFIX, plen) != 0 || url[plen] != '/') {
		r->routed = err_set(&r->route_err, UFO_ENOTFOUND, "", "no such "
		    "resource: %s %s", method, url);
		return;
	}
	r->routed = route_find(api_routes, api_nroutes, method, url + plen,
	    &r->match, &r->route_err);
}

static size_t
server_body_limit(struct server_req *r)
{
	if (r->routed == 0 && (r->match.route->flags & API_RAW))
		return (API_MAX_RAW_BODY);
	return (server_max_body(r->l->srv));
}

/* Everything between the last byte of the request and its handler. */
static int
server_prepare(struct server_req *r, const char *url, const char *method,
    struct ufo_error *err)
{
	struct api_request	*req = &r->req;
	size_t			 plen = strlen(UFO_API_PREFIX);
	const char		*ct, *accept;
	int			 i;

	(void)method;
	req->server = r->l->srv;
	req->store = r->l->srv->store;
	req->conn = r->conn;
	req->method = method;
	req->path = url;
	if (r->routed == -1) {
		*err = r->route_err;
		return (-1);
	}
	req->path = url + plen;
	if (r->too_large)
		return (err_set(err, UFO_ETOOLARGE, "", "request body is "
		    "larger than the limit of %zu bytes", server_body_limit(r)));
	for (i = 0; i < API_MAX_PARAMS; i++)
		req->params[i] = r->match.params[i];
	req->local = r->l->is_unix;
	if (server_authenticate(r, r->match.route->flags, err) == -1)
		return (-1);
	if (r->match.route->flags & API_RAW) {
		req->raw = r->body != NULL ? r->body : "";
		req->raw_len = r->len;
		req->body = json_object_new_object();
	} else if (r->len > 0) {
		ct = api_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (!server_is_json(ct))
			return (err_set(err, UFO_EMEDIA, "", "request body "
			    "must be application/json, not %s",
			    ct != NULL ? ct : "untyped"));
		if ((req->body = (r->match.route->flags & API_SECRET) ?
		    jsonx_parse_secret(r->body, r->len, err) :
		    jsonx_parse_object(r->body, r->len, err)) == NULL)
			return (-1);
	} else
		req->body = json_object_new_object();
	accept = api_header(req, MHD_HTTP_HEADER_ACCEPT);
	req->event_stream = accept != NULL &&
	    strstr(accept, "text/event-stream") != NULL;
	return (0);
}

static ssize_t
server_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct server_stream	*s = cls;
	struct ufo_error	 err;
	int64_t			 seen;
	size_t			 n;

	(void)pos;
	for (;;) {
		if (s->off < s->len) {
			n = s->len - s->off < max ? s->len - s->off : max;
			memcpy(buf, s->out + s->off, n);
			s->off += n;
			return ((ssize_t)n);
		}
		free(s->out);
		s->out = NULL;
		s->len = s->off = 0;
		if (s->done || s->w.woken == API_WOKEN_SHUTDOWN ||
		    s->w.woken == API_WOKEN_GONE || s->l->closing)
			return (MHD_CONTENT_READER_END_OF_STREAM);
		if (s->w.woken == API_WOKEN_TIMEOUT) {
			s->w.woken = 0;
			s->out = xstrdup(": keepalive\n\n");
			s->len = strlen(s->out);
			continue;
		}
		seen = waiter_generation(s->api.wait_kind);
		err_clear(&err);
		if (server_authenticate(s->r, s->r->match.route->flags,
		    &err) == -1) {
			log_info("%s %s: stream ended: %s", s->r->req.method,
			    s->r->req.path, err.message);
			return (MHD_CONTENT_READER_END_OF_STREAM);
		}
		s->out = s->api.fill(s->api.cls, &s->done, &err);
		if (s->out == NULL && err.code != UFO_OK) {
			log_warn("event stream: %s", err.message);
			return (MHD_CONTENT_READER_END_WITH_ERROR);
		}
		if (s->out != NULL) {
			s->len = strlen(s->out);
			s->w.woken = 0;
			continue;
		}
		if (s->done)
			continue;
		if (waiter_park(&s->w, s->conn, s->l, s->api.wait_kind,
		    s->api.wait_key, seen, waiter_now() +
		    SERVER_KEEPALIVE_MS) == 0)
			return (0);
	}
}

static void
server_stream_free(void *cls)
{
	struct server_stream	*s = cls;

	if (s->api.free != NULL)
		s->api.free(s->api.cls);
	free(s->out);
	free(s);
}

static enum MHD_Result
server_reply_stream(struct server_req *r, struct api_response *resp)
{
	struct server_stream	*s;
	struct MHD_Response	*mr;
	enum MHD_Result		 ret;

	s = xcalloc(1, sizeof *s);
	s->l = r->l;
	s->r = r;
	s->conn = r->conn;
	s->api = resp->stream;
	mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
	    server_stream_read, s, server_stream_free);
	if (mr == NULL) {
		server_stream_free(s);
		return (MHD_NO);
	}
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream");
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(r->conn, (unsigned int)resp->status, mr);
	MHD_destroy_response(mr);
	return (ret);
}

int
server_park(struct api_request *req, int kind, const char *key, int64_t seen,
    uint64_t deadline)
{
	struct server_req	*r = server_req_of(req);

	/* A pooled request is suspended already: it answers as if timed out. */
	if ((r->match.route->flags & API_INLINE) == 0) {
		log_warn("%s %s: cannot park on the handler pool",
		    req->method, req->path);
		req->woken = API_WOKEN_TIMEOUT;
		return (0);
	}
	/* What a deferred write left is read: parked, none is kept. */
	free(r->d);
	r->d = NULL;
	req->async = NULL;
	if (r->l->closing) {
		req->woken = API_WOKEN_SHUTDOWN;
		return (0);
	}
	if (waiter_park(&r->w, r->conn, r->l, kind, key, seen,
	    deadline) == -1) {
		req->woken = r->w.woken;
		return (0);
	}
	return (API_PARKED);
}

static enum MHD_Result server_answer(struct server_req *, int,
		    struct api_response *, struct ufo_error *);

/*
 * The write a request deferred to is done (on the writer's thread), or the
 * handler it waited for (on the pool's).
 */
static void
server_deferred_done(void *arg)
{
	struct server_req	*r = arg;
	struct server_listener	*l = r->l;

	r->w.woken = API_WOKEN_DONE;
	/* Once resumed, r may be answered and gone at any moment. */
	MHD_resume_connection(r->conn);
	pthread_mutex_lock(&l->defer_lock);
	if (--l->deferred == 0)
		pthread_cond_broadcast(&l->defer_cond);
	pthread_mutex_unlock(&l->defer_lock);
}

/* Frees d and what a pooled handler answered into it, if never sent. */
static void
server_deferred_free(struct server_deferred *d)
{
	if (d == NULL)
		return;
	json_object_put(d->resp.json);
	if (d->resp.raw != NULL && d->resp.secret)
		explicit_bzero(d->resp.raw, d->resp.raw_len);
	free(d->resp.raw);
	free(d->resp.undelivered_cls);
	if (d->resp.stream.free != NULL)
		d->resp.stream.free(d->resp.stream.cls);
	free(d);
}

static void
server_suspend(struct server_req *r)
{
	struct server_listener	*l = r->l;

	if (r->d == NULL)
		r->d = xmalloc(sizeof *r->d);
	memset(r->d, 0, sizeof *r->d);
	pthread_mutex_lock(&l->defer_lock);
	l->deferred++;
	pthread_mutex_unlock(&l->defer_lock);
	MHD_suspend_connection(r->conn);
}

/*
 * The connection is suspended before the write is queued: the write may be
 * done, and resume it, before the handler has returned.
 */
struct store_async *
api_defer(struct api_request *req)
{
	struct server_req	*r = server_req_of(req);

	server_suspend(r);
	r->d->a.done = server_deferred_done;
	r->d->a.done_arg = r;
	req->async = &r->d->a;
	return (req->async);
}

/* Hands r's handler to the pool; its answer is sent when it resumes. */
static void
server_pool_push(struct server_req *r)
{
	struct server_pool	*p = &r->l->srv->pool;
	struct server_worker	*w;

	server_suspend(r);
	pthread_mutex_lock(&p->lock);
	if ((w = p->idle) != NULL) {
		p->idle = w->next_idle;
		w->r = r;
		pthread_cond_signal(&w->cond);
	} else {
		r->next_pooled = NULL;
		*p->tail = r;
		p->tail = &r->next_pooled;
	}
	pthread_mutex_unlock(&p->lock);
}

static void *
server_pool_main(void *arg)
{
	struct server_worker	*w = arg;
	struct server_pool	*p = w->pool;
	struct server_req	*r;
	struct server_deferred	*d;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		if ((r = p->head) != NULL) {
			if ((p->head = r->next_pooled) == NULL)
				p->tail = &p->head;
		} else if (!p->stop) {
			w->next_idle = p->idle;
			p->idle = w;
			while (w->r == NULL && !p->stop)
				pthread_cond_wait(&w->cond, &p->lock);
			r = w->r;
			w->r = NULL;
		}
		if (r == NULL)
			break;
		pthread_mutex_unlock(&p->lock);

		d = r->d;
		d->resp.status = 200;
		d->rc = r->match.route->handler(&r->req, &d->resp, &d->a.err);
		if (d->rc == API_PARKED) {
			/* Only an API_INLINE route may park. */
			json_object_put(d->resp.json);
			memset(&d->resp, 0, sizeof d->resp);
			d->rc = err_set(&d->a.err, UFO_EINTERNAL, "",
			    "%s %s cannot wait on the handler pool",
			    r->req.method, r->req.path);
		}
		r->pool_done = 1;
		server_deferred_done(r);

		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return (NULL);
}

static void
server_pool_start(struct server_pool *p, int n)
{
	struct server_worker	*w;
	int			 e;

	if (pthread_mutex_init(&p->lock, NULL) != 0)
		fatalx("%s: cannot make a lock", __func__);
	p->head = NULL;
	p->tail = &p->head;
	p->workers = xcalloc((size_t)n, sizeof *p->workers);
	for (p->n = 0; p->n < n; p->n++) {
		w = &p->workers[p->n];
		w->pool = p;
		if (pthread_cond_init(&w->cond, NULL) != 0)
			fatalx("%s: cannot make a lock", __func__);
		if ((e = pthread_create(&w->thread, NULL, server_pool_main,
		    w)) != 0)
			fatalx("%s: pthread_create: %s", __func__,
			    strerror(e));
	}
}

/* After the listeners: nothing is queued any more. */
static void
server_pool_stop(struct server_pool *p)
{
	int	 i, e;

	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	for (i = 0; i < p->n; i++)
		pthread_cond_signal(&p->workers[i].cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++) {
		if ((e = pthread_join(p->workers[i].thread, NULL)) != 0)
			log_warn("%s: pthread_join: %s", __func__,
			    strerror(e));
		pthread_cond_destroy(&p->workers[i].cond);
	}
	free(p->workers);
	pthread_mutex_destroy(&p->lock);
}

/* The HTTP threads of a listener: one a CPU. */
static unsigned int
server_http_threads(void)
{
	long	 n;

	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > SERVER_HTTP_THREADS_MAX)
		n = SERVER_HTTP_THREADS_MAX;
	return ((unsigned int)n);
}

/* A cleared request record: a spare one if the listener has one. */
static struct server_req *
server_req_new(struct server_listener *l)
{
	struct server_req	*r;

	pthread_mutex_lock(&l->spare_lock);
	if ((r = l->spare) != NULL) {
		l->spare = r->next_spare;
		l->nspare--;
	}
	pthread_mutex_unlock(&l->spare_lock);
	if (r == NULL)
		return (xcalloc(1, sizeof *r));
	memset(r, 0, sizeof *r);
	return (r);
}

static void
server_req_free(struct server_listener *l, struct server_req *r)
{
	pthread_mutex_lock(&l->spare_lock);
	if (l->nspare < SERVER_REQ_SPARE) {
		r->next_spare = l->spare;
		l->spare = r;
		l->nspare++;
		r = NULL;
	}
	pthread_mutex_unlock(&l->spare_lock);
	free(r);
}

static enum MHD_Result
server_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct server_listener	*l = cls;
	struct server_req	*r = *req_cls;
	struct api_response	 resp;
	struct ufo_error	 err;
	const char		*cl;
	size_t			 max;
	enum MHD_Result		 ret;
	int			 rc;

	(void)version;
	if (r == NULL) {
		r = server_req_new(l);
		r->l = l;
		r->conn = conn;
		r->req.method = method;
		r->req.path = url;
		*req_cls = r;
		server_inflight(l->srv, 1);
		server_route(r, url, method);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > server_body_limit(r))
			r->too_large = 1;
		return (MHD_YES);
	}
	if (*upload_size != 0) {
		max = server_body_limit(r);
		if (!r->too_large && r->len + *upload_size > max) {
			r->too_large = 1;
			free(r->body);
			r->body = NULL;
			r->len = 0;
		}
		if (!r->too_large) {
			r->body = xrealloc(r->body, r->len + *upload_size);
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
		}
		*upload_size = 0;
		return (MHD_YES);
	}

	err_clear(&err);
	if (r->pool_done) {
		r->pool_done = 0;
		ret = server_answer(r, r->d->rc, &r->d->resp, &r->d->a.err);
		/* Taken by the answer. */
		memset(&r->d->resp, 0, sizeof r->d->resp);
		return (ret);
	}
	if (!r->prepared) {
		r->prepared = 1;
		if (server_prepare(r, url, method, &err) == -1)
			return (server_reply_error(r, &err));
	} else {
		r->req.woken = r->w.woken;
		/*
		 * A parked request wakes to credentials that may have been
		 * revoked meanwhile (that wakes every waiter): ask again. A
		 * deferred write was authenticated with its commit.
		 */
		if (r->req.woken != API_WOKEN_DONE &&
		    server_authenticate(r, r->match.route->flags, &err) == -1)
			return (server_reply_error(r, &err));
	}
	if ((r->match.route->flags & API_INLINE) == 0) {
		server_pool_push(r);
		return (MHD_YES);
	}
	memset(&resp, 0, sizeof resp);
	resp.status = 200;
	rc = r->match.route->handler(&r->req, &resp, &err);
	return (server_answer(r, rc, &resp, &err));
}

static void
server_answered(struct server *srv, size_t n)
{
	uint64_t	 before;

	before = __atomic_fetch_add(&srv->answered, n, __ATOMIC_RELAXED);
	if (before / SERVER_TRIM_BYTES != (before + n) / SERVER_TRIM_BYTES)
		waiter_trim_soon();
}

/* Sends what a handler answered (rc, *resp, *err). */
static enum MHD_Result
server_answer(struct server_req *r, int rc, struct api_response *resp,
    struct ufo_error *err)
{
	struct MHD_Connection	*conn = r->conn;
	enum MHD_Result		 ret;
	const char		*s;
	size_t			 n;

	if (rc == API_PARKED)
		return (MHD_YES);
	if (rc == API_ERROR) {
		json_object_put(resp->json);
		return (server_reply_error(r, err));
	}
	log_debug("%s %s: %d", r->req.method, r->req.path, resp->status);
	r->undelivered = resp->undelivered;
	r->undelivered_cls = resp->undelivered_cls;
	if (resp->stream.fill != NULL)
		return (server_reply_stream(r, resp));
	if (resp->raw != NULL) {
		server_answered(r->l->srv, resp->raw_len);
		return (server_reply_raw(conn, resp));
	}
	s = resp->json != NULL ? jsonx_compact(resp->json) : "{}";
	n = strlen(s);
	server_answered(r->l->srv, n);
	ret = server_reply_text(conn, resp->status, s, n, NULL, NULL);
	json_object_put(resp->json);
	return (ret);
}

static void
server_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server_req	*r = *req_cls;

	(void)cls;
	(void)conn;
	if (r == NULL)
		return;
	if (r->undelivered != NULL && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		r->undelivered(&r->req, r->undelivered_cls);
	free(r->undelivered_cls);
	if (r->body != NULL && r->routed == 0 &&
	    (r->match.route->flags & API_SECRET))
		explicit_bzero(r->body, r->len);
	free(r->body);
	json_object_put(r->req.body);
	/*
	 * Left by a deferred write, or by a pooled handler, whose answer was
	 * not asked for (the daemon stopped right after the resume).
	 */
	server_deferred_free(r->d);
	free(r->req.text);
	store_claim_clear(&r->req.claim);
	server_inflight(r->l->srv, -1);
	server_req_free(r->l, r);
	*req_cls = NULL;
}

static void
server_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 msg[512];
	size_t	 n;

	(void)cls;
	/*
	 * libmicrohttpd reports a few things on every answer on the Unix
	 * socket (TCP options it cannot set there): not formatted for nothing.
	 */
	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/*
 * Connections are accepted here and handed to libmicrohttpd, which gives
 * each to the worker its descriptor picks: left to itself, the first idle
 * worker takes up to ten waiting connections at once, and a worker serves
 * its connections one request at a time, so rovers that connect together
 * would queue behind each other's writes on one thread while others idle.
 */
static void *
server_acceptor(void *arg)
{
	struct server_listener	*l = arg;
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd[2];
	socklen_t		 len;
	int			 fd;

	pfd[0].fd = l->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = l->stopfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: poll: %s", l->addr, strerror(errno));
			break;
		}
		if (pfd[1].revents != 0)
			break;
		len = sizeof ss;
		if ((fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of descriptors: give a closing one time. */
			log_warn("%s: accept: %s", l->addr, strerror(errno));
			poll(pfd + 1, 1, SERVER_ACCEPT_PAUSE_MS);
			continue;
		}
		/* libmicrohttpd closes fd if it cannot take it. */
		if (MHD_add_connection(l->daemon, fd, (struct sockaddr *)&ss,
		    len) != MHD_YES)
			log_debug("%s: connection refused: %s", l->addr,
			    strerror(errno));
	}
	return (NULL);
}

/* Starts l's acceptor, its socket made non-blocking for it. */
static int
server_acceptor_start(struct server_listener *l)
{
	int	 fl, e;

	if ((fl = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    (l->stopfd = eventfd(0, EFD_CLOEXEC)) == -1)
		return (-1);
	if ((e = pthread_create(&l->acceptor, NULL, server_acceptor, l)) != 0) {
		close(l->stopfd);
		l->stopfd = -1;
		errno = e;
		return (-1);
	}
	l->accepting = 1;
	return (0);
}

/* Frees l, its daemon stopped (or never started). */
static void
server_listener_free(struct server_listener *l)
{
	struct server_req	*r;

	while ((r = l->spare) != NULL) {
		l->spare = r->next_spare;
		free(r);
	}
	pthread_mutex_destroy(&l->spare_lock);
	pthread_mutex_destroy(&l->defer_lock);
	pthread_cond_destroy(&l->defer_cond);
	tls_free(l->tls);
	free(l->addr);
	free(l);
}

/* Serves fd; with tls (copied), HTTPS with that certificate. */
static struct server_listener *
server_listener_start(struct server *srv, int fd, int is_unix,
    const char *addr, const struct tls_pair *tls, struct ufo_error *err)
{
	struct server_listener	*l;
	struct MHD_OptionItem	 tlsopts[4];
	unsigned int		 flags;

	if (tls != NULL &&
	    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		err_set(err, UFO_EINVAL, "tls_cert", "tls_cert %s: this "
		    "libmicrohttpd was built without TLS, so ufod cannot serve "
		    "HTTPS", tls->cert_file);
		return (NULL);
	}
	l = xcalloc(1, sizeof *l);
	l->srv = srv;
	l->fd = fd;
	l->is_unix = is_unix;
	l->addr = xstrdup(addr);
	l->tls = tls_copy(tls);
	l->stopfd = -1;
	if (pthread_mutex_init(&l->spare_lock, NULL) != 0 ||
	    pthread_mutex_init(&l->defer_lock, NULL) != 0 ||
	    pthread_cond_init(&l->defer_cond, NULL) != 0)
		fatalx("%s: pthread_mutex_init failed", __func__);
	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	/* Without TLS the array starts at its end: no options. */
	memset(tlsopts, 0, sizeof tlsopts);
	if (l->tls != NULL) {
		flags |= MHD_USE_TLS;
		tlsopts[0].option = MHD_OPTION_HTTPS_MEM_CERT;
		tlsopts[0].ptr_value = l->tls->cert;
		tlsopts[1].option = MHD_OPTION_HTTPS_MEM_KEY;
		tlsopts[1].ptr_value = l->tls->key;
		tlsopts[2].option = MHD_OPTION_HTTPS_PRIORITIES;
		tlsopts[2].ptr_value = (void *)SERVER_TLS_PRIORITIES;
	}
	tlsopts[3].option = MHD_OPTION_END;
	l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, server_access, l,
	    MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, server_completed, l,
	    MHD_OPTION_THREAD_POOL_SIZE, server_http_threads(),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_IDLE_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_MAX_CONNECTIONS,
	    MHD_OPTION_ARRAY, l->tls != NULL ? tlsopts : tlsopts + 3,
	    MHD_OPTION_END);
	if (l->daemon == NULL) {
		if (l->tls != NULL)
			err_set(err, UFO_EINVAL, "tls_cert", "cannot start the "
			    "HTTPS server on %s with tls_cert %s and tls_key "
			    "%s (ufod -v says more)", addr, l->tls->cert_file,
			    l->tls->key_file);
		else
			err_set(err, UFO_EINTERNAL, "", "cannot start the HTTP "
			    "server on %s", addr);
		server_listener_free(l);
		return (NULL);
	}
	if (server_acceptor_start(l) == -1) {
		err_set(err, UFO_EINTERNAL, "", "cannot accept connections on "
		    "%s: %s", addr, strerror(errno));
		MHD_stop_daemon(l->daemon);
		server_listener_free(l);
		return (NULL);
	}
	return (l);
}

/* Stops accepting on a listener; its socket is ours to close after this. */
static void
server_listener_quiesce(struct server_listener *l)
{
	uint64_t	 one = 1;
	int		 e;

	l->closing = 1;
	if (l->accepting) {
		if (write(l->stopfd, &one, sizeof one) != sizeof one)
			fatal("%s: eventfd", __func__);
		if ((e = pthread_join(l->acceptor, NULL)) != 0)
			log_warn("%s: pthread_join: %s", l->addr, strerror(e));
		close(l->stopfd);
		l->accepting = 0;
	}
}

static void
server_listener_stop(struct server_listener *l)
{
	if (l == NULL)
		return;
	server_listener_quiesce(l);
	waiter_release(l);
	/* Suspended connections must be resumed before the stop. */
	pthread_mutex_lock(&l->defer_lock);
	while (l->deferred > 0)
		pthread_cond_wait(&l->defer_cond, &l->defer_lock);
	pthread_mutex_unlock(&l->defer_lock);
	MHD_stop_daemon(l->daemon);
	close(l->fd);
	server_listener_free(l);
}

struct server *
server_new(struct store *store, const char *database, int threads)
{
	struct server	*srv;
	struct tm	 tm;
	time_t		 now;

	srv = xcalloc(1, sizeof *srv);
	srv->store = store;
	srv->database = xstrdup(database);
	server_pool_start(&srv->pool, threads > 0 ? threads : 1);
	srv->uid = geteuid();
	srv->max_body = UFO_MAX_BODY;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	if ((srv->logins = ratelimit_create(SERVER_LOGIN_FAILURES,
	    SERVER_LOGIN_WINDOW_MS)) == NULL)
		fatalx("cannot make the login rate limiter");
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(srv->started, sizeof srv->started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (srv);
}

/* Makes the socket's directory private when it is ours (not /tmp itself). */
static int
server_private_dir(const char *path, struct ufo_error *err)
{
	struct stat	 sb;
	char		*dir, *slash;
	int		 rc = 0;

	if (conf_mkdir_parent(path, 0700, err) == -1)
		return (-1);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &sb) == -1)
			rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", dir,
			    strerror(errno));
		else if (sb.st_uid == geteuid() && !(sb.st_mode & S_ISVTX) &&
		    (sb.st_mode & 0777) != 0700 && chmod(dir, 0700) == -1)
			rc = err_set(err, UFO_EINTERNAL, "", "chmod %s: %s",
			    dir, strerror(errno));
	}
	free(dir);
	return (rc);
}

int
server_listen_unix(struct server *srv, const char *path,
    struct ufo_error *err)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (err_set(err, UFO_EINVAL, "socket", "socket path is "
		    "longer than %zu bytes: %s", sizeof sun.sun_path - 1,
		    path));
	strcpy(sun.sun_path, path);
	if (server_private_dir(path, err) == -1)
		return (-1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (err_set(err, UFO_EINTERNAL, "", "socket: %s",
		    strerror(errno)));
	/* A socket nobody answers on is left over from a crash. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(fd);
		return (err_set(err, UFO_ECONFLICT, "socket", "another ufod "
		    "is listening on %s", path));
	}
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT)
		return (err_set(err, UFO_EINTERNAL, "", "unlink %s: %s", path,
		    strerror(errno)));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (err_set(err, UFO_EINTERNAL, "", "socket: %s",
		    strerror(errno)));
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, 1024) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	if ((srv->unix_l = server_listener_start(srv, fd, 1, path, NULL,
	    err)) == NULL) {
		close(fd);
		unlink(path);
		return (-1);
	}
	srv->socket = xstrdup(path);
	log_info("listening on %s", path);
	return (0);
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 answer only this host. */
static int
server_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)sa;
		return ((ntohl(s4->sin_addr.s_addr) >> 24) == 127);
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return (1);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return (s6->sin6_addr.s6_addr[12] == 127);
	}
	return (0);
}

/* Binds "host:port" or "[v6]:port"; *loopback says if it is only local. */
static int
server_bind_tcp(const char *addr, int *loopback, struct ufo_error *err)
{
	struct addrinfo	 hints, *res, *ai;
	char		*host, *port, *end;
	int		 fd = -1, one = 1, gerr;

	host = xstrdup(addr);
	if ((port = strrchr(host, ':')) == NULL || port[1] == '\0') {
		free(host);
		return (err_set(err, UFO_EINVAL, "listen", "listen: \"%s\" is "
		    "not host:port", addr));
	}
	*port++ = '\0';
	if (host[0] == '[' && (end = strchr(host, ']')) != NULL) {
		*end = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((gerr = getaddrinfo(*host != '\0' ? host : NULL, port, &hints,
	    &res)) != 0) {
		err_set(err, UFO_EINVAL, "listen", "listen: %s: %s", addr,
		    gai_strerror(gerr));
		free(host);
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0) {
			*loopback = server_is_loopback(ai->ai_addr);
			break;
		}
		err_set(err, UFO_EINVAL, "listen", "listen: %s: %s", addr,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	if (res == NULL)
		err_set(err, UFO_EINVAL, "listen", "listen: %s: no address",
		    addr);
	freeaddrinfo(res);
	free(host);
	return (fd);
}

int
server_listen_tcp(struct server *srv, const char *addr,
    const struct tls_pair *tls, struct ufo_error *err)
{
	struct server_listener	*l = NULL, *old;
	int			 fd, loopback = 0;

	pthread_mutex_lock(&srv->lock);
	old = srv->tcp_l;
	pthread_mutex_unlock(&srv->lock);
	if ((old == NULL && addr == NULL) || (old != NULL && addr != NULL &&
	    strcmp(old->addr, addr) == 0 && tls_same(old->tls, tls)))
		return (0);
	if (addr != NULL) {
		/*
		 * The old listener goes first: the port may be the same.
		 * GET /server must not see it meanwhile.
		 */
		if (old != NULL) {
			pthread_mutex_lock(&srv->lock);
			srv->tcp_l = NULL;
			pthread_mutex_unlock(&srv->lock);
			server_listener_stop(old);
		}
		old = NULL;
		if ((fd = server_bind_tcp(addr, &loopback, err)) == -1)
			return (-1);
		if ((l = server_listener_start(srv, fd, 0, addr, tls,
		    err)) == NULL) {
			close(fd);
			return (-1);
		}
		l->loopback = loopback;
	}
	pthread_mutex_lock(&srv->lock);
	srv->tcp_l = l;
	pthread_mutex_unlock(&srv->lock);
	server_listener_stop(old);
	if (l != NULL)
		server_log_tcp(srv);
	return (0);
}

void
server_log_tcp(struct server *srv)
{
	struct server_listener	*l;

	pthread_mutex_lock(&srv->lock);
	l = srv->tcp_l;
	if (l != NULL && l->tls != NULL)
		log_info("listening on %s (HTTPS, certificate %s)", l->addr,
		    l->tls->cert_file);
	else if (l != NULL && l->loopback)
		log_info("listening on %s (plain HTTP, loopback only)",
		    l->addr);
	else if (l != NULL)
		log_warn("listening on %s with plain HTTP on a non-loopback "
		    "address: tokens and everything else cross the network "
		    "unencrypted; set tls_cert and tls_key in ufo.conf",
		    l->addr);
	pthread_mutex_unlock(&srv->lock);
}

void
server_drain(struct server *srv, int timeout_ms)
{
	struct timespec	 ts;

	if (srv->unix_l != NULL)
		server_listener_quiesce(srv->unix_l);
	pthread_mutex_lock(&srv->lock);
	if (srv->tcp_l != NULL)
		server_listener_quiesce(srv->tcp_l);
	pthread_mutex_unlock(&srv->lock);
	waiter_stop();

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&srv->lock);
	while (srv->inflight > 0) {
		if (pthread_cond_timedwait(&srv->idle, &srv->lock,
		    &ts) == ETIMEDOUT) {
			log_warn("%d requests still running at shutdown",
			    srv->inflight);
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);
}

void
server_free(struct server *srv)
{
	server_listener_stop(srv->tcp_l);
	server_listener_stop(srv->unix_l);
	server_pool_stop(&srv->pool);
	if (srv->socket != NULL && unlink(srv->socket) == -1 &&
	    errno != ENOENT)
		log_warn("unlink %s: %s", srv->socket, strerror(errno));
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->idle);
	ratelimit_free(srv->logins);
	free(srv->socket);
	free(srv->database);
	free(srv);
}

/* The client's address, the key its login failures are counted by. */
static void
server_client_key(struct api_request *req, char *buf, size_t len)
{
	const union MHD_ConnectionInfo	*info;
	const struct sockaddr		*sa;

	snprintf(buf, len, "unix");
	if (req->local)
		return;
	info = MHD_get_connection_info(req->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL || (sa = info->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, buf, (socklen_t)len);
}

int
server_login_allowed(struct api_request *req, struct ufo_error *err)
{
	struct server_req	*r = server_req_of(req);
	char			 key[INET6_ADDRSTRLEN + 8];
	int64_t			 wait;

	server_client_key(req, key, sizeof key);
	wait = ratelimit_wait(req->server->logins, key,
	    (int64_t)waiter_now());
	if (wait == 0)
		return (0);
	r->retry_after = wait;
	return (err_set(err, UFO_ETOOMANY, "", "too many failed attempts "
	    "from %s: try again in %lld s", key, (long long)wait));
}

void
server_login_result(struct api_request *req, int ok)
{
	char	 key[INET6_ADDRSTRLEN + 8];

	server_client_key(req, key, sizeof key);
	if (ok)
		ratelimit_clear(req->server->logins, key);
	else
		ratelimit_fail(req->server->logins, key,
		    (int64_t)waiter_now());
}

const char *
server_database(struct server *srv)
{
	return (srv->database);
}

struct json_object *
server_info(struct server *srv)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "protocol",
	    json_object_new_int(UFO_PROTOCOL_VERSION));
	json_object_object_add(o, "started_at",
	    json_object_new_string(srv->started));
	json_object_object_add(o, "database",
	    json_object_new_string(srv->database));
	json_object_object_add(o, "socket", srv->socket != NULL ?
	    json_object_new_string(srv->socket) : NULL);
	pthread_mutex_lock(&srv->lock);
	json_object_object_add(o, "listen", srv->tcp_l != NULL ?
	    json_object_new_string(srv->tcp_l->addr) : NULL);
	json_object_object_add(o, "tls", json_object_new_boolean(
	    srv->tcp_l != NULL && srv->tcp_l->tls != NULL));
	pthread_mutex_unlock(&srv->lock);
	json_object_object_add(o, "events",
	    json_object_new_int64(waiter_generation(WAITER_EVENTS)));
	return (o);
}
