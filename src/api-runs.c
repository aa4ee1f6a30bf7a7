#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ssh.h"
#include "jsonx.h"
#include "server.h"
#include "waiter.h"
#include "xmalloc.h"

#define MESSAGES_PAGE		500
#define FOLLOW_WAIT_DEFAULT	30
#define FOLLOW_WAIT_MAX		300

/* One follower of a run's telemetry over server-sent events. */
struct follow_stream {
	struct store		*store;
	struct store_actor	 actor;
	char			*run;
	int64_t			 since;
	int			 started;
};

int
api_runs_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	struct store_run_filter	 f = { 0 };

	f.operation = api_query(req, "operation");
	f.status = api_query(req, "status");
	f.before = api_query(req, "before");
	if (api_query_int(req, "limit", 100, 1, 1000, &f.limit, err) == -1)
		return (API_ERROR);
	return (store_run_list(req->store, &req->actor, &f, &resp->json, err));
}

int
api_runs_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_run_get(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

/* Sends what is new, then "end" once the run is over and all was sent. */
static char *
follow_fill(void *cls, int *done, struct ufo_error *err)
{
	struct follow_stream	*fs = cls;
	struct json_object	*page, *items, *m, *v;
	char			*out = NULL;
	size_t			 i, n;

	if (store_run_message_list(fs->store, &fs->actor, fs->run, fs->since,
	    MESSAGES_PAGE, &page, err) == -1)
		return (NULL);
	if (!fs->started) {
		fs->started = 1;
		out = xstrdup("retry: 2000\n\n");
	}
	json_object_object_get_ex(page, "items", &items);
	n = items != NULL ? json_object_array_length(items) : 0;
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(items, i);
		fs->since = jsonx_int(m, "seq", fs->since);
		api_sse_append(&out, fs->since, jsonx_str(m, "type"),
		    jsonx_compact(m));
	}
	if (n == 0 && json_object_object_get_ex(page, "done", &v) &&
	    json_object_get_boolean(v)) {
		api_sse_append(&out, fs->since, "end", "{}");
		*done = 1;
	}
	json_object_put(page);
	return (out);
}

static void
follow_free(void *cls)
{
	struct follow_stream	*fs = cls;

	free(fs->run);
	free(fs);
}

/*
 * A run's messages: a page, a long-poll (follow=1) that answers when there
 * are new ones or the run is over, or a stream with Accept:
 * text/event-stream. Followers park on the run's own wait key.
 */
int
api_runs_messages(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	struct follow_stream	*fs;
	struct json_object	*page, *items, *run, *done;
	const char		*follow, *id;
	int64_t			 since, limit, wait, seen;

	if (api_since(req, &since, err) == -1 ||
	    api_query_int(req, "limit", MESSAGES_PAGE, 1, 1000, &limit,
	    err) == -1 ||
	    api_query_int(req, "wait", FOLLOW_WAIT_DEFAULT, 0, FOLLOW_WAIT_MAX,
	    &wait, err) == -1)
		return (API_ERROR);
	follow = api_query(req, "follow");
	if (follow == NULL || strcmp(follow, "0") == 0)
		return (store_run_message_list(req->store, &req->actor,
		    req->params[0], since, limit, &resp->json, err));

	/* Park on the run's id, not on what the caller typed. */
	if (store_run_get(req->store, &req->actor, req->params[0], &run,
	    err) == -1)
		return (API_ERROR);
	id = jsonx_str(run, "id");
	if (req->event_stream) {
		fs = xcalloc(1, sizeof *fs);
		fs->store = req->store;
		fs->actor = req->actor;
		fs->run = xstrdup(id != NULL ? id : req->params[0]);
		fs->since = since;
		json_object_put(run);
		resp->stream.fill = follow_fill;
		resp->stream.free = follow_free;
		resp->stream.cls = fs;
		resp->stream.wait_kind = WAITER_RUN;
		resp->stream.wait_key = fs->run;
		return (API_DONE);
	}
	if (req->deadline == 0)
		req->deadline = waiter_now() + (uint64_t)wait * 1000;
	for (;;) {
		seen = waiter_generation(WAITER_RUN);
		if (store_run_message_list(req->store, &req->actor, id, since,
		    limit, &page, err) == -1) {
			json_object_put(run);
			return (API_ERROR);
		}
		json_object_object_get_ex(page, "items", &items);
		json_object_object_get_ex(page, "done", &done);
		if ((items != NULL && json_object_array_length(items) > 0) ||
		    (done != NULL && json_object_get_boolean(done)) ||
		    wait == 0 || req->woken == API_WOKEN_TIMEOUT ||
		    req->woken == API_WOKEN_SHUTDOWN ||
		    req->woken == API_WOKEN_GONE ||
		    waiter_now() >= req->deadline)
			break;
		json_object_put(page);
		if (server_park(req, WAITER_RUN, id, seen, req->deadline) ==
		    API_PARKED) {
			json_object_put(run);
			return (API_PARKED);
		}
	}
	json_object_put(run);
	resp->json = page;
	return (API_DONE);
}

int
api_runs_artifact(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	void	*data;
	size_t	 len;

	if (store_run_artifact_get(req->store, &req->actor, req->params[0],
	    req->params[1], &data, &len, err) == -1)
		return (API_ERROR);
	resp->raw = data;
	resp->raw_len = len;
	resp->content_type = strcmp(req->params[1], "git.diff") == 0 ?
	    "text/x-diff" : "application/octet-stream";
	return (API_DONE);
}

int
api_runs_cancel(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_run_cancel(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_runs_retry(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_run_retry(req->store, &req->actor,
	    req->params[0], &resp->json, err), resp));
}

int
api_rovers_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_rover_list(req->store, &req->actor, &resp->json, err));
}

int
api_rovers_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_rover_get(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_rovers_update(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_rover_update(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_rovers_revoke(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	if (store_rover_revoke(req->store, &req->actor, req->params[0],
	    &resp->json, err) == -1)
		return (API_ERROR);
	/* Its parked claims look again, and are refused. */
	waiter_wake_all(WAITER_CLAIM);
	/* One installed over SSH is stopped and removed from its host. */
	ssh_rover_removed(jsonx_str(resp->json, "id"));
	return (API_DONE);
}

int
api_rover_codes_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_code_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}

int
api_signals_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	const char	*unread = api_query(req, "unread");

	return (store_signal_list(req->store, &req->actor,
	    unread != NULL && strcmp(unread, "0") != 0, &resp->json, err));
}

int
api_signals_read(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_signal_read(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}
