/*
 * The JSON helpers every handler leans on, the error table that maps codes
 * to HTTP statuses and names, and the protocol's name tables.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonx.h"
#include "protocol.h"
#include "tap.h"

static struct json_object *
parse(const char *s, struct ufo_error *err)
{
	err_clear(err);
	return (jsonx_parse_object(s, strlen(s), err));
}

static int
contains(const char *haystack, const char *needle)
{
	return (haystack != NULL && strstr(haystack, needle) != NULL);
}

static void
test_parse(void)
{
	struct ufo_error	 err;
	struct json_object	*obj;

	obj = parse("{\"title\":\"Fix the hatch\",\"priority\":2}", &err);
	ok(obj != NULL, "parse: a valid object parses");
	is_str(jsonx_str(obj, "title"), "Fix the hatch", "parse: string read");
	is_int(jsonx_int(obj, "priority", -1), 2, "parse: int read");
	is_int(jsonx_int(obj, "missing", 7), 7, "parse: absent int → default");
	ok(jsonx_str(obj, "priority") == NULL, "parse: jsonx_str of int → NULL");
	json_object_put(obj);

	obj = parse("  {\"a\":1}\n", &err);
	ok(obj != NULL, "parse: surrounding whitespace is fine");
	json_object_put(obj);

	obj = parse("{\"title\": tru}", &err);
	ok(obj == NULL, "malformed: rejected");
	is_int(err.code, UFO_EINVAL, "malformed: invalid");
	ok(contains(err.message, "malformed JSON at byte "),
	    "malformed: message names the byte offset");
	ok(contains(err.message, "byte 1"), "malformed: offset is a number");
	if (!contains(err.message, "byte 1"))
		printf("#   message: %s\n", err.message);

	obj = parse("{\"a\":1", &err);
	ok(obj == NULL, "truncated: rejected");
	ok(contains(err.message, "ends early at byte 6"),
	    "truncated: says where it ended");

	obj = parse("{\"a\":1} {\"b\":2}", &err);
	ok(obj == NULL, "trailing: second document rejected");
	/* json-c's strict mode reports it itself; either way, the offset. */
	ok(contains(err.message, "at byte 8"),
	    "trailing: names the byte offset");
	if (!contains(err.message, "at byte 8"))
		printf("#   message: %s\n", err.message);

	obj = parse("{\"a\":1}x", &err);
	ok(obj == NULL, "trailing: garbage after object rejected");

	obj = parse("[1,2]", &err);
	ok(obj == NULL, "non-object: array rejected");
	is_int(err.code, UFO_EINVAL, "non-object: invalid");
	ok(contains(err.message, "must be a JSON object"),
	    "non-object: says an object was expected");

	obj = parse("\"text\"", &err);
	ok(obj == NULL, "non-object: string rejected");

	obj = parse("", &err);
	ok(obj == NULL, "empty: rejected");
	is_int(err.code, UFO_EINVAL, "empty: invalid");
	ok(contains(err.message, "empty"), "empty: says the body is empty");

	obj = parse("{\"a\":1,}", &err);
	ok(obj == NULL, "strict: trailing comma rejected");

	err_clear(&err);
	obj = jsonx_parse("[1]", 3, &err);
	ok(obj != NULL && json_object_is_type(obj, json_type_array),
	    "jsonx_parse: any value parses");
	json_object_put(obj);

	/* Not NUL-terminated: only len bytes count. */
	err_clear(&err);
	obj = jsonx_parse_object("{\"a\":1}GARBAGE", 7, &err);
	ok(obj != NULL, "length: bytes past len are ignored");
	json_object_put(obj);
}

/* A thread's first parse, with a parser of its own. */
static void *
parse_in_thread(void *arg)
{
	struct ufo_error	 err;

	(void)arg;
	err_clear(&err);
	return (jsonx_parse("{\"t\":2}", 7, &err));
}

/* Each thread's parser is kept: what one document leaves, the next loses. */
static void
test_parse_again(void)
{
	struct ufo_error	 err;
	struct json_object	*obj;
	pthread_t		 t;
	void			*res = NULL;

	obj = parse("{\"a\":[1,{\"b\":", &err);
	ok(obj == NULL, "again: a document cut inside two levels");
	obj = parse("{\"c\":3}", &err);
	ok(obj != NULL && jsonx_int(obj, "c", 0) == 3 &&
	    json_object_object_length(obj) == 1,
	    "again: the next one parses alone, nothing of the cut one");
	json_object_put(obj);
	obj = parse("{\"d\":", &err);
	ok(obj == NULL && contains(err.message, "ends early at byte 5"),
	    "again: a cut one after a good one is cut where it is");

	obj = jsonx_parse_text("12");
	ok(obj != NULL && json_object_get_int64(obj) == 12,
	    "text: a number that ends the text");
	json_object_put(obj);
	obj = jsonx_parse_text("true");
	ok(obj != NULL && json_object_get_boolean(obj),
	    "text: a literal that ends the text");
	json_object_put(obj);
	obj = jsonx_parse_text("{\"e\":[1,2]}");
	ok(obj != NULL && json_object_array_length(json_object_object_get(obj,
	    "e")) == 2, "text: an object");
	json_object_put(obj);
	ok(jsonx_parse_text("{\"e\":") == NULL, "text: cut: NULL");
	ok(jsonx_parse_text("nope") == NULL, "text: not JSON: NULL");
	obj = jsonx_parse_text("[]");
	ok(obj != NULL && json_object_is_type(obj, json_type_array),
	    "text: after a bad one, the next parses");
	json_object_put(obj);

	err_clear(&err);
	obj = jsonx_parse_secret("{\"value\":\"hunter2\"}", 19, &err);
	is_str(jsonx_str(obj, "value"), "hunter2",
	    "secret: parsed with a parser of its own");
	json_object_put(obj);
	err_clear(&err);
	ok(jsonx_parse_secret("[1]", 3, &err) == NULL &&
	    contains(err.message, "must be a JSON object"),
	    "secret: an object or nothing");
	obj = parse("{\"f\":6}", &err);
	ok(obj != NULL && jsonx_int(obj, "f", 0) == 6,
	    "secret: the thread's own parser goes on after it");
	json_object_put(obj);

	if (pthread_create(&t, NULL, parse_in_thread, NULL) != 0 ||
	    pthread_join(t, &res) != 0)
		res = NULL;
	ok(res != NULL && jsonx_int(res, "t", 0) == 2,
	    "again: another thread parses with its own parser");
	json_object_put(res);
}

static void
test_getters(void)
{
	struct ufo_error	 err;
	struct json_object	*obj, *arr;
	const char		*s;
	int64_t			 n;
	int			 b;

	obj = parse("{\"s\":\"x\",\"i\":42,\"b\":true,\"n\":null,\"f\":1.5,"
	    "\"a\":[\"p\",\"q\"],\"bad\":[\"p\",3],\"o\":{}}", &err);
	ok(obj != NULL, "getters: fixture parses");

	s = NULL;
	is_int(jsonx_get_string(obj, "s", &s, JSONX_REQUIRED, &err), 1,
	    "string: present → 1");
	is_str(s, "x", "string: value");
	s = "untouched";
	is_int(jsonx_get_string(obj, "nope", &s, JSONX_OPTIONAL, &err), 0,
	    "string: absent optional → 0");
	is_str(s, "untouched", "string: absent leaves *out");
	is_int(jsonx_get_string(obj, "n", &s, JSONX_OPTIONAL, &err), 0,
	    "string: null optional → 0");
	err_clear(&err);
	is_int(jsonx_get_string(obj, "nope", &s, JSONX_REQUIRED, &err), -1,
	    "string: absent required → -1");
	is_str(err.field, "nope", "string: required names the field");
	ok(contains(err.message, "nope: required"),
	    "string: required message");
	err_clear(&err);
	is_int(jsonx_get_string(obj, "i", &s, JSONX_REQUIRED, &err), -1,
	    "string: wrong type → -1");
	is_int(err.code, UFO_EINVAL, "string: wrong type is invalid");
	is_str(err.field, "i", "string: wrong type names the field");
	ok(contains(err.message, "i: expected a string"),
	    "string: wrong type message names the field");

	n = 0;
	is_int(jsonx_get_int(obj, "i", &n, JSONX_REQUIRED, &err), 1,
	    "int: present → 1");
	is_int(n, 42, "int: value");
	err_clear(&err);
	is_int(jsonx_get_int(obj, "s", &n, JSONX_OPTIONAL, &err), -1,
	    "int: string → -1");
	is_str(err.field, "s", "int: wrong type names the field");
	ok(contains(err.message, "expected an integer"), "int: message");
	err_clear(&err);
	is_int(jsonx_get_int(obj, "f", &n, JSONX_OPTIONAL, &err), -1,
	    "int: a double is not an integer");
	is_str(err.field, "f", "int: double names the field");

	b = -1;
	is_int(jsonx_get_bool(obj, "b", &b, JSONX_REQUIRED, &err), 1,
	    "bool: present → 1");
	is_int(b, 1, "bool: value");
	err_clear(&err);
	is_int(jsonx_get_bool(obj, "i", &b, JSONX_REQUIRED, &err), -1,
	    "bool: integer → -1");
	is_str(err.field, "i", "bool: wrong type names the field");
	ok(contains(err.message, "true or false"), "bool: message");

	arr = NULL;
	is_int(jsonx_get_string_array(obj, "a", &arr, JSONX_REQUIRED, &err),
	    1, "array: present → 1");
	ok(arr != NULL && json_object_array_length(arr) == 2,
	    "array: two elements");
	err_clear(&err);
	is_int(jsonx_get_string_array(obj, "bad", &arr, JSONX_REQUIRED, &err),
	    -1, "array: a non-string element → -1");
	is_str(err.field, "bad", "array: element error names the field");
	ok(contains(err.message, "bad[1]"),
	    "array: element error names the index");
	err_clear(&err);
	is_int(jsonx_get_string_array(obj, "s", &arr, JSONX_REQUIRED, &err),
	    -1, "array: a string is not an array");
	is_str(err.field, "s", "array: wrong type names the field");
	err_clear(&err);
	is_int(jsonx_get_string_array(obj, "o", &arr, JSONX_REQUIRED, &err),
	    -1, "array: an object is not an array");
	is_int(jsonx_get_string_array(obj, "nope", &arr, JSONX_OPTIONAL, &err),
	    0, "array: absent optional → 0");

	is_int(jsonx_get_int(NULL, "i", &n, JSONX_OPTIONAL, &err), 0,
	    "getters: NULL object, optional → 0");
	json_object_put(obj);
}

static void
test_check_keys(void)
{
	static const char *const allowed[] = { "title", "body", NULL };
	struct ufo_error	 err;
	struct json_object	*obj;

	obj = parse("{\"title\":\"a\",\"body\":\"b\"}", &err);
	is_int(jsonx_check_keys(obj, allowed, &err), 0,
	    "check_keys: known keys pass");
	json_object_put(obj);

	obj = parse("{}", &err);
	is_int(jsonx_check_keys(obj, allowed, &err), 0,
	    "check_keys: empty object passes");
	json_object_put(obj);

	obj = parse("{\"title\":\"a\",\"titel\":\"b\"}", &err);
	err_clear(&err);
	is_int(jsonx_check_keys(obj, allowed, &err), -1,
	    "check_keys: unknown key fails");
	is_int(err.code, UFO_EINVAL, "check_keys: invalid");
	is_str(err.field, "titel", "check_keys: names the unknown field");
	ok(contains(err.message, "titel: unknown field"),
	    "check_keys: message");
	json_object_put(obj);
}

static void
test_error_object(void)
{
	struct ufo_error	 err;
	struct json_object	*e, *inner, *v;

	err_set(&err, UFO_EINVAL, "title", "title: must not be blank");
	e = jsonx_error(&err);
	ok(json_object_object_get_ex(e, "error", &inner),
	    "jsonx_error: has an error object");
	is_str(jsonx_str(inner, "code"), "invalid", "jsonx_error: code");
	is_str(jsonx_str(inner, "message"), "title: must not be blank",
	    "jsonx_error: message");
	is_str(jsonx_str(inner, "field"), "title", "jsonx_error: field");
	is_str(jsonx_compact(e), "{\"error\":{\"code\":\"invalid\",\"message\":"
	    "\"title: must not be blank\",\"field\":\"title\"}}",
	    "jsonx_compact: compact form");
	json_object_put(e);

	err_set(&err, UFO_ENOTFOUND, NULL, "operation UFO-9 not found");
	e = jsonx_error(&err);
	json_object_object_get_ex(e, "error", &inner);
	ok(!json_object_object_get_ex(inner, "field", &v),
	    "jsonx_error: no field when none was named");
	is_str(jsonx_str(inner, "code"), "not_found",
	    "jsonx_error: not_found code");
	json_object_put(e);

	/* The path must stay readable: no escaped slashes. */
	e = json_object_new_object();
	json_object_object_add(e, "p", json_object_new_string("/api/v1"));
	is_str(jsonx_compact(e), "{\"p\":\"/api/v1\"}",
	    "jsonx_compact: slashes not escaped");
	json_object_put(e);
}

static void
test_errors(void)
{
	static const struct {
		enum ufo_err	 code;
		int		 status;
		const char	*name;
	} t[] = {
		{ UFO_OK, 200, "ok" },
		{ UFO_EINVAL, 400, "invalid" },
		{ UFO_EUNAUTH, 401, "unauthorized" },
		{ UFO_EFORBIDDEN, 403, "forbidden" },
		{ UFO_ENOTFOUND, 404, "not_found" },
		{ UFO_EMETHOD, 405, "method_not_allowed" },
		{ UFO_ECONFLICT, 409, "conflict" },
		{ UFO_ETOOLARGE, 413, "too_large" },
		{ UFO_EMEDIA, 415, "unsupported_media_type" },
		{ UFO_EUPGRADE, 426, "upgrade_required" },
		{ UFO_EINTERNAL, 500, "internal" },
		{ UFO_EUNAVAIL, 503, "unavailable" },
	};
	struct ufo_error	 err;
	size_t			 i;
	char			 name[64];
	int			 good_status = 1, good_name = 1, good_back = 1;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (err_status(t[i].code) != t[i].status) {
			good_status = 0;
			printf("#   %s: status %d\n", t[i].name,
			    err_status(t[i].code));
		}
		if (strcmp(err_name(t[i].code), t[i].name) != 0) {
			good_name = 0;
			printf("#   %d: name %s\n", t[i].status,
			    err_name(t[i].code));
		}
		if (err_from_name(t[i].name) != t[i].code ||
		    err_from_status(t[i].status) != t[i].code)
			good_back = 0;
	}
	ok(good_status, "err_status: every code maps to its HTTP status");
	ok(good_name, "err_name: every code maps to its API name");
	ok(good_back, "err_from_name/err_from_status: round trip");
	is_int(err_from_name("no_such_error"), UFO_EINTERNAL,
	    "err_from_name: unknown → internal");
	is_int(err_from_name(NULL), UFO_EINTERNAL,
	    "err_from_name: NULL → internal");
	is_int(err_from_status(418), UFO_EINTERNAL,
	    "err_from_status: unknown → internal");
	is_int(err_status((enum ufo_err)999), 500,
	    "err_status: out of range → 500");
	is_str(err_name((enum ufo_err)999), "internal",
	    "err_name: out of range → internal");

	is_int(err_set(&err, UFO_ECONFLICT, "key", "mission %s exists", "UFO"),
	    -1, "err_set: returns -1");
	is_int(err.code, UFO_ECONFLICT, "err_set: code");
	is_str(err.field, "key", "err_set: field");
	is_str(err.message, "mission UFO exists", "err_set: formats");
	is_int(err_set(NULL, UFO_EINVAL, "x", "y"), -1,
	    "err_set: NULL err still returns -1");
	err_clear(&err);
	is_int(err.code, UFO_OK, "err_clear: code back to ok");
	is_str(err.field, "", "err_clear: no field");

	memset(name, 'f', sizeof name);
	name[sizeof name - 1] = '\0';
	err_set(&err, UFO_EINVAL, name, "long field");
	ok(strlen(err.field) < sizeof err.field,
	    "err_set: long field is truncated, not overflowed");
}

/* Every name table: value → name → value, and unknown names are -1. */
#define ROUND_TRIP(prefix, count, first, last) do {			\
	int i_, good_ = 1;						\
	for (i_ = 0; i_ < (count); i_++) {				\
		if (prefix##_from_name(prefix##_name(i_)) != i_)	\
			good_ = 0;					\
	}								\
	ok(good_, #prefix ": names round-trip");			\
	is_str(prefix##_name(0), (first), #prefix ": first name");	\
	is_str(prefix##_name((count) - 1), (last),			\
	    #prefix ": last name");					\
	is_int(prefix##_from_name("nonsense"), -1,			\
	    #prefix ": unknown name → -1");				\
	is_int(prefix##_from_name(NULL), -1, #prefix ": NULL → -1");	\
	is_str(prefix##_name(count), "?", #prefix ": out of range");	\
	is_str(prefix##_name(-1), "?", #prefix ": negative");		\
} while (0)

static void
test_protocol(void)
{
	static const char *const statuses[] = { "backlog", "todo",
	    "in_progress", "in_review", "done", "blocked", "cancelled" };
	int	 i, good = 1;

	ROUND_TRIP(op_status, OP_NSTATUS, "backlog", "cancelled");
	is_int(OP_NSTATUS, 7, "op_status: seven statuses");
	for (i = 0; i < OP_NSTATUS; i++) {
		if (strcmp(op_status_name(i), statuses[i]) != 0)
			good = 0;
	}
	ok(good, "op_status: board column order");
	is_int(op_status_from_name("IN_PROGRESS"), -1,
	    "op_status: names are case-sensitive");

	ROUND_TRIP(relation_kind, REL_NKINDS, "blocks", "duplicate");
	is_int(relation_kind_from_name("relates"), REL_RELATES,
	    "relation_kind: relates");
	ROUND_TRIP(pilot_kind, PILOT_NKINDS, "claude", "command");
	is_int(pilot_kind_from_name("shell"), PILOT_SHELL, "pilot_kind: shell");
	is_int(pilot_kind_from_name("goose"), PILOT_GOOSE, "pilot_kind: goose");
	ROUND_TRIP(role, ROLE_NROLES, "member", "owner");
	ok(ROLE_OWNER > ROLE_ADMIN && ROLE_ADMIN > ROLE_MEMBER,
	    "role: owner > admin > member");
	ROUND_TRIP(assignee_kind, ASSIGNEE_NKINDS, "pilot", "crew");
	ROUND_TRIP(comment_author, AUTHOR_NKINDS, "user", "system");

	is_str(UFO_API_PREFIX, "/api/v1", "protocol: API prefix");
	is_int(UFO_MAX_BODY, 1024 * 1024, "protocol: 1 MiB default body");
}

int
main(void)
{
	test_parse();
	test_parse_again();
	test_getters();
	test_check_keys();
	test_error_object();
	test_errors();
	test_protocol();
	return (done_testing());
}
