/*
 * Users' passwords and logging in. Argon2id (libsodium's crypto_pwhash_str,
 * interactive limits) is slow and large on purpose, so it never runs under
 * a store lock: the stored hash is read, the lock let go, the password
 * checked, and only then is anything written.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "jsonx.h"
#include "protocol.h"
#include "store-internal.h"

#define STORE_PASSWORD_MIN	8
#define STORE_PASSWORD_MAX	1024
#define STORE_LOGIN_FAILED	"wrong email or password"

_Static_assert(crypto_pwhash_STRBYTES <= STORE_PWHASH_SIZE,
    "STORE_PWHASH_SIZE does not fit crypto_pwhash_STRBYTES");

/*
 * Checked when the email names nobody (or somebody without a password), so
 * that a failure takes as long whether the account exists or not. No
 * password is known to match it; it guards nothing.
 */
static const char store_dummy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$NK0YIgqjc6u3DzYVLi4DFA$"
    "COvpa2toKZu2CPQVKOvDHiidcORx8hsy28sEl9EmbbE";

/* A password fit to keep: field names it in the message. */
int
store_password_valid(const char *pw, const char *field,
    struct ufo_error *err)
{
	size_t	 len = strlen(pw);

	if (len < STORE_PASSWORD_MIN)
		return (err_set(err, UFO_EINVAL, field, "%s: must be at least "
		    "%d characters", field, STORE_PASSWORD_MIN));
	if (len > STORE_PASSWORD_MAX)
		return (err_set(err, UFO_EINVAL, field, "%s: must be at most "
		    "%d characters", field, STORE_PASSWORD_MAX));
	return (0);
}

/* The Argon2id string of a password, into out (STORE_PWHASH_SIZE). */
int
store_password_hash(const char *pw, char *out, struct ufo_error *err)
{
	if (crypto_pwhash_str(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "hashing a password "
		    "failed: out of memory"));
	return (0);
}

/* 0 when pw matches hash; a NULL or empty hash never matches. */
int
store_password_verify(const char *hash, const char *pw)
{
	int	 real = hash != NULL && *hash != '\0';

	if (crypto_pwhash_str_verify(real ? hash : store_dummy_hash, pw,
	    strlen(pw)) != 0 || !real)
		return (-1);
	return (0);
}

/*
 * Reads a user's id and password hash by email ("" when they have none),
 * on a reader. 1 found, 0 not, -1 error.
 */
int
store_user_hash(struct store *s, const char *email, char *id, char *hash,
    struct ufo_error *err)
{
	struct json_object	*row;
	struct store		*r;
	const char		*h;
	int			 rc;

	id[0] = hash[0] = '\0';
	r = store_read(s);
	rc = store_get_json(r, err, &row,
	    "SELECT id, password_hash FROM users WHERE email = ?", "s", email);
	store_read_end(r);
	if (rc != 1)
		return (rc);
	snprintf(id, STORE_ID_SIZE, "%s", jsonx_str(row, "id"));
	h = jsonx_str(row, "password_hash");
	snprintf(hash, STORE_PWHASH_SIZE, "%s", h != NULL ? h : "");
	json_object_put(row);
	return (1);
}

/* Sets a's password to hash, made outside the write lock. */
static int
store_password_write(struct store *s, const struct store_actor *a,
    const char *hash, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	(void)in;
	if (store_exec(s, err,
	    "UPDATE users SET password_hash = ? WHERE id = ?", "ss", hash,
	    a->user) != 1)
		return (err_set(err, UFO_ENOTFOUND, "", "user %s not found",
		    a->user));
	if (store_get_json(s, err, out,
	    "SELECT id, email, name, password_hash IS NOT NULL"
	    " AS \"password:bool\" FROM users WHERE id = ?", "s",
	    a->user) != 1)
		return (-1);
	return (0);
}

int
store_password_set(struct store *s, const struct store_actor *a,
    struct json_object *in, int local, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "password", "current_password",
	    NULL };
	struct json_object	*row;
	struct store		*r;
	const char		*pw, *current = NULL, *old;
	char			 hash[STORE_PWHASH_SIZE];
	int			 rc;

	*out = NULL;
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "password", &pw, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "current_password", &current, JSONX_OPTIONAL,
	    err) == -1 || store_password_valid(pw, "password", err) != 0)
		return (-1);

	r = store_read(s);
	rc = store_get_json(r, err, &row,
	    "SELECT password_hash FROM users WHERE id = ?", "s", a->user);
	store_read_end(r);
	if (rc == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "user %s not found",
		    a->user));
	if (rc == -1)
		return (-1);
	/*
	 * A token alone does not change a password: whoever holds one must
	 * also know the current password. The socket's owner is the
	 * machine's user, who owns the database file anyway.
	 */
	old = jsonx_str(row, "password_hash");
	rc = 0;
	if (old != NULL && !local) {
		if (current == NULL)
			rc = err_set(err, UFO_EINVAL, "current_password",
			    "current_password: needed to change a password");
		else if (store_password_verify(old, current) != 0)
			rc = err_set(err, UFO_EFORBIDDEN, "current_password",
			    "current_password: wrong password");
	}
	json_object_put(row);
	if (rc != 0 || store_password_hash(pw, hash, err) != 0)
		return (-1);

	rc = store_write(s, a, hash, NULL, out, store_password_write, err);
	sodium_memzero(hash, sizeof hash);
	return (rc);
}

/* A token named name for the user a, in the first fleet they joined. */
static int
store_login_tx(struct store *s, const struct store_actor *a,
    const char *name, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	char	 fleet[STORE_ID_SIZE];
	int	 r;

	(void)in;
	/* The fleet the user joined first; Ufo-Fleet selects the others. */
	r = store_get_text(s, err, fleet, sizeof fleet,
	    "SELECT fleet_id FROM members WHERE user_id = ?"
	    " ORDER BY created_at, fleet_id LIMIT 1", "s", a->user);
	if (r == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_EFORBIDDEN, "", "you are a member of "
		    "no fleet"));
	if (store_token_issue(s, fleet, a->user, name, 0, out, err) != 0)
		return (-1);
	json_object_object_add(*out, "fleet", json_object_new_string(fleet));
	return (0);
}

int
store_login(struct store *s, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "email", "password", "name",
	    NULL };
	struct store_actor	 who;
	const char		*email, *pw, *name = "login";
	char			 hash[STORE_PWHASH_SIZE];
	int			 rc;

	*out = NULL;
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "email", &email, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "password", &pw, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "name", &name, JSONX_OPTIONAL, err) == -1)
		return (-1);
	if (store_blank(name))
		return (err_set(err, UFO_EINVAL, "name", "name: must not be "
		    "blank"));
	memset(&who, 0, sizeof who);
	if ((rc = store_user_hash(s, email, who.user, hash, err)) == -1)
		return (-1);
	/* Unknown or not: the same work and the same answer. */
	if (store_password_verify(hash, pw) != 0 || rc == 0)
		return (err_set(err, UFO_EUNAUTH, "", STORE_LOGIN_FAILED));

	return (store_write(s, &who, name, NULL, out, store_login_tx, err));
}
