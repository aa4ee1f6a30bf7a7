/*
 * The lease sweeper: a thread that sleeps until the earliest lease expiry or
 * backoff end the store reports, then requeues or fails the runs whose
 * rovers went silent. A new lease pokes it, so it never sleeps past one.
 * A process-wide singleton owned by this module.
 */
#ifndef UFO_SWEEPER_H
#define UFO_SWEEPER_H

struct store;

int	sweeper_start(struct store *);
/* A lease was taken: look again at when to wake. */
void	sweeper_poke(void);
void	sweeper_stop(void);

#endif
