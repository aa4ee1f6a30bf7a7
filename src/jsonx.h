/*
 * json-c helpers: parse a request body into an object, and read typed
 * fields, failing with a UFO_EINVAL error that names the field.
 */
#ifndef UFO_JSONX_H
#define UFO_JSONX_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

/* Field presence rules for the getters below. */
#define JSONX_OPTIONAL	0	/* absent or null: *out untouched, returns 0 */
#define JSONX_REQUIRED	1	/* absent or null is an error */

/* Parses len bytes holding one JSON object (nothing else, no trailing data). */
struct json_object	*jsonx_parse_object(const char *, size_t,
			     struct ufo_error *);
/*
 * Same, for a body that holds a secret: with a parser of its own, freed
 * after, so that none kept for the next document holds what it read.
 */
struct json_object	*jsonx_parse_secret(const char *, size_t,
			     struct ufo_error *);
/* Same, for any JSON value. */
struct json_object	*jsonx_parse(const char *, size_t, struct ufo_error *);
/* A NUL-terminated JSON text of our own, json-c's leniency: NULL if bad. */
struct json_object	*jsonx_parse_text(const char *);

/*
 * Typed getters. They return 1 when the field was present (and set *out),
 * 0 when absent (or null) and optional, -1 with *err filled otherwise.
 * Strings point into the object and live as long as it does.
 */
int	jsonx_get_string(struct json_object *, const char *, const char **,
	    int, struct ufo_error *);
int	jsonx_get_int(struct json_object *, const char *, int64_t *, int,
	    struct ufo_error *);
int	jsonx_get_bool(struct json_object *, const char *, int *, int,
	    struct ufo_error *);
/* An array whose every element is a string. */
int	jsonx_get_string_array(struct json_object *, const char *,
	    struct json_object **, int, struct ufo_error *);
/* Rejects any key not in the NULL-terminated list (typos fail loudly). */
int	jsonx_check_keys(struct json_object *, const char *const *,
	    struct ufo_error *);

/* Convenience readers for trusted objects: NULL / dflt when absent. */
const char	*jsonx_str(struct json_object *, const char *);
int64_t		 jsonx_int(struct json_object *, const char *, int64_t);

/* Compact serialisation; the string belongs to the object. */
const char	*jsonx_compact(struct json_object *);
/*
 * Overwrites with zeros what obj holds of secrets before it is freed: every
 * string in it, and its cached serialisation.
 */
void		 jsonx_wipe(struct json_object *);
/* Builds an object {"error":{"code":…,"message":…[,"field":…]}}. */
struct json_object	*jsonx_error(const struct ufo_error *);

#endif
