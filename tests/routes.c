/*
 * Prints ufod's route table, one route a line: "METHOD PATTERN FLAGS",
 * FLAGS the names of the route's flags joined by ',' ("-" for none). The
 * authorization matrix (tests/t-authz.sh) walks it, so that a new route
 * is tested as soon as it is in the table.
 */
#include <stdio.h>

#include "api.h"

static const struct {
	int		 flag;
	const char	*name;
} routes_flags[] = {
	{ API_PUBLIC, "public" },
	{ API_ROVER, "rover" },
	{ API_RAW, "raw" },
	{ API_ADMIN, "admin" },
	{ API_OWNER, "owner" },
	{ API_SERVER, "server" },
	{ API_SECRET, "secret" },
	{ API_INLINE, "inline" },
};

int
main(void)
{
	size_t	 i, j;
	int	 n, known = 0;

	for (j = 0; j < sizeof routes_flags / sizeof routes_flags[0]; j++)
		known |= routes_flags[j].flag;
	for (i = 0; i < api_nroutes; i++) {
		printf("%s %s ", api_routes[i].method, api_routes[i].pattern);
		n = 0;
		for (j = 0; j < sizeof routes_flags / sizeof routes_flags[0];
		    j++) {
			if (api_routes[i].flags & routes_flags[j].flag)
				printf("%s%s", n++ ? "," : "",
				    routes_flags[j].name);
		}
		/* A flag this program does not know fails the matrix. */
		if (api_routes[i].flags & ~known)
			printf("%sunknown", n++ ? "," : "");
		printf("%s\n", n ? "" : "-");
	}
	return (ferror(stdout) ? 1 : 0);
}
