/*
 * The HTTP/JSON API: one table of routes (method, path pattern, handler,
 * flags) shared by the Unix-socket and TCP listeners. Handlers read a parsed
 * request and fill a response; the server does the transport, auth and
 * errors.
 */
#ifndef UFO_API_H
#define UFO_API_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"
#include "store.h"

#define API_MAX_PARAMS	4

struct server;
struct api_request;
struct api_response;

/* What a handler returns. */
#define API_DONE	0	/* the response is filled */
#define API_ERROR	(-1)	/* *err is filled */
#define API_PARKED	1	/* parked: called again when woken */

/* Why a parked request was called again. */
#define API_WOKEN_EVENT		1
#define API_WOKEN_TIMEOUT	2
#define API_WOKEN_SHUTDOWN	3
#define API_WOKEN_GONE		4	/* the client hung up */
#define API_WOKEN_DONE		5	/* the write it deferred to is done */

typedef int (*api_handler)(struct api_request *, struct api_response *,
		struct ufo_error *);

/* Route flags. */
#define API_PUBLIC	0x1	/* answers without a user or rover token */
#define API_ROVER	0x2	/* the rover protocol: rover token, version */
#define API_RAW		0x4	/* the body is bytes, not JSON (artifacts) */
#define API_ADMIN	0x8	/* the caller is admin or owner of the fleet */
#define API_OWNER	0x10	/* the caller is owner of the fleet */
#define API_SERVER	0x20	/* the whole server: owners of the default fleet */
#define API_SECRET	0x40	/* the body holds a secret: wiped after use */
#define API_INLINE	0x80	/* never waits: runs on the HTTP thread; */
				/* only such a handler defers or parks */

/* Largest raw body (an artifact such as a diff). */
#define API_MAX_RAW_BODY	(64 * 1024 * 1024)

struct api_route {
	const char	*method;
	const char	*pattern;	/* "/operations/{op}/comments" */
	api_handler	 handler;
	int		 flags;
};

struct api_request {
	struct server		*server;
	struct store		*store;
	void			*conn;		/* the server's connection */
	const char		*method;
	const char		*path;		/* below /api/v1 */
	const char		*params[API_MAX_PARAMS];
	struct json_object	*body;		/* {} when the request had none */
	const char		*raw;		/* API_RAW routes: the bytes */
	size_t			 raw_len;
	struct store_actor	 actor;
	struct store_rover	 rover;		/* API_ROVER routes */
	int			 local;		/* on the Unix socket */
	int			 event_stream;	/* Accept: text/event-stream */
	int			 woken;		/* API_WOKEN_*, 0 on first call */
	uint64_t		 deadline;	/* handler scratch for parking */
	int64_t			 seen;		/* the same */
	/* A deferred write (api_defer) and what it answers, for the call
	 * that follows it; what is left there is freed with the request. */
	struct store_async	*async;
	char			*text;
	struct store_claim	 claim;
};

/*
 * A streamed body (server-sent events): fill returns the next bytes to send
 * (allocated), NULL when nothing new is there yet; the server then parks the
 * connection on wait_kind/wait_key (see waiter.h) until woken or the
 * keepalive interval. Setting *done ends the stream after those bytes.
 */
struct api_stream {
	char		*(*fill)(void *, int *, struct ufo_error *);
	void		 (*free)(void *);
	void		 *cls;
	int		  wait_kind;
	const char	 *wait_key;	/* owned by cls */
};

struct api_response {
	int			 status;	/* 200 unless set */
	struct json_object	*json;		/* owned by the response */
	struct api_stream	 stream;	/* used when stream.fill != NULL */
	void			*raw;		/* raw body instead (malloc'd) */
	size_t			 raw_len;
	const char		*content_type;	/* of raw */
	/*
	 * Called, with cls, when the answer was committed but could not be
	 * delivered (the client hung up); the server frees cls either way.
	 */
	void			 (*undelivered)(struct api_request *, void *);
	void			*undelivered_cls;
	/* The raw answer holds a secret: its bytes are wiped once sent. */
	int			 secret;
};

extern const struct api_route	api_routes[];
extern const size_t		api_nroutes;

/*
 * Defers the answer to a write, so that the thread serves other connections
 * meanwhile instead of waiting for the COMMIT: the handler passes what this
 * returns to a store function that takes a store_async, and returns
 * API_PARKED; it is called again, woken API_WOKEN_DONE, when the write is
 * done. api_deferred then gives the write's rc, its error in *err.
 */
struct store_async *api_defer(struct api_request *);
int		 api_deferred(struct api_request *, struct ufo_error *);
/* The same, and the text the write left in req->text as the answer. */
int		 api_deferred_text(struct api_request *, struct api_response *,
		     struct ufo_error *);

/* Query parameter of the request, NULL when absent. */
const char	*api_query(struct api_request *, const char *);
/* Integer query parameter within [min, max], dflt when absent. */
int		 api_query_int(struct api_request *, const char *, int64_t,
		     int64_t, int64_t, int64_t *, struct ufo_error *);
/* Passes rc through, making a success answer 201 Created. */
int		 api_created(int, struct api_response *);
int		 api_text(int, char *, struct api_response *);
/* Where a subscriber resumes: Last-Event-ID, else ?since=, else 0. */
int		 api_since(struct api_request *, int64_t *, struct ufo_error *);
/* Appends one server-sent event to an allocated string (NULL to start). */
void		 api_sse_append(char **, int64_t, const char *, const char *);
/* A request header, NULL when absent. */
const char	*api_header(struct api_request *, const char *);

/* Handlers, one file per resource. */
int	api_health(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_server_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_server_shutdown(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_fleets_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_members_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_events_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_missions_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_missions_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_missions_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_missions_update(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_update(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_move(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_archive(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_unarchive(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ops_labels(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_comments_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_comments_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_relations_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_relations_delete(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_labels_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_labels_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_pilots_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_pilots_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_pilots_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_pilots_update(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_crews_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_crews_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_credentials_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_credentials_set(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_credentials_remove(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_login(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_password_set(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_fleets_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_fleets_rename(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_fleets_delete(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_members_update(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_members_remove(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_invitations_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_invitations_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_invitations_revoke(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_invitations_accept(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_tokens_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_tokens_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_tokens_revoke(struct api_request *, struct api_response *,
	    struct ufo_error *);

int	api_runs_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_runs_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_runs_messages(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_runs_artifact(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_runs_cancel(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_runs_retry(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rovers_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rovers_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rovers_update(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rovers_revoke(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_codes_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ssh_key_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ssh_hosts_create(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ssh_hosts_get(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ssh_hosts_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_ssh_hosts_remove(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_signals_list(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_signals_read(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_enroll(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_claim(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_heartbeat(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_start(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_messages(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_artifact(struct api_request *, struct api_response *,
	    struct ufo_error *);
int	api_rover_finish(struct api_request *, struct api_response *,
	    struct ufo_error *);

#endif
