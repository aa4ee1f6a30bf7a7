#include "api.h"

int
api_pilots_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_pilot_list(req->store, &req->actor, &resp->json, err));
}

int
api_pilots_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_pilot_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}

int
api_pilots_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_pilot_get(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_pilots_update(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_pilot_update(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_crews_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_crew_list(req->store, &req->actor, &resp->json, err));
}

int
api_crews_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_crew_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}
