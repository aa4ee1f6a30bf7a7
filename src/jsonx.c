#include <pthread.h>
#include <string.h>

#include "jsonx.h"

/*
 * Each thread keeps one parser: json-c's is over a kilobyte, and malloc
 * serves a block that big by first merging every small block freed since,
 * which a request or a database row frees by the hundred.
 */
static pthread_key_t	 jsonx_tok_key;
static pthread_once_t	 jsonx_tok_once = PTHREAD_ONCE_INIT;
static int		 jsonx_tok_keyed;

static void
jsonx_tok_free(void *tok)
{
	json_tokener_free(tok);
}

static void
jsonx_tok_init(void)
{
	jsonx_tok_keyed = pthread_key_create(&jsonx_tok_key,
	    jsonx_tok_free) == 0;
}

/*
 * The thread's parser, reset, with flags; *own when the caller frees it
 * (always when fresh: a secret's parser is not kept holding what it read).
 */
static struct json_tokener *
jsonx_tokener(int flags, int fresh, int *own)
{
	struct json_tokener	*tok = NULL;

	*own = 0;
	if (fresh) {
		if ((tok = json_tokener_new()) != NULL)
			*own = 1;
	} else if (pthread_once(&jsonx_tok_once, jsonx_tok_init) == 0 &&
	    jsonx_tok_keyed &&
	    (tok = pthread_getspecific(jsonx_tok_key)) != NULL)
		json_tokener_reset(tok);
	else if ((tok = json_tokener_new()) != NULL && (!jsonx_tok_keyed ||
	    pthread_setspecific(jsonx_tok_key, tok) != 0))
		*own = 1;
	if (tok != NULL)
		json_tokener_set_flags(tok, flags);
	return (tok);
}

static void
jsonx_tokener_done(struct json_tokener *tok, int own)
{
	if (own)
		json_tokener_free(tok);
	else
		json_tokener_reset(tok);
}

struct json_object *
jsonx_parse_text(const char *text)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	int			 own;

	if ((tok = jsonx_tokener(0, 0, &own)) == NULL)
		return (NULL);
	/* -1: to its NUL, which ends a number or a literal at the end. */
	obj = json_tokener_parse_ex(tok, text, -1);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	jsonx_tokener_done(tok, own);
	return (obj);
}

static struct json_object *
jsonx_parse_in(const char *buf, size_t len, int fresh, struct ufo_error *err)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;
	size_t			 off;
	int			 own;

	if (len == 0) {
		err_set(err, UFO_EINVAL, "", "request body is empty: "
		    "expected a JSON object");
		return (NULL);
	}
	if (len > INT32_MAX) {
		err_set(err, UFO_ETOOLARGE, "", "JSON document too large");
		return (NULL);
	}
	if ((tok = jsonx_tokener(JSON_TOKENER_STRICT, fresh, &own)) == NULL) {
		err_set(err, UFO_EINTERNAL, "", "out of memory");
		return (NULL);
	}
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		err_set(err, UFO_EINVAL, "", "malformed JSON: document ends "
		    "early at byte %zu", len);
		json_object_put(obj);
		obj = NULL;
	} else if (jerr != json_tokener_success) {
		err_set(err, UFO_EINVAL, "", "malformed JSON at byte %zu: %s",
		    off, json_tokener_error_desc(jerr));
		obj = NULL;
	} else {
		while (off < len && strchr(" \t\r\n", buf[off]) != NULL)
			off++;
		if (off != len) {
			err_set(err, UFO_EINVAL, "", "malformed JSON: trailing "
			    "data at byte %zu", off);
			json_object_put(obj);
			obj = NULL;
		}
	}
	jsonx_tokener_done(tok, own);
	return (obj);
}

struct json_object *
jsonx_parse(const char *buf, size_t len, struct ufo_error *err)
{
	return (jsonx_parse_in(buf, len, 0, err));
}

static struct json_object *
jsonx_parse_object_in(const char *buf, size_t len, int fresh,
    struct ufo_error *err)
{
	struct json_object	*obj;

	if ((obj = jsonx_parse_in(buf, len, fresh, err)) == NULL)
		return (NULL);
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		err_set(err, UFO_EINVAL, "", "request body must be a JSON "
		    "object");
		return (NULL);
	}
	return (obj);
}

struct json_object *
jsonx_parse_object(const char *buf, size_t len, struct ufo_error *err)
{
	return (jsonx_parse_object_in(buf, len, 0, err));
}

struct json_object *
jsonx_parse_secret(const char *buf, size_t len, struct ufo_error *err)
{
	return (jsonx_parse_object_in(buf, len, 1, err));
}

static int
jsonx_field(struct json_object *obj, const char *key, struct json_object **v,
    int required, struct ufo_error *err)
{
	if (obj == NULL || !json_object_object_get_ex(obj, key, v) ||
	    json_object_is_type(*v, json_type_null)) {
		*v = NULL;
		if (required == JSONX_REQUIRED)
			return (err_set(err, UFO_EINVAL, key, "%s: required",
			    key));
		return (0);
	}
	return (1);
}

static const char *
jsonx_type_name(struct json_object *v)
{
	return (json_type_to_name(json_object_get_type(v)));
}

int
jsonx_get_string(struct json_object *obj, const char *key, const char **out,
    int required, struct ufo_error *err)
{
	struct json_object	*v;
	int			 r;

	if ((r = jsonx_field(obj, key, &v, required, err)) != 1)
		return (r);
	if (!json_object_is_type(v, json_type_string))
		return (err_set(err, UFO_EINVAL, key, "%s: expected a string, "
		    "not %s", key, jsonx_type_name(v)));
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return (err_set(err, UFO_EINVAL, key, "%s: contains a NUL "
		    "byte", key));
	return (1);
}

int
jsonx_get_int(struct json_object *obj, const char *key, int64_t *out,
    int required, struct ufo_error *err)
{
	struct json_object	*v;
	int			 r;

	if ((r = jsonx_field(obj, key, &v, required, err)) != 1)
		return (r);
	if (!json_object_is_type(v, json_type_int))
		return (err_set(err, UFO_EINVAL, key, "%s: expected an "
		    "integer, not %s", key, jsonx_type_name(v)));
	*out = json_object_get_int64(v);
	return (1);
}

int
jsonx_get_bool(struct json_object *obj, const char *key, int *out,
    int required, struct ufo_error *err)
{
	struct json_object	*v;
	int			 r;

	if ((r = jsonx_field(obj, key, &v, required, err)) != 1)
		return (r);
	if (!json_object_is_type(v, json_type_boolean))
		return (err_set(err, UFO_EINVAL, key, "%s: expected true or "
		    "false, not %s", key, jsonx_type_name(v)));
	*out = json_object_get_boolean(v);
	return (1);
}

int
jsonx_get_string_array(struct json_object *obj, const char *key,
    struct json_object **out, int required, struct ufo_error *err)
{
	struct json_object	*v, *e;
	size_t			 i, n;
	int			 r;

	if ((r = jsonx_field(obj, key, &v, required, err)) != 1)
		return (r);
	if (!json_object_is_type(v, json_type_array))
		return (err_set(err, UFO_EINVAL, key, "%s: expected an array "
		    "of strings, not %s", key, jsonx_type_name(v)));
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string))
			return (err_set(err, UFO_EINVAL, key, "%s[%zu]: "
			    "expected a string, not %s", key, i,
			    jsonx_type_name(e)));
	}
	*out = v;
	return (1);
}

int
jsonx_check_keys(struct json_object *obj, const char *const *allowed,
    struct ufo_error *err)
{
	const char *const	*a;

	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (a = allowed; *a != NULL; a++) {
			if (strcmp(*a, key) == 0)
				break;
		}
		if (*a == NULL)
			return (err_set(err, UFO_EINVAL, key, "%s: unknown "
			    "field", key));
	}
	return (0);
}

const char *
jsonx_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

int64_t
jsonx_int(struct json_object *obj, const char *key, int64_t dflt)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (dflt);
	return (json_object_get_int64(v));
}

const char *
jsonx_compact(struct json_object *obj)
{
	return (json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

struct json_object *
jsonx_error(const struct ufo_error *err)
{
	struct json_object	*top, *e;

	top = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(e, "code",
	    json_object_new_string(err_name(err->code)));
	json_object_object_add(e, "message",
	    json_object_new_string(err->message));
	if (err->field[0] != '\0')
		json_object_object_add(e, "field",
		    json_object_new_string(err->field));
	json_object_object_add(top, "error", e);
	return (top);
}

static void
jsonx_wipe_strings(struct json_object *obj)
{
	size_t	 i, n;

	switch (json_object_get_type(obj)) {
	case json_type_string:
		/* json-c hands out its own buffer: wiped in place. */
		explicit_bzero((char *)json_object_get_string(obj),
		    (size_t)json_object_get_string_len(obj));
		break;
	case json_type_object:
		json_object_object_foreach(obj, key, val) {
			(void)key;
			jsonx_wipe_strings(val);
		}
		break;
	case json_type_array:
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			jsonx_wipe_strings(json_object_array_get_idx(obj, i));
		break;
	default:
		break;
	}
}

void
jsonx_wipe(struct json_object *obj)
{
	const char	*s;

	if (obj == NULL)
		return;
	/* Serialising again writes over the cached text, then it is wiped. */
	s = jsonx_compact(obj);
	explicit_bzero((char *)s, strlen(s));
	jsonx_wipe_strings(obj);
}
