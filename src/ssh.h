/*
 * The SSH manager: one thread per rover host, never an HTTP thread. Each
 * connects with libssh2 (connect and handshake timeouts), checks the host
 * key, authenticates, installs ufo-rover by SFTP when missing or different,
 * forwards a port on the host's loopback to ufod's socket, starts the rover
 * detached, then keeps the connection with keepalives and reconnects with
 * capped exponential backoff and jitter, on the same remote port.
 */
#ifndef UFO_SSH_H
#define UFO_SSH_H

#include "error.h"

struct conf;
struct store;

/* Starts the manager and resumes every host kept in the store. */
int	ssh_start(struct store *, const struct conf *, struct ufo_error *);
/* Hands a new host (an ssh_hosts id) to the manager. */
void	ssh_host_add(const char *);
/*
 * Gives up a host (an ssh_hosts id): its thread cleans the host if it can
 * and deletes it. 0 when no thread runs for it (the caller deletes it).
 */
int	ssh_host_remove(const char *);
/* The rover was revoked: stop it and remove its files from its host. */
void	ssh_rover_removed(const char *);
/* Closes every connection; remote rovers keep running. */
void	ssh_stop(void);

#endif
