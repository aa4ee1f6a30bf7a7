#include "api.h"

int
api_missions_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_mission_list(req->store, &req->actor, &resp->json, err));
}

int
api_missions_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_mission_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}

int
api_missions_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_mission_get(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_missions_update(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_mission_update(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_labels_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_label_list(req->store, &req->actor, &resp->json, err));
}

int
api_labels_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_label_create(req->store, &req->actor,
	    req->body, &resp->json, err), resp));
}
