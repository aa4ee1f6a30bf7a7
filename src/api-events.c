#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "jsonx.h"
#include "server.h"
#include "waiter.h"
#include "xmalloc.h"

#define EVENTS_WAIT_DEFAULT	30
#define EVENTS_WAIT_MAX		300
#define EVENTS_PAGE		100

/* The state of one server-sent event stream. */
struct events_stream {
	struct store		*store;
	struct store_actor	 actor;
	int64_t			 since;
	int			 started;
};

static char *
events_stream_fill(void *cls, int *done, struct ufo_error *err)
{
	struct events_stream	*es = cls;
	struct json_object	*items, *ev;
	char			*out = NULL;
	int64_t			 last;
	size_t			 i, n;

	(void)done;
	if (store_event_list(es->store, &es->actor, es->since, EVENTS_PAGE,
	    &items, &last, err) == -1)
		return (NULL);
	n = json_object_array_length(items);
	if (!es->started) {
		/* Something to send at once, so the client sees the headers. */
		es->started = 1;
		out = xstrdup("retry: 2000\n\n");
	}
	for (i = 0; i < n; i++) {
		ev = json_object_array_get_idx(items, i);
		es->since = jsonx_int(ev, "id", es->since);
		api_sse_append(&out, es->since, jsonx_str(ev, "kind"),
		    jsonx_compact(ev));
	}
	/* Past the other fleets' events too. */
	es->since = last;
	json_object_put(items);
	return (out);
}

static void
events_stream_free(void *cls)
{
	free(cls);
}

int
api_events_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	struct events_stream	*es;
	struct json_object	*items;
	int64_t			 since, limit, wait, seen, last;

	if (api_since(req, &since, err) == -1 ||
	    api_query_int(req, "limit", EVENTS_PAGE, 1, 1000, &limit,
	    err) == -1 ||
	    api_query_int(req, "wait", EVENTS_WAIT_DEFAULT, 0, EVENTS_WAIT_MAX,
	    &wait, err) == -1)
		return (API_ERROR);

	if (req->event_stream) {
		es = xcalloc(1, sizeof *es);
		es->store = req->store;
		es->actor = req->actor;
		es->since = since;
		resp->stream.fill = events_stream_fill;
		resp->stream.free = events_stream_free;
		resp->stream.cls = es;
		resp->stream.wait_kind = WAITER_EVENTS;
		return (API_DONE);
	}

	if (req->deadline == 0)
		req->deadline = waiter_now() + (uint64_t)wait * 1000;
	for (;;) {
		seen = waiter_generation(WAITER_EVENTS);
		if (store_event_list(req->store, &req->actor, since, limit,
		    &items, &last, err) == -1)
			return (API_ERROR);
		if (json_object_array_length(items) > 0 || wait == 0 ||
		    req->woken == API_WOKEN_TIMEOUT ||
		    req->woken == API_WOKEN_SHUTDOWN ||
		    req->woken == API_WOKEN_GONE ||
		    waiter_now() >= req->deadline)
			break;
		json_object_put(items);
		/* Woken, it reads on from there. */
		since = last;
		if (server_park(req, WAITER_EVENTS, NULL, seen,
		    req->deadline) == API_PARKED)
			return (API_PARKED);
	}
	resp->json = json_object_new_object();
	json_object_object_add(resp->json, "items", items);
	json_object_object_add(resp->json, "last", json_object_new_int64(last));
	return (API_DONE);
}
