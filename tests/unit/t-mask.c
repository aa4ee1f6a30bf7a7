/*
 * Masking credentials out of run telemetry: whole values anywhere in a
 * string, several in one, a value holding another, strings in arrays and
 * nested objects, the lines of a multi-line value on their own, the JSON
 * escaped form, bytes with a NUL (a diff), and nothing changed when no
 * value is there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonx.h"
#include "mask.h"
#include "tap.h"

/* Checks the text m makes of s (s itself when it holds no value). */
static void
is_masked(const struct mask *m, const char *s, const char *want,
    const char *name)
{
	char	*out;

	out = mask_bytes(m, s, strlen(s), NULL);
	is_str(out != NULL ? out : s, want, name);
	free(out);
}

int
main(void)
{
	struct mask		 m = { 0 };
	struct json_object	*obj;
	char			*s;
	size_t			 len;

	mask_add(&m, "sk-abcdef-123");
	mask_add(&m, "");
	mask_add(&m, NULL);
	is_int(m.n, 1, "empty values are not patterns");
	mask_add(&m, "sk-abcdef-123");
	is_int(m.n, 1, "a value added twice is one pattern");

	ok(mask_bytes(&m, "nothing here", 12, NULL) == NULL,
	    "text without a value is left alone (NULL)");
	is_masked(&m, "key=sk-abcdef-123 and sk-abcdef-123!",
	    "key=*** and ***!", "every occurrence is masked");
	is_masked(&m, "sk-abcdef-123", "***", "the value alone");

	mask_add(&m, "sk-abcdef-123-LONGER");
	is_masked(&m, "[sk-abcdef-123-LONGER]", "[***]",
	    "a value holding another is masked whole");

	mask_add(&m, "line-one-AAAA\nline-two-BBBB\nxy");
	is_masked(&m, "got line-two-BBBB here", "got *** here",
	    "a line of a multi-line value alone");
	is_masked(&m, "xy and xyz", "xy and xyz",
	    "but not its lines too short to be safe");

	mask_add(&m, "quo\"te\\d-secret");
	is_masked(&m, "{\"k\":\"quo\\\"te\\\\d-secret\"}", "{\"k\":\"***\"}",
	    "the value as JSON escapes it");

	s = mask_bytes(&m, "a\0sk-abcdef-123\0b", 17, &len);
	ok(s != NULL && len == 7 && memcmp(s, "a\0***\0b", 7) == 0,
	    "bytes with NULs, such as a diff");
	free(s);

	obj = json_tokener_parse("{\"text\":\"use sk-abcdef-123\","
	    "\"input\":{\"cmd\":[\"curl\",\"-H\",\"Bearer sk-abcdef-123\"]},"
	    "\"n\":4}");
	mask_json(&m, obj);
	is_str(jsonx_compact(obj), "{\"text\":\"use ***\",\"input\":{\"cmd\":"
	    "[\"curl\",\"-H\",\"Bearer ***\"]},\"n\":4}",
	    "strings in objects and arrays, nested");
	json_object_put(obj);

	mask_free(&m);
	is_int(m.n, 0, "mask_free empties it");
	obj = json_tokener_parse("\"sk-abcdef-123\"");
	mask_json(&m, obj);
	is_str(json_object_get_string(obj), "sk-abcdef-123",
	    "an empty mask changes nothing");
	json_object_put(obj);
	return (done_testing());
}
