#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "xmalloc.h"

/* Keys remembered at most; the stalest is dropped for a new one. */
#define RATELIMIT_KEYS	4096

struct ratelimit_key {
	char			*key;
	int64_t			*times;		/* ms of the last failures */
	int			 n;		/* of them, up to limit */
	int64_t			 last;		/* ms of the newest */
	struct ratelimit_key	*next;
};

struct ratelimit {
	pthread_mutex_t		 lock;
	int			 limit;
	int64_t			 window;	/* ms */
	struct ratelimit_key	*keys;
	int			 nkeys;
};

struct ratelimit *
ratelimit_create(int limit, int64_t window_ms)
{
	struct ratelimit	*rl;

	rl = xcalloc(1, sizeof *rl);
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return (NULL);
	}
	rl->limit = limit;
	rl->window = window_ms;
	return (rl);
}

static void
ratelimit_key_free(struct ratelimit_key *k)
{
	free(k->key);
	free(k->times);
	free(k);
}

void
ratelimit_free(struct ratelimit *rl)
{
	struct ratelimit_key	*k;

	if (rl == NULL)
		return;
	while ((k = rl->keys) != NULL) {
		rl->keys = k->next;
		ratelimit_key_free(k);
	}
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* The key's entry (unlinked when unlink is set), NULL when none. */
static struct ratelimit_key *
ratelimit_find(struct ratelimit *rl, const char *key, int unlink)
{
	struct ratelimit_key	**p, *k;

	for (p = &rl->keys; (k = *p) != NULL; p = &k->next) {
		if (strcmp(k->key, key) != 0)
			continue;
		if (unlink) {
			*p = k->next;
			rl->nkeys--;
		}
		return (k);
	}
	return (NULL);
}

/* Forgets failures older than the window, and keys left with none. */
static void
ratelimit_expire(struct ratelimit *rl, int64_t now)
{
	struct ratelimit_key	**p, *k;
	int			 i, j;

	for (p = &rl->keys; (k = *p) != NULL;) {
		for (i = j = 0; i < k->n; i++) {
			if (k->times[i] > now - rl->window)
				k->times[j++] = k->times[i];
		}
		k->n = j;
		if (k->n == 0) {
			*p = k->next;
			rl->nkeys--;
			ratelimit_key_free(k);
			continue;
		}
		p = &k->next;
	}
}

int64_t
ratelimit_wait(struct ratelimit *rl, const char *key, int64_t now)
{
	struct ratelimit_key	*k;
	int64_t			 wait = 0;

	pthread_mutex_lock(&rl->lock);
	ratelimit_expire(rl, now);
	if ((k = ratelimit_find(rl, key, 0)) != NULL && k->n >= rl->limit) {
		/* times[0] is the oldest: the window frees it first. */
		wait = (k->times[0] + rl->window - now + 999) / 1000;
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&rl->lock);
	return (wait);
}

void
ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now)
{
	struct ratelimit_key	*k, **p, *stale;

	pthread_mutex_lock(&rl->lock);
	ratelimit_expire(rl, now);
	if ((k = ratelimit_find(rl, key, 0)) == NULL) {
		if (rl->nkeys >= RATELIMIT_KEYS) {
			stale = rl->keys;
			for (k = rl->keys; k != NULL; k = k->next) {
				if (k->last < stale->last)
					stale = k;
			}
			ratelimit_key_free(ratelimit_find(rl, stale->key, 1));
		}
		k = xcalloc(1, sizeof *k);
		k->key = xstrdup(key);
		k->times = xcalloc((size_t)rl->limit, sizeof *k->times);
		for (p = &rl->keys; *p != NULL; p = &(*p)->next)
			;
		*p = k;
		rl->nkeys++;
	}
	if (k->n == rl->limit) {
		memmove(k->times, k->times + 1,
		    (size_t)(rl->limit - 1) * sizeof *k->times);
		k->n--;
	}
	k->times[k->n++] = now;
	k->last = now;
	pthread_mutex_unlock(&rl->lock);
}

void
ratelimit_clear(struct ratelimit *rl, const char *key)
{
	struct ratelimit_key	*k;

	pthread_mutex_lock(&rl->lock);
	if ((k = ratelimit_find(rl, key, 1)) != NULL)
		ratelimit_key_free(k);
	pthread_mutex_unlock(&rl->lock);
}
