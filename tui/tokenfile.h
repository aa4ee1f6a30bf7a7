/*
 * The tokens `ufo login` and `ufo join` keep, one line per server:
 * "URL TOKEN", in ~/.config/ufo/tokens (XDG_CONFIG_HOME honoured), mode
 * 0600, rewritten whole through a temporary file and a rename so that a
 * reader never sees half of it.
 */
#ifndef UFO_TOKENFILE_H
#define UFO_TOKENFILE_H

#include "error.h"

/* The token kept for url (allocated), NULL when none or unreadable. */
char	*tokenfile_get(const char *);
/* Keeps token for url, replacing the one it had. */
int	 tokenfile_put(const char *, const char *, struct ufo_error *);

#endif
