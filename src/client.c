#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client.h"
#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "xmalloc.h"

#ifndef UFO_SBINDIR
#define UFO_SBINDIR "/usr/local/sbin"
#endif

extern char **environ;

/* Larger answers are not something ufod sends; refuse them. */
#define CLIENT_MAX_RESPONSE	(256U * 1024 * 1024)
/* One SSE line longer than this is a broken stream. */
#define CLIENT_MAX_LINE		(16U * UFO_MAX_BODY)
#define CLIENT_CONNECT_TIMEOUT	5L
#define CLIENT_TIMEOUT		120L
/* ufod sends a keepalive every 25 s, so this much silence is a dead peer. */
#define CLIENT_STREAM_IDLE	75L
/* After starting ufod, how often and how long to try to reach it. */
#define CLIENT_START_TRIES	40
#define CLIENT_START_PAUSE_MS	50

struct client_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
	size_t	 max;
	int	 overflow;
};

struct client {
	CURL			*curl;
	char			*socket;
	char			*url;
	char			*token;
	char			*fleet;
	char			*ca_file;
	char			*where;
	char			*progname;
	char			**headers;
	int			 bearer_always;
	int			 verbose;
	int			 autostart;
	int			 unreachable;
	long			 status;
	long			 timeout;
	volatile sig_atomic_t	*stop;
	char			 errbuf[CURL_ERROR_SIZE];
};

/* One HTTP exchange, as client_transfer performs it. */
struct client_xfer {
	const char	*method;
	const char	*path;
	const void	*body;		/* NULL: none */
	size_t		 bodylen;
	const char	*ctype;		/* NULL: JSON when there is a body */
	const char	*accept;
	int64_t		 last_id;	/* Last-Event-ID; 0 for none */
	int		 stream;	/* no total time limit */
	size_t		 (*write)(char *, size_t, size_t, void *);
	void		*arg;
	long		 status;	/* filled in */
};

/* The event stream parser: lines in, events out (the EventSource rules). */
struct client_sse {
	int			 cr;
	struct client_buf	 line;
	struct client_buf	 data;
	char			*event;
	int64_t			 id;
	int64_t			 last_id;
	client_event_cb		 cb;
	void			*arg;
	struct ufo_error	*err;
};

/* The state of one SSE connection of client_stream. */
struct client_sse_conn {
	struct client		*c;
	long			 status;
	int			 notstream;
	int			 failed;
	struct client_buf	 body;
	struct client_sse	 sse;
};

static int
client_buf_add(struct client_buf *b, const void *p, size_t len)
{
	char	*next;
	size_t	 size;

	if (b->max != 0 && len > b->max - b->len) {
		b->overflow = 1;
		return (-1);
	}
	if (b->len + len + 1 > b->size) {
		size = b->size == 0 ? 256 : b->size;
		while (size < b->len + len + 1)
			size *= 2;
		/* Not realloc: an answer may hold credentials, and no copy
		 * of it is left behind unwiped. */
		next = xmalloc(size);
		if (b->data != NULL) {
			memcpy(next, b->data, b->len);
			explicit_bzero(b->data, b->size);
			free(b->data);
		}
		b->data = next;
		b->size = size;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (0);
}

static void
client_buf_free(struct client_buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->size);
	free(b->data);
	memset(b, 0, sizeof *b);
}

static size_t
client_write_buf(char *p, size_t size, size_t n, void *arg)
{
	struct client_buf	*b = arg;

	if (client_buf_add(b, p, size * n) == -1)
		return (0);
	return (size * n);
}

static int
client_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct client	*c = arg;

	return (c->stop != NULL && *c->stop ? 1 : 0);
}

/*
 * Masks anything that looks like a ufo secret (a user token "ufo_", a
 * rover token "ufor_" or an enrollment code "ufoenr_", then a long run of
 * base64url) down to the 8 characters listings show, so -v output and
 * server messages never put a secret on the terminal.
 */
static char *
client_redact(const char *in)
{
	static const char *const prefixes[] = { "ufo_", "ufor_", "ufoenr_" };
	struct client_buf	 b = { 0 };
	const char		*s = in, *t;
	size_t			 n, i, plen;

	while (*s != '\0') {
		plen = 0;
		for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
			if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
				plen = strlen(prefixes[i]);
		}
		if (plen != 0 && (s == in ||
		    strchr("/=: \"'", s[-1]) != NULL)) {
			t = s + plen;
			n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-_");
			if (n >= 16) {
				client_buf_add(&b, s, 8);
				client_buf_add(&b, "\xe2\x80\xa6", 3);
				s = t + n;
				continue;
			}
		}
		client_buf_add(&b, s, 1);
		s++;
	}
	if (b.data == NULL)
		return (xstrdup(""));
	return (b.data);
}

int
client_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return (-1);
	return (0);
}

void
client_global_free(void)
{
	curl_global_cleanup();
}

struct client *
client_create(const struct client_config *cf)
{
	struct client	*c;
	size_t		 len, n, i;

	c = xcalloc(1, sizeof *c);
	if ((c->curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	if (cf->url != NULL && strncmp(cf->url, "unix:", 5) == 0) {
		/* unix:/path/to/ufod.sock: the socket, named like a URL. */
		c->socket = xstrdup(cf->url + 5);
		c->where = xprintf("socket %s", c->socket);
	} else if (cf->url != NULL) {
		c->url = xstrdup(cf->url);
		/* The API prefix follows: "https://h/" must not double "/". */
		len = strlen(c->url);
		while (len > 0 && c->url[len - 1] == '/')
			c->url[--len] = '\0';
		c->where = xstrdup(c->url);
	} else {
		c->socket = xstrdup(cf->socket);
		c->where = xprintf("socket %s", c->socket);
	}
	if (cf->token != NULL)
		c->token = xstrdup(cf->token);
	if (cf->fleet != NULL)
		c->fleet = xstrdup(cf->fleet);
	if (cf->ca_file != NULL)
		c->ca_file = xstrdup(cf->ca_file);
	c->progname = xstrdup(cf->progname != NULL ? cf->progname : "ufo");
	for (n = 0; cf->headers != NULL && cf->headers[n] != NULL; n++)
		;
	c->headers = xcalloc(n + 1, sizeof *c->headers);
	for (i = 0; i < n; i++)
		c->headers[i] = xstrdup(cf->headers[i]);
	c->bearer_always = cf->bearer_always;
	c->verbose = cf->verbose;
	c->autostart = cf->autostart;
	return (c);
}

void
client_free(struct client *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->socket);
	free(c->url);
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c->fleet);
	free(c->ca_file);
	free(c->where);
	free(c->progname);
	for (i = 0; c->headers[i] != NULL; i++)
		free(c->headers[i]);
	free(c->headers);
	free(c);
}

void
client_set_autostart(struct client *c, int on)
{
	c->autostart = on;
}

void
client_set_stop(struct client *c, volatile sig_atomic_t *stop)
{
	c->stop = stop;
}

int
client_local(const struct client *c)
{
	return (c->url == NULL);
}

const char *
client_socket(const struct client *c)
{
	return (c->socket);
}

const char *
client_where(const struct client *c)
{
	return (c->where);
}

int
client_unreachable(const struct client *c)
{
	return (c->unreachable);
}

long
client_status(const struct client *c)
{
	return (c->status);
}

void
client_set_timeout(struct client *c, long seconds)
{
	c->timeout = seconds > 0 ? seconds : 0;
}

static struct curl_slist *
client_header(struct curl_slist *list, const char *fmt, ...)
{
	struct curl_slist	*new;
	va_list			 ap;
	char			*line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if ((new = curl_slist_append(list, line)) == NULL)
		fatalx("curl_slist_append failed");
	explicit_bzero(line, strlen(line));
	free(line);
	return (new);
}

#define CLIENT_SETOPT(rc, curl, opt, value) do {		\
	if ((rc) == CURLE_OK)					\
		(rc) = curl_easy_setopt((curl), (opt), (value));\
} while (0)

static char *
client_url(struct client *c, const char *path)
{
	if (c->url != NULL)
		return (xprintf("%s%s%s", c->url, UFO_API_PREFIX, path));
	return (xprintf("http://localhost%s%s", UFO_API_PREFIX, path));
}

/*
 * Sets curl up for x as every exchange of c is: the URL or the socket,
 * the headers (kept in *hp for the caller to free after the transfer),
 * the token, the fleet, the user agent and the time limits.
 */
static CURLcode
client_setup_xfer(struct client *c, CURL *curl, struct client_xfer *x,
    struct curl_slist **hp)
{
	struct curl_slist	*h = NULL;
	CURLcode		 rc = CURLE_OK;
	char			*url, *agent;
	size_t			 i;
	int			 post;

	url = client_url(c, x->path);
	post = strcmp(x->method, "POST") == 0 ||
	    strcmp(x->method, "PATCH") == 0;

	h = client_header(h, "Accept: %s", x->accept);
	/* No "Expect: 100-continue" round trip before larger bodies. */
	h = client_header(h, "Expect:");
	if (x->ctype != NULL)
		h = client_header(h, "Content-Type: %s", x->ctype);
	else if (x->bodylen > 0)
		h = client_header(h, "Content-Type: application/json");
	else if (post) {
		/* libcurl would claim a form; an empty body has no type. */
		h = client_header(h, "Content-Type:");
	}
	if ((c->url != NULL || c->bearer_always) && c->token != NULL)
		h = client_header(h, "Authorization: Bearer %s", c->token);
	if (c->fleet != NULL)
		h = client_header(h, "%s: %s", UFO_FLEET_HEADER, c->fleet);
	for (i = 0; c->headers[i] != NULL; i++)
		h = client_header(h, "%s", c->headers[i]);
	if (x->last_id > 0)
		h = client_header(h, "Last-Event-ID: %lld",
		    (long long)x->last_id);

	CLIENT_SETOPT(rc, curl, CURLOPT_URL, url);
	if (c->url == NULL)
		CLIENT_SETOPT(rc, curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
#if LIBCURL_VERSION_NUM >= 0x075500
	CLIENT_SETOPT(rc, curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	CLIENT_SETOPT(rc, curl, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	CLIENT_SETOPT(rc, curl, CURLOPT_HTTPHEADER, h);
	/*
	 * libcurl's defaults, said out loud: the peer's certificate and its
	 * host name are always checked, against ca_file when there is one.
	 */
	CLIENT_SETOPT(rc, curl, CURLOPT_SSL_VERIFYPEER, 1L);
	CLIENT_SETOPT(rc, curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->url != NULL && c->ca_file != NULL)
		CLIENT_SETOPT(rc, curl, CURLOPT_CAINFO, c->ca_file);
	agent = xprintf("%s/%s", c->progname, PACKAGE_VERSION);
	CLIENT_SETOPT(rc, curl, CURLOPT_USERAGENT, agent);
	CLIENT_SETOPT(rc, curl, CURLOPT_NOSIGNAL, 1L);
	CLIENT_SETOPT(rc, curl, CURLOPT_CONNECTTIMEOUT, CLIENT_CONNECT_TIMEOUT);
	if (x->write != NULL) {
		CLIENT_SETOPT(rc, curl, CURLOPT_WRITEFUNCTION, x->write);
		CLIENT_SETOPT(rc, curl, CURLOPT_WRITEDATA, x->arg);
	}
	if (x->stream) {
		CLIENT_SETOPT(rc, curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		CLIENT_SETOPT(rc, curl, CURLOPT_LOW_SPEED_TIME,
		    CLIENT_STREAM_IDLE);
	} else {
		CLIENT_SETOPT(rc, curl, CURLOPT_TIMEOUT,
		    c->timeout != 0 ? c->timeout : CLIENT_TIMEOUT);
	}
	if (post || x->body != NULL) {
		CLIENT_SETOPT(rc, curl, CURLOPT_POSTFIELDS,
		    x->body != NULL ? x->body : "");
		CLIENT_SETOPT(rc, curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->bodylen);
	}
	if (strcmp(x->method, "GET") != 0 && strcmp(x->method, "POST") != 0)
		CLIENT_SETOPT(rc, curl, CURLOPT_CUSTOMREQUEST, x->method);
	/* libcurl copied the strings; the header list must outlive it. */
	free(agent);
	free(url);
	*hp = h;
	return (rc);
}

int
client_setup(struct client *c, void *curl, const char *path,
    const char *accept, int64_t last_id, int stream,
    struct curl_slist **headers)
{
	struct client_xfer	 x;

	memset(&x, 0, sizeof x);
	x.method = "GET";
	x.path = path;
	x.accept = accept;
	x.last_id = last_id;
	x.stream = stream;
	if (client_setup_xfer(c, curl, &x, headers) != CURLE_OK)
		return (-1);
	return (0);
}

/* Sets up and performs one exchange; the body goes to x->write. */
static CURLcode
client_transfer(struct client *c, struct client_xfer *x)
{
	struct curl_slist	*h = NULL;
	CURLcode		 rc;
	CURL			*curl = c->curl;
	char			*url, *shown;
	double			 secs = 0;

	curl_easy_reset(curl);
	c->errbuf[0] = '\0';
	x->status = 0;
	rc = client_setup_xfer(c, curl, x, &h);
	CLIENT_SETOPT(rc, curl, CURLOPT_ERRORBUFFER, c->errbuf);
	if (c->stop != NULL) {
		CLIENT_SETOPT(rc, curl, CURLOPT_XFERINFOFUNCTION,
		    client_progress);
		CLIENT_SETOPT(rc, curl, CURLOPT_XFERINFODATA, c);
		CLIENT_SETOPT(rc, curl, CURLOPT_NOPROGRESS, 0L);
	}

	if (c->verbose) {
		url = client_url(c, x->path);
		shown = client_redact(url);
		fprintf(stderr, "%s: %s %s%s%s\n", c->progname, x->method, shown,
		    c->url == NULL ? " via " : "",
		    c->url == NULL ? c->where : "");
		free(shown);
		free(url);
	}
	if (rc == CURLE_OK)
		rc = curl_easy_perform(curl);
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &x->status) !=
	    CURLE_OK)
		x->status = 0;
	if (c->verbose) {
		if (curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &secs) !=
		    CURLE_OK)
			secs = 0;
		if (x->status != 0)
			fprintf(stderr, "%s: HTTP %ld in %.1f ms\n",
			    c->progname, x->status, secs * 1000);
		else
			fprintf(stderr, "%s: %s\n", c->progname,
			    curl_easy_strerror(rc));
	}
	c->status = x->status;
	curl_slist_free_all(h);
	return (rc);
}

/* curl's reason for a failure, without its final newline or period. */
static char *
client_curl_reason(int rc, const char *errbuf)
{
	char	*s, *shown;
	size_t	 len;

	s = xstrdup(errbuf != NULL && *errbuf != '\0' ? errbuf :
	    curl_easy_strerror((CURLcode)rc));
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '.'))
		s[--len] = '\0';
	shown = client_redact(s);
	free(s);
	return (shown);
}

int
client_curl_error(const struct client *c, int rc, const char *errbuf,
    struct ufo_error *err)
{
	char	*shown, *hint;
	int	 again = 1;

	shown = client_curl_reason(rc, errbuf);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		/* What to do about it depends on what failed. */
		if (strcasestr(shown, "host name") != NULL ||
		    strcasestr(shown, "hostname") != NULL)
			hint = xstrdup("");
		else if (c->ca_file != NULL)
			hint = xprintf(" (checked against the CA file %s)",
			    c->ca_file);
		else
			hint = xstrdup(" (a certificate of a private CA needs "
			    "--ca-file)");
		err_set(err, UFO_EUNAVAIL, "", "%s: certificate verify "
		    "failed: %s%s", c->where, shown, hint);
		free(hint);
		again = 0;
		break;
	case CURLE_SSL_CACERT_BADFILE:
		err_set(err, UFO_EUNAVAIL, "", "%s: cannot use the CA file "
		    "%s: %s", c->where, c->ca_file != NULL ? c->ca_file :
		    "(the system's)", shown);
		again = 0;
		break;
	case CURLE_SSL_CONNECT_ERROR:
		err_set(err, UFO_EUNAVAIL, "", "%s: TLS handshake failed: %s "
		    "(is it an HTTPS listener?)", c->where, shown);
		break;
	case CURLE_GOT_NOTHING:
		if (c->url != NULL && strncasecmp(c->url, "http:", 5) == 0) {
			err_set(err, UFO_EUNAVAIL, "", "%s: %s (an HTTPS "
			    "listener answers plain HTTP with nothing: try "
			    "https://)", c->where, shown);
			break;
		}
		/* FALLTHROUGH */
	default:
		err_set(err, UFO_EUNAVAIL, "", "%s: %s", c->where, shown);
		break;
	}
	free(shown);
	return (again);
}

/* Describes a failed transfer in err. */
static void
client_transport_error(struct client *c, CURLcode rc, struct ufo_error *err)
{
	char	*shown;
	long	 oserr = 0;

	c->unreachable = (rc == CURLE_COULDNT_CONNECT);
	if (rc == CURLE_COULDNT_CONNECT && c->url == NULL) {
		if (curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr) !=
		    CURLE_OK)
			oserr = 0;
		shown = client_curl_reason(rc, c->errbuf);
		err_set(err, UFO_EUNAVAIL, "", "cannot connect to ufod on "
		    "socket %s: %s", c->socket,
		    oserr != 0 ? strerror((int)oserr) : shown);
		free(shown);
	} else if (rc == CURLE_COULDNT_CONNECT) {
		shown = client_curl_reason(rc, c->errbuf);
		err_set(err, UFO_EUNAVAIL, "", "cannot connect to ufod at "
		    "%s: %s", c->url, shown);
		free(shown);
	} else if (rc == CURLE_WRITE_ERROR)
		err_set(err, UFO_EINTERNAL, "", "%s: answer too large",
		    c->where);
	else
		client_curl_error(c, rc, c->errbuf, err);
}

static void
client_pause(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Performs an exchange, starting ufod first when the Unix socket has no
 * listener (nothing there, or a stale socket file) and this client may.
 * A failed start still retries once: another ufo may have won the race
 * and started ufod at the same moment.
 */
static CURLcode
client_perform(struct client *c, struct client_xfer *x,
    struct ufo_error *err)
{
	struct ufo_error	 serr;
	CURLcode		 rc;
	int			 started, i;

	c->unreachable = 0;
	c->status = 0;
	rc = client_transfer(c, x);
	if (rc == CURLE_COULDNT_CONNECT && c->url == NULL && c->autostart &&
	    (c->stop == NULL || !*c->stop)) {
		c->autostart = 0;
		err_clear(&serr);
		started = client_start_server(c, &serr) == 0;
		for (i = 0; i < CLIENT_START_TRIES; i++) {
			rc = client_transfer(c, x);
			if (rc != CURLE_COULDNT_CONNECT || !started)
				break;
			client_pause(CLIENT_START_PAUSE_MS);
		}
		if (rc == CURLE_COULDNT_CONNECT && !started) {
			c->unreachable = 1;
			if (err != NULL)
				*err = serr;
			return (rc);
		}
	}
	if (rc != CURLE_OK)
		client_transport_error(c, rc, err);
	return (rc);
}

/* The first line of a non-JSON answer, printable, for a message. */
static char *
client_snippet(const char *data, size_t len)
{
	size_t	 i, n;
	char	*s;

	s = xmalloc(121);
	for (i = n = 0; i < len && n < 120; i++) {
		if (data[i] == '\n' || data[i] == '\r') {
			if (n > 0)
				break;
			continue;
		}
		s[n++] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '?';
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	s[n] = '\0';
	return (s);
}

/* Fills err from a failed answer: the API's error object, or the status. */
static int
client_api_error(struct client *c, long status, const char *data,
    size_t len, struct ufo_error *err)
{
	struct json_object	*obj = NULL, *e;
	const char		*msg = NULL, *code, *field;
	enum ufo_err		 ec;
	char			*shown;

	if (len > 0)
		obj = jsonx_parse(data, len, NULL);
	if (obj != NULL && json_object_object_get_ex(obj, "error", &e) &&
	    (msg = jsonx_str(e, "message")) != NULL) {
		code = jsonx_str(e, "code");
		field = jsonx_str(e, "field");
		ec = err_from_name(code);
		if (ec == UFO_EINTERNAL && (code == NULL ||
		    strcmp(code, "internal") != 0))
			ec = err_from_status((int)status);
		shown = client_redact(msg);
		if (status == 401 && c->url != NULL && c->token == NULL)
			err_set(err, ec, field, "%s (give a token with --token "
			    "or UFO_TOKEN)", shown);
		else
			err_set(err, ec, field, "%s", shown);
		free(shown);
	} else {
		shown = client_snippet(data, len);
		if (*shown != '\0')
			err_set(err, err_from_status((int)status), "", "%s "
			    "answered HTTP %ld: %s", c->where, status, shown);
		else
			err_set(err, err_from_status((int)status), "", "%s "
			    "answered HTTP %ld", c->where, status);
		free(shown);
	}
	json_object_put(obj);
	return (-1);
}

int
client_request(struct client *c, const char *method, const char *path,
    struct json_object *body, struct json_object **out,
    struct ufo_error *err)
{
	const char	*s;

	if (body == NULL) {
		return (client_request_raw(c, method, path, NULL, 0, NULL, out,
		    err));
	}
	s = jsonx_compact(body);
	return (client_request_raw(c, method, path, s, strlen(s),
	    "application/json", out, err));
}

int
client_request_raw(struct client *c, const char *method, const char *path,
    const void *body, size_t bodylen, const char *ctype,
    struct json_object **out, struct ufo_error *err)
{
	struct client_buf	 buf = { .max = CLIENT_MAX_RESPONSE };
	struct client_xfer	 x;
	struct json_object	*obj;
	struct ufo_error	 perr;
	int			 rc = 0;

	if (out != NULL)
		*out = NULL;
	memset(&x, 0, sizeof x);
	x.method = method;
	x.path = path;
	x.body = body;
	x.bodylen = bodylen;
	x.ctype = ctype;
	x.accept = "application/json";
	x.write = client_write_buf;
	x.arg = &buf;

	if (client_perform(c, &x, err) != CURLE_OK) {
		client_buf_free(&buf);
		return (-1);
	}
	if (x.status < 200 || x.status > 299)
		rc = client_api_error(c, x.status, buf.data, buf.len, err);
	else if (buf.len > 0) {
		if ((obj = jsonx_parse(buf.data, buf.len, &perr)) == NULL)
			rc = err_set(err, UFO_EINTERNAL, "", "%s answered HTTP "
			    "%ld with a body that is not JSON: %s", c->where,
			    x.status, perr.message);
		else if (out != NULL)
			*out = obj;
		else
			json_object_put(obj);
	}
	client_buf_free(&buf);
	return (rc);
}

int
client_fetch(struct client *c, const char *path, char **data, size_t *len,
    struct ufo_error *err)
{
	struct client_buf	 buf = { .max = CLIENT_MAX_RESPONSE };
	struct client_xfer	 x;
	int			 rc = 0;

	*data = NULL;
	*len = 0;
	memset(&x, 0, sizeof x);
	x.method = "GET";
	x.path = path;
	x.accept = "*/*";
	x.write = client_write_buf;
	x.arg = &buf;
	if (client_perform(c, &x, err) != CURLE_OK) {
		client_buf_free(&buf);
		return (-1);
	}
	if (x.status < 200 || x.status > 299) {
		rc = client_api_error(c, x.status, buf.data, buf.len, err);
		client_buf_free(&buf);
		return (rc);
	}
	/* The buffer is ours now; an empty answer is an empty string. */
	*data = buf.data != NULL ? buf.data : xstrdup("");
	*len = buf.len;
	return (0);
}

int
client_get(struct client *c, const char *path, struct json_object **out,
    struct ufo_error *err)
{
	return (client_request(c, "GET", path, NULL, out, err));
}

int
client_list(struct client *c, const char *path, int all,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*result, *page = NULL, *items;
	const char		*next;
	char			*before = NULL, *p;
	size_t			 i, n;
	int			 rc = 0;

	result = json_object_new_array();
	for (;;) {
		p = xstrdup(path);
		if (before != NULL)
			client_query_add(&p, "before", before);
		rc = client_get(c, p, &page, err);
		free(p);
		if (rc == -1)
			break;
		if (page == NULL ||
		    !json_object_object_get_ex(page, "items", &items) ||
		    !json_object_is_type(items, json_type_array)) {
			rc = err_set(err, UFO_EINTERNAL, "", "%s: the answer "
			    "to GET %s has no \"items\" list", c->where, path);
			break;
		}
		n = json_object_array_length(items);
		for (i = 0; i < n; i++) {
			json_object_array_add(result, json_object_get(
			    json_object_array_get_idx(items, i)));
		}
		next = jsonx_str(page, "next");
		if (!all || next == NULL || n == 0)
			break;
		if (before != NULL && strcmp(before, next) == 0) {
			rc = err_set(err, UFO_EINTERNAL, "", "%s: GET %s "
			    "returned the same page twice", c->where, path);
			break;
		}
		free(before);
		before = xstrdup(next);
		json_object_put(page);
		page = NULL;
	}
	json_object_put(page);
	free(before);
	if (rc == -1) {
		json_object_put(result);
		*out = NULL;
		return (-1);
	}
	*out = result;
	return (0);
}

/* Hands the event gathered so far to the callback (a blank line). */
static int
client_sse_dispatch(struct client_sse *s)
{
	int	 rc = 0;

	if (s->data.len > 0) {
		/* Every data line added a newline; the last one is not data. */
		s->data.data[--s->data.len] = '\0';
		if (s->id > 0)
			s->last_id = s->id;
		rc = s->cb(s->id, s->event != NULL ? s->event : "message",
		    s->data.data, s->arg, s->err);
	}
	s->data.len = 0;
	free(s->event);
	s->event = NULL;
	s->id = 0;
	return (rc);
}

/* One line of the stream, as the EventSource rules read it. */
static int
client_sse_line(struct client_sse *s)
{
	char		*line, *value, *end;
	long long	 id;

	if (s->line.len == 0)
		return (client_sse_dispatch(s));
	line = s->line.data;
	if (line[0] == ':')
		return (0);
	if ((value = strchr(line, ':')) != NULL) {
		*value++ = '\0';
		if (*value == ' ')
			value++;
	} else
		value = line + strlen(line);
	if (strcmp(line, "data") == 0) {
		if (client_buf_add(&s->data, value, strlen(value)) == -1 ||
		    client_buf_add(&s->data, "\n", 1) == -1)
			return (err_set(s->err, UFO_EINTERNAL, "", "event "
			    "stream: event too large"));
	} else if (strcmp(line, "event") == 0) {
		free(s->event);
		s->event = xstrdup(value);
	} else if (strcmp(line, "id") == 0) {
		errno = 0;
		id = strtoll(value, &end, 10);
		if (errno == 0 && end != value && *end == '\0' && id > 0)
			s->id = id;
	}
	return (0);
}

static void
client_sse_init(struct client_sse *s, client_event_cb cb, void *arg)
{
	memset(s, 0, sizeof *s);
	s->line.max = CLIENT_MAX_LINE;
	s->data.max = CLIENT_MAX_LINE;
	s->cb = cb;
	s->arg = arg;
}

struct client_sse *
client_sse_create(client_event_cb cb, void *arg)
{
	struct client_sse	*s;

	s = xmalloc(sizeof *s);
	client_sse_init(s, cb, arg);
	return (s);
}

void
client_sse_reset(struct client_sse *s)
{
	s->cr = 0;
	s->line.len = 0;
	s->data.len = 0;
	free(s->event);
	s->event = NULL;
	s->id = 0;
}

static void
client_sse_clear(struct client_sse *s)
{
	client_buf_free(&s->line);
	client_buf_free(&s->data);
	free(s->event);
	s->event = NULL;
}

void
client_sse_free(struct client_sse *s)
{
	if (s == NULL)
		return;
	client_sse_clear(s);
	free(s);
}

int
client_sse_feed(struct client_sse *s, const char *p, size_t len,
    struct ufo_error *err)
{
	size_t	 i, run;

	s->err = err;
	for (i = 0; i < len; i += run) {
		if (p[i] == '\n' || p[i] == '\r') {
			/* "\r\n" is one line end, even split across writes. */
			if (!(p[i] == '\n' && s->cr)) {
				if (client_sse_line(s) == -1)
					return (-1);
				s->line.len = 0;
			}
			s->cr = (p[i] == '\r');
			run = 1;
			continue;
		}
		s->cr = 0;
		for (run = 0; i + run < len && p[i + run] != '\n' &&
		    p[i + run] != '\r'; run++)
			;
		if (client_buf_add(&s->line, p + i, run) == -1)
			return (err_set(err, UFO_EINTERNAL, "", "event stream: "
			    "line too long"));
	}
	return (0);
}

static size_t
client_sse_write(char *p, size_t size, size_t n, void *arg)
{
	struct client_sse_conn	*s = arg;
	size_t			 len = size * n;
	char			*ct = NULL;

	if (s->status == 0) {
		if (curl_easy_getinfo(s->c->curl, CURLINFO_RESPONSE_CODE,
		    &s->status) != CURLE_OK || s->status == 0)
			s->status = -1;
		if (curl_easy_getinfo(s->c->curl, CURLINFO_CONTENT_TYPE,
		    &ct) != CURLE_OK)
			ct = NULL;
		if (s->status == 200 && (ct == NULL ||
		    strncasecmp(ct, "text/event-stream", 17) != 0))
			s->notstream = 1;
	}
	if (s->status != 200 || s->notstream) {
		if (client_buf_add(&s->body, p, len) == -1)
			return (0);
		return (len);
	}
	if (client_sse_feed(&s->sse, p, len, s->sse.err) == -1) {
		s->failed = 1;
		return (0);
	}
	return (len);
}

/* Transport failures worth another connection, not a broken setup. */
static int
client_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return (1);
	default:
		return (0);
	}
}

enum client_stream_end
client_stream(struct client *c, const char *path, int64_t *last_id,
    client_event_cb cb, void *arg, struct ufo_error *err)
{
	struct client_sse_conn	 s;
	struct client_xfer	 x;
	struct ufo_error	 terr;
	enum client_stream_end	 end;
	CURLcode		 rc;

	memset(&s, 0, sizeof s);
	s.c = c;
	s.body.max = CLIENT_MAX_RESPONSE;
	client_sse_init(&s.sse, cb, arg);
	s.sse.err = err;

	memset(&x, 0, sizeof x);
	x.method = "GET";
	x.path = path;
	x.accept = "text/event-stream";
	x.last_id = *last_id;
	x.stream = 1;
	x.write = client_sse_write;
	x.arg = &s;

	err_clear(&terr);
	rc = client_perform(c, &x, &terr);
	if (s.sse.last_id > 0)
		*last_id = s.sse.last_id;
	if (s.failed) {
		/* The callback or the parser filled err. */
		end = CLIENT_STREAM_ERROR;
	} else if (c->stop != NULL && *c->stop)
		end = CLIENT_STREAM_STOPPED;
	else if (s.status > 0 && s.status != 200) {
		client_api_error(c, s.status, s.body.data, s.body.len, err);
		end = CLIENT_STREAM_ERROR;
	} else if (s.notstream) {
		err_set(err, UFO_EINTERNAL, "", "%s did not answer GET %s "
		    "with an event stream", c->where, path);
		end = CLIENT_STREAM_ERROR;
	} else if (rc != CURLE_OK) {
		if (err != NULL)
			*err = terr;
		end = (client_transient(rc) || s.status == 200) ?
		    CLIENT_STREAM_LOST : CLIENT_STREAM_ERROR;
	} else
		end = CLIENT_STREAM_CLOSED;

	client_sse_clear(&s.sse);
	client_buf_free(&s.body);
	return (end);
}

/* Where the ufod to start lives; see the search order in ufo(1). */
static char *
client_ufod_path(void)
{
	const char	*env;
	char		 self[PATH_MAX], *p, *path;
	ssize_t		 n;

	if ((env = getenv("UFOD")) != NULL && *env != '\0')
		return (xstrdup(env));
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		if ((p = strrchr(self, '/')) != NULL) {
			*p = '\0';
			path = xprintf("%s/ufod", self);
			if (access(path, X_OK) == 0)
				return (path);
			free(path);
			/* Run from the build tree: tui/ufo next to src/ufod. */
			path = xprintf("%s/../src/ufod", self);
			if (access(path, X_OK) == 0)
				return (path);
			free(path);
		}
	}
	if (access(UFO_SBINDIR "/ufod", X_OK) == 0)
		return (xstrdup(UFO_SBINDIR "/ufod"));
	return (xstrdup("ufod"));
}

/*
 * Collects what the starting ufod writes on stderr until it exits (or
 * closes it), so a successful start stays silent like tmux and a failed
 * one can show ufod's own reason. Reading while waiting means a chatty
 * ufod never blocks on a full pipe.
 */
static int
client_start_wait(pid_t pid, int fd, struct client_buf *out, int *status)
{
	struct pollfd	 pfd;
	char		 chunk[4096];
	ssize_t		 n;
	pid_t		 r;
	int		 exited = 0, reading = 1;

	while (reading) {
		if (!exited) {
			if ((r = waitpid(pid, status, WNOHANG)) == -1 &&
			    errno != EINTR)
				return (-1);
			if (r == pid) {
				exited = 1;
				/* Drain what is there; a daemon may keep it. */
				if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
					break;
			}
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, exited ? 0 : 100) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (pfd.revents == 0) {
			reading = !exited;
			continue;
		}
		if ((n = read(fd, chunk, sizeof chunk)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			reading = 0;
		else
			client_buf_add(out, chunk, (size_t)n);
	}
	while (!exited) {
		if ((r = waitpid(pid, status, 0)) == pid)
			exited = 1;
		else if (r == -1 && errno != EINTR)
			return (-1);
	}
	return (0);
}

int
client_start_server(struct client *c, struct ufo_error *err)
{
	posix_spawn_file_actions_t	 fa;
	struct client_buf		 out = { .max = 65536 };
	char				*path, *argv[6];
	pid_t				 pid;
	int				 rc, status, fds[2];

	if (c->url != NULL)
		return (err_set(err, UFO_EINVAL, "", "cannot start ufod: %s "
		    "is a remote server", c->url));
	path = client_ufod_path();
	argv[0] = path;
	/* Like tmux's server, and with a rover so runs need no set-up. */
	argv[1] = (char *)"-d";
	argv[2] = (char *)"-R";
	argv[3] = (char *)"-s";
	argv[4] = c->socket;
	argv[5] = NULL;
	if (c->verbose)
		fprintf(stderr, "ufo: starting %s -d -R -s %s\n", path,
		    c->socket);
	if (pipe2(fds, O_CLOEXEC) == -1) {
		free(path);
		return (err_set(err, UFO_EINTERNAL, "", "cannot start ufod: "
		    "pipe: %s", strerror(errno)));
	}

	/*
	 * ufod gets no stdin or stdout of ours: a daemon holding our stdout
	 * would keep `$(ufo …)` waiting forever. Its stderr is a pipe to us.
	 */
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		close(fds[0]);
		close(fds[1]);
		free(path);
		return (err_set(err, UFO_EINTERNAL, "", "cannot start ufod: "
		    "%s", strerror(rc)));
	}
	if ((rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
	    "/dev/null", O_RDONLY, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
	    "/dev/null", O_WRONLY, 0)) == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, fds[1],
		    STDERR_FILENO);
	if (rc == 0) {
		if (strchr(path, '/') != NULL)
			rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
		else
			rc = posix_spawnp(&pid, path, &fa, NULL, argv, environ);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		err_set(err, UFO_EUNAVAIL, "", "cannot start ufod: %s: %s",
		    path, strerror(rc));
		free(path);
		return (-1);
	}

	/* ufod -d returns once its daemon listens, or fails saying why. */
	if (client_start_wait(pid, fds[0], &out, &status) == -1) {
		rc = err_set(err, UFO_EINTERNAL, "", "cannot start ufod: %s",
		    strerror(errno));
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		rc = err_set(err, UFO_EUNAVAIL, "", "cannot start ufod: %s "
		    "exited with status %d", path, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		rc = err_set(err, UFO_EUNAVAIL, "", "cannot start ufod: %s "
		    "killed by signal %d", path, WTERMSIG(status));
	close(fds[0]);
	if ((rc != 0 || c->verbose) && out.len > 0) {
		fwrite(out.data, 1, out.len, stderr);
		if (out.data[out.len - 1] != '\n')
			fputc('\n', stderr);
	}
	client_buf_free(&out);
	free(path);
	return (rc);
}

static void
client_escape(struct client_buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 enc[3];

	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL) {
			client_buf_add(b, s, 1);
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[(unsigned char)*s >> 4];
		enc[2] = hex[(unsigned char)*s & 0xf];
		client_buf_add(b, enc, 3);
	}
}

char *
client_path(const char *fmt, ...)
{
	struct client_buf	 b = { 0 };
	va_list			 ap;
	const char		*s;

	va_start(ap, fmt);
	for (s = fmt; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] == 's') {
			client_escape(&b, va_arg(ap, const char *));
			s++;
		} else
			client_buf_add(&b, s, 1);
	}
	va_end(ap);
	if (b.data == NULL)
		return (xstrdup(""));
	return (b.data);
}

void
client_query_add(char **path, const char *name, const char *value)
{
	struct client_buf	 b = { 0 };

	client_buf_add(&b, *path, strlen(*path));
	client_buf_add(&b, strchr(*path, '?') != NULL ? "&" : "?", 1);
	client_escape(&b, name);
	client_buf_add(&b, "=", 1);
	client_escape(&b, value);
	free(*path);
	*path = b.data;
}
