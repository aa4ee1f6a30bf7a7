/*
 * The HTTP server: libmicrohttpd daemons on the Unix socket and on an
 * optional TCP address, one request pipeline for both (body limits,
 * content type, routing, authentication, JSON errors), and the parking of
 * long-polls and event streams.
 */
#ifndef UFO_SERVER_H
#define UFO_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "api.h"
#include "error.h"
#include "store.h"

struct server;
struct tls_pair;

/* A server over the store; database is reported by GET /server. */
struct server	*server_new(struct store *, const char *, int);
/* Binds the Unix socket (its directory made 0700) and starts serving it. */
int		 server_listen_unix(struct server *, const char *,
		     struct ufo_error *);
/*
 * Serves TCP on "host:port", HTTPS when the pair is not NULL; NULL closes
 * the TCP listener. The same address and certificate again changes
 * nothing; plain HTTP on an address that is not loopback is logged as a
 * warning.
 */
int		 server_listen_tcp(struct server *, const char *,
		     const struct tls_pair *, struct ufo_error *);
/*
 * Logs what the TCP listener speaks: a warning for plain HTTP on an
 * address that is not loopback (again when the log moves to syslog).
 */
void		 server_log_tcp(struct server *);
void		 server_set_max_body(struct server *, size_t);
/* Stops accepting, wakes parked requests, waits for those in flight. */
void		 server_drain(struct server *, int);
/* Stops the daemons and removes the socket. */
void		 server_free(struct server *);
/* GET /server: pid, version, paths, listeners. */
struct json_object *server_info(struct server *);
/*
 * Logins (and other password checks of public routes) per client address:
 * allowed answers UFO_ETOOMANY, with a Retry-After, once the address has
 * failed too often in the last minute; result records how one went.
 */
int		 server_login_allowed(struct api_request *, struct ufo_error *);
void		 server_login_result(struct api_request *, int);
/* The database file the server was made with. */
const char	*server_database(struct server *);

/* Only the owning uid may use the socket: checks a peer with SO_PEERCRED. */
int		 server_peer_allowed(int, uid_t, struct ufo_error *);

/*
 * Parks a request on a wait kind and key (see waiter.h) until woken past
 * generation seen or deadline (waiter_now) passes; the handler is then
 * called again with req->woken set. Returns API_PARKED, or 0 when it must
 * not park (req->woken says why).
 */
int		 server_park(struct api_request *, int, const char *, int64_t,
		     uint64_t);

#endif
