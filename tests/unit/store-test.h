/*
 * What the store's unit tests that build bodies from a format share: mk()
 * parses printf-style JSON (a typo in a test is fatal, not a failure),
 * err_is() checks an error's code and, when given, words of its message,
 * and claim_run() claims as a rover does and reads the answer it would get.
 */
#ifndef UFO_STORE_TEST_H
#define UFO_STORE_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "store.h"

static struct json_object *
mk(const char *fmt, ...)
{
	struct json_object	*o;
	va_list			 ap;
	char			*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		exit(2);
	va_end(ap);
	if ((o = json_tokener_parse(text)) == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", text);
		exit(2);
	}
	free(text);
	return (o);
}

static int
err_is(const struct ufo_error *err, enum ufo_err code, const char *text)
{
	if (err->code != code || (text != NULL &&
	    strstr(err->message, text) == NULL)) {
		printf("#   error %s: %s\n", err_name(err->code),
		    err->message);
		return (0);
	}
	return (1);
}

/*
 * The run a claim hands out, parsed from the answer's text: NULL when
 * nothing was claimed, on an error (in *err), or when the text is not
 * the JSON {"run":…} and its newline.
 */
static struct json_object *
claim_run(struct store *s, const struct store_rover *rv,
    struct json_object *in, struct ufo_error *err)
{
	struct store_claim	 c;
	struct json_object	*o, *run = NULL;

	err_clear(err);
	if (store_rover_claim(s, rv, in, &c, err) != 0 || c.text == NULL)
		return (NULL);
	if (c.len == 0 || strlen(c.text) != c.len || c.text[c.len - 1] != '\n')
		printf("# a claim answer without its newline: %s\n", c.text);
	else if ((o = json_tokener_parse(c.text)) == NULL)
		printf("# a claim answer that is not JSON: %s\n", c.text);
	else {
		if (json_object_object_get_ex(o, "run", &run))
			json_object_get(run);
		json_object_put(o);
	}
	store_claim_clear(&c);
	return (run);
}

#endif /* UFO_STORE_TEST_H */
