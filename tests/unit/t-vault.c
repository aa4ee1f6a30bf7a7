/*
 * The credentials vault in the store, against a real SQLite file: the
 * master key and its id (a wrong key refused), who may set and remove
 * (owner, admin, not member), what a list shows (never a value), the
 * database files never holding a value, the claim handing the values to
 * the rover that claimed the run and no one else, a run naming a missing
 * credential failing at its claim, and rotation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "jsonx.h"
#include "protocol.h"
#include "store.h"
#include "store-test.h"
#include "tap.h"

#define SECRET	"sk-unit-SECRET-value-9137"

static char		 dir[64], path[128];
static struct store	*s;
static struct store_actor owner;

/* store_credential_set as a: 0 made, 1 replaced, -1 failed (err). */
static int
cred_set(const struct store_actor *a, const char *name, const char *body,
    struct ufo_error *err)
{
	struct json_object	*in, *out = NULL;
	int			 created, rc;

	in = mk("%s", body);
	err_clear(err);
	rc = store_credential_set(s, a, name, in, &out, &created, err);
	if (rc == 0 && json_object_object_get_ex(out, "value", NULL))
		rc = -2;
	json_object_put(in);
	json_object_put(out);
	return (rc != 0 ? rc : created ? 0 : 1);
}

/* Whether file holds text anywhere (a missing file holds nothing). */
static int
file_has(const char *file, const char *text)
{
	FILE	*f;
	char	*buf;
	long	 len;
	int	 found;

	if ((f = fopen(file, "rb")) == NULL)
		return (0);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		exit(2);
	fclose(f);
	found = memmem(buf, (size_t)len, text, strlen(text)) != NULL;
	free(buf);
	return (found);
}

static int
db_has(const char *text)
{
	char	 p[160];

	snprintf(p, sizeof p, "%s-wal", path);
	if (file_has(p, text))
		return (1);
	snprintf(p, sizeof p, "%s-shm", path);
	return (file_has(path, text) || file_has(p, text));
}

static struct json_object *
claim_next(const struct store_rover *rv, struct ufo_error *err)
{
	struct json_object	*in, *out;

	in = mk("{\"wait\":0,\"auto_tags\":[\"pilot:shell\"]}");
	out = claim_run(s, rv, in, err);
	json_object_put(in);
	return (out);
}

static int
rover_new(struct store_rover *rv)
{
	struct json_object	*in, *code = NULL, *r = NULL;
	struct ufo_error	 err;
	int			 rc = -1;

	in = mk("{}");
	if (store_code_create(s, &owner, in, &code, &err) == 0) {
		json_object_put(in);
		in = mk("{\"code\":\"%s\",\"version\":\"0.1.0\",\"host\":\"h\","
		    "\"name\":\"r1\",\"auto_tags\":[\"pilot:shell\"]}",
		    jsonx_str(code, "code"));
		if (store_rover_enroll(s, in, &r, &err) == 0 &&
		    store_rover_authenticate(s, jsonx_str(r, "token"), rv,
		    &err) == 0)
			rc = 0;
	}
	if (rc != 0)
		printf("# rover: %s\n", err.message);
	json_object_put(in);
	json_object_put(code);
	json_object_put(r);
	return (rc);
}

static int
op_for(const char *pilot, const char *title)
{
	struct json_object	*in;
	struct ufo_error	 err;
	char			*out = NULL;
	int			 rc;

	in = mk("{\"title\":\"%s\",\"body\":\"echo hi\","
	    "\"assignee\":\"pilot:%s\"}", title, pilot);
	rc = store_op_create(s, &owner, in, &out, &err);
	if (rc != 0)
		printf("# op: %s\n", err.message);
	json_object_put(in);
	free(out);
	return (rc);
}

static void
test_keys(void)
{
	unsigned char		 k1[STORE_VAULT_KEY_SIZE];
	unsigned char		 k2[STORE_VAULT_KEY_SIZE];
	char			 id[STORE_VAULT_ID_SIZE];
	char			 want[STORE_VAULT_ID_SIZE];
	struct ufo_error	 err;
	int64_t			 n;

	memset(k1, 0x11, sizeof k1);
	memset(k2, 0x22, sizeof k2);
	is_int(cred_set(&owner, "apikey", "{\"env\":\"MY_KEY\",\"value\":\""
	    SECRET "\"}", &err), -1, "no credential without a master key");
	ok(err_is(&err, UFO_EUNAVAIL, "no master key"), "saying so");
	ok(store_vault_state(s, id, sizeof id, &n, &err) == 0 && *id == '\0' &&
	    n == 0, "a new database knows no key");
	ok(store_vault_attach(s, k1, 0, &err) == 0, "the first key is taken");
	store_vault_key_id(k1, want, sizeof want);
	ok(store_vault_state(s, id, sizeof id, &n, &err) == 0, "state");
	is_str(id, want, "the database keeps the key's id");
	is_int(strlen(id), 32, "a hex id of 16 bytes");
	ok(strstr(id, "1111") == NULL, "the id is not the key");
	ok(store_vault_attach(s, k2, 0, &err) == -1, "another key is refused");
	ok(err_is(&err, UFO_ECONFLICT, "not the key of database"),
	    "as not the database's key");
	ok(store_vault_attach(s, k1, 0, &err) == 0, "the right key again");
}

static void
test_set(void)
{
	struct store_actor	 member = owner, admin = owner;
	struct json_object	*list = NULL, *out = NULL;
	struct ufo_error	 err;

	member.role = ROLE_MEMBER;
	admin.role = ROLE_ADMIN;
	is_int(cred_set(&owner, "apikey", "{\"env\":\"MY_KEY\",\"value\":\""
	    SECRET "\"}", &err), 0, "the owner sets a credential");
	is_int(cred_set(&owner, "apikey", "{\"env\":\"MY_KEY\",\"value\":\""
	    SECRET "\"}", &err), 1, "setting it again replaces it");
	is_int(cred_set(&member, "other", "{\"env\":\"OTHER\",\"value\":"
	    "\"abcdefgh\"}", &err), -1, "a member may not set one");
	ok(err_is(&err, UFO_EFORBIDDEN, "only an admin or the owner"),
	    "forbidden, saying who may");
	ok(store_credential_remove(s, &member, "apikey", &out, &err) == -1 &&
	    err_is(&err, UFO_EFORBIDDEN, NULL), "nor remove one");
	is_int(cred_set(&admin, "other", "{\"env\":\"OTHER\",\"value\":"
	    "\"abcdefgh\"}", &err), 0, "an admin may");
	ok(store_credential_remove(s, &admin, "other", &out, &err) == 0,
	    "and remove it");
	json_object_put(out);
	ok(store_credential_remove(s, &admin, "other", &out, &err) == -1 &&
	    err_is(&err, UFO_ENOTFOUND, "credential other not found"),
	    "a removed one is not found");
	is_int(cred_set(&owner, "a b", "{\"env\":\"X\",\"value\":\"abcdefgh\"}",
	    &err), -1, "a bad name");
	ok(err_is(&err, UFO_EINVAL, "not a valid credential name"), "named");
	is_int(cred_set(&owner, "k", "{\"env\":\"LD_PRELOAD\",\"value\":"
	    "\"abcdefgh\"}", &err), -1, "LD_* is the loader's");
	is_int(cred_set(&owner, "k", "{\"env\":\"K\",\"value\":12345678}",
	    &err), -1, "a value that is not a string");
	is_int(cred_set(&owner, "k", "{\"env\":\"K\","
	    "\"value\":\"ab\\u0000cdef\"}", &err), -1,
	    "a value with a NUL byte");

	ok(store_credential_list(s, &member, &list, &err) == 0,
	    "a member lists them");
	ok(list != NULL && strstr(jsonx_compact(list), "apikey") != NULL &&
	    strstr(jsonx_compact(list), "MY_KEY") != NULL,
	    "names and variables");
	ok(list != NULL && strstr(jsonx_compact(list), SECRET) == NULL &&
	    strstr(jsonx_compact(list), "value") == NULL, "never a value");
	json_object_put(list);
	ok(!db_has(SECRET), "no database file holds the value");
}

static void
test_claim(void)
{
	struct store_rover	 rv;
	struct json_object	*c, *in, *out = NULL, *creds;
	struct ufo_error	 err;
	unsigned char		 k1[STORE_VAULT_KEY_SIZE];
	unsigned char		 k3[STORE_VAULT_KEY_SIZE];
	int64_t			 n;

	in = mk("{\"name\":\"keyed\",\"kind\":\"shell\","
	    "\"credentials\":[\"apikey\"]}");
	ok(store_pilot_create(s, &owner, in, &out, &err) == 0,
	    "a pilot naming the credential");
	json_object_put(in);
	json_object_put(out);
	in = mk("{\"name\":\"ghostly\",\"kind\":\"shell\","
	    "\"credentials\":[\"nothere\"]}");
	ok(store_pilot_create(s, &owner, in, &out, &err) == 0,
	    "a pilot naming one that does not exist");
	json_object_put(in);
	json_object_put(out);
	if (rover_new(&rv) != 0)
		return;

	ok(op_for("ghostly", "Ghost") == 0, "an operation for the ghost");
	c = claim_next(&rv, &err);
	ok(c == NULL, "its run is not handed out");
	json_object_put(c);
	ok(store_op_get(s, &owner, "UFO-1", &out, &err) == 0 &&
	    strcmp(jsonx_str(out, "status"), "blocked") == 0,
	    "the operation is blocked");
	json_object_put(out);

	ok(op_for("keyed", "Keyed") == 0, "an operation for the keyed pilot");
	c = claim_next(&rv, &err);
	creds = c != NULL ? json_object_object_get(c, "credentials") : NULL;
	is_str(creds != NULL ? jsonx_str(creds, "MY_KEY") : NULL, SECRET,
	    "its claim carries the value under its variable");
	ok(c != NULL && strstr(jsonx_compact(
	    json_object_object_get(c, "pilot")), "apikey") == NULL,
	    "the pilot's profile in the claim does not list it");
	jsonx_wipe(c);
	ok(creds != NULL && strcmp(jsonx_str(creds, "MY_KEY"), SECRET) != 0,
	    "jsonx_wipe overwrites it");
	json_object_put(c);
	c = claim_next(&rv, &err);
	ok(c == NULL, "a second claim gets nothing");
	json_object_put(c);

	memset(k1, 0x11, sizeof k1);
	memset(k3, 0x33, sizeof k3);
	ok(store_vault_rotate(s, k3, &n, &err) == 0, "rotation");
	is_int(n, 1, "it sealed the one credential");
	ok(store_vault_attach(s, k1, 0, &err) == -1 &&
	    err_is(&err, UFO_ECONFLICT, NULL), "the old key is refused after");
	ok(op_for("keyed", "After") == 0, "another operation");
	c = claim_next(&rv, &err);
	creds = c != NULL ? json_object_object_get(c, "credentials") : NULL;
	is_str(creds != NULL ? jsonx_str(creds, "MY_KEY") : NULL, SECRET,
	    "the value still opens under the new key");
	json_object_put(c);
	ok(!db_has(SECRET), "still no database file holds the value");
}

int
main(void)
{
	struct ufo_error	 err;
	char			 cmd[128];

	snprintf(dir, sizeof dir, "/tmp/t-vault.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (2);
	}
	snprintf(path, sizeof path, "%s/ufo.db", dir);
	if (store_open(path, &s, &err) != 0 ||
	    store_bootstrap(s, "tester", &err) != 0 ||
	    store_local_actor(s, &owner, &err) != 0) {
		printf("Bail out! %s\n", err.message);
		return (1);
	}
	test_keys();
	test_set();
	test_claim();
	ok(store_check(s, &err) == 0, "database sound");
	store_close(s);
	ok(!db_has(SECRET), "nor after it is closed");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return (done_testing());
}
