#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "jsonx.h"
#include "log.h"
#include "server.h"
#include "waiter.h"
#include "xmalloc.h"

#define CLAIM_WAIT_DEFAULT	30
#define CLAIM_WAIT_MAX		120

int
api_rover_enroll(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_rover_enroll(req->store, req->body,
	    &resp->json, err), resp));
}

/* The wait key of a claim: the pilot kinds the rover runs, ",k1,k2,". */
static void
claim_key(struct json_object *body, char *key, size_t size)
{
	struct json_object	*tags, *t;
	const char		*s;
	size_t			 i, n, len;

	snprintf(key, size, ",");
	if (!json_object_object_get_ex(body, "auto_tags", &tags) ||
	    !json_object_is_type(tags, json_type_array))
		return;
	n = json_object_array_length(tags);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tags, i);
		if (!json_object_is_type(t, json_type_string))
			continue;
		s = json_object_get_string(t);
		len = strlen(key);
		if (strncmp(s, "pilot:", 6) == 0 && len + strlen(s) < size)
			snprintf(key + len, size - len, "%s,", s + 6);
	}
}

static void
claim_pass_on(const char *kind)
{
	char	 key[128];

	snprintf(key, sizeof key, "claim:%s", kind);
	waiter_wake(NULL, key);
}

/* Which run a claim answer handed out, should it not arrive. */
struct claim_sent {
	int64_t	 attempt;
	char	 id[64];
};

static void
claim_undelivered(struct api_request *req, void *cls)
{
	struct claim_sent	*sent = cls;
	struct ufo_error	 err;

	err_clear(&err);
	if (store_run_undelivered(req->store, &req->rover, sent->id,
	    sent->attempt, &err) == -1)
		log_warn("run %s: %s", sent->id, err.message);
}

/*
 * The answer to a claim: the run claimed (its text, written by the claim's
 * transaction, credentials and all: wiped once sent), or null.
 */
static int
claim_answer(struct api_request *req, struct api_response *resp)
{
	struct store_claim	*c = &req->claim;
	struct claim_sent	*sent;

	if (c->text == NULL) {
		resp->json = json_object_new_object();
		json_object_object_add(resp->json, "run", NULL);
		return (API_DONE);
	}
	sent = xcalloc(1, sizeof *sent);
	snprintf(sent->id, sizeof sent->id, "%s", c->id);
	sent->attempt = c->attempt;
	resp->undelivered = claim_undelivered;
	resp->undelivered_cls = sent;
	resp->raw = c->text;
	resp->raw_len = c->len;
	resp->content_type = "application/json";
	resp->secret = c->secret;
	c->text = NULL;
	store_claim_clear(c);
	return (API_DONE);
}

/* 1 when a claim that found nothing is to answer so, not park. */
static int
claim_over(struct api_request *req, int64_t wait)
{
	return (wait == 0 || req->woken == API_WOKEN_TIMEOUT ||
	    req->woken == API_WOKEN_SHUTDOWN ||
	    req->woken == API_WOKEN_GONE || waiter_now() >= req->deadline);
}

/*
 * A claim long-polls: when nothing is claimable it parks on the claim wait
 * list, and the store wakes the oldest claim that can run a newly queued
 * run. The generation (req->seen) guards the gap between looking and
 * parking. The look that writes is deferred (api_defer): the handler is
 * called again with its outcome.
 */
int
api_rover_claim(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	int64_t			 wait = CLAIM_WAIT_DEFAULT;
	char			 key[256];

	if (jsonx_get_int(req->body, "wait", &wait, JSONX_OPTIONAL, err) == -1)
		return (API_ERROR);
	if (wait < 0 || wait > CLAIM_WAIT_MAX)
		return (err_set(err, UFO_EINVAL, "wait", "wait: %lld is not "
		    "from 0 to %d seconds", (long long)wait, CLAIM_WAIT_MAX));
	if (req->deadline == 0)
		req->deadline = waiter_now() + (uint64_t)wait * 1000;
	claim_key(req->body, key, sizeof key);
	for (;;) {
		if (req->woken == API_WOKEN_DONE) {
			if (api_deferred(req, err) != 0)
				return (API_ERROR);
			if (req->claim.text != NULL) {
				/*
				 * One transaction may queue several runs but
				 * wakes one claim: pass the wake-up on.
				 */
				claim_pass_on(req->claim.kind);
				return (claim_answer(req, resp));
			}
		} else {
			/* A rover that hung up must not be handed a run. */
			if (req->woken == API_WOKEN_GONE)
				return (err_set(err, UFO_EUNAVAIL, "", "the "
				    "rover hung up"));
			req->seen = waiter_generation(WAITER_CLAIM);
			/*
			 * Unless woken for a run, a look on a reader first:
			 * an idle rover polling need not queue for the writer.
			 */
			if (req->woken == API_WOKEN_EVENT ||
			    !store_rover_idle(req->store, &req->rover,
			    req->body)) {
				store_rover_claim_async(req->store,
				    &req->rover, req->body, &req->claim,
				    api_defer(req));
				return (API_PARKED);
			}
		}
		if (claim_over(req, wait))
			break;
		if (server_park(req, WAITER_CLAIM, key, req->seen,
		    req->deadline) == API_PARKED)
			return (API_PARKED);
	}
	return (claim_answer(req, resp));
}

int
api_rover_heartbeat(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_rover_heartbeat(req->store, &req->rover, req->body,
	    &resp->json, err));
}

/*
 * A start, messages or finish: deferred to the writer, then answered with
 * the run's text.
 */
static int
rover_run_call(struct api_request *req, struct api_response *resp,
    struct ufo_error *err, store_run_async_fn fn)
{
	if (req->woken == API_WOKEN_DONE)
		return (api_deferred_text(req, resp, err));
	fn(req->store, &req->rover, req->params[0], req->body, &req->text,
	    api_defer(req));
	return (API_PARKED);
}

int
api_rover_start(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (rover_run_call(req, resp, err, store_run_start_async));
}

int
api_rover_messages(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (rover_run_call(req, resp, err, store_run_messages_async));
}

int
api_rover_artifact(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	int64_t	 attempt;

	if (api_query_int(req, "attempt", -1, 1, INT32_MAX, &attempt,
	    err) == -1)
		return (API_ERROR);
	if (attempt == -1)
		return (err_set(err, UFO_EINVAL, "attempt", "attempt: "
		    "required (the fencing token of the claim)"));
	return (api_created(store_run_artifact_put(req->store, &req->rover,
	    req->params[0], req->params[1], attempt, req->raw, req->raw_len,
	    &resp->json, err), resp));
}

int
api_rover_finish(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (rover_run_call(req, resp, err, store_run_finish_async));
}
