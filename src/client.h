/*
 * The client side of the API, shared by ufo and ufo-rover: JSON (or raw)
 * requests to ufod over its Unix socket or over HTTP(S) with a bearer
 * token, the event stream, and starting a local ufod when none answers
 * (like tmux starts its server; only ufo asks for that).
 *
 * One struct client holds one curl handle: use it from one thread at a
 * time. client_global_init runs once, before any thread starts.
 */
#ifndef UFO_CLIENT_H
#define UFO_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

struct client;
struct client_sse;
struct curl_slist;

struct client_config {
	const char	*socket;	/* Unix socket path, when url is NULL */
	/* http(s)://host[:port] of a ufod, or unix:/path/to/ufod.sock */
	const char	*url;
	const char	*token;		/* bearer token for url */
	const char	*fleet;		/* Ufo-Fleet header, or NULL */
	/* PEM CAs that verify an https url, instead of the system's. */
	const char	*ca_file;
	const char	*progname;	/* User-Agent and -v lines; NULL: "ufo" */
	/* Extra "Name: value" header lines for every request, NULL-ended. */
	const char *const *headers;
	int		 bearer_always;	/* send the token on the socket too */
	int		 verbose;	/* log requests on stderr */
	int		 autostart;	/* start ufod when the socket is dead */
};

/* How one event stream connection ended. */
enum client_stream_end {
	CLIENT_STREAM_STOPPED,		/* *stop was set */
	CLIENT_STREAM_CLOSED,		/* the server ended it */
	CLIENT_STREAM_LOST,		/* transport failure: try again */
	CLIENT_STREAM_ERROR		/* refused: do not try again */
};

/*
 * Called per event with its id (0 when it had none), kind and data;
 * returning -1 (with the error filled) ends the stream.
 */
typedef int	(*client_event_cb)(int64_t, const char *, const char *,
		    void *, struct ufo_error *);

int		 client_global_init(void);
void		 client_global_free(void);

struct client	*client_create(const struct client_config *);
void		 client_free(struct client *);
void		 client_set_autostart(struct client *, int);
void		 client_set_stop(struct client *, volatile sig_atomic_t *);
int		 client_local(const struct client *);
const char	*client_socket(const struct client *);
/* "socket PATH" or the URL, for messages. */
const char	*client_where(const struct client *);
/* Whether the last failure was that nothing answered at all. */
int		 client_unreachable(const struct client *);
/*
 * Describes in err a transfer of c's that failed with curl's code and
 * error buffer (which may be empty): certificate failures say so, naming
 * the server and curl's reason. Returns 0 when asking again cannot help
 * (a certificate refused), 1 when it may.
 */
int		 client_curl_error(const struct client *, int, const char *,
		     struct ufo_error *);
/* HTTP status of the last exchange; 0 when nothing answered. */
long		 client_status(const struct client *);
/*
 * Total time limit in seconds of the requests that follow (a long-poll
 * waits longer than a plain request); 0 restores the default.
 */
void		 client_set_timeout(struct client *, long);

/*
 * One request: path is below /api/v1 and already escaped (client_path);
 * body may be NULL. On success *out (when out is not NULL) is the parsed
 * answer or NULL for an empty one. On failure err holds the API's message
 * or what went wrong with the transport.
 */
int		 client_request(struct client *, const char *, const char *,
		     struct json_object *, struct json_object **,
		     struct ufo_error *);
/* Same, with a body of raw bytes of the given Content-Type. */
int		 client_request_raw(struct client *, const char *,
		     const char *, const void *, size_t, const char *,
		     struct json_object **, struct ufo_error *);
/* A GET whose answer is bytes (an artifact); *data is allocated. */
int		 client_fetch(struct client *, const char *, char **, size_t *,
		     struct ufo_error *);
int		 client_get(struct client *, const char *,
		     struct json_object **, struct ufo_error *);
/*
 * A list: the "items" of every page, following "next" until it is null
 * when all is set, else only the first page.
 */
int		 client_list(struct client *, const char *, int,
		     struct json_object **, struct ufo_error *);

/* One connection of the SSE event stream; *last_id is kept current. */
enum client_stream_end client_stream(struct client *, const char *,
		     int64_t *, client_event_cb, void *, struct ufo_error *);

/*
 * For transfers of one's own (a curl multi): sets up the easy handle curl
 * (a CURL *) for a GET of path exactly as client's requests are (socket or
 * URL, token, fleet, user agent), with accept, a Last-Event-ID when
 * last_id is not 0, and no total time limit when stream is set. The
 * caller sets the write callback and frees *headers after the transfer.
 */
int		 client_setup(struct client *, void *, const char *,
		     const char *, int64_t, int, struct curl_slist **);

/*
 * The event stream parser of client_stream, fed bytes as they come: cb
 * gets each complete event. client_sse_feed answers -1 (err filled) when
 * a line is too long or cb refused; client_sse_reset forgets a partial
 * event, for a new connection.
 */
struct client_sse *client_sse_create(client_event_cb, void *);
int		 client_sse_feed(struct client_sse *, const char *, size_t,
		     struct ufo_error *);
void		 client_sse_reset(struct client_sse *);
void		 client_sse_free(struct client_sse *);

/* Starts `ufod -d -s SOCKET` and waits until it listens. */
int		 client_start_server(struct client *, struct ufo_error *);

/*
 * Builds a path: every "%s" of the format takes one string argument,
 * percent-encoded so that ids and codes cannot change the path.
 */
char		*client_path(const char *, ...);
/* Appends "?name=value" or "&name=value" (value encoded) to a path. */
void		 client_query_add(char **, const char *, const char *);

#endif
