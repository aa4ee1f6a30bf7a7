/*
 * The target of `ufo rover add`: ssh://[USER@]HOST[:PORT][/], HOST a name,
 * an IPv4 address or an IPv6 address in brackets ([::1]:2222), as ssh(1)
 * takes them. Whatever else the text holds is refused, saying what.
 */
#ifndef UFO_SSH_URL_H
#define UFO_SSH_URL_H

#include <stddef.h>

struct ssh_url {
	char	*user;		/* NULL when not given */
	char	*host;		/* without brackets */
	int	 port;		/* 22 when not given */
};

/* Parses text into *url; -1 with the reason in why (size bytes). */
int	ssh_url_parse(const char *, struct ssh_url *, char *, size_t);
void	ssh_url_free(struct ssh_url *);

#endif
