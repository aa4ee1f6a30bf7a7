#include <signal.h>
#include <unistd.h>

#include "api.h"
#include "protocol.h"
#include "server.h"

int
api_health(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	(void)req;
	(void)err;
	resp->json = json_object_new_object();
	json_object_object_add(resp->json, "status",
	    json_object_new_string("ok"));
	json_object_object_add(resp->json, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(resp->json, "protocol",
	    json_object_new_int(UFO_PROTOCOL_VERSION));
	return (API_DONE);
}

int
api_server_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	(void)err;
	resp->json = server_info(req->server);
	return (API_DONE);
}

/*
 * Shutting down goes through the same path as SIGTERM: ufod's main thread
 * drains the requests in flight, this one included.
 */
int
api_server_shutdown(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	if (kill(getpid(), SIGTERM) == -1)
		return (err_set(err, UFO_EINTERNAL, "", "cannot signal ufod"));
	resp->status = 202;
	resp->json = json_object_new_object();
	json_object_object_add(resp->json, "status",
	    json_object_new_string("stopping"));
	return (API_DONE);
}

int
api_fleets_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_fleet_list(req->store, &req->actor, &resp->json, err));
}

int
api_members_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_member_list(req->store, &req->actor, &resp->json, err));
}
