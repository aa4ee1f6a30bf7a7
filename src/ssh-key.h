/*
 * ufod's own SSH identity: an Ed25519 key made with libsodium on first use
 * and kept beside the database (0600) in OpenSSH's private key format, which
 * libssh2 and ssh-keygen both read.
 */
#ifndef UFO_SSH_KEY_H
#define UFO_SSH_KEY_H

#include "error.h"

struct ssh_key {
	char	*path;		/* the private key file */
	char	*line;		/* "ssh-ed25519 AAAA… ufod@host" */
};

/* Loads the key kept in dir, generating it when there is none. */
int	ssh_key_load(const char *, struct ssh_key *, struct ufo_error *);
void	ssh_key_free(struct ssh_key *);
/* The directory holding path (the database's), newly allocated. */
char	*ssh_key_dir(const char *);

#endif
