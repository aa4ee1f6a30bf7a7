/*
 * Pilot profiles (what to run and how) and labels (tags on operations,
 * created on first use).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "protocol.h"
#include "store-internal.h"

#define STORE_PILOT_SELECT						\
	"SELECT id, name, kind, model, args AS \"args:json\","		\
	" env AS \"env:json\", credentials AS \"credentials:json\","	\
	" max_turns, timeout, created_at, updated_at FROM pilots"
#define STORE_LABEL_SELECT						\
	"SELECT id, name, color, created_at FROM labels"

/* The fields of a pilot as read from a request, before they are written. */
struct store_pilot_fields {
	const char	*name;
	const char	*kind;
	const char	*model;
	int		 model_set;
	const char	*args;		/* JSON text, NULL when not given */
	const char	*env;
	const char	*credentials;
	int64_t		 max_turns;
	int		 max_turns_set;	/* -1 cleared, 1 set */
	int64_t		 timeout;
	int		 timeout_set;
};

static int
store_pilot_check_name(const char *name, struct ufo_error *err)
{
	if (store_name_ok(name, 0))
		return (0);
	return (err_set(err, UFO_EINVAL, "name", "name: \"%s\" is not a valid "
	    "pilot name (lower-case letters, digits, '_', '.', '-'; at most "
	    "64)", name));
}

static int
store_pilot_check_env_name(const char *name)
{
	size_t	 i;

	if (*name == '\0' || (*name >= '0' && *name <= '9'))
		return (-1);
	for (i = 0; name[i] != '\0'; i++) {
		if (!((name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return (-1);
	}
	return (0);
}

/* Reads and checks every field present; JSON texts point into in. */
static int
store_pilot_read(struct json_object *in, int create,
    struct store_pilot_fields *f, struct ufo_error *err)
{
	static const char *const keys[] = { "name", "kind", "model", "args",
	    "env", "credentials", "max_turns", "timeout", NULL };
	struct json_object	*args = NULL, *creds = NULL, *env;
	size_t			 i;
	int			 r, req;

	memset(f, 0, sizeof *f);
	req = create ? JSONX_REQUIRED : JSONX_OPTIONAL;
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "name", &f->name, req, err) == -1 ||
	    jsonx_get_string(in, "kind", &f->kind, req, err) == -1)
		return (-1);
	if (f->name != NULL && store_pilot_check_name(f->name, err) != 0)
		return (-1);
	if (f->kind != NULL && pilot_kind_from_name(f->kind) == -1)
		return (err_set(err, UFO_EINVAL, "kind", "kind: unknown pilot "
		    "kind \"%s\" (expected claude, codex, goose, shell or "
		    "command)", f->kind));

	if ((r = jsonx_get_string(in, "model", &f->model, JSONX_OPTIONAL,
	    err)) == -1)
		return (-1);
	f->model_set = r == 1 || store_is_null(in, "model");
	if (f->model != NULL && store_blank(f->model))
		f->model = NULL;

	if (jsonx_get_string_array(in, "args", &args, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string_array(in, "credentials", &creds, JSONX_OPTIONAL,
	    err) == -1)
		return (-1);
	if (args != NULL)
		f->args = jsonx_compact(args);
	if (creds != NULL) {
		for (i = 0; i < json_object_array_length(creds); i++) {
			if (store_credential_check_name(json_object_get_string(
			    json_object_array_get_idx(creds, i)),
			    "credentials", err) != 0)
				return (-1);
		}
		f->credentials = jsonx_compact(creds);
	}

	if (json_object_object_get_ex(in, "env", &env) && env != NULL) {
		if (!json_object_is_type(env, json_type_object))
			return (err_set(err, UFO_EINVAL, "env", "env: expected "
			    "an object of strings"));
		json_object_object_foreach(env, k, v) {
			if (v == NULL || !json_object_is_type(v,
			    json_type_string))
				return (err_set(err, UFO_EINVAL, "env",
				    "env.%s: expected a string", k));
			if (store_pilot_check_env_name(k) != 0)
				return (err_set(err, UFO_EINVAL, "env", "env: "
				    "\"%s\" is not a valid variable name", k));
		}
		f->env = jsonx_compact(env);
	}

	if ((r = jsonx_get_int(in, "max_turns", &f->max_turns, JSONX_OPTIONAL,
	    err)) == -1)
		return (-1);
	f->max_turns_set = r == 1 ? 1 : store_is_null(in, "max_turns") ? -1 : 0;
	if (r == 1 && (f->max_turns < 1 || f->max_turns > 1000000))
		return (err_set(err, UFO_EINVAL, "max_turns", "max_turns: must "
		    "be a positive number"));
	if ((r = jsonx_get_int(in, "timeout", &f->timeout, JSONX_OPTIONAL,
	    err)) == -1)
		return (-1);
	f->timeout_set = r == 1;
	if (r == 1 && (f->timeout < 1 || f->timeout > 366 * 86400))
		return (err_set(err, UFO_EINVAL, "timeout", "timeout: must be "
		    "between 1 and 31622400 seconds"));
	return (0);
}

static int
store_pilot_taken(struct store *s, const char *fleet, const char *name,
    const char *self, struct ufo_error *err)
{
	int64_t	 n;

	if (store_get_int(s, err, &n,
	    "SELECT count(*) FROM pilots WHERE fleet_id = ? AND name = ?"
	    " AND id IS NOT ?", "sss", fleet, name, self) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "name", "pilot %s already "
		    "exists", name));
	return (0);
}

int
store_pilot_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	struct store_pilot_fields	 f;
	char				 id[STORE_ID_SIZE];

	(void)ref;
	*out = NULL;
	if (store_need_role(a, ROLE_ADMIN, "making a pilot", err) != 0)
		return (-1);
	if (store_pilot_read(in, 1, &f, err) != 0 ||
	    store_pilot_taken(s, a->fleet, f.name, NULL, err) != 0)
		return (-1);
	store_new_id(id, "plt");
	if (store_exec(s, err,
	    "INSERT INTO pilots (id, fleet_id, name, kind, model, args, env,"
	    " credentials, max_turns, timeout, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, '[]'),"
	    " coalesce(?7, '{}'), coalesce(?8, '[]'),"
	    " CASE WHEN ?9 = 1 THEN ?10 END, ?11, ?12, ?12)",
	    "ssssssssdiis", id, a->fleet, f.name, f.kind, f.model, f.args,
	    f.env, f.credentials, f.max_turns_set, f.max_turns,
	    f.timeout_set ? f.timeout : (int64_t)3600, s->now) == -1)
		return (-1);
	if (store_get_json(s, err, out, STORE_PILOT_SELECT " WHERE id = ?",
	    "s", id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "pilot.created", id, *out));
}

int
store_pilot_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_pilot_insert, err));
}

int
store_pilot_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	return (store_list_fleet(s, a->fleet,
	    STORE_PILOT_SELECT " WHERE fleet_id = ? ORDER BY name", out,
	    err));
}

/* A pilot by name or id: 1 found, 0 not, -1 error. */
static int
store_pilot_resolve(struct store *s, const char *fleet, const char *ref,
    char *id, struct ufo_error *err)
{
	return (store_get_text(s, err, id, STORE_ID_SIZE,
	    "SELECT id FROM pilots WHERE fleet_id = ?1"
	    " AND (name = lower(?2) OR id = ?2)", "ss", fleet, ref));
}

int
store_pilot_get(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE];
	int	 r;

	*out = NULL;
	s = store_read(s);
	if ((r = store_pilot_resolve(s, a->fleet, ref, id, err)) == 1)
		r = store_get_json(s, err, out,
		    STORE_PILOT_SELECT " WHERE id = ?", "s", id);
	store_read_end(s);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "pilot %s not found",
		    ref));
	return (r == 1 ? 0 : -1);
}

static int
store_pilot_patch(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	struct store_pilot_fields	 f;
	char				 id[STORE_ID_SIZE];
	int				 r;

	if (store_need_role(a, ROLE_ADMIN, "changing a pilot", err) != 0)
		return (-1);
	if ((r = store_pilot_resolve(s, a->fleet, ref, id, err)) == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "pilot %s not found",
		    ref));
	if (store_pilot_read(in, 0, &f, err) != 0)
		return (-1);
	if (f.name != NULL &&
	    store_pilot_taken(s, a->fleet, f.name, id, err) != 0)
		return (-1);
	if (store_exec(s, err,
	    "UPDATE pilots SET name = coalesce(?2, name),"
	    " kind = coalesce(?3, kind),"
	    " model = CASE WHEN ?4 THEN ?5 ELSE model END,"
	    " args = coalesce(?6, args), env = coalesce(?7, env),"
	    " credentials = coalesce(?8, credentials),"
	    " max_turns = CASE ?9 WHEN 1 THEN ?10 WHEN -1 THEN NULL"
	    " ELSE max_turns END,"
	    " timeout = CASE WHEN ?11 THEN ?12 ELSE timeout END,"
	    " updated_at = ?13 WHERE id = ?1", "sssdssssdidis", id, f.name,
	    f.kind, f.model_set, f.model, f.args, f.env, f.credentials,
	    f.max_turns_set, f.max_turns, f.timeout_set, f.timeout,
	    s->now) == -1)
		return (-1);
	if (store_get_json(s, err, out, STORE_PILOT_SELECT " WHERE id = ?",
	    "s", id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "pilot.updated", id, *out));
}

int
store_pilot_update(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_pilot_patch, err));
}

/* Labels. */

/* 1-64 characters, no white space, no commas (they separate filters). */
int
store_label_check_name(const char *name, const char *field,
    struct ufo_error *err)
{
	size_t	 len = strlen(name);

	if (len == 0 || len > 64 || strpbrk(name, " \t\r\n\v\f,") != NULL)
		return (err_set(err, UFO_EINVAL, field, "%s: \"%s\" is not a "
		    "valid label name (1-64 characters, no spaces or commas)",
		    field, name));
	return (0);
}

static int
store_label_insert(struct store *s, const struct store_actor *a,
    const char *name, const char *color, char *id, struct json_object **out,
    struct ufo_error *err)
{
	store_new_id(id, "lbl");
	if (store_exec(s, err,
	    "INSERT INTO labels (id, fleet_id, name, color, created_at)"
	    " VALUES (?, ?, ?, ?, ?)", "sssss", id, a->fleet, name, color,
	    s->now) == -1)
		return (-1);
	if (store_get_json(s, err, out, STORE_LABEL_SELECT " WHERE id = ?",
	    "s", id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "label.created", id, *out));
}

/* The label called name, created (and announced) when new. */
int
store_label_ensure(struct store *s, const struct store_actor *a,
    const char *name, char *id, struct ufo_error *err)
{
	struct json_object	*obj;
	int			 r;

	r = store_get_text(s, err, id, STORE_ID_SIZE,
	    "SELECT id FROM labels WHERE fleet_id = ? AND name = ?", "ss",
	    a->fleet, name);
	if (r != 0)
		return (r == 1 ? 0 : -1);
	r = store_label_insert(s, a, name, NULL, id, &obj, err);
	json_object_put(obj);
	return (r);
}

static int
store_label_create_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", "color", NULL };
	const char	*name, *color = NULL;
	char		 id[STORE_ID_SIZE];
	int		 r;

	(void)ref;
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "name", &name, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "color", &color, JSONX_OPTIONAL, err) == -1 ||
	    store_label_check_name(name, "name", err) != 0)
		return (-1);
	if (color != NULL && store_blank(color))
		color = NULL;
	if (color != NULL && strlen(color) > 32)
		return (err_set(err, UFO_EINVAL, "color", "color: at most 32 "
		    "characters"));
	r = store_get_text(s, err, id, STORE_ID_SIZE,
	    "SELECT id FROM labels WHERE fleet_id = ? AND name = ?", "ss",
	    a->fleet, name);
	if (r == -1)
		return (-1);
	if (r == 1)
		return (err_set(err, UFO_ECONFLICT, "name", "label %s already "
		    "exists", name));
	return (store_label_insert(s, a, name, color, id, out, err));
}

int
store_label_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_label_create_tx, err));
}

int
store_label_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	return (store_list_fleet(s, a->fleet,
	    STORE_LABEL_SELECT " WHERE fleet_id = ? ORDER BY name", out,
	    err));
}
