/*
 * Parked requests: long-polls and event streams suspended with
 * libmicrohttpd's suspend/resume until the store commits an event or their
 * deadline passes. Nothing polls: a commit resumes the parked connections at
 * once, and one thread sleeps until the earliest deadline.
 *
 * The waiter list is a process-wide singleton owned by this module.
 */
#ifndef UFO_WAITER_H
#define UFO_WAITER_H

#include <stdint.h>

struct MHD_Connection;

struct waiter {
	struct MHD_Connection	*conn;
	const void		*owner;		/* the listener it came from */
	uint64_t		 deadline;	/* monotonic ms, 0 for none */
	int			 woken;		/* API_WOKEN_* */
	int			 parked;
	struct waiter		*prev;
	struct waiter		*next;
};

/* Starts the deadline thread; generation is the last committed event id. */
int		 waiter_start(int64_t);
/* Resumes every parked connection and refuses new ones; joins the thread. */
void		 waiter_stop(void);
/* Resumes the connections parked by one listener (which is closing). */
void		 waiter_release(const void *);
/* The last committed event id known to the waiters. */
int64_t		 waiter_generation(void);
/* Store notify callback: a transaction committed events up to id. */
void		 waiter_notify(void *, int64_t);
/*
 * Suspends conn until an event newer than seen commits or deadline passes.
 * Returns 0 when parked; -1 when not, with w->woken saying why (an event
 * already newer than seen, or shutting down).
 */
int		 waiter_park(struct waiter *, struct MHD_Connection *,
		     const void *, int64_t, uint64_t);
/* Milliseconds on the monotonic clock. */
uint64_t	 waiter_now(void);

#endif
