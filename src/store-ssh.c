/*
 * SSH hosts: a rover that ufod installs and tunnels over SSH (src/ssh.c).
 * The manager thread writes the connection state here; clients read it
 * with the rover it serves.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "protocol.h"
#include "store-internal.h"

#define STORE_SSH_SELECT						\
	"SELECT id, fleet_id AS fleet, created_by, name, user, host, port,"\
	" identity, direct, tags AS \"tags:json\","			\
	" accept_new AS \"accept_new:bool\", remote_port, rover_id,"	\
	" state, last_error, created_at, updated_at FROM ssh_hosts"

/* One write transaction around fn's statement. */
static int
store_ssh_write(struct store *s, struct ufo_error *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 rc, r;

	store_lock(s);
	if ((rc = store_begin(s, err)) == 0) {
		va_start(ap, fmt);
		stmt = store_vprepare(s, err, sql, fmt, ap);
		va_end(ap);
		if (stmt == NULL)
			rc = -1;
		else {
			while ((r = store_step(s, stmt, err)) == 1)
				;
			rc = r == -1 ? -1 : 0;
		}
	}
	rc = store_end(s, rc, err);
	store_unlock(s);
	return (rc);
}

int
store_ssh_host_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	static const char *const keys[] = { "name", "user", "host", "port",
	    "identity", "direct", "tags", "accept_new", NULL };
	struct json_object	*tags = NULL;
	const char		*name, *user, *host, *identity, *direct;
	char			 id[STORE_ID_SIZE], *norm = NULL;
	int64_t			 port = 22;
	int			 accept = 0, rc = -1;

	*out = NULL;
	if (a->role < ROLE_ADMIN)
		return (err_set(err, UFO_EFORBIDDEN, "", "only an admin or "
		    "owner may add a rover host"));
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_int(in, "port", &port, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string_array(in, "tags", &tags, JSONX_OPTIONAL,
	    err) == -1)
		return (-1);
	name = jsonx_str(in, "name");
	user = jsonx_str(in, "user");
	host = jsonx_str(in, "host");
	identity = jsonx_str(in, "identity");
	direct = jsonx_str(in, "direct");
	accept = json_object_get_boolean(json_object_object_get(in,
	    "accept_new"));
	if (store_blank(user) || store_blank(host))
		return (err_set(err, UFO_EINVAL, store_blank(user) ? "user" :
		    "host", "user and host are required"));
	if (port < 1 || port > 65535)
		return (err_set(err, UFO_EINVAL, "port", "port: %lld is not a "
		    "TCP port", (long long)port));
	if (store_blank(name))
		return (err_set(err, UFO_EINVAL, "name", "name is required"));
	if (store_rover_check_name(name, err) != 0 ||
	    store_tags_normalize(tags, "tags", &norm, err) != 0)
		return (-1);

	store_new_id(id, "ssh");
	store_lock(s);
	if (store_begin(s, err) != 0)
		goto out;
	/* A host that never came up may be added again under its name. */
	if (store_exec(s, err, "DELETE FROM ssh_hosts WHERE fleet_id = ? AND"
	    " name = ? AND rover_id IS NULL AND state = 'failed'", "ss",
	    a->fleet, name) == -1)
		goto out;
	if (store_get_int(s, err, &port, "SELECT count(*) FROM ssh_hosts"
	    " WHERE fleet_id = ? AND name = ?", "ss", a->fleet, name) != 1)
		goto out;
	if (port == 0 && store_get_int(s, err, &port, "SELECT count(*) FROM"
	    " rovers WHERE fleet_id = ? AND name = ? AND revoked_at IS NULL",
	    "ss", a->fleet, name) != 1)
		goto out;
	if (port != 0) {
		err_set(err, UFO_ECONFLICT, "name", "a rover named \"%s\" "
		    "exists (give another with --name)", name);
		goto out;
	}
	port = 22;
	if (jsonx_get_int(in, "port", &port, JSONX_OPTIONAL, err) == -1)
		goto out;
	if (store_exec(s, err, "INSERT INTO ssh_hosts (id, fleet_id,"
	    " created_by, name, user, host, port, identity, direct, tags,"
	    " accept_new, state, created_at, updated_at) VALUES (?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, 'connecting', ?, ?)", "ssssssisssdss",
	    id, a->fleet, a->user, name, user, host, port, identity,
	    direct, norm, accept, s->now, s->now) == -1 ||
	    store_get_json(s, err, out, STORE_SSH_SELECT " WHERE id = ?", "s",
	    id) != 1)
		goto out;
	rc = 0;
out:
	rc = store_end(s, rc, err);
	store_unlock(s);
	free(norm);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}

int
store_ssh_host_get(struct store *s, const struct store_actor *a,
    const char *id, struct json_object **out, struct ufo_error *err)
{
	int	 r;

	*out = NULL;
	s = store_read(s);
	if (a != NULL)
		r = store_get_json(s, err, out, STORE_SSH_SELECT
		    " WHERE id = ? AND fleet_id = ?", "ss", id, a->fleet);
	else
		r = store_get_json(s, err, out, STORE_SSH_SELECT
		    " WHERE id = ?", "s", id);
	store_read_end(s);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "no rover host %s", id));
	return (r == 1 ? 0 : -1);
}

int
store_ssh_host_resumable(struct store *s, struct json_object **out,
    struct ufo_error *err)
{
	int	 r;

	s = store_read(s);
	r = store_get_list(s, err, out, STORE_SSH_SELECT " WHERE state !="
	    " 'failed' OR rover_id IS NOT NULL ORDER BY seq", "");
	store_read_end(s);
	return (r < 0 ? -1 : 0);
}

int
store_ssh_host_state(struct store *s, const char *id, const char *state,
    const char *last_error, struct ufo_error *err)
{
	return (store_ssh_write(s, err, "UPDATE ssh_hosts SET state = ?,"
	    " last_error = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ')"
	    " WHERE id = ?", "sss", state, last_error, id));
}

int
store_ssh_host_bind(struct store *s, const char *id, const char *rover,
    int remote_port, struct ufo_error *err)
{
	return (store_ssh_write(s, err, "UPDATE ssh_hosts SET rover_id ="
	    " coalesce(?, rover_id), remote_port = ?, updated_at ="
	    " strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = ?", "sds", rover,
	    remote_port, id));
}

int
store_ssh_host_delete(struct store *s, const char *id, struct ufo_error *err)
{
	return (store_ssh_write(s, err, "DELETE FROM ssh_hosts WHERE id = ?",
	    "s", id));
}

int
store_ssh_host_of_rover(struct store *s, const char *rover, char *id,
    size_t size, struct ufo_error *err)
{
	int	 r;

	s = store_read(s);
	r = store_get_text(s, err, id, size, "SELECT id FROM ssh_hosts WHERE"
	    " rover_id = ?", "s", rover);
	store_read_end(s);
	return (r);
}
