/*
 * Child processes: pilots and git, always fork/exec of an argv (never a
 * shell string), stdin /dev/null, in a directory, with an environment,
 * optionally in a process group of their own so the whole tree can be
 * signalled. Safe to use from several threads: every descriptor is
 * close-on-exec and the child only makes async-signal-safe calls.
 */
#ifndef UFO_ROVER_PROC_H
#define UFO_ROVER_PROC_H

#include <sys/types.h>

#include <stddef.h>

#include "error.h"

struct proc_spec {
	const char		*path;	/* executable, with a "/" */
	char *const		*argv;
	char *const		*envp;	/* NULL: the rover's own */
	const char		*dir;	/* NULL: the rover's cwd */
	int			 pgrp;	/* own process group */
};

struct proc_result {
	int	 status;	/* wait status */
	char	*out;		/* stdout (NUL added; binary safe with len) */
	size_t	 outlen;
	int	 truncated;	/* stdout was longer than asked */
	char	*err;		/* the end of stderr, NUL-terminated */
	int	 timed_out;
};

/*
 * Starts a child; *outfd and *errfd (when not NULL) get the read ends of
 * its stdout and stderr (non-blocking, close-on-exec), else they go to
 * /dev/null. Fails, naming the program, when it cannot be executed.
 */
int	 proc_spawn(const struct proc_spec *, pid_t *, int *, int *,
	     struct ufo_error *);
/*
 * Runs a child to the end, keeping up to outmax bytes of stdout and the
 * end of stderr; kills it (its group) after timeout seconds (0: none).
 * The result is to be freed whatever the answer.
 */
int	 proc_run(const struct proc_spec *, int, size_t,
	     struct proc_result *, struct ufo_error *);
void	 proc_result_free(struct proc_result *);
/* The path of name searched in path (a PATH value); NULL if none. */
char	*proc_which(const char *, const char *);
/* Describes a wait status: "exit status 2", "killed by signal 9". */
char	*proc_status(int);
/* Milliseconds of CLOCK_MONOTONIC. */
long long proc_now(void);

#endif
