/*
 * SQLite's allocator (sqlmem.c): sizes and alignment, blocks kept by the
 * freeing thread up to a cap, reallocation in place and across classes,
 * large blocks, blocks freed by another thread, and SQLite at work on it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlmem.h"
#include "tap.h"

#define NBLOCKS	300

static void *
alloc_some(void *arg)
{
	void	**v = arg;
	int	  i;

	for (i = 0; i < 10; i++)
		v[i] = sqlite3_malloc(100);
	return (NULL);
}

/* A thread that keeps blocks and ends: its blocks go back on its way. */
static void *
keep_some(void *arg)
{
	void	*v[NBLOCKS];
	int	 i;

	(void)arg;
	for (i = 0; i < NBLOCKS; i++)
		v[i] = sqlite3_malloc(64);
	for (i = 0; i < NBLOCKS; i++)
		sqlite3_free(v[i]);
	return ((void *)(intptr_t)sqlmem_kept(64));
}

static int
sum_cb(void *arg, int n, char **vals, char **names)
{
	(void)n;
	(void)names;
	*(long long *)arg = vals[0] != NULL ? atoll(vals[0]) : -1;
	return (0);
}

int
main(void)
{
	static const int	 sizes[] = { 1, 8, 15, 16, 17, 100, 128, 129,
	    500, 1000, 1024, 1025, 4096, 100000 };
	sqlite3			*db;
	pthread_t		 t;
	void			*p, *q, *v[NBLOCKS], *other[10], *ret;
	char			*buf, *err = NULL;
	long long		 sum = 0;
	size_t			 i;
	int			 bad, kept, n;

	ok(sqlmem_install() == 0, "installed before SQLite starts");
	ok(sqlite3_initialize() == SQLITE_OK, "SQLite starts on it");

	bad = 0;
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		p = sqlite3_malloc(sizes[i]);
		if (p == NULL || (uintptr_t)p % 16 != 0 ||
		    sqlite3_msize(p) < (sqlite3_uint64)sizes[i])
			bad++;
		else
			memset(p, 0xa5, (size_t)sizes[i]);
		sqlite3_free(p);
	}
	is_int(bad, 0, "every size: aligned to 16, at least as large");

	p = sqlite3_malloc(100);
	sqlite3_free(p);
	q = sqlite3_malloc(112);
	ok(q == p, "a freed block serves the next request of its class");
	sqlite3_free(q);

	kept = sqlmem_kept(64);
	for (i = 0; i < NBLOCKS; i++)
		v[i] = sqlite3_malloc(64);
	ok(sqlmem_kept(64) == 0, "taken from the thread's blocks first");
	for (i = 0; i < NBLOCKS; i++)
		sqlite3_free(v[i]);
	n = sqlmem_kept(64);
	ok(n > kept && n < NBLOCKS, "freed blocks are kept up to a cap");
	printf("# %d of %d kept\n", n, NBLOCKS);

	buf = sqlite3_malloc(40);
	memcpy(buf, "0123456789", 11);
	p = sqlite3_realloc(buf, 48);
	ok(p == buf, "a realloc within the block stays where it is");
	q = sqlite3_realloc(p, 3000);
	ok(q != NULL && memcmp(q, "0123456789", 11) == 0 &&
	    sqlite3_msize(q) >= 3000, "a realloc to a large block keeps the "
	    "bytes");
	p = sqlite3_realloc(q, 20);
	ok(p != NULL && memcmp(p, "0123456789", 11) == 0 &&
	    sqlite3_msize(p) >= 20, "and back to a small one");
	sqlite3_free(p);
	ok(sqlite3_msize(NULL) == 0, "nothing has no size");
	sqlite3_free(NULL);

	/* Blocks made by another thread, freed here, kept here. */
	pthread_create(&t, NULL, alloc_some, other);
	pthread_join(t, NULL);
	kept = sqlmem_kept(100);
	for (i = 0; i < 10; i++)
		sqlite3_free(other[i]);
	ok(sqlmem_kept(100) == kept + 10,
	    "another thread's blocks are kept by the one that frees them");

	pthread_create(&t, NULL, keep_some, NULL);
	pthread_join(t, &ret);
	ok((intptr_t)ret > 0, "a thread keeps its blocks while it runs");

	ok(sqlite3_open(":memory:", &db) == SQLITE_OK, "open a database");
	ok(sqlite3_exec(db, "CREATE TABLE t (n INTEGER, s TEXT);"
	    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c"
	    " WHERE n < 5000) INSERT INTO t SELECT n, printf('%0*d', n % 3000,"
	    " n) FROM c;", NULL, NULL, &err) == SQLITE_OK,
	    "5,000 rows of text up to 3,000 bytes");
	sqlite3_free(err);
	err = NULL;
	ok(sqlite3_exec(db, "SELECT sum(n) + sum(length(s)) FROM t", sum_cb,
	    &sum, &err) == SQLITE_OK && sum == 12502500LL + 6499510LL,
	    "read back whole");
	printf("# sum %lld\n", sum);
	sqlite3_free(err);
	ok(sqlite3_close(db) == SQLITE_OK, "close it");
	return (done_testing());
}
