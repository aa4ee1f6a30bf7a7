/*
 * A minimal TAP producer for the C unit tests: ok(), is_int(), is_str(),
 * and done_testing() printing the plan at the end.
 */
#ifndef UFO_TAP_H
#define UFO_TAP_H

#include <stdio.h>
#include <string.h>

static int	tap_count;
static int	tap_failed;

static int
tap_ok(int pass, const char *file, int line, const char *name)
{
	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - %s\n", pass ? "" : "not ", tap_count, name);
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return (pass);
}

#define ok(cond, name)	tap_ok(!!(cond), __FILE__, __LINE__, (name))

#define is_int(got, want, name) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, (name)))					\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

#define is_str(got, want, name) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int p_ = (g_ == NULL && w_ == NULL) ||				\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	if (!ok(p_, (name)))						\
		printf("#   got \"%s\", want \"%s\"\n",			\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

static int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return (tap_failed == 0 ? 0 : 1);
}

#endif
