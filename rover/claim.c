#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claim.h"
#include "client.h"
#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "runner.h"
#include "workdir.h"
#include "xmalloc.h"

/* Pauses after a failed claim: 1 s, doubling, up to half a minute. */
#define CLAIM_BACKOFF_MIN	1000
#define CLAIM_BACKOFF_MAX	30000
/* A claim may take its wait plus this long before it counts as lost. */
#define CLAIM_MARGIN		30

TAILQ_HEAD(runner_list, runner);

/*
 * One registration being served. lock guards the lists, the counters
 * and the flags below it; cond announces any change of them.
 */
struct claim_reg {
	struct registration		 reg;
	const struct claim_config	*cf;
	char				*header;
	const char			*headers[2];
	struct client_config		 ccf;
	char				*outpost;
	struct runner_env		 renv;

	pthread_t			 thread;
	pthread_t			 heartbeat;
	pthread_mutex_t			 lock;
	pthread_cond_t			 cond;
	struct runner_list		 runs;		/* held */
	struct runner_list		 zombies;	/* ended, to join */
	int				 nruns;
	int				 units;
	int				 claimed;
	int				 hb_stop;
	int				 ended;
	int				 revoked;
	int				 refused;
	/* Read by curl's progress callback: they abort transfers. */
	volatile sig_atomic_t		 stop;
	volatile sig_atomic_t		 kill;
};

static void
claim_lock(struct claim_reg *cr)
{
	if (pthread_mutex_lock(&cr->lock) != 0)
		fatalx("pthread_mutex_lock");
}

static void
claim_unlock(struct claim_reg *cr)
{
	if (pthread_mutex_unlock(&cr->lock) != 0)
		fatalx("pthread_mutex_unlock");
}

/* Waits on cond until woken or until the monotonic time (ms). */
static void
claim_wait_until(struct claim_reg *cr, long long until)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(until / 1000);
	ts.tv_nsec = (long)(until % 1000) * 1000000L;
	(void)pthread_cond_timedwait(&cr->cond, &cr->lock, &ts);
}

static long long
claim_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Stops the registration for good: the server will not have it. */
static void
claim_refuse(struct claim_reg *cr, long status)
{
	claim_lock(cr);
	if (!cr->revoked && !cr->refused) {
		if (status == 401) {
			cr->revoked = 1;
			log_error("rover %s (%s) was revoked by %s: stopping "
			    "it; `ufo-rover remove %s` forgets it", cr->reg.name,
			    cr->reg.id, cr->reg.server, cr->reg.id);
		} else {
			cr->refused = 1;
			log_error("rover %s (%s): %s refuses it (HTTP %ld): "
			    "stopping it", cr->reg.name, cr->reg.id,
			    cr->reg.server, status);
		}
	}
	cr->stop = 1;
	cr->kill = 1;
	pthread_cond_broadcast(&cr->cond);
	claim_unlock(cr);
}

static void
claim_runner_refused(void *arg, long status)
{
	claim_refuse(arg, status);
}

/* A runner's thread ends: hand it to the claim thread to join. */
static void
claim_runner_done(struct runner *r, void *arg)
{
	struct claim_reg	*cr = arg;

	claim_lock(cr);
	TAILQ_REMOVE(&cr->runs, r, entry);
	cr->nruns--;
	TAILQ_INSERT_TAIL(&cr->zombies, r, entry);
	pthread_cond_broadcast(&cr->cond);
	claim_unlock(cr);
}

static void
claim_reap(struct claim_reg *cr)
{
	struct runner	*r;

	claim_lock(cr);
	while ((r = TAILQ_FIRST(&cr->zombies)) != NULL) {
		TAILQ_REMOVE(&cr->zombies, r, entry);
		claim_unlock(cr);
		if (pthread_join(r->thread, NULL) != 0)
			fatalx("pthread_join");
		runner_free(r);
		claim_lock(cr);
	}
	claim_unlock(cr);
}

static struct json_object *
claim_tags(const struct claim_reg *cr)
{
	struct json_object	*tags;
	size_t			 i;

	tags = json_object_new_array();
	for (i = 0; cr->cf->auto_tags != NULL && cr->cf->auto_tags[i] != NULL;
	    i++)
		json_object_array_add(tags,
		    json_object_new_string(cr->cf->auto_tags[i]));
	return (tags);
}

/* Reads a heartbeat answer: cancel, lost, revoked, units. */
static void
claim_heartbeat_answer(struct claim_reg *cr, struct json_object *ans)
{
	static const char *const lists[] = { "cancel", "lost" };
	struct json_object	*ids, *v, *rover;
	struct runner		*r;
	const char		*id;
	size_t			 i, j, n;
	int64_t			 units;

	if (json_object_object_get_ex(ans, "revoked", &v) &&
	    json_object_get_boolean(v)) {
		claim_refuse(cr, 401);
		return;
	}
	claim_lock(cr);
	for (j = 0; j < 2; j++) {
		if (!json_object_object_get_ex(ans, lists[j], &ids) ||
		    !json_object_is_type(ids, json_type_array))
			continue;
		n = json_object_array_length(ids);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(ids, i);
			if ((id = json_object_get_string(v)) == NULL)
				continue;
			TAILQ_FOREACH(r, &cr->runs, entry) {
				if (strcmp(r->id, id) != 0)
					continue;
				if (j == 0 && !atomic_exchange(&r->cancel, 1))
					log_info("%s: cancel requested", id);
				if (j == 1 && !atomic_exchange(&r->lost, 1))
					log_warn("%s: the server says the "
					    "lease is lost", id);
			}
		}
	}
	/* An admin may change the units while the rover runs. */
	if (json_object_object_get_ex(ans, "rover", &rover) &&
	    (units = jsonx_int(rover, "units", 0)) > 0 && units <= 1024 &&
	    units != cr->units) {
		log_info("rover %s: units %d -> %lld", cr->reg.name, cr->units,
		    (long long)units);
		cr->units = (int)units;
		pthread_cond_broadcast(&cr->cond);
	}
	claim_unlock(cr);
}

static void *
claim_heartbeat_main(void *arg)
{
	struct claim_reg	*cr = arg;
	struct client		*c;
	struct json_object	*body, *runs, *one, *ans;
	struct ufo_error	 err;
	struct runner		*r;
	long long		 next, interval;
	long			 status;
	int			 lease = 30, failing = 0;

	c = client_create(&cr->ccf);
	client_set_stop(c, &cr->kill);
	client_set_timeout(c, CLAIM_HEARTBEAT * 2);
	claim_lock(cr);
	for (;;) {
		interval = CLAIM_HEARTBEAT * 1000LL;
		TAILQ_FOREACH(r, &cr->runs, entry) {
			if (r->lease < lease)
				lease = r->lease;
		}
		if (lease * 1000LL / 3 < interval)
			interval = lease * 1000LL / 3;
		/* After a failure, try again sooner: the lease runs out. */
		if (failing)
			interval = interval < 2000 ? interval : 2000;
		next = claim_now() + interval;
		while (!cr->hb_stop && claim_now() < next)
			claim_wait_until(cr, next);
		if (cr->hb_stop)
			break;
		if (cr->nruns == 0 || cr->kill) {
			failing = 0;
			continue;
		}
		runs = json_object_new_array();
		TAILQ_FOREACH(r, &cr->runs, entry) {
			one = json_object_new_object();
			json_object_object_add(one, "id",
			    json_object_new_string(r->id));
			json_object_object_add(one, "attempt",
			    json_object_new_int64(r->attempt));
			json_object_array_add(runs, one);
		}
		body = json_object_new_object();
		json_object_object_add(body, "runs", runs);
		json_object_object_add(body, "auto_tags", claim_tags(cr));
		json_object_object_add(body, "free_units",
		    json_object_new_int(cr->units > cr->nruns ?
		    cr->units - cr->nruns : 0));
		claim_unlock(cr);

		err_clear(&err);
		ans = NULL;
		if (client_request(c, "POST", "/rover/heartbeat", body, &ans,
		    &err) == 0) {
			failing = 0;
			if (ans != NULL)
				claim_heartbeat_answer(cr, ans);
		} else {
			status = client_status(c);
			if (status == 401 || status == 403 || status == 426) {
				log_error("rover %s: heartbeat refused: %s",
				    cr->reg.name, err.message);
				claim_refuse(cr, status);
			} else if (!cr->kill) {
				if (!failing)
					log_warn("rover %s: heartbeat failed: "
					    "%s", cr->reg.name, err.message);
				failing = 1;
			}
		}
		json_object_put(ans);
		json_object_put(body);
		claim_lock(cr);
	}
	claim_unlock(cr);
	client_free(c);
	return (NULL);
}

/* Sleeps with the lock held until ms passed or the claiming stops. */
static void
claim_pause(struct claim_reg *cr, long long ms)
{
	long long	 until = claim_now() + ms;

	claim_lock(cr);
	while (!cr->stop && claim_now() < until)
		claim_wait_until(cr, until);
	claim_unlock(cr);
}

/* Takes a claimed run: a runner and its thread. */
static void
claim_take(struct claim_reg *cr, struct json_object *run)
{
	struct runner		*r;
	struct ufo_error	 err;
	struct json_object	*op, *pilot;

	err_clear(&err);
	if ((r = runner_create(&cr->renv, run, &err)) == NULL) {
		log_error("rover %s: %s", cr->reg.name, err.message);
		return;
	}
	if (!json_object_object_get_ex(run, "operation", &op))
		op = NULL;
	if (!json_object_object_get_ex(run, "pilot", &pilot))
		pilot = NULL;
	log_info("%s: claimed (%s, pilot %s, attempt %lld)", r->id,
	    jsonx_str(op, "code") != NULL ? jsonx_str(op, "code") : "?",
	    jsonx_str(pilot, "name") != NULL ? jsonx_str(pilot, "name") : "?",
	    (long long)r->attempt);
	claim_lock(cr);
	TAILQ_INSERT_TAIL(&cr->runs, r, entry);
	cr->nruns++;
	cr->claimed++;
	/* No claim may be left parked on the server to take another. */
	if (cr->cf->once)
		cr->stop = 1;
	/* The heartbeat may need to come sooner for a short lease. */
	pthread_cond_broadcast(&cr->cond);
	if (runner_start(r, &err) == -1) {
		/* Its lease runs out and the server hands it on. */
		TAILQ_REMOVE(&cr->runs, r, entry);
		cr->nruns--;
		claim_unlock(cr);
		log_error("%s", err.message);
		runner_free(r);
		return;
	}
	claim_unlock(cr);
}

static void *
claim_main(void *arg)
{
	struct claim_reg	*cr = arg;
	struct client		*c;
	struct json_object	*body, *ans, *run;
	struct ufo_error	 err;
	long long		 backoff = 0;
	long			 status;
	int			 free_units, rc;

	c = client_create(&cr->ccf);
	client_set_stop(c, &cr->stop);
	client_set_timeout(c, CLAIM_WAIT + CLAIM_MARGIN);
	if ((rc = pthread_create(&cr->heartbeat, NULL, claim_heartbeat_main,
	    cr)) != 0)
		fatalx("pthread_create: %s", strerror(rc));
	log_info("rover %s (%s): serving %s", cr->reg.name, cr->reg.id,
	    cr->reg.server);

	for (;;) {
		claim_reap(cr);
		claim_lock(cr);
		while (!cr->stop && cr->nruns >= cr->units &&
		    TAILQ_EMPTY(&cr->zombies))
			pthread_cond_wait(&cr->cond, &cr->lock);
		free_units = cr->units - cr->nruns;
		rc = cr->stop;
		claim_unlock(cr);
		if (rc)
			break;
		if (free_units <= 0)
			continue;	/* a zombie to join first */

		body = json_object_new_object();
		json_object_object_add(body, "wait",
		    json_object_new_int(CLAIM_WAIT));
		json_object_object_add(body, "auto_tags", claim_tags(cr));
		json_object_object_add(body, "free_units",
		    json_object_new_int(free_units));
		err_clear(&err);
		ans = NULL;
		rc = client_request(c, "POST", "/rover/claim", body, &ans,
		    &err);
		json_object_put(body);
		if (rc == -1) {
			status = client_status(c);
			if (cr->stop)
				break;
			if (status == 401 || status == 403 || status == 426) {
				log_error("rover %s: claim refused: %s",
				    cr->reg.name, err.message);
				claim_refuse(cr, status);
				break;
			}
			backoff = backoff == 0 ? CLAIM_BACKOFF_MIN :
			    backoff * 2 > CLAIM_BACKOFF_MAX ? CLAIM_BACKOFF_MAX :
			    backoff * 2;
			log_warn("rover %s: claim failed, again in %lld s: %s",
			    cr->reg.name, backoff / 1000, err.message);
			/* Some jitter so that many rovers do not march. */
			claim_pause(cr, backoff - backoff / 4 +
			    (long long)(random() % (backoff / 2 + 1)));
			continue;
		}
		if (backoff != 0)
			log_info("rover %s: claiming again", cr->reg.name);
		backoff = 0;
		if (ans != NULL && json_object_object_get_ex(ans, "run", &run) &&
		    json_object_is_type(run, json_type_object))
			claim_take(cr, run);
		json_object_put(ans);
	}

	/* Runs in flight finish (or die with kill), then the heartbeat. */
	claim_lock(cr);
	while (cr->nruns > 0 || !TAILQ_EMPTY(&cr->zombies)) {
		if (!TAILQ_EMPTY(&cr->zombies)) {
			claim_unlock(cr);
			claim_reap(cr);
			claim_lock(cr);
			continue;
		}
		pthread_cond_wait(&cr->cond, &cr->lock);
	}
	cr->hb_stop = 1;
	pthread_cond_broadcast(&cr->cond);
	claim_unlock(cr);
	if (pthread_join(cr->heartbeat, NULL) != 0)
		fatalx("pthread_join");
	client_free(c);

	claim_lock(cr);
	cr->ended = 1;
	claim_unlock(cr);
	log_info("rover %s: stopped", cr->reg.name);
	return (NULL);
}

struct claim_reg *
claim_start(const struct registration *reg, const struct claim_config *cf,
    struct ufo_error *err)
{
	struct claim_reg	*cr;
	pthread_condattr_t	 ca;
	int			 rc;

	cr = xcalloc(1, sizeof *cr);
	registry_reg_copy(&cr->reg, reg);
	cr->cf = cf;
	cr->units = reg->units > 0 ? reg->units : 1;
	TAILQ_INIT(&cr->runs);
	TAILQ_INIT(&cr->zombies);
	if ((cr->outpost = workdir_outpost(reg->id, err)) == NULL) {
		registry_reg_free(&cr->reg);
		free(cr);
		return (NULL);
	}
	cr->header = xprintf("%s: %d", UFO_ROVER_PROTOCOL_HEADER,
	    UFO_ROVER_PROTOCOL);
	cr->headers[0] = cr->header;
	cr->headers[1] = NULL;
	cr->ccf.url = cr->reg.server;
	cr->ccf.token = cr->reg.token;
	cr->ccf.ca_file = cr->reg.ca_file;
	cr->ccf.progname = "ufo-rover";
	cr->ccf.headers = cr->headers;
	cr->ccf.bearer_always = 1;
	cr->ccf.verbose = cf->verbose;
	cr->renv.client = &cr->ccf;
	cr->renv.outpost = cr->outpost;
	cr->renv.kill = &cr->kill;
	cr->renv.refused = claim_runner_refused;
	cr->renv.done = claim_runner_done;
	cr->renv.arg = cr;

	if (pthread_mutex_init(&cr->lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&cr->cond, &ca) != 0)
		fatalx("cannot set up a lock");
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&cr->thread, NULL, claim_main, cr)) != 0)
		fatalx("pthread_create: %s", strerror(rc));
	return (cr);
}

void
claim_stop(struct claim_reg *cr, int kill)
{
	claim_lock(cr);
	cr->stop = 1;
	if (kill)
		cr->kill = 1;
	pthread_cond_broadcast(&cr->cond);
	claim_unlock(cr);
}

int
claim_claimed(struct claim_reg *cr)
{
	int	 n;

	claim_lock(cr);
	n = cr->claimed;
	claim_unlock(cr);
	return (n);
}

int
claim_ended(struct claim_reg *cr)
{
	int	 ended;

	claim_lock(cr);
	ended = cr->ended;
	claim_unlock(cr);
	return (ended);
}

int
claim_free(struct claim_reg *cr)
{
	int	 rc;

	if (pthread_join(cr->thread, NULL) != 0)
		fatalx("pthread_join");
	rc = (cr->revoked || cr->refused) ? -1 : 0;
	pthread_cond_destroy(&cr->cond);
	pthread_mutex_destroy(&cr->lock);
	free(cr->header);
	free(cr->outpost);
	registry_reg_free(&cr->reg);
	free(cr);
	return (rc);
}
