/*
 * The credentials vault: secrets a fleet hands its pilots as environment
 * variables. A value is sealed with XChaCha20-Poly1305 under the master
 * key, with the fleet id and the name as additional data (a row copied to
 * another fleet or name does not open), and is never read back but into
 * the answer to the claim of a run whose pilot names it. Plaintext lives
 * in memory only as long as it takes, and is wiped after.
 *
 * The master key is ufod's (src/vault.c reads or makes it); the database
 * keeps only an id derived from it, so a wrong key is refused before it
 * could decrypt or write anything.
 */
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

#define STORE_CRED_NAME_MAX	64
#define STORE_CRED_ENV_MAX	128
#define STORE_CRED_NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define STORE_CRED_TAG		crypto_aead_xchacha20poly1305_ietf_ABYTES
#define STORE_VAULT_LABEL	"ufo vault master key id v1"

_Static_assert(STORE_VAULT_KEY_SIZE ==
    crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    "the master key does not fit XChaCha20-Poly1305");

#define STORE_CRED_SELECT						\
	"SELECT c.name, c.env,"						\
	" (SELECT email FROM users WHERE id = c.created_by)"		\
	" AS created_by,"						\
	" (SELECT email FROM users WHERE id = c.updated_by)"		\
	" AS updated_by, c.created_at, c.updated_at FROM credentials c"

/*
 * Variables the rover sets itself, or that decide how the pilot's
 * programs are found and loaded: a credential may not take them over.
 */
static const char *const store_cred_reserved[] = {
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "TMPDIR", "TERM",
	"IFS", "ENV", "BASH_ENV", "LANG", "LC_ALL", NULL
};
static const char *const store_cred_reserved_prefix[] = {
	"UFO_", "LD_", "DYLD_", NULL
};

void
store_vault_key_id(const unsigned char *key, char *out, size_t len)
{
	unsigned char	 h[16];

	crypto_generichash(h, sizeof h, (const unsigned char *)
	    STORE_VAULT_LABEL, strlen(STORE_VAULT_LABEL), key,
	    STORE_VAULT_KEY_SIZE);
	sodium_bin2hex(out, len, h, sizeof h);
}

/* The additional data of a sealed value: "fleet\0name". */
static unsigned char *
store_cred_ad(const char *fleet, const char *name, size_t *len)
{
	unsigned char	*ad;
	size_t		 fl = strlen(fleet), nl = strlen(name);

	*len = fl + 1 + nl;
	ad = xmalloc(*len);
	memcpy(ad, fleet, fl + 1);
	memcpy(ad + fl + 1, name, nl);
	return (ad);
}

/* Seals len bytes of plain: *ct (allocated, len + tag bytes) and nonce. */
static void
store_cred_seal(const unsigned char *key, const char *fleet,
    const char *name, const void *plain, size_t len, unsigned char *nonce,
    unsigned char **ct, size_t *ctlen)
{
	unsigned char		*ad;
	unsigned long long	 n;
	size_t			 adlen;

	ad = store_cred_ad(fleet, name, &adlen);
	randombytes_buf(nonce, STORE_CRED_NONCE);
	*ct = xmalloc(len + STORE_CRED_TAG);
	crypto_aead_xchacha20poly1305_ietf_encrypt(*ct, &n, plain, len, ad,
	    adlen, NULL, nonce, key);
	*ctlen = (size_t)n;
	free(ad);
}

/*
 * Opens a sealed value into *plain (allocated, NUL-terminated, the caller
 * wipes it); -1 when it does not open (another key, or altered).
 */
static int
store_cred_open(const unsigned char *key, const char *fleet,
    const char *name, const unsigned char *nonce, size_t noncelen,
    const unsigned char *ct, size_t ctlen, char **plain, size_t *len)
{
	unsigned char		*ad, *p;
	unsigned long long	 n;
	size_t			 adlen;
	int			 rc;

	*plain = NULL;
	if (noncelen != STORE_CRED_NONCE || ctlen < STORE_CRED_TAG)
		return (-1);
	ad = store_cred_ad(fleet, name, &adlen);
	p = xmalloc(ctlen - STORE_CRED_TAG + 1);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(p, &n, NULL, ct,
	    ctlen, ad, adlen, nonce, key);
	free(ad);
	if (rc != 0) {
		free(p);
		return (-1);
	}
	p[n] = '\0';
	*plain = (char *)p;
	*len = (size_t)n;
	return (0);
}

static void
store_cred_wipe(char *plain, size_t len)
{
	if (plain != NULL) {
		sodium_memzero(plain, len);
		free(plain);
	}
}

int
store_credential_check_name(const char *name, const char *field,
    struct ufo_error *err)
{
	size_t	 i, len = strlen(name);

	for (i = 0; i < len; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    strchr("_.-", name[i]) != NULL)
			continue;
		break;
	}
	if (len == 0 || len > STORE_CRED_NAME_MAX || i != len)
		return (err_set(err, UFO_EINVAL, field, "%s: \"%s\" is not a "
		    "valid credential name (letters, digits, '_', '.', '-'; "
		    "at most %d)", field, name, STORE_CRED_NAME_MAX));
	return (0);
}

static int
store_cred_check_env(const char *env, struct ufo_error *err)
{
	const char *const	*r;
	size_t			 i, len = strlen(env);

	for (i = 0; i < len; i++) {
		if ((env[i] >= 'A' && env[i] <= 'Z') ||
		    (env[i] >= 'a' && env[i] <= 'z') || env[i] == '_' ||
		    (i > 0 && env[i] >= '0' && env[i] <= '9'))
			continue;
		break;
	}
	if (len == 0 || len > STORE_CRED_ENV_MAX || i != len)
		return (err_set(err, UFO_EINVAL, "env", "env: \"%s\" is not a "
		    "valid environment variable name (letters, digits and "
		    "'_', not starting with a digit)", env));
	for (r = store_cred_reserved; *r != NULL; r++) {
		if (strcmp(env, *r) == 0)
			return (err_set(err, UFO_EINVAL, "env", "env: %s is "
			    "set by the rover or the system and cannot hold a "
			    "credential", env));
	}
	for (r = store_cred_reserved_prefix; *r != NULL; r++) {
		if (strncmp(env, *r, strlen(*r)) == 0)
			return (err_set(err, UFO_EINVAL, "env", "env: %s*: "
			    "these variables are the rover's or the loader's "
			    "and cannot hold a credential", *r));
	}
	return (0);
}

/* The value of a request, checked; its bytes stay in the request. */
static int
store_cred_value(struct json_object *in, const char **value, size_t *len,
    struct ufo_error *err)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(in, "value", &v) || v == NULL)
		return (err_set(err, UFO_EINVAL, "value", "value: required"));
	if (!json_object_is_type(v, json_type_string))
		return (err_set(err, UFO_EINVAL, "value", "value: expected a "
		    "string"));
	*value = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	/* Short values would mask ordinary words out of every log. */
	if (*len < STORE_CRED_VALUE_MIN || *len > STORE_CRED_VALUE_MAX)
		return (err_set(err, UFO_EINVAL, "value", "value: must be "
		    "%d bytes to %d KiB long", STORE_CRED_VALUE_MIN,
		    STORE_CRED_VALUE_MAX / 1024));
	if (memchr(*value, '\0', *len) != NULL)
		return (err_set(err, UFO_EINVAL, "value", "value: must not "
		    "contain a NUL byte (an environment variable cannot)"));
	return (0);
}

static int
store_cred_admin(const struct store_actor *a, const char *what,
    struct ufo_error *err)
{
	if (a->role < ROLE_ADMIN)
		return (err_set(err, UFO_EFORBIDDEN, "", "only an admin or the "
		    "owner may %s credentials", what));
	return (0);
}

static int
store_cred_need_key(struct store *s, struct ufo_error *err)
{
	if (s->vault_key == NULL)
		return (err_set(err, UFO_EUNAVAIL, "", "the credentials vault "
		    "has no master key"));
	return (0);
}

static int
store_credential_set_tx(struct store *s, const struct store_actor *a,
    const char *name, struct json_object *in, struct json_object **out,
    int *created, struct ufo_error *err)
{
	static const char *const keys[] = { "env", "value", NULL };
	unsigned char	 nonce[STORE_CRED_NONCE], *ct = NULL;
	const char	*env, *value = NULL;
	char		 id[STORE_ID_SIZE];
	size_t		 len = 0, ctlen;
	int		 r, rc = -1;

	if (store_cred_admin(a, "set", err) != 0 ||
	    store_credential_check_name(name, "name", err) != 0 ||
	    store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "env", &env, JSONX_REQUIRED, err) == -1 ||
	    store_cred_check_env(env, err) != 0 ||
	    store_cred_value(in, &value, &len, err) != 0 ||
	    store_cred_need_key(s, err) != 0)
		return (-1);
	if ((r = store_get_text(s, err, id, sizeof id, "SELECT id"
	    " FROM credentials WHERE fleet_id = ? AND name = ?", "ss",
	    a->fleet, name)) == -1)
		return (-1);
	*created = r == 0;
	store_cred_seal(s->vault_key, a->fleet, name, value, len, nonce, &ct,
	    &ctlen);
	if (*created) {
		store_new_id(id, "crd");
		r = store_exec(s, err, "INSERT INTO credentials (id, fleet_id,"
		    " name, env, nonce, ciphertext, created_by, updated_by,"
		    " created_at, updated_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?8)",
		    "ssssbbss", id, a->fleet, name, env, nonce, sizeof nonce,
		    ct, ctlen, a->user, s->now);
	} else
		r = store_exec(s, err, "UPDATE credentials SET env = ?2,"
		    " nonce = ?3, ciphertext = ?4, updated_by = ?5,"
		    " updated_at = ?6 WHERE id = ?1", "ssbbss", id, env, nonce,
		    sizeof nonce, ct, ctlen, a->user, s->now);
	if (r != 1) {
		if (r == 0)
			err_set(err, UFO_EINTERNAL, "", "credential %s was not "
			    "written", name);
		goto out;
	}
	if (store_get_json(s, err, out, STORE_CRED_SELECT " WHERE c.id = ?",
	    "s", id) != 1)
		goto out;
	rc = store_event_add(s, err, a->fleet, "credential.set", id, *out);
out:
	free(ct);
	return (rc);
}

int
store_credential_set(struct store *s, const struct store_actor *a,
    const char *name, struct json_object *in, struct json_object **out,
    int *created, struct ufo_error *err)
{
	int	 rc;

	*out = NULL;
	*created = 0;
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_credential_set_tx(s, a, name, in, out, created,
		    err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}

int
store_credential_list(struct store *s, const struct store_actor *a,
    struct json_object **out, struct ufo_error *err)
{
	return (store_list_fleet(s, a->fleet,
	    STORE_CRED_SELECT " WHERE c.fleet_id = ? ORDER BY c.name", out,
	    err));
}

static int
store_credential_remove_tx(struct store *s, const struct store_actor *a,
    const char *name, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE];
	int	 r;

	(void)in;
	if (store_cred_admin(a, "remove", err) != 0)
		return (-1);
	if ((r = store_get_text(s, err, id, sizeof id, "SELECT id"
	    " FROM credentials WHERE fleet_id = ? AND name = ?", "ss",
	    a->fleet, name)) != 1)
		return (r == 0 ? err_set(err, UFO_ENOTFOUND, "", "credential "
		    "%s not found", name) : -1);
	if (store_get_json(s, err, out, STORE_CRED_SELECT " WHERE c.id = ?",
	    "s", id) != 1 ||
	    store_exec(s, err, "DELETE FROM credentials WHERE id = ?", "s",
	    id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "credential.removed", id,
	    *out));
}

int
store_credential_remove(struct store *s, const struct store_actor *a,
    const char *name, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, name, NULL, out, store_credential_remove_tx,
	    err));
}

/*
 * The credentials a run's pilot names, opened into {"ENV": "value", …}
 * for the answer to its claim (the caller wipes it with jsonx_wipe once
 * sent). 0 with *creds set; 1 when one cannot be given (not set in the
 * fleet, or it does not open), why in reason and nothing opened; -1.
 */
int
store_credential_claim(struct store *s, const char *run,
    struct json_object **creds, char *reason, size_t reasonlen,
    struct ufo_error *err)
{
	sqlite3_stmt	*stmt;
	const char	*fleet, *name, *env;
	char		*plain;
	size_t		 len;
	int		 r, rc = 0;

	*creds = NULL;
	if (store_cred_need_key(s, err) != 0)
		return (-1);
	stmt = store_prepare(s, err, "SELECT r.fleet_id, j.value, c.env,"
	    " c.nonce, c.ciphertext FROM runs r"
	    " JOIN json_each(r.profile, '$.credentials') j"
	    " LEFT JOIN credentials c ON c.fleet_id = r.fleet_id"
	    " AND c.name = j.value WHERE r.id = ? ORDER BY j.key", "s", run);
	if (stmt == NULL)
		return (-1);
	*creds = json_object_new_object();
	while ((r = store_step(s, stmt, err)) == 1) {
		fleet = (const char *)sqlite3_column_text(stmt, 0);
		name = (const char *)sqlite3_column_text(stmt, 1);
		env = (const char *)sqlite3_column_text(stmt, 2);
		if (name == NULL || fleet == NULL) {
			rc = 1;
			snprintf(reason, reasonlen, "the pilot names a "
			    "credential that is not a name");
			break;
		}
		if (env == NULL) {
			rc = 1;
			snprintf(reason, reasonlen, "credential %s is not set "
			    "in this fleet (ufo cred set %s ENV_VAR)", name,
			    name);
			break;
		}
		if (store_cred_open(s->vault_key, fleet, name,
		    sqlite3_column_blob(stmt, 3),
		    (size_t)sqlite3_column_bytes(stmt, 3),
		    sqlite3_column_blob(stmt, 4),
		    (size_t)sqlite3_column_bytes(stmt, 4), &plain,
		    &len) != 0) {
			rc = 1;
			snprintf(reason, reasonlen, "credential %s does not "
			    "decrypt under the master key (set it again)",
			    name);
			log_error("run %s: credential %s does not decrypt",
			    run, name);
			break;
		}
		json_object_object_add(*creds, env,
		    json_object_new_string_len(plain, (int)len));
		store_cred_wipe(plain, len);
	}
	if (r == 1)
		sqlite3_reset(stmt);
	if (r == -1 || rc != 0) {
		jsonx_wipe(*creds);
		json_object_put(*creds);
		*creds = NULL;
	}
	return (r == -1 ? -1 : rc);
}

/* The vault's master key. */

int
store_vault_state(struct store *s, char *key_id, size_t len, int64_t *n,
    struct ufo_error *err)
{
	int	 r;

	key_id[0] = '\0';
	s = store_read(s);
	r = store_get_text(s, err, key_id, len,
	    "SELECT key_id FROM vault_keys WHERE id = 1", "");
	if (r != -1 && store_get_int(s, err, n,
	    "SELECT count(*) FROM credentials", "") != 1)
		r = -1;
	store_read_end(s);
	return (r == -1 ? -1 : 0);
}

static void
store_vault_keep(struct store *s, const unsigned char *key)
{
	if (s->vault_key == NULL &&
	    (s->vault_key = sodium_malloc(STORE_VAULT_KEY_SIZE)) == NULL)
		fatalx("%s: sodium_malloc", __func__);
	memcpy(s->vault_key, key, STORE_VAULT_KEY_SIZE);
}

static int
store_vault_attach_tx(struct store *s, const unsigned char *key,
    int replace, struct ufo_error *err)
{
	char	 want[STORE_VAULT_ID_SIZE], have[STORE_VAULT_ID_SIZE];
	int64_t	 n;
	int	 r;

	store_vault_key_id(key, want, sizeof want);
	if ((r = store_get_text(s, err, have, sizeof have,
	    "SELECT key_id FROM vault_keys WHERE id = 1", "")) == -1 ||
	    store_get_int(s, err, &n, "SELECT count(*) FROM credentials",
	    "") != 1)
		return (-1);
	if (r == 1 && strcmp(have, want) == 0)
		return (0);
	if (r == 1 && (!replace || n > 0))
		return (err_set(err, UFO_ECONFLICT, "", "the master key (id "
		    "%s) is not the key of database %s (id %s), which holds "
		    "%lld credential%s", want, s->path, have, (long long)n,
		    n == 1 ? "" : "s"));
	if (store_exec(s, err, "INSERT INTO vault_keys (id, key_id,"
	    " created_at) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE"
	    " SET key_id = ?1, rotated_at = ?2", "ss", want, s->now) != 1)
		return (-1);
	return (0);
}

int
store_vault_attach(struct store *s, const unsigned char *key, int replace,
    struct ufo_error *err)
{
	int	 rc;

	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_vault_attach_tx(s, key, replace, err);
	rc = store_end(s, rc, err);
	if (rc == 0)
		store_vault_keep(s, key);
	store_unlock(s);
	return (rc);
}

/* Bytes of a hex() column, allocated. */
static int
store_vault_unhex(const char *hex, unsigned char **out, size_t *len)
{
	size_t	 n;

	*out = NULL;
	if (hex == NULL)
		return (-1);
	n = strlen(hex) / 2;
	*out = xmalloc(n + 1);
	if (sodium_hex2bin(*out, n + 1, hex, strlen(hex), NULL, len,
	    NULL) != 0 || *len != n) {
		free(*out);
		*out = NULL;
		return (-1);
	}
	return (0);
}

/* Every credential opened with the old key and sealed with the new. */
static int
store_vault_rotate_tx(struct store *s, const unsigned char *key,
    int64_t *count, struct ufo_error *err)
{
	struct json_object	*list, *row;
	unsigned char		 nonce[STORE_CRED_NONCE], *ct, *blob;
	char			 want[STORE_VAULT_ID_SIZE], *plain;
	size_t			 i, len, ctlen, bloblen;
	int			 rc = 0;

	if (store_cred_need_key(s, err) != 0 ||
	    store_get_list(s, err, &list, "SELECT id, fleet_id, name,"
	    " hex(nonce) AS nonce, hex(ciphertext) AS ciphertext"
	    " FROM credentials ORDER BY seq", "") != 0)
		return (-1);
	*count = (int64_t)json_object_array_length(list);
	for (i = 0; rc == 0 && i < json_object_array_length(list); i++) {
		row = json_object_array_get_idx(list, i);
		rc = store_vault_unhex(jsonx_str(row, "nonce"), &blob,
		    &bloblen);
		if (rc == 0 && store_vault_unhex(jsonx_str(row, "ciphertext"),
		    &ct, &ctlen) != 0) {
			free(blob);
			rc = -1;
		}
		if (rc != 0) {
			err_set(err, UFO_EINTERNAL, "", "credential %s: bad "
			    "row", jsonx_str(row, "name"));
			break;
		}
		rc = store_cred_open(s->vault_key, jsonx_str(row, "fleet_id"),
		    jsonx_str(row, "name"), blob, bloblen, ct, ctlen, &plain,
		    &len);
		free(blob);
		free(ct);
		if (rc != 0) {
			err_set(err, UFO_EINTERNAL, "", "credential %s of "
			    "fleet %s does not decrypt under the current "
			    "master key; nothing was changed",
			    jsonx_str(row, "name"), jsonx_str(row, "fleet_id"));
			break;
		}
		store_cred_seal(key, jsonx_str(row, "fleet_id"),
		    jsonx_str(row, "name"), plain, len, nonce, &ct, &ctlen);
		store_cred_wipe(plain, len);
		if (store_exec(s, err, "UPDATE credentials SET nonce = ?2,"
		    " ciphertext = ?3 WHERE id = ?1", "sbb",
		    jsonx_str(row, "id"), nonce, sizeof nonce, ct,
		    ctlen) != 1)
			rc = -1;
		free(ct);
	}
	json_object_put(list);
	if (rc != 0)
		return (-1);
	store_vault_key_id(key, want, sizeof want);
	if (store_exec(s, err, "UPDATE vault_keys SET key_id = ?1,"
	    " rotated_at = ?2 WHERE id = 1", "ss", want, s->now) != 1)
		return (err_set(err, UFO_EINTERNAL, "", "the vault has no key "
		    "recorded"));
	return (0);
}

int
store_vault_rotate(struct store *s, const unsigned char *key,
    int64_t *count, struct ufo_error *err)
{
	int	 rc;

	*count = 0;
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_vault_rotate_tx(s, key, count, err);
	rc = store_end(s, rc, err);
	if (rc == 0)
		store_vault_keep(s, key);
	store_unlock(s);
	return (rc);
}
