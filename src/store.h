/*
 * The store: every read and write of ufod's SQLite database. Nothing outside
 * src/store*.c includes sqlite3.h. Reads return json-c objects shaped as the
 * API answers them; writes take the request's JSON object and validate it,
 * failing with UFO_EINVAL naming the field. Every write and the event that
 * announces it commit in one transaction.
 *
 * A struct store is shared by all HTTP threads. Reads run on a small pool
 * of read-only connections and see committed data only; writes run on one
 * connection, one at a time, each in its own transaction. Checkpoints run
 * on a thread of their own.
 */
#ifndef UFO_STORE_H
#define UFO_STORE_H

#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

struct store;

/* Who is asking: every call is scoped to the actor's fleet. */
struct store_actor {
	char	fleet[48];	/* fleet id, flt_… */
	char	user[48];	/* user id, usr_… */
	int	role;		/* enum role */
};

/* Filters of store_op_list; NULL / 0 means "not filtered". */
struct store_op_filter {
	const char	*mission;	/* mission key or id */
	const char	*status;	/* status name, or names joined by ',' */
	const char	*label;		/* label name */
	const char	*assignee;	/* "pilot:x", "user:x", "crew:x", "none" */
	const char	*q;		/* text in title/body, or a KEY-123 */
	const char	*parent;	/* sub-operations of this operation */
	const char	*archived;	/* NULL/"0": live, "1": archived, "all" */
	const char	*before;	/* page after this operation id/code */
	int64_t		 limit;		/* 0: default 100; at most 1000 */
};

/* Called after a transaction that appended events commits. */
typedef void (*store_notify_cb)(void *, int64_t);
/*
 * Called after commit once per wait key the transaction touched:
 * "claim:KIND" when a run of pilot kind KIND became claimable (wakes one
 * parked claim), "run:RUN_ID" when a run got messages or changed (wakes its
 * followers), "sweep" when a lease or a backoff began (the sweeper may
 * have had nothing to wait for), "auth" when credentials were taken away (a
 * token or rover revoked: every parked request must look at its own
 * again). A
 * transaction that makes several runs of a kind claimable names
 * "claim:KIND" once.
 */
typedef void (*store_wake_cb)(void *, const char *);

/*
 * A write its caller does not wait for: the functions taking one queue the
 * write and return; done(done_arg) is then called once, when the write is
 * committed (rc 0) or has failed (rc -1, err), on the writer's thread, or
 * at once on the caller's when it fails before it is queued. What the
 * caller passed stays its own, and must live, until then.
 */
struct store_async {
	int			 rc;
	struct ufo_error	 err;
	void			 (*done)(void *);
	void			*done_arg;
};

/* A rover authenticated by its token. */
struct store_rover {
	char	id[48];		/* rov_… */
	char	fleet[48];
	int	units;
};

/* Filters of store_run_list. */
struct store_run_filter {
	const char	*operation;	/* op id or code */
	const char	*status;	/* status name(s) joined by ',' */
	const char	*before;	/* page after this run id */
	int64_t		 limit;
};

int	 store_open(const char *, struct store **, struct ufo_error *);
void	 store_close(struct store *);
void	 store_set_notify(struct store *, store_notify_cb, void *);
void	 store_set_wake(struct store *, store_wake_cb, void *);
/* Shifts the store's clock by ms: tests expire leases without waiting. */
void	 store_set_clock(struct store *, int64_t);
/* First start: fleet, its owner (login), mission UFO, four pilots. Idempotent. */
int	 store_bootstrap(struct store *, const char *, struct ufo_error *);
/* The local owner of the default fleet, for Unix-socket callers. */
int	 store_local_actor(struct store *, struct store_actor *,
	     struct ufo_error *);
/* Switches actor to another fleet by id or name if the user belongs to it. */
int	 store_actor_fleet(struct store *, struct store_actor *, const char *,
	     struct ufo_error *);
/* Highest event id, 0 when none. */
int64_t	 store_event_last(struct store *);
/* PRAGMA quick_check: 0 when the database is sound. */
int	 store_check(struct store *, struct ufo_error *);

/* Fleets and members of the actor. */
int	 store_fleet_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
int	 store_member_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
/* Any user makes a fleet and owns it; owners rename and delete theirs. */
int	 store_fleet_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
int	 store_fleet_rename(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);
/*
 * Deletes the actor's fleet (ref must name it) and everything in it, in
 * one transaction; refused for the default fleet and while runs are
 * active or SSH hosts remain.
 */
int	 store_fleet_delete(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
/* Members by user id or email; the fleet always keeps an owner. */
int	 store_member_update(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);
int	 store_member_remove(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
/* 1 when the user owns the default fleet (may run the server), else 0. */
int	 store_server_owner(struct store *, const char *, struct ufo_error *);

/*
 * Passwords and login. Set needs the current password when one is set,
 * unless local (the socket's owner). Login answers a new token, as
 * store_token_create does, or UFO_EUNAUTH alike for a wrong password and
 * an unknown email.
 */
int	 store_password_set(struct store *, const struct store_actor *,
	     struct json_object *, int, struct json_object **,
	     struct ufo_error *);
int	 store_login(struct store *, struct json_object *,
	     struct json_object **, struct ufo_error *);

/* Invitations (admins): create returns the one-time code once ("code"). */
int	 store_invitation_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
int	 store_invitation_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
int	 store_invitation_revoke(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
/* Code, email, password (and name) to membership and a token; no actor. */
int	 store_invitation_accept(struct store *, struct json_object *,
	     struct json_object **, struct ufo_error *);

/* Tokens: create returns the plaintext once ("token"); only a hash is kept. */
int	 store_token_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
int	 store_token_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
int	 store_token_revoke(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
/* Resolves a bearer token to its actor; UFO_EUNAUTH when not valid. */
int	 store_token_authenticate(struct store *, const char *,
	     struct store_actor *, struct ufo_error *);

/* Missions: key/name/repo/branch. ref is a key or an id. */
int	 store_mission_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
int	 store_mission_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
int	 store_mission_get(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
int	 store_mission_update(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);

/*
 * Operations. ref is an id (op_…) or a code (KEY-123). Create answers with
 * the operation as JSON text, which the API sends as it is.
 */
int	 store_op_create(struct store *, const struct store_actor *,
	     struct json_object *, char **, struct ufo_error *);
void	 store_op_create_async(struct store *, const struct store_actor *,
	     struct json_object *, char **, struct store_async *);
int	 store_op_list(struct store *, const struct store_actor *,
	     const struct store_op_filter *, struct json_object **,
	     struct ufo_error *);
int	 store_op_get(struct store *, const struct store_actor *, const char *,
	     struct json_object **, struct ufo_error *);
int	 store_op_update(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);
int	 store_op_move(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);
int	 store_op_archive(struct store *, const struct store_actor *,
	     const char *, int, struct json_object **, struct ufo_error *);
int	 store_op_labels(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);

/* Relations between operations. */
int	 store_relation_create(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);
int	 store_relation_delete(struct store *, const struct store_actor *,
	     const char *, const char *, struct json_object **,
	     struct ufo_error *);

/* Comments on an operation, oldest first. */
int	 store_comment_create(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);
int	 store_comment_list(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);

/* Labels. */
int	 store_label_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
int	 store_label_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);

/* Pilot profiles. ref is a name or an id. */
int	 store_pilot_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
int	 store_pilot_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
int	 store_pilot_get(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
int	 store_pilot_update(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);

/* Crews: named groups of pilots and members with a captain. */
int	 store_crew_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
int	 store_crew_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);

/*
 * Events of the actor's fleet with id > since, oldest first, at most limit;
 * *last (if not NULL) the since of the next read.
 */
int	 store_event_list(struct store *, const struct store_actor *, int64_t,
	     int64_t, struct json_object **, int64_t *, struct ufo_error *);

/* Enrollment codes (shown once) and rovers. */
int	 store_code_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
/* Exchanges a code for {"rover":…, "token":"ufor_…"}; no actor needed. */
int	 store_rover_enroll(struct store *, struct json_object *,
	     struct json_object **, struct ufo_error *);
int	 store_rover_authenticate(struct store *, const char *,
	     struct store_rover *, struct ufo_error *);
int	 store_rover_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
int	 store_rover_get(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
int	 store_rover_update(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **,
	     struct ufo_error *);
int	 store_rover_revoke(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);

/*
 * The rover protocol. A claim, start, messages and finish answer with
 * JSON text, which the API sends as it is. A claim's "previous_usage" is
 * what earlier runs of the operation in the same pilot session reported
 * in all (null when none), for the rover to turn a CLI's cumulative
 * totals into this run's share.
 * Every call on a run checks the fencing token ("attempt") and that the
 * rover holds the run: UFO_ECONFLICT otherwise, changing nothing.
 * store_rover_idle says, from a reader, that a claim would find nothing
 * and write nothing (1), so that the claim can park without the writer.
 */
int	 store_rover_idle(struct store *, const struct store_rover *,
	     struct json_object *);
/*
 * What a claim handed out. text is the whole answer, {"run":{…}} and a
 * newline, written by the claim's own transaction (NULL when nothing was
 * claimed); when secret is set it holds the run's credentials and is to
 * be wiped once sent (store_claim_clear wipes it).
 */
struct store_claim {
	char	*text;
	size_t	 len;
	int	 secret;
	int64_t	 attempt;
	char	 id[48];
	char	 kind[64];		/* the run's pilot kind */
};
int	 store_rover_claim(struct store *, const struct store_rover *,
	     struct json_object *, struct store_claim *, struct ufo_error *);
/* The same, deferred: the claim is filled when as is done (rc 0). */
void	 store_rover_claim_async(struct store *, const struct store_rover *,
	     struct json_object *, struct store_claim *, struct store_async *);
void	 store_claim_clear(struct store_claim *);
int	 store_rover_heartbeat(struct store *, const struct store_rover *,
	     struct json_object *, struct json_object **, struct ufo_error *);
/* A rover's call on a run (id), deferred: its answer's text to *out. */
typedef void	(*store_run_async_fn)(struct store *,
		    const struct store_rover *, const char *,
		    struct json_object *, char **, struct store_async *);
int	 store_run_start(struct store *, const struct store_rover *,
	     const char *, struct json_object *, char **, struct ufo_error *);
void	 store_run_start_async(struct store *, const struct store_rover *,
	     const char *, struct json_object *, char **, struct store_async *);
int	 store_run_messages(struct store *, const struct store_rover *,
	     const char *, struct json_object *, char **, struct ufo_error *);
void	 store_run_messages_async(struct store *, const struct store_rover *,
	     const char *, struct json_object *, char **, struct store_async *);
int	 store_run_artifact_put(struct store *, const struct store_rover *,
	     const char *, const char *, int64_t, const void *, size_t,
	     struct json_object **, struct ufo_error *);
int	 store_run_finish(struct store *, const struct store_rover *,
	     const char *, struct json_object *, char **, struct ufo_error *);
void	 store_run_finish_async(struct store *, const struct store_rover *,
	     const char *, struct json_object *, char **, struct store_async *);
/* A claim's answer never reached the rover: requeues the run (id, attempt). */
int	 store_run_undelivered(struct store *, const struct store_rover *,
	     const char *, int64_t, struct ufo_error *);

/* Runs, as users see them. */
int	 store_run_list(struct store *, const struct store_actor *,
	     const struct store_run_filter *, struct json_object **,
	     struct ufo_error *);
int	 store_run_get(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
/* Messages with seq > since: {"items":[…],"last":seq,"done":bool}. */
int	 store_run_message_list(struct store *, const struct store_actor *,
	     const char *, int64_t, int64_t, struct json_object **,
	     struct ufo_error *);
/* The artifact's bytes (allocated) and its content type. */
int	 store_run_artifact_get(struct store *, const struct store_actor *,
	     const char *, const char *, void **, size_t *,
	     struct ufo_error *);
int	 store_run_cancel(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
int	 store_run_retry(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);

/* Signals of the actor, newest first. */
int	 store_signal_list(struct store *, const struct store_actor *, int,
	     struct json_object **, struct ufo_error *);
int	 store_signal_read(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);

/*
 * The sweeper's step: requeues or fails runs whose lease expired, wakes
 * claims for runs whose backoff ended. *next is the wall-clock time in ms of
 * the next lease expiry or backoff end, 0 when there is none.
 */
int	 store_sweep(struct store *, int64_t *, struct ufo_error *);

/*
 * The credentials vault (src/store-credentials.c). Values are sealed under
 * the master key given with store_vault_attach and never come back out but
 * in the answer to a claim of a run whose pilot names them.
 */
#define STORE_VAULT_KEY_SIZE	32
#define STORE_VAULT_ID_SIZE	33	/* hex of 16 bytes + NUL */
#define STORE_CRED_VALUE_MIN	6
#define STORE_CRED_VALUE_MAX	(64 * 1024)
/* The id of a master key: a hash keyed with it, safe to keep and show. */
void	 store_vault_key_id(const unsigned char *, char *, size_t);
/* The id of the database's key ("" none) and how many credentials it has. */
int	 store_vault_state(struct store *, char *, size_t, int64_t *,
	     struct ufo_error *);
/*
 * Uses key from now on. Records its id when the database has none, or
 * (replace set) has another but no credential; UFO_ECONFLICT, writing
 * nothing, when it is not the key the database knows.
 */
int	 store_vault_attach(struct store *, const unsigned char *, int,
	     struct ufo_error *);
/* Seals every credential under a new key in one transaction; *n of them. */
int	 store_vault_rotate(struct store *, const unsigned char *, int64_t *,
	     struct ufo_error *);
/* Credentials of the actor's fleet: name, env, who set them and when. */
int	 store_credential_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
/* {"env", "value"} under name: made or replaced (*created says which). */
int	 store_credential_set(struct store *, const struct store_actor *,
	     const char *, struct json_object *, struct json_object **, int *,
	     struct ufo_error *);
int	 store_credential_remove(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);

/* SSH hosts (src/store-ssh.c): rovers that ufod installs over SSH. */
int	 store_ssh_host_create(struct store *, const struct store_actor *,
	     struct json_object *, struct json_object **, struct ufo_error *);
/* One host by id or name; a NULL actor (the SSH manager) sees every
 * fleet's, by id. */
int	 store_ssh_host_get(struct store *, const struct store_actor *,
	     const char *, struct json_object **, struct ufo_error *);
/* The fleet's hosts, as a page of items. */
int	 store_ssh_host_list(struct store *, const struct store_actor *,
	     struct json_object **, struct ufo_error *);
/* Checks that a host (id or name) may be given up: it serves no rover. */
int	 store_ssh_host_cancel(struct store *, const struct store_actor *,
	     const char *, char *, size_t, struct ufo_error *);
/* The hosts ufod keeps connected at start: all but those never up. */
int	 store_ssh_host_resumable(struct store *, struct json_object **,
	     struct ufo_error *);
/* Sets the connection state and last error; announces a change. */
int	 store_ssh_host_state(struct store *, const char *, const char *,
	     const char *, struct ufo_error *);
/* Records the host's rover (NULL keeps it) and forwarded port. */
int	 store_ssh_host_bind(struct store *, const char *, const char *, int,
	     struct ufo_error *);
/* Deletes the host, announcing ssh_host.removed. */
int	 store_ssh_host_delete(struct store *, const char *,
	     struct ufo_error *);
/* The host serving a rover into id: 1 found, 0 none, -1 error. */
int	 store_ssh_host_of_rover(struct store *, const char *, char *, size_t,
	     struct ufo_error *);

#endif
