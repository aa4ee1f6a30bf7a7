/*
 * Work dirs. Each rover has an outpost, ~/.ufo/rovers/<rover id>, and
 * each operation a work dir in it, operations/<KEY-123-slug>: a git
 * worktree of the mission's source on branch ufo/KEY-123 (the source,
 * local path or URL, is cloned once into cache/<hash> and fetched
 * later), or a fresh repository with an empty first commit when the
 * mission has none. Later runs of the operation reuse it, so sessions
 * resume where they were. Names are sanitised and every path is checked
 * to resolve inside the outpost.
 */
#ifndef UFO_ROVER_WORKDIR_H
#define UFO_ROVER_WORKDIR_H

#include <stddef.h>

#include "error.h"

/* Longest name a sanitised slug keeps. */
#define WORKDIR_MAX_SLUG	64

struct workdir_spec {
	const char	*outpost;	/* ~/.ufo/rovers/<rover id> */
	const char	*slug;		/* "UFO-12-fix-the-thing" */
	const char	*code;		/* "UFO-12" */
	const char	*repo;		/* URL or local path; NULL: none */
	const char	*branch;	/* NULL: the source's default */
};

struct workdir {
	char	*path;
	char	*branch;	/* ufo/KEY-123 */
	char	*start;		/* HEAD when the run started */
	int	 reused;
};

/*
 * A file name from untrusted text: [A-Za-z0-9._-] kept, runs of anything
 * else one "-", no leading "." or "-", at most WORKDIR_MAX_SLUG bytes;
 * fallback (sanitised too) when nothing is left, then "operation".
 */
char	*workdir_slug(const char *, const char *);
/* ~/.ufo/rovers/<sanitised rover id>, created 0700. */
char	*workdir_outpost(const char *, struct ufo_error *);
/* Whether path resolves inside dir (both must exist). */
int	 workdir_inside(const char *, const char *);

/* Makes or finds the work dir and records its starting commit. */
int	 workdir_prepare(const struct workdir_spec *, struct workdir *,
	     struct ufo_error *);
/*
 * Everything changed since the starting commit, new files included,
 * binary-safe: `git add -N .` then `git diff --binary START`.
 */
int	 workdir_diff(const struct workdir *, char **, size_t *,
	     struct ufo_error *);
void	 workdir_free(struct workdir *);

#endif
