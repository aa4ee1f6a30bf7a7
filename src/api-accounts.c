/*
 * Accounts: logging in, passwords, fleets, members and invitations. The
 * public routes that check a password count failures per client address.
 */
#include "api.h"
#include "server.h"

/* A password-checking store call behind the login rate limit. */
static int
api_limited(struct api_request *req, struct api_response *resp,
    int (*fn)(struct store *, struct json_object *, struct json_object **,
    struct ufo_error *), struct ufo_error *err)
{
	int	 rc;

	if (server_login_allowed(req, err) != 0)
		return (API_ERROR);
	rc = fn(req->store, req->body, &resp->json, err);
	if (rc == 0)
		server_login_result(req, 1);
	else if (err->code == UFO_EUNAUTH)
		server_login_result(req, 0);
	return (api_created(rc, resp));
}

int
api_login(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_limited(req, resp, store_login, err));
}

int
api_invitations_accept(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_limited(req, resp, store_invitation_accept, err));
}

int
api_password_set(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_password_set(req->store, &req->actor, req->body,
	    req->local, &resp->json, err));
}

int
api_fleets_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_fleet_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}

int
api_fleets_rename(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_fleet_rename(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_fleets_delete(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_fleet_delete(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_members_update(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_member_update(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_members_remove(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_member_remove(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_invitations_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_invitation_list(req->store, &req->actor, &resp->json,
	    err));
}

int
api_invitations_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_invitation_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}

int
api_invitations_revoke(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_invitation_revoke(req->store, &req->actor,
	    req->params[0], &resp->json, err));
}
