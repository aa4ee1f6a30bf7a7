/*
 * Recoverable errors: a code that maps to an HTTP status and an API error
 * name, the field at fault (for validation) and a message naming what was
 * wrong. Functions that can fail take a struct ufo_error * and return -1.
 */
#ifndef UFO_ERROR_H
#define UFO_ERROR_H

#define UFO_ERRORS(X)						\
	X(UFO_OK,		200, "ok")				\
	X(UFO_EINVAL,		400, "invalid")				\
	X(UFO_EUNAUTH,		401, "unauthorized")			\
	X(UFO_EFORBIDDEN,	403, "forbidden")			\
	X(UFO_ENOTFOUND,	404, "not_found")			\
	X(UFO_EMETHOD,		405, "method_not_allowed")		\
	X(UFO_ECONFLICT,	409, "conflict")			\
	X(UFO_ETOOLARGE,	413, "too_large")			\
	X(UFO_EMEDIA,		415, "unsupported_media_type")		\
	X(UFO_EUPGRADE,		426, "upgrade_required")		\
	X(UFO_ETOOMANY,		429, "rate_limited")			\
	X(UFO_EINTERNAL,	500, "internal")			\
	X(UFO_EUNAVAIL,		503, "unavailable")

enum ufo_err {
#define X(e, status, name) e,
	UFO_ERRORS(X)
#undef X
};

struct ufo_error {
	enum ufo_err	 code;
	char		 field[64];
	char		 message[512];
};

/* Fills *err (when not NULL) and returns -1, so callers can return it. */
int		 err_set(struct ufo_error *, enum ufo_err, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void		 err_clear(struct ufo_error *);
int		 err_status(enum ufo_err);
const char	*err_name(enum ufo_err);
/* The code for an API error name or HTTP status; UFO_EINTERNAL if unknown. */
enum ufo_err	 err_from_name(const char *);
enum ufo_err	 err_from_status(int);

#endif
