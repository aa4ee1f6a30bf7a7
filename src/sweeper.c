#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "sweeper.h"

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	struct store	*store;
	int		 running;
	int		 stopping;
	int		 poked;
} sweeper = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void *
sweeper_main(void *arg)
{
	struct ufo_error	 err;
	struct timespec		 ts;
	int64_t			 next;

	(void)arg;
	pthread_mutex_lock(&sweeper.lock);
	while (!sweeper.stopping) {
		sweeper.poked = 0;
		pthread_mutex_unlock(&sweeper.lock);
		next = 0;
		if (store_sweep(sweeper.store, &next, &err) == -1) {
			log_error("sweeper: %s", err.message);
			/* Try again in a second rather than spin or stop. */
			clock_gettime(CLOCK_REALTIME, &ts);
			next = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
			    1000;
		}
		pthread_mutex_lock(&sweeper.lock);
		if (sweeper.poked || sweeper.stopping)
			continue;
		if (next == 0) {
			pthread_cond_wait(&sweeper.cond, &sweeper.lock);
			continue;
		}
		/* The store speaks wall-clock milliseconds. */
		ts.tv_sec = (time_t)(next / 1000);
		ts.tv_nsec = (long)(next % 1000) * 1000000;
		pthread_cond_timedwait(&sweeper.cond, &sweeper.lock, &ts);
	}
	pthread_mutex_unlock(&sweeper.lock);
	return (NULL);
}

int
sweeper_start(struct store *store)
{
	int	 error;

	sweeper.store = store;
	sweeper.stopping = 0;
	if ((error = pthread_create(&sweeper.thread, NULL, sweeper_main,
	    NULL)) != 0) {
		log_error("%s: pthread_create: %s", __func__, strerror(error));
		return (-1);
	}
	sweeper.running = 1;
	return (0);
}

void
sweeper_poke(void)
{
	pthread_mutex_lock(&sweeper.lock);
	sweeper.poked = 1;
	pthread_cond_signal(&sweeper.cond);
	pthread_mutex_unlock(&sweeper.lock);
}

void
sweeper_stop(void)
{
	pthread_mutex_lock(&sweeper.lock);
	sweeper.stopping = 1;
	pthread_cond_signal(&sweeper.cond);
	pthread_mutex_unlock(&sweeper.lock);
	if (sweeper.running) {
		pthread_join(sweeper.thread, NULL);
		sweeper.running = 0;
	}
}
