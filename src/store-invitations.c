/*
 * Invitations: an admin names an email and a role; the invitee gets a
 * one-time code ("ufoi_" and 43 base64url characters, kept only as a
 * hash) and exchanges it, with the email it was made for and a password,
 * for membership and a token. A new user is made with that password; an
 * existing one proves theirs. Passwords are hashed or checked between two
 * transactions, with no store lock held.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "jsonx.h"
#include "protocol.h"
#include "store-internal.h"

#define STORE_INVITE_PREFIX	"ufoi_"
#define STORE_INVITE_LIFE	(7 * 86400)
#define STORE_INVITE_MAX_LIFE	(366 * 86400)
#define STORE_EMAIL_MAX		254

#define STORE_INVITE_SELECT						\
	"SELECT i.id, i.email, i.role,"					\
	" (SELECT email FROM users WHERE id = i.created_by)"		\
	" AS created_by, i.created_at, i.expires_at, i.accepted_at,"	\
	" i.revoked_at, CASE WHEN i.revoked_at IS NOT NULL"		\
	" THEN 'revoked' WHEN i.accepted_at IS NOT NULL"		\
	" THEN 'accepted' WHEN i.expires_at <= ?1 THEN 'expired'"	\
	" ELSE 'pending' END AS state FROM invitations i"

/* An address fit to invite: something@something, no spaces, not long. */
static int
store_email_valid(const char *email, struct ufo_error *err)
{
	const char	*at = strchr(email, '@');
	size_t		 i, len = strlen(email);

	for (i = 0; i < len; i++) {
		if ((unsigned char)email[i] <= ' ' || email[i] == 0x7f)
			break;
	}
	if (len > STORE_EMAIL_MAX || i != len || at == NULL || at == email ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return (err_set(err, UFO_EINVAL, "email", "email: \"%s\" is "
		    "not an email address", email));
	return (0);
}

static int
store_invitation_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "email", "role", "expires_in",
	    NULL };
	const char	*email, *rname = "member";
	char		 code[8 + 64], hash[STORE_HASH_SIZE];
	char		 id[STORE_ID_SIZE], expires[STORE_TS_SIZE];
	int64_t		 life = STORE_INVITE_LIFE, n;
	int		 role;

	(void)ref;
	if (store_need_role(a, ROLE_ADMIN, "inviting", err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "email", &email, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "role", &rname, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_int(in, "expires_in", &life, JSONX_OPTIONAL, err) == -1 ||
	    store_email_valid(email, err) != 0)
		return (-1);
	if ((role = role_from_name(rname)) == -1)
		return (err_set(err, UFO_EINVAL, "role", "role: \"%s\" is not "
		    "a role (member, admin or owner)", rname));
	if (role == ROLE_OWNER &&
	    store_need_role(a, ROLE_OWNER, "inviting an owner", err) != 0)
		return (-1);
	if (life <= 0 || life > STORE_INVITE_MAX_LIFE)
		return (err_set(err, UFO_EINVAL, "expires_in", "expires_in: "
		    "must be from 1 second to 366 days"));
	if (store_get_int(s, err, &n, "SELECT count(*) FROM members mb"
	    " JOIN users u ON u.id = mb.user_id WHERE mb.fleet_id = ?"
	    " AND u.email = ?", "ss", a->fleet, email) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "email", "%s is already a "
		    "member of this fleet", email));

	store_token_generate(STORE_INVITE_PREFIX, code, sizeof code);
	store_token_hash(code, hash, sizeof hash);
	store_time_format(expires, sizeof expires, s->now_ms + life * 1000);
	store_new_id(id, "inv");
	if (store_exec(s, err,
	    "INSERT INTO invitations (id, fleet_id, email, role, hash,"
	    " created_by, created_at, expires_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ssssssss", id, a->fleet,
	    email, role_name(role), hash, a->user, s->now, expires) == -1 ||
	    store_get_json(s, err, out, STORE_INVITE_SELECT " WHERE i.id = ?2",
	    "ss", s->now, id) != 1 ||
	    store_event_add(s, err, a->fleet, "invitation.created", id,
	    *out) != 0) {
		sodium_memzero(code, sizeof code);
		return (-1);
	}
	/* After the event: the feed never sees the code. */
	json_object_object_add(*out, "code", json_object_new_string(code));
	sodium_memzero(code, sizeof code);
	return (0);
}

static int
store_invitation_revoke_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	const char	*state;

	(void)in;
	if (store_need_role(a, ROLE_ADMIN, "revoking an invitation",
	    err) != 0)
		return (-1);
	if (store_get_json(s, err, out, STORE_INVITE_SELECT
	    " WHERE i.id = ?2 AND i.fleet_id = ?3", "sss", s->now, ref,
	    a->fleet) != 1)
		return (err_set(err, UFO_ENOTFOUND, "", "invitation %s not "
		    "found", ref));
	state = jsonx_str(*out, "state");
	if (strcmp(state, "revoked") == 0)
		return (0);
	if (strcmp(state, "accepted") == 0)
		return (err_set(err, UFO_ECONFLICT, "", "invitation %s was "
		    "already accepted: remove the member instead", ref));
	json_object_put(*out);
	*out = NULL;
	if (store_exec(s, err, "UPDATE invitations SET revoked_at = ?"
	    " WHERE id = ?", "ss", s->now, ref) == -1 ||
	    store_get_json(s, err, out, STORE_INVITE_SELECT " WHERE i.id = ?2",
	    "ss", s->now, ref) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "invitation.revoked", ref,
	    *out));
}

int
store_invitation_create(struct store *s, const struct store_actor *a,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, NULL, in, out, store_invitation_insert,
	    err));
}

int
store_invitation_revoke(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, ref, NULL, out, store_invitation_revoke_tx,
	    err));
}

int
store_invitation_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	char			 now[STORE_TS_SIZE];
	int			 r;

	*out = NULL;
	if (store_need_role(a, ROLE_ADMIN, "listing invitations", err) != 0)
		return (-1);
	store_time_format(now, sizeof now, store_clock_ms(s));
	s = store_read(s);
	r = store_get_list(s, err, &items, STORE_INVITE_SELECT
	    " WHERE i.fleet_id = ?2 ORDER BY i.created_at, i.id", "ss", now,
	    a->fleet);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}

/* What accepting needs to know before any password is checked. */
struct store_accept {
	const char	*code;
	const char	*email;
	const char	*password;
	const char	*name;
	char		 hash[STORE_HASH_SIZE];		/* of the code */
	char		 user[STORE_ID_SIZE];		/* "" for a new user */
	char		 pwhash[STORE_PWHASH_SIZE];
};

/* The invitation of a code, usable now, for this email: 0 or -1. */
static int
store_accept_check(struct store *s, struct store_accept *x, int64_t now_ms,
    char *id, char *fleet, int *role, struct ufo_error *err)
{
	struct json_object	*row;
	char			 now[STORE_TS_SIZE];
	int			 r, rc = -1;

	store_time_format(now, sizeof now, now_ms);
	r = store_get_json(s, err, &row,
	    "SELECT id, fleet_id, email, role, expires_at <= ? AS expired,"
	    " accepted_at, revoked_at FROM invitations WHERE hash = ?", "ss",
	    now, x->hash);
	if (r == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "code", "code: no such "
		    "invitation"));
	if (jsonx_str(row, "revoked_at") != NULL)
		err_set(err, UFO_ENOTFOUND, "code", "code: the invitation was "
		    "revoked");
	else if (jsonx_str(row, "accepted_at") != NULL)
		err_set(err, UFO_ECONFLICT, "code", "code: the invitation was "
		    "already used");
	else if (jsonx_int(row, "expired", 1))
		err_set(err, UFO_EINVAL, "code", "code: the invitation "
		    "expired");
	else if (strcasecmp(jsonx_str(row, "email"), x->email) != 0)
		err_set(err, UFO_EINVAL, "email", "email: the invitation is "
		    "for another address");
	else {
		snprintf(id, STORE_ID_SIZE, "%s", jsonx_str(row, "id"));
		snprintf(fleet, STORE_ID_SIZE, "%s",
		    jsonx_str(row, "fleet_id"));
		*role = role_from_name(jsonx_str(row, "role"));
		rc = 0;
	}
	json_object_put(row);
	return (rc);
}

static int
store_accept_tx(struct store *s, struct store_accept *x,
    struct json_object **out, struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE], fleet[STORE_ID_SIZE];
	char	 user[STORE_ID_SIZE];
	int64_t	 n;
	int	 role, r;

	/* Checked again: the code may have been used meanwhile. */
	if (store_accept_check(s, x, s->now_ms, id, fleet, &role, err) != 0)
		return (-1);
	r = store_get_text(s, err, user, sizeof user,
	    "SELECT id FROM users WHERE email = ?", "s", x->email);
	if (r == -1)
		return (-1);
	if ((r == 1) != (x->user[0] != '\0') ||
	    (r == 1 && strcmp(user, x->user) != 0))
		return (err_set(err, UFO_ECONFLICT, "email", "email: the "
		    "account changed meanwhile; try again"));
	if (r == 0) {
		if (store_user_insert(s, x->email, x->name, user, err) != 0 ||
		    store_exec(s, err, "UPDATE users SET password_hash = ?"
		    " WHERE id = ?", "ss", x->pwhash, user) == -1)
			return (-1);
	}
	if (store_get_int(s, err, &n, "SELECT count(*) FROM members"
	    " WHERE fleet_id = ? AND user_id = ?", "ss", fleet, user) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "email", "%s is already a "
		    "member of this fleet", x->email));
	if (store_exec(s, err, "UPDATE invitations SET accepted_at = ?,"
	    " accepted_by = ? WHERE id = ? AND accepted_at IS NULL", "sss",
	    s->now, user, id) != 1)
		return (err_set(err, UFO_ECONFLICT, "code", "code: the "
		    "invitation was already used"));
	if (store_member_insert(s, fleet, user, role, err) != 0 ||
	    store_event_row(s, err, NULL, NULL, fleet, "member.added", user,
	    "SELECT u.id, u.email, u.name, mb.role, mb.created_at"
	    " FROM members mb JOIN users u ON u.id = mb.user_id"
	    " WHERE mb.fleet_id = ? AND mb.user_id = ?", "ss", fleet,
	    user) != 0)
		return (-1);
	if (store_token_issue(s, fleet, user, "invitation", 0, out, err) != 0)
		return (-1);
	json_object_object_add(*out, "fleet", json_object_new_string(fleet));
	return (0);
}

int
store_invitation_accept(struct store *s, struct json_object *in,
    struct json_object **out, struct ufo_error *err)
{
	static const char *const keys[] = { "code", "email", "password",
	    "name", NULL };
	struct store_accept	 x;
	struct store		*r;
	char			 id[STORE_ID_SIZE], fleet[STORE_ID_SIZE];
	int			 role, rc;

	*out = NULL;
	memset(&x, 0, sizeof x);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "code", &x.code, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "email", &x.email, JSONX_REQUIRED,
	    err) == -1 ||
	    jsonx_get_string(in, "password", &x.password, JSONX_REQUIRED,
	    err) == -1 ||
	    jsonx_get_string(in, "name", &x.name, JSONX_OPTIONAL, err) == -1)
		return (-1);
	store_token_hash(x.code, x.hash, sizeof x.hash);

	r = store_read(s);
	rc = store_accept_check(r, &x, store_clock_ms(s), id, fleet, &role,
	    err);
	store_read_end(r);
	if (rc != 0)
		return (-1);
	if ((rc = store_user_hash(s, x.email, x.user, x.pwhash, err)) == -1)
		return (-1);
	if (rc == 1) {
		if (store_password_verify(x.pwhash, x.password) != 0)
			return (err_set(err, UFO_EUNAUTH, "password",
			    "password: wrong password for %s", x.email));
	} else {
		if (x.name == NULL || store_blank(x.name))
			x.name = x.email;
		if (store_password_valid(x.password, "password", err) != 0 ||
		    store_password_hash(x.password, x.pwhash, err) != 0)
			return (-1);
	}

	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_accept_tx(s, &x, out, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	sodium_memzero(&x, sizeof x);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}
