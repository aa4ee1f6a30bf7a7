/*
 * Host key checking the way OpenSSH does it: the key a host offers must be
 * in ~/.ssh/known_hosts or ufod's own known_hosts. An unknown host is
 * refused, showing its key type and SHA256 fingerprint, unless the caller
 * accepts new keys (then it is written to ufod's file); a changed key is
 * always refused.
 */
#ifndef UFO_SSH_HOSTKEY_H
#define UFO_SSH_HOSTKEY_H

#include <libssh2.h>

#include "error.h"

/*
 * Checks the key of the session's host (name, port) against the user's
 * known_hosts and the file at path; accept_new adds an unknown one to path.
 */
int	ssh_hostkey_check(LIBSSH2_SESSION *, const char *, int, const char *,
	    int, struct ufo_error *);
/* "SHA256:…" of the session's host key, newly allocated, NULL if none. */
char	*ssh_hostkey_fingerprint(LIBSSH2_SESSION *);

#endif
