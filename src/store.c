/*
 * The store's core: opening the database, the lock, transactions, the
 * statement cache and the helpers that turn rows into JSON, plus first-start
 * data and the local actor.
 */
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "sqlmem.h"
#include "walbuf.h"
#include "store-internal.h"
#include "xmalloc.h"

static void	store_reset_used(struct store *);
static int	store_verify_statuses(struct store *, struct ufo_error *);
static void	store_keys_clear(struct store_keys *);
static void	store_keys_move(struct store_keys *, struct store_keys *);
static void	store_auth_flush(struct store *);
static void	*store_ckpt_main(void *);
static int	 store_writer_start(struct store *, struct ufo_error *);
static void	 store_writer_stop(struct store *);

/* The VFS our connections use: WALBUF_VFS, or NULL for the default. */
static const char	*store_vfs;

/* Opens a connection to path with what every connection of ours sets. */
static int
store_conn_open(const char *path, int create, sqlite3 **dbp,
    struct ufo_error *err)
{
	sqlite3	*db = NULL;
	int	 rc;

	*dbp = NULL;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
	    store_vfs);
	if (rc != SQLITE_OK) {
		err_set(err, UFO_EINTERNAL, "", "database %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		log_error("store_open: %s", err->message);
		sqlite3_close(db);
		return (-1);
	}
	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_busy_timeout(db, 5000) != SQLITE_OK) {
		err_set(err, UFO_EINTERNAL, "", "database %s: %s", path,
		    sqlite3_errmsg(db));
		sqlite3_close(db);
		return (-1);
	}
	*dbp = db;
	return (0);
}

/*
 * Runs pragmas that take no parameters (and so are not kept prepared):
 * a connection's settings, a schema step's.
 */
int
store_pragmas(sqlite3 *db, const char *path, const char *pragmas,
    struct ufo_error *err)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, UFO_EINTERNAL, "", "database %s: %s", path,
		    msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

static struct store *
store_new(const char *path)
{
	struct store	*s;

	s = xcalloc(1, sizeof *s);
	s->q_tail = &s->q_head;
	if (pthread_mutex_init(&s->lock, NULL) != 0 ||
	    pthread_mutex_init(&s->q_lock, NULL) != 0 ||
	    pthread_cond_init(&s->w_cond, NULL) != 0 ||
	    pthread_mutex_init(&s->hot_lock, NULL) != 0)
		fatalx("store: cannot make a lock");
	s->path = xstrdup(path);
	return (s);
}

/*
 * Readers: connections of their own, so that reads (and authentication)
 * do not wait for the writer, and see committed data only.
 */
static int
store_open_readers(struct store *s, struct ufo_error *err)
{
	struct store	*r;
	unsigned	 i;

	for (i = 0; i < STORE_READERS; i++) {
		r = store_new(s->path);
		r->parent = s;
		if (store_conn_open(s->path, 0, &r->db, err) != 0 ||
		    store_pragmas(r->db, s->path, "PRAGMA query_only = 1;"
		    " PRAGMA temp_store = MEMORY; PRAGMA cache_size = -4096;",
		    err) != 0) {
			store_close(r);
			return (-1);
		}
		s->readers[s->nreaders++] = r;
	}
	return (0);
}

/*
 * Checkpoints run on a thread of their own with their own connection, so
 * that no request waits for the copy and the fsync: each COMMIT tells it
 * how long the WAL has grown (PRAGMA wal_autocheckpoint is off).
 */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store	*s = arg;

	(void)db;
	(void)name;
	pthread_mutex_lock(&s->ckpt_lock);
	if (frames < s->wal_done)
		s->wal_done = 0;	/* the WAL started over */
	__atomic_store_n(&s->wal_frames, frames, __ATOMIC_RELAXED);
	if (frames - s->wal_done >= STORE_CKPT_FRAMES)
		pthread_cond_signal(&s->ckpt_cond);
	pthread_mutex_unlock(&s->ckpt_lock);
	return (SQLITE_OK);
}

static int
store_ckpt_start(struct store *s, struct ufo_error *err)
{
	int	 error;

	if (store_conn_open(s->path, 0, &s->ckpt_db, err) != 0 ||
	    store_pragmas(s->ckpt_db, s->path,
	    "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -512;",
	    err) != 0)
		return (-1);
	if (pthread_mutex_init(&s->ckpt_lock, NULL) != 0 ||
	    pthread_cond_init(&s->ckpt_cond, NULL) != 0)
		fatalx("store: cannot make a lock");
	if ((error = pthread_create(&s->ckpt_thread, NULL, store_ckpt_main,
	    s)) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "checkpoint thread: %s",
		    strerror(error)));
	s->ckpt_running = 1;
	sqlite3_wal_hook(s->db, store_wal_hook, s);
	return (0);
}

/*
 * Flushes what a pass wrote, the database file and the WAL, outside the
 * lock: the pass that completes a checkpoint syncs both again, and then
 * there is little left to wait for.
 */
static void
store_ckpt_sync(struct store *s)
{
	sqlite3_file	*f = NULL;

	if (sqlite3_file_control(s->ckpt_db, "main",
	    SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK && f != NULL &&
	    f->pMethods != NULL)
		f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	f = NULL;
	if (sqlite3_file_control(s->ckpt_db, "main",
	    SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK && f != NULL &&
	    f->pMethods != NULL)
		f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

static void *
store_ckpt_main(void *arg)
{
	struct store	*s = arg;
	struct timespec	 ts;
	int		 log, done, rc, i;

	pthread_mutex_lock(&s->ckpt_lock);
	for (;;) {
		while (!s->ckpt_stop &&
		    s->wal_frames - s->wal_done < STORE_CKPT_FRAMES)
			pthread_cond_wait(&s->ckpt_cond, &s->ckpt_lock);
		if (s->ckpt_stop)
			break;
		pthread_mutex_unlock(&s->ckpt_lock);

		log = done = 0;
		rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		if (rc == SQLITE_OK)
			store_ckpt_sync(s);
		/* Most of what is left, outside the lock too. */
		for (i = 0; rc == SQLITE_OK && log >= STORE_CKPT_HARD &&
		    i < STORE_CKPT_PASSES && __atomic_load_n(&s->wal_frames,
		    __ATOMIC_RELAXED) - done > STORE_CKPT_TAIL; i++) {
			rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL,
			    SQLITE_CHECKPOINT_PASSIVE, &log, &done);
			if (rc == SQLITE_OK)
				store_ckpt_sync(s);
		}
		if (rc == SQLITE_OK && log >= STORE_CKPT_HARD) {
			/*
			 * Writers add pages faster than the WAL can start over
			 * (it does when a write begins with every page copied):
			 * stop them for one more pass, short after these.
			 */
			store_lock(s);
			rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL,
			    SQLITE_CHECKPOINT_PASSIVE, &log, &done);
			store_unlock(s);
			log_debug("store: checkpoint with writers stopped: "
			    "%d of %d pages", done, log);
		}

		pthread_mutex_lock(&s->ckpt_lock);
		if (rc == SQLITE_OK) {
			/* Unless the WAL started over meanwhile. */
			if (s->wal_frames >= done)
				s->wal_done = done;
		} else {
			/*
			 * Busy: a reader or writer caught the WAL index mid
			 * update, or another process checkpoints. Not at once
			 * again, but soon.
			 */
			if ((rc & 0xff) == SQLITE_BUSY)
				log_debug("store: checkpoint: %s",
				    sqlite3_errmsg(s->ckpt_db));
			else
				log_warn("store: checkpoint: %s",
				    sqlite3_errmsg(s->ckpt_db));
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (rc & 0xff) == SQLITE_BUSY ? 2000000 :
			    100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (!s->ckpt_stop)
				pthread_cond_timedwait(&s->ckpt_cond,
				    &s->ckpt_lock, &ts);
		}
	}
	pthread_mutex_unlock(&s->ckpt_lock);
	return (NULL);
}

static void
store_ckpt_stop(struct store *s)
{
	if (!s->ckpt_running)
		return;
	pthread_mutex_lock(&s->ckpt_lock);
	s->ckpt_stop = 1;
	pthread_cond_signal(&s->ckpt_cond);
	pthread_mutex_unlock(&s->ckpt_lock);
	pthread_join(s->ckpt_thread, NULL);
	s->ckpt_running = 0;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_destroy(&s->ckpt_lock);
	pthread_cond_destroy(&s->ckpt_cond);
}

/*
 * Before SQLite's first use: no memory statistics, which cost a global
 * mutex on every allocation (and SQLite allocates a lot), and its small
 * blocks kept by thread (sqlmem.c). A sanitizer build leaves SQLite on the
 * C library's allocator, which it watches. After it: the VFS that gathers
 * a commit's WAL writes into one (walbuf.c).
 */
static int	store_sqlite_ok;

static void
store_sqlite_init(void)
{
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_debug("store: SQLite is initialised already");
#ifndef __SANITIZE_ADDRESS__
	if (sqlmem_install() != 0)
		log_debug("store: SQLite keeps its own allocator");
#endif
	store_sqlite_ok = sqlite3_initialize() == SQLITE_OK;
	if (store_sqlite_ok && walbuf_install() == 0)
		store_vfs = WALBUF_VFS;
	else
		log_debug("store: the WAL's writes are not gathered");
}

int
store_open(const char *path, struct store **sp, struct ufo_error *err)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;

	struct store	*s;
	char		 mode[16];

	*sp = NULL;
	if (sodium_init() < 0)
		return (err_set(err, UFO_EINTERNAL, "", "libsodium could not "
		    "be initialised"));
	pthread_once(&once, store_sqlite_init);
	if (!store_sqlite_ok)
		return (err_set(err, UFO_EINTERNAL, "", "SQLite could not be "
		    "initialised"));
	s = store_new(path);
	if (pthread_mutex_init(&s->auth_lock, NULL) != 0)
		fatalx("store: cannot make a lock");
	s->auth_size = 256;
	s->auth = xcalloc(s->auth_size, sizeof *s->auth);

	if (store_conn_open(path, 1, &s->db, err) != 0)
		goto fail;

	/*
	 * A new database gets 2 KiB pages: a write dirties a few pages of
	 * each table and index it touches (ids are random), and each goes
	 * whole to the WAL, then to the file; smaller pages halve that. An
	 * existing database keeps the size it has.
	 */
	if (store_exec(s, err, "PRAGMA page_size = 2048", "") == -1)
		goto fail;
	/* WAL lets readers proceed during a write; NORMAL survives kill -9. */
	if (store_get_text(s, err, mode, sizeof mode,
	    "PRAGMA journal_mode = WAL", "") != 1)
		goto fail;
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		err_set(err, UFO_EINTERNAL, "", "database %s: cannot use WAL "
		    "mode (journal mode is %s)", path, mode);
		goto fail;
	}
	if (store_pragmas(s->db, path, "PRAGMA synchronous = NORMAL;"
	    " PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
	    " PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 0;"
	    " PRAGMA secure_delete = FAST;",
	    err) != 0)
		goto fail;

	if (store_schema_migrate(s, err) != 0 ||
	    store_verify_statuses(s, err) != 0)
		goto fail;
	if (store_get_int(s, err, &s->last_event,
	    "SELECT coalesce(max(id), 0) FROM events", "") != 1)
		goto fail;
	store_reset_used(s);
	if (store_open_readers(s, err) != 0 ||
	    (strcmp(mode, "wal") == 0 && store_ckpt_start(s, err) != 0) ||
	    store_writer_start(s, err) != 0)
		goto fail;
	*sp = s;
	return (0);

fail:
	store_close(s);
	return (-1);
}

void
store_close(struct store *s)
{
	sqlite3_stmt	*stmt;
	unsigned	 i;
	int		 rc;

	if (s == NULL)
		return;
	store_writer_stop(s);
	store_ckpt_stop(s);
	if (s->ckpt_db != NULL)
		sqlite3_close(s->ckpt_db);
	for (i = 0; i < s->nreaders; i++)
		store_close(s->readers[i]);
	if (s->db != NULL) {
		while ((stmt = sqlite3_next_stmt(s->db, NULL)) != NULL)
			sqlite3_finalize(stmt);
		/* Closing the last connection checkpoints, removes the WAL. */
		if ((rc = sqlite3_close(s->db)) != SQLITE_OK)
			log_error("%s: %s: %s", __func__, s->path,
			    sqlite3_errstr(rc));
	}
	store_keys_clear(&s->wake_tx);
	store_keys_clear(&s->wake_ready);
	free(s->wake_tx.v);
	free(s->wake_ready.v);
	free(s->text.p);
	if (s->vault_key != NULL)
		sodium_free(s->vault_key);
	if (s->parent == NULL) {
		store_auth_flush(s);
		free(s->auth);
		pthread_mutex_destroy(&s->auth_lock);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->q_lock);
	pthread_cond_destroy(&s->w_cond);
	pthread_mutex_destroy(&s->hot_lock);
	free(s->path);
	free(s);
}

void
store_set_notify(struct store *s, store_notify_cb cb, void *arg)
{
	store_lock(s);
	s->notify = cb;
	s->notify_arg = arg;
	store_unlock(s);
}

void
store_set_wake(struct store *s, store_wake_cb cb, void *arg)
{
	store_lock(s);
	s->wake = cb;
	s->wake_arg = arg;
	store_unlock(s);
}

void
store_set_clock(struct store *s, int64_t skew_ms)
{
	store_lock(s);
	__atomic_store_n(&s->skew_ms, skew_ms, __ATOMIC_RELAXED);
	s->sweep_next = 0;
	store_unlock(s);
}

int64_t
store_event_last(struct store *s)
{
	return (__atomic_load_n(&s->last_event, __ATOMIC_ACQUIRE));
}

int
store_check(struct store *s, struct ufo_error *err)
{
	struct store	*r;
	sqlite3_stmt	*stmt;
	const char	*msg;
	int		 rr, bad = 0;

	r = store_read(s);
	stmt = store_prepare(r, err, "PRAGMA quick_check", "");
	if (stmt == NULL) {
		store_read_end(r);
		return (-1);
	}
	while ((rr = store_step(r, stmt, err)) == 1) {
		msg = (const char *)sqlite3_column_text(stmt, 0);
		if (msg != NULL && strcmp(msg, "ok") != 0 && !bad) {
			err_set(err, UFO_EINTERNAL, "",
			    "database %s is damaged: %s", s->path, msg);
			log_error("%s: %s", __func__, err->message);
			bad = 1;
		}
	}
	store_read_end(r);
	if (rr == -1 || bad)
		return (-1);
	return (0);
}

/* The status table's ranks are the board order; it must match protocol.h. */
static int
store_verify_statuses(struct store *s, struct ufo_error *err)
{
	char	 name[32];
	int	 i, r;

	for (i = 0; i < OP_NSTATUS; i++) {
		r = store_get_text(s, err, name, sizeof name,
		    "SELECT name FROM statuses WHERE rank = ?", "d", i);
		if (r == -1)
			return (-1);
		if (r == 0 || strcmp(name, op_status_name(i)) != 0)
			return (err_set(err, UFO_EINTERNAL, "", "database %s: "
			    "status table does not match this ufod", s->path));
	}
	return (0);
}

/* Locking. */

void
store_lock(struct store *s)
{
	if (pthread_mutex_lock(&s->lock) != 0)
		fatalx("%s: pthread_mutex_lock failed", __func__);
}

/*
 * Leaves no statement running, so no read snapshot outlives a call. Only
 * the statements handed out since the last reset can be running.
 */
static void
store_reset_used(struct store *s)
{
	sqlite3_stmt	*stmt = NULL;
	size_t		 i;

	if (s->used_overflow) {
		while ((stmt = sqlite3_next_stmt(s->db, stmt)) != NULL) {
			if (sqlite3_stmt_busy(stmt))
				sqlite3_reset(stmt);
		}
	} else {
		for (i = 0; i < s->nused; i++) {
			if (sqlite3_stmt_busy(s->used[i]))
				sqlite3_reset(s->used[i]);
		}
	}
	s->nused = 0;
	s->used_overflow = 0;
}

/*
 * Unlocks, then announces a committed event and the wait keys the
 * committed transactions touched, outside the lock: the callbacks may take
 * other locks or call back into the store.
 */
void
store_unlock(struct store *s)
{
	store_notify_cb		 cb;
	store_wake_cb		 wcb;
	struct store_keys	 keys;
	void			*arg, *warg;
	int64_t			 ev;
	size_t			 i;

	if (s->in_tx) {
		log_error("%s: transaction left open; rolling back", __func__);
		store_end(s, -1, NULL);
	}
	store_reset_used(s);
	ev = s->notify_pending;
	s->notify_pending = 0;
	cb = s->notify;
	arg = s->notify_arg;
	wcb = s->wake;
	warg = s->wake_arg;
	keys = s->wake_ready;
	memset(&s->wake_ready, 0, sizeof s->wake_ready);
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatalx("%s: pthread_mutex_unlock failed", __func__);
	if (ev != 0 && cb != NULL)
		cb(arg, ev);
	for (i = 0; i < keys.n; i++) {
		if (wcb != NULL)
			wcb(warg, keys.v[i]);
	}
	store_keys_clear(&keys);
	free(keys.v);
}

/*
 * A reader for the calling thread: a free one if there is one, with a
 * read transaction open, so that what it reads is one committed snapshot.
 */
struct store *
store_read(struct store *s)
{
	struct store	*r;
	unsigned	 i, start;

	start = __atomic_fetch_add(&s->next_reader, 1, __ATOMIC_RELAXED);
	for (i = 0; i < s->nreaders; i++) {
		r = s->readers[(start + i) % s->nreaders];
		if (pthread_mutex_trylock(&r->lock) == 0)
			goto found;
	}
	r = s->readers[start % s->nreaders];
	if (pthread_mutex_lock(&r->lock) != 0)
		fatalx("%s: pthread_mutex_lock failed", __func__);
found:
	r->skew_ms = __atomic_load_n(&s->skew_ms, __ATOMIC_RELAXED);
	if (store_exec(r, NULL, "BEGIN", "") == -1)
		log_warn("%s: cannot begin a read: %s", __func__,
		    sqlite3_errmsg(r->db));
	return (r);
}

void
store_read_end(struct store *r)
{
	store_reset_used(r);
	if (!sqlite3_get_autocommit(r->db) &&
	    store_exec(r, NULL, "COMMIT", "") == -1) {
		log_warn("%s: %s", __func__, sqlite3_errmsg(r->db));
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (pthread_mutex_unlock(&r->lock) != 0)
		fatalx("%s: pthread_mutex_unlock failed", __func__);
}

/* Wait keys. */

static void
store_keys_clear(struct store_keys *k)
{
	size_t	 i;

	for (i = 0; i < k->n; i++)
		free(k->v[i]);
	k->n = 0;
}

static int
store_keys_has(const struct store_keys *k, const char *key)
{
	size_t	 i;

	for (i = 0; i < k->n; i++) {
		if (strcmp(k->v[i], key) == 0)
			return (1);
	}
	return (0);
}

/* Takes key into k unless k has it already. */
static void
store_keys_take(struct store_keys *k, char *key)
{
	if (store_keys_has(k, key)) {
		free(key);
		return;
	}
	if (k->n == k->size) {
		k->size = k->size == 0 ? 8 : k->size * 2;
		k->v = xreallocarray(k->v, k->size, sizeof *k->v);
	}
	k->v[k->n++] = key;
}

/* Moves every key of from into to. */
static void
store_keys_move(struct store_keys *to, struct store_keys *from)
{
	size_t	 i;

	for (i = 0; i < from->n; i++)
		store_keys_take(to, from->v[i]);
	from->n = 0;
}

/*
 * Notes a wait key ("claim:KIND", "run:ID") for the open transaction; it is
 * handed to the wake callback once, after COMMIT, and dropped on ROLLBACK.
 */
void
store_wake_add(struct store *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*key;

	if (!s->in_tx)
		fatalx("%s: outside a transaction", __func__);
	if (s->wake == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&key, fmt, ap) == -1)
		fatalx("%s: out of memory", __func__);
	va_end(ap);
	store_keys_take(&s->wake_tx, key);
}

/*
 * A lease or a backoff ends at when (ms): the sweeper is woken only if it
 * would sleep past it (store_sweep says when it looks next).
 */
void
store_sweep_at(struct store *s, int64_t when)
{
	if (s->sweep_next == 0 || when < s->sweep_next)
		store_wake_add(s, "sweep");
}

/* Transactions. */

int
store_begin(struct store *s, struct ufo_error *err)
{
	if (s->in_tx)
		fatalx("%s: nested transaction", __func__);
	s->now_ms = store_clock_ms(s);
	store_time_format(s->now, sizeof s->now, s->now_ms);
	s->tx_event = 0;
	s->tx_auth = 0;
	store_keys_clear(&s->wake_tx);
	if (store_exec(s, err, "BEGIN IMMEDIATE", "") == -1)
		return (-1);
	s->in_tx = 1;
	return (0);
}

/* Commits when rc is 0, else rolls back; returns the outcome. */
int
store_end(struct store *s, int rc, struct ufo_error *err)
{
	int	 r;

	if (!s->in_tx)
		return (rc == 0 ? 0 : -1);
	s->in_tx = 0;
	store_reset_used(s);
	if (rc == 0) {
		if (store_exec(s, err, "COMMIT", "") != -1) {
			if (s->tx_event != 0) {
				__atomic_store_n(&s->last_event, s->tx_event,
				    __ATOMIC_RELEASE);
				s->notify_pending = s->tx_event;
			}
			s->tx_event = 0;
			store_keys_move(&s->wake_ready, &s->wake_tx);
			/* Before it is answered: a revoked secret is
			 * refused at once. */
			if (s->tx_auth)
				store_auth_flush(s);
			s->tx_auth = 0;
			return (0);
		}
		store_reset_used(s);
	}
	s->tx_event = 0;
	s->tx_auth = 0;
	store_keys_clear(&s->wake_tx);
	if (!sqlite3_get_autocommit(s->db)) {
		r = sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		if (r != SQLITE_OK)
			log_error("%s: rollback: %s", __func__,
			    sqlite3_errmsg(s->db));
	}
	return (-1);
}

/* FNV-1a of a string from seed: where it goes in the store's tables. */
uint64_t
store_hash(const char *str, uint64_t seed)
{
	uint64_t	 h = seed;

	for (; *str != '\0'; str++)
		h = (h ^ (unsigned char)*str) * 0x100000001b3ULL;
	return (h);
}

/* Authentication: what secrets and the local owner resolve to. */

static size_t
store_auth_bucket(const struct store *s, const char *hash, int kind)
{
	return (store_hash(hash, (uint64_t)kind * 0x9e3779b97f4a7c15ULL) &
	    (s->auth_size - 1));
}

/* Hashes of secrets compare in constant time, whatever they hold. */
static int
store_auth_same(const char *a, const char *b)
{
	size_t	 len = strlen(a);

	return (len == strlen(b) && sodium_memcmp(a, b, len) == 0);
}

/*
 * Looks a secret's hash up: 1 found (*out filled), 0 not. *gen is the
 * generation to hand to store_auth_put with what the database says.
 */
int
store_auth_get(struct store *s, const char *hash, int kind,
    struct store_auth *out, uint64_t *gen)
{
	struct store_auth	*a;
	int			 found = 0;

	pthread_mutex_lock(&s->auth_lock);
	*gen = s->auth_gen;
	for (a = s->auth[store_auth_bucket(s, hash, kind)]; a != NULL;
	    a = a->next) {
		if (a->kind == kind && store_auth_same(a->hash, hash)) {
			*out = *a;
			out->next = NULL;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&s->auth_lock);
	return (found);
}

/*
 * Remembers what the database said of a secret, unless credentials changed
 * since the lookup began (gen): what was read may be stale.
 */
void
store_auth_put(struct store *s, const struct store_auth *in, uint64_t gen)
{
	struct store_auth	*a, **old, **slot;
	size_t			 i, n;

	pthread_mutex_lock(&s->auth_lock);
	if (gen != s->auth_gen)
		goto out;
	slot = &s->auth[store_auth_bucket(s, in->hash, in->kind)];
	for (a = *slot; a != NULL; a = a->next) {
		if (a->kind == in->kind && store_auth_same(a->hash, in->hash)) {
			*a = (struct store_auth){ .next = a->next };
			memcpy(a, in, offsetof(struct store_auth, next));
			goto out;
		}
	}
	if (s->auth_n >= s->auth_size) {
		old = s->auth;
		n = s->auth_size;
		s->auth_size *= 2;
		s->auth = xcalloc(s->auth_size, sizeof *s->auth);
		for (i = 0; i < n; i++) {
			while ((a = old[i]) != NULL) {
				old[i] = a->next;
				slot = &s->auth[store_auth_bucket(s, a->hash,
				    a->kind)];
				a->next = *slot;
				*slot = a;
			}
		}
		free(old);
		slot = &s->auth[store_auth_bucket(s, in->hash, in->kind)];
	}
	a = xmalloc(sizeof *a);
	*a = *in;
	a->next = *slot;
	*slot = a;
	s->auth_n++;
out:
	pthread_mutex_unlock(&s->auth_lock);
}

/* Forgets everything: credentials changed (called after their COMMIT). */
static void
store_auth_flush(struct store *s)
{
	struct store_auth	*a;
	size_t			 i;

	pthread_mutex_lock(&s->auth_lock);
	s->auth_gen++;
	for (i = 0; i < s->auth_size; i++) {
		while ((a = s->auth[i]) != NULL) {
			s->auth[i] = a->next;
			sodium_memzero(a, sizeof *a);
			free(a);
		}
	}
	s->auth_n = 0;
	pthread_mutex_unlock(&s->auth_lock);
}

/* The open request changes tokens, rovers or members. */
void
store_auth_changed(struct store *s)
{
	if (!s->in_tx)
		fatalx("%s: outside a transaction", __func__);
	s->tx_auth = 1;
}

/*
 * The open request takes credentials away: besides the cache, the requests
 * parked with them must hear it now (wake key "auth"), not at their end.
 */
void
store_auth_revoked(struct store *s)
{
	store_auth_changed(s);
	store_wake_add(s, "auth");
}

/* Statements. */

int
store_sqlerr(struct store *s, struct ufo_error *err)
{
	int	 code = sqlite3_extended_errcode(s->db);

	/* Checked before writing; reaching here means a lost race or a bug. */
	if (code == SQLITE_CONSTRAINT_UNIQUE ||
	    code == SQLITE_CONSTRAINT_PRIMARYKEY) {
		log_warn("store: %s", sqlite3_errmsg(s->db));
		return (err_set(err, UFO_ECONFLICT, "", "already exists (%s)",
		    sqlite3_errmsg(s->db)));
	}
	/* Another process holds the database longer than busy_timeout. */
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
		log_warn("store: %s", sqlite3_errmsg(s->db));
		return (err_set(err, UFO_EUNAVAIL, "", "database busy: %s",
		    sqlite3_errmsg(s->db)));
	}
	log_error("store: %s", sqlite3_errmsg(s->db));
	return (err_set(err, UFO_EINTERNAL, "", "database error: %s",
	    sqlite3_errmsg(s->db)));
}

static struct store_cached *
store_cache_slot(struct store *s, const char *sql)
{
	size_t	 h, i;

	/* Keyed by the SQL's address: each call site passes a literal. */
	h = ((uintptr_t)sql >> 3) % STORE_CACHE_SIZE;
	for (i = 0; i < STORE_CACHE_SIZE; i++) {
		struct store_cached *c = &s->cache[(h + i) % STORE_CACHE_SIZE];

		if (c->sql == NULL || c->sql == sql)
			return (c);
	}
	return (NULL);
}

/*
 * Binds values by a format: s string (NULL binds null), i int64_t, d int,
 * n null (no argument), b blob (pointer and size_t; must outlive the
 * statement's run). Parameters are numbered from 1 in order. Strings are
 * copied unless keep says the caller's outlive the statement's run (it is
 * run and reset before the caller's call returns).
 */
int
store_bindv(struct store *s, sqlite3_stmt *stmt, struct ufo_error *err,
    int keep, const char *fmt, va_list ap)
{
	const char	*str;
	const void	*blob;
	size_t		 len;
	int		 i, rc = SQLITE_OK;

	for (i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 's':
			str = va_arg(ap, const char *);
			if (str == NULL)
				rc = sqlite3_bind_null(stmt, i);
			else
				rc = sqlite3_bind_text(stmt, i, str, -1,
				    keep ? SQLITE_STATIC : SQLITE_TRANSIENT);
			break;
		case 'i':
			rc = sqlite3_bind_int64(stmt, i, va_arg(ap, int64_t));
			break;
		case 'd':
			rc = sqlite3_bind_int(stmt, i, va_arg(ap, int));
			break;
		case 'n':
			rc = sqlite3_bind_null(stmt, i);
			break;
		case 'b':
			/* Two arguments: the bytes and their size_t length. */
			blob = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(stmt, i, blob != NULL ? blob :
			    "", len, SQLITE_STATIC);
			break;
		default:
			fatalx("%s: bad format %c", __func__, *fmt);
		}
		if (rc != SQLITE_OK)
			return (store_sqlerr(s, err));
	}
	return (0);
}

/*
 * A cached statement for sql, reset and bound (keep: as store_bindv);
 * NULL on error.
 */
sqlite3_stmt *
store_vprepare(struct store *s, struct ufo_error *err, int keep,
    const char *sql, const char *fmt, va_list ap)
{
	struct store_cached	*c;
	sqlite3_stmt		*stmt;

	if ((c = store_cache_slot(s, sql)) == NULL)
		fatalx("%s: statement cache full", __func__);
	if (c->sql == NULL) {
		if (sqlite3_prepare_v3(s->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
			store_sqlerr(s, err);
			return (NULL);
		}
		c->sql = sql;
		c->stmt = stmt;
	}
	stmt = c->stmt;
	/* Reusing a statement mid-iteration would corrupt the outer loop. */
	if (sqlite3_stmt_busy(stmt))
		fatalx("%s: statement in use: %s", __func__, sql);
	if (s->nused < sizeof s->used / sizeof s->used[0])
		s->used[s->nused++] = stmt;
	else
		s->used_overflow = 1;
	sqlite3_clear_bindings(stmt);
	if (store_bindv(s, stmt, err, keep, fmt, ap) != 0)
		return (NULL);
	return (stmt);
}

sqlite3_stmt *
store_prepare(struct store *s, struct ufo_error *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;

	va_start(ap, fmt);
	stmt = store_vprepare(s, err, 0, sql, fmt, ap);
	va_end(ap);
	return (stmt);
}

/* 1 with a row, 0 when done (statement reset), -1 on error (reset). */
int
store_step(struct store *s, sqlite3_stmt *stmt, struct ufo_error *err)
{
	int	 rc;

	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return (1);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(stmt);
		return (0);
	}
	store_sqlerr(s, err);
	sqlite3_reset(stmt);
	return (-1);
}

/* Runs a statement to its end; returns the rows changed or -1. */
int
store_exec(struct store *s, struct ufo_error *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 r;

	va_start(ap, fmt);
	stmt = store_vprepare(s, err, 1, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return (-1);
	while ((r = store_step(s, stmt, err)) == 1)
		;
	if (r == -1)
		return (-1);
	return (sqlite3_changes(s->db));
}

/* The first row as an object: 1 found, 0 none (*out NULL), -1 error. */
int
store_get_json(struct store *s, struct ufo_error *err,
    struct json_object **out, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 r;

	*out = NULL;
	va_start(ap, fmt);
	stmt = store_vprepare(s, err, 1, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return (-1);
	if ((r = store_step(s, stmt, err)) == 1) {
		*out = store_row_json(stmt);
		sqlite3_reset(stmt);
	}
	return (r);
}

/* Every row as an array of objects: 0 or -1. */
int
store_get_list(struct store *s, struct ufo_error *err,
    struct json_object **out, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 r;

	*out = NULL;
	va_start(ap, fmt);
	stmt = store_vprepare(s, err, 1, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return (-1);
	*out = json_object_new_array();
	while ((r = store_step(s, stmt, err)) == 1)
		json_object_array_add(*out, store_row_json(stmt));
	if (r == -1) {
		json_object_put(*out);
		*out = NULL;
		return (-1);
	}
	return (0);
}

static int
store_vget_row_text(struct store *s, struct ufo_error *err, const char *sql,
    const char *fmt, va_list ap)
{
	sqlite3_stmt	*stmt;
	int		 r;

	if ((stmt = store_vprepare(s, err, 1, sql, fmt, ap)) == NULL)
		return (-1);
	if ((r = store_step(s, stmt, err)) == 1) {
		store_row_text(stmt, &s->text);
		sqlite3_reset(stmt);
	}
	return (r);
}

/* The first row as JSON text in s->text: 1 found, 0 none, -1. */
int
store_get_row_text(struct store *s, struct ufo_error *err, const char *sql,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = store_vget_row_text(s, err, sql, fmt, ap);
	va_end(ap);
	return (r);
}

/*
 * The first row as JSON text (store_row_json's naming), malloc'd and ending
 * in a newline, as an answer is sent: 1 found, 0 none (*out NULL), -1.
 */
int
store_get_answer(struct store *s, struct ufo_error *err, char **out,
    const char *sql, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	*out = NULL;
	va_start(ap, fmt);
	r = store_vget_row_text(s, err, sql, fmt, ap);
	va_end(ap);
	if (r == 1)
		*out = store_answer(&s->text);
	return (r);
}

/* The first column of the first row as an integer: 1, 0 none, -1. */
int
store_get_int(struct store *s, struct ufo_error *err, int64_t *out,
    const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 r;

	va_start(ap, fmt);
	stmt = store_vprepare(s, err, 1, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return (-1);
	if ((r = store_step(s, stmt, err)) == 1) {
		*out = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return (r);
}

/* The first column of the first row copied into buf ("" for null). */
int
store_get_text(struct store *s, struct ufo_error *err, char *buf, size_t len,
    const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	const char	*text;
	va_list		 ap;
	int		 r;

	va_start(ap, fmt);
	stmt = store_vprepare(s, err, 1, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return (-1);
	if ((r = store_step(s, stmt, err)) == 1) {
		text = (const char *)sqlite3_column_text(stmt, 0);
		if (text == NULL)
			text = "";
		if (strlen(text) >= len) {
			sqlite3_reset(stmt);
			return (err_set(err, UFO_EINTERNAL, "", "database "
			    "value too long"));
		}
		memcpy(buf, text, strlen(text) + 1);
		sqlite3_reset(stmt);
	}
	return (r);
}

/*
 * A row as an object keyed by column name. A name may carry a type after a
 * colon, because SQLite has neither: "x:bool" is a JSON boolean, "x:json"
 * text parsed as JSON (arrays and objects built by SQL).
 */
struct json_object *
store_row_json(sqlite3_stmt *stmt)
{
	struct json_object	*obj, *v;
	const char		*name, *type, *text;
	char			 key[64];
	size_t			 len;
	int			 i, n;

	obj = json_object_new_object();
	n = sqlite3_column_count(stmt);
	for (i = 0; i < n; i++) {
		name = sqlite3_column_name(stmt, i);
		if ((type = strchr(name, ':')) != NULL)
			len = (size_t)(type++ - name);
		else
			len = strlen(name);
		if (len >= sizeof key)
			len = sizeof key - 1;
		memcpy(key, name, len);
		key[len] = '\0';

		v = NULL;
		switch (sqlite3_column_type(stmt, i)) {
		case SQLITE_NULL:
			break;
		case SQLITE_INTEGER:
			if (type != NULL && strcmp(type, "bool") == 0)
				v = json_object_new_boolean(
				    sqlite3_column_int64(stmt, i) != 0);
			else
				v = json_object_new_int64(
				    sqlite3_column_int64(stmt, i));
			break;
		case SQLITE_FLOAT:
			v = json_object_new_double(
			    sqlite3_column_double(stmt, i));
			break;
		default:
			text = (const char *)sqlite3_column_text(stmt, i);
			if (text == NULL)
				break;
			if (type != NULL && strcmp(type, "json") == 0) {
				/* Empty sets are common: no parser for them. */
				if (strcmp(text, "[]") == 0)
					v = json_object_new_array();
				else if (strcmp(text, "{}") == 0)
					v = json_object_new_object();
				else if ((v = jsonx_parse_text(text)) == NULL)
					log_warn("%s: column %s: bad JSON",
					    __func__, key);
			} else
				v = json_object_new_string(text);
			break;
		}
		json_object_object_add(obj, key, v);
	}
	return (obj);
}

/*
 * JSON text of a row, written straight from the columns with the naming
 * of store_row_json: what an event carries, without building (and then
 * printing) json-c objects.
 */
static void
store_buf_reserve(struct store_buf *b, size_t n)
{
	size_t	 size;

	if (b->len + n <= b->size)
		return;
	size = b->size == 0 ? 4096 : b->size;
	while (size < b->len + n)
		size *= 2;
	b->p = xrealloc(b->p, size);
	b->size = size;
}

static void
store_buf_add(struct store_buf *b, const char *s, size_t n)
{
	store_buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void
store_buf_string(struct store_buf *b, const unsigned char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, run;
	unsigned char		 c;

	store_buf_reserve(b, n + 2);
	b->p[b->len++] = '"';
	for (i = 0, run = 0; i < n; i++) {
		c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		store_buf_add(b, (const char *)s + run, i - run);
		run = i + 1;
		store_buf_reserve(b, 6);
		b->p[b->len++] = '\\';
		switch (c) {
		case '"':
		case '\\':
			b->p[b->len++] = (char)c;
			break;
		case '\b':
			b->p[b->len++] = 'b';
			break;
		case '\f':
			b->p[b->len++] = 'f';
			break;
		case '\n':
			b->p[b->len++] = 'n';
			break;
		case '\r':
			b->p[b->len++] = 'r';
			break;
		case '\t':
			b->p[b->len++] = 't';
			break;
		default:
			b->p[b->len++] = 'u';
			b->p[b->len++] = '0';
			b->p[b->len++] = '0';
			b->p[b->len++] = hex[c >> 4];
			b->p[b->len++] = hex[c & 15];
			break;
		}
	}
	store_buf_add(b, (const char *)s + run, n - run);
	store_buf_add(b, "\"", 1);
}

/* An integer as JSON: without printf, which is most of a row's cost. */
static void
store_buf_int(struct store_buf *b, int64_t v)
{
	char		 num[24], *p = num + sizeof num;
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	store_buf_add(b, p, (size_t)(num + sizeof num - p));
}

void
store_row_text(sqlite3_stmt *stmt, struct store_buf *b)
{
	const char	*name, *type;
	char		 num[32];
	double		 d;
	size_t		 nlen;
	int		 i, n, len;

	b->len = 0;
	store_buf_add(b, "{", 1);
	n = sqlite3_column_count(stmt);
	for (i = 0; i < n; i++) {
		/* Our own names, in our SQL: nothing in them to escape. */
		name = sqlite3_column_name(stmt, i);
		type = strchr(name, ':');
		nlen = type != NULL ? (size_t)(type - name) : strlen(name);
		store_buf_reserve(b, nlen + 4);
		if (i > 0)
			b->p[b->len++] = ',';
		b->p[b->len++] = '"';
		memcpy(b->p + b->len, name, nlen);
		b->len += nlen;
		b->p[b->len++] = '"';
		b->p[b->len++] = ':';
		if (type != NULL)
			type++;
		switch (sqlite3_column_type(stmt, i)) {
		case SQLITE_NULL:
			store_buf_add(b, "null", 4);
			break;
		case SQLITE_INTEGER:
			if (type != NULL && strcmp(type, "bool") == 0) {
				if (sqlite3_column_int64(stmt, i) != 0)
					store_buf_add(b, "true", 4);
				else
					store_buf_add(b, "false", 5);
				break;
			}
			store_buf_int(b, sqlite3_column_int64(stmt, i));
			break;
		case SQLITE_FLOAT:
			d = sqlite3_column_double(stmt, i);
			if (d != d || d - d != 0) {
				store_buf_add(b, "null", 4);
				break;
			}
			len = snprintf(num, sizeof num, "%.17g", d);
			store_buf_add(b, num, (size_t)len);
			if (strpbrk(num, ".eE") == NULL)
				store_buf_add(b, ".0", 2);
			break;
		default:
			len = sqlite3_column_bytes(stmt, i);
			if (type != NULL && strcmp(type, "json") == 0 &&
			    len > 0)
				store_buf_add(b, (const char *)
				    sqlite3_column_text(stmt, i), (size_t)len);
			else
				store_buf_string(b, sqlite3_column_text(stmt,
				    i), (size_t)len);
			break;
		}
	}
	store_buf_add(b, "}", 1);
	store_buf_reserve(b, 1);
	b->p[b->len] = '\0';
}

/* A copy of the text in b, with the newline that ends an answer. */
char *
store_answer(const struct store_buf *b)
{
	char	*p;

	p = xmalloc(b->len + 2);
	memcpy(p, b->p, b->len);
	p[b->len] = '\n';
	p[b->len + 1] = '\0';
	return (p);
}

/* A list answer: {"items":[…],"next":null|cursor}; takes items. */
struct json_object *
store_list_wrap(struct json_object *items, const char *next)
{
	struct json_object	*obj;

	obj = json_object_new_object();
	json_object_object_add(obj, "items", items);
	json_object_object_add(obj, "next",
	    next != NULL ? json_object_new_string(next) : NULL);
	return (obj);
}

/*
 * A whole list of the fleet's rows, read on a reader: sql takes the fleet
 * id as its one parameter. The answer is {"items":[…],"next":null}.
 */
int
store_list_fleet(struct store *s, const char *fleet, const char *sql,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	int			 r;

	*out = NULL;
	s = store_read(s);
	r = store_get_list(s, err, &items, sql, "s", fleet);
	store_read_end(s);
	if (r == 0)
		*out = store_list_wrap(items, NULL);
	return (r);
}

/* Ids, time, validation. */

/*
 * prefix_ + 20 lowercase base32 characters: 10 of the time in ms, then 10
 * random (50 bits). The alphabet is in byte order, so ids sort by when
 * they were made: a new row's id goes at the end of its index, on a page
 * the rows made just before dirtied too, not on a random one of its own.
 */
void
store_new_id(char *buf, const char *prefix)
{
	static const char	 alphabet[] =
	    "234567abcdefghijklmnopqrstuvwxyz";
	unsigned char		 rnd[10];
	struct timespec		 ts;
	uint64_t		 ms;
	size_t			 i, len;

	len = strlen(prefix);
	if (len + 1 + 2 * sizeof rnd + 1 > STORE_ID_SIZE)
		fatalx("%s: prefix too long", __func__);
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	randombytes_buf(rnd, sizeof rnd);
	memcpy(buf, prefix, len);
	buf[len++] = '_';
	for (i = 0; i < 10; i++)
		buf[len++] = alphabet[(ms >> (5 * (9 - i))) & 31];
	for (i = 0; i < sizeof rnd; i++)
		buf[len++] = alphabet[rnd[i] & 31];
	buf[len] = '\0';
	sodium_memzero(rnd, sizeof rnd);
}

/* UTC now (plus offset seconds) as "2026-11-23T18:00:00.123Z". */
void
store_timestamp(char *buf, size_t len, int64_t offset)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	store_time_format(buf, len, ((int64_t)ts.tv_sec + offset) * 1000 +
	    ts.tv_nsec / 1000000);
}

/* Writes n as width digits at p. */
static void
store_digits(char *p, int64_t n, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

/*
 * Milliseconds since the epoch as "2026-11-23T18:00:00.123Z". Every write
 * stamps a time or two: the date is worked out from the day count (the
 * proleptic Gregorian calendar in eras of 400 years, whose days repeat),
 * not by gmtime_r and strftime, which take the time zone's lock and parse
 * a format each time. Out of 1970-9999, they do it.
 */
void
store_time_format(char *buf, size_t len, int64_t ms)
{
	struct tm	 tm;
	time_t		 t;
	char		 when[24], out[STORE_TS_SIZE];
	int64_t		 days, secs, era, doe, yoe, doy, mp, y, m, d;
	size_t		 n;

	if (ms < 0 || ms >= STORE_TIME_MAX_MS) {
		t = (time_t)(ms / 1000);
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%03dZ", when, (int)(ms % 1000));
		return;
	}
	days = ms / 86400000;
	secs = ms / 1000 % 86400;
	/* Days since 0000-03-01: leap days come at the end of a year. */
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	memcpy(out, "0000-00-00T00:00:00.000Z", 25);
	store_digits(out, y, 4);
	store_digits(out + 5, m, 2);
	store_digits(out + 8, d, 2);
	store_digits(out + 11, secs / 3600, 2);
	store_digits(out + 14, secs / 60 % 60, 2);
	store_digits(out + 17, secs % 60, 2);
	store_digits(out + 20, ms % 1000, 3);
	if (len == 0)
		return;
	n = len - 1 < 24 ? len - 1 : 24;
	memcpy(buf, out, n);
	buf[n] = '\0';
}

/* The store's clock in ms since the epoch (store_set_clock shifts it). */
int64_t
store_clock_ms(struct store *s)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    __atomic_load_n(&s->skew_ms, __ATOMIC_RELAXED));
}

/*
 * Group commit. Most of a write's cost is the COMMIT (every page it dirtied
 * goes to the WAL) and waiting for the writer, so writes queue: the writer
 * thread takes those queued and runs them in one transaction, and those
 * that queue while it runs too, each in a savepoint of its own so that one
 * that fails undoes only itself, then commits once and wakes their threads.
 * Alone, a write is a transaction of its own. No answer leaves before its
 * COMMIT.
 */
struct store_job {
	store_tx_fn		 fn;
	void			*arg;
	struct ufo_error	*err;
	int			 rc;
	void			 (*fini)(void *, int);
	struct store_async	*async;		/* told when it is done */
	struct store_job	*next;
};

/* A job's end: fini, then its owner told; j is freed. */
static void
store_job_end(struct store_job *j)
{
	struct store_async	*a = j->async;

	a->rc = j->rc;
	if (j->fini != NULL)
		j->fini(j->arg, j->rc);
	free(j);
	a->done(a->done_arg);
}

static void
store_job_fail(struct store_job *j, const struct ufo_error *why)
{
	j->rc = -1;
	if (j->err != NULL)
		*j->err = *why;
}

/* What a job's savepoint undoes in memory: keys, events, credentials. */
struct store_mark {
	int64_t		 tx_event;
	int		 tx_auth;
	size_t		 nkeys;
};

static void
store_mark_take(const struct store *s, struct store_mark *m)
{
	m->tx_event = s->tx_event;
	m->tx_auth = s->tx_auth;
	m->nkeys = s->wake_tx.n;
}

static void
store_mark_restore(struct store *s, const struct store_mark *m)
{
	s->tx_event = m->tx_event;
	s->tx_auth = m->tx_auth;
	while (s->wake_tx.n > m->nkeys)
		free(s->wake_tx.v[--s->wake_tx.n]);
}

/* Runs one job of several in its savepoint; 1 if it is kept. */
static int
store_job_run(struct store *s, struct store_job *j, struct ufo_error *e)
{
	struct store_mark	 m;

	if (store_exec(s, e, "SAVEPOINT job", "") == -1) {
		store_job_fail(j, e);
		return (0);
	}
	store_mark_take(s, &m);
	/* Each write has its own time, as if it were alone. */
	s->now_ms = store_clock_ms(s);
	store_time_format(s->now, sizeof s->now, s->now_ms);
	j->rc = j->fn(s, j->arg, j->err);
	store_reset_used(s);
	if (j->rc == 0 && store_exec(s, e, "RELEASE job", "") != -1)
		return (1);
	if (j->rc == 0)
		store_job_fail(j, e);
	if (sqlite3_get_autocommit(s->db))
		return (0);	/* the whole transaction is gone: see below */
	if (store_exec(s, e, "ROLLBACK TO job", "") == -1 ||
	    store_exec(s, e, "RELEASE job", "") == -1)
		log_warn("%s: %s", __func__, e->message);
	store_mark_restore(s, &m);
	return (0);
}

/* Up to max of the jobs queued, taken off the queue (q_lock held). */
static struct store_job *
store_queue_take(struct store *s, int max)
{
	struct store_job	*head = s->q_head, *j;
	int			 n;

	for (j = head, n = 1; j != NULL && n < max; j = j->next)
		n++;
	if (j == NULL || j->next == NULL) {
		s->q_head = NULL;
		s->q_tail = &s->q_head;
	} else {
		s->q_head = j->next;
		j->next = NULL;
	}
	return (head);
}

/* Fails the jobs from first to last that had succeeded: their tx is gone. */
static void
store_jobs_lost(struct store_job *first, struct store_job *last,
    const struct ufo_error *why)
{
	struct store_job	*j;

	for (j = first; j != NULL; j = j->next) {
		if (j->rc == 0)
			store_job_fail(j, why);
		if (j == last)
			break;
	}
}

/*
 * Runs batch in one transaction, and with it the writes that queue while
 * it runs, up to STORE_BATCH_MAX in all: a write that arrives during a
 * batch shares its COMMIT instead of waiting for it and paying its own.
 * The jobs taken are linked after batch. The first write of a transaction
 * runs bare (if it fails, the transaction is rolled back, with nothing
 * else in it); the others each in a savepoint.
 */
static void
store_batch_run(struct store *s, struct store_job *batch)
{
	struct store_job	*j, *first = NULL;
	struct ufo_error	 e;
	int			 n = 0, kept = 0;

	err_clear(&e);
	for (j = batch; j != NULL; j = j->next) {
		if (!s->in_tx) {
			if (store_begin(s, &e) != 0) {
				for (; j != NULL; j = j->next)
					store_job_fail(j, &e);
				return;
			}
			first = j;
			kept = 0;
		}
		if (kept == 0) {
			j->rc = j->fn(s, j->arg, j->err);
			store_reset_used(s);
			if (j->rc == 0)
				kept = 1;
			else
				store_end(s, -1, NULL);
		} else {
			kept += store_job_run(s, j, &e);
			if (sqlite3_get_autocommit(s->db)) {
				/*
				 * SQLite gave the transaction up (a full disk,
				 * say): what the jobs before did is lost with
				 * it; go on afresh.
				 */
				err_set(&e, UFO_EINTERNAL, "", "database "
				    "error: %s", sqlite3_errmsg(s->db));
				store_end(s, -1, NULL);
				store_jobs_lost(first, j, &e);
			}
		}
		if (++n < STORE_BATCH_MAX && j->next == NULL) {
			pthread_mutex_lock(&s->q_lock);
			j->next = store_queue_take(s, STORE_BATCH_MAX - n);
			pthread_mutex_unlock(&s->q_lock);
		}
	}
	if (s->in_tx && store_end(s, 0, &e) != 0)
		store_jobs_lost(first, NULL, &e);
}

/*
 * The writer thread: the only one that writes, so that the writes of many
 * requests share its transactions (and it is never one whose own request
 * waits on the others'). It runs what is queued, then tells the owners.
 */
static void *
store_writer_main(void *arg)
{
	struct store		*s = arg;
	struct store_job	*batch, *j, *next;

	pthread_mutex_lock(&s->q_lock);
	for (;;) {
		while (s->q_head == NULL && !s->writer_stop) {
			s->writer_idle = 1;
			pthread_cond_wait(&s->w_cond, &s->q_lock);
			s->writer_idle = 0;
		}
		if (s->q_head == NULL)
			break;
		batch = store_queue_take(s, STORE_BATCH_MAX);
		pthread_mutex_unlock(&s->q_lock);

		store_lock(s);
		store_batch_run(s, batch);
		store_unlock(s);

		for (j = batch; j != NULL; j = next) {
			next = j->next;
			store_job_end(j);
		}
		pthread_mutex_lock(&s->q_lock);
	}
	pthread_mutex_unlock(&s->q_lock);
	return (NULL);
}

static int
store_writer_start(struct store *s, struct ufo_error *err)
{
	int	 e;

	if ((e = pthread_create(&s->writer, NULL, store_writer_main, s)) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "database %s: cannot "
		    "start the writer: %s", s->path, strerror(e)));
	s->writer_running = 1;
	return (0);
}

/* Stops the writer once what is queued is written. */
static void
store_writer_stop(struct store *s)
{
	int	 e;

	if (!s->writer_running)
		return;
	pthread_mutex_lock(&s->q_lock);
	s->writer_stop = 1;
	pthread_cond_signal(&s->w_cond);
	pthread_mutex_unlock(&s->q_lock);
	/* writer_stop stays set: store_tx refuses from now on. */
	if ((e = pthread_join(s->writer, NULL)) != 0)
		log_warn("%s: %s: %s", __func__, s->path, strerror(e));
}

/* What store_tx queues: its function and argument, as they are. */
struct store_call {
	store_tx_fn	 fn;
	void		*arg;
};

static int
store_call_run(struct store *s, void *arg, struct ufo_error *err)
{
	struct store_call	*c = arg;

	return (c->fn(s, c->arg, err));
}

/* Runs fn(s, arg, err) in a write transaction, maybe with others. */
int
store_tx(struct store *s, store_tx_fn fn, void *arg, struct ufo_error *err)
{
	struct store_call	 c = { fn, arg };
	struct store_sync	 w;

	store_tx_async(s, store_call_run, &c, sizeof c, NULL,
	    store_sync_begin(&w));
	return (store_sync_end(&w, err));
}

void
store_tx_async(struct store *s, store_tx_fn fn, const void *arg, size_t size,
    void (*fini)(void *, int), struct store_async *a)
{
	struct store_job	*j;

	/* The job and its copy of arg in one block, arg aligned after it. */
	j = xcalloc(1, sizeof *j + size + 16);
	j->arg = (char *)j + ((sizeof *j + 15) & ~(size_t)15);
	memcpy(j->arg, arg, size);
	j->fn = fn;
	j->err = &a->err;
	j->async = a;
	j->fini = fini;
	err_clear(&a->err);
	pthread_mutex_lock(&s->q_lock);
	if (!s->writer_running || s->writer_stop) {
		pthread_mutex_unlock(&s->q_lock);
		j->rc = err_set(&a->err, UFO_EINTERNAL, "", "database %s is "
		    "closing", s->path);
		store_job_end(j);
		return;
	}
	*s->q_tail = j;
	s->q_tail = &j->next;
	if (s->writer_idle)
		pthread_cond_signal(&s->w_cond);
	pthread_mutex_unlock(&s->q_lock);
}

void
store_async_fail(struct store_async *a)
{
	a->rc = -1;
	a->done(a->done_arg);
}

static void
store_sync_done(void *arg)
{
	struct store_sync	*w = arg;

	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

struct store_async *
store_sync_begin(struct store_sync *w)
{
	memset(w, 0, sizeof *w);
	if (pthread_mutex_init(&w->lock, NULL) != 0 ||
	    pthread_cond_init(&w->cond, NULL) != 0)
		fatalx("%s: cannot make a lock", __func__);
	w->a.done = store_sync_done;
	w->a.done_arg = w;
	return (&w->a);
}

int
store_sync_end(struct store_sync *w, struct ufo_error *err)
{
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	if (w->a.rc != 0 && err != NULL)
		*err = w->a.err;
	return (w->a.rc);
}

/* Writes queued and not yet taken by a batch. */
int
store_tx_waiting(struct store *s)
{
	struct store_job	*j;
	int			 n = 0;

	pthread_mutex_lock(&s->q_lock);
	for (j = s->q_head; j != NULL; j = j->next)
		n++;
	pthread_mutex_unlock(&s->q_lock);
	return (n);
}

struct store_write_call {
	const struct store_actor	*a;
	const char			*ref;
	struct json_object		*in;
	struct json_object		**out;
	store_write_fn			 fn;
};

static int
store_write_job(struct store *s, void *arg, struct ufo_error *err)
{
	struct store_write_call	*c = arg;

	return (c->fn(s, c->a, c->ref, c->in, c->out, err));
}

/*
 * Runs fn (the actor, a reference and a body) in one write transaction;
 * *out is NULL when it fails.
 */
int
store_write(struct store *s, const struct store_actor *a, const char *ref,
    struct json_object *in, struct json_object **out, store_write_fn fn,
    struct ufo_error *err)
{
	struct store_write_call	 c = { a, ref, in, out, fn };
	int			 rc;

	*out = NULL;
	if ((rc = store_tx(s, store_write_job, &c, err)) != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}

/*
 * Fails with UFO_EFORBIDDEN unless the actor's role in its fleet is at
 * least role; what names the action, for the message.
 */
int
store_need_role(const struct store_actor *a, int role, const char *what,
    struct ufo_error *err)
{
	if (a->role >= role)
		return (0);
	return (err_set(err, UFO_EFORBIDDEN, "", "%s needs the %s role in "
	    "this fleet (you are %s)", what, role_name(role),
	    role_name(a->role)));
}

/*
 * A name of a fleet, crew or pilot: a letter or digit, then letters,
 * digits, '_', '.' or '-'; at most 64. Upper-case letters only when upper
 * is set.
 */
int
store_name_ok(const char *name, int upper)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len > 64)
		return (0);
	for (i = 0; i < len; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (upper && name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9'))
			continue;
		if (i > 0 && strchr("_.-", name[i]) != NULL)
			continue;
		return (0);
	}
	return (1);
}

/* True when a string holds nothing but white space. */
int
store_blank(const char *str)
{
	if (str == NULL)
		return (1);
	for (; *str != '\0'; str++) {
		if (strchr(" \t\r\n\v\f", *str) == NULL)
			return (0);
	}
	return (1);
}

/* A request body must be an object with only the allowed keys. */
int
store_body(struct json_object *in, const char *const *keys,
    struct ufo_error *err)
{
	if (in == NULL || !json_object_is_type(in, json_type_object))
		return (err_set(err, UFO_EINVAL, "", "request body must be a "
		    "JSON object"));
	return (jsonx_check_keys(in, keys, err));
}

/* True when key is present with an explicit null (which clears a field). */
int
store_is_null(struct json_object *in, const char *key)
{
	struct json_object	*v;

	return (in != NULL && json_object_object_get_ex(in, key, &v) &&
	    v == NULL);
}

/* First start and the local actor. */

static int
store_bootstrap_tx(struct store *s, const char *login, struct ufo_error *err)
{
	struct store_actor	 a;
	char			*email;
	int64_t			 n;
	int			 rc;

	if (store_get_int(s, err, &n, "SELECT count(*) FROM fleets", "") != 1)
		return (-1);
	if (n != 0)
		return (0);

	memset(&a, 0, sizeof a);
	a.role = ROLE_OWNER;
	email = xprintf("%s@localhost", login);
	rc = -1;
	if (store_fleet_insert(s, login, a.fleet, err) != 0 ||
	    store_user_insert(s, email, login, a.user, err) != 0 ||
	    store_member_insert(s, a.fleet, a.user, ROLE_OWNER, err) != 0 ||
	    store_fleet_seed(s, &a, err) != 0)
		goto out;
	log_info("first start: fleet %s, owner %s", login, email);
	rc = 0;
out:
	free(email);
	return (rc);
}

int
store_bootstrap(struct store *s, const char *login, struct ufo_error *err)
{
	int	 rc;

	if (store_blank(login) || strchr(login, '@') != NULL)
		return (err_set(err, UFO_EINVAL, "login", "login: \"%s\" is "
		    "not a usable user name", login != NULL ? login : ""));
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_bootstrap_tx(s, login, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	return (rc);
}

int
store_local_actor(struct store *s, struct store_actor *a,
    struct ufo_error *err)
{
	struct store_auth	 c;
	struct json_object	*row;
	struct store		*r;
	uint64_t		 gen;
	int			 rr;

	memset(a, 0, sizeof *a);
	if (store_auth_get(s, "", STORE_AUTH_LOCAL, &c, &gen)) {
		snprintf(a->fleet, sizeof a->fleet, "%s", c.fleet);
		snprintf(a->user, sizeof a->user, "%s", c.user);
		a->role = c.role;
		return (0);
	}
	r = store_read(s);
	rr = store_get_json(r, err, &row,
	    "SELECT mb.fleet_id AS fleet, mb.user_id AS user, mb.role"
	    " FROM members mb WHERE mb.fleet_id = " STORE_DEFAULT_FLEET
	    " AND mb.user_id = " STORE_LOCAL_USER, "");
	store_read_end(r);
	if (rr == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "no fleet yet: the "
		    "database has not been set up"));
	if (rr == -1)
		return (-1);
	snprintf(a->fleet, sizeof a->fleet, "%s", jsonx_str(row, "fleet"));
	snprintf(a->user, sizeof a->user, "%s", jsonx_str(row, "user"));
	a->role = role_from_name(jsonx_str(row, "role"));
	json_object_put(row);
	memset(&c, 0, sizeof c);
	c.kind = STORE_AUTH_LOCAL;
	snprintf(c.fleet, sizeof c.fleet, "%s", a->fleet);
	snprintf(c.user, sizeof c.user, "%s", a->user);
	c.role = a->role;
	store_auth_put(s, &c, gen);
	return (0);
}
