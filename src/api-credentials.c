/*
 * The credentials vault over HTTP: names, variables and who set them; a
 * value goes in and never comes out. The request holding a value is wiped
 * once the store has sealed it.
 */
#include "api.h"
#include "jsonx.h"

int
api_credentials_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_credential_list(req->store, &req->actor, &resp->json,
	    err));
}

int
api_credentials_set(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	int	 created, rc;

	rc = store_credential_set(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, &created, err);
	jsonx_wipe(req->body);
	if (rc == 0 && created)
		resp->status = 201;
	return (rc);
}

int
api_credentials_remove(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_credential_remove(req->store, &req->actor,
	    req->params[0], &resp->json, err));
}
