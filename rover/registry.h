/*
 * The registrations file, ~/.ufo/rovers.json: one entry per enrollment,
 * [{"id","name","server","token","units","tags","ca_file"}] (ca_file only
 * when enrolled with one). It holds tokens, so it
 * is 0600; writers hold an exclusive flock on rovers.json.lock and
 * replace the file atomically (temporary file, fsync, rename), so two
 * `ufo-rover enroll` at once both land and a reader never sees half.
 */
#ifndef UFO_ROVER_REGISTRY_H
#define UFO_ROVER_REGISTRY_H

#include <stddef.h>

#include "error.h"

struct registration {
	char	 *id;		/* rov_… */
	char	 *name;
	char	 *server;	/* http(s)://… or unix:/path */
	char	 *token;	/* ufor_… */
	char	 *ca_file;	/* PEM CAs that verify an https server */
	int	  units;
	char	**tags;		/* user tags, NULL-terminated */
};

struct registry {
	struct registration	*regs;
	size_t			 n;
};

/* ~/.ufo, and the file in it. */
char		*registry_dir(void);
char		*registry_path(void);

/* Reads the file (a missing file is an empty registry). */
int		 registry_load(const char *, struct registry *,
		     struct ufo_error *);
void		 registry_free(struct registry *);
void		 registry_reg_copy(struct registration *,
		     const struct registration *);
void		 registry_reg_free(struct registration *);

/* Adds a registration, replacing one with the same id. */
int		 registry_add(const char *, const struct registration *,
		     struct ufo_error *);
/*
 * Removes the registration named by id, unique id prefix or name (or all
 * of them when all is set); *removed gets what went (may be NULL).
 */
int		 registry_remove(const char *, const char *, int,
		     struct registry *, struct ufo_error *);
/* The index of the registration an id, unique id prefix or name names. */
int		 registry_find(const struct registry *, const char *,
		     struct ufo_error *);

#endif
