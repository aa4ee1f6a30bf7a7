/*
 * Bearer tokens: "ufo_" and 43 base64url characters (32 random bytes). Only
 * a BLAKE2b hash is kept, so a stolen database grants nothing; the
 * plaintext is shown once, when the token is made.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "store-internal.h"

#define STORE_TOKEN_PREFIX	"ufo_"
#define STORE_TOKEN_BYTES	32
#define STORE_TOKEN_LEN		(4 + 43)	/* "ufo_" + base64url(32) */
#define STORE_TOKEN_HASH	crypto_generichash_BYTES
#define STORE_TOKEN_MAX_LIFE	(100LL * 366 * 86400)
#define STORE_TOKEN_USED_MS	60000	/* last_used_at written that often */

#define STORE_TOKEN_SELECT						\
	"SELECT id, name, prefix, created_at, expires_at,"		\
	" last_used_at,"						\
	" revoked_at IS NOT NULL AS \"revoked:bool\" FROM tokens"

_Static_assert(STORE_TOKEN_HASH * 2 + 1 == STORE_HASH_SIZE,
    "STORE_HASH_SIZE does not fit crypto_generichash");

/*
 * The stored form of a secret (user token, rover token, enrollment code):
 * hex of its BLAKE2b hash.
 */
void
store_token_hash(const char *token, char *hex, size_t len)
{
	unsigned char	 h[STORE_TOKEN_HASH];

	crypto_generichash(h, sizeof h, (const unsigned char *)token,
	    strlen(token), NULL, 0);
	sodium_bin2hex(hex, len, h, sizeof h);
}

/* A new secret: prefix and 43 base64url characters (32 random bytes). */
void
store_token_generate(const char *prefix, char *token, size_t len)
{
	unsigned char	 raw[STORE_TOKEN_BYTES];
	char		 b64[64];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	snprintf(token, len, "%s%s", prefix, b64);
	sodium_memzero(b64, sizeof b64);
}

int
store_token_issue(struct store *s, const char *fleet, const char *user,
    const char *name, int64_t expires_in, struct json_object **out,
    struct ufo_error *err)
{
	char		 token[4 + 64];
	char		 hash[STORE_TOKEN_HASH * 2 + 1], prefix[32];
	char		 expires[STORE_TS_SIZE], id[STORE_ID_SIZE];

	if (expires_in > 0)
		store_timestamp(expires, sizeof expires, expires_in);
	store_token_generate(STORE_TOKEN_PREFIX, token, sizeof token);
	store_token_hash(token, hash, sizeof hash);
	/* "ufo_ab12…": tells tokens apart, is useless to an attacker. */
	snprintf(prefix, sizeof prefix, "%.8s\xe2\x80\xa6", token);

	store_new_id(id, "tok");
	if (store_exec(s, err,
	    "INSERT INTO tokens (id, fleet_id, user_id, name, hash, prefix,"
	    " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "ssssssss", id, fleet, user, name, hash, prefix, s->now,
	    expires_in > 0 ? expires : NULL) == -1 ||
	    store_get_json(s, err, out, STORE_TOKEN_SELECT " WHERE id = ?",
	    "s", id) != 1 ||
	    store_event_add(s, err, fleet, "token.created", id, *out) != 0) {
		sodium_memzero(token, sizeof token);
		return (-1);
	}
	/* Added after the event was written: the feed never sees it. */
	json_object_object_add(*out, "token", json_object_new_string(token));
	sodium_memzero(token, sizeof token);
	return (0);
}

static int
store_token_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "name", "expires_in", NULL };
	const char	*name = "token";
	int64_t		 expires_in = 0;
	int		 r;

	(void)ref;
	if (in != NULL && store_body(in, keys, err) != 0)
		return (-1);
	if (jsonx_get_string(in, "name", &name, JSONX_OPTIONAL, err) == -1 ||
	    (r = jsonx_get_int(in, "expires_in", &expires_in, JSONX_OPTIONAL,
	    err)) == -1)
		return (-1);
	if (store_blank(name))
		return (err_set(err, UFO_EINVAL, "name", "name: must not be "
		    "blank"));
	if (r == 1 && (expires_in <= 0 || expires_in > STORE_TOKEN_MAX_LIFE))
		return (err_set(err, UFO_EINVAL, "expires_in", "expires_in: "
		    "must be a positive number of seconds"));
	return (store_token_issue(s, a->fleet, a->user, name, expires_in, out,
	    err));
}

int
store_token_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_token_insert, err));
}

int
store_token_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items, STORE_TOKEN_SELECT
	    " WHERE fleet_id = ? AND user_id = ? ORDER BY created_at, id",
	    "ss", a->fleet, a->user);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}

static int
store_token_revoke_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	char	 hash[STORE_TOKEN_HASH * 2 + 1], id[STORE_ID_SIZE];
	int	 r, n;

	(void)in;
	/* A full token is looked up by hash and never echoed back. */
	if (strncmp(ref, STORE_TOKEN_PREFIX, strlen(STORE_TOKEN_PREFIX)) == 0) {
		store_token_hash(ref, hash, sizeof hash);
		r = store_get_text(s, err, id, sizeof id,
		    "SELECT id FROM tokens WHERE hash = ? AND fleet_id = ?"
		    " AND user_id = ?", "sss", hash, a->fleet, a->user);
		if (r == 0)
			return (err_set(err, UFO_ENOTFOUND, "", "token not "
			    "found"));
	} else {
		r = store_get_text(s, err, id, sizeof id,
		    "SELECT id FROM tokens WHERE id = ? AND fleet_id = ?"
		    " AND user_id = ?", "sss", ref, a->fleet, a->user);
		if (r == 0)
			return (err_set(err, UFO_ENOTFOUND, "", "token %s not "
			    "found", ref));
	}
	if (r == -1)
		return (-1);
	if ((n = store_exec(s, err,
	    "UPDATE tokens SET revoked_at = ? WHERE id = ?"
	    " AND revoked_at IS NULL", "ss", s->now, id)) == -1)
		return (-1);
	if (store_get_json(s, err, out, STORE_TOKEN_SELECT " WHERE id = ?",
	    "s", id) != 1)
		return (-1);
	/* Revoking twice answers the same and announces nothing new. */
	if (n == 0)
		return (0);
	store_auth_revoked(s);
	return (store_event_add(s, err, a->fleet, "token.revoked", id, *out));
}

int
store_token_revoke(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, ref, NULL, out, store_token_revoke_tx, err));
}

static int
store_token_check(struct store *s, const char *hash, struct store_actor *a,
    struct store_auth *c, struct ufo_error *err)
{
	struct json_object	*row;
	const char		*stored, *role, *expires;
	char			 now[STORE_TS_SIZE];
	int			 r, rc = -1;

	r = store_get_json(s, err, &row,
	    "SELECT t.id, t.hash, t.fleet_id, t.user_id, t.expires_at,"
	    " t.revoked_at, mb.role FROM tokens t LEFT JOIN members mb"
	    " ON mb.fleet_id = t.fleet_id AND mb.user_id = t.user_id"
	    " WHERE t.hash = ?", "s", hash);
	if (r == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_EUNAUTH, "", "invalid token"));

	stored = jsonx_str(row, "hash");
	role = jsonx_str(row, "role");
	expires = jsonx_str(row, "expires_at");
	store_timestamp(now, sizeof now, 0);
	if (stored == NULL || strlen(stored) != strlen(hash) ||
	    sodium_memcmp(stored, hash, strlen(hash)) != 0)
		err_set(err, UFO_EUNAUTH, "", "invalid token");
	else if (jsonx_str(row, "revoked_at") != NULL)
		err_set(err, UFO_EUNAUTH, "", "token revoked");
	else if (expires != NULL && strcmp(expires, now) <= 0)
		err_set(err, UFO_EUNAUTH, "", "token expired");
	else if (role == NULL)
		err_set(err, UFO_EUNAUTH, "", "token's user is no longer a "
		    "member of its fleet");
	else if (store_exec(s, err,
	    "UPDATE tokens SET last_used_at = ? WHERE id = ?", "ss", now,
	    jsonx_str(row, "id")) != -1) {
		snprintf(a->fleet, sizeof a->fleet, "%s",
		    jsonx_str(row, "fleet_id"));
		snprintf(a->user, sizeof a->user, "%s",
		    jsonx_str(row, "user_id"));
		a->role = role_from_name(role);
		c->kind = STORE_AUTH_TOKEN;
		snprintf(c->id, sizeof c->id, "%s", jsonx_str(row, "id"));
		snprintf(c->fleet, sizeof c->fleet, "%s", a->fleet);
		snprintf(c->user, sizeof c->user, "%s", a->user);
		c->role = a->role;
		snprintf(c->expires, sizeof c->expires, "%s",
		    expires != NULL ? expires : "");
		c->used_ms = s->now_ms;
		rc = 0;
	}
	json_object_put(row);
	return (rc);
}

/*
 * A bearer token to its actor. What the database says of a valid token is
 * remembered until credentials change; its use is written down at most
 * once in STORE_TOKEN_USED_MS.
 */
int
store_token_authenticate(struct store *s, const char *token,
    struct store_actor *a, struct ufo_error *err)
{
	struct store_auth	 c;
	char			 now[STORE_TS_SIZE];
	uint64_t		 gen;
	int			 rc;

	memset(a, 0, sizeof *a);
	if (token == NULL || strlen(token) != STORE_TOKEN_LEN ||
	    strncmp(token, STORE_TOKEN_PREFIX, strlen(STORE_TOKEN_PREFIX)) != 0)
		return (err_set(err, UFO_EUNAUTH, "", "invalid token"));
	memset(&c, 0, sizeof c);
	store_token_hash(token, c.hash, sizeof c.hash);
	if (store_auth_get(s, c.hash, STORE_AUTH_TOKEN, &c, &gen)) {
		store_timestamp(now, sizeof now, 0);
		if (c.expires[0] != '\0' && strcmp(c.expires, now) <= 0)
			return (err_set(err, UFO_EUNAUTH, "", "token expired"));
		if (store_clock_ms(s) - c.used_ms < STORE_TOKEN_USED_MS) {
			snprintf(a->fleet, sizeof a->fleet, "%s", c.fleet);
			snprintf(a->user, sizeof a->user, "%s", c.user);
			a->role = c.role;
			return (0);
		}
	}
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_token_check(s, c.hash, a, &c, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	if (rc != 0) {
		memset(a, 0, sizeof *a);
		return (rc);
	}
	store_auth_put(s, &c, gen);
	return (0);
}
