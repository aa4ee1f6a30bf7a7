#include "api.h"

int
api_tokens_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_token_list(req->store, &req->actor, &resp->json, err));
}

int
api_tokens_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_token_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}

int
api_tokens_revoke(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_token_revoke(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}
