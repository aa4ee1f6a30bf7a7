/*
 * One run, in a thread of its own: start, work dir, the pilot in its own
 * process group with stdin /dev/null, its output through the kind's
 * parser into batches of messages (per-run sequence numbers, flushed at
 * least every 250 ms, retried until accepted), the wall-clock timeout,
 * cancel (SIGTERM to the group, SIGKILL 5 s later), the diff, and finish,
 * retried until acknowledged. A 409 on any call means the lease is lost:
 * the pilot is killed and the run dropped.
 */
#ifndef UFO_ROVER_RUNNER_H
#define UFO_ROVER_RUNNER_H

#include <sys/queue.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include <json-c/json.h>

#include "client.h"
#include "error.h"

/* Between SIGTERM and SIGKILL. */
#define RUNNER_GRACE_MS		5000
/* Messages wait at most this long before they are sent. */
#define RUNNER_FLUSH_MS		250

struct runner;

/* What a registration lends each of its runs. */
struct runner_env {
	const struct client_config	*client;
	const char			*outpost;
	/* Set when the runs must end now, without finishing. */
	volatile sig_atomic_t		*kill;
	/* A call was refused for good (401, 403, 426): stop everything. */
	void				(*refused)(void *, long);
	/* The run's thread is about to end. */
	void				(*done)(struct runner *, void *);
	void				*arg;
};

struct runner {
	char			*id;
	int64_t			 attempt;
	int			 lease;		/* seconds */
	atomic_int		 cancel;	/* set by a heartbeat */
	atomic_int		 lost;		/* set by a heartbeat or a 409 */
	pthread_t		 thread;
	TAILQ_ENTRY(runner)	 entry;

	const struct runner_env	*env;
	struct json_object	*claim;
};

/* Takes a claim's "run" object; fails when it has no id or attempt. */
struct runner	*runner_create(const struct runner_env *,
		     struct json_object *, struct ufo_error *);
int		 runner_start(struct runner *, struct ufo_error *);
void		 runner_free(struct runner *);

#endif
