/* Routing of the API table, and the Unix-socket peer check. */
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "route.h"
#include "server.h"
#include "tap.h"

static void
test_find(void)
{
	struct route_match	 m;
	struct ufo_error	 err;

	ok(route_find(api_routes, api_nroutes, "GET", "/health", &m,
	    &err) == 0, "GET /health routes");
	ok(m.route->handler == api_health, "to api_health");
	ok(m.route->flags & API_PUBLIC, "health is public");

	ok(route_find(api_routes, api_nroutes, "POST",
	    "/operations/UFO-12/comments", &m, &err) == 0,
	    "POST comments routes");
	ok(m.route->handler == api_comments_create, "to api_comments_create");
	is_str(m.params[0], "UFO-12", "captures the operation");

	ok(route_find(api_routes, api_nroutes, "DELETE",
	    "/operations/op_x/relations/rel_y", &m, &err) == 0,
	    "DELETE relation routes");
	is_str(m.params[0], "op_x", "first parameter");
	is_str(m.params[1], "rel_y", "second parameter");

	ok(route_find(api_routes, api_nroutes, "GET", "/operations", &m,
	    &err) == 0 && m.route->handler == api_ops_list, "list routes");
	ok(route_find(api_routes, api_nroutes, "PATCH", "/operations/UFO-1",
	    &m, &err) == 0 && m.route->handler == api_ops_update,
	    "PATCH operation routes");
}

static void
test_errors(void)
{
	struct route_match	 m;
	struct ufo_error	 err;

	ok(route_find(api_routes, api_nroutes, "GET", "/nothing", &m,
	    &err) == -1, "unknown path fails");
	is_int(err.code, UFO_ENOTFOUND, "with not_found");
	ok(strstr(err.message, "/nothing") != NULL, "naming the path");

	ok(route_find(api_routes, api_nroutes, "DELETE", "/operations", &m,
	    &err) == -1, "wrong method fails");
	is_int(err.code, UFO_EMETHOD, "with method_not_allowed");
	is_str(m.allow, "GET, POST", "Allow lists the path's methods");

	ok(route_find(api_routes, api_nroutes, "GET", "/operations/", &m,
	    &err) == -1, "an empty parameter does not match");
	ok(route_find(api_routes, api_nroutes, "GET", "/operations/a/b/c/d",
	    &m, &err) == -1 && err.code == UFO_ENOTFOUND,
	    "extra segments do not match");
	ok(route_find(api_routes, api_nroutes, "GET", "/healthz", &m,
	    &err) == -1, "a prefix of a segment does not match");
	ok(route_find(api_routes, api_nroutes, "GET", "health", &m,
	    &err) == -1, "a path without a slash fails");
}

/* Every pattern is well formed and no two routes share method and path. */
static void
test_table(void)
{
	size_t	 i, j;
	int	 dup = 0, bad = 0;

	for (i = 0; i < api_nroutes; i++) {
		if (api_routes[i].pattern[0] != '/' ||
		    api_routes[i].handler == NULL)
			bad++;
		for (j = i + 1; j < api_nroutes; j++) {
			if (strcmp(api_routes[i].method,
			    api_routes[j].method) == 0 &&
			    strcmp(api_routes[i].pattern,
			    api_routes[j].pattern) == 0)
				dup++;
		}
	}
	is_int(bad, 0, "every route has a pattern and a handler");
	is_int(dup, 0, "no route is listed twice");
}

/* A process of uid 65534 connects to a socket of root's. */
static void
test_peer_other_uid(void)
{
	struct sockaddr_un	 sun;
	struct ufo_error	 err;
	char			 dir[] = "/tmp/ufo-t-route.XXXXXX";
	int			 lfd, cfd, status;
	pid_t			 pid;

	if (mkdtemp(dir) == NULL || chmod(dir, 0777) == -1) {
		ok(0, "temporary directory");
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/s", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(sun.sun_path, 0777) == -1 || listen(lfd, 1) == -1) {
		ok(0, "listening socket");
		return;
	}
	if ((pid = fork()) == 0) {
		int	 fd;

		if (setuid(65534) == -1)
			_exit(1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
			_exit(2);
		pause();
		_exit(0);
	}
	cfd = accept(lfd, NULL, NULL);
	ok(cfd != -1, "uid 65534 connected");
	ok(server_peer_allowed(cfd, 0, &err) == -1,
	    "uid 65534 is refused by root's ufod");
	is_int(err.code, UFO_EFORBIDDEN, "with forbidden");
	ok(strstr(err.message, "65534") != NULL, "naming the uid");
	ok(server_peer_allowed(cfd, 65534, &err) == 0,
	    "and allowed where it is the owner");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	close(cfd);
	close(lfd);
	unlink(sun.sun_path);
	rmdir(dir);
}

static void
test_peer(void)
{
	struct ufo_error	 err;
	int			 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		ok(0, "socketpair");
		return;
	}
	ok(server_peer_allowed(sv[0], geteuid(), &err) == 0,
	    "the owner's uid is allowed");
	ok(server_peer_allowed(sv[0], geteuid() + 1, &err) == -1,
	    "another uid is refused");
	is_int(err.code, UFO_EFORBIDDEN, "with forbidden");
	close(sv[0]);
	close(sv[1]);

	/* A real second user, where we may become one. */
	if (geteuid() != 0) {
		printf("ok %d - # SKIP not root: cannot connect as another "
		    "uid\n", ++tap_count);
		return;
	}
	test_peer_other_uid();
}

int
main(void)
{
	test_find();
	test_errors();
	test_table();
	test_peer();
	return (done_testing());
}
