/*
 * Rovers: hosts that run pilots. One enrolls by trading an enrollment code
 * (shown once, kept as a hash, N uses, expiring) for its own token ("ufor_",
 * also kept only as a hash). A rover's tags say what it can do: pilot:KIND
 * for each pilot kind, plus os:, arch: and the user's own. Claims hand it
 * the oldest run it can take; heartbeats renew the leases of the runs it
 * holds and tell it which to cancel and which it lost.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "store-internal.h"
#include "xmalloc.h"

#define STORE_ROVER_PREFIX	"ufor_"
#define STORE_CODE_PREFIX	"ufoenr_"
#define STORE_CODE_LIFE		3600		/* default, seconds */
#define STORE_CODE_MAX_LIFE	(366LL * 86400)
#define STORE_CODE_MAX_USES	100000
#define STORE_ROVER_MAX_UNITS	1024
#define STORE_TAG_MAX		64
#define STORE_TAGS_MAX		64
#define STORE_HEARTBEAT_MAX	1024		/* runs in one heartbeat */
#define STORE_SEEN_STEP_MS	1000		/* last seen is kept to this */

#define STORE_STR(x)		STORE_STR1(x)
#define STORE_STR1(x)		#x

/* Online: seen within UFO_ROVER_OFFLINE_SECS. ?1 is now in ms. */
#define STORE_ROVER_SELECT						\
	"SELECT id, name, tags AS \"tags:json\","			\
	" auto_tags AS \"auto_tags:json\", units, busy AS units_busy,"	\
	" CASE WHEN revoked_at IS NOT NULL THEN 'revoked'"		\
	" WHEN last_seen_ms IS NULL OR last_seen_ms < ?1 - 1000 * "	\
	STORE_STR(UFO_ROVER_OFFLINE_SECS)				\
	" THEN 'offline' WHEN busy >= units THEN 'busy'"		\
	" ELSE 'online' END AS state, version, host, last_seen_at,"	\
	" created_at, ssh AS \"ssh:json\","				\
	" CASE WHEN ssh IS NULL THEN 'direct' ELSE 'ssh' END AS transport"	\
	" FROM (SELECT r.*, (SELECT count(*) FROM runs u"		\
	" WHERE u.rover_id = r.id AND u.finished_at IS NULL) AS busy,"	\
	" (SELECT json_object('id', h.id, 'target', h.user || '@' ||"	\
	" CASE WHEN instr(h.host, ':') > 0 THEN '[' || h.host || ']'"	\
	" ELSE h.host END || ':' || h.port, 'state', h.state, 'last_error',"\
	" h.last_error, 'direct', h.direct) FROM ssh_hosts h"		\
	" WHERE h.rover_id = r.id) AS ssh"				\
	" FROM rovers r"

#define STORE_CODE_SELECT						\
	"SELECT id, uses, used, tags AS \"tags:json\", expires_at,"	\
	" created_at FROM enrollment_codes"

/* Tags. */

static int
store_tag_check(const char *tag, const char *field, size_t i,
    struct ufo_error *err)
{
	size_t	 n, len = strlen(tag);

	if (len == 0 || len > STORE_TAG_MAX)
		goto bad;
	for (n = 0; n < len; n++) {
		if (!isalnum((unsigned char)tag[n]) &&
		    strchr(":._/+=@-", tag[n]) == NULL)
			goto bad;
	}
	return (0);
bad:
	return (err_set(err, UFO_EINVAL, field, "%s[%zu]: \"%s\" is not a "
	    "valid tag (letters, digits and :._/+=@-; at most %d)", field, i,
	    tag, STORE_TAG_MAX));
}

static int
store_tag_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/*
 * Checks an array of tags (NULL: none) and makes its stored form, sorted
 * with each tag once: comparing two sets is comparing two strings.
 */
int
store_tags_normalize(struct json_object *arr, const char *field, char **out,
    struct ufo_error *err)
{
	struct json_object	*norm;
	const char		**v;
	size_t			 i, n;

	*out = NULL;
	n = arr != NULL ? json_object_array_length(arr) : 0;
	if (n > STORE_TAGS_MAX)
		return (err_set(err, UFO_EINVAL, field, "%s: at most %d tags",
		    field, STORE_TAGS_MAX));
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++) {
		v[i] = json_object_get_string(json_object_array_get_idx(arr,
		    i));
		if (v[i] == NULL || store_tag_check(v[i], field, i, err) != 0) {
			free(v);
			return (-1);
		}
	}
	qsort(v, n, sizeof *v, store_tag_cmp);
	norm = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			json_object_array_add(norm,
			    json_object_new_string(v[i]));
	}
	*out = xstrdup(jsonx_compact(norm));
	json_object_put(norm);
	free(v);
	return (0);
}

/* The union of two normalized tag sets, normalized. */
static char *
store_tags_union(const char *a, const char *b)
{
	struct json_object	*x, *y, *all;
	char			*out = NULL;
	size_t			 i;

	x = jsonx_parse_text(a);
	y = jsonx_parse_text(b);
	all = json_object_new_array();
	for (i = 0; x != NULL && i < json_object_array_length(x); i++)
		json_object_array_add(all, json_object_get(
		    json_object_array_get_idx(x, i)));
	for (i = 0; y != NULL && i < json_object_array_length(y); i++)
		json_object_array_add(all, json_object_get(
		    json_object_array_get_idx(y, i)));
	/* Both were checked when stored. */
	if (store_tags_normalize(all, "tags", &out, NULL) != 0)
		out = xstrdup("[]");
	json_object_put(x);
	json_object_put(y);
	json_object_put(all);
	return (out);
}

/* Rover names: a letter or digit, then letters, digits, '.', '_', '-'. */
int
store_rover_check_name(const char *name, struct ufo_error *err)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len > 64 || !isalnum((unsigned char)name[0]))
		goto bad;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("._-", name[i]) == NULL)
			goto bad;
	}
	return (0);
bad:
	return (err_set(err, UFO_EINVAL, "name", "name: \"%s\" is not a valid "
	    "rover name (letters, digits, '.', '_', '-'; at most 64)", name));
}

/* Lookups and snapshots. */

static int
store_rover_json(struct store *s, const char *id, struct json_object **out,
    struct ufo_error *err)
{
	int	 r;

	r = store_get_json(s, err, out, STORE_ROVER_SELECT " WHERE r.id = ?2)",
	    "is", store_clock_ms(s), id);
	if (r == 0)
		return (err_set(err, UFO_EINTERNAL, "", "rover %s vanished",
		    id));
	return (r == 1 ? 0 : -1);
}

int
store_rover_announce(struct store *s, const char *fleet, const char *id,
    const char *kind, struct json_object **out, struct ufo_error *err)
{
	struct json_object	*obj;

	if (store_rover_json(s, id, &obj, err) != 0)
		return (-1);
	if (store_event_add(s, err, fleet, kind, id, obj) != 0) {
		json_object_put(obj);
		return (-1);
	}
	if (out != NULL)
		*out = obj;
	else
		json_object_put(obj);
	return (0);
}

/* A rover by id or (live) name in the fleet; not found is a 404. */
static int
store_rover_find(struct store *s, const char *fleet, const char *ref,
    char *id, struct ufo_error *err)
{
	int	 r;

	r = store_get_text(s, err, id, STORE_ID_SIZE, "SELECT id FROM rovers"
	    " WHERE fleet_id = ?1 AND (id = ?2 OR (name = ?2"
	    " AND revoked_at IS NULL)) ORDER BY id = ?2 DESC LIMIT 1", "ss",
	    fleet, ref != NULL ? ref : "");
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "rover %s not found",
		    ref != NULL ? ref : ""));
	return (r == 1 ? 0 : -1);
}

/* 1 when a live rover of the fleet other than self is called name. */
static int
store_rover_name_taken(struct store *s, const char *fleet, const char *name,
    const char *self, struct ufo_error *err)
{
	int64_t	 n;

	if (store_get_int(s, err, &n, "SELECT count(*) FROM rovers"
	    " WHERE fleet_id = ? AND name = ? AND revoked_at IS NULL"
	    " AND id IS NOT ?", "sss", fleet, name, self) != 1)
		return (-1);
	return (n != 0);
}

/* Rebuilds the pilot kinds a rover can run from its tags. */
static int
store_rover_sync(struct store *s, const char *id, struct ufo_error *err)
{
	if (store_exec(s, err, "DELETE FROM rover_kinds WHERE rover_id = ?",
	    "s", id) == -1 ||
	    store_exec(s, err, "INSERT OR IGNORE INTO rover_kinds (rover_id,"
	    " kind, fleet_id) SELECT r.id, substr(t.value, 7), r.fleet_id"
	    " FROM rovers r, (SELECT value FROM json_each((SELECT tags"
	    " FROM rovers WHERE id = ?1)) UNION SELECT value FROM"
	    " json_each((SELECT auto_tags FROM rovers WHERE id = ?1))) t"
	    " WHERE r.id = ?1 AND r.revoked_at IS NULL"
	    " AND substr(t.value, 1, 6) = 'pilot:' AND length(t.value) > 6",
	    "s", id) == -1)
		return (-1);
	return (0);
}

/* Runs that no rover could take, for each pilot kind this one runs. */
static int
store_rover_unblock(struct store *s, const char *id, const char *fleet,
    struct ufo_error *err)
{
	struct json_object	*kinds;
	size_t			 i;
	int			 rc = 0;

	if (store_get_list(s, err, &kinds, "SELECT kind FROM rover_kinds"
	    " WHERE rover_id = ? ORDER BY kind", "s", id) != 0)
		return (-1);
	for (i = 0; rc == 0 && i < json_object_array_length(kinds); i++)
		rc = store_run_unblock(s, fleet, jsonx_str(
		    json_object_array_get_idx(kinds, i), "kind"), err);
	json_object_put(kinds);
	return (rc);
}

/* Enrollment codes. */

static int
store_code_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "uses", "expires_in", "tags",
	    NULL };
	struct json_object	*tags = NULL;
	char			 code[STORE_SECRET_SIZE], hash[STORE_HASH_SIZE];
	char			 id[STORE_ID_SIZE], expires[STORE_TS_SIZE];
	char			*norm = NULL;
	int64_t			 uses = 1, life = STORE_CODE_LIFE;
	int			 rc = -1;

	(void)ref;
	if (store_need_role(a, ROLE_ADMIN, "making an enrollment code",
	    err) != 0)
		return (-1);
	if (in != NULL && store_body(in, keys, err) != 0)
		return (-1);
	if (jsonx_get_int(in, "uses", &uses, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_int(in, "expires_in", &life, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string_array(in, "tags", &tags, JSONX_OPTIONAL,
	    err) == -1)
		return (-1);
	if (uses < 1 || uses > STORE_CODE_MAX_USES)
		return (err_set(err, UFO_EINVAL, "uses", "uses: must be 1 to "
		    "%d", STORE_CODE_MAX_USES));
	if (life < 1 || life > STORE_CODE_MAX_LIFE)
		return (err_set(err, UFO_EINVAL, "expires_in", "expires_in: "
		    "must be 1 to %lld seconds",
		    (long long)STORE_CODE_MAX_LIFE));
	if (store_tags_normalize(tags, "tags", &norm, err) != 0)
		return (-1);

	store_token_generate(STORE_CODE_PREFIX, code, sizeof code);
	store_token_hash(code, hash, sizeof hash);
	store_time_format(expires, sizeof expires, s->now_ms + life * 1000);
	store_new_id(id, "enr");
	if (store_exec(s, err, "INSERT INTO enrollment_codes (id, fleet_id,"
	    " hash, uses, tags, created_by, expires_at, expires_ms,"
	    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "sssisssis",
	    id, a->fleet, hash, uses, norm, a->user, expires,
	    s->now_ms + life * 1000, s->now) == -1 ||
	    store_get_json(s, err, out, STORE_CODE_SELECT " WHERE id = ?", "s",
	    id) != 1)
		goto out;
	/* The only time the code is seen. */
	json_object_object_add(*out, "code", json_object_new_string(code));
	rc = 0;
out:
	sodium_memzero(code, sizeof code);
	free(norm);
	return (rc);
}

int
store_code_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_code_insert, err));
}

/* Enrollment. */

/* A default name: the host's, made valid, then -2, -3, … if taken. */
static int
store_rover_default_name(struct store *s, const char *fleet,
    const char *host, char *name, size_t len, struct ufo_error *err)
{
	char	 base[48];
	size_t	 i, n = 0;
	int	 k, r;

	for (i = 0; host != NULL && host[i] != '\0' && n + 1 < sizeof base;
	    i++) {
		if (isalnum((unsigned char)host[i]) ||
		    (n > 0 && strchr("._-", host[i]) != NULL))
			base[n++] = host[i];
	}
	base[n] = '\0';
	if (n == 0)
		snprintf(base, sizeof base, "rover");
	for (k = 1; k < 10000; k++) {
		if (k == 1)
			snprintf(name, len, "%s", base);
		else
			snprintf(name, len, "%s-%d", base, k);
		if ((r = store_rover_name_taken(s, fleet, name, NULL,
		    err)) != 1)
			return (r);
	}
	return (err_set(err, UFO_ECONFLICT, "name", "name: no free rover name "
	    "for %s", base));
}

static int
store_rover_enroll_tx(struct store *s, struct json_object *in,
    struct json_object **out, struct ufo_error *err)
{
	static const char *const keys[] = { "code", "name", "tags",
	    "auto_tags", "units", "version", "host", NULL };
	struct json_object	*tags = NULL, *autos = NULL, *row = NULL;
	struct json_object	*rover = NULL;
	const char		*code, *name = NULL, *version = NULL;
	const char		*host = NULL, *fleet;
	char			 hash[STORE_HASH_SIZE], id[STORE_ID_SIZE];
	char			 token[STORE_SECRET_SIZE], rname[80];
	char			*ntags = NULL, *nauto = NULL, *all = NULL;
	int64_t			 units = 1;
	int			 r, rc = -1;

	token[0] = '\0';
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "code", &code, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "name", &name, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string_array(in, "tags", &tags, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string_array(in, "auto_tags", &autos, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_int(in, "units", &units, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string(in, "version", &version, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string(in, "host", &host, JSONX_OPTIONAL, err) == -1)
		return (-1);
	if (name != NULL && store_rover_check_name(name, err) != 0)
		return (-1);
	if (units < 1 || units > STORE_ROVER_MAX_UNITS)
		return (err_set(err, UFO_EINVAL, "units", "units: must be 1 to "
		    "%d", STORE_ROVER_MAX_UNITS));
	if (store_tags_normalize(tags, "tags", &ntags, err) != 0 ||
	    store_tags_normalize(autos, "auto_tags", &nauto, err) != 0)
		goto out;

	store_token_hash(code, hash, sizeof hash);
	if ((r = store_get_json(s, err, &row, "SELECT id, fleet_id, uses,"
	    " used, tags, expires_ms FROM enrollment_codes WHERE hash = ?",
	    "s", hash)) != 1) {
		if (r == 0)
			err_set(err, UFO_EUNAUTH, "", "invalid enrollment "
			    "code");
		goto out;
	}
	fleet = jsonx_str(row, "fleet_id");
	if (jsonx_int(row, "expires_ms", 0) <= s->now_ms) {
		err_set(err, UFO_EUNAUTH, "", "enrollment code expired");
		goto out;
	}
	/* The check and the use are one statement: two rovers, one use. */
	if ((r = store_exec(s, err, "UPDATE enrollment_codes"
	    " SET used = used + 1 WHERE id = ? AND used < uses", "s",
	    jsonx_str(row, "id"))) != 1) {
		if (r == 0)
			err_set(err, UFO_EUNAUTH, "", "enrollment code already "
			    "used");
		goto out;
	}

	if (name != NULL) {
		if ((r = store_rover_name_taken(s, fleet, name, NULL,
		    err)) != 0) {
			if (r == 1)
				err_set(err, UFO_ECONFLICT, "name", "rover %s "
				    "already exists; revoke it or choose "
				    "another name", name);
			goto out;
		}
		snprintf(rname, sizeof rname, "%s", name);
	} else if (store_rover_default_name(s, fleet, host, rname,
	    sizeof rname, err) != 0)
		goto out;
	all = store_tags_union(jsonx_str(row, "tags"), ntags);

	store_token_generate(STORE_ROVER_PREFIX, token, sizeof token);
	store_token_hash(token, hash, sizeof hash);
	store_new_id(id, "rov");
	if (store_exec(s, err, "INSERT INTO rovers (id, fleet_id, name, hash,"
	    " tags, auto_tags, units, version, host, code_id, last_seen_at,"
	    " last_seen_ms, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11,"
	    " ?11)", "ssssssissssi", id, fleet, rname, hash, all, nauto, units,
	    version, host, jsonx_str(row, "id"), s->now, s->now_ms) == -1 ||
	    store_rover_sync(s, id, err) != 0 ||
	    store_rover_announce(s, fleet, id, "rover.enrolled", &rover,
	    err) != 0 ||
	    store_rover_unblock(s, id, fleet, err) != 0)
		goto out;
	log_info("rover %s (%s) enrolled in fleet %s", id, rname, fleet);
	*out = json_object_new_object();
	json_object_object_add(*out, "rover", rover);
	rover = NULL;
	json_object_object_add(*out, "token", json_object_new_string(token));
	rc = 0;
out:
	sodium_memzero(token, sizeof token);
	json_object_put(row);
	json_object_put(rover);
	free(ntags);
	free(nauto);
	free(all);
	return (rc);
}

int
store_rover_enroll(struct store *s, struct json_object *in,
    struct json_object **out, struct ufo_error *err)
{
	int	 rc;

	*out = NULL;
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_rover_enroll_tx(s, in, out, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}

/*
 * Every rover request: the token's hash names the rover. What the database
 * says of a live rover is remembered until credentials change (a revoke,
 * an update commits), so that requests do not queue up for it.
 */
int
store_rover_authenticate(struct store *s, const char *token,
    struct store_rover *rv, struct ufo_error *err)
{
	struct store_auth	 c;
	struct json_object	*row;
	struct store		*r;
	uint64_t		 gen;
	int			 rr, rc = -1;

	memset(rv, 0, sizeof *rv);
	if (token == NULL || strncmp(token, STORE_ROVER_PREFIX,
	    strlen(STORE_ROVER_PREFIX)) != 0 || strlen(token) > 128)
		return (err_set(err, UFO_EUNAUTH, "", "invalid rover token"));
	memset(&c, 0, sizeof c);
	store_token_hash(token, c.hash, sizeof c.hash);
	if (store_auth_get(s, c.hash, STORE_AUTH_ROVER, &c, &gen)) {
		snprintf(rv->id, sizeof rv->id, "%s", c.id);
		snprintf(rv->fleet, sizeof rv->fleet, "%s", c.fleet);
		rv->units = c.units;
		return (0);
	}
	r = store_read(s);
	rr = store_get_json(r, err, &row, "SELECT id, fleet_id, units,"
	    " revoked_at FROM rovers WHERE hash = ?", "s", c.hash);
	store_read_end(r);
	if (rr == 0)
		return (err_set(err, UFO_EUNAUTH, "", "invalid rover token"));
	if (rr == -1)
		return (-1);
	if (jsonx_str(row, "revoked_at") != NULL)
		err_set(err, UFO_EUNAUTH, "", "rover %s is revoked",
		    jsonx_str(row, "id"));
	else {
		snprintf(rv->id, sizeof rv->id, "%s", jsonx_str(row, "id"));
		snprintf(rv->fleet, sizeof rv->fleet, "%s",
		    jsonx_str(row, "fleet_id"));
		rv->units = (int)jsonx_int(row, "units", 1);
		c.kind = STORE_AUTH_ROVER;
		snprintf(c.id, sizeof c.id, "%s", rv->id);
		snprintf(c.fleet, sizeof c.fleet, "%s", rv->fleet);
		c.units = rv->units;
		store_auth_put(s, &c, gen);
		rc = 0;
	}
	json_object_put(row);
	return (rc);
}

/* Rovers, as users see them. */

int
store_rover_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items, STORE_ROVER_SELECT
	    " WHERE r.fleet_id = ?2) ORDER BY seq", "is", store_clock_ms(s),
	    a->fleet);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}

int
store_rover_get(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE];
	int	 rc;

	*out = NULL;
	s = store_read(s);
	if ((rc = store_rover_find(s, a->fleet, ref, id, err)) == 0)
		rc = store_rover_json(s, id, out, err);
	store_read_end(s);
	return (rc);
}

static int
store_rover_admin(const struct store_actor *a, struct ufo_error *err)
{
	if (a->role != ROLE_ADMIN && a->role != ROLE_OWNER)
		return (err_set(err, UFO_EFORBIDDEN, "", "only an admin or "
		    "the owner can change rovers"));
	return (0);
}

static int
store_rover_update_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", "tags", "units", NULL };
	struct json_object	*tags = NULL;
	const char		*name = NULL;
	char			 id[STORE_ID_SIZE], *norm = NULL;
	int64_t			 units = 0, revoked;
	int			 r, rc = -1;

	if (store_need_role(a, ROLE_ADMIN, "changing a rover", err) != 0 ||
	    store_rover_admin(a, err) != 0 ||
	    store_rover_find(s, a->fleet, ref, id, err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "name", &name, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string_array(in, "tags", &tags, JSONX_OPTIONAL,
	    err) == -1 ||
	    (r = jsonx_get_int(in, "units", &units, JSONX_OPTIONAL, err)) == -1)
		return (-1);
	if (name != NULL && store_rover_check_name(name, err) != 0)
		return (-1);
	if (r == 1 && (units < 1 || units > STORE_ROVER_MAX_UNITS))
		return (err_set(err, UFO_EINVAL, "units", "units: must be 1 to "
		    "%d", STORE_ROVER_MAX_UNITS));
	if (tags != NULL && store_tags_normalize(tags, "tags", &norm,
	    err) != 0)
		return (-1);
	if (store_get_int(s, err, &revoked, "SELECT revoked_at IS NOT NULL"
	    " FROM rovers WHERE id = ?", "s", id) != 1)
		goto out;
	if (revoked) {
		err_set(err, UFO_ECONFLICT, "", "rover %s is revoked", id);
		goto out;
	}
	if (json_object_object_length(in) == 0) {
		rc = store_rover_json(s, id, out, err);
		goto out;
	}
	if (name != NULL && (r = store_rover_name_taken(s, a->fleet, name, id,
	    err)) != 0) {
		if (r == 1)
			err_set(err, UFO_ECONFLICT, "name", "rover %s already "
			    "exists", name);
		goto out;
	}
	if (store_exec(s, err, "UPDATE rovers SET name = coalesce(?2, name),"
	    " tags = coalesce(?3, tags), units = CASE WHEN ?4 > 0 THEN ?4"
	    " ELSE units END, updated_at = ?5 WHERE id = ?1", "sssis", id,
	    name, norm, units, s->now) == -1)
		goto out;
	if (units > 0)
		store_auth_changed(s);
	if (norm != NULL && (store_rover_sync(s, id, err) != 0 ||
	    store_rover_unblock(s, id, a->fleet, err) != 0))
		goto out;
	rc = store_rover_announce(s, a->fleet, id, "rover.updated", out, err);
out:
	free(norm);
	return (rc);
}

int
store_rover_update(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_rover_update_tx, err));
}

static int
store_rover_revoke_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE];
	int	 n;

	(void)in;
	if (store_need_role(a, ROLE_ADMIN, "removing a rover", err) != 0 ||
	    store_rover_admin(a, err) != 0 ||
	    store_rover_find(s, a->fleet, ref, id, err) != 0)
		return (-1);
	if ((n = store_exec(s, err, "UPDATE rovers SET revoked_at = ?2,"
	    " updated_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", "ss", id,
	    s->now)) == -1)
		return (-1);
	/* Revoking twice answers the same and announces nothing new. */
	if (n == 0)
		return (store_rover_json(s, id, out, err));
	log_info("rover %s revoked", id);
	store_auth_revoked(s);
	if (store_exec(s, err, "DELETE FROM rover_kinds WHERE rover_id = ?",
	    "s", id) == -1 ||
	    store_run_release_rover(s, id, err) != 0)
		return (-1);
	return (store_rover_announce(s, a->fleet, id, "rover.revoked", out,
	    err));
}

int
store_rover_revoke(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, ref, NULL, out, store_rover_revoke_tx,
	    err));
}

/* The rover protocol: claim and heartbeat. */

/*
 * Every claim and heartbeat: the rover must still be enrolled; it is seen
 * now (announced when it was last announced UFO_ROVER_SEEN_SECS ago or
 * more); its auto tags are recorded (announced when they changed); runs waiting
 * for a rover of its kinds are unblocked. *tags and *autos (when not NULL)
 * get its user and auto tags, *kinds (when not NULL) the pilot kinds it
 * runs.
 */
/*
 * Whether being seen now is announced: once each UFO_ROVER_SEEN_SECS
 * window of the clock the rover shows up in, which needs no record of the
 * last announcement and, as rovers call more often than that, announces
 * about once a window.
 */
static int
store_rover_seen_due(int64_t last_ms, int64_t now_ms)
{
	const int64_t	 window = UFO_ROVER_SEEN_SECS * 1000;

	return (last_ms / window != now_ms / window);
}

/*
 * Whether last seen is written now: at most once a second (and whenever
 * it is announced), not at every claim: being offline takes a minute, and
 * a busy rover's claims would rewrite its row each time.
 */
static int
store_rover_seen_stale(int64_t last_ms, int64_t now_ms)
{
	return (store_rover_seen_due(last_ms, now_ms) ||
	    now_ms - last_ms >= STORE_SEEN_STEP_MS);
}

/* What a claim looks at of its rover: 1, 0 no such rover, -1. */
static int
store_rover_row(struct store *s, const struct store_rover *rv,
    struct json_object **row, struct ufo_error *err)
{
	return (store_get_json(s, err, row, "SELECT tags, auto_tags,"
	    " revoked_at, last_seen_ms FROM rovers WHERE id = ?"
	    " AND fleet_id = ?", "ss", rv->id, rv->fleet));
}

static int
store_rover_kinds(struct store *s, const struct store_rover *rv,
    struct json_object **list, struct ufo_error *err)
{
	return (store_get_list(s, err, list, "SELECT kind FROM rover_kinds"
	    " WHERE rover_id = ? ORDER BY kind", "s", rv->id));
}

/*
 * The auto tags a claim brings (given, NULL for none), normalised into
 * *norm when they are not the stored ones; *norm NULL when they are.
 */
static int
store_rover_new_tags(struct json_object *given, const char *stored,
    char **norm, struct ufo_error *err)
{
	*norm = NULL;
	/* The same tags as last time, in the same order: nothing to do. */
	if (given == NULL || strcmp(jsonx_compact(given), stored) == 0)
		return (0);
	if (store_tags_normalize(given, "auto_tags", norm, err) != 0)
		return (-1);
	if (strcmp(*norm, stored) == 0) {
		free(*norm);
		*norm = NULL;
	}
	return (0);
}

static int
store_rover_touch(struct store *s, const struct store_rover *rv,
    struct json_object *in, char **tags, char **autos,
    struct json_object **kinds, struct ufo_error *err)
{
	struct json_object	*row, *list = NULL, *given = NULL;
	const char		*stored;
	char			*norm = NULL;
	size_t			 i;
	int64_t			 seen;
	int			 due, r, rc = -1;

	if (tags != NULL)
		*tags = NULL;
	if (autos != NULL)
		*autos = NULL;
	if (kinds != NULL)
		*kinds = NULL;
	if (jsonx_get_string_array(in, "auto_tags", &given, JSONX_OPTIONAL,
	    err) == -1)
		return (-1);
	if ((r = store_rover_row(s, rv, &row, err)) != 1) {
		if (r == 0)
			err_set(err, UFO_EUNAUTH, "", "invalid rover");
		return (-1);
	}
	if (jsonx_str(row, "revoked_at") != NULL) {
		err_set(err, UFO_EUNAUTH, "", "rover %s is revoked", rv->id);
		goto out;
	}
	stored = jsonx_str(row, "auto_tags");
	if (store_rover_new_tags(given, stored, &norm, err) != 0)
		goto out;
	seen = jsonx_int(row, "last_seen_ms", 0);
	due = store_rover_seen_due(seen, s->now_ms);
	if (store_rover_seen_stale(seen, s->now_ms) &&
	    store_exec(s, err, "UPDATE rovers"
	    " SET last_seen_at = ?, last_seen_ms = ? WHERE id = ?", "sis",
	    s->now, s->now_ms, rv->id) == -1)
		goto out;
	if (norm != NULL) {
		if (store_exec(s, err, "UPDATE rovers SET auto_tags = ?,"
		    " updated_at = ? WHERE id = ?", "sss", norm, s->now,
		    rv->id) == -1 ||
		    store_rover_sync(s, rv->id, err) != 0 ||
		    store_rover_announce(s, rv->fleet, rv->id, "rover.updated",
		    NULL, err) != 0)
			goto out;
		stored = norm;
	} else if (due && store_rover_announce(s, rv->fleet, rv->id,
	    "rover.updated", NULL, err) != 0)
		goto out;
	if (store_rover_kinds(s, rv, &list, err) != 0)
		goto out;
	for (i = 0; i < json_object_array_length(list); i++) {
		if (store_run_unblock(s, rv->fleet, jsonx_str(
		    json_object_array_get_idx(list, i), "kind"), err) != 0)
			goto out;
	}
	if (tags != NULL)
		*tags = xstrdup(jsonx_str(row, "tags"));
	if (autos != NULL)
		*autos = xstrdup(stored);
	if (kinds != NULL) {
		*kinds = list;
		list = NULL;
	}
	rc = 0;
out:
	free(norm);
	json_object_put(list);
	json_object_put(row);
	return (rc);
}

/*
 * The oldest claimable run of one pilot kind that the rover's tags (its
 * user tags and its auto tags) allow: an index walk in (not_before, seq)
 * order that stops at the first match, so its cost does not grow with the
 * queue (unless many runs ahead need tags this rover lacks).
 */
static int
store_rover_pick(struct store *s, const struct store_rover *rv,
    const char *kind, const char *tags, const char *autos,
    struct json_object **out, struct ufo_error *err)
{
	return (store_get_json(s, err, out, "SELECT id, kind, not_before_ms,"
	    " seq, attempt, backoff != 0 OR no_rover != 0 AS flags,"
	    " json_array_length(profile, '$.credentials') AS creds"
	    " FROM runs WHERE fleet_id = ?1 AND kind = ?2"
	    " AND status = 'queued' AND not_before_ms <= ?3"
	    " AND (tags = '[]' OR NOT EXISTS (SELECT 1"
	    " FROM json_each(runs.tags) t"
	    " WHERE t.value NOT IN (SELECT value FROM json_each(?4)"
	    " UNION ALL SELECT value FROM json_each(?5))))"
	    " AND (exclude_tags = '[]' OR NOT EXISTS (SELECT 1"
	    " FROM json_each(runs.exclude_tags) t"
	    " WHERE t.value IN (SELECT value FROM json_each(?4)"
	    " UNION ALL SELECT value FROM json_each(?5))))"
	    " ORDER BY not_before_ms, seq LIMIT 1", "ssiss", rv->fleet, kind,
	    s->now_ms, tags, autos));
}

/* The oldest run the rover may claim over all its kinds, NULL if none. */
static int
store_rover_best(struct store *s, const struct store_rover *rv,
    struct json_object *kinds, const char *tags, const char *autos,
    struct json_object **best, struct ufo_error *err)
{
	struct json_object	*c;
	size_t			 i;
	int			 r;

	*best = NULL;
	for (i = 0; i < json_object_array_length(kinds); i++) {
		if ((r = store_rover_pick(s, rv, jsonx_str(
		    json_object_array_get_idx(kinds, i), "kind"), tags, autos,
		    &c, err)) == -1) {
			json_object_put(*best);
			*best = NULL;
			return (-1);
		}
		if (r == 0)
			continue;
		if (*best == NULL ||
		    jsonx_int(c, "not_before_ms", 0) <
		    jsonx_int(*best, "not_before_ms", 0) ||
		    (jsonx_int(c, "not_before_ms", 0) ==
		    jsonx_int(*best, "not_before_ms", 0) &&
		    jsonx_int(c, "seq", 0) < jsonx_int(*best, "seq", 0))) {
			json_object_put(*best);
			*best = c;
		} else
			json_object_put(c);
	}
	return (0);
}

/*
 * The oldest claimable run whose credentials can be given, with them
 * opened in *creds (NULL when its pilot names none). A run naming a
 * credential the fleet does not have (or that does not open) fails now
 * with the reason, and the next one is looked at.
 */
static int
store_rover_next(struct store *s, const struct store_rover *rv,
    struct json_object *kinds, const char *tags, const char *autos,
    struct json_object **best, struct json_object **creds,
    struct ufo_error *err)
{
	char	 reason[256];
	int	 r;

	*creds = NULL;
	for (;;) {
		if (store_rover_best(s, rv, kinds, tags, autos, best,
		    err) != 0)
			return (-1);
		if (*best == NULL || jsonx_int(*best, "creds", 0) == 0)
			return (0);
		if ((r = store_credential_claim(s, jsonx_str(*best, "id"),
		    creds, reason, sizeof reason, err)) == 0)
			return (0);
		if (r == 1)
			r = store_run_fail_queued(s, jsonx_str(*best, "id"),
			    reason, err);
		json_object_put(*best);
		*best = NULL;
		if (r != 0)
			return (-1);
	}
}

/* A claim's body: what it may hold, and its free units (1 if not said). */
static int
store_claim_body(struct json_object *in, int64_t *free_units,
    struct ufo_error *err)
{
	static const char *const keys[] = { "wait", "auto_tags",
	    "free_units", NULL };
	int64_t	 wait;

	*free_units = 1;
	/* The API parks the claim; the store answers it now. */
	if (in != NULL && (store_body(in, keys, err) != 0 ||
	    jsonx_get_int(in, "wait", &wait, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_int(in, "free_units", free_units, JSONX_OPTIONAL,
	    err) == -1))
		return (-1);
	return (0);
}

static int
store_rover_claim_tx(struct store *s, const struct store_rover *rv,
    struct json_object *in, struct store_claim *c, struct ufo_error *err)
{
	struct json_object	*kinds = NULL, *best = NULL, *creds = NULL;
	char			*tags = NULL, *autos = NULL;
	char			 id[STORE_ID_SIZE], lease[STORE_TS_SIZE];
	int64_t			 free_units, attempt;
	int			 r, rc = -1;

	if (store_claim_body(in, &free_units, err) != 0 ||
	    store_rover_touch(s, rv, in, &tags, &autos, &kinds, err) != 0)
		return (-1);
	/* A full rover is seen, but gets nothing. */
	if (free_units <= 0) {
		rc = 0;
		goto out;
	}
	if (store_rover_next(s, rv, kinds, tags, autos, &best, &creds,
	    err) != 0)
		goto out;
	if (best == NULL) {
		rc = 0;
		goto out;
	}
	snprintf(id, sizeof id, "%s", jsonx_str(best, "id"));
	store_time_format(lease, sizeof lease, s->now_ms + STORE_LEASE_MS);
	attempt = jsonx_int(best, "attempt", 0);
	if ((r = store_exec(s, err, "UPDATE runs SET status = 'claimed',"
	    " rover_id = ?2, claimed_at = ?3, lease_ms = ?4,"
	    " lease_expires_at = ?5 WHERE id = ?1 AND status = 'queued'",
	    "sssis", id, rv->id, s->now, s->now_ms + STORE_LEASE_MS,
	    lease)) != 1) {
		if (r == 0)
			err_set(err, UFO_EINTERNAL, "", "run %s was not queued",
			    id);
		goto out;
	}
	/* Its backoff is over, its kind has a rover: flags cleared. */
	if (jsonx_int(best, "flags", 0) != 0 && store_exec(s, err,
	    "UPDATE runs SET backoff = 0, no_rover = 0 WHERE id = ?", "s",
	    id) == -1)
		goto out;
	if (store_run_announce(s, rv->fleet, id, "run.claimed", NULL, NULL,
	    err) != 0)
		goto out;
	if (store_run_claim_text(s, id, creds, c, err) != 0)
		goto out;
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->kind, sizeof c->kind, "%s", jsonx_str(best, "kind"));
	c->attempt = attempt;
	/* A new lease: the sweeper may have nothing to wait for yet. */
	store_sweep_at(s, s->now_ms + STORE_LEASE_MS);
	rc = 0;
out:
	jsonx_wipe(creds);
	json_object_put(creds);
	json_object_put(kinds);
	json_object_put(best);
	free(tags);
	free(autos);
	return (rc);
}

/* The slot of rover id in the busy rovers. */
static size_t
store_rover_hot_slot(const char *id)
{
	return (store_hash(id, 0xcbf29ce484222325ULL) % STORE_HOT_SLOTS);
}

/* Remembers whether rover id's claim got a run. */
static void
store_rover_hot_set(struct store *s, const char *id, int hot)
{
	char	*slot = s->hot[store_rover_hot_slot(id)];
	size_t	 len = strlen(id);

	if (len >= STORE_ID_SIZE)
		return;		/* not an id of ours */
	pthread_mutex_lock(&s->hot_lock);
	if (hot)
		memcpy(slot, id, len + 1);
	else if (strcmp(slot, id) == 0)
		slot[0] = '\0';
	pthread_mutex_unlock(&s->hot_lock);
}

static int
store_rover_hot(struct store *s, const char *id)
{
	int	 hot;

	pthread_mutex_lock(&s->hot_lock);
	hot = strcmp(s->hot[store_rover_hot_slot(id)], id) == 0;
	pthread_mutex_unlock(&s->hot_lock);
	return (hot);
}

/*
 * Whether a claim has nothing to do: no run it could take, no run its
 * kinds unblock, its tags and last seen as stored. Looked at on a reader,
 * so that idle rovers polling do not queue for the writer; a run queued
 * after this look moves the claim generation, and the claim looks again.
 * Anything unusual (revoked, an error) says no: the writer will tell.
 * A rover whose last claim got a run is not looked at: under load the
 * queue seldom empties, and the look would only delay its next run.
 */
int
store_rover_idle(struct store *s, const struct store_rover *rv,
    struct json_object *in)
{
	struct json_object	*row = NULL, *kinds = NULL, *given = NULL;
	struct json_object	*best = NULL;
	struct store		*r;
	const char		*kind, *stored;
	char			*norm = NULL;
	int64_t			 blocked, free_units;
	size_t			 i;
	int			 idle = 0;

	if (store_rover_hot(s, rv->id))
		return (0);
	/* A body the claim would refuse is the writer's to refuse. */
	if (store_claim_body(in, &free_units, NULL) != 0 ||
	    jsonx_get_string_array(in, "auto_tags", &given, JSONX_OPTIONAL,
	    NULL) == -1)
		return (0);
	r = store_read(s);
	r->now_ms = store_clock_ms(r);
	if (store_rover_row(r, rv, &row, NULL) != 1 ||
	    jsonx_str(row, "revoked_at") != NULL ||
	    store_rover_seen_stale(jsonx_int(row, "last_seen_ms", 0),
	    r->now_ms))
		goto out;
	stored = jsonx_str(row, "auto_tags");
	if (store_rover_new_tags(given, stored, &norm, NULL) != 0 ||
	    norm != NULL || store_rover_kinds(r, rv, &kinds, NULL) != 0)
		goto out;
	for (i = 0; i < json_object_array_length(kinds); i++) {
		kind = jsonx_str(json_object_array_get_idx(kinds, i), "kind");
		if (store_get_int(r, NULL, &blocked, "SELECT count(*) FROM runs"
		    " WHERE fleet_id = ? AND kind = ? AND no_rover = 1", "ss",
		    rv->fleet, kind) != 1 || blocked > 0)
			goto out;
	}
	/* A full rover is seen, but gets nothing. */
	if (free_units <= 0) {
		idle = 1;
		goto out;
	}
	if (store_rover_best(r, rv, kinds, jsonx_str(row, "tags"), stored,
	    &best, NULL) != 0)
		goto out;
	idle = best == NULL;
out:
	store_read_end(r);
	free(norm);
	json_object_put(best);
	json_object_put(kinds);
	json_object_put(row);
	return (idle);
}

/* A rover's request, for store_tx. */
struct store_rover_req {
	const struct store_rover	*rv;
	struct json_object		*in;
	struct json_object		**out;
	int				(*tx)(struct store *,
					    const struct store_rover *,
					    struct json_object *,
					    struct json_object **,
					    struct ufo_error *);
};

static int
store_rover_job(struct store *s, void *arg, struct ufo_error *err)
{
	struct store_rover_req	*r = arg;

	return (r->tx(s, r->rv, r->in, r->out, err));
}

/* A claim, for store_tx_async. */
struct store_claim_req {
	struct store			*s;
	const struct store_rover	*rv;
	struct json_object		*in;
	struct store_claim		*c;
};

static int
store_rover_claim_job(struct store *s, void *arg, struct ufo_error *err)
{
	struct store_claim_req	*r = arg;

	return (store_rover_claim_tx(s, r->rv, r->in, r->c, err));
}

/* After the commit (or its failure): a run handed out only if kept. */
static void
store_rover_claim_fini(void *arg, int rc)
{
	struct store_claim_req	*r = arg;

	if (rc != 0)
		store_claim_clear(r->c);
	store_rover_hot_set(r->s, r->rv->id, r->c->text != NULL);
}

void
store_claim_clear(struct store_claim *c)
{
	if (c->text != NULL && c->secret)
		explicit_bzero(c->text, c->len);
	free(c->text);
	memset(c, 0, sizeof *c);
}

int
store_rover_claim(struct store *s, const struct store_rover *rv,
    struct json_object *in, struct store_claim *c, struct ufo_error *err)
{
	struct store_sync	 w;

	store_rover_claim_async(s, rv, in, c, store_sync_begin(&w));
	return (store_sync_end(&w, err));
}

void
store_rover_claim_async(struct store *s, const struct store_rover *rv,
    struct json_object *in, struct store_claim *c, struct store_async *as)
{
	struct store_claim_req	 req = { s, rv, in, c };

	memset(c, 0, sizeof *c);
	store_tx_async(s, store_rover_claim_job, &req, sizeof req,
	    store_rover_claim_fini, as);
}

static int
store_rover_heartbeat_tx(struct store *s, const struct store_rover *rv,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	static const char *const keys[] = { "runs", "auto_tags", "free_units",
	    NULL };
	struct json_object	*runs = NULL, *e, *v, *cancel, *lost;
	char			 lease[STORE_TS_SIZE];
	int64_t			 free_units, attempt, c;
	size_t			 i, n = 0;
	int			 r;

	if (in != NULL && (store_body(in, keys, err) != 0 ||
	    jsonx_get_int(in, "free_units", &free_units, JSONX_OPTIONAL,
	    err) == -1))
		return (-1);
	if (in != NULL && json_object_object_get_ex(in, "runs", &runs) &&
	    runs != NULL) {
		if (!json_object_is_type(runs, json_type_array))
			return (err_set(err, UFO_EINVAL, "runs", "runs: "
			    "expected an array of {\"id\",\"attempt\"}"));
		if ((n = json_object_array_length(runs)) > STORE_HEARTBEAT_MAX)
			return (err_set(err, UFO_EINVAL, "runs", "runs: at "
			    "most %d", STORE_HEARTBEAT_MAX));
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(runs, i);
			if (e == NULL ||
			    !json_object_is_type(e, json_type_object) ||
			    !json_object_object_get_ex(e, "id", &v) ||
			    !json_object_is_type(v, json_type_string) ||
			    !json_object_object_get_ex(e, "attempt", &v) ||
			    !json_object_is_type(v, json_type_int))
				return (err_set(err, UFO_EINVAL, "runs",
				    "runs[%zu]: expected {\"id\",\"attempt\"}",
				    i));
		}
	}
	(void)free_units;
	if (store_rover_touch(s, rv, in, NULL, NULL, NULL, err) != 0)
		return (-1);

	cancel = json_object_new_array();
	lost = json_object_new_array();
	store_time_format(lease, sizeof lease, s->now_ms + STORE_LEASE_MS);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(runs, i);
		attempt = json_object_get_int64(json_object_object_get(e,
		    "attempt"));
		r = store_exec(s, err, "UPDATE runs SET lease_ms = ?,"
		    " lease_expires_at = ? WHERE id = ? AND fleet_id = ?"
		    " AND rover_id = ? AND attempt = ?"
		    " AND finished_at IS NULL", "issssi",
		    s->now_ms + STORE_LEASE_MS, lease, jsonx_str(e, "id"),
		    rv->fleet, rv->id, attempt);
		if (r == 1 && store_get_int(s, err, &c, "SELECT"
		    " cancel_requested FROM runs WHERE id = ?", "s",
		    jsonx_str(e, "id")) != 1)
			r = -1;
		if (r == -1) {
			json_object_put(cancel);
			json_object_put(lost);
			return (-1);
		}
		v = json_object_object_get(e, "id");
		if (r == 0)
			json_object_array_add(lost, json_object_get(v));
		else if (c)
			json_object_array_add(cancel, json_object_get(v));
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "cancel", cancel);
	json_object_object_add(*out, "lost", lost);
	json_object_object_add(*out, "revoked", json_object_new_boolean(0));
	return (0);
}

int
store_rover_heartbeat(struct store *s, const struct store_rover *rv,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	int	 rc;

	struct store_rover_req	 r = { rv, in, out, store_rover_heartbeat_tx };

	*out = NULL;
	if ((rc = store_tx(s, store_rover_job, &r, err)) != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}
