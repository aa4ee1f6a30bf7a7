/*
 * What the store's files share and nobody else sees: the struct behind
 * struct store, statement helpers that always bind, transactions, ids,
 * timestamps, events and the lookups one kind of record needs of another.
 * Every function here expects the caller to hold the lock of the store
 * (writer or reader) it is given.
 */
#ifndef UFO_STORE_INTERNAL_H
#define UFO_STORE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

#define STORE_ID_SIZE		32	/* "pfx_" + 20 base32 + NUL, rounded */
#define STORE_TS_SIZE		32	/* "2026-11-23T18:00:00.123Z" + NUL */
#define STORE_TIME_MAX_MS	253402300800000LL /* 10000-01-01 */
#define STORE_CACHE_SIZE	512	/* prepared statements kept, by SQL */
#define STORE_LIST_DEFAULT	100
#define STORE_LIST_MAX		1000
#define STORE_POSITION_STEP	1024
#define STORE_HASH_SIZE		65	/* hex BLAKE2b-256 + NUL */
#define STORE_LEASE_MS		30000	/* a claim's lease, renewed by beats */
#define STORE_BACKOFF_MAX_MS	60000	/* longest wait before a requeue */
#define STORE_SECRET_SIZE	80	/* prefix + 43 base64url + NUL */
#define STORE_READERS		4	/* read connections */
#define STORE_CKPT_FRAMES	4000	/* WAL pages that start a checkpoint */
#define STORE_CKPT_HARD		16000	/* pages that stop writers for one */
#define STORE_CKPT_TAIL		32	/* pages left for that one */
#define STORE_CKPT_PASSES	8	/* passes to leave only them */
#define STORE_BATCH_MAX		16	/* writes a transaction takes in */
#define STORE_HOT_SLOTS		256	/* rovers remembered as busy */
#define STORE_END_SLOTS		16	/* fleets whose board end is known */

struct store_cached {
	const char	*sql;
	sqlite3_stmt	*stmt;
};

/* A growing buffer of text. */
struct store_buf {
	char		*p;
	size_t		 len;
	size_t		 size;
};

/* What authentication remembers of a secret (by its hash) or the owner. */
struct store_auth {
	char			 hash[STORE_HASH_SIZE];
	int			 kind;		/* STORE_AUTH_* */
	char			 id[48];	/* rover or token id */
	char			 fleet[48];
	char			 user[48];
	int			 role;
	int			 units;
	char			 expires[STORE_TS_SIZE]; /* "" never */
	int64_t			 used_ms;	/* last_used_at written */
	struct store_auth	*next;
};
#define STORE_AUTH_ROVER	1
#define STORE_AUTH_TOKEN	2
#define STORE_AUTH_LOCAL	3

/*
 * A connection and what goes with it. The store itself is the writer: one
 * connection, used under its lock. Readers are stores of their own (parent
 * set), each with its own connection, statement cache and lock, reading
 * committed data only. A checkpointer thread has a connection of its own.
 */
struct store {
	pthread_mutex_t		 lock;
	sqlite3			*db;
	char			*path;
	struct store		*parent;	/* a reader: its writer */

	store_notify_cb		 notify;
	void			*notify_arg;
	int64_t			 last_event;	/* highest committed event */
	int64_t			 notify_pending; /* to announce at unlock */

	/* Wait keys: collected by the open transaction, called after the
	 * COMMIT and unlock. */
	store_wake_cb		 wake;
	void			*wake_arg;
	struct store_keys {
		char		**v;
		size_t		  n;
		size_t		  size;
	}			 wake_tx, wake_ready;

	/* Group commit: write transactions waiting for the writer thread,
	 * which sleeps on w_cond while there are none. */
	pthread_mutex_t		 q_lock;
	pthread_cond_t		 w_cond;
	struct store_job	*q_head;
	struct store_job	**q_tail;
	pthread_t		 writer;
	int			 writer_running;
	int			 writer_idle;
	int			 writer_stop;

	int			 in_tx;
	int64_t			 tx_event;	/* last event of the open tx */
	int			 tx_auth;	/* it changed credentials */
	char			 now[STORE_TS_SIZE]; /* the open tx's time */
	int64_t			 now_ms;	/* the same, ms since epoch */
	int64_t			 skew_ms;	/* store_set_clock */

	/* Statements handed out since the last reset. */
	sqlite3_stmt		*used[64];
	size_t			 nused;
	int			 used_overflow;

	/* Readers. */
	struct store		*readers[STORE_READERS];
	unsigned		 nreaders;
	unsigned		 next_reader;

	/* The checkpointer: its thread and connection. */
	pthread_t		 ckpt_thread;
	pthread_mutex_t		 ckpt_lock;
	pthread_cond_t		 ckpt_cond;
	sqlite3			*ckpt_db;
	int			 ckpt_running;
	int			 ckpt_stop;
	int			 wal_frames;	/* after the last COMMIT */
	int			 wal_done;	/* backfilled by the last pass */

	/* Authentication: secrets (by hash) and the local owner. */
	pthread_mutex_t		 auth_lock;
	uint64_t		 auth_gen;	/* bumped when credentials change */
	struct store_auth	**auth;
	size_t			 auth_size;	/* buckets, a power of 2 */
	size_t			 auth_n;

	/* The time the sweeper will look next (ms, 0: unknown). */
	int64_t			 sweep_next;

	/*
	 * The end of a fleet's board (store_op_end_position), written under
	 * the writer's lock: at or after every position in the fleet.
	 */
	struct store_end {
		char		 fleet[STORE_ID_SIZE];
		int64_t		 pos;
	}			 end[STORE_END_SLOTS];
	unsigned		 end_next;

	/* Rovers whose last claim got a run, by a hash of their id: their
	 * next claim skips the look for nothing to do (store_rover_idle). */
	pthread_mutex_t		 hot_lock;
	char			 hot[STORE_HOT_SLOTS][STORE_ID_SIZE];

	struct store_buf	 text;		/* event data being written */

	/* The vault's master key (sodium_malloc'd), NULL until attached. */
	unsigned char		*vault_key;

	struct store_cached	 cache[STORE_CACHE_SIZE];
};

/*
 * SQL fragments shared by the files that print operations and parties: a
 * party (assignee, captain, crew member) is a kind and an id, shown as
 * "kind:name".
 */
#define STORE_PARTY_SQL(k, i)						\
	"CASE " k							\
	" WHEN 'pilot' THEN 'pilot:' || (SELECT name FROM pilots"	\
	" WHERE id = " i ")"						\
	" WHEN 'user' THEN 'user:' || (SELECT email FROM users"		\
	" WHERE id = " i ")"						\
	" WHEN 'crew' THEN 'crew:' || (SELECT name FROM crews"		\
	" WHERE id = " i ") END"

/*
 * One operation as the API shows it; "o" and "m" come from STORE_OP_FROM.
 * Labels are sorted only when there are some: the sort's set-up is most
 * of what an operation without labels costs to show.
 */
#define STORE_OP_COLUMNS						\
	"o.id, m.key || '-' || o.number AS code, o.number,"		\
	" m.key AS mission, o.title, o.body,"				\
	" (SELECT name FROM statuses WHERE rank = o.status) AS status,"	\
	" o.priority, "							\
	STORE_PARTY_SQL("o.assignee_kind", "o.assignee_id")		\
	" AS assignee,"							\
	" CASE WHEN EXISTS (SELECT 1 FROM operation_labels"		\
	" WHERE op_id = o.id) THEN (SELECT json_group_array(name) FROM"	\
	" (SELECT l.name AS name FROM operation_labels ol"		\
	" JOIN labels l ON l.id = ol.label_id WHERE ol.op_id = o.id"	\
	" ORDER BY l.name)) ELSE '[]' END AS \"labels:json\","		\
	" (SELECT pm.key || '-' || p.number FROM operations p"		\
	" JOIN missions pm ON pm.id = p.mission_id"			\
	" WHERE p.id = o.parent_id) AS parent,"				\
	" o.require_tags AS \"require_tags:json\","			\
	" o.exclude_tags AS \"exclude_tags:json\","			\
	" o.position, o.archived_at IS NOT NULL AS \"archived:bool\","	\
	" o.archived_at, o.created_by, o.created_at, o.updated_at,"	\
	" (SELECT json_object('total', count(*), 'done',"		\
	" count(*) FILTER (WHERE c.status = 4)) FROM operations c"	\
	" WHERE c.parent_id = o.id AND c.archived_at IS NULL)"		\
	" AS \"children:json\""
#define STORE_OP_FROM							\
	" FROM operations o JOIN missions m ON m.id = o.mission_id"

/*
 * The default fleet (the first made, which cannot be deleted) and the
 * local user (the first made: the Unix socket's owner), as SQL values.
 */
#define STORE_DEFAULT_FLEET	"(SELECT id FROM fleets ORDER BY rowid LIMIT 1)"
#define STORE_LOCAL_USER	"(SELECT id FROM users ORDER BY rowid LIMIT 1)"

/* store.c: locking, transactions, statements, rows, ids, time. */
void		 store_lock(struct store *);
void		 store_unlock(struct store *);
struct store	*store_read(struct store *);
void		 store_read_end(struct store *);
int		 store_begin(struct store *, struct ufo_error *);
int		 store_end(struct store *, int, struct ufo_error *);
typedef int	(*store_tx_fn)(struct store *, void *, struct ufo_error *);
int		 store_tx(struct store *, store_tx_fn, void *,
		     struct ufo_error *);
/*
 * store_tx without the wait: arg (size bytes) is copied, fn runs on it in
 * a batch, then fini (when not NULL) with its rc, then a's done; at once
 * when the write cannot be queued.
 */
void		 store_tx_async(struct store *, store_tx_fn, const void *,
		     size_t, void (*)(void *, int), struct store_async *);
/* Ends an asynchronous write that failed before it was queued (a->err). */
void		 store_async_fail(struct store_async *);
/* Waiting for an asynchronous write: begin gives the store_async to pass. */
struct store_sync {
	struct store_async	 a;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 done;
};
struct store_async *store_sync_begin(struct store_sync *);
int		 store_sync_end(struct store_sync *, struct ufo_error *);
int		 store_tx_waiting(struct store *);
int		 store_sqlerr(struct store *, struct ufo_error *);
int		 store_pragmas(sqlite3 *, const char *, const char *,
		     struct ufo_error *);
sqlite3_stmt	*store_prepare(struct store *, struct ufo_error *,
		     const char *, const char *, ...);
sqlite3_stmt	*store_vprepare(struct store *, struct ufo_error *, int,
		     const char *, const char *, va_list);
int		 store_bindv(struct store *, sqlite3_stmt *, struct ufo_error *,
		     int, const char *, va_list);
int		 store_step(struct store *, sqlite3_stmt *, struct ufo_error *);
int		 store_exec(struct store *, struct ufo_error *, const char *,
		     const char *, ...);
int		 store_get_json(struct store *, struct ufo_error *,
		     struct json_object **, const char *, const char *, ...);
int		 store_get_list(struct store *, struct ufo_error *,
		     struct json_object **, const char *, const char *, ...);
int		 store_get_int(struct store *, struct ufo_error *, int64_t *,
		     const char *, const char *, ...);
int		 store_get_text(struct store *, struct ufo_error *, char *,
		     size_t, const char *, const char *, ...);
int		 store_get_row_text(struct store *, struct ufo_error *,
		     const char *, const char *, ...);
int		 store_get_answer(struct store *, struct ufo_error *, char **,
		     const char *, const char *, ...);
struct json_object *store_row_json(sqlite3_stmt *);
void		 store_row_text(sqlite3_stmt *, struct store_buf *);
char		*store_answer(const struct store_buf *);
struct json_object *store_list_wrap(struct json_object *, const char *);
int		 store_list_fleet(struct store *, const char *, const char *,
		     struct json_object **, struct ufo_error *);
void		 store_new_id(char *, const char *);
uint64_t	 store_hash(const char *, uint64_t);
void		 store_timestamp(char *, size_t, int64_t);
void		 store_time_format(char *, size_t, int64_t);
int64_t		 store_clock_ms(struct store *);
void		 store_wake_add(struct store *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
void		 store_sweep_at(struct store *, int64_t);
void		 store_auth_changed(struct store *);
void		 store_auth_revoked(struct store *);
int		 store_auth_get(struct store *, const char *, int,
		     struct store_auth *, uint64_t *);
void		 store_auth_put(struct store *, const struct store_auth *,
		     uint64_t);
typedef int	(*store_write_fn)(struct store *, const struct store_actor *,
		     const char *, struct json_object *, struct json_object **,
		     struct ufo_error *);
int		 store_write(struct store *, const struct store_actor *,
		     const char *, struct json_object *, struct json_object **,
		     store_write_fn, struct ufo_error *);
int		 store_need_role(const struct store_actor *, int, const char *,
		     struct ufo_error *);
int		 store_name_ok(const char *, int);
int		 store_blank(const char *);
int		 store_body(struct json_object *, const char *const *,
		     struct ufo_error *);
int		 store_is_null(struct json_object *, const char *);

/* store-schema.c */
int		 store_schema_migrate(struct store *, struct ufo_error *);

/* store-events.c */
int		 store_event_add(struct store *, struct ufo_error *,
		     const char *, const char *, const char *,
		     struct json_object *);
int		 store_event_row(struct store *, struct ufo_error *,
		     struct json_object **, char **, const char *,
		     const char *, const char *, const char *, const char *,
		     ...);


/* store-fleets.c: parties are "pilot:NAME", "user:EMAIL", "crew:NAME". */
int		 store_party_resolve(struct store *, const char *,
		     const char *, const char *, int, const char **, char *,
		     struct ufo_error *);
int		 store_fleet_insert(struct store *, const char *, char *,
		     struct ufo_error *);
int		 store_user_insert(struct store *, const char *, const char *,
		     char *, struct ufo_error *);
int		 store_member_insert(struct store *, const char *,
		     const char *, int, struct ufo_error *);
/* A new fleet's mission UFO and pilots claude, codex, goose, shell. */
int		 store_fleet_seed(struct store *, const struct store_actor *,
		     struct ufo_error *);

/* store-users.c: passwords (Argon2id), checked with no store lock held. */
#define STORE_PWHASH_SIZE	128	/* crypto_pwhash_STRBYTES */
int		 store_password_valid(const char *, const char *,
		     struct ufo_error *);
int		 store_password_hash(const char *, char *, struct ufo_error *);
int		 store_password_verify(const char *, const char *);
int		 store_user_hash(struct store *, const char *, char *, char *,
		     struct ufo_error *);

/* store-tokens.c: secrets are kept only as hashes. */
void		 store_token_hash(const char *, char *, size_t);
void		 store_token_generate(const char *, char *, size_t);
/*
 * A user token for fleet and user, named, expiring after expires_in
 * seconds (0: never); *out is its record with "token" added, shown once.
 */
int		 store_token_issue(struct store *, const char *, const char *,
		     const char *, int64_t, struct json_object **,
		     struct ufo_error *);

/* store-missions.c */
int		 store_mission_resolve(struct store *, const char *,
		     const char *, char *, struct ufo_error *);
int		 store_mission_insert(struct store *,
		     const struct store_actor *, const char *,
		     struct json_object *, struct json_object **,
		     struct ufo_error *);

/* store-operations.c */
int		 store_op_resolve(struct store *, const char *, const char *,
		     char *, struct ufo_error *);
int		 store_op_json(struct store *, const char *, const char *,
		     struct json_object **, struct ufo_error *);
int		 store_op_parse_code(const char *, char *, size_t, int64_t *);

int		 store_op_set_status(struct store *, const char *,
		     const char *, int, struct ufo_error *);
int		 store_op_move_to(struct store *, const char *, const char *,
		     int, const char *, int, struct ufo_error *);

/* store-comments.c */
int		 store_comment_items(struct store *, const char *,
		     struct json_object **, struct ufo_error *);
int		 store_comment_add(struct store *, const char *, const char *,
		     const char *, const char *, const char *,
		     struct ufo_error *);

/* store-rovers.c: tags are JSON arrays, sorted, each once. */
int		 store_rover_check_name(const char *, struct ufo_error *);
int		 store_tags_normalize(struct json_object *, const char *,
		     char **, struct ufo_error *);
/* Appends kind with the rover's snapshot; *out (when not NULL) gets it. */
int		 store_rover_announce(struct store *, const char *,
		     const char *, const char *, struct json_object **,
		     struct ufo_error *);

/* store-runs.c: dispatch, and what rovers and operations need of runs. */
#define STORE_DISPATCH_START	0	/* assigned: a run, full prompt */
#define STORE_DISPATCH_COMMENT	1	/* a human comment: resume */
#define STORE_DISPATCH_PENDING	2	/* a run ended: pending comments */
int		 store_run_dispatch(struct store *, const char *, const char *,
		     int, const char *, struct ufo_error *);
int		 store_run_target(struct store *, const char *, const char *,
		     int *, struct ufo_error *);
int		 store_run_plan(struct store *, const char *, const char *,
		     const char *, struct json_object **, struct ufo_error *);
int		 store_run_dispatch_new(struct store *, const char *,
		     const char *, const char *, const char *, const char *,
		     const char *, struct json_object *, const char *,
		     const char *, struct ufo_error *);
void		 store_op_slug(const char *, const char *, char *, size_t);
int		 store_run_check_idle(struct store *, const char *,
		     struct ufo_error *);
int		 store_run_unblock(struct store *, const char *, const char *,
		     struct ufo_error *);
int		 store_run_release_rover(struct store *, const char *,
		     struct ufo_error *);
int		 store_run_fail_queued(struct store *, const char *,
		     const char *, struct ufo_error *);
int		 store_run_json(struct store *, const char *,
		     struct json_object **, struct ufo_error *);
int		 store_run_claim_text(struct store *, const char *,
		     struct json_object *, struct store_claim *,
		     struct ufo_error *);
int		 store_run_announce(struct store *, const char *, const char *,
		     const char *, struct json_object **, char **,
		     struct ufo_error *);

/* store-credentials.c */
int		 store_credential_check_name(const char *, const char *,
		     struct ufo_error *);
int		 store_credential_claim(struct store *, const char *,
		     struct json_object **, char *, size_t,
		     struct ufo_error *);

/* store-signals.c */
int		 store_signal_fleet(struct store *, const char *, const char *,
		     const char *, const char *, const char *,
		     struct ufo_error *);

/* store-pilots.c: pilots and labels. */
int		 store_pilot_insert(struct store *, const struct store_actor *,
		     const char *, struct json_object *, struct json_object **,
		     struct ufo_error *);
int		 store_label_check_name(const char *, const char *,
		     struct ufo_error *);
int		 store_label_ensure(struct store *, const struct store_actor *,
		     const char *, char *, struct ufo_error *);

#endif
