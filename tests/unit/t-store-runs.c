/*
 * The execution plane in the store, against real SQLite files: enrollment
 * codes and rovers, dispatch on assignment and on comments, claims (order,
 * tags, kinds, cost with a deep queue, two threads racing), the run's life
 * with fencing, messages and artifacts, finish and its effects on the
 * operation, cancel, retry, the sweeper's requeue and "lost", signals and
 * the wake keys announced after commit; the schema step that turns CHECKs'
 * IN lists into ORs, on a database of the version before it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "error.h"
#include "jsonx.h"
#include "protocol.h"
#include "store.h"
#include "store-test.h"
#include "tap.h"

/* One fresh database per group of tests. */
struct env {
	char			 dir[64];
	char			 path[128];
	struct store		*s;
	struct store_actor	 a;
};

/* What the wake callback saw. */
static struct {
	pthread_mutex_t		 lock;
	struct env		*e;
	char			 keys[16384];
	int			 calls;
	int			 visible;	/* run:ID already readable */
	int			 invisible;
} wakes = { .lock = PTHREAD_MUTEX_INITIALIZER };

typedef int (*run_fn)(struct store *, const struct store_rover *,
    const char *, struct json_object *, char **, struct ufo_error *);

static void
append(char *buf, const char *s, size_t size)
{
	size_t	 len = strlen(buf);

	if (len < size)
		snprintf(buf + len, size - len, "%s", s);
}

/* An answer's JSON text as an object (NULL stays NULL); frees the text. */
static struct json_object *
answer(char *text)
{
	struct json_object	*o;
	size_t			 len;

	if (text == NULL)
		return (NULL);
	len = strlen(text);
	if (len == 0 || text[len - 1] != '\n')
		printf("# an answer without its newline: %s\n", text);
	if ((o = json_tokener_parse(text)) == NULL)
		printf("# an answer that is not JSON: %s\n", text);
	free(text);
	return (o);
}

static const char *
str_at(struct json_object *obj, const char *key)
{
	const char	*v = obj != NULL ? jsonx_str(obj, key) : NULL;

	return (v != NULL ? v : "(null)");
}

static int
bool_at(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return (-1);
	return (json_object_get_boolean(v));
}

static int
is_null_at(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	return (obj != NULL && json_object_object_get_ex(obj, key, &v) &&
	    v == NULL);
}

static size_t
items_len(struct json_object *list)
{
	struct json_object	*items;

	if (list == NULL || !json_object_object_get_ex(list, "items", &items))
		return ((size_t)-1);
	return (json_object_array_length(items));
}

static struct json_object *
item(struct json_object *list, size_t i)
{
	struct json_object	*items;

	if (list == NULL || !json_object_object_get_ex(list, "items", &items))
		return (NULL);
	return (json_object_array_get_idx(items, i));
}

/* The kinds of the events after since, joined by commas. */
static char *
event_kinds(struct env *e, int64_t since)
{
	struct json_object	*list;
	struct ufo_error	 err;
	static char		 buf[8192];
	size_t			 i;

	buf[0] = '\0';
	if (store_event_list(e->s, &e->a, since, 1000, &list, NULL, &err) != 0)
		return ("(error)");
	for (i = 0; i < json_object_array_length(list); i++) {
		if (i > 0)
			append(buf, ",", sizeof buf);
		append(buf, jsonx_str(json_object_array_get_idx(list, i),
		    "kind"), sizeof buf);
	}
	json_object_put(list);
	return (buf);
}

static void
wake_cb(void *arg, const char *key)
{
	struct json_object	*run;
	struct ufo_error	 err;
	struct env		*e = arg;

	/* Reading the run takes the store's lock: it must be released. */
	if (strncmp(key, "run:", 4) == 0) {
		if (store_run_get(e->s, &e->a, key + 4, &run, &err) == 0) {
			json_object_put(run);
			pthread_mutex_lock(&wakes.lock);
			wakes.visible++;
			pthread_mutex_unlock(&wakes.lock);
		} else {
			pthread_mutex_lock(&wakes.lock);
			wakes.invisible++;
			pthread_mutex_unlock(&wakes.lock);
		}
	}
	pthread_mutex_lock(&wakes.lock);
	wakes.calls++;
	append(wakes.keys, key, sizeof wakes.keys);
	append(wakes.keys, " ", sizeof wakes.keys);
	pthread_mutex_unlock(&wakes.lock);
}

static void
wakes_clear(void)
{
	pthread_mutex_lock(&wakes.lock);
	wakes.keys[0] = '\0';
	wakes.calls = wakes.visible = wakes.invisible = 0;
	pthread_mutex_unlock(&wakes.lock);
}

/* How often key appears in the wake log. */
static int
wakes_count(const char *key)
{
	char	 want[128];
	char	*p;
	int	 n = 0;

	snprintf(want, sizeof want, "%s ", key);
	pthread_mutex_lock(&wakes.lock);
	for (p = wakes.keys; (p = strstr(p, want)) != NULL; p++) {
		if (p == wakes.keys || p[-1] == ' ')
			n++;
	}
	pthread_mutex_unlock(&wakes.lock);
	return (n);
}

static void
env_open(struct env *e, const char *name)
{
	struct ufo_error	 err;

	memset(e, 0, sizeof *e);
	snprintf(e->dir, sizeof e->dir, "/tmp/t-store-runs.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(e->path, sizeof e->path, "%s/ufo.db", e->dir);
	if (store_open(e->path, &e->s, &err) != 0 ||
	    store_bootstrap(e->s, "tester", &err) != 0 ||
	    store_local_actor(e->s, &e->a, &err) != 0) {
		printf("Bail out! %s: %s\n", name, err.message);
		exit(1);
	}
	printf("# %s\n", name);
	wakes.e = e;
	wakes_clear();
	store_set_wake(e->s, wake_cb, e);
}

static void
env_close(struct env *e)
{
	struct ufo_error	 err;
	char			 cmd[128];

	ok(store_check(e->s, &err) == 0, "database sound");
	store_close(e->s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", e->dir);
}

/* Calls. */

static struct json_object *
code_new(struct env *e, const char *body, struct ufo_error *err)
{
	struct json_object	*in, *out = NULL;

	in = mk("%s", body);
	if (store_code_create(e->s, &e->a, in, &out, err) != 0)
		out = NULL;
	json_object_put(in);
	return (out);
}

static struct json_object *
enroll_with(struct env *e, const char *code, const char *extra,
    struct ufo_error *err)
{
	struct json_object	*in, *out = NULL;

	in = mk("{\"code\":\"%s\",\"version\":\"0.1.0\",\"host\":\"box\"%s%s}",
	    code, *extra != '\0' ? "," : "", extra);
	err_clear(err);
	if (store_rover_enroll(e->s, in, &out, err) != 0)
		out = NULL;
	json_object_put(in);
	return (out);
}

/* A rover with these auto tags (a JSON array), authenticated into rv. */
static int
rover_new(struct env *e, const char *name, const char *autos,
    const char *tags, struct store_rover *rv)
{
	struct json_object	*code, *r;
	struct ufo_error	 err;
	char			 extra[512];
	int			 rc = -1;

	memset(rv, 0, sizeof *rv);
	if ((code = code_new(e, "{}", &err)) == NULL)
		return (-1);
	snprintf(extra, sizeof extra, "\"name\":\"%s\",\"auto_tags\":%s,"
	    "\"tags\":%s", name, autos, tags);
	r = enroll_with(e, str_at(code, "code"), extra, &err);
	if (r != NULL && store_rover_authenticate(e->s, str_at(r, "token"), rv,
	    &err) == 0)
		rc = 0;
	else
		printf("# rover %s: %s\n", name, err.message);
	json_object_put(code);
	json_object_put(r);
	return (rc);
}

static struct json_object *
op_new(struct env *e, const char *body, struct ufo_error *err)
{
	struct json_object	*in;
	char			*out = NULL;

	in = mk("%s", body);
	err_clear(err);
	if (store_op_create(e->s, &e->a, in, &out, err) != 0)
		out = NULL;
	json_object_put(in);
	return (answer(out));
}

static struct json_object *
op_patch(struct env *e, const char *ref, const char *body,
    struct ufo_error *err)
{
	struct json_object	*in, *out = NULL;

	in = mk("%s", body);
	err_clear(err);
	if (store_op_update(e->s, &e->a, ref, in, &out, err) != 0)
		out = NULL;
	json_object_put(in);
	return (out);
}

static const char *
op_status(struct env *e, const char *ref)
{
	struct json_object	*o;
	struct ufo_error	 err;
	static char		 buf[32];

	if (store_op_get(e->s, &e->a, ref, &o, &err) != 0)
		return ("(error)");
	snprintf(buf, sizeof buf, "%s", str_at(o, "status"));
	json_object_put(o);
	return (buf);
}

static int
comment(struct env *e, const char *ref, const char *body)
{
	struct json_object	*in, *out;
	struct ufo_error	 err;
	int			 rc;

	in = json_object_new_object();
	json_object_object_add(in, "body", json_object_new_string(body));
	rc = store_comment_create(e->s, &e->a, ref, in, &out, &err);
	json_object_put(in);
	json_object_put(out);
	return (rc);
}

/* The last comment of an operation. */
static struct json_object *
last_comment(struct env *e, const char *ref)
{
	struct json_object	*list, *c;
	struct ufo_error	 err;
	size_t			 n;

	if (store_comment_list(e->s, &e->a, ref, &list, &err) != 0)
		return (NULL);
	n = items_len(list);
	c = n > 0 ? json_object_get(item(list, n - 1)) : NULL;
	json_object_put(list);
	return (c);
}

/* The newest run of an operation (a reference the caller puts). */
static struct json_object *
run_of(struct env *e, const char *ref)
{
	struct store_run_filter	 f = { .operation = ref, .limit = 1 };
	struct json_object	*list, *r;
	struct ufo_error	 err;

	if (store_run_list(e->s, &e->a, &f, &list, &err) != 0)
		return (NULL);
	r = items_len(list) == 1 ? json_object_get(item(list, 0)) : NULL;
	json_object_put(list);
	return (r);
}

static size_t
runs_of(struct env *e, const char *ref)
{
	struct store_run_filter	 f = { .operation = ref, .limit = 1000 };
	struct json_object	*list;
	struct ufo_error	 err;
	size_t			 n;

	if (store_run_list(e->s, &e->a, &f, &list, &err) != 0)
		return ((size_t)-1);
	n = items_len(list);
	json_object_put(list);
	return (n);
}

static struct json_object *
run_get(struct env *e, const char *id)
{
	struct json_object	*r;
	struct ufo_error	 err;

	if (store_run_get(e->s, &e->a, id, &r, &err) != 0)
		return (NULL);
	return (r);
}

static struct json_object *
claim(struct env *e, const struct store_rover *rv, const char *body,
    struct ufo_error *err)
{
	struct json_object	*in, *out;

	in = mk("%s", body != NULL ? body : "{}");
	out = claim_run(e->s, rv, in, err);
	json_object_put(in);
	return (out);
}

static struct json_object *
rcall(run_fn fn, struct env *e, const struct store_rover *rv, const char *run,
    struct ufo_error *err, const char *fmt, ...)
{
	struct json_object	*in;
	va_list			 ap;
	char			*text, *out = NULL;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		exit(2);
	va_end(ap);
	in = mk("%s", text);
	free(text);
	err_clear(err);
	if (fn(e->s, rv, run, in, &out, err) != 0)
		out = NULL;
	json_object_put(in);
	return (answer(out));
}

static struct json_object *
heartbeat(struct env *e, const struct store_rover *rv, const char *run,
    int64_t attempt, struct ufo_error *err)
{
	struct json_object	*in, *out = NULL;

	in = mk("{\"runs\":[{\"id\":\"%s\",\"attempt\":%lld}]}", run,
	    (long long)attempt);
	err_clear(err);
	if (store_rover_heartbeat(e->s, rv, in, &out, err) != 0)
		out = NULL;
	json_object_put(in);
	return (out);
}

/* Claims, starts and finishes the next run: the run's id into id. */
static int
drive(struct env *e, const struct store_rover *rv, const char *status,
    const char *session, const char *final, char *id, size_t len)
{
	struct json_object	*c, *o;
	struct ufo_error	 err;
	char			*text;
	int64_t			 attempt;

	if ((c = claim(e, rv, NULL, &err)) == NULL)
		return (-1);
	snprintf(id, len, "%s", str_at(c, "id"));
	attempt = jsonx_int(c, "attempt", 0);
	json_object_put(c);
	o = rcall(store_run_start, e, rv, id, &err, "{\"attempt\":%lld%s%s%s}",
	    (long long)attempt, session != NULL ? ",\"session_id\":\"" : "",
	    session != NULL ? session : "", session != NULL ? "\"" : "");
	if (o == NULL)
		return (-1);
	json_object_put(o);
	if (status == NULL)
		return (0);
	c = json_object_new_object();
	json_object_object_add(c, "attempt", json_object_new_int64(attempt));
	json_object_object_add(c, "status", json_object_new_string(status));
	if (final != NULL)
		json_object_object_add(c, "final_message",
		    json_object_new_string(final));
	if (store_run_finish(e->s, rv, id, c, &text, &err) != 0) {
		printf("# finish: %s\n", err.message);
		json_object_put(c);
		return (-1);
	}
	json_object_put(c);
	json_object_put(answer(text));
	return (0);
}

static size_t
signals_of(struct env *e, const char *kind, const char *op)
{
	struct json_object	*list, *g;
	struct ufo_error	 err;
	size_t			 i, n = 0;

	if (store_signal_list(e->s, &e->a, 0, &list, &err) != 0)
		return ((size_t)-1);
	for (i = 0; i < items_len(list); i++) {
		g = item(list, i);
		if (strcmp(str_at(g, "kind"), kind) == 0 &&
		    (op == NULL || strcmp(str_at(g, "operation"), op) == 0))
			n++;
	}
	json_object_put(list);
	return (n);
}

static size_t
rover_count(struct env *e)
{
	struct json_object	*list;
	struct ufo_error	 err;
	size_t			 n;

	if (store_rover_list(e->s, &e->a, &list, &err) != 0)
		return ((size_t)-1);
	n = items_len(list);
	json_object_put(list);
	return (n);
}

/* The wall clock in ms, as the store keeps it (without its skew). */
static int64_t
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0->tv_sec) * 1e3 +
	    (t1.tv_nsec - t0->tv_nsec) / 1e6);
}

/* Enrollment codes and rovers. */

struct racer {
	struct env	*e;
	const char	*code;
	const char	*name;
	int		 won;
	struct ufo_error err;
	pthread_barrier_t *start;
};

static void *
racer_run(void *arg)
{
	struct racer		*r = arg;
	struct json_object	*out;
	char			 extra[64];

	snprintf(extra, sizeof extra, "\"name\":\"%s\"", r->name);
	pthread_barrier_wait(r->start);
	out = enroll_with(r->e, r->code, extra, &r->err);
	r->won = out != NULL;
	json_object_put(out);
	return (NULL);
}

static void
t_enroll(void)
{
	struct env		 e;
	struct json_object	*c, *r, *o, *v;
	struct store_rover	 rv;
	struct store_actor	 member;
	struct ufo_error	 err;
	struct racer		 racers[2];
	pthread_t		 tid[2];
	pthread_barrier_t	 barrier;
	char			 code[128], token[128], id[48];
	int64_t			 last;
	int			 i;

	env_open(&e, "enrollment codes and rovers");
	c = code_new(&e, "{\"uses\":2,\"expires_in\":600,\"tags\":"
	    "[\"gpu\",\"big\",\"gpu\"]}", &err);
	ok(c != NULL, "code create");
	ok(strncmp(str_at(c, "code"), "ufoenr_", 7) == 0 &&
	    strlen(str_at(c, "code")) == 7 + 43, "code is ufoenr_ + 43");
	ok(strncmp(str_at(c, "id"), "enr_", 4) == 0, "code id enr_…");
	is_int(jsonx_int(c, "uses", 0), 2, "uses");
	is_int(jsonx_int(c, "used", -1), 0, "used 0");
	ok(json_object_object_get_ex(c, "tags", &v) &&
	    strcmp(jsonx_compact(v), "[\"big\",\"gpu\"]") == 0,
	    "code tags sorted, each once");
	ok(str_at(c, "expires_at")[0] == '2', "expires_at set");
	snprintf(code, sizeof code, "%s", str_at(c, "code"));
	json_object_put(c);

	ok(code_new(&e, "{\"uses\":0}", &err) == NULL &&
	    err_is(&err, UFO_EINVAL, "uses"), "uses 0 refused");
	ok(code_new(&e, "{\"tags\":[\"two words\"]}", &err) == NULL &&
	    err_is(&err, UFO_EINVAL, "not a valid tag"), "bad tag refused");
	ok(code_new(&e, "{\"expires_in\":-5}", &err) == NULL &&
	    err_is(&err, UFO_EINVAL, "expires_in"), "negative expiry refused");

	last = store_event_last(e.s);
	r = enroll_with(&e, code, "\"name\":\"r1\",\"units\":2,\"tags\":"
	    "[\"fast\"],\"auto_tags\":[\"pilot:shell\",\"os:linux\"]", &err);
	ok(r != NULL, "enroll with a code");
	ok(r != NULL && strncmp(str_at(r, "token"), "ufor_", 5) == 0 &&
	    strlen(str_at(r, "token")) == 5 + 43, "rover token ufor_ + 43");
	json_object_object_get_ex(r, "rover", &v);
	ok(strncmp(str_at(v, "id"), "rov_", 4) == 0, "rover id rov_…");
	is_str(str_at(v, "name"), "r1", "rover name");
	is_str(str_at(v, "state"), "online", "a new rover is online");
	is_int(jsonx_int(v, "units", 0), 2, "units");
	is_int(jsonx_int(v, "units_busy", -1), 0, "units_busy");
	is_str(str_at(v, "version"), "0.1.0", "version kept");
	ok(json_object_object_get_ex(v, "tags", &o) &&
	    strcmp(jsonx_compact(o), "[\"big\",\"fast\",\"gpu\"]") == 0,
	    "user tags: the code's and the rover's");
	ok(json_object_object_get_ex(v, "auto_tags", &o) &&
	    strcmp(jsonx_compact(o), "[\"os:linux\",\"pilot:shell\"]") == 0,
	    "auto tags kept");
	ok(strstr(jsonx_compact(v), "ufor_") == NULL &&
	    strstr(jsonx_compact(v), "hash") == NULL,
	    "the rover object holds no secret");
	is_str(event_kinds(&e, last), "rover.enrolled", "enroll announced");
	snprintf(token, sizeof token, "%s", str_at(r, "token"));
	snprintf(id, sizeof id, "%s", str_at(v, "id"));
	json_object_put(r);

	ok(store_rover_authenticate(e.s, token, &rv, &err) == 0 &&
	    strcmp(rv.id, id) == 0 && strcmp(rv.fleet, e.a.fleet) == 0 &&
	    rv.units == 2, "the token authenticates the rover");
	ok(store_rover_authenticate(e.s, "ufor_nope", &rv, &err) == -1 &&
	    err_is(&err, UFO_EUNAUTH, "invalid"), "a wrong token: 401");
	ok(store_rover_authenticate(e.s, "ufo_user", &rv, &err) == -1 &&
	    err_is(&err, UFO_EUNAUTH, NULL), "a user token is no rover token");

	r = enroll_with(&e, code, "\"name\":\"r1\"", &err);
	ok(r == NULL && err_is(&err, UFO_ECONFLICT, "r1"),
	    "a live rover's name is taken");
	r = enroll_with(&e, code, "", &err);
	ok(r != NULL, "second use of a 2-use code");
	json_object_object_get_ex(r, "rover", &v);
	is_str(str_at(v, "name"), "box", "default name: the host");
	json_object_put(r);
	last = store_event_last(e.s);
	i = (int)rover_count(&e);
	r = enroll_with(&e, code, "\"name\":\"r3\"", &err);
	ok(r == NULL && err_is(&err, UFO_EUNAUTH, "enrollment code already "
	    "used"), "a used-up code: 401 already used");
	r = enroll_with(&e, "ufoenr_bogus", "", &err);
	ok(r == NULL && err_is(&err, UFO_EUNAUTH, "invalid enrollment code"),
	    "an unknown code: 401");
	c = code_new(&e, "{\"expires_in\":1}", &err);
	store_set_clock(e.s, 2000);
	r = enroll_with(&e, str_at(c, "code"), "", &err);
	ok(r == NULL && err_is(&err, UFO_EUNAUTH, "enrollment code expired"),
	    "an expired code: 401 expired");
	store_set_clock(e.s, 0);
	json_object_put(c);
	r = enroll_with(&e, code, "\"units\":0", &err);
	ok(r == NULL && err_is(&err, UFO_EINVAL, "units"), "units 0 refused");
	is_int(rover_count(&e), i, "failed enrollments added no rover");
	is_int(store_event_last(e.s), last, "failed enrollments announced "
	    "nothing");

	/* Two threads, one single-use code: exactly one rover. */
	c = code_new(&e, "{}", &err);
	pthread_barrier_init(&barrier, NULL, 2);
	for (i = 0; i < 2; i++) {
		memset(&racers[i], 0, sizeof racers[i]);
		racers[i].e = &e;
		racers[i].code = str_at(c, "code");
		racers[i].name = i == 0 ? "racer-a" : "racer-b";
		racers[i].start = &barrier;
		pthread_create(&tid[i], NULL, racer_run, &racers[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&barrier);
	is_int(racers[0].won + racers[1].won, 1, "a single-use code raced by "
	    "two threads: exactly one wins");
	ok(err_is(racers[0].won ? &racers[1].err : &racers[0].err,
	    UFO_EUNAUTH, "already used"), "the loser: already used");
	json_object_put(c);

	/* Users' side. */
	ok(store_rover_list(e.s, &e.a, &o, &err) == 0 && items_len(o) == 3 &&
	    strcmp(str_at(item(o, 0), "name"), "r1") == 0 &&
	    json_object_object_get_ex(o, "next", &v) && v == NULL,
	    "rover list {items,next}, oldest first");
	json_object_put(o);
	ok(store_rover_get(e.s, &e.a, "r1", &o, &err) == 0 &&
	    strcmp(str_at(o, "id"), id) == 0, "rover get by name");
	json_object_put(o);
	ok(store_rover_get(e.s, &e.a, "nope", &o, &err) == -1 &&
	    err_is(&err, UFO_ENOTFOUND, NULL), "unknown rover: 404");
	member = e.a;
	member.role = ROLE_MEMBER;
	c = mk("{\"units\":4}");
	ok(store_rover_update(e.s, &member, id, c, &o, &err) == -1 &&
	    err_is(&err, UFO_EFORBIDDEN, NULL),
	    "a member cannot change rovers");
	json_object_put(c);
	last = store_event_last(e.s);
	c = mk("{\"name\":\"r1b\",\"units\":4,\"tags\":[\"pilot:codex\"]}");
	ok(store_rover_update(e.s, &e.a, id, c, &o, &err) == 0 &&
	    strcmp(str_at(o, "name"), "r1b") == 0 &&
	    jsonx_int(o, "units", 0) == 4, "admin renames, retags, resizes");
	json_object_put(o);
	json_object_put(c);
	is_str(event_kinds(&e, last), "rover.updated", "update announced");
	c = mk("{\"name\":\"box\"}");
	ok(store_rover_update(e.s, &e.a, id, c, &o, &err) == -1 &&
	    err_is(&err, UFO_ECONFLICT, "box"), "rename onto a live name: 409");
	json_object_put(c);

	last = store_event_last(e.s);
	ok(store_rover_revoke(e.s, &e.a, id, &o, &err) == 0 &&
	    strcmp(str_at(o, "state"), "revoked") == 0, "revoke");
	json_object_put(o);
	is_str(event_kinds(&e, last), "rover.revoked", "revoke announced");
	last = store_event_last(e.s);
	ok(store_rover_revoke(e.s, &e.a, id, &o, &err) == 0 &&
	    store_event_last(e.s) == last, "revoking twice announces nothing");
	json_object_put(o);
	ok(store_rover_authenticate(e.s, token, &rv, &err) == -1 &&
	    err_is(&err, UFO_EUNAUTH, "revoked"),
	    "a revoked rover's token: 401");
	snprintf(rv.id, sizeof rv.id, "%s", id);
	snprintf(rv.fleet, sizeof rv.fleet, "%s", e.a.fleet);
	ok(claim(&e, &rv, NULL, &err) == NULL &&
	    err_is(&err, UFO_EUNAUTH, "revoked"), "its claim: 401");
	ok(heartbeat(&e, &rv, "run_x", 1, &err) == NULL &&
	    err_is(&err, UFO_EUNAUTH, "revoked"), "its heartbeat: 401");
	env_close(&e);
}

/* Dispatch and "no rover". */

static void
t_dispatch(void)
{
	struct env		 e;
	struct json_object	*o, *r, *list;
	struct store_rover	 rv;
	struct ufo_error	 err;
	int64_t			 last;
	char			 run[64];

	env_open(&e, "dispatch, no rover, unblock");
	last = store_event_last(e.s);
	o = op_new(&e, "{\"title\":\"Refuel\",\"assignee\":\"pilot:claude\"}",
	    &err);
	ok(o != NULL, "create assigned to a pilot");
	is_str(str_at(o, "status"), "blocked", "no rover for claude: blocked");
	json_object_put(o);
	is_str(event_kinds(&e, last), "operation.created,run.queued,"
	    "signal.created", "created, queued, signalled");
	r = run_of(&e, "UFO-1");
	is_str(str_at(r, "status"), "queued", "the run stays queued");
	is_str(str_at(r, "kind"), "claude", "run kind");
	is_str(str_at(r, "pilot"), "claude", "run pilot");
	is_int(jsonx_int(r, "attempt", 0), 1, "attempt 1");
	is_int(jsonx_int(r, "max_attempts", 0), 3, "max_attempts 3");
	is_str(str_at(r, "prompt"), "# UFO-1: Refuel", "prompt: the title");
	ok(bool_at(r, "resume") == 0, "not a resume");
	ok(strncmp(str_at(r, "id"), "run_", 4) == 0, "run id run_…");
	snprintf(run, sizeof run, "%s", str_at(r, "id"));
	json_object_put(r);
	is_int(signals_of(&e, "no_rover", "UFO-1"), 1, "no_rover signal");
	ok(store_signal_list(e.s, &e.a, 1, &list, &err) == 0 &&
	    items_len(list) == 1 &&
	    strcmp(str_at(item(list, 0), "run"), run) == 0 &&
	    strstr(str_at(item(list, 0), "message"), "pilot:claude") != NULL,
	    "the signal names the run and the missing tag");
	ok(strcmp(str_at(item(list, 0), "user"), e.a.user) == 0,
	    "sent to the member");
	if (items_len(list) == 1) {
		struct json_object	*g;
		int64_t			 seen = store_event_last(e.s);

		ok(store_signal_read(e.s, &e.a, str_at(item(list, 0), "id"),
		    &g, &err) == 0 && jsonx_str(g, "read_at") != NULL,
		    "signal read");
		json_object_put(g);
		is_str(event_kinds(&e, seen), "signal.read",
		    "reading is announced");
		seen = store_event_last(e.s);
		ok(store_signal_read(e.s, &e.a, str_at(item(list, 0), "id"),
		    &g, &err) == 0 && jsonx_str(g, "read_at") != NULL &&
		    store_event_last(e.s) == seen,
		    "reading again: the same answer, no new event");
		json_object_put(g);
	}
	json_object_put(list);
	ok(store_signal_list(e.s, &e.a, 1, &list, &err) == 0 &&
	    items_len(list) == 0, "no unread signal left");
	json_object_put(list);

	/* Explicit status or start:false: no run. */
	o = op_new(&e, "{\"title\":\"Later\",\"assignee\":\"pilot:claude\","
	    "\"start\":false}", &err);
	is_str(str_at(o, "status"), "backlog", "start:false: no start");
	json_object_put(o);
	o = op_new(&e, "{\"title\":\"Placed\",\"assignee\":\"pilot:claude\","
	    "\"status\":\"todo\"}", &err);
	is_str(str_at(o, "status"), "todo", "an explicit status places it");
	json_object_put(o);
	is_int(runs_of(&e, "UFO-2") + runs_of(&e, "UFO-3"), 0,
	    "neither queued a run");
	o = op_new(&e, "{\"title\":\"Tags\",\"require_tags\":[\"gpu\","
	    "\"gpu\"],\"exclude_tags\":[\"os:mac\"]}", &err);
	ok(o != NULL && strcmp(jsonx_compact(json_object_object_get(o,
	    "require_tags")), "[\"gpu\"]") == 0 &&
	    strcmp(jsonx_compact(json_object_object_get(o, "exclude_tags")),
	    "[\"os:mac\"]") == 0, "require/exclude tags shown on the op");
	json_object_put(o);
	o = op_new(&e, "{\"title\":\"Bad\",\"require_tags\":[\"a b\"]}", &err);
	ok(o == NULL && err_is(&err, UFO_EINVAL, "require_tags"),
	    "a bad required tag: 400");

	/* A rover that runs claude enrolls: UFO-1 is unblocked. */
	last = store_event_last(e.s);
	ok(rover_new(&e, "c1", "[\"pilot:claude\"]", "[]", &rv) == 0,
	    "a claude rover enrolls");
	is_str(op_status(&e, "UFO-1"), "in_progress", "UFO-1 unblocked");
	is_str(event_kinds(&e, last), "rover.enrolled,operation.updated",
	    "enroll and unblock announced");

	/* PATCH: start the assigned pilot; a second start is a conflict. */
	last = store_event_last(e.s);
	o = op_patch(&e, "UFO-2", "{\"start\":true}", &err);
	is_str(str_at(o, "status"), "in_progress", "start:true starts it");
	json_object_put(o);
	is_str(event_kinds(&e, last), "operation.updated,run.queued",
	    "one update, one run");
	last = store_event_last(e.s);
	o = op_patch(&e, "UFO-2", "{\"assignee\":\"pilot:claude\","
	    "\"title\":\"changed\"}", &err);
	r = run_of(&e, "UFO-2");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, str_at(r, "id")),
	    "assigning while a run is active: 409 naming it");
	json_object_put(r);
	is_int(store_event_last(e.s), last, "the refused assign wrote nothing");
	is_int(runs_of(&e, "UFO-2"), 1, "still one run");

	/* A refused update queues nothing. */
	last = store_event_last(e.s);
	o = op_patch(&e, "UFO-4", "{\"assignee\":\"pilot:claude\","
	    "\"labels\":[\"two words\"]}", &err);
	ok(o == NULL && err_is(&err, UFO_EINVAL, "labels"),
	    "assign with a bad label: 400");
	is_int(runs_of(&e, "UFO-4"), 0, "no run queued");
	is_int(store_event_last(e.s), last, "nothing announced");
	is_str(op_status(&e, "UFO-4"), "backlog", "the op is untouched");

	/* A rover that learns pilot:goose on a claim unblocks goose ops. */
	o = op_new(&e, "{\"title\":\"Goose\",\"assignee\":\"pilot:goose\"}",
	    &err);
	is_str(str_at(o, "status"), "blocked", "no goose rover: blocked");
	json_object_put(o);
	r = claim(&e, &rv, "{\"auto_tags\":[\"pilot:claude\",\"pilot:goose\"],"
	    "\"free_units\":1}", &err);
	ok(r != NULL, "a claim with new auto tags");
	is_str(str_at(json_object_object_get(r, "operation"), "code"), "UFO-1",
	    "it gets the oldest run of its kinds");
	json_object_put(r);
	is_str(op_status(&e, "UFO-5"), "in_progress",
	    "a claiming rover with pilot:goose unblocks UFO-5");
	ok(store_rover_get(e.s, &e.a, "c1", &o, &err) == 0 &&
	    strstr(jsonx_compact(json_object_object_get(o, "auto_tags")),
	    "pilot:goose") != NULL, "the claim recorded the auto tags");
	json_object_put(o);
	r = claim(&e, &rv, "{\"free_units\":0}", &err);
	ok(r == NULL && err.code == UFO_OK, "no free unit: nothing claimed");
	env_close(&e);
}

/* Claim order, tags, kinds; cost with a deep queue; two threads. */

static void
t_claims(void)
{
	struct env		 e;
	struct json_object	*c, *o;
	struct store_rover	 plain, gpu, codex;
	struct ufo_error	 err;

	env_open(&e, "claim order, tags and kinds");
	ok(rover_new(&e, "plain", "[\"pilot:shell\"]", "[]", &plain) == 0 &&
	    rover_new(&e, "gpu", "[\"pilot:shell\"]", "[\"gpu\"]", &gpu) == 0 &&
	    rover_new(&e, "cx", "[\"pilot:codex\"]", "[]", &codex) == 0,
	    "three rovers");
	o = op_new(&e, "{\"title\":\"one\",\"assignee\":\"pilot:shell\"}",
	    &err);
	json_object_put(o);
	o = op_new(&e, "{\"title\":\"two\",\"assignee\":\"pilot:shell\","
	    "\"require_tags\":[\"gpu\"]}", &err);
	json_object_put(o);
	o = op_new(&e, "{\"title\":\"three\",\"assignee\":\"pilot:shell\","
	    "\"exclude_tags\":[\"gpu\"]}", &err);
	json_object_put(o);
	o = op_new(&e, "{\"title\":\"four\",\"assignee\":\"pilot:codex\"}",
	    &err);
	json_object_put(o);

	c = claim(&e, &plain, NULL, &err);
	is_str(str_at(json_object_object_get(c, "operation"), "code"), "UFO-1",
	    "the oldest matching run first");
	json_object_put(c);
	c = claim(&e, &plain, NULL, &err);
	is_str(str_at(json_object_object_get(c, "operation"), "code"), "UFO-3",
	    "a run requiring gpu is skipped by a rover without it");
	json_object_put(c);
	c = claim(&e, &plain, NULL, &err);
	ok(c == NULL && err.code == UFO_OK, "then nothing for plain (codex "
	    "is not its kind)");
	c = claim(&e, &gpu, NULL, &err);
	is_str(str_at(json_object_object_get(c, "operation"), "code"), "UFO-2",
	    "the gpu rover takes the gpu run");
	json_object_put(c);
	c = claim(&e, &codex, NULL, &err);
	is_str(str_at(json_object_object_get(c, "operation"), "code"), "UFO-4",
	    "the codex rover takes the codex run");
	ok(c != NULL && jsonx_int(c, "lease_seconds", 0) == 30 &&
	    strcmp(str_at(json_object_object_get(c, "pilot"), "kind"),
	    "codex") == 0 &&
	    strcmp(str_at(json_object_object_get(c, "mission"), "key"),
	    "UFO") == 0 &&
	    strcmp(str_at(json_object_object_get(c, "operation"), "slug"),
	    "UFO-4-four") == 0 &&
	    json_object_object_get_ex(c, "credentials", &o) &&
	    json_object_is_type(o, json_type_object) &&
	    !json_object_object_get_ex(json_object_object_get(c, "pilot"),
	    "credentials", &o), "the claim's shape");
	json_object_put(c);
	o = run_of(&e, "UFO-4");
	is_str(str_at(o, "status"), "claimed", "claimed");
	is_str(str_at(o, "rover"), codex.id, "held by the codex rover");
	ok(str_at(o, "lease_expires_at")[0] == '2', "lease set");
	json_object_put(o);
	ok(store_rover_get(e.s, &e.a, "plain", &o, &err) == 0 &&
	    jsonx_int(o, "units_busy", -1) == 2 &&
	    strcmp(str_at(o, "state"), "busy") == 0,
	    "plain holds 2 of 1 unit: busy");
	json_object_put(o);
	env_close(&e);
}

/*
 * A claim's look on a reader: idle only when the writer would find nothing
 * to claim and nothing to write (last seen, tags, blocked runs).
 */
static int
idle(struct env *e, const struct store_rover *rv, const char *body)
{
	struct json_object	*in;
	int			 r;

	in = mk("%s", body);
	r = store_rover_idle(e->s, rv, in);
	json_object_put(in);
	return (r);
}

static void
t_idle(void)
{
	struct env		 e;
	struct json_object	*c, *o;
	struct store_rover	 rv;
	struct ufo_error	 err;
	const char		*body = "{\"auto_tags\":[\"pilot:shell\"]}";
	int			 i, r = 0;

	env_open(&e, "a claim's look on a reader");
	ok(rover_new(&e, "looker", "[\"pilot:shell\"]", "[]", &rv) == 0,
	    "a shell rover");
	/* Seen just now (once more if that crossed a 15 s boundary). */
	for (i = 0; i < 2 && !r; i++) {
		c = claim(&e, &rv, body, &err);
		ok(c == NULL && err.code == UFO_OK, "nothing to claim");
		r = idle(&e, &rv, body);
	}
	ok(r, "idle: nothing queued, seen just now, same tags");
	ok(idle(&e, &rv, "{\"auto_tags\":[\"pilot:shell\"],"
	    "\"free_units\":0,\"wait\":5}"), "idle with no free unit");
	ok(!idle(&e, &rv, "{\"auto_tags\":[\"pilot:shell\","
	    "\"pilot:goose\"]}"), "not idle: new auto tags to write");
	ok(idle(&e, &rv, "{\"auto_tags\":[\"pilot:shell\",\"pilot:shell\"]}"),
	    "idle: the same tags once normalised");
	ok(!idle(&e, &rv, "{\"bogus\":1}"),
	    "not idle: a body the writer refuses");
	c = claim(&e, &rv, "{\"bogus\":1}", &err);
	ok(c == NULL && err.code == UFO_EINVAL, "which it does");
	o = op_new(&e, "{\"title\":\"work\",\"assignee\":\"pilot:shell\"}",
	    &err);
	json_object_put(o);
	ok(!idle(&e, &rv, body), "not idle: a run to claim");
	c = claim(&e, &rv, body, &err);
	ok(c != NULL, "which the claim takes");
	json_object_put(c);
	ok(!idle(&e, &rv, body), "not looked at: its last claim got a run");
	for (i = 0, r = 0; i < 2 && !r; i++) {
		c = claim(&e, &rv, body, &err);
		ok(c == NULL && err.code == UFO_OK, "a claim that gets nothing");
		r = idle(&e, &rv, body);
	}
	ok(r, "after which it is looked at again: idle");
	store_set_clock(e.s, 16 * 1000);
	ok(!idle(&e, &rv, body), "not idle: last seen is due");
	ok(store_rover_revoke(e.s, &e.a, rv.id, &o, &err) == 0,
	    "revoke the rover");
	json_object_put(o);
	ok(!idle(&e, &rv, body), "not idle: revoked (the writer says so)");
	env_close(&e);
}

/* Queues n shell runs (one op each). */
static int
queue_many(struct env *e, int n)
{
	struct json_object	*in;
	struct ufo_error	 err;
	char			*o;
	int			 i, bad = 0;

	in = mk("{\"title\":\"load\",\"assignee\":\"pilot:shell\"}");
	for (i = 0; i < n; i++) {
		if (store_op_create(e->s, &e->a, in, &o, &err) != 0)
			bad++;
		free(o);
	}
	json_object_put(in);
	return (bad);
}

/* Claims k runs, checks each is the oldest left; ms per claim. */
static double
claim_some(struct env *e, const struct store_rover *rv, int k, int first,
    int *bad)
{
	struct json_object	*c;
	struct ufo_error	 err;
	struct timespec		 t0;
	double			 ms = 0;
	char			 want[32];
	int			 i;

	for (i = 0; i < k; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		c = claim(e, rv, NULL, &err);
		ms += ms_since(&t0);
		snprintf(want, sizeof want, "UFO-%d", first + i);
		if (c == NULL || strcmp(str_at(json_object_object_get(c,
		    "operation"), "code"), want) != 0)
			(*bad)++;
		json_object_put(c);
	}
	return (ms / k);
}

static void
t_scale(void)
{
	struct env		 e;
	struct store_rover	 rv;
	const char		*env;
	double			 shallow, deep;
	int			 bad = 0, deep_n = 20000;

	/* UFO_T_STORE_RUNS_SCALE shrinks the deep queue for slow tools. */
	if ((env = getenv("UFO_T_STORE_RUNS_SCALE")) != NULL)
		deep_n = atoi(env);
	env_open(&e, "claim cost against queue depth");
	ok(rover_new(&e, "r", "[\"pilot:shell\"]", "[]", &rv) == 0, "a rover");
	is_int(queue_many(&e, 10), 0, "10 runs queued");
	shallow = claim_some(&e, &rv, 5, 1, &bad);
	is_int(bad, 0, "5 claims with ~10 queued, oldest first");
	is_int(queue_many(&e, deep_n), 0, "20,000 more queued (or "
	    "UFO_T_STORE_RUNS_SCALE)");
	deep = claim_some(&e, &rv, 5, 6, &bad);
	is_int(bad, 0, "5 claims with ~20,000 queued, oldest first");
	/* Reported, not asserted: timing belongs to the benchmark. */
	printf("# claim with 10 queued: %.3f ms; with %d queued: %.3f ms\n",
	    shallow, deep_n + 5, deep);
	env_close(&e);
}

struct claimer {
	struct env		*e;
	struct store_rover	 rv;
	char			 (*ids)[32];
	int			 n;
	int			 failed;
};

static void *
claimer_run(void *arg)
{
	struct claimer		*w = arg;
	struct json_object	*c, *in;
	struct ufo_error	 err;
	char			*o;

	for (;;) {
		in = mk("{}");
		if ((c = claim_run(w->e->s, &w->rv, in, &err)) == NULL &&
		    err.code != UFO_OK)
			w->failed++;
		json_object_put(in);
		if (c == NULL)
			break;
		snprintf(w->ids[w->n++], sizeof w->ids[0], "%s",
		    str_at(c, "id"));
		in = mk("{\"attempt\":%lld,\"status\":\"succeeded\"}",
		    (long long)jsonx_int(c, "attempt", 0));
		if (store_run_finish(w->e->s, &w->rv, str_at(c, "id"), in, &o,
		    &err) != 0)
			w->failed++;
		json_object_put(in);
		free(o);
		json_object_put(c);
	}
	return (NULL);
}

static int
id_cmp(const void *a, const void *b)
{
	return (strcmp(a, b));
}

static void
t_threads(void)
{
	struct env		 e;
	struct claimer		 w[2];
	pthread_t		 tid[2];
	char			 (*all)[32];
	int			 i, dup = 0, total;

	env_open(&e, "two rovers in two threads race for 200 runs");
	ok(rover_new(&e, "a", "[\"pilot:shell\"]", "[]", &w[0].rv) == 0 &&
	    rover_new(&e, "b", "[\"pilot:shell\"]", "[]", &w[1].rv) == 0,
	    "two rovers");
	is_int(queue_many(&e, 200), 0, "200 runs queued");
	for (i = 0; i < 2; i++) {
		w[i].e = &e;
		w[i].ids = calloc(200, sizeof *w[i].ids);
		w[i].n = 0;
		w[i].failed = 0;
		pthread_create(&tid[i], NULL, claimer_run, &w[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	is_int(w[0].failed + w[1].failed, 0, "every claim and finish worked");
	total = w[0].n + w[1].n;
	is_int(total, 200, "200 claims in all");
	all = calloc(total + 1, sizeof *all);
	memcpy(all, w[0].ids, w[0].n * sizeof *all);
	memcpy(all + w[0].n, w[1].ids, w[1].n * sizeof *all);
	qsort(all, total, sizeof *all, id_cmp);
	for (i = 1; i < total; i++) {
		if (strcmp(all[i], all[i - 1]) == 0)
			dup++;
	}
	is_int(dup, 0, "no run claimed twice");
	printf("# rover a claimed %d, rover b %d\n", w[0].n, w[1].n);
	free(all);
	free(w[0].ids);
	free(w[1].ids);
	env_close(&e);
}

/* A run's life. */

static void
t_lifecycle(void)
{
	struct env		 e;
	struct json_object	*o, *c, *r, *list, *v;
	struct store_rover	 rv, other;
	struct ufo_error	 err;
	void			*data;
	size_t			 len;
	int64_t			 last, n;
	char			 run[64], big[64];
	int			 i;
	FILE			*f;
	char			*batch;
	size_t			 blen;

	env_open(&e, "a run's life: start, messages, artifact, finish");
	ok(rover_new(&e, "r", "[\"pilot:claude\"]", "[]", &rv) == 0 &&
	    rover_new(&e, "o", "[\"pilot:claude\"]", "[]", &other) == 0,
	    "two claude rovers");
	o = op_new(&e, "{\"title\":\"Fix the thing!\",\"body\":\"Do it.\"}",
	    &err);
	json_object_put(o);
	ok(comment(&e, "UFO-1", "first note") == 0, "a comment before "
	    "assignment");
	is_int(runs_of(&e, "UFO-1"), 0, "no run: not a pilot's op yet");
	last = store_event_last(e.s);
	o = op_patch(&e, "UFO-1", "{\"assignee\":\"pilot:claude\"}", &err);
	is_str(str_at(o, "status"), "in_progress", "assigned: in_progress");
	json_object_put(o);
	is_str(event_kinds(&e, last), "operation.updated,run.queued",
	    "assign announced: the op and the run");
	r = run_of(&e, "UFO-1");
	is_str(str_at(r, "prompt"), "# UFO-1: Fix the thing!\n\nDo it.\n\n"
	    "## Conversation\n\n**tester@localhost**: first note",
	    "prompt: title, body, conversation");
	snprintf(run, sizeof run, "%s", str_at(r, "id"));
	json_object_put(r);

	c = claim(&e, &rv, NULL, &err);
	ok(c != NULL && strcmp(str_at(c, "id"), run) == 0, "claimed");
	is_str(str_at(json_object_object_get(c, "operation"), "slug"),
	    "UFO-1-fix-the-thing", "slug");
	json_object_put(c);
	ok(claim(&e, &other, NULL, &err) == NULL && err.code == UFO_OK,
	    "nothing left for the other rover");

	last = store_event_last(e.s);
	o = rcall(store_run_start, &e, &rv, run, &err, "{\"attempt\":2}");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, "is no longer held by "
	    "this rover (attempt 2)"), "start with a wrong attempt: 409");
	o = rcall(store_run_start, &e, &other, run, &err, "{\"attempt\":1}");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, "no longer held"),
	    "start by another rover: 409");
	is_int(store_event_last(e.s), last, "refused starts changed nothing");
	o = rcall(store_run_start, &e, &rv, run, &err,
	    "{\"attempt\":1,\"session_id\":\"sess-1\"}");
	ok(o != NULL && strcmp(str_at(o, "status"), "running") == 0 &&
	    strcmp(str_at(o, "session_id"), "sess-1") == 0,
	    "start: running, session kept");
	json_object_put(o);
	is_str(event_kinds(&e, last), "run.started", "start announced");
	last = store_event_last(e.s);
	o = rcall(store_run_start, &e, &rv, run, &err, "{\"attempt\":1}");
	ok(o != NULL && store_event_last(e.s) == last, "a repeated start "
	    "answers the same, announces nothing");
	json_object_put(o);

	/* Messages. */
	wakes_clear();
	o = rcall(store_run_messages, &e, &rv, run, &err,
	    "{\"attempt\":1,\"messages\":["
	    "{\"seq\":1,\"type\":\"text\",\"data\":{\"text\":\"one\"}},"
	    "{\"seq\":2,\"type\":\"tool_use\",\"data\":{\"id\":\"t1\","
	    "\"name\":\"bash\",\"input\":{}}},"
	    "{\"seq\":3,\"type\":\"weird\",\"data\":{\"x\":1}}]}");
	ok(o != NULL && jsonx_int(o, "accepted", -1) == 3 &&
	    jsonx_int(o, "duplicates", -1) == 0, "3 messages accepted");
	json_object_put(o);
	{
		char	 key[80];

		snprintf(key, sizeof key, "run:%s", run);
		is_int(wakes_count(key), 1, "messages wake the run's "
		    "followers once");
	}
	is_int(store_event_last(e.s), last, "messages create no event");
	o = rcall(store_run_messages, &e, &rv, run, &err,
	    "{\"attempt\":1,\"messages\":["
	    "{\"seq\":3,\"type\":\"text\",\"data\":{\"text\":\"again\"}},"
	    "{\"seq\":5,\"type\":\"text\",\"data\":{\"text\":\"five\"}},"
	    "{\"seq\":4,\"type\":\"text\",\"data\":{\"text\":\"four\"}}]}");
	ok(o != NULL && jsonx_int(o, "accepted", -1) == 2 &&
	    jsonx_int(o, "duplicates", -1) == 1,
	    "a retried batch: 2 accepted, 1 duplicate");
	json_object_put(o);
	o = rcall(store_run_messages, &e, &rv, run, &err,
	    "{\"attempt\":1,\"messages\":[{\"seq\":6,\"type\":\"text\","
	    "\"data\":[1]}]}");
	ok(o == NULL && err_is(&err, UFO_EINVAL, "data"),
	    "data must be an object");
	o = rcall(store_run_messages, &e, &rv, run, &err,
	    "{\"attempt\":1,\"messages\":[{\"seq\":6,\"type\":\"text\","
	    "\"data\":{}},{\"seq\":\"7\",\"type\":\"text\"}]}");
	ok(o == NULL && err_is(&err, UFO_EINVAL, "seq"),
	    "a bad seq refuses the whole batch");
	f = open_memstream(&batch, &blen);
	fprintf(f, "{\"attempt\":1,\"messages\":[");
	for (i = 0; i < 1001; i++)
		fprintf(f, "%s{\"seq\":%d,\"type\":\"log\",\"data\":{}}",
		    i > 0 ? "," : "", 100 + i);
	fprintf(f, "]}");
	fclose(f);
	o = rcall(store_run_messages, &e, &rv, run, &err, "%s", batch);
	free(batch);
	ok(o == NULL && err_is(&err, UFO_EINVAL, "at most 1000"),
	    "1001 messages in a batch: 400");
	o = rcall(store_run_messages, &e, &other, run, &err,
	    "{\"attempt\":1,\"messages\":[{\"seq\":9,\"type\":\"text\","
	    "\"data\":{}}]}");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, "no longer held"),
	    "messages from another rover: 409");
	ok(store_run_message_list(e.s, &e.a, run, 0, 0, &list, &err) == 0,
	    "message list");
	n = (int64_t)items_len(list);
	is_int(n, 5, "5 messages kept, failed batches wrote nothing");
	{
		char	 seqs[128] = "", texts[128] = "";

		for (i = 0; i < n; i++) {
			v = item(list, i);
			snprintf(big, sizeof big, "%s%lld", i > 0 ? "," : "",
			    (long long)jsonx_int(v, "seq", 0));
			append(seqs, big, sizeof seqs);
			snprintf(big, sizeof big, "%s%s", i > 0 ? "," : "",
			    str_at(json_object_object_get(v, "data"), "text"));
			append(texts, big, sizeof texts);
		}
		is_str(seqs, "1,2,3,4,5", "seq 1..5 in order");
		is_str(texts, "one,(null),(null),four,five",
		    "rover order kept; the duplicate ignored");
	}
	v = item(list, 2);
	is_str(str_at(v, "type"), "log", "an unknown type becomes log");
	is_str(str_at(json_object_object_get(v, "data"), "original_type"),
	    "weird", "the original type is kept");
	ok(strstr(str_at(json_object_object_get(v, "data"), "line"),
	    "\"x\":1") != NULL, "the original message is kept as the line");
	is_int(jsonx_int(list, "last", 0), 5, "last is 5");
	ok(bool_at(list, "done") == 0, "not done while running");
	json_object_put(list);
	ok(store_run_message_list(e.s, &e.a, run, 3, 1, &list, &err) == 0 &&
	    items_len(list) == 1 && jsonx_int(item(list, 0), "seq", 0) == 4,
	    "since and limit page the messages");
	json_object_put(list);
	/*
	 * A batch longer than one statement's rows, out of order, with one
	 * message stored already and one repeated in it.
	 */
	f = open_memstream(&batch, &blen);
	fprintf(f, "{\"attempt\":1,\"messages\":[");
	for (i = 22; i >= 5; i--)
		fprintf(f, "{\"seq\":%d,\"type\":\"text\",\"data\":"
		    "{\"text\":\"m%d\"}},", (int)i, (int)i);
	fprintf(f, "{\"seq\":10,\"type\":\"text\",\"data\":{\"text\":"
	    "\"again\"}}]}");
	fclose(f);
	o = rcall(store_run_messages, &e, &rv, run, &err, "%s", batch);
	free(batch);
	ok(o != NULL && jsonx_int(o, "accepted", -1) == 17 &&
	    jsonx_int(o, "duplicates", -1) == 2, "19 messages: 17 accepted, "
	    "one stored before and one repeated are duplicates");
	json_object_put(o);
	ok(store_run_message_list(e.s, &e.a, run, 5, 0, &list, &err) == 0,
	    "message list after the long batch");
	{
		char	 texts[512] = "", want[512] = "";

		for (i = 0; i < (int64_t)items_len(list); i++) {
			v = item(list, i);
			snprintf(big, sizeof big, "%s%lld:%s", i > 0 ? "," :
			    "", (long long)jsonx_int(v, "seq", 0), str_at(
			    json_object_object_get(v, "data"), "text"));
			append(texts, big, sizeof texts);
		}
		for (i = 6; i <= 22; i++) {
			snprintf(big, sizeof big, "%s%lld:m%lld", i > 6 ? "," :
			    "", (long long)i, (long long)i);
			append(want, big, sizeof want);
		}
		is_str(texts, want, "numbered 6 to 22 in the rover's order, "
		    "the first of each kept");
	}
	json_object_put(list);

	/* Artifact. */
	o = NULL;
	ok(store_run_artifact_put(e.s, &rv, run, "git.diff", 1,
	    "diff --git a/x b/x\n", 19, &o, &err) == 0 &&
	    jsonx_int(o, "size", 0) == 19 &&
	    strlen(str_at(o, "sha256")) == 64 &&
	    strncmp(str_at(o, "id"), "art_", 4) == 0, "artifact git.diff");
	json_object_put(o);
	ok(store_run_artifact_put(e.s, &rv, run, "../x", 1, "x", 1, &o,
	    &err) == -1 && err_is(&err, UFO_EINVAL, "artifact name"),
	    "a bad artifact name: 400");
	ok(store_run_artifact_put(e.s, &other, run, "evil", 1, "x", 1, &o,
	    &err) == -1 && err_is(&err, UFO_ECONFLICT, NULL),
	    "an artifact from another rover: 409");
	ok(store_run_artifact_get(e.s, &e.a, run, "git.diff", &data, &len,
	    &err) == 0 && len == 19 && memcmp(data, "diff --git", 10) == 0,
	    "artifact read back");
	free(data);
	ok(store_run_artifact_get(e.s, &e.a, run, "evil", &data, &len,
	    &err) == -1 && err_is(&err, UFO_ENOTFOUND, NULL),
	    "the refused artifact does not exist");

	/* Heartbeats. */
	o = heartbeat(&e, &rv, run, 1, &err);
	ok(o != NULL && strcmp(jsonx_compact(json_object_object_get(o,
	    "cancel")), "[]") == 0 && strcmp(jsonx_compact(
	    json_object_object_get(o, "lost")), "[]") == 0 &&
	    bool_at(o, "revoked") == 0, "heartbeat renews: nothing to cancel");
	json_object_put(o);
	o = heartbeat(&e, &other, run, 1, &err);
	ok(o != NULL && strstr(jsonx_compact(json_object_object_get(o,
	    "lost")), run) != NULL, "another rover's heartbeat: lost");
	json_object_put(o);

	/* Finish. */
	last = store_event_last(e.s);
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":2,\"status\":\"succeeded\"}");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, "attempt 2"),
	    "finish with a stale attempt: 409");
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"done\"}");
	ok(o == NULL && err_is(&err, UFO_EINVAL, "status"),
	    "finish with an unknown status: 400");
	is_int(store_event_last(e.s), last, "refused finishes changed nothing");
	is_str(op_status(&e, "UFO-1"), "in_progress", "the op is untouched");
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"succeeded\",\"exit_code\":0,"
	    "\"final_message\":\"All done.\",\"session_id\":\"sess-2\","
	    "\"usage\":{\"input_tokens\":10,\"output_tokens\":5,"
	    "\"cost_usd\":0.25}}");
	ok(o != NULL && strcmp(str_at(o, "status"), "succeeded") == 0,
	    "finish succeeded");
	is_int(jsonx_int(o, "exit_code", -1), 0, "exit code kept");
	is_str(str_at(o, "session_id"), "sess-2", "session updated");
	is_int(jsonx_int(json_object_object_get(o, "usage"), "input_tokens",
	    0), 10, "usage kept");
	ok(str_at(o, "finished_at")[0] == '2', "finished_at set");
	json_object_put(o);
	is_str(op_status(&e, "UFO-1"), "in_review", "succeeded: in_review");
	is_str(event_kinds(&e, last), "run.finished,comment.created,"
	    "operation.updated,signal.created", "finish announced: run, "
	    "comment, op, signal");
	c = last_comment(&e, "UFO-1");
	ok(strcmp(str_at(c, "author_kind"), "pilot") == 0 &&
	    strcmp(str_at(c, "author"), "claude") == 0 &&
	    strcmp(str_at(c, "body"), "All done.") == 0,
	    "the final message is the pilot's comment");
	json_object_put(c);
	is_int(signals_of(&e, "review_requested", "UFO-1"), 1,
	    "review_requested signal");
	last = store_event_last(e.s);
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"succeeded\","
	    "\"final_message\":\"All done.\"}");
	ok(o != NULL && strcmp(str_at(o, "status"), "succeeded") == 0 &&
	    strcmp(str_at(o, "id"), run) == 0, "a repeated finish answers "
	    "the run again");
	json_object_put(o);
	is_int(store_event_last(e.s), last, "… with no new event");
	is_int(signals_of(&e, "review_requested", "UFO-1"), 1,
	    "… no new signal");
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"failed\"}");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, "already finished"),
	    "finishing again differently: 409");
	o = rcall(store_run_messages, &e, &rv, run, &err,
	    "{\"attempt\":1,\"messages\":[{\"seq\":5,\"type\":\"text\","
	    "\"data\":{}}]}");
	ok(o != NULL && jsonx_int(o, "duplicates", 0) == 1,
	    "a late retried batch from its rover is still deduplicated");
	json_object_put(o);
	ok(store_run_message_list(e.s, &e.a, run, 5, 0, &list, &err) == 0 &&
	    bool_at(list, "done") == 1, "done once finished and read");
	json_object_put(list);
	o = heartbeat(&e, &rv, run, 1, &err);
	ok(o != NULL && strstr(jsonx_compact(json_object_object_get(o,
	    "lost")), run) != NULL, "a finished run is no longer held");
	json_object_put(o);

	/* Failed. */
	o = op_new(&e, "{\"title\":\"Break\",\"assignee\":\"pilot:claude\"}",
	    &err);
	json_object_put(o);
	c = claim(&e, &rv, NULL, &err);
	snprintf(run, sizeof run, "%s", str_at(c, "id"));
	json_object_put(c);
	last = store_event_last(e.s);
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"failed\",\"exit_code\":2,"
	    "\"error\":\"boom\"}");
	ok(o != NULL && strcmp(str_at(o, "error"), "boom") == 0,
	    "finish failed from claimed");
	json_object_put(o);
	is_str(op_status(&e, "UFO-2"), "blocked", "failed: blocked");
	c = last_comment(&e, "UFO-2");
	ok(strcmp(str_at(c, "author_kind"), "system") == 0 &&
	    strstr(str_at(c, "body"), "failed: boom") != NULL &&
	    strstr(str_at(c, "body"), run) != NULL,
	    "a system comment with the reason");
	json_object_put(c);
	is_int(signals_of(&e, "run_failed", "UFO-2"), 1, "run_failed signal");
	is_str(event_kinds(&e, last), "run.finished,comment.created,"
	    "operation.updated,signal.created", "failure announced");

	/* Lists. */
	{
		struct store_run_filter	 rf;

		memset(&rf, 0, sizeof rf);
		ok(store_run_list(e.s, &e.a, &rf, &list, &err) == 0 &&
		    items_len(list) == 2 &&
		    strcmp(str_at(item(list, 0), "operation"), "UFO-2") == 0,
		    "runs newest first");
		json_object_put(list);
		rf.limit = 1;
		ok(store_run_list(e.s, &e.a, &rf, &list, &err) == 0 &&
		    items_len(list) == 1 &&
		    strcmp(str_at(list, "next"), run) == 0,
		    "a page of 1 has next");
		rf.before = run;
		json_object_put(list);
		ok(store_run_list(e.s, &e.a, &rf, &list, &err) == 0 &&
		    items_len(list) == 1 &&
		    strcmp(str_at(item(list, 0), "operation"), "UFO-1") == 0 &&
		    json_object_object_get_ex(list, "next", &v) && v == NULL,
		    "before pages on");
		json_object_put(list);
		memset(&rf, 0, sizeof rf);
		rf.status = "failed";
		ok(store_run_list(e.s, &e.a, &rf, &list, &err) == 0 &&
		    items_len(list) == 1, "status filter");
		json_object_put(list);
		rf.status = "bogus";
		ok(store_run_list(e.s, &e.a, &rf, &list, &err) == -1 &&
		    err_is(&err, UFO_EINVAL, "bogus"), "unknown status: 400");
		ok(store_run_get(e.s, &e.a, "run_nope", &o, &err) == -1 &&
		    err_is(&err, UFO_ENOTFOUND, NULL), "unknown run: 404");
	}
	env_close(&e);
}

/* The markers a pilot may end with. */

static void
t_markers(void)
{
	struct env		 e;
	struct json_object	*o, *c;
	struct store_rover	 rv;
	struct ufo_error	 err;
	char			 run[64];

	env_open(&e, "final message markers");
	ok(rover_new(&e, "r", "[\"pilot:claude\"]", "[]", &rv) == 0, "rover");
	o = op_new(&e, "{\"title\":\"Ask\",\"assignee\":\"pilot:claude\"}",
	    &err);
	json_object_put(o);
	ok(drive(&e, &rv, "succeeded", NULL, "Which colour?\n"
	    "@@UFO_NEEDS_INPUT@@\n", run, sizeof run) == 0, "run ends asking");
	is_str(op_status(&e, "UFO-1"), "in_progress",
	    "@@UFO_NEEDS_INPUT@@: the op stays in_progress");
	o = run_get(&e, run);
	ok(bool_at(o, "needs_input") == 1, "run needs_input true");
	is_str(str_at(o, "final_message"), "Which colour?",
	    "the marker is stripped from the final message");
	json_object_put(o);
	is_int(signals_of(&e, "input_requested", "UFO-1"), 1,
	    "input_requested signal");
	is_int(signals_of(&e, "review_requested", "UFO-1"), 0,
	    "no review requested");
	c = last_comment(&e, "UFO-1");
	is_str(str_at(c, "body"), "Which colour?", "comment without marker");
	json_object_put(c);

	o = op_new(&e, "{\"title\":\"Ship\",\"assignee\":\"pilot:claude\"}",
	    &err);
	json_object_put(o);
	ok(drive(&e, &rv, "succeeded", NULL, "Shipped.  @@UFO_STATUS:done@@",
	    run, sizeof run) == 0, "run ends with a status");
	is_str(op_status(&e, "UFO-2"), "done", "@@UFO_STATUS:done@@: done");
	c = last_comment(&e, "UFO-2");
	is_str(str_at(c, "body"), "Shipped.", "comment without marker");
	json_object_put(c);
	is_int(signals_of(&e, "review_requested", "UFO-2"), 0,
	    "no review for a pilot that says done");

	o = op_new(&e, "{\"title\":\"Odd\",\"assignee\":\"pilot:claude\"}",
	    &err);
	json_object_put(o);
	ok(drive(&e, &rv, "succeeded", NULL, "x @@UFO_STATUS:nope@@", run,
	    sizeof run) == 0, "run ends with a bad marker");
	is_str(op_status(&e, "UFO-3"), "in_review", "a bad marker is text");
	c = last_comment(&e, "UFO-3");
	is_str(str_at(c, "body"), "x @@UFO_STATUS:nope@@", "and kept");
	json_object_put(c);
	env_close(&e);
}

/* Comments resume the pilot. */

static void
t_resume(void)
{
	struct env		 e;
	struct json_object	*o, *r;
	struct store_rover	 rv;
	struct ufo_error	 err;
	char			 run[64];

	env_open(&e, "comments resume the pilot's session");
	ok(rover_new(&e, "r", "[\"pilot:claude\"]", "[]", &rv) == 0, "rover");
	o = op_new(&e, "{\"title\":\"Talk\",\"assignee\":\"pilot:claude\"}",
	    &err);
	json_object_put(o);
	ok(drive(&e, &rv, "succeeded", "S1", "First answer.", run,
	    sizeof run) == 0, "first run with session S1");
	is_str(op_status(&e, "UFO-1"), "in_review", "in review");
	ok(comment(&e, "UFO-1", "please also fix the docs") == 0,
	    "a human comment");
	is_int(runs_of(&e, "UFO-1"), 2, "it queued a run");
	r = run_of(&e, "UFO-1");
	ok(bool_at(r, "resume") == 1, "a resume run");
	is_str(str_at(r, "session_id"), "S1", "of session S1");
	is_str(str_at(r, "prompt"), "please also fix the docs",
	    "the comment is the prompt");
	json_object_put(r);
	is_str(op_status(&e, "UFO-1"), "in_progress", "back in progress");

	ok(drive(&e, &rv, NULL, NULL, NULL, run, sizeof run) == 0,
	    "the resume run is running");
	ok(comment(&e, "UFO-1", "A") == 0 && comment(&e, "UFO-1", "B") == 0,
	    "two comments during the run");
	is_int(runs_of(&e, "UFO-1"), 2, "no run queued while one is active");
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"succeeded\",\"final_message\":"
	    "\"Docs fixed.\"}");
	ok(o != NULL, "finish");
	json_object_put(o);
	is_int(runs_of(&e, "UFO-1"), 3, "the finish queued the next resume");
	r = run_of(&e, "UFO-1");
	ok(bool_at(r, "resume") == 1 && strcmp(str_at(r, "prompt"),
	    "A\n\nB") == 0, "with both comments merged");
	json_object_put(r);
	is_str(op_status(&e, "UFO-1"), "in_progress",
	    "the op went on in progress");

	/* Without a session the comment goes in with the whole story. */
	o = op_new(&e, "{\"title\":\"Quiet\",\"assignee\":\"pilot:claude\","
	    "\"start\":false}", &err);
	json_object_put(o);
	ok(comment(&e, "UFO-2", "go") == 0, "a comment on an idle pilot op");
	r = run_of(&e, "UFO-2");
	ok(r != NULL && bool_at(r, "resume") == 0 && strcmp(str_at(r,
	    "prompt"), "# UFO-2: Quiet\n\n## Conversation\n\n"
	    "**tester@localhost**: go") == 0,
	    "no session yet: a fresh run with the conversation");
	json_object_put(r);
	env_close(&e);
}

/*
 * A CLI counts a resumed session's tokens from the session's start, so a
 * claim carries what the earlier runs of that session reported in all.
 */
static void
t_previous_usage(void)
{
	struct env		 e;
	struct json_object	*c, *o, *u;
	struct store_rover	 rv;
	struct ufo_error	 err;
	char			 run[64];

	env_open(&e, "a claim carries the session's earlier usage");
	ok(rover_new(&e, "r", "[\"pilot:claude\"]", "[]", &rv) == 0, "rover");
	o = op_new(&e, "{\"title\":\"Count\",\"assignee\":\"pilot:claude\"}",
	    &err);
	json_object_put(o);
	c = claim(&e, &rv, NULL, &err);
	ok(c != NULL && is_null_at(c, "previous_usage"),
	    "first run: previous_usage null");
	snprintf(run, sizeof run, "%s", c != NULL ? str_at(c, "id") : "");
	json_object_put(c);
	o = rcall(store_run_start, &e, &rv, run, &err,
	    "{\"attempt\":1,\"session_id\":\"S1\"}");
	json_object_put(o);
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"succeeded\",\"usage\":"
	    "{\"input_tokens\":100,\"output_tokens\":10,"
	    "\"cache_read_tokens\":5}}");
	ok(o != NULL, "first run finishes with its usage");
	json_object_put(o);

	ok(comment(&e, "UFO-1", "more") == 0, "a comment resumes S1");
	c = claim(&e, &rv, NULL, &err);
	u = c != NULL ? json_object_object_get(c, "previous_usage") : NULL;
	ok(u != NULL && jsonx_int(u, "input_tokens", -1) == 100 &&
	    jsonx_int(u, "output_tokens", -1) == 10 &&
	    jsonx_int(u, "cache_read_tokens", -1) == 5,
	    "second run: the first run's usage");
	snprintf(run, sizeof run, "%s", c != NULL ? str_at(c, "id") : "");
	json_object_put(c);
	o = rcall(store_run_start, &e, &rv, run, &err, "{\"attempt\":1}");
	json_object_put(o);
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"succeeded\",\"usage\":"
	    "{\"input_tokens\":50,\"output_tokens\":20,"
	    "\"cache_read_tokens\":0}}");
	json_object_put(o);

	ok(comment(&e, "UFO-1", "again") == 0, "another comment");
	c = claim(&e, &rv, NULL, &err);
	u = c != NULL ? json_object_object_get(c, "previous_usage") : NULL;
	ok(u != NULL && jsonx_int(u, "input_tokens", -1) == 150 &&
	    jsonx_int(u, "output_tokens", -1) == 30 &&
	    jsonx_int(u, "cache_read_tokens", -1) == 5,
	    "third run: both earlier runs summed");
	json_object_put(c);

	/* Another operation's session is not counted. */
	o = op_new(&e, "{\"title\":\"Other\",\"assignee\":\"pilot:claude\"}",
	    &err);
	json_object_put(o);
	c = claim(&e, &rv, NULL, &err);
	ok(c != NULL && is_null_at(c, "previous_usage"),
	    "another operation: previous_usage null");
	json_object_put(c);
	env_close(&e);
}

/* A claim answer that never reached its rover puts the run back. */
static void
t_undelivered(void)
{
	struct env		 e;
	struct json_object	*c, *o, *r;
	struct store_rover	 rv, rv2;
	struct ufo_error	 err;
	char			 run[64];

	env_open(&e, "undelivered claim answers");
	ok(rover_new(&e, "r1", "[\"pilot:shell\"]", "[]", &rv) == 0 &&
	    rover_new(&e, "r2", "[\"pilot:shell\"]", "[]", &rv2) == 0,
	    "two rovers");
	o = op_new(&e, "{\"title\":\"Q\",\"assignee\":\"pilot:shell\"}", &err);
	json_object_put(o);
	c = claim(&e, &rv, NULL, &err);
	ok(c != NULL, "r1 claims");
	snprintf(run, sizeof run, "%s", c != NULL ? str_at(c, "id") : "");
	json_object_put(c);

	ok(store_run_undelivered(e.s, &rv2, run, 1, &err) == 0,
	    "another rover's word: no error");
	ok(store_run_undelivered(e.s, &rv, run, 2, &err) == 0,
	    "another attempt: no error");
	r = run_get(&e, run);
	ok(r != NULL && strcmp(str_at(r, "status"), "claimed") == 0 &&
	    jsonx_int(r, "attempt", 0) == 1, "neither touched the run");
	json_object_put(r);

	wakes_clear();
	store_set_wake(e.s, wake_cb, &e);
	ok(store_run_undelivered(e.s, &rv, run, 1, &err) == 0,
	    "r1 never got the answer");
	is_int(wakes_count("claim:shell"), 1, "a claim is woken");
	store_set_wake(e.s, NULL, NULL);
	r = run_get(&e, run);
	ok(r != NULL && strcmp(str_at(r, "status"), "queued") == 0 &&
	    jsonx_int(r, "attempt", 0) == 2 && is_null_at(r, "rover"),
	    "queued again at once, attempt 2");
	json_object_put(r);
	o = rcall(store_run_start, &e, &rv, run, &err, "{\"attempt\":1}");
	ok(o == NULL && err.code == UFO_ECONFLICT,
	    "the old claim is fenced off: 409");
	json_object_put(o);
	c = claim(&e, &rv2, NULL, &err);
	ok(c != NULL && strcmp(str_at(c, "id"), run) == 0 &&
	    jsonx_int(c, "attempt", 0) == 2, "r2 claims it as attempt 2");
	json_object_put(c);
	o = rcall(store_run_start, &e, &rv2, run, &err, "{\"attempt\":2}");
	ok(o != NULL, "r2 starts it");
	json_object_put(o);
	ok(store_run_undelivered(e.s, &rv2, run, 2, &err) == 0,
	    "too late once started");
	r = run_get(&e, run);
	ok(r != NULL && strcmp(str_at(r, "status"), "running") == 0,
	    "a started run stays with its rover");
	json_object_put(r);
	env_close(&e);
}

/* Cancel and retry. */

static void
t_cancel_retry(void)
{
	struct env		 e;
	struct json_object	*o, *r;
	struct store_rover	 rv;
	struct ufo_error	 err;
	int64_t			 last;
	char			 run[64], run2[64];

	env_open(&e, "cancel and retry");
	ok(rover_new(&e, "r", "[\"pilot:shell\"]", "[]", &rv) == 0, "rover");
	o = op_new(&e, "{\"title\":\"Q\",\"assignee\":\"pilot:shell\"}", &err);
	json_object_put(o);
	r = run_of(&e, "UFO-1");
	snprintf(run, sizeof run, "%s", str_at(r, "id"));
	json_object_put(r);
	last = store_event_last(e.s);
	ok(store_run_cancel(e.s, &e.a, run, &o, &err) == 0 &&
	    strcmp(str_at(o, "status"), "cancelled") == 0,
	    "cancel a queued run: cancelled at once");
	json_object_put(o);
	is_str(op_status(&e, "UFO-1"), "todo", "in_progress falls to todo");
	is_str(event_kinds(&e, last), "run.cancelled,operation.updated",
	    "cancel announced");
	ok(claim(&e, &rv, NULL, &err) == NULL && err.code == UFO_OK,
	    "a cancelled run is not claimed");
	last = store_event_last(e.s);
	ok(store_run_cancel(e.s, &e.a, run, &o, &err) == 0 &&
	    store_event_last(e.s) == last, "cancelling twice: the same, "
	    "nothing new");
	json_object_put(o);

	o = op_patch(&e, "UFO-1", "{\"start\":true}", &err);
	json_object_put(o);
	ok(drive(&e, &rv, NULL, NULL, NULL, run, sizeof run) == 0,
	    "a running run");
	ok(store_run_cancel(e.s, &e.a, run, &o, &err) == 0 &&
	    strcmp(str_at(o, "status"), "running") == 0 &&
	    bool_at(o, "cancel_requested") == 1,
	    "cancel a running run: cancel_requested");
	json_object_put(o);
	o = heartbeat(&e, &rv, run, 1, &err);
	ok(o != NULL && strstr(jsonx_compact(json_object_object_get(o,
	    "cancel")), run) != NULL, "the heartbeat says cancel");
	json_object_put(o);
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"cancelled\",\"exit_code\":143}");
	ok(o != NULL && strcmp(str_at(o, "status"), "cancelled") == 0,
	    "the rover finishes it cancelled");
	json_object_put(o);
	is_str(op_status(&e, "UFO-1"), "todo", "the op falls back to todo");

	/* Retry. */
	o = op_patch(&e, "UFO-1", "{\"start\":true}", &err);
	json_object_put(o);
	ok(drive(&e, &rv, "failed", NULL, NULL, run, sizeof run) == 0,
	    "a failed run");
	ok(store_run_retry(e.s, &e.a, run, &r, &err) == 0, "retry it");
	ok(r != NULL && strcmp(str_at(r, "status"), "queued") == 0 &&
	    jsonx_int(r, "attempt", 0) == 1 &&
	    strcmp(str_at(r, "retry_of"), run) == 0 &&
	    strcmp(str_at(r, "id"), run) != 0, "a new queued run, attempt 1");
	snprintf(run2, sizeof run2, "%s", str_at(r, "id"));
	json_object_put(r);
	o = run_get(&e, run);
	r = run_get(&e, run2);
	is_str(str_at(r, "prompt"), str_at(o, "prompt"), "same prompt");
	json_object_put(o);
	json_object_put(r);
	is_str(op_status(&e, "UFO-1"), "in_progress", "the op is in progress");
	ok(store_run_retry(e.s, &e.a, run, &r, &err) == -1 &&
	    err_is(&err, UFO_ECONFLICT, run2),
	    "retry while another run is active: 409 naming it");
	ok(store_run_retry(e.s, &e.a, run2, &r, &err) == -1 &&
	    err_is(&err, UFO_ECONFLICT, "still queued"),
	    "retry of an active run: 409");
	ok(store_run_cancel(e.s, &e.a, run, &o, &err) == -1 &&
	    err_is(&err, UFO_ECONFLICT, "already failed"),
	    "cancel a failed run: 409");
	env_close(&e);
}

/* The sweeper. */

static void
t_sweep(void)
{
	struct env		 e;
	struct json_object	*o, *c;
	struct store_rover	 rv;
	struct ufo_error	 err;
	int64_t			 next, t0, t1;
	char			 run[64];

	env_open(&e, "sweeper: expired leases, backoff, lost");
	ok(store_sweep(e.s, &next, &err) == 0 && next == 0,
	    "nothing to sweep: next 0");
	ok(rover_new(&e, "r", "[\"pilot:shell\"]", "[]", &rv) == 0, "rover");
	o = op_new(&e, "{\"title\":\"Slow\",\"assignee\":\"pilot:shell\"}",
	    &err);
	json_object_put(o);
	t0 = wall_ms();
	ok(drive(&e, &rv, NULL, NULL, NULL, run, sizeof run) == 0,
	    "attempt 1 running");
	t1 = wall_ms();
	ok(store_sweep(e.s, &next, &err) == 0 && next >= t0 + 30000 &&
	    next <= t1 + 30000, "next: the lease's end, 30 s on");

	store_set_clock(e.s, 31000);
	wakes_clear();
	t0 = wall_ms();
	ok(store_sweep(e.s, &next, &err) == 0, "sweep after the lease");
	t1 = wall_ms();
	o = run_get(&e, run);
	is_str(str_at(o, "status"), "queued", "requeued");
	is_int(jsonx_int(o, "attempt", 0), 2, "attempt 2");
	ok(is_null_at(o, "rover"), "no rover");
	json_object_put(o);
	ok(next >= t0 + 31000 + 2000 && next <= t1 + 31000 + 2000,
	    "next: the backoff's end, 2 s on");
	ok(claim(&e, &rv, NULL, &err) == NULL && err.code == UFO_OK,
	    "not claimable during the backoff");
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":1,\"status\":\"succeeded\"}");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, "attempt 1"),
	    "the old attempt's finish: 409");
	o = heartbeat(&e, &rv, run, 1, &err);
	ok(o != NULL && strstr(jsonx_compact(json_object_object_get(o,
	    "lost")), run) != NULL, "its heartbeat: lost");
	json_object_put(o);

	store_set_clock(e.s, 34000);
	wakes_clear();
	ok(store_sweep(e.s, &next, &err) == 0, "sweep after the backoff");
	is_int(wakes_count("claim:shell"), 1, "the backoff's end wakes a "
	    "claim:shell");
	c = claim(&e, &rv, NULL, &err);
	ok(c != NULL && jsonx_int(c, "attempt", 0) == 2,
	    "claimed as attempt 2");
	json_object_put(c);

	store_set_clock(e.s, 66000);
	t0 = wall_ms();
	ok(store_sweep(e.s, &next, &err) == 0, "lease 2 expires");
	t1 = wall_ms();
	o = run_get(&e, run);
	is_int(jsonx_int(o, "attempt", 0), 3, "attempt 3");
	ok(next >= t0 + 66000 + 4000 && next <= t1 + 66000 + 4000,
	    "backoff 4 s");
	json_object_put(o);
	store_set_clock(e.s, 71000);
	c = claim(&e, &rv, NULL, &err);
	ok(c != NULL && jsonx_int(c, "attempt", 0) == 3,
	    "claimed as attempt 3");
	json_object_put(c);
	store_set_clock(e.s, 102000);
	ok(store_sweep(e.s, &next, &err) == 0, "lease 3 expires");
	o = run_get(&e, run);
	is_str(str_at(o, "status"), "failed", "after max_attempts: failed");
	is_str(str_at(o, "error"), "lost", "error lost");
	json_object_put(o);
	is_str(op_status(&e, "UFO-1"), "blocked", "the op is blocked");
	is_int(signals_of(&e, "run_failed", "UFO-1"), 1, "run_failed signal");
	ok(next == 0, "nothing left: next 0");
	o = rcall(store_run_finish, &e, &rv, run, &err,
	    "{\"attempt\":3,\"status\":\"succeeded\"}");
	ok(o == NULL && err_is(&err, UFO_ECONFLICT, NULL),
	    "the lost rover's late finish: 409");

	/* Revoking a rover requeues what it held at once. */
	store_set_clock(e.s, 0);
	o = op_new(&e, "{\"title\":\"Held\",\"assignee\":\"pilot:shell\"}",
	    &err);
	json_object_put(o);
	ok(drive(&e, &rv, NULL, NULL, NULL, run, sizeof run) == 0,
	    "a running run");
	{
		struct store_rover	 rv2;

		ok(rover_new(&e, "r2", "[\"pilot:shell\"]", "[]", &rv2) == 0,
		    "a second rover");
		ok(store_rover_revoke(e.s, &e.a, "r", &o, &err) == 0,
		    "revoke the first");
		json_object_put(o);
		o = run_get(&e, run);
		ok(strcmp(str_at(o, "status"), "queued") == 0 &&
		    jsonx_int(o, "attempt", 0) == 2,
		    "its run is queued again as attempt 2");
		json_object_put(o);
		c = claim(&e, &rv2, NULL, &err);
		ok(c != NULL && strcmp(str_at(c, "id"), run) == 0,
		    "the second rover takes it at once");
		json_object_put(c);
	}
	env_close(&e);
}

/* Wake keys. */

static void
t_wake(void)
{
	struct env		 e;
	struct json_object	*o, *r;
	struct store_rover	 rv, cx;
	struct ufo_error	 err;
	char			 key[80];

	env_open(&e, "wake keys after commit");
	ok(rover_new(&e, "r", "[\"pilot:shell\"]", "[]", &rv) == 0, "rover");
	wakes_clear();
	o = op_new(&e, "{\"title\":\"W\",\"assignee\":\"pilot:shell\"}", &err);
	json_object_put(o);
	r = run_of(&e, "UFO-1");
	snprintf(key, sizeof key, "run:%s", str_at(r, "id"));
	json_object_put(r);
	is_int(wakes_count("claim:shell"), 1,
	    "queueing wakes claim:shell once");
	is_int(wakes_count(key), 1, "and run:ID once");
	is_int(wakes.visible, 1, "called after commit and unlock (the run is "
	    "readable from the callback)");
	is_int(wakes.invisible, 0, "never before");

	wakes_clear();
	o = op_new(&e, "{\"title\":\"x\",\"assignee\":\"pilot:nobody\"}",
	    &err);
	ok(o == NULL && wakes.calls == 0, "a failed call wakes nobody");

	/* Two codex runs wait; a codex rover appears: one wake. */
	o = op_new(&e, "{\"title\":\"c1\",\"assignee\":\"pilot:codex\"}", &err);
	json_object_put(o);
	o = op_new(&e, "{\"title\":\"c2\",\"assignee\":\"pilot:codex\"}", &err);
	json_object_put(o);
	is_int(wakes_count("claim:codex"), 0, "no rover: no claim wake");
	wakes_clear();
	ok(rover_new(&e, "cx", "[\"pilot:codex\"]", "[]", &cx) == 0,
	    "a codex rover enrolls");
	is_int(wakes_count("claim:codex"), 1, "two runs unblocked: "
	    "claim:codex once per transaction");
	is_str(op_status(&e, "UFO-2"), "in_progress", "c1 unblocked");
	is_str(op_status(&e, "UFO-3"), "in_progress", "c2 unblocked");
	store_set_wake(e.s, NULL, NULL);
	env_close(&e);
}

/* Runs a script of statements on the database file itself. */
static int
exec_path(const char *path, const char *sql)
{
	sqlite3	*db;
	char	*msg = NULL;
	int	 rc;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return (-1);
	}
	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK)
		printf("# %s\n", msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	sqlite3_close(db);
	return (rc == SQLITE_OK ? 0 : -1);
}

/* Runs sql on the database file itself: its first row's first column. */
static int
raw(const char *path, char *out, size_t size, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*stmt;
	const char	*v;
	int		 rc;

	*out = '\0';
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return (-1);
	}
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		snprintf(out, size, "error: %s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return (-1);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(stmt, 0);
		if (*out == '\0')
			snprintf(out, size, "%s", v != NULL ? v : "");
	}
	if (rc != SQLITE_DONE)
		snprintf(out, size, "error: %s", sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/*
 * Rewrites runs' CHECK text from one form to another by hand, with the
 * schema cookie bumped, and sets user_version (unless it is negative).
 */
static int
runs_check_set(const char *path, const char *from, const char *to,
    int cookie, int version)
{
	char	*q, sql[1024];
	int	 rc;

	q = sqlite3_mprintf("UPDATE sqlite_schema SET sql = replace(sql, %Q,"
	    " %Q) WHERE name = 'runs'", from, to);
	snprintf(sql, sizeof sql, "PRAGMA writable_schema = ON; %s;"
	    " PRAGMA schema_version = %d; PRAGMA writable_schema = OFF;", q,
	    cookie);
	sqlite3_free(q);
	if ((rc = exec_path(path, sql)) != 0 || version < 0)
		return (rc);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
	return (exec_path(path, sql));
}

#define CHECK_IN	"CHECK (status IN ('queued', 'claimed',    'running'," \
			" 'succeeded', 'failed', 'cancelled'))"
#define CHECK_ORS	"CHECK (status = 'queued' OR status = 'claimed' OR" \
			" status = 'running' OR status = 'succeeded' OR"    \
			" status = 'failed' OR status = 'cancelled')"
#define CHECK_ODD	"CHECK (status = 'queued' OR status = 'claimed' OR" \
			" status = 'running' OR status = 'succeeded' OR"    \
			" status = 'failed' OR status = 'canceled')"
#define LONG_INS	"SELECT count(*) FROM sqlite_schema WHERE type ="   \
			" 'table' AND sql LIKE '%CHECK (% IN (''%'', ''%'', ''%'"

static void
t_checks(void)
{
	struct env		 e;
	struct json_object	*o;
	struct store_rover	 rv;
	struct ufo_error	 err;
	char			 buf[256], run[64], done[64], sql[128];
	int			 version;

	env_open(&e, "CHECKs without IN lists, and the step to them");
	raw(e.path, buf, sizeof buf, "PRAGMA user_version");
	version = atoi(buf);
	raw(e.path, buf, sizeof buf, LONG_INS);
	is_str(buf, "0", "a new database has no CHECK with an IN list of "
	    "more than two values");
	ok(rover_new(&e, "r", "[\"pilot:claude\"]", "[]", &rv) == 0,
	    "a claude rover");
	json_object_put(op_new(&e, "{\"title\":\"One\","
	    "\"assignee\":\"pilot:claude\"}", &err));
	json_object_put(op_new(&e, "{\"title\":\"Two\","
	    "\"assignee\":\"pilot:claude\"}", &err));
	ok(drive(&e, &rv, "succeeded", NULL, "done", done, sizeof done) == 0,
	    "UFO-1's run succeeded");
	store_close(e.s);

	/* As the version before the step left it. */
	ok(runs_check_set(e.path, CHECK_ORS, CHECK_IN, 1000 + version,
	    version - 1) == 0, "runs' CHECK an IN list again, one version "
	    "back");
	raw(e.path, buf, sizeof buf, LONG_INS);
	is_str(buf, "1", "one IN list to rewrite");
	e.s = NULL;
	ok(store_open(e.path, &e.s, &err) == 0, "opened: migrated");
	if (e.s == NULL) {
		printf("Bail out! open: %s\n", err.message);
		exit(1);
	}
	raw(e.path, buf, sizeof buf, "PRAGMA user_version");
	is_int(atoi(buf), version, "at the last version again");
	raw(e.path, buf, sizeof buf, LONG_INS);
	is_str(buf, "0", "no such IN list is left");
	raw(e.path, buf, sizeof buf, "PRAGMA integrity_check");
	is_str(buf, "ok", "integrity check");
	raw(e.path, buf, sizeof buf, "SELECT count(*) FROM runs");
	is_str(buf, "2", "both runs kept");
	store_set_wake(e.s, wake_cb, &e);
	ok(store_local_actor(e.s, &e.a, &err) == 0 &&
	    drive(&e, &rv, "failed", NULL, "no", run, sizeof run) == 0,
	    "UFO-2's run claimed, started and failed after the step");
	o = run_get(&e, run);
	is_str(str_at(o, "status"), "failed", "its status is failed");
	json_object_put(o);
	snprintf(sql, sizeof sql, "UPDATE runs SET status = 'lost' WHERE"
	    " id = '%s'", done);
	ok(raw(e.path, buf, sizeof buf, sql) == -1 &&
	    strstr(buf, "CHECK constraint failed") != NULL,
	    "a status outside the list is still refused");
	raw(e.path, buf, sizeof buf, "INSERT INTO signals (id, fleet_id,"
	    " user_id, kind, op_id, message, created_at) SELECT 'sig_x',"
	    " m.fleet_id, m.user_id, 'nonsense', o.id, '', '' FROM members m,"
	    " operations o LIMIT 1");
	ok(strstr(buf, "CHECK constraint failed") != NULL, "so is a signal "
	    "kind");
	store_close(e.s);
	e.s = NULL;

	/* Neither the old text nor the new one: refused, nothing changed. */
	ok(runs_check_set(e.path, CHECK_ORS, CHECK_ODD, 2000 + version,
	    version - 1) == 0, "runs' CHECK edited by hand");
	ok(store_open(e.path, &e.s, &err) != 0 && strstr(err.message,
	    "migration") != NULL && strstr(err.message, "table runs: its "
	    "CHECK on status is neither") != NULL, "open refused, the "
	    "table and column named");
	printf("# %s\n", err.message);
	raw(e.path, buf, sizeof buf, "PRAGMA user_version");
	is_int(atoi(buf), version - 1, "still one version back");
	raw(e.path, buf, sizeof buf, "SELECT count(*) FROM sqlite_schema"
	    " WHERE sql LIKE '%''canceled''%'");
	is_str(buf, "1", "the table's text is as it was");

	/* Rewritten already: the step has nothing to do. */
	ok(runs_check_set(e.path, CHECK_ODD, CHECK_ORS, 3000 + version,
	    -1) == 0 && store_open(e.path, &e.s, &err) == 0,
	    "with the new text by hand, the step finds nothing to do");
	raw(e.path, buf, sizeof buf, "PRAGMA user_version");
	is_int(atoi(buf), version, "at the last version");
	env_close(&e);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_enroll();
	t_dispatch();
	t_claims();
	t_idle();
	t_lifecycle();
	t_markers();
	t_resume();
	t_previous_usage();
	t_undelivered();
	t_cancel_retry();
	t_sweep();
	t_wake();
	t_checks();
	t_threads();
	t_scale();
	return (done_testing());
}
