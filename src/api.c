#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "xmalloc.h"

const struct api_route api_routes[] = {
	{ "GET", "/health", api_health, API_PUBLIC | API_INLINE },
	{ "GET", "/server", api_server_get, API_SERVER },
	{ "POST", "/server/shutdown", api_server_shutdown, API_SERVER },
	{ "POST", "/login", api_login, API_PUBLIC },
	{ "POST", "/password", api_password_set, 0 },
	{ "GET", "/fleets", api_fleets_list, 0 },
	{ "POST", "/fleets", api_fleets_create, 0 },
	{ "PATCH", "/fleets/{fleet}", api_fleets_rename, API_OWNER },
	{ "DELETE", "/fleets/{fleet}", api_fleets_delete, API_OWNER },
	{ "GET", "/members", api_members_list, 0 },
	{ "PATCH", "/members/{user}", api_members_update, API_ADMIN },
	{ "DELETE", "/members/{user}", api_members_remove, 0 },
	{ "GET", "/invitations", api_invitations_list, API_ADMIN },
	{ "POST", "/invitations", api_invitations_create, API_ADMIN },
	{ "POST", "/invitations/accept", api_invitations_accept, API_PUBLIC },
	{ "DELETE", "/invitations/{invitation}", api_invitations_revoke,
	    API_ADMIN },
	{ "GET", "/events", api_events_list, API_INLINE },
	{ "GET", "/missions", api_missions_list, 0 },
	{ "POST", "/missions", api_missions_create, 0 },
	{ "GET", "/missions/{mission}", api_missions_get, 0 },
	{ "PATCH", "/missions/{mission}", api_missions_update, 0 },
	{ "GET", "/operations", api_ops_list, 0 },
	{ "POST", "/operations", api_ops_create, API_INLINE },
	{ "GET", "/operations/{op}", api_ops_get, 0 },
	{ "PATCH", "/operations/{op}", api_ops_update, 0 },
	{ "POST", "/operations/{op}/move", api_ops_move, 0 },
	{ "POST", "/operations/{op}/archive", api_ops_archive, 0 },
	{ "POST", "/operations/{op}/unarchive", api_ops_unarchive, 0 },
	{ "POST", "/operations/{op}/labels", api_ops_labels, 0 },
	{ "GET", "/operations/{op}/comments", api_comments_list, 0 },
	{ "POST", "/operations/{op}/comments", api_comments_create, 0 },
	{ "POST", "/operations/{op}/relations", api_relations_create, 0 },
	{ "DELETE", "/operations/{op}/relations/{relation}",
	    api_relations_delete, 0 },
	{ "GET", "/labels", api_labels_list, 0 },
	{ "POST", "/labels", api_labels_create, 0 },
	{ "GET", "/pilots", api_pilots_list, 0 },
	{ "POST", "/pilots", api_pilots_create, API_ADMIN },
	{ "GET", "/pilots/{pilot}", api_pilots_get, 0 },
	{ "PATCH", "/pilots/{pilot}", api_pilots_update, API_ADMIN },
	{ "GET", "/crews", api_crews_list, 0 },
	{ "POST", "/crews", api_crews_create, API_ADMIN },
	{ "GET", "/credentials", api_credentials_list, 0 },
	{ "PUT", "/credentials/{credential}", api_credentials_set,
	    API_ADMIN | API_SECRET },
	{ "DELETE", "/credentials/{credential}", api_credentials_remove,
	    API_ADMIN },
	{ "GET", "/tokens", api_tokens_list, 0 },
	{ "POST", "/tokens", api_tokens_create, 0 },
	{ "DELETE", "/tokens/{token}", api_tokens_revoke, 0 },
	{ "GET", "/runs", api_runs_list, 0 },
	{ "GET", "/runs/{run}", api_runs_get, 0 },
	{ "GET", "/runs/{run}/messages", api_runs_messages, API_INLINE },
	{ "GET", "/runs/{run}/artifacts/{name}", api_runs_artifact, 0 },
	{ "POST", "/runs/{run}/cancel", api_runs_cancel, 0 },
	{ "POST", "/runs/{run}/retry", api_runs_retry, 0 },
	{ "GET", "/rovers", api_rovers_list, 0 },
	{ "GET", "/rovers/{rover}", api_rovers_get, 0 },
	{ "PATCH", "/rovers/{rover}", api_rovers_update, API_ADMIN },
	{ "DELETE", "/rovers/{rover}", api_rovers_revoke, API_ADMIN },
	{ "POST", "/rover-codes", api_rover_codes_create, API_ADMIN },
	{ "GET", "/ssh-key", api_ssh_key_get, 0 },
	{ "POST", "/ssh-hosts", api_ssh_hosts_create, API_ADMIN },
	{ "GET", "/ssh-hosts", api_ssh_hosts_list, 0 },
	{ "GET", "/ssh-hosts/{host}", api_ssh_hosts_get, 0 },
	{ "DELETE", "/ssh-hosts/{host}", api_ssh_hosts_remove,
	    API_ADMIN },
	{ "GET", "/signals", api_signals_list, 0 },
	{ "POST", "/signals/{signal}/read", api_signals_read, 0 },
	{ "POST", "/rover/enroll", api_rover_enroll, API_ROVER | API_PUBLIC },
	{ "POST", "/rover/claim", api_rover_claim, API_ROVER | API_INLINE },
	{ "POST", "/rover/heartbeat", api_rover_heartbeat, API_ROVER },
	{ "POST", "/rover/runs/{run}/start", api_rover_start,
	    API_ROVER | API_INLINE },
	{ "POST", "/rover/runs/{run}/messages", api_rover_messages,
	    API_ROVER | API_INLINE },
	{ "POST", "/rover/runs/{run}/artifacts/{name}", api_rover_artifact,
	    API_ROVER | API_RAW },
	{ "POST", "/rover/runs/{run}/finish", api_rover_finish,
	    API_ROVER | API_INLINE },
};
const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];

int
api_query_int(struct api_request *req, const char *key, int64_t dflt,
    int64_t min, int64_t max, int64_t *out, struct ufo_error *err)
{
	const char	*s;
	char		*end;
	long long	 n;

	if ((s = api_query(req, key)) == NULL || *s == '\0') {
		*out = dflt;
		return (0);
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return (err_set(err, UFO_EINVAL, key, "%s: \"%s\" is not a "
		    "number from %lld to %lld", key, s, (long long)min,
		    (long long)max));
	*out = n;
	return (0);
}

int
api_created(int rc, struct api_response *resp)
{
	if (rc == 0)
		resp->status = 201;
	return (rc);
}

int
api_deferred(struct api_request *req, struct ufo_error *err)
{
	if (req->async->rc == 0)
		return (0);
	*err = req->async->err;
	return (-1);
}

/* The answer of a deferred write that answers JSON text (req->text). */
int
api_deferred_text(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	char	*text = req->text;

	req->text = NULL;
	return (api_text(api_deferred(req, err), text, resp));
}

/*
 * An answer the store wrote as JSON text already: sent as it is (taken),
 * when rc says the call succeeded.
 */
int
api_text(int rc, char *text, struct api_response *resp)
{
	if (rc != 0 || text == NULL) {
		free(text);
		return (rc);
	}
	resp->raw = text;
	resp->raw_len = strlen(text);
	resp->content_type = "application/json";
	return (rc);
}

void
api_sse_append(char **out, int64_t id, const char *event, const char *data)
{
	char	*chunk;
	size_t	 len, n;

	n = (size_t)xasprintf(&chunk, "id: %lld\nevent: %s\ndata: %s\n\n",
	    (long long)id, event, data);
	len = *out != NULL ? strlen(*out) : 0;
	*out = xrealloc(*out, len + n + 1);
	memcpy(*out + len, chunk, n + 1);
	free(chunk);
}

/* Where a subscriber resumes: Last-Event-ID wins over ?since=. */
int
api_since(struct api_request *req, int64_t *since, struct ufo_error *err)
{
	const char	*last;
	char		*end;
	long long	 n;

	last = api_header(req, "Last-Event-ID");
	if (last != NULL && *last != '\0') {
		n = strtoll(last, &end, 10);
		if (*end != '\0' || n < 0)
			return (err_set(err, UFO_EINVAL, "Last-Event-ID",
			    "Last-Event-ID: \"%s\" is not an event id", last));
		*since = n;
		return (0);
	}
	return (api_query_int(req, "since", 0, 0, INT64_MAX, since, err));
}
