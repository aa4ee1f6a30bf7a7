/*
 * SQLite's memory, kept per thread by size class.
 *
 * Debian builds SQLite without lookaside memory, so every small object of
 * a statement's run (cursors, cells, records) is a malloc and a free: more
 * than a thousand of each in one run lifecycle, a tenth of ufod's work.
 * Here blocks up to SQLMEM_MAX bytes come from a free list of their class
 * kept by the calling thread and go back to the freeing thread's list, up
 * to SQLMEM_CAP a class; anything else is the C library's.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlmem.h"

#define SQLMEM_MAX	1024		/* largest block kept */
#define SQLMEM_CAP	256		/* blocks kept a class and thread */
#define SQLMEM_HDR	16		/* before a block: alignment kept */
#define SQLMEM_LARGE	0xffffffffU	/* a block of the C library's */

/* Block sizes: 16-byte steps up to 128, then four a doubling. */
static const uint32_t sqlmem_sizes[] = {
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
	512, 640, 768, 896, 1024
};
#define SQLMEM_NCLASS	(sizeof sqlmem_sizes / sizeof sqlmem_sizes[0])

/* What precedes each block: its class, or its size when large. */
struct sqlmem_hdr {
	uint32_t	 class;
	uint32_t	 size;
	uint64_t	 pad;
};

/* A thread's free blocks, linked through their first bytes. */
struct sqlmem_cache {
	void		*head[SQLMEM_NCLASS];
	uint32_t	 n[SQLMEM_NCLASS];
	int		 keyed;
};

static __thread struct sqlmem_cache	 sqlmem_cache;
static pthread_key_t			 sqlmem_key;
static uint8_t				 sqlmem_class_of[SQLMEM_MAX / 16 + 1];

/* The class of a request of size bytes, by 16-byte step. */
static uint32_t
sqlmem_class(size_t size)
{
	if (size > SQLMEM_MAX)
		return (SQLMEM_LARGE);
	return (sqlmem_class_of[(size + 15) / 16]);
}

static struct sqlmem_hdr *
sqlmem_hdr(void *p)
{
	return ((struct sqlmem_hdr *)((char *)p - SQLMEM_HDR));
}

/* A thread that ends gives its blocks back to the C library. */
static void
sqlmem_drain(void *arg)
{
	struct sqlmem_cache	*c = arg;
	void			*p;
	size_t			 i;

	for (i = 0; i < SQLMEM_NCLASS; i++) {
		while ((p = c->head[i]) != NULL) {
			c->head[i] = *(void **)p;
			free(sqlmem_hdr(p));
		}
		c->n[i] = 0;
	}
	c->keyed = 0;
}

static void *
sqlmem_malloc(int n)
{
	struct sqlmem_cache	*c = &sqlmem_cache;
	struct sqlmem_hdr	*h;
	uint32_t		 class;
	void			*p;

	if (n < 0)
		return (NULL);
	class = sqlmem_class((size_t)n);
	if (class != SQLMEM_LARGE && (p = c->head[class]) != NULL) {
		c->head[class] = *(void **)p;
		c->n[class]--;
		return (p);
	}
	h = malloc(SQLMEM_HDR + (class == SQLMEM_LARGE ? (size_t)n :
	    sqlmem_sizes[class]));
	if (h == NULL)
		return (NULL);
	h->class = class;
	h->size = class == SQLMEM_LARGE ? (uint32_t)n : sqlmem_sizes[class];
	return ((char *)h + SQLMEM_HDR);
}

static void
sqlmem_free(void *p)
{
	struct sqlmem_cache	*c = &sqlmem_cache;
	struct sqlmem_hdr	*h;

	if (p == NULL)
		return;
	h = sqlmem_hdr(p);
	if (h->class == SQLMEM_LARGE || c->n[h->class] >= SQLMEM_CAP) {
		free(h);
		return;
	}
	/* The first block kept arms the thread's drain at its end. */
	if (!c->keyed) {
		c->keyed = 1;
		if (pthread_setspecific(sqlmem_key, c) != 0) {
			c->keyed = 0;
			free(h);
			return;
		}
	}
	*(void **)p = c->head[h->class];
	c->head[h->class] = p;
	c->n[h->class]++;
}

static int
sqlmem_size(void *p)
{
	return (p == NULL ? 0 : (int)sqlmem_hdr(p)->size);
}

static void *
sqlmem_realloc(void *p, int n)
{
	void	*q;
	int	 old;

	if (p == NULL)
		return (sqlmem_malloc(n));
	old = sqlmem_size(p);
	/* Within the block it has: nothing to move. */
	if (n >= 0 && n <= old && sqlmem_hdr(p)->class != SQLMEM_LARGE &&
	    sqlmem_class((size_t)n) == sqlmem_hdr(p)->class)
		return (p);
	if ((q = sqlmem_malloc(n)) == NULL)
		return (NULL);
	memcpy(q, p, (size_t)(old < n ? old : n));
	sqlmem_free(p);
	return (q);
}

static int
sqlmem_roundup(int n)
{
	uint32_t	 class;

	if (n < 0)
		return (n);
	class = sqlmem_class((size_t)n);
	if (class == SQLMEM_LARGE)
		return ((n + 7) & ~7);
	return ((int)sqlmem_sizes[class]);
}

static int
sqlmem_init(void *arg)
{
	(void)arg;
	return (SQLITE_OK);
}

static void
sqlmem_shutdown(void *arg)
{
	(void)arg;
}

int
sqlmem_install(void)
{
	static sqlite3_mem_methods methods = {
		sqlmem_malloc, sqlmem_free, sqlmem_realloc, sqlmem_size,
		sqlmem_roundup, sqlmem_init, sqlmem_shutdown, NULL
	};
	size_t	 step, class = 0;

	for (step = 0; step < sizeof sqlmem_class_of; step++) {
		while (sqlmem_sizes[class] < step * 16)
			class++;
		sqlmem_class_of[step] = (uint8_t)class;
	}
	if (pthread_key_create(&sqlmem_key, sqlmem_drain) != 0)
		return (-1);
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK)
		return (-1);
	return (0);
}

/* For tests: what the calling thread keeps of class size's blocks. */
int
sqlmem_kept(int size)
{
	uint32_t	 class = sqlmem_class((size_t)size);

	return (class == SQLMEM_LARGE ? 0 : (int)sqlmem_cache.n[class]);
}
