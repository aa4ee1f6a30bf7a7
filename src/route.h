/* Matching a request's method and path against the API's route table. */
#ifndef UFO_ROUTE_H
#define UFO_ROUTE_H

#include <stddef.h>

#include "api.h"
#include "error.h"

struct route_match {
	const struct api_route	*route;
	const char		*params[API_MAX_PARAMS];
	char			 allow[64];	/* methods of the path, for 405 */
	char			 buf[1024];	/* holds the params */
};

/*
 * Finds the route for method and path (below the API prefix). Fails with
 * UFO_ENOTFOUND when no pattern matches the path and UFO_EMETHOD when some
 * do but not for this method (m->allow lists theirs).
 */
int	route_find(const struct api_route *, size_t, const char *,
	    const char *, struct route_match *, struct ufo_error *);

#endif
