#include <stdlib.h>

#include "api.h"
#include "jsonx.h"
#include "server.h"
#include "ssh-key.h"
#include "ssh.h"

/* ufod's own public key as an authorized_keys line, made on first use. */
int
api_ssh_key_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	struct ssh_key	 key;
	char		*dir;
	int		 rc;

	dir = ssh_key_dir(server_database(req->server));
	rc = ssh_key_load(dir, &key, err);
	free(dir);
	if (rc == -1)
		return (API_ERROR);
	resp->json = json_object_new_object();
	json_object_object_add(resp->json, "authorized_key",
	    json_object_new_string(key.line));
	json_object_object_add(resp->json, "path",
	    json_object_new_string(key.path));
	ssh_key_free(&key);
	return (API_DONE);
}

/* Records the host and hands it to the SSH manager; the answer is 202
 * and the client follows the host's state (GET /ssh-hosts/{host}). */
int
api_ssh_hosts_create(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	if (store_ssh_host_create(req->store, &req->actor, req->body,
	    &resp->json, err) == -1)
		return (API_ERROR);
	ssh_host_add(jsonx_str(resp->json, "id"));
	resp->status = 202;
	return (API_DONE);
}

int
api_ssh_hosts_get(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	if (store_ssh_host_get(req->store, &req->actor, req->params[0],
	    &resp->json, err) == -1)
		return (API_ERROR);
	return (API_DONE);
}

int
api_ssh_hosts_list(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	if (store_ssh_host_list(req->store, &req->actor, &resp->json,
	    err) == -1)
		return (API_ERROR);
	return (API_DONE);
}

/*
 * Gives up a host that serves no rover yet (one still retrying its first
 * connection, or failed): its thread, if any, stops and deletes it;
 * otherwise it is deleted here.
 */
int
api_ssh_hosts_remove(struct api_request *req, struct api_response *resp,
    struct ufo_error *err)
{
	char	 id[64];

	if (store_ssh_host_cancel(req->store, &req->actor, req->params[0], id,
	    sizeof id, err) == -1)
		return (API_ERROR);
	if (!ssh_host_remove(id) &&
	    store_ssh_host_delete(req->store, id, err) == -1)
		return (API_ERROR);
	resp->json = json_object_new_object();
	json_object_object_add(resp->json, "id", json_object_new_string(id));
	resp->status = 202;
	return (API_DONE);
}
