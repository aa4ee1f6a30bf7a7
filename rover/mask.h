/*
 * Masking credentials out of what a run reports. Every value the claim
 * handed the pilot becomes "***" wherever it appears whole in a message's
 * strings, the final message, the error and the diff. So that a value the
 * pilot's output splits over lines is caught too, each line of a
 * multi-line value is a pattern of its own, as is the value as a JSON
 * string would escape it (a raw log line of JSON). Longer patterns go
 * first, so that a value holding another is masked whole.
 */
#ifndef UFO_ROVER_MASK_H
#define UFO_ROVER_MASK_H

#include <stddef.h>

#include <json-c/json.h>

#define MASK_TEXT	"***"

struct mask {
	char	**v;		/* patterns, longest first */
	size_t	  n;
};

/* Adds a credential's value (ignored when empty). */
void	 mask_add(struct mask *, const char *);
/* A masked copy of len bytes (allocated, NUL-terminated), or NULL when
 * nothing in it is a credential. */
char	*mask_bytes(const struct mask *, const char *, size_t, size_t *);
/* Masks every string in obj in place (object keys are left alone). */
void	 mask_json(const struct mask *, struct json_object *);
/* Wipes the patterns and frees them. */
void	 mask_free(struct mask *);

#endif
