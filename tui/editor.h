/*
 * Text written in $VISUAL or $EDITOR (vi when neither is set), for
 * operation bodies and comments, and how such text splits into a title
 * and a body.
 */
#ifndef UFO_EDITOR_H
#define UFO_EDITOR_H

#include "error.h"

/*
 * A line like git's: it and everything after it is ignored, so help text
 * can follow text whose own lines start with '#' (Markdown headings).
 */
#define EDITOR_SCISSORS \
	"# ------------------------ >8 ------------------------"

/* Edits text in a temporary file; *out is what the user saved. */
int	 editor_run(const char *, char **, struct ufo_error *);
/*
 * Drops the scissors line and all after it and, when comments is set,
 * every line starting with '#'.
 */
char	*editor_strip(const char *, int);
/*
 * First non-blank line (trimmed) is the title; the rest, without leading
 * blank lines and trailing white space, is the body.
 */
void	 editor_split(const char *, char **, char **);

#endif
