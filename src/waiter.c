#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api.h"
#include "log.h"
#include "waiter.h"

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* deadline changed or stopping */
	pthread_t	 thread;
	int		 running;
	int		 stopping;
	int64_t		 generation;
	struct waiter	*head;
} waiters = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

uint64_t
waiter_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
waiter_unlink(struct waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		waiters.head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->parked = 0;
}

/* Resumes one waiter; the caller holds the lock. */
static void
waiter_wake(struct waiter *w, int why)
{
	waiter_unlink(w);
	w->woken = why;
	MHD_resume_connection(w->conn);
}

static void *
waiter_main(void *arg)
{
	struct waiter	*w, *next;
	struct timespec	 ts;
	uint64_t	 now, soonest;

	(void)arg;
	pthread_mutex_lock(&waiters.lock);
	while (!waiters.stopping) {
		now = waiter_now();
		soonest = 0;
		for (w = waiters.head; w != NULL; w = next) {
			next = w->next;
			if (w->deadline == 0)
				continue;
			if (w->deadline <= now)
				waiter_wake(w, API_WOKEN_TIMEOUT);
			else if (soonest == 0 || w->deadline < soonest)
				soonest = w->deadline;
		}
		if (soonest == 0) {
			pthread_cond_wait(&waiters.cond, &waiters.lock);
			continue;
		}
		/* The condition variable runs on the monotonic clock. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)((soonest - now) / 1000);
		ts.tv_nsec += (long)((soonest - now) % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&waiters.cond, &waiters.lock, &ts);
	}
	pthread_mutex_unlock(&waiters.lock);
	return (NULL);
}

int
waiter_start(int64_t generation)
{
	pthread_condattr_t	 attr;
	int			 error;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&waiters.cond, &attr);
	pthread_condattr_destroy(&attr);
	waiters.generation = generation;
	waiters.stopping = 0;
	if ((error = pthread_create(&waiters.thread, NULL, waiter_main,
	    NULL)) != 0) {
		log_error("%s: pthread_create: %s", __func__, strerror(error));
		return (-1);
	}
	waiters.running = 1;
	return (0);
}

void
waiter_stop(void)
{
	pthread_mutex_lock(&waiters.lock);
	waiters.stopping = 1;
	while (waiters.head != NULL)
		waiter_wake(waiters.head, API_WOKEN_SHUTDOWN);
	pthread_cond_signal(&waiters.cond);
	pthread_mutex_unlock(&waiters.lock);
	if (waiters.running) {
		pthread_join(waiters.thread, NULL);
		waiters.running = 0;
	}
}

void
waiter_release(const void *owner)
{
	struct waiter	*w, *next;

	pthread_mutex_lock(&waiters.lock);
	for (w = waiters.head; w != NULL; w = next) {
		next = w->next;
		if (w->owner == owner)
			waiter_wake(w, API_WOKEN_SHUTDOWN);
	}
	pthread_mutex_unlock(&waiters.lock);
}

int64_t
waiter_generation(void)
{
	int64_t	 g;

	pthread_mutex_lock(&waiters.lock);
	g = waiters.generation;
	pthread_mutex_unlock(&waiters.lock);
	return (g);
}

void
waiter_notify(void *arg, int64_t id)
{
	(void)arg;
	pthread_mutex_lock(&waiters.lock);
	if (id > waiters.generation)
		waiters.generation = id;
	while (waiters.head != NULL)
		waiter_wake(waiters.head, API_WOKEN_EVENT);
	pthread_mutex_unlock(&waiters.lock);
}

int
waiter_park(struct waiter *w, struct MHD_Connection *conn, const void *owner,
    int64_t seen, uint64_t deadline)
{
	pthread_mutex_lock(&waiters.lock);
	/*
	 * The caller looked for news up to seen; an event committed since
	 * then would never wake it, so it must look again instead.
	 */
	w->woken = 0;
	if (waiters.generation > seen)
		w->woken = API_WOKEN_EVENT;
	if (waiters.stopping)
		w->woken = API_WOKEN_SHUTDOWN;
	if (w->woken != 0) {
		pthread_mutex_unlock(&waiters.lock);
		return (-1);
	}
	w->conn = conn;
	w->owner = owner;
	w->deadline = deadline;
	w->parked = 1;
	w->prev = NULL;
	w->next = waiters.head;
	if (waiters.head != NULL)
		waiters.head->prev = w;
	waiters.head = w;
	MHD_suspend_connection(conn);
	if (deadline != 0)
		pthread_cond_signal(&waiters.cond);
	pthread_mutex_unlock(&waiters.lock);
	return (0);
}
