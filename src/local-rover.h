/*
 * ufod's own rover, so one machine needs no set-up: enrolled once into the
 * local owner's fleet (its registration kept 0600 beside the database), then
 * run as a child process and restarted with backoff whenever it exits.
 * A process-wide singleton owned by this module.
 */
#ifndef UFO_LOCAL_ROVER_H
#define UFO_LOCAL_ROVER_H

#include "error.h"

struct store;

/* Enrolls (or reuses) the local rover and starts supervising it. */
int	local_rover_start(struct store *, const char *, const char *,
	    struct ufo_error *);
/* The ufo-rover binary: $UFO_ROVER, beside ufod, the build tree, bindir. */
char	*local_rover_path(void);
/* Stops the rover (SIGTERM, then SIGKILL) and the supervisor. */
void	local_rover_stop(void);

#endif
