/*
 * What the store's unit tests that build bodies from a format share: mk()
 * parses printf-style JSON (a typo in a test is fatal, not a failure), and
 * err_is() checks an error's code and, when given, words of its message.
 */
#ifndef UFO_STORE_TEST_H
#define UFO_STORE_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"

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

#endif /* UFO_STORE_TEST_H */
