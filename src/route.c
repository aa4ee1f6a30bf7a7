#include <stdio.h>
#include <string.h>

#include "route.h"

#define ROUTE_MAX_SEGMENTS	16

/* Splits path at '/' into buf; empty segments (a trailing '/') are kept. */
static int
route_split(const char *path, char *buf, size_t len, char **segs)
{
	char	*p;
	int	 n = 0;

	if (path[0] != '/' || strlen(path) >= len)
		return (-1);
	strcpy(buf, path + 1);
	segs[n++] = buf;
	for (p = buf; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		if (n == ROUTE_MAX_SEGMENTS)
			return (-1);
		*p = '\0';
		segs[n++] = p + 1;
	}
	return (n);
}

/* Matches the segments against one pattern, capturing {params}. */
static int
route_match_pattern(const char *pattern, char **segs, int nsegs,
    const char **params)
{
	const char	*p = pattern + 1, *end;
	size_t		 len;
	int		 i, np = 0;

	for (i = 0; i < nsegs; i++) {
		if (*p == '\0')
			return (0);
		end = strchr(p, '/');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (p[0] == '{') {
			if (segs[i][0] == '\0' || np == API_MAX_PARAMS)
				return (0);
			params[np++] = segs[i];
		} else if (strlen(segs[i]) != len ||
		    strncmp(segs[i], p, len) != 0)
			return (0);
		p += len;
		if (*p == '/')
			p++;
		else if (i + 1 < nsegs)
			return (0);
	}
	return (*p == '\0');
}

int
route_find(const struct api_route *table, size_t n, const char *method,
    const char *path, struct route_match *m, struct ufo_error *err)
{
	char		*segs[ROUTE_MAX_SEGMENTS];
	const char	*params[API_MAX_PARAMS];
	size_t		 i, used = 0;
	int		 nsegs, matched = 0;

	memset(m, 0, sizeof *m);
	nsegs = route_split(path, m->buf, sizeof m->buf, segs);
	for (i = 0; nsegs > 0 && i < n; i++) {
		memset(params, 0, sizeof params);
		if (!route_match_pattern(table[i].pattern, segs, nsegs, params))
			continue;
		if (strcmp(table[i].method, method) == 0) {
			m->route = &table[i];
			memcpy(m->params, params, sizeof m->params);
			return (0);
		}
		if (used < sizeof m->allow)
			used += snprintf(m->allow + used, sizeof m->allow - used,
			    "%s%s", matched ? ", " : "", table[i].method);
		matched++;
	}
	if (matched)
		return (err_set(err, UFO_EMETHOD, "", "%s not allowed on %s "
		    "(allowed: %s)", method, path, m->allow));
	return (err_set(err, UFO_ENOTFOUND, "", "no such resource: %s %s",
	    method, path));
}
