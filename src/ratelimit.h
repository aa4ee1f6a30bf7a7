/*
 * Failures counted per key (a client's address) in a sliding window: once
 * a key has had the limit of failures within the window it is refused
 * until the oldest of them leaves it. Owned by the server; every call
 * locks it, so all HTTP threads share one.
 */
#ifndef UFO_RATELIMIT_H
#define UFO_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

struct ratelimit *ratelimit_create(int, int64_t);
void		 ratelimit_free(struct ratelimit *);
/* 0 when key may try now, else the seconds until it may (at least 1). */
int64_t		 ratelimit_wait(struct ratelimit *, const char *, int64_t);
/* A failure of key at now (ms). */
void		 ratelimit_fail(struct ratelimit *, const char *, int64_t);
/* A success: key's failures are forgotten. */
void		 ratelimit_clear(struct ratelimit *, const char *);

#endif
