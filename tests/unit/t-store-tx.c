/*
 * Group commit (store_tx) against a real SQLite file: writes that queue
 * while one runs join its transaction, each in its own savepoint, so that
 * one that fails undoes only itself (its rows, its wake keys, its events)
 * and the others are committed once, up to STORE_BATCH_MAX writes a
 * transaction; a write alone is a transaction of its own; none is answered
 * before its COMMIT.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "store-internal.h"
#include "tap.h"

#define NJOBS	5
#define NMANY	(STORE_BATCH_MAX + 1)

static char		 fleet[64];

/* What a job does: insert its key, wake key and event, maybe fail. */
struct job {
	struct store		*s;
	const char		*key;
	int			 fail;		/* after its writes */
	int			 hold;		/* wait for the gate inside */
	int			 rc;
	int			 committed;	/* seen when answered */
	struct ufo_error	 err;
	pthread_t		 thread;
};

static pthread_mutex_t	 gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 gate_cond = PTHREAD_COND_INITIALIZER;
static int		 gate_open, gate_inside;
static int		 commits;
static char		 woken[64][32];
static int		 nwoken;
static int64_t		 notified;
static int		 waiting;	/* queued when the gate opened */

static int
on_commit(void *arg)
{
	(void)arg;
	commits++;
	return (0);
}

static void
on_wake(void *arg, const char *key)
{
	(void)arg;
	if (nwoken < 64)
		snprintf(woken[nwoken++], sizeof woken[0], "%s", key);
}

static void
on_notify(void *arg, int64_t id)
{
	(void)arg;
	notified = id;
}

static int
job_fn(struct store *s, void *arg, struct ufo_error *err)
{
	struct job	*j = arg;

	if (store_exec(s, err, "INSERT INTO t_tx (k) VALUES (?)", "s",
	    j->key) == -1)
		return (-1);
	store_wake_add(s, "claim:%s", j->key);
	if (store_event_add(s, err, fleet, "test.tx", j->key, NULL) != 0)
		return (-1);
	if (j->hold) {
		pthread_mutex_lock(&gate_lock);
		gate_inside = 1;
		pthread_cond_broadcast(&gate_cond);
		while (!gate_open)
			pthread_cond_wait(&gate_cond, &gate_lock);
		pthread_mutex_unlock(&gate_lock);
	}
	if (j->fail)
		return (err_set(err, UFO_ECONFLICT, "", "job %s refuses",
		    j->key));
	return (0);
}

/* Committed rows only: a reader does not see the writer's open work. */
static int
count_rows(struct store *s, const char *key)
{
	struct store	*r;
	int64_t		 n = -1;

	r = store_read(s);
	if (store_get_int(r, NULL, &n, "SELECT count(*) FROM t_tx WHERE k = ?",
	    "s", key) != 1)
		n = -1;
	store_read_end(r);
	return ((int)n);
}

static void *
job_main(void *arg)
{
	struct job	*j = arg;

	err_clear(&j->err);
	j->rc = store_tx(j->s, job_fn, j, &j->err);
	j->committed = j->rc == 0 ? count_rows(j->s, j->key) : -1;
	return (NULL);
}


/*
 * One write (held) holds the writer while the n jobs queue behind it, in
 * order; then the gate opens and all are answered.
 */
static void
held_round(struct store *s, struct job *held, struct job *jobs, int n)
{
	int	 i, tries;

	pthread_mutex_lock(&gate_lock);
	gate_open = gate_inside = 0;
	pthread_mutex_unlock(&gate_lock);
	held->s = s;
	held->hold = 1;
	pthread_create(&held->thread, NULL, job_main, held);
	pthread_mutex_lock(&gate_lock);
	while (!gate_inside)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	for (i = 0; i < n; i++) {
		jobs[i].s = s;
		pthread_create(&jobs[i].thread, NULL, job_main, &jobs[i]);
		/* In this order: the batch runs them as they queued. */
		for (tries = 0; store_tx_waiting(s) < i + 1 && tries < 5000;
		    tries++)
			usleep(1000);
	}
	waiting = store_tx_waiting(s);
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	pthread_join(held->thread, NULL);
	for (i = 0; i < n; i++)
		pthread_join(jobs[i].thread, NULL);
}

static int
setup_fn(struct store *s, void *arg, struct ufo_error *err)
{
	(void)arg;
	return (store_exec(s, err, "CREATE TABLE t_tx (k TEXT PRIMARY KEY)",
	    "") == -1 ? -1 : 0);
}

static int
was_woken(const char *key)
{
	char	 want[32];
	int	 i;

	snprintf(want, sizeof want, "claim:%s", key);
	for (i = 0; i < nwoken; i++) {
		if (strcmp(woken[i], want) == 0)
			return (1);
	}
	return (0);
}

int
main(void)
{
	struct store		*s;
	struct ufo_error	 err;
	struct job		 first, jobs[NJOBS], many[NMANY];
	char			 keys[NMANY][16];
	char			 dir[] = "/tmp/t-store-tx.XXXXXX", path[256];
	char			 cmd[300];
	int			 i, base, kept;
	int64_t			 before;
	static const struct {
		const char	*key;
		int		 fail;
		int		 rc;
	} plan[NJOBS] = {
		{ "b", 0, 0 },
		{ "c", 1, -1 },		/* fails after its insert */
		{ "d", 0, 0 },
		{ "b", 0, -1 },		/* a duplicate key: SQLite refuses */
		{ "e", 0, 0 },
	};

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (2);
	}
	snprintf(path, sizeof path, "%s/ufo.db", dir);
	if (!ok(store_open(path, &s, &err) == 0, "open a new database")) {
		printf("#   %s\n", err.message);
		return (done_testing());
	}
	err_clear(&err);
	if (!ok(store_bootstrap(s, "tester", &err) == 0, "bootstrap")) {
		printf("#   %s\n", err.message);
		return (done_testing());
	}
	store_lock(s);
	if (store_get_text(s, NULL, fleet, sizeof fleet,
	    "SELECT id FROM fleets ORDER BY rowid LIMIT 1", "") != 1)
		fleet[0] = '\0';
	store_unlock(s);
	ok(fleet[0] != '\0', "the default fleet");
	store_set_wake(s, on_wake, NULL);
	store_set_notify(s, on_notify, NULL);
	sqlite3_commit_hook(s->db, on_commit, NULL);

	/* Alone: a transaction of its own. */
	err_clear(&err);
	ok(store_tx(s, setup_fn, NULL, &err) == 0, "a lone write commits");
	is_int(commits, 1, "one COMMIT for it");
	ok(count_rows(s, "a") == 0, "the table is there, empty");

	/* One write holds the writer while five queue behind it. */
	memset(&first, 0, sizeof first);
	first.key = "a";
	memset(jobs, 0, sizeof jobs);
	for (i = 0; i < NJOBS; i++) {
		jobs[i].key = plan[i].key;
		jobs[i].fail = plan[i].fail;
	}
	base = commits;
	before = store_event_last(s);
	held_round(s, &first, jobs, NJOBS);
	is_int(waiting, NJOBS, "five writes wait for the writer");

	is_int(first.rc, 0, "the first write succeeds");
	is_int(first.committed, 1, "and is committed when answered");
	for (i = 0; i < NJOBS; i++) {
		char	 name[80];

		snprintf(name, sizeof name, "queued write %d (%s): %s", i,
		    plan[i].key, plan[i].rc == 0 ? "succeeds" : "fails");
		is_int(jobs[i].rc, plan[i].rc, name);
		if (plan[i].rc == 0) {
			snprintf(name, sizeof name, "write %d is committed "
			    "when answered", i);
			is_int(jobs[i].committed, 1, name);
		}
	}
	ok(jobs[1].err.code == UFO_ECONFLICT &&
	    strstr(jobs[1].err.message, "job c refuses") != NULL,
	    "the failed write has its own error");
	ok(jobs[3].err.code == UFO_ECONFLICT, "the duplicate is a conflict");
	is_int(commits - base, 1,
	    "one COMMIT: the five queued joined the first write's");

	is_int(count_rows(s, "a"), 1, "a is kept");
	is_int(count_rows(s, "b"), 1, "b is kept once");
	is_int(count_rows(s, "c"), 0, "c is undone");
	is_int(count_rows(s, "d"), 1, "d is kept though c failed before it");
	is_int(count_rows(s, "e"), 1, "e is kept though b's duplicate failed");

	ok(was_woken("b") && was_woken("d") && was_woken("e"),
	    "the kept writes' wake keys are called");
	ok(!was_woken("c"), "the undone write's wake key is not");
	/* a, b, d, e: four events after the first write's. */
	is_int(store_event_last(s) - before, 4,
	    "the undone write's event is not counted");
	is_int(notified, store_event_last(s),
	    "the last committed event is announced");

	/* The first write of the transaction fails: it alone is undone. */
	memset(&first, 0, sizeof first);
	first.key = "f";
	first.fail = 1;
	memset(jobs, 0, sizeof jobs);
	jobs[0].key = "g";
	jobs[1].key = "h";
	base = commits;
	nwoken = 0;
	held_round(s, &first, jobs, 2);
	ok(first.rc == -1 && first.err.code == UFO_ECONFLICT,
	    "a first write that fails has its own error");
	ok(jobs[0].rc == 0 && jobs[0].committed == 1 && jobs[1].rc == 0 &&
	    jobs[1].committed == 1,
	    "the writes queued behind it are committed when answered");
	is_int(count_rows(s, "f"), 0, "f is undone");
	is_int(commits - base, 1, "one COMMIT for the two kept");
	ok(was_woken("g") && was_woken("h") && !was_woken("f"),
	    "only the kept writes' wake keys are called");

	/* More than a transaction takes: the rest get the next one. */
	memset(&first, 0, sizeof first);
	first.key = "m";
	memset(many, 0, sizeof many);
	for (i = 0; i < NMANY; i++) {
		snprintf(keys[i], sizeof keys[i], "m%d", i);
		many[i].key = keys[i];
	}
	base = commits;
	held_round(s, &first, many, NMANY);
	for (i = 0, kept = first.committed == 1; i < NMANY; i++)
		kept += many[i].rc == 0 && many[i].committed == 1;
	is_int(kept, NMANY + 1, "every write of a long queue is committed");
	is_int(commits - base, 2, "in two COMMITs: a transaction takes "
	    "STORE_BATCH_MAX writes");

	store_close(s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return (done_testing());
}
