/*
 * Missions: groups of operations with a short key; each keeps the sequence
 * its operation codes are numbered from.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "store-internal.h"

#define STORE_MISSION_SELECT						\
	"SELECT id, key, name, repo, branch, next_number, created_at,"	\
	" updated_at FROM missions"

/* A key is 1-10 of [A-Z0-9], starting with a letter; lower case is raised. */
static int
store_mission_key(const char *in, char *key, size_t len)
{
	size_t	 i, n = strlen(in);

	if (n == 0 || n > 10 || n >= len)
		return (-1);
	for (i = 0; i < n; i++) {
		key[i] = toupper((unsigned char)in[i]);
		if (key[i] >= 'A' && key[i] <= 'Z')
			continue;
		if (i > 0 && key[i] >= '0' && key[i] <= '9')
			continue;
		return (-1);
	}
	key[n] = '\0';
	return (0);
}

/* A mission by key (any case) or id: 1 found (id filled), 0 not, -1. */
int
store_mission_resolve(struct store *s, const char *fleet, const char *ref,
    char *id, struct ufo_error *err)
{
	char	 key[16];

	if (store_mission_key(ref, key, sizeof key) == 0)
		return (store_get_text(s, err, id, STORE_ID_SIZE,
		    "SELECT id FROM missions WHERE fleet_id = ? AND key = ?",
		    "ss", fleet, key));
	return (store_get_text(s, err, id, STORE_ID_SIZE,
	    "SELECT id FROM missions WHERE fleet_id = ? AND id = ?",
	    "ss", fleet, ref));
}

/* Optional repo/branch: a string sets, "" or null clears. */
static int
store_mission_opt(struct json_object *in, const char *field, const char **v,
    int *set, struct ufo_error *err)
{
	int	 r;

	*set = 0;
	if (store_is_null(in, field)) {
		*v = NULL;
		*set = 1;
		return (0);
	}
	if ((r = jsonx_get_string(in, field, v, JSONX_OPTIONAL, err)) == -1)
		return (-1);
	if (r == 1) {
		*set = 1;
		if (store_blank(*v))
			*v = NULL;
	}
	return (0);
}

int
store_mission_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "key", "name", "repo", "branch",
	    NULL };
	const char	*kin, *name, *repo = NULL, *branch = NULL;
	char		 key[16], id[STORE_ID_SIZE];
	int64_t		 n;
	int		 set;

	(void)ref;
	*out = NULL;
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "key", &kin, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "name", &name, JSONX_REQUIRED, err) == -1 ||
	    store_mission_opt(in, "repo", &repo, &set, err) != 0 ||
	    store_mission_opt(in, "branch", &branch, &set, err) != 0)
		return (-1);
	if (store_mission_key(kin, key, sizeof key) != 0)
		return (err_set(err, UFO_EINVAL, "key", "key: \"%s\" is not a "
		    "valid mission key (1-10 letters and digits, starting with "
		    "a letter, e.g. WEB)", kin));
	if (store_blank(name))
		return (err_set(err, UFO_EINVAL, "name", "name: must not be "
		    "blank"));
	if (store_get_int(s, err, &n,
	    "SELECT count(*) FROM missions WHERE fleet_id = ? AND key = ?",
	    "ss", a->fleet, key) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "key", "mission %s already "
		    "exists", key));

	store_new_id(id, "msn");
	if (store_exec(s, err,
	    "INSERT INTO missions (id, fleet_id, key, name, repo, branch,"
	    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "ssssssss", id, a->fleet, key, name, repo, branch, s->now,
	    s->now) == -1)
		return (-1);
	if (store_get_json(s, err, out, STORE_MISSION_SELECT " WHERE id = ?",
	    "s", id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "mission.created", id, *out));
}

int
store_mission_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_mission_insert, err));
}

int
store_mission_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items,
	    STORE_MISSION_SELECT " WHERE fleet_id = ? ORDER BY key", "s",
	    a->fleet);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}

int
store_mission_get(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE];
	int	 r;

	*out = NULL;
	s = store_read(s);
	if ((r = store_mission_resolve(s, a->fleet, ref, id, err)) == 1)
		r = store_get_json(s, err, out,
		    STORE_MISSION_SELECT " WHERE id = ?", "s", id);
	store_read_end(s);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "mission %s not found",
		    ref));
	return (r == 1 ? 0 : -1);
}

static int
store_mission_patch(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", "repo", "branch", NULL };
	const char	*name = NULL, *repo = NULL, *branch = NULL;
	char		 id[STORE_ID_SIZE];
	int		 r, set_repo, set_branch;

	if ((r = store_mission_resolve(s, a->fleet, ref, id, err)) == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "mission %s not found",
		    ref));
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "name", &name, JSONX_OPTIONAL, err) == -1 ||
	    store_mission_opt(in, "repo", &repo, &set_repo, err) != 0 ||
	    store_mission_opt(in, "branch", &branch, &set_branch, err) != 0)
		return (-1);
	if (store_is_null(in, "name") || (name != NULL && store_blank(name)))
		return (err_set(err, UFO_EINVAL, "name", "name: must not be "
		    "blank"));

	/* Nothing to change: answer the mission, announce nothing. */
	if (name == NULL && !set_repo && !set_branch)
		return (store_get_json(s, err, out,
		    STORE_MISSION_SELECT " WHERE id = ?", "s", id) == 1 ? 0 :
		    -1);
	if (store_exec(s, err,
	    "UPDATE missions SET name = coalesce(?2, name),"
	    " repo = CASE WHEN ?3 THEN ?4 ELSE repo END,"
	    " branch = CASE WHEN ?5 THEN ?6 ELSE branch END, updated_at = ?7"
	    " WHERE id = ?1", "ssdsdss", id, name, set_repo, repo, set_branch,
	    branch, s->now) == -1)
		return (-1);
	if (store_get_json(s, err, out, STORE_MISSION_SELECT " WHERE id = ?",
	    "s", id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "mission.updated", id, *out));
}

int
store_mission_update(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_mission_patch, err));
}
