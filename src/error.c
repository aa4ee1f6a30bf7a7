#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const struct {
	enum ufo_err	 code;
	int		 status;
	const char	*name;
} err_table[] = {
#define X(e, status, name) { e, status, name },
	UFO_ERRORS(X)
#undef X
};
#define NERRORS (sizeof err_table / sizeof err_table[0])

int
err_set(struct ufo_error *err, enum ufo_err code, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return (-1);
	err->code = code;
	snprintf(err->field, sizeof err->field, "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return (-1);
}

void
err_clear(struct ufo_error *err)
{
	memset(err, 0, sizeof *err);
}

int
err_status(enum ufo_err code)
{
	if ((size_t)code >= NERRORS)
		return (500);
	return (err_table[code].status);
}

const char *
err_name(enum ufo_err code)
{
	if ((size_t)code >= NERRORS)
		return ("internal");
	return (err_table[code].name);
}

enum ufo_err
err_from_name(const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < NERRORS; i++) {
		if (strcmp(err_table[i].name, name) == 0)
			return (err_table[i].code);
	}
	return (UFO_EINTERNAL);
}

enum ufo_err
err_from_status(int status)
{
	size_t	 i;

	for (i = 0; i < NERRORS; i++) {
		if (err_table[i].status == status)
			return (err_table[i].code);
	}
	return (UFO_EINTERNAL);
}
