/* The sliding window of failed logins, on a clock the test sets. */
#include <stdio.h>

#include "ratelimit.h"
#include "tap.h"

int
main(void)
{
	struct ratelimit	*rl;
	char			 key[32];
	int			 i;

	rl = ratelimit_create(3, 60000);
	ok(rl != NULL, "a limiter of 3 failures a minute");
	is_int(ratelimit_wait(rl, "a", 0), 0, "a key never seen may try");
	ratelimit_fail(rl, "a", 1000);
	ratelimit_fail(rl, "a", 2000);
	is_int(ratelimit_wait(rl, "a", 2000), 0, "two failures: still allowed");
	ratelimit_fail(rl, "a", 3000);
	is_int(ratelimit_wait(rl, "a", 3000), 58, "three: wait until the "
	    "first is a minute old");
	is_int(ratelimit_wait(rl, "b", 3000), 0, "another key is not held up");
	is_int(ratelimit_wait(rl, "a", 60999), 1, "a moment before: 1 s left");
	is_int(ratelimit_wait(rl, "a", 61000), 0, "once the oldest left the "
	    "window, a try is allowed");
	ratelimit_fail(rl, "a", 61000);
	is_int(ratelimit_wait(rl, "a", 61000), 1, "a failure then: the next "
	    "oldest decides");
	ratelimit_clear(rl, "a");
	is_int(ratelimit_wait(rl, "a", 61000), 0, "a success forgets");

	/* Many addresses: the limiter keeps a bounded number. */
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
		ratelimit_fail(rl, key, 100000 + i);
	}
	is_int(ratelimit_wait(rl, "10.0.19.135", 105000), 0,
	    "one failure of the last address: allowed");
	for (i = 0; i < 3; i++)
		ratelimit_fail(rl, "10.0.19.135", 105000);
	ok(ratelimit_wait(rl, "10.0.19.135", 105000) > 0,
	    "still counted among many");
	ratelimit_free(rl);
	return (done_testing());
}
