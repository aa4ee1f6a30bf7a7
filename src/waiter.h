/*
 * Parked requests: long-polls and streams suspended with libmicrohttpd's
 * suspend/resume until something they wait for is committed, or their
 * deadline passes. Nothing polls: a commit resumes the parked connections at
 * once, and one thread sleeps until the earliest deadline.
 *
 * Three kinds of waiters, each with its own list and generation counter:
 * the change feed (every event wakes every feed waiter), claims (a queued run
 * of pilot kind K wakes the oldest claim whose rover runs K, and only it),
 * and run followers (a run's messages wake that run's followers).
 *
 * The waiter lists are a process-wide singleton owned by this module.
 */
#ifndef UFO_WAITER_H
#define UFO_WAITER_H

#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;

#define WAITER_EVENTS	0
#define WAITER_CLAIM	1
#define WAITER_RUN	2
#define WAITER_NKINDS	3

struct waiter {
	struct MHD_Connection	*conn;
	const void		*owner;		/* the listener it came from */
	int			 kind;		/* WAITER_* */
	char			 key[256];	/* claim: ",k1,k2,"; run: id */
	uint64_t		 deadline;	/* monotonic ms, 0 for none */
	int			 woken;		/* API_WOKEN_* */
	int			 parked;
	size_t			 slot;		/* in the deadline heap */
	int			 fd;		/* watched for hang-ups */
	struct waiter		*prev;
	struct waiter		*next;
};

/* Starts the deadline thread; generation is the last committed event id. */
int		 waiter_start(int64_t);
/* Resumes every parked connection and refuses new ones; joins the thread. */
void		 waiter_stop(void);
/* Resumes the connections parked by one listener (which is closing). */
void		 waiter_release(const void *);
/* The generation of a kind: the last event id, or a count of wake-ups. */
int64_t		 waiter_generation(int);
/* Store notify callback: a transaction committed events up to id. */
void		 waiter_notify(void *, int64_t);
/*
 * Store wake callback: "claim:KIND" or "run:ID" became ready, or "auth":
 * credentials changed, which wakes every waiter.
 */
void		 waiter_wake(void *, const char *);
/* Wakes every waiter of a kind (a revoked rover must hear it at once). */
void		 waiter_wake_all(int);
/*
 * Suspends conn until its kind's generation passes seen (for claims and
 * runs: a wake-up matching key) or deadline passes. Returns 0 when parked;
 * -1 when not, with w->woken saying why (the generation already moved, or
 * shutting down).
 */
int		 waiter_park(struct waiter *, struct MHD_Connection *,
		     const void *, int, const char *, int64_t, uint64_t);
/* Hands freed memory back to the system a little later, on its thread. */
void		 waiter_trim_soon(void);
/* Parked waiters of a kind, for ufod's status. */
int		 waiter_count(int);
/* Milliseconds on the monotonic clock. */
uint64_t	 waiter_now(void);

#endif
