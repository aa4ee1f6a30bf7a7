#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api.h"
#include "log.h"
#include "waiter.h"
#include "xmalloc.h"

#define WAITER_NO_SLOT	((size_t)-1)
#define WAITER_TRIM_PEAK	1000	/* parked at once: a burst */
#define WAITER_TRIM_DELAY_MS	250	/* for their connections to go */

/*
 * libmicrohttpd does not watch suspended connections, so a client that hangs
 * up while parked would only be noticed when woken: the waiter thread
 * watches parked sockets with epoll for hang-ups, and sleeps in the same
 * epoll_wait until the earliest deadline. An eventfd interrupts it.
 */
static struct {
	pthread_mutex_t	 lock;
	int		 epfd;
	int		 evfd;
	struct waiter	**byfd;		/* parked waiter of each socket */
	size_t		 nbyfd;
	pthread_t	 thread;
	int		 running;
	int		 stopping;
	int64_t		 generations[WAITER_NKINDS];
	struct waiter	*heads[WAITER_NKINDS];
	struct waiter	*tails[WAITER_NKINDS];
	int		 counts[WAITER_NKINDS];
	int		 peak;		/* most parked since the last trim */
	uint64_t	 trim_at;	/* when to trim, 0 if not due */
	/* A binary min-heap of the waiters that have a deadline. */
	struct waiter	**heap;
	size_t		 nheap;
	size_t		 heapsize;
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
waiter_heap_set(size_t i, struct waiter *w)
{
	waiters.heap[i] = w;
	w->slot = i;
}

static void
waiter_heap_up(size_t i)
{
	struct waiter	*w = waiters.heap[i];
	size_t		 parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (waiters.heap[parent]->deadline <= w->deadline)
			break;
		waiter_heap_set(i, waiters.heap[parent]);
		i = parent;
	}
	waiter_heap_set(i, w);
}

static void
waiter_heap_down(size_t i)
{
	struct waiter	*w = waiters.heap[i];
	size_t		 child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= waiters.nheap)
			break;
		if (child + 1 < waiters.nheap && waiters.heap[child + 1]->deadline <
		    waiters.heap[child]->deadline)
			child++;
		if (w->deadline <= waiters.heap[child]->deadline)
			break;
		waiter_heap_set(i, waiters.heap[child]);
		i = child;
	}
	waiter_heap_set(i, w);
}

static void
waiter_heap_push(struct waiter *w)
{
	if (waiters.nheap == waiters.heapsize) {
		waiters.heapsize = waiters.heapsize == 0 ? 64 :
		    waiters.heapsize * 2;
		waiters.heap = xreallocarray(waiters.heap, waiters.heapsize,
		    sizeof *waiters.heap);
	}
	waiter_heap_set(waiters.nheap++, w);
	waiter_heap_up(w->slot);
}

static void
waiter_heap_remove(struct waiter *w)
{
	size_t		 i = w->slot;
	struct waiter	*last;

	if (i == WAITER_NO_SLOT)
		return;
	w->slot = WAITER_NO_SLOT;
	last = waiters.heap[--waiters.nheap];
	if (last == w)
		return;
	waiter_heap_set(i, last);
	waiter_heap_down(i);
	waiter_heap_up(last->slot);
}

/* Interrupts the waiter thread's epoll_wait. */
static void
waiter_kick(void)
{
	uint64_t	 one = 1;

	if (write(waiters.evfd, &one, sizeof one) == -1 && errno != EAGAIN)
		log_warn("waiter: eventfd: %s", strerror(errno));
}

static void
waiter_watch(struct waiter *w)
{
	const union MHD_ConnectionInfo	*info;
	struct epoll_event		 ev;
	size_t				 n;

	w->fd = -1;
	info = MHD_get_connection_info(w->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL || info->connect_fd < 0)
		return;
	if ((size_t)info->connect_fd >= waiters.nbyfd) {
		n = (size_t)info->connect_fd * 2 + 64;
		waiters.byfd = xreallocarray(waiters.byfd, n,
		    sizeof *waiters.byfd);
		memset(waiters.byfd + waiters.nbyfd, 0,
		    (n - waiters.nbyfd) * sizeof *waiters.byfd);
		waiters.nbyfd = n;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLRDHUP;
	ev.data.fd = info->connect_fd;
	if (epoll_ctl(waiters.epfd, EPOLL_CTL_ADD, info->connect_fd,
	    &ev) == -1) {
		log_debug("waiter: epoll_ctl: %s", strerror(errno));
		return;
	}
	w->fd = info->connect_fd;
	waiters.byfd[w->fd] = w;
}

static void
waiter_unwatch(struct waiter *w)
{
	if (w->fd < 0)
		return;
	if (epoll_ctl(waiters.epfd, EPOLL_CTL_DEL, w->fd, NULL) == -1)
		log_debug("waiter: epoll_ctl: %s", strerror(errno));
	waiters.byfd[w->fd] = NULL;
	w->fd = -1;
}

static void
waiter_unlink(struct waiter *w)
{
	waiter_unwatch(w);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		waiters.heads[w->kind] = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		waiters.tails[w->kind] = w->prev;
	w->prev = w->next = NULL;
	w->parked = 0;
	waiters.counts[w->kind]--;
	waiter_heap_remove(w);
}

/* Parked waiters of all kinds; the caller holds the lock. */
static int
waiter_parked(void)
{
	int	 k, n = 0;

	for (k = 0; k < WAITER_NKINDS; k++)
		n += waiters.counts[k];
	return (n);
}

/* Appends at the tail, so claims are served oldest first. */
static void
waiter_link(struct waiter *w)
{
	int	 n;

	w->next = NULL;
	w->prev = waiters.tails[w->kind];
	if (w->prev != NULL)
		w->prev->next = w;
	else
		waiters.heads[w->kind] = w;
	waiters.tails[w->kind] = w;
	w->parked = 1;
	waiters.counts[w->kind]++;
	if ((n = waiter_parked()) > waiters.peak)
		waiters.peak = n;
	w->slot = WAITER_NO_SLOT;
	if (w->deadline != 0)
		waiter_heap_push(w);
	waiter_watch(w);
}

/* Resumes one waiter; the caller holds the lock. */
static void
waiter_resume(struct waiter *w, int why)
{
	waiter_unlink(w);
	w->woken = why;
	MHD_resume_connection(w->conn);
}

/*
 * Thousands of parked claims leave their memory in malloc's per-thread
 * arenas when they go; it is handed back to the system a little after most
 * of a burst has gone (their connections closed), on this thread, which
 * only has deadlines to keep meanwhile. Called with the lock held.
 */
static void
waiter_trim(uint64_t now)
{
	if (waiters.peak >= WAITER_TRIM_PEAK &&
	    waiter_parked() < waiters.peak / 4 && waiters.trim_at == 0)
		waiters.trim_at = now + WAITER_TRIM_DELAY_MS;
	if (waiters.trim_at == 0 || waiters.trim_at > now)
		return;
	waiters.trim_at = 0;
	waiters.peak = waiter_parked();
#ifdef __GLIBC__
	pthread_mutex_unlock(&waiters.lock);
	malloc_trim(0);
	pthread_mutex_lock(&waiters.lock);
#endif
}

void
waiter_trim_soon(void)
{
	pthread_mutex_lock(&waiters.lock);
	if (waiters.running && waiters.trim_at == 0) {
		waiters.trim_at = waiter_now() + WAITER_TRIM_DELAY_MS;
		waiter_kick();
	}
	pthread_mutex_unlock(&waiters.lock);
}

static void *
waiter_main(void *arg)
{
	struct epoll_event	 evs[64];
	struct waiter		*w;
	uint64_t		 now, count;
	int			 i, n, timeout, trim;

	(void)arg;
	pthread_mutex_lock(&waiters.lock);
	while (!waiters.stopping) {
		now = waiter_now();
		while (waiters.nheap > 0 && waiters.heap[0]->deadline <= now)
			waiter_resume(waiters.heap[0], API_WOKEN_TIMEOUT);
		waiter_trim(now);
		timeout = waiters.nheap == 0 ? -1 :
		    (int)(waiters.heap[0]->deadline - now);
		if (waiters.trim_at != 0) {
			trim = waiters.trim_at > now ?
			    (int)(waiters.trim_at - now) : 0;
			if (timeout == -1 || trim < timeout)
				timeout = trim;
		}
		pthread_mutex_unlock(&waiters.lock);
		n = epoll_wait(waiters.epfd, evs, 64, timeout);
		pthread_mutex_lock(&waiters.lock);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == waiters.evfd) {
				if (read(waiters.evfd, &count, sizeof count) ==
				    -1 && errno != EAGAIN)
					log_warn("waiter: eventfd: %s",
					    strerror(errno));
				continue;
			}
			/* By socket, not pointer: it may have been woken. */
			if ((size_t)evs[i].data.fd < waiters.nbyfd &&
			    (w = waiters.byfd[evs[i].data.fd]) != NULL)
				waiter_resume(w, API_WOKEN_GONE);
		}
	}
	pthread_mutex_unlock(&waiters.lock);
	return (NULL);
}

int
waiter_start(int64_t generation)
{
	struct epoll_event	 ev;
	int			 error;

	if ((waiters.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (waiters.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		log_error("%s: %s", __func__, strerror(errno));
		return (-1);
	}
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.fd = waiters.evfd;
	if (epoll_ctl(waiters.epfd, EPOLL_CTL_ADD, waiters.evfd, &ev) == -1) {
		log_error("%s: epoll_ctl: %s", __func__, strerror(errno));
		return (-1);
	}
	waiters.generations[WAITER_EVENTS] = generation;
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
	int	 k;

	pthread_mutex_lock(&waiters.lock);
	waiters.stopping = 1;
	for (k = 0; k < WAITER_NKINDS; k++) {
		while (waiters.heads[k] != NULL)
			waiter_resume(waiters.heads[k], API_WOKEN_SHUTDOWN);
	}
	waiter_kick();
	pthread_mutex_unlock(&waiters.lock);
	if (waiters.running) {
		pthread_join(waiters.thread, NULL);
		waiters.running = 0;
	}
	close(waiters.epfd);
	close(waiters.evfd);
	free(waiters.byfd);
	waiters.byfd = NULL;
	waiters.nbyfd = 0;
	free(waiters.heap);
	waiters.heap = NULL;
	waiters.nheap = waiters.heapsize = 0;
}

void
waiter_release(const void *owner)
{
	struct waiter	*w, *next;
	int		 k;

	pthread_mutex_lock(&waiters.lock);
	for (k = 0; k < WAITER_NKINDS; k++) {
		for (w = waiters.heads[k]; w != NULL; w = next) {
			next = w->next;
			if (w->owner == owner)
				waiter_resume(w, API_WOKEN_SHUTDOWN);
		}
	}
	pthread_mutex_unlock(&waiters.lock);
}

int64_t
waiter_generation(int kind)
{
	int64_t	 g;

	pthread_mutex_lock(&waiters.lock);
	g = waiters.generations[kind];
	pthread_mutex_unlock(&waiters.lock);
	return (g);
}

int
waiter_count(int kind)
{
	int	 n;

	pthread_mutex_lock(&waiters.lock);
	n = waiters.counts[kind];
	pthread_mutex_unlock(&waiters.lock);
	return (n);
}

void
waiter_notify(void *arg, int64_t id)
{
	(void)arg;
	pthread_mutex_lock(&waiters.lock);
	if (id > waiters.generations[WAITER_EVENTS])
		waiters.generations[WAITER_EVENTS] = id;
	while (waiters.heads[WAITER_EVENTS] != NULL)
		waiter_resume(waiters.heads[WAITER_EVENTS], API_WOKEN_EVENT);
	pthread_mutex_unlock(&waiters.lock);
}

void
waiter_wake(void *arg, const char *key)
{
	struct waiter	*w, *next;
	char		 kind[128];
	int		 i;

	(void)arg;
	pthread_mutex_lock(&waiters.lock);
	if (strncmp(key, "claim:", 6) == 0) {
		waiters.generations[WAITER_CLAIM]++;
		/* One run, one rover: wake the oldest claim that can take it. */
		snprintf(kind, sizeof kind, ",%s,", key + 6);
		for (w = waiters.heads[WAITER_CLAIM]; w != NULL; w = w->next) {
			if (strstr(w->key, kind) != NULL) {
				waiter_resume(w, API_WOKEN_EVENT);
				break;
			}
		}
	} else if (strncmp(key, "run:", 4) == 0) {
		waiters.generations[WAITER_RUN]++;
		for (w = waiters.heads[WAITER_RUN]; w != NULL; w = next) {
			next = w->next;
			if (strcmp(w->key, key + 4) == 0)
				waiter_resume(w, API_WOKEN_EVENT);
		}
	} else if (strcmp(key, "auth") == 0) {
		/*
		 * Each looks at its credentials again (server_access), finds
		 * nothing new and parks again if they hold: no generation
		 * moves, the feed's is an event id.
		 */
		for (i = 0; i < WAITER_NKINDS; i++) {
			while (waiters.heads[i] != NULL)
				waiter_resume(waiters.heads[i],
				    API_WOKEN_EVENT);
		}
	}
	pthread_mutex_unlock(&waiters.lock);
}

int
waiter_park(struct waiter *w, struct MHD_Connection *conn, const void *owner,
    int kind, const char *key, int64_t seen, uint64_t deadline)
{
	pthread_mutex_lock(&waiters.lock);
	/*
	 * The caller looked for work up to generation seen; a wake-up since
	 * then found nobody parked, so it must look again instead.
	 */
	w->woken = 0;
	if (waiters.generations[kind] > seen)
		w->woken = API_WOKEN_EVENT;
	if (waiters.stopping)
		w->woken = API_WOKEN_SHUTDOWN;
	if (w->woken != 0) {
		pthread_mutex_unlock(&waiters.lock);
		return (-1);
	}
	w->conn = conn;
	w->owner = owner;
	w->kind = kind;
	snprintf(w->key, sizeof w->key, "%s", key != NULL ? key : "");
	w->deadline = deadline;
	waiter_link(w);
	MHD_suspend_connection(conn);
	if (w->slot == 0)
		waiter_kick();
	pthread_mutex_unlock(&waiters.lock);
	return (0);
}

void
waiter_wake_all(int kind)
{
	pthread_mutex_lock(&waiters.lock);
	waiters.generations[kind]++;
	while (waiters.heads[kind] != NULL)
		waiter_resume(waiters.heads[kind], API_WOKEN_EVENT);
	pthread_mutex_unlock(&waiters.lock);
}
