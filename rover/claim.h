/*
 * Serving one registration: a claim thread long-polls /rover/claim while
 * units are free (backing off on errors) and starts a runner thread per
 * claimed run; a heartbeat thread renews the lease of every held run
 * every 10 s until its finish is acknowledged, and passes on what the
 * answer says: cancel, lost, revoked. A revoked (or refused) registration
 * stops at once and its pilots are killed.
 */
#ifndef UFO_ROVER_CLAIM_H
#define UFO_ROVER_CLAIM_H

#include "error.h"
#include "registry.h"

/* How long one claim waits on the server for a run. */
#define CLAIM_WAIT		30
/* Heartbeats, at most this far apart (a third of a shorter lease). */
#define CLAIM_HEARTBEAT		10

struct claim_reg;

struct claim_config {
	const char *const	*auto_tags;
	int			 verbose;	/* log every request */
	int			 once;		/* claim one run, then stop */
};

struct claim_reg *claim_start(const struct registration *,
		     const struct claim_config *, struct ufo_error *);
/* Stops claiming; with kill, runs end now too (no finish). */
void		 claim_stop(struct claim_reg *, int);
/* Runs claimed so far. */
int		 claim_claimed(struct claim_reg *);
/* Whether the registration stopped (every thread is done). */
int		 claim_ended(struct claim_reg *);
/* Waits for the end and frees; -1 when it was revoked or refused. */
int		 claim_free(struct claim_reg *);

#endif
