/*
 * The board's network: requests and event streams that run on one curl
 * multi handle inside the board's main loop, beside the keyboard. Nothing
 * here blocks and no thread draws: net_wait sleeps until the keyboard or a
 * transfer has something, and net_run hands what arrived to the callbacks,
 * from the main loop.
 *
 * Plain actions (create, move, comment, …) do not come here: they use the
 * synchronous client_request of client.h, like the CLI.
 */
#ifndef UFO_NET_H
#define UFO_NET_H

#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

struct client;
struct net;
struct net_stream;

/* A GET's answer: body is NULL on failure (err says why); not owned. */
typedef void	(*net_get_cb)(void *, struct json_object *,
		    const struct ufo_error *);
/* One server-sent event: its id (0 when none), its kind, its data. */
typedef void	(*net_event_cb)(void *, int64_t, const char *, const char *);

/* How a stream stands, for the status line. */
enum net_state {
	NET_CONNECTING,
	NET_CONNECTED,
	NET_RETRYING,		/* lost; reconnects by itself after a delay */
	NET_FAILED,		/* refused (e.g. 401): does not retry */
	NET_ENDED		/* the server ended it ("end" event or EOF) */
};
typedef void	(*net_state_cb)(void *, enum net_state,
		    const struct ufo_error *);

/* Transfers are set up like client's (socket or URL, token, fleet). */
struct net	*net_create(struct client *);
void		 net_free(struct net *);

/*
 * Waits up to timeout_ms (-1: no limit) for input on fd (the keyboard)
 * or for a transfer; 1 when fd is readable, 0 otherwise.
 */
int		 net_wait(struct net *, int, int);
/* Runs the transfers and calls back what completed or arrived. */
void		 net_run(struct net *);

/* An asynchronous GET of path (below /api/v1); cb is called once. */
int		 net_get(struct net *, const char *, net_get_cb, void *,
		     struct ufo_error *);

/*
 * An event stream of path (Accept: text/event-stream), resumed after a
 * drop with Last-Event-ID from the last id seen. With reconnect set it is
 * opened again after a loss, with a growing delay (0.1 s to 5 s); without,
 * a loss ends it. Closed by net_stream_close (no callback after that).
 */
struct net_stream *net_stream_open(struct net *, const char *, int64_t,
		     int, net_event_cb, net_state_cb, void *);
void		 net_stream_close(struct net_stream *);
int64_t		 net_stream_last_id(const struct net_stream *);

#endif
