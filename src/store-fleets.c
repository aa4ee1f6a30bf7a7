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

int
store_fleet_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items,
	    "SELECT f.id, f.name, mb.role, f.created_at"
	    " FROM members mb JOIN fleets f ON f.id = mb.fleet_id"
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
	    "SELECT u.id, u.email, u.name, mb.role, mb.created_at"
	    " FROM members mb JOIN users u ON u.id = mb.user_id"
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
	size_t	 i, len = strlen(name);

	if (len == 0 || len > 64)
		goto bad;
	for (i = 0; i < len; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9'))
			continue;
		if (i > 0 && strchr("_.-", name[i]) != NULL)
			continue;
		goto bad;
	}
	return (0);
bad:
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
    struct json_object *in, struct json_object **out, struct ufo_error *err)
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
	int	 rc;

	*out = NULL;
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_crew_insert(s, a, in, out, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
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
