/*
 * The certificate and key of ufod's TCP listener (ufo.conf tls_cert and
 * tls_key): read and checked with GnuTLS before libmicrohttpd is given
 * them, so that a bad file stops ufod with a message naming it instead of
 * a listener that fails every handshake.
 */
#ifndef UFO_TLS_H
#define UFO_TLS_H

#include "error.h"

struct tls_pair {
	char	*cert_file;
	char	*key_file;
	char	*cert;		/* PEM text, NUL-terminated */
	char	*key;
};

/*
 * Reads cert_file and key_file into a new pair: both must be set (or
 * neither, which gives *out NULL), readable, PEM, and the key must be the
 * certificate's. Warns of an expired certificate and of a key file
 * others may read.
 */
int		 tls_load(const char *, const char *, struct tls_pair **,
		     struct ufo_error *);
struct tls_pair	*tls_copy(const struct tls_pair *);
void		 tls_free(struct tls_pair *);
/* Whether two pairs (either may be NULL) serve the same certificate. */
int		 tls_same(const struct tls_pair *, const struct tls_pair *);

#endif
