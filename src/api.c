#include <errno.h>
#include <stdlib.h>

#include "api.h"

const struct api_route api_routes[] = {
	{ "GET", "/health", api_health, API_PUBLIC },
	{ "GET", "/server", api_server_get, 0 },
	{ "POST", "/server/shutdown", api_server_shutdown, 0 },
	{ "GET", "/fleets", api_fleets_list, 0 },
	{ "GET", "/members", api_members_list, 0 },
	{ "GET", "/events", api_events_list, 0 },
	{ "GET", "/missions", api_missions_list, 0 },
	{ "POST", "/missions", api_missions_create, 0 },
	{ "GET", "/missions/{mission}", api_missions_get, 0 },
	{ "PATCH", "/missions/{mission}", api_missions_update, 0 },
	{ "GET", "/operations", api_ops_list, 0 },
	{ "POST", "/operations", api_ops_create, 0 },
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
	{ "POST", "/pilots", api_pilots_create, 0 },
	{ "GET", "/pilots/{pilot}", api_pilots_get, 0 },
	{ "PATCH", "/pilots/{pilot}", api_pilots_update, 0 },
	{ "GET", "/crews", api_crews_list, 0 },
	{ "POST", "/crews", api_crews_create, 0 },
	{ "GET", "/tokens", api_tokens_list, 0 },
	{ "POST", "/tokens", api_tokens_create, 0 },
	{ "DELETE", "/tokens/{token}", api_tokens_revoke, 0 },
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
