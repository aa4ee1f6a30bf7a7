/*
 * Fleets, their members and crews, and the parties an operation can be
 * assigned to ("pilot:NAME", "user:EMAIL", "crew:NAME").
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "protocol.h"
#include "store-internal.h"

#define STORE_CREW_SELECT						\
	"SELECT c.id, c.name, "						\
	STORE_PARTY_SQL("c.captain_kind", "c.captain_id")		\
	" AS captain,"							\
	" (SELECT json_group_array(x) FROM (SELECT "			\
	STORE_PARTY_SQL("cm.kind", "cm.member_id")			\
	" AS x FROM crew_members cm WHERE cm.crew_id = c.id"		\
	" ORDER BY cm.idx)) AS \"members:json\", c.created_at"		\
	" FROM crews c"

int
store_fleet_insert(struct store *s, const char *name, char *id,
    struct ufo_error *err)
{
	store_new_id(id, "flt");
	if (store_exec(s, err,
	    "INSERT INTO fleets (id, name, created_at) VALUES (?, ?, ?)",
	    "sss", id, name, s->now) == -1)
		return (-1);
	return (0);
}

int
store_user_insert(struct store *s, const char *email, const char *name,
    char *id, struct ufo_error *err)
{
	store_new_id(id, "usr");
	if (store_exec(s, err,
	    "INSERT INTO users (id, email, name, created_at)"
	    " VALUES (?, ?, ?, ?)", "ssss", id, email, name, s->now) == -1)
		return (-1);
	return (0);
}

int
store_member_insert(struct store *s, const char *fleet, const char *user,
    int role, struct ufo_error *err)
{
	if (store_exec(s, err,
	    "INSERT INTO members (fleet_id, user_id, role, created_at)"
	    " VALUES (?, ?, ?, ?)", "ssss", fleet, user, role_name(role),
	    s->now) == -1)
		return (-1);
	store_auth_changed(s);
	return (0);
}

/* A new fleet's mission and pilots, made as its owner a. */
int
store_fleet_seed(struct store *s, const struct store_actor *a,
    struct ufo_error *err)
{
	static const char *const pilots[] = { "claude", "codex", "goose",
	    "shell" };
	struct json_object	*in, *out = NULL;
	size_t			 i;
	int			 rc;

	in = json_object_new_object();
	json_object_object_add(in, "key", json_object_new_string("UFO"));
	json_object_object_add(in, "name", json_object_new_string("UFO"));
	rc = store_mission_insert(s, a, NULL, in, &out, err);
	json_object_put(in);
	json_object_put(out);
	for (i = 0; rc == 0 && i < sizeof pilots / sizeof pilots[0]; i++) {
		in = json_object_new_object();
		json_object_object_add(in, "name",
		    json_object_new_string(pilots[i]));
		json_object_object_add(in, "kind",
		    json_object_new_string(pilots[i]));
		out = NULL;
		rc = store_pilot_insert(s, a, NULL, in, &out, err);
		json_object_put(in);
		json_object_put(out);
	}
	return (rc);
}

/*
 * Fleet names: a letter or digit, then letters, digits, '_', '.', '-'; at
 * most 64, and never like an id (a deleted fleet's row is named by its id).
 */
static int
store_fleet_check_name(const char *name, struct ufo_error *err)
{
	if (strncmp(name, "flt_", 4) != 0 && store_name_ok(name, 1))
		return (0);
	return (err_set(err, UFO_EINVAL, "name", "name: \"%s\" is not a valid "
	    "fleet name (letters, digits, '_', '.', '-'; at most 64; not "
	    "starting with flt_)", name));
}

static int
store_fleet_name_free(struct store *s, const char *name, const char *self,
    struct ufo_error *err)
{
	int64_t	 n;

	if (store_get_int(s, err, &n,
	    "SELECT count(*) FROM fleets WHERE name = ? AND id IS NOT ?",
	    "ss", name, self) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "name", "a fleet named %s "
		    "already exists", name));
	return (0);
}

#define STORE_FLEET_SELECT						\
	"SELECT f.id, f.name, mb.role, f.created_at"			\
	" FROM members mb JOIN fleets f ON f.id = mb.fleet_id"

static int
store_fleet_create_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", NULL };
	struct store_actor	 owner;
	const char		*name;

	(void)ref;
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "name", &name, JSONX_REQUIRED, err) == -1 ||
	    store_fleet_check_name(name, err) != 0 ||
	    store_fleet_name_free(s, name, NULL, err) != 0)
		return (-1);
	owner = *a;
	owner.role = ROLE_OWNER;
	if (store_fleet_insert(s, name, owner.fleet, err) != 0 ||
	    store_member_insert(s, owner.fleet, owner.user, ROLE_OWNER,
	    err) != 0 || store_fleet_seed(s, &owner, err) != 0)
		return (-1);
	if (store_get_json(s, err, out, STORE_FLEET_SELECT
	    " WHERE mb.fleet_id = ? AND mb.user_id = ?", "ss", owner.fleet,
	    owner.user) != 1)
		return (-1);
	return (store_event_add(s, err, owner.fleet, "fleet.created",
	    owner.fleet, *out));
}

/* The actor's fleet by id or name, for a route naming it: 404 otherwise. */
static int
store_fleet_own(struct store *s, const struct store_actor *a,
    const char *ref, struct ufo_error *err)
{
	int64_t	 n;

	if (store_get_int(s, err, &n,
	    "SELECT count(*) FROM fleets WHERE id = ?1 AND (id = ?2 OR"
	    " name = ?2) AND deleted_at IS NULL", "ss", a->fleet, ref) != 1)
		return (-1);
	if (n == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "fleet %s not found",
		    ref));
	return (0);
}

static int
store_fleet_rename_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", NULL };
	const char	*name;

	if (store_fleet_own(s, a, ref, err) != 0 ||
	    store_need_role(a, ROLE_OWNER, "renaming a fleet", err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "name", &name, JSONX_REQUIRED, err) == -1 ||
	    store_fleet_check_name(name, err) != 0 ||
	    store_fleet_name_free(s, name, a->fleet, err) != 0)
		return (-1);
	if (store_exec(s, err, "UPDATE fleets SET name = ? WHERE id = ?",
	    "ss", name, a->fleet) == -1 ||
	    store_get_json(s, err, out, STORE_FLEET_SELECT
	    " WHERE mb.fleet_id = ? AND mb.user_id = ?", "ss", a->fleet,
	    a->user) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "fleet.renamed", a->fleet,
	    *out));
}

/*
 * What a fleet holds, children first, so that every foreign key is met at
 * each step. A run's messages and artifacts hang off the run.
 */
static const char *const store_fleet_purge[] = {
	"DELETE FROM artifacts WHERE run_id IN"
	" (SELECT id FROM runs WHERE fleet_id = ?)",
	"DELETE FROM run_messages WHERE run IN"
	" (SELECT seq FROM runs WHERE fleet_id = ?)",
	"DELETE FROM signals WHERE fleet_id = ?",
	"DELETE FROM runs WHERE fleet_id = ?",
	"DELETE FROM rover_kinds WHERE fleet_id = ?",
	"DELETE FROM rovers WHERE fleet_id = ?",
	"DELETE FROM enrollment_codes WHERE fleet_id = ?",
	"DELETE FROM relations WHERE fleet_id = ?",
	"DELETE FROM comments WHERE fleet_id = ?",
	"DELETE FROM operation_labels WHERE op_id IN"
	" (SELECT id FROM operations WHERE fleet_id = ?)",
	"DELETE FROM operations WHERE fleet_id = ?",
	"DELETE FROM labels WHERE fleet_id = ?",
	"DELETE FROM crew_members WHERE crew_id IN"
	" (SELECT id FROM crews WHERE fleet_id = ?)",
	"DELETE FROM crews WHERE fleet_id = ?",
	"DELETE FROM pilots WHERE fleet_id = ?",
	"DELETE FROM credentials WHERE fleet_id = ?",
	"DELETE FROM missions WHERE fleet_id = ?",
	"DELETE FROM invitations WHERE fleet_id = ?",
	"DELETE FROM tokens WHERE fleet_id = ?",
	"DELETE FROM members WHERE fleet_id = ?",
	"DELETE FROM events WHERE fleet_id = ?",
};

static int
store_fleet_delete_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	char	 first[STORE_ID_SIZE];
	int64_t	 n;
	size_t	 i;

	(void)in;
	if (store_fleet_own(s, a, ref, err) != 0 ||
	    store_need_role(a, ROLE_OWNER, "deleting a fleet", err) != 0)
		return (-1);
	if (store_get_text(s, err, first, sizeof first,
	    "SELECT " STORE_DEFAULT_FLEET, "") != 1)
		return (-1);
	if (strcmp(first, a->fleet) == 0)
		return (err_set(err, UFO_ECONFLICT, "", "fleet %s is the "
		    "default fleet, which cannot be deleted", ref));
	if (store_get_int(s, err, &n, "SELECT count(*) FROM runs"
	    " WHERE fleet_id = ? AND finished_at IS NULL", "s", a->fleet) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "", "fleet %s still has "
		    "%lld active run%s: cancel %s first", ref, (long long)n,
		    n == 1 ? "" : "s", n == 1 ? "it" : "them"));
	if (store_get_int(s, err, &n, "SELECT count(*) FROM ssh_hosts"
	    " WHERE fleet_id = ?", "s", a->fleet) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "", "fleet %s still has "
		    "%lld SSH host%s: remove %s first (ufo rover remove)", ref,
		    (long long)n, n == 1 ? "" : "s", n == 1 ? "it" : "them"));
	if (store_get_json(s, err, out, STORE_FLEET_SELECT
	    " WHERE mb.fleet_id = ? AND mb.user_id = ?", "ss", a->fleet,
	    a->user) != 1)
		return (-1);
	for (i = 0; i < sizeof store_fleet_purge / sizeof store_fleet_purge[0];
	    i++) {
		if (store_exec(s, err, store_fleet_purge[i], "s",
		    a->fleet) == -1)
			return (-1);
	}
	/* The bare row keeps the last event's id taken; its name is free. */
	if (store_exec(s, err, "UPDATE fleets SET name = id, deleted_at = ?"
	    " WHERE id = ?", "ss", s->now, a->fleet) == -1)
		return (-1);
	json_object_object_add(*out, "deleted", json_object_new_boolean(1));
	store_auth_revoked(s);
	return (store_event_add(s, err, a->fleet, "fleet.deleted", a->fleet,
	    *out));
}

int
store_fleet_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_fleet_create_tx,
	    err));
}

int
store_fleet_rename(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_fleet_rename_tx,
	    err));
}

int
store_fleet_delete(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, ref, NULL, out, store_fleet_delete_tx,
	    err));
}

/*
 * A member of the actor's fleet by user id or email: its id and role. 404
 * for anyone else, member of another fleet or not.
 */
static int
store_member_find(struct store *s, const struct store_actor *a,
    const char *ref, char *id, int *role, struct ufo_error *err)
{
	struct json_object	*row;
	int			 r;

	r = store_get_json(s, err, &row,
	    "SELECT u.id, mb.role FROM members mb JOIN users u"
	    " ON u.id = mb.user_id WHERE mb.fleet_id = ?1"
	    " AND (u.id = ?2 OR u.email = ?2)", "ss", a->fleet, ref);
	if (r == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "member %s not found",
		    ref));
	snprintf(id, STORE_ID_SIZE, "%s", jsonx_str(row, "id"));
	*role = role_from_name(jsonx_str(row, "role"));
	json_object_put(row);
	return (0);
}

/*
 * Whether the fleet may lose owner user: some other owner must remain,
 * and the socket's user stays the owner of the default fleet. Checked in
 * the transaction that makes the change, so two owners leaving at once
 * cannot both succeed.
 */
static int
store_member_keep_owner(struct store *s, const struct store_actor *a,
    const char *user, struct ufo_error *err)
{
	int64_t	 n;

	if (store_get_int(s, err, &n,
	    "SELECT count(*) FROM members WHERE fleet_id = ?1"
	    " AND role = 'owner' AND user_id <> ?2", "ss", a->fleet,
	    user) != 1)
		return (-1);
	if (n == 0)
		return (err_set(err, UFO_ECONFLICT, "", "the fleet must keep "
		    "an owner: make another member owner first"));
	if (store_get_int(s, err, &n,
	    "SELECT ?1 = " STORE_DEFAULT_FLEET " AND ?2 = " STORE_LOCAL_USER,
	    "ss", a->fleet, user) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "", "the local user stays "
		    "the owner of the default fleet"));
	return (0);
}

#define STORE_MEMBER_SELECT						\
	"SELECT u.id, u.email, u.name, mb.role, mb.created_at"		\
	" FROM members mb JOIN users u ON u.id = mb.user_id"

static int
store_member_update_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "role", NULL };
	const char	*name;
	char		 id[STORE_ID_SIZE];
	int		 old, role;

	if (store_need_role(a, ROLE_ADMIN, "changing a member's role",
	    err) != 0 || store_member_find(s, a, ref, id, &old, err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "role", &name, JSONX_REQUIRED, err) == -1)
		return (-1);
	if ((role = role_from_name(name)) == -1)
		return (err_set(err, UFO_EINVAL, "role", "role: \"%s\" is not "
		    "a role (member, admin or owner)", name));
	if ((old == ROLE_OWNER || role == ROLE_OWNER) &&
	    store_need_role(a, ROLE_OWNER, "granting or taking the owner "
	    "role", err) != 0)
		return (-1);
	if (old == ROLE_OWNER && role != ROLE_OWNER &&
	    store_member_keep_owner(s, a, id, err) != 0)
		return (-1);
	if (store_exec(s, err, "UPDATE members SET role = ?"
	    " WHERE fleet_id = ? AND user_id = ?", "sss", role_name(role),
	    a->fleet, id) == -1 ||
	    store_get_json(s, err, out, STORE_MEMBER_SELECT
	    " WHERE mb.fleet_id = ? AND mb.user_id = ?", "ss", a->fleet,
	    id) != 1)
		return (-1);
	if (old == role)
		return (0);
	store_auth_revoked(s);
	return (store_event_add(s, err, a->fleet, "member.updated", id, *out));
}

static int
store_member_remove_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE];
	int	 role;

	(void)in;
	if (store_member_find(s, a, ref, id, &role, err) != 0)
		return (-1);
	/* Anyone may leave; removing someone else takes a role. */
	if (strcmp(id, a->user) != 0 &&
	    (store_need_role(a, ROLE_ADMIN, "removing a member", err) != 0 ||
	    (role == ROLE_OWNER && store_need_role(a, ROLE_OWNER, "removing "
	    "an owner", err) != 0)))
		return (-1);
	if (role == ROLE_OWNER && store_member_keep_owner(s, a, id, err) != 0)
		return (-1);
	if (store_get_json(s, err, out, STORE_MEMBER_SELECT
	    " WHERE mb.fleet_id = ? AND mb.user_id = ?", "ss", a->fleet,
	    id) != 1)
		return (-1);
	if (store_exec(s, err, "DELETE FROM members"
	    " WHERE fleet_id = ? AND user_id = ?", "ss", a->fleet, id) == -1 ||
	    store_exec(s, err, "UPDATE tokens SET revoked_at = ?"
	    " WHERE fleet_id = ? AND user_id = ? AND revoked_at IS NULL",
	    "sss", s->now, a->fleet, id) == -1)
		return (-1);
	json_object_object_add(*out, "removed", json_object_new_boolean(1));
	store_auth_revoked(s);
	return (store_event_add(s, err, a->fleet, "member.removed", id, *out));
}

int
store_member_update(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_member_update_tx,
	    err));
}

int
store_member_remove(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, ref, NULL, out, store_member_remove_tx,
	    err));
}

/* Whether user may run the whole server: an owner of the default fleet. */
int
store_server_owner(struct store *s, const char *user, struct ufo_error *err)
{
	struct store	*r;
	int64_t		 n;
	int		 rc;

	r = store_read(s);
	rc = store_get_int(r, err, &n, "SELECT count(*) FROM members"
	    " WHERE fleet_id = " STORE_DEFAULT_FLEET " AND user_id = ?"
	    " AND role = 'owner'", "s", user);
	store_read_end(r);
	if (rc != 1)
		return (-1);
	return (n != 0);
}

int
store_fleet_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items,
	    STORE_FLEET_SELECT
	    " WHERE mb.user_id = ? ORDER BY f.created_at, f.name",
	    "s", a->user);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}

int
store_member_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items,
	    STORE_MEMBER_SELECT
	    " WHERE mb.fleet_id = ? ORDER BY mb.created_at, u.email",
	    "s", a->fleet);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}

int
store_actor_fleet(struct store *s, struct store_actor *a, const char *ref,
    struct ufo_error *err)
{
	struct json_object	*row;
	int			 r;

	if (ref == NULL || *ref == '\0')
		return (err_set(err, UFO_ENOTFOUND, "",
		    "fleet \"\" not found"));
	s = store_read(s);
	r = store_get_json(s, err, &row,
	    "SELECT f.id, mb.role FROM fleets f"
	    " JOIN members mb ON mb.fleet_id = f.id AND mb.user_id = ?1"
	    " WHERE f.id = ?2 OR f.name = ?2 ORDER BY f.id = ?2 DESC LIMIT 1",
	    "ss", a->user, ref);
	store_read_end(s);
	if (r == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "fleet %s not found",
		    ref));
	snprintf(a->fleet, sizeof a->fleet, "%s", jsonx_str(row, "id"));
	a->role = role_from_name(jsonx_str(row, "role"));
	json_object_put(row);
	return (0);
}

/*
 * Resolves "pilot:NAME", "user:EMAIL" or (with crews set) "crew:NAME" in
 * the fleet to a kind and an id; errors name field. 1 resolved, -1 error.
 */
int
store_party_resolve(struct store *s, const char *fleet, const char *value,
    const char *field, int crews, const char **kind, char *id,
    struct ufo_error *err)
{
	const char	*colon, *name, *what;
	const char	*sql;
	char		 prefix[16];
	int		 k, r;

	if ((colon = strchr(value, ':')) == NULL ||
	    (size_t)(colon - value) >= sizeof prefix)
		goto unknown;
	snprintf(prefix, sizeof prefix, "%.*s", (int)(colon - value), value);
	name = colon + 1;
	k = assignee_kind_from_name(prefix);
	if (k == -1 || (k == ASSIGNEE_CREW && !crews) || *name == '\0')
		goto unknown;

	switch (k) {
	case ASSIGNEE_PILOT:
		what = "pilot";
		sql = "SELECT id FROM pilots WHERE fleet_id = ? AND name = ?";
		break;
	case ASSIGNEE_USER:
		what = "member";
		sql = "SELECT u.id FROM users u JOIN members mb"
		    " ON mb.user_id = u.id AND mb.fleet_id = ?"
		    " WHERE u.email = ?";
		break;
	default:
		what = "crew";
		sql = "SELECT id FROM crews WHERE fleet_id = ? AND name = ?";
		break;
	}
	r = store_get_text(s, err, id, STORE_ID_SIZE, sql, "ss", fleet, name);
	if (r == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_EINVAL, field, "%s: no %s \"%s\" in "
		    "this fleet", field, what, name));
	*kind = assignee_kind_name(k);
	return (1);

unknown:
	if (crews)
		return (err_set(err, UFO_EINVAL, field, "%s: unknown assignee "
		    "\"%s\" (expected pilot:NAME, user:EMAIL, crew:NAME or "
		    "none)", field, value));
	return (err_set(err, UFO_EINVAL, field, "%s: unknown member \"%s\" "
	    "(expected pilot:NAME or user:EMAIL)", field, value));
}

/* Crew and pilot names: [a-z0-9][a-z0-9_.-]*, at most 64 characters. */
static int
store_crew_check_name(const char *name, struct ufo_error *err)
{
	if (store_name_ok(name, 0))
		return (0);
	return (err_set(err, UFO_EINVAL, "name", "name: \"%s\" is not a valid "
	    "crew name (lower-case letters, digits, '_', '.', '-'; at most 64)",
	    name));
}

static int
store_crew_add_member(struct store *s, const char *crew, int *idx,
    const char *kind, const char *id, struct ufo_error *err)
{
	/* A party named twice is kept once, where it first appeared. */
	if (store_exec(s, err,
	    "INSERT OR IGNORE INTO crew_members (crew_id, idx, kind, member_id)"
	    " VALUES (?, ?, ?, ?)", "sdss", crew, *idx, kind, id) == -1)
		return (-1);
	(*idx)++;
	return (0);
}

static int
store_crew_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", "captain", "members",
	    NULL };
	struct json_object	*members = NULL;
	const char		*name, *captain = NULL, *kind, *ckind = NULL;
	char			 id[STORE_ID_SIZE], pid[STORE_ID_SIZE];
	char			 cid[STORE_ID_SIZE];
	int64_t			 n;
	size_t			 i;
	int			 r, idx = 0;

	(void)ref;
	if (store_need_role(a, ROLE_ADMIN, "making a crew", err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "name", &name, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "captain", &captain, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string_array(in, "members", &members, JSONX_OPTIONAL,
	    err) == -1)
		return (-1);
	if (store_crew_check_name(name, err) != 0)
		return (-1);
	r = store_get_int(s, err, &n,
	    "SELECT count(*) FROM crews WHERE fleet_id = ? AND name = ?",
	    "ss", a->fleet, name);
	if (r == -1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "name", "crew %s already "
		    "exists", name));
	if (captain != NULL && store_party_resolve(s, a->fleet, captain,
	    "captain", 0, &ckind, cid, err) == -1)
		return (-1);

	store_new_id(id, "crw");
	if (store_exec(s, err,
	    "INSERT INTO crews (id, fleet_id, name, captain_kind, captain_id,"
	    " created_at) VALUES (?, ?, ?, ?, ?, ?)", "ssssss", id, a->fleet,
	    name, ckind, ckind != NULL ? cid : NULL, s->now) == -1)
		return (-1);
	/* The captain is always one of the crew. */
	if (ckind != NULL &&
	    store_crew_add_member(s, id, &idx, ckind, cid, err) != 0)
		return (-1);
	for (i = 0; members != NULL && i < json_object_array_length(members);
	    i++) {
		if (store_party_resolve(s, a->fleet, json_object_get_string(
		    json_object_array_get_idx(members, i)), "members", 0, &kind,
		    pid, err) == -1 ||
		    store_crew_add_member(s, id, &idx, kind, pid, err) != 0)
			return (-1);
	}

	if (store_get_json(s, err, out, STORE_CREW_SELECT " WHERE c.id = ?",
	    "s", id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "crew.created", id, *out));
}

int
store_crew_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_crew_insert, err));
}

int
store_crew_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items,
	    STORE_CREW_SELECT " WHERE c.fleet_id = ? ORDER BY c.name", "s",
	    a->fleet);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}
