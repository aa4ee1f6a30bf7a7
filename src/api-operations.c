#include "api.h"

int
api_ops_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	struct store_op_filter	 f = { 0 };

	f.mission = api_query(req, "mission");
	f.status = api_query(req, "status");
	f.label = api_query(req, "label");
	f.assignee = api_query(req, "assignee");
	f.q = api_query(req, "q");
	f.parent = api_query(req, "parent");
	f.archived = api_query(req, "archived");
	f.before = api_query(req, "before");
	if (api_query_int(req, "limit", 100, 1, 1000, &f.limit, err) == -1)
		return (API_ERROR);
	return (store_op_list(req->store, &req->actor, &f, &resp->json, err));
}

int
api_ops_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	if (req->woken != API_WOKEN_DONE) {
		store_op_create_async(req->store, &req->actor, req->body,
		    &req->text, api_defer(req));
		return (API_PARKED);
	}
	return (api_created(api_deferred_text(req, resp, err), resp));
}

int
api_ops_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_op_get(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_ops_update(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_op_update(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_ops_move(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_op_move(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_ops_archive(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_op_archive(req->store, &req->actor, req->params[0], 1,
	    &resp->json, err));
}

int
api_ops_unarchive(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_op_archive(req->store, &req->actor, req->params[0], 0,
	    &resp->json, err));
}

int
api_ops_labels(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_op_labels(req->store, &req->actor, req->params[0],
	    req->body, &resp->json, err));
}

int
api_comments_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_comment_list(req->store, &req->actor, req->params[0],
	    &resp->json, err));
}

int
api_comments_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_comment_create(req->store, &req->actor,
	    req->params[0], req->body, &resp->json, err), resp));
}

int
api_relations_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (api_created(store_relation_create(req->store, &req->actor,
	    req->params[0], req->body, &resp->json, err), resp));
}

int
api_relations_delete(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	return (store_relation_delete(req->store, &req->actor, req->params[0],
	    req->params[1], &resp->json, err));
}
