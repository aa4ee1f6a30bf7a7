/*
 * ufod's own SSH identity: an Ed25519 key made with libsodium on first use
 * and kept beside the database (0600) in OpenSSH's private key format, which
 * libssh2 and ssh-keygen both read.
 */
#ifndef UFO_SSH_KEY_H
#define UFO_SSH_KEY_H

#include <stddef.h>

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

/*
 * The parts, for the host key checks and the tests. Keys are libsodium's
 * (crypto_sign_PUBLICKEYBYTES and crypto_sign_SECRETKEYBYTES).
 */
/* The private key file's text for pk, sk and comment, newly allocated. */
char	*ssh_key_encode(const unsigned char *, const unsigned char *,
	    const char *);
/* The public key of an unencrypted OpenSSH Ed25519 key file's text. */
int	 ssh_key_decode(const char *, unsigned char *);
/* "ssh-ed25519 BASE64 comment" for pk, newly allocated. */
char	*ssh_key_authorized_line(const unsigned char *, const char *);
/* "SHA256:…" of a public key blob as ssh-keygen -l prints it. */
char	*ssh_key_fingerprint(const unsigned char *, size_t);

#endif
