/*
 * A SQLite VFS over the default one that gathers the frames a commit
 * writes to the WAL into one write (walbuf.c).
 */
#ifndef UFO_WALBUF_H
#define UFO_WALBUF_H

#include <stdint.h>

#define WALBUF_VFS	"ufo-walbuf"

/* Registers the VFS (not as the default); 0, or -1 if SQLite refuses. */
int	 walbuf_install(void);

/* Writes SQLite asked of WAL files, and writes made of them, so far. */
struct walbuf_stats {
	uint64_t	 asked;
	uint64_t	 made;
};
void	 walbuf_stats(struct walbuf_stats *);

#endif
