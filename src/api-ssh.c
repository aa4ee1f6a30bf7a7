#include <stdlib.h>

#include "api.h"
#include "server.h"
#include "ssh-key.h"

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
