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

/* Deletes host id of fleet, announced with its last snapshot. */
static int
store_ssh_host_remove(struct store *s, const char *fleet, const char *id,
    struct ufo_error *err)
{
	if (store_event_row(s, err, NULL, NULL, fleet, "ssh_host.removed", id,
	    STORE_SSH_SELECT " WHERE id = ?", "s", id) != 0 ||
	    store_exec(s, err, "DELETE FROM ssh_hosts WHERE id = ?", "s",
	    id) == -1)
		return (-1);
	return (0);
}

static int
store_ssh_host_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", "user", "host", "port",
	    "identity", "direct", "tags", "accept_new", NULL };
	struct json_object	*tags = NULL;
	const char		*name, *user, *host, *identity, *direct;
	char			 id[STORE_ID_SIZE], old[STORE_ID_SIZE];
	char			*norm = NULL;
	int64_t			 port = 22;
	int			 accept = 0, r, rc = -1;

	(void)ref;
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
	/* A host that never came up may be added again under its name. */
	if ((r = store_get_text(s, err, old, sizeof old, "SELECT id FROM"
	    " ssh_hosts WHERE fleet_id = ? AND name = ? AND rover_id IS NULL"
	    " AND state = 'failed'", "ss", a->fleet, name)) == -1)
		goto out;
	if (r == 1 && store_ssh_host_remove(s, a->fleet, old, err) != 0)
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
	    store_event_row(s, err, out, NULL, a->fleet, "ssh_host.created",
	    id, STORE_SSH_SELECT " WHERE id = ?", "s", id) != 0)
		goto out;
	rc = 0;
out:
	free(norm);
	return (rc);
}

int
store_ssh_host_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_ssh_host_insert, err));
}

int
store_ssh_host_get(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	int	 r;

	*out = NULL;
	s = store_read(s);
	if (a != NULL)
		r = store_get_json(s, err, out, STORE_SSH_SELECT
		    " WHERE fleet_id = ?2 AND (id = ?1 OR name = ?1)"
		    " ORDER BY id = ?1 DESC LIMIT 1", "ss", ref, a->fleet);
	else
		r = store_get_json(s, err, out, STORE_SSH_SELECT
		    " WHERE id = ?", "s", ref);
	store_read_end(s);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "no rover host %s",
		    ref));
	return (r == 1 ? 0 : -1);
}

int
store_ssh_host_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	return (store_list_fleet(s, a->fleet, STORE_SSH_SELECT
	    " WHERE fleet_id = ? ORDER BY seq", out, err));
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

/*
 * A change of the connection's state or error is announced twice: as
 * ssh_host.updated, and when the host serves a rover as rover.updated,
 * whose snapshot carries the host's state, for the clients that follow
 * rovers (the board). The same state again writes and announces nothing,
 * so a host retrying with the same error does not fill the feed.
 */
int
store_ssh_host_state(struct store *s, const char *id, const char *state,
    const char *last_error, struct ufo_error *err)
{
	struct json_object	*row = NULL;
	const char		*was, *fleet, *rover;
	int			 rc, r;

	store_lock(s);
	if ((rc = store_begin(s, err)) != 0)
		goto out;
	if ((r = store_get_json(s, err, &row, "SELECT fleet_id AS fleet,"
	    " rover_id AS rover, state, last_error FROM ssh_hosts"
	    " WHERE id = ?", "s", id)) != 1) {
		rc = r == 0 ? 0 : -1;	/* removed meanwhile: nothing to do */
		goto out;
	}
	fleet = jsonx_str(row, "fleet");
	rover = jsonx_str(row, "rover");
	was = jsonx_str(row, "last_error");
	if (strcmp(jsonx_str(row, "state"), state) == 0 &&
	    (was == NULL ? last_error == NULL : last_error != NULL &&
	    strcmp(was, last_error) == 0))
		goto out;
	if (store_exec(s, err, "UPDATE ssh_hosts SET state = ?, last_error = ?,"
	    " updated_at = ? WHERE id = ?", "ssss", state, last_error, s->now,
	    id) == -1 ||
	    store_event_row(s, err, NULL, NULL, fleet, "ssh_host.updated",
	    id, STORE_SSH_SELECT " WHERE id = ?", "s", id) != 0 ||
	    (rover != NULL && store_rover_announce(s, fleet, rover,
	    "rover.updated", NULL, err) != 0))
		rc = -1;
out:
	rc = store_end(s, rc, err);
	store_unlock(s);
	json_object_put(row);
	return (rc);
}

/* A write to one host, for store_tx: fn runs with the host's fleet. */
struct store_ssh_job {
	const char	*id;
	const char	*rover;
	int		 remote_port;
	int		 (*fn)(struct store *, const struct store_ssh_job *,
			    const char *, struct ufo_error *);
};

static int
store_ssh_host_job(struct store *s, void *arg, struct ufo_error *err)
{
	const struct store_ssh_job	*j = arg;
	char				 fleet[STORE_ID_SIZE];
	int				 r;

	if ((r = store_get_text(s, err, fleet, sizeof fleet, "SELECT fleet_id"
	    " FROM ssh_hosts WHERE id = ?", "s", j->id)) != 1)
		return (r == 0 ? 0 : -1);	/* removed meanwhile */
	return (j->fn(s, j, fleet, err));
}

/* Announced: a board drops the host's own row for its rover's. */
static int
store_ssh_host_bind_tx(struct store *s, const struct store_ssh_job *j,
    const char *fleet, struct ufo_error *err)
{
	int	 r;

	if ((r = store_exec(s, err, "UPDATE ssh_hosts SET"
	    " rover_id = coalesce(?, rover_id), remote_port = ?,"
	    " updated_at = ? WHERE id = ? AND (rover_id IS NOT coalesce(?,"
	    " rover_id) OR remote_port IS NOT ?)", "sdsssd", j->rover,
	    j->remote_port, s->now, j->id, j->rover, j->remote_port)) == -1)
		return (-1);
	if (r == 1 && store_event_row(s, err, NULL, NULL, fleet,
	    "ssh_host.updated", j->id, STORE_SSH_SELECT " WHERE id = ?", "s",
	    j->id) != 0)
		return (-1);
	return (0);
}

int
store_ssh_host_bind(struct store *s, const char *id, const char *rover,
    int remote_port, struct ufo_error *err)
{
	struct store_ssh_job	 j = { id, rover, remote_port,
	    store_ssh_host_bind_tx };

	return (store_tx(s, store_ssh_host_job, &j, err));
}

static int
store_ssh_host_delete_tx(struct store *s, const struct store_ssh_job *j,
    const char *fleet, struct ufo_error *err)
{
	return (store_ssh_host_remove(s, fleet, j->id, err));
}

int
store_ssh_host_delete(struct store *s, const char *id, struct ufo_error *err)
{
	struct store_ssh_job	 j = { id, NULL, 0, store_ssh_host_delete_tx };

	return (store_tx(s, store_ssh_host_job, &j, err));
}

/*
 * A host given up before it served a rover (one that does is removed with
 * its rover): its id in id, for the SSH manager to stop and delete.
 */
int
store_ssh_host_cancel(struct store *s, const struct store_actor *a,
    const char *ref, char *id, size_t size, struct ufo_error *err)
{
	struct json_object	*row;
	const char		*rover;
	int			 rc = 0;

	if (a->role < ROLE_ADMIN)
		return (err_set(err, UFO_EFORBIDDEN, "", "only an admin or "
		    "owner may remove a rover host"));
	if (store_ssh_host_get(s, a, ref, &row, err) == -1)
		return (-1);
	if ((rover = jsonx_str(row, "rover_id")) != NULL)
		rc = err_set(err, UFO_ECONFLICT, "", "rover host %s serves "
		    "rover %s: remove the rover instead", ref, rover);
	else
		snprintf(id, size, "%s", jsonx_str(row, "id"));
	json_object_put(row);
	return (rc);
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
