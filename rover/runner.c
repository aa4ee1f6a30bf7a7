#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "jsonx.h"
#include "log.h"
#include "mask.h"
#include "pilot.h"
#include "proc.h"
#include "runner.h"
#include "workdir.h"
#include "xmalloc.h"

extern char **environ;

/* A line longer than this is cut into pieces (still never dropped). */
#define RUNNER_MAX_LINE		(8U * 1024 * 1024)
/* A batch: at most this many messages and about this many bytes. */
#define RUNNER_BATCH_MSGS	1000
#define RUNNER_BATCH_BYTES	(512U * 1024)
/* Unsent messages beyond this stop reading the pilot (back pressure). */
#define RUNNER_MAX_OUTBOX	(32U * 1024 * 1024)
/* Retries of a failed call wait this long, doubling, up to the cap. */
#define RUNNER_RETRY_MS		250
#define RUNNER_RETRY_MAX_MS	5000
#define RUNNER_FINISH_MAX_MS	10000
/* How long the pipes may stay open after the pilot itself exited. */
#define RUNNER_LINGER_MS	1000

/* Why the pilot is being stopped. */
enum runner_stop {
	RUNNER_RUNNING,
	RUNNER_CANCELLED,
	RUNNER_TIMEOUT,
	RUNNER_LOST,
	RUNNER_SHUTDOWN
};

enum runner_call {
	RUNNER_CALL_OK,
	RUNNER_CALL_RETRY,
	RUNNER_CALL_LOST,
	RUNNER_CALL_GIVEUP
};

/* The private state of a run's thread. */
struct runner_ctx {
	struct runner		*r;
	struct client		*client;
	char			*base;		/* /rover/runs/<id> */
	const char		*what;		/* "run_…" for messages */

	const struct pilot_entry	*kind;
	struct pilot_spec	 spec;
	struct pilot_state	 st;
	char			**args;
	char			*session_name;
	int			 timeout;	/* seconds; 0: none */

	int64_t			 seq;
	struct json_object	*outbox;
	size_t			 outbytes;
	long long		 next_flush;
	int			 flush_fails;
	struct mask		 mask;		/* the claim's credentials */

	struct workdir		 wd;
	int			 have_wd;
	pid_t			 pid;
	int			 fds[2];
	char			*buf[2];
	size_t			 len[2];
	enum runner_stop	 stop;
	int			 status;
	int			 spawned;
};

struct runner *
runner_create(const struct runner_env *env, struct json_object *claim,
    struct ufo_error *err)
{
	struct runner	*r;
	const char	*id;
	int64_t		 attempt;

	if ((id = jsonx_str(claim, "id")) == NULL || *id == '\0') {
		err_set(err, UFO_EINVAL, "id", "a claim without a run id");
		return (NULL);
	}
	if ((attempt = jsonx_int(claim, "attempt", 0)) < 1) {
		err_set(err, UFO_EINVAL, "attempt", "the claim of %s has no "
		    "attempt", id);
		return (NULL);
	}
	r = xcalloc(1, sizeof *r);
	r->id = xstrdup(id);
	r->attempt = attempt;
	r->lease = (int)jsonx_int(claim, "lease_seconds", 30);
	if (r->lease < 3)
		r->lease = 3;
	atomic_init(&r->cancel, 0);
	atomic_init(&r->lost, 0);
	r->env = env;
	r->claim = json_object_get(claim);
	return (r);
}

void
runner_free(struct runner *r)
{
	struct json_object	*creds;

	if (r == NULL)
		return;
	if (json_object_object_get_ex(r->claim, "credentials", &creds))
		jsonx_wipe(creds);
	json_object_put(r->claim);
	free(r->id);
	free(r);
}

/* Replaces or adds NAME=value in an environment vector. */
static void
runner_setenv(struct pilot_strv *env, const char *name, const char *value)
{
	size_t	 i, len = strlen(name);

	for (i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], name, len) == 0 &&
		    env->v[i][len] == '=') {
			free(env->v[i]);
			env->v[i] = xprintf("%s=%s", name, value);
			return;
		}
	}
	pilot_strv_addf(env, "%s=%s", name, value);
}

static void
runner_putenv(struct pilot_strv *env, const char *kv)
{
	const char	*eq;
	char		*name;

	if ((eq = strchr(kv, '=')) == NULL || eq == kv)
		return;
	name = xstrndup(kv, (size_t)(eq - kv));
	runner_setenv(env, name, eq + 1);
	free(name);
}

/* Adds an object of NAME: value pairs (the profile's env, credentials). */
static void
runner_env_object(struct pilot_strv *env, struct json_object *obj)
{
	const char	*value;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return;
	json_object_object_foreach(obj, key, val) {
		if (*key == '\0' || strchr(key, '=') != NULL || val == NULL)
			continue;
		if (json_object_is_type(val, json_type_string))
			value = json_object_get_string(val);
		else
			value = json_object_to_json_string_ext(val,
			    JSON_C_TO_STRING_PLAIN);
		runner_setenv(env, key, value);
	}
}

/* Every credential value of the claim is masked from the start. */
static void
runner_mask_init(struct runner_ctx *x)
{
	struct json_object	*creds;

	if (!json_object_object_get_ex(x->r->claim, "credentials", &creds) ||
	    !json_object_is_type(creds, json_type_object))
		return;
	json_object_object_foreach(creds, key, val) {
		(void)key;
		if (val != NULL && json_object_is_type(val, json_type_string))
			mask_add(&x->mask, json_object_get_string(val));
	}
}

/* A masked copy of a string for finish or the log (NULL stays NULL). */
static char *
runner_masked(struct runner_ctx *x, const char *s)
{
	char	*m;

	if (s == NULL)
		return (NULL);
	if ((m = mask_bytes(&x->mask, s, strlen(s), NULL)) != NULL)
		return (m);
	return (xstrdup(s));
}

/*
 * The pilot's environment: the rover's, what the run is about, the
 * kind's defaults, the profile's env and the credentials, later ones
 * winning.
 */
static void
runner_environment(struct runner_ctx *x, struct pilot_strv *env)
{
	struct json_object	*claim = x->r->claim, *op, *mission, *pilot, *v;
	struct pilot_strv	 add = { 0 };
	const char		*s;
	size_t			 i;
	char			 num[32];

	for (i = 0; environ[i] != NULL; i++)
		pilot_strv_add(env, environ[i]);
	runner_setenv(env, "UFO_RUN", x->r->id);
	snprintf(num, sizeof num, "%lld", (long long)x->r->attempt);
	runner_setenv(env, "UFO_ATTEMPT", num);
	if (json_object_object_get_ex(claim, "operation", &op) &&
	    (s = jsonx_str(op, "code")) != NULL)
		runner_setenv(env, "UFO_OPERATION", s);
	if (json_object_object_get_ex(claim, "mission", &mission) &&
	    (s = jsonx_str(mission, "key")) != NULL)
		runner_setenv(env, "UFO_MISSION", s);
	if (x->have_wd)
		runner_setenv(env, "UFO_WORKDIR", x->wd.path);
	pilot_build_env(x->kind, &x->spec, &add);
	for (i = 0; i < add.n; i++)
		runner_putenv(env, add.v[i]);
	pilot_strv_free(&add);
	if (json_object_object_get_ex(claim, "pilot", &pilot) &&
	    json_object_object_get_ex(pilot, "env", &v))
		runner_env_object(env, v);
	if (json_object_object_get_ex(claim, "credentials", &v))
		runner_env_object(env, v);
}

/* The parser's messages: numbered and queued for the next batch. */
static void
runner_emit(void *arg, const char *type, struct json_object *data)
{
	struct runner_ctx	*x = arg;
	struct json_object	*m;

	/* Credentials never leave in telemetry: their values become "***". */
	mask_json(&x->mask, data);
	m = json_object_new_object();
	json_object_object_add(m, "seq", json_object_new_int64(x->seq++));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "data", data);
	x->outbytes += strlen(json_object_to_json_string_ext(m,
	    JSON_C_TO_STRING_PLAIN));
	json_object_array_add(x->outbox, m);
}

/* A line of the rover's own about the run, kept with its telemetry. */
static void
runner_note(struct runner_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
runner_note(struct runner_ctx *x, const char *fmt, ...)
{
	struct json_object	*data;
	va_list			 ap;
	char			*s, *line;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	line = xprintf("ufo-rover: %s", s);
	free(s);
	data = json_object_new_object();
	json_object_object_add(data, "line", json_object_new_string(line));
	json_object_object_add(data, "stream", json_object_new_string("rover"));
	free(line);
	runner_emit(x, "log", data);
}

static int
runner_killed(struct runner_ctx *x)
{
	return (*x->r->env->kill != 0);
}

/* Sleeps ms, waking early when the registration must stop. */
static void
runner_sleep(struct runner_ctx *x, long long ms)
{
	struct timespec	 ts;
	long long	 step;

	while (ms > 0 && !runner_killed(x)) {
		step = ms > 100 ? 100 : ms;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* One call of the rover surface, sorted by what the answer means. */
static enum runner_call
runner_call(struct runner_ctx *x, const char *what, const char *path,
    struct json_object *body, const void *raw, size_t rawlen,
    const char *ctype, int quiet)
{
	struct ufo_error	 err;
	long			 status;

	err_clear(&err);
	if (ctype != NULL) {
		if (client_request_raw(x->client, "POST", path, raw, rawlen,
		    ctype, NULL, &err) == 0)
			return (RUNNER_CALL_OK);
	} else if (client_request(x->client, "POST", path, body, NULL,
	    &err) == 0)
		return (RUNNER_CALL_OK);
	status = client_status(x->client);
	/* The run itself gone is lost too; an unknown artifact is not. */
	if (status == 404 && ctype != NULL)
		status = 400;
	switch (status) {
	case 409:
	case 404:
		/* Fenced: this rover no longer holds the run. */
		log_warn("%s: %s refused (%s): the lease is lost", x->what,
		    what, err.message);
		atomic_store(&x->r->lost, 1);
		return (RUNNER_CALL_LOST);
	case 401:
	case 403:
	case 426:
		log_error("%s: %s refused: %s", x->what, what, err.message);
		x->r->env->refused(x->r->env->arg, status);
		return (RUNNER_CALL_LOST);
	case 0:
	case 408:
	case 429:
		break;
	default:
		if (status >= 500)
			break;
		log_error("%s: %s refused: %s", x->what, what, err.message);
		return (RUNNER_CALL_GIVEUP);
	}
	if (!quiet && !runner_killed(x))
		log_warn("%s: %s failed, will retry: %s", x->what, what,
		    err.message);
	return (RUNNER_CALL_RETRY);
}

/* A call retried until it is answered for good, or the run must stop. */
static enum runner_call
runner_call_retry(struct runner_ctx *x, const char *what, const char *path,
    struct json_object *body, const void *raw, size_t rawlen,
    const char *ctype, long long cap)
{
	enum runner_call	 rc;
	long long		 wait = RUNNER_RETRY_MS;
	int			 tries = 0;

	for (;;) {
		if (runner_killed(x) || atomic_load(&x->r->lost))
			return (RUNNER_CALL_LOST);
		rc = runner_call(x, what, path, body, raw, rawlen, ctype,
		    tries > 0);
		if (rc != RUNNER_CALL_RETRY)
			return (rc);
		tries++;
		runner_sleep(x, wait);
		wait = wait * 2 > cap ? cap : wait * 2;
	}
}

/*
 * Sends what is queued, in batches. Not forced (while the pilot runs):
 * one try, and a failure waits its turn with a growing pause. Forced
 * (before finish): retried until everything is accepted.
 */
static int
runner_flush(struct runner_ctx *x, int force)
{
	struct json_object	*body, *batch, *m;
	enum runner_call	 rc;
	size_t			 n, total, size, bytes;
	char			*path;

	path = xprintf("%s/messages", x->base);
	while ((total = json_object_array_length(x->outbox)) > 0) {
		batch = json_object_new_array();
		bytes = 0;
		for (n = 0; n < total && n < RUNNER_BATCH_MSGS; n++) {
			m = json_object_array_get_idx(x->outbox, n);
			size = strlen(json_object_to_json_string_ext(m,
			    JSON_C_TO_STRING_PLAIN));
			if (n > 0 && bytes + size > RUNNER_BATCH_BYTES)
				break;
			bytes += size;
			json_object_array_add(batch, json_object_get(m));
		}
		body = json_object_new_object();
		json_object_object_add(body, "attempt",
		    json_object_new_int64(x->r->attempt));
		json_object_object_add(body, "messages", batch);
		if (force) {
			rc = runner_call_retry(x, "messages", path, body, NULL,
			    0, NULL, RUNNER_RETRY_MAX_MS);
		} else
			rc = runner_call(x, "messages", path, body, NULL, 0,
			    NULL, x->flush_fails > 0);
		json_object_put(body);
		if (rc == RUNNER_CALL_RETRY) {
			x->flush_fails++;
			x->next_flush = proc_now() + (x->flush_fails >= 5 ?
			    RUNNER_RETRY_MAX_MS : RUNNER_RETRY_MS <<
			    x->flush_fails);
			free(path);
			return (-1);
		}
		if (rc == RUNNER_CALL_LOST) {
			free(path);
			return (-1);
		}
		/* Accepted, or refused for good: either way it is done. */
		json_object_array_del_idx(x->outbox, 0, n);
		x->outbytes = x->outbytes > bytes ? x->outbytes - bytes : 0;
		x->flush_fails = 0;
	}
	x->outbytes = 0;
	x->next_flush = proc_now() + RUNNER_FLUSH_MS;
	free(path);
	return (0);
}

/* Reads the claim into the pilot spec; a message when it cannot. */
static int
runner_spec(struct runner_ctx *x, char **cause)
{
	struct json_object	*claim = x->r->claim, *op, *pilot, *args, *v;
	struct pilot_usage	 base;
	const char		*kind, *opid;
	size_t			 i, n;

	*cause = NULL;
	if (!json_object_object_get_ex(claim, "pilot", &pilot) ||
	    !json_object_is_type(pilot, json_type_object)) {
		*cause = xstrdup("the claim has no pilot");
		return (-1);
	}
	kind = jsonx_str(pilot, "kind");
	if ((x->kind = pilot_find(kind)) == NULL) {
		*cause = xprintf("unknown pilot kind \"%s\"", kind != NULL ?
		    kind : "");
		return (-1);
	}
	if (!json_object_object_get_ex(claim, "operation", &op))
		op = NULL;
	x->spec.prompt = jsonx_str(claim, "prompt");
	if (x->spec.prompt == NULL)
		x->spec.prompt = "";
	x->spec.body = jsonx_str(op, "body");
	x->spec.model = jsonx_str(pilot, "model");
	n = 0;
	if (json_object_object_get_ex(pilot, "args", &args) &&
	    json_object_is_type(args, json_type_array))
		n = json_object_array_length(args);
	x->args = xcalloc(n + 1, sizeof *x->args);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(args, i);
		x->args[i] = xstrdup(json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : json_object_to_json_string_ext(
		    v, JSON_C_TO_STRING_PLAIN));
	}
	x->spec.args = (const char *const *)x->args;
	x->spec.resume = json_object_object_get_ex(claim, "resume", &v) &&
	    json_object_get_boolean(v);
	x->spec.session_id = jsonx_str(claim, "session_id");
	opid = jsonx_str(op, "id");
	x->session_name = xprintf("ufo-%s", opid != NULL ? opid : x->r->id);
	x->spec.session_name = x->session_name;
	x->spec.max_turns = jsonx_int(pilot, "max_turns", 0);
	x->spec.root = geteuid() == 0;
	x->timeout = (int)jsonx_int(pilot, "timeout", 0);
	if (x->timeout < 0)
		x->timeout = 0;

	/* Where a cumulative session stood before this run. */
	memset(&base, 0, sizeof base);
	if (json_object_object_get_ex(claim, "previous_usage", &v) &&
	    json_object_is_type(v, json_type_object)) {
		base.input_tokens = jsonx_int(v, "input_tokens", 0);
		base.output_tokens = jsonx_int(v, "output_tokens", 0);
		base.cache_read_tokens = jsonx_int(v, "cache_read_tokens", 0);
	}
	pilot_state_base(&x->st, &base);
	return (0);
}

/* Reads what a pipe has and feeds its complete lines to the parser. */
static void
runner_read(struct runner_ctx *x, int i)
{
	char	 chunk[65536], *nl, *p;
	ssize_t	 n;
	size_t	 len;

	n = read(x->fds[i], chunk, sizeof chunk);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* The last line may have no newline. */
		if (x->len[i] > 0) {
			if (i == 0)
				pilot_state_stdout(&x->st, x->buf[i], x->len[i]);
			else
				pilot_state_stderr(&x->st, x->buf[i], x->len[i]);
		}
		x->len[i] = 0;
		close(x->fds[i]);
		x->fds[i] = -1;
		return;
	}
	x->buf[i] = xrealloc(x->buf[i], x->len[i] + (size_t)n + 1);
	memcpy(x->buf[i] + x->len[i], chunk, (size_t)n);
	x->len[i] += (size_t)n;
	p = x->buf[i];
	while ((nl = memchr(p, '\n', x->len[i] - (size_t)(p - x->buf[i]))) !=
	    NULL) {
		len = (size_t)(nl - p);
		if (i == 0)
			pilot_state_stdout(&x->st, p, len);
		else
			pilot_state_stderr(&x->st, p, len);
		p = nl + 1;
	}
	len = x->len[i] - (size_t)(p - x->buf[i]);
	if (len >= RUNNER_MAX_LINE) {
		if (i == 0)
			pilot_state_stdout(&x->st, p, len);
		else
			pilot_state_stderr(&x->st, p, len);
		len = 0;
	}
	memmove(x->buf[i], p, len);
	x->len[i] = len;
}

static void
runner_signal(struct runner_ctx *x, int sig)
{
	if (kill(-x->pid, sig) == -1 && errno == ESRCH)
		(void)kill(x->pid, sig);
}

/*
 * Whether the pilot exited, without reaping it: while it is a zombie its
 * process group id cannot be reused, so signalling the group stays safe.
 */
static int
runner_exited(struct runner_ctx *x)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)x->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    -1)
		return (errno != EINTR);
	return (si.si_pid == x->pid);
}

/* Runs the pilot to its end, reading, flushing and watching deadlines. */
static void
runner_loop(struct runner_ctx *x)
{
	struct pollfd	 pfd[2];
	long long	 now, deadline = 0, kill_at = 0, exited_at = 0;
	int		 i, nfds, exited = 0, swept = 0;

	if (x->timeout > 0)
		deadline = proc_now() + (long long)x->timeout * 1000;
	for (;;) {
		now = proc_now();
		if (x->stop == RUNNER_RUNNING && !exited) {
			if (runner_killed(x))
				x->stop = RUNNER_SHUTDOWN;
			else if (atomic_load(&x->r->lost))
				x->stop = RUNNER_LOST;
			else if (atomic_load(&x->r->cancel))
				x->stop = RUNNER_CANCELLED;
			else if (deadline != 0 && now >= deadline)
				x->stop = RUNNER_TIMEOUT;
			if (x->stop != RUNNER_RUNNING) {
				log_info("%s: stopping the pilot (%s)", x->what,
				    x->stop == RUNNER_CANCELLED ? "cancelled" :
				    x->stop == RUNNER_TIMEOUT ? "timeout" :
				    x->stop == RUNNER_LOST ? "lease lost" :
				    "rover stopping");
				runner_signal(x, SIGTERM);
				kill_at = now + RUNNER_GRACE_MS;
			}
		} else if (kill_at != 0 && !exited && now >= kill_at) {
			runner_signal(x, SIGKILL);
			kill_at = 0;
		}

		if (!exited && runner_exited(x)) {
			exited = 1;
			exited_at = now;
		}
		if (exited && !swept && (x->fds[0] != -1 || x->fds[1] != -1) &&
		    now - exited_at >= RUNNER_LINGER_MS) {
			/* What the pilot left behind holds the pipes. */
			(void)kill(-x->pid, SIGKILL);
			swept = 1;
		}
		if (exited && ((x->fds[0] == -1 && x->fds[1] == -1) ||
		    now - exited_at >= 3 * RUNNER_LINGER_MS))
			break;

		if (json_object_array_length(x->outbox) > 0 &&
		    now >= x->next_flush && x->stop != RUNNER_LOST &&
		    x->stop != RUNNER_SHUTDOWN)
			(void)runner_flush(x, 0);

		nfds = 0;
		if (x->outbytes < RUNNER_MAX_OUTBOX) {
			for (i = 0; i < 2; i++) {
				if (x->fds[i] == -1)
					continue;
				pfd[nfds].fd = x->fds[i];
				pfd[nfds].events = POLLIN;
				pfd[nfds].revents = 0;
				nfds++;
			}
		}
		if (poll(pfd, (nfds_t)nfds, exited ? 20 : 100) == -1 &&
		    errno != EINTR)
			fatal("poll");
		for (i = 0; i < nfds; i++) {
			if (pfd[i].revents == 0)
				continue;
			runner_read(x, pfd[i].fd == x->fds[0] ? 0 : 1);
		}
	}
	for (i = 0; i < 2; i++) {
		if (x->fds[i] != -1) {
			if (x->len[i] > 0 && i == 0)
				pilot_state_stdout(&x->st, x->buf[i], x->len[i]);
			else if (x->len[i] > 0)
				pilot_state_stderr(&x->st, x->buf[i], x->len[i]);
			close(x->fds[i]);
			x->fds[i] = -1;
		}
	}
	/* Nothing the pilot started outlives its run. */
	(void)kill(-x->pid, SIGKILL);
	while (waitpid(x->pid, &x->status, 0) == -1) {
		if (errno != EINTR) {
			log_warn("%s: waitpid: %s", x->what, strerror(errno));
			x->status = 0;
			break;
		}
	}
}

/* The pilot's environment holds the credentials: wiped, then freed. */
static void
runner_env_free(struct pilot_strv *env)
{
	size_t	 i;

	for (i = 0; i < env->n; i++)
		explicit_bzero(env->v[i], strlen(env->v[i]));
	pilot_strv_free(env);
}

/* Starts the pilot; a message (allocated) when it cannot. */
static int
runner_spawn(struct runner_ctx *x, char **cause)
{
	struct pilot_strv	 argv = { 0 }, env = { 0 };
	struct proc_spec	 ps;
	struct ufo_error	 err;
	const char		*path = NULL;
	char			*exe;
	size_t			 i;
	int			 rc;

	if (pilot_build_argv(x->kind, &x->spec, &argv, cause) == -1)
		return (-1);
	runner_environment(x, &env);
	for (i = 0; i < env.n; i++) {
		if (strncmp(env.v[i], "PATH=", 5) == 0)
			path = env.v[i] + 5;
	}
	if ((exe = proc_which(argv.v[0], path)) == NULL) {
		*cause = xprintf("%s: not found on PATH", argv.v[0]);
		pilot_strv_free(&argv);
		runner_env_free(&env);
		return (-1);
	}
	memset(&ps, 0, sizeof ps);
	ps.path = exe;
	ps.argv = argv.v;
	ps.envp = env.v;
	ps.dir = x->have_wd ? x->wd.path : NULL;
	ps.pgrp = 1;
	err_clear(&err);
	rc = proc_spawn(&ps, &x->pid, &x->fds[0], &x->fds[1], &err);
	if (rc == -1)
		*cause = xstrdup(err.message);
	else {
		x->spawned = 1;
		log_debug("%s: started %s (pid %ld) in %s", x->what, exe,
		    (long)x->pid, ps.dir != NULL ? ps.dir : ".");
	}
	free(exe);
	pilot_strv_free(&argv);
	runner_env_free(&env);
	return (rc);
}

/* Uploads the diff (artifact git.diff) before finish. */
static void
runner_diff(struct runner_ctx *x)
{
	struct ufo_error	 err;
	char			*diff, *masked, *path, num[32];
	size_t			 len;

	err_clear(&err);
	if (workdir_diff(&x->wd, &diff, &len, &err) == -1) {
		log_warn("%s: %s", x->what, err.message);
		pilot_emit_error(&x->st, err.message);
		return;
	}
	/* A credential the pilot wrote into a file stays out of the diff. */
	if ((masked = mask_bytes(&x->mask, diff, len, &len)) != NULL) {
		free(diff);
		diff = masked;
	}
	path = xprintf("%s/artifacts/git.diff", x->base);
	snprintf(num, sizeof num, "%lld", (long long)x->r->attempt);
	client_query_add(&path, "attempt", num);
	(void)runner_call_retry(x, "the diff", path, NULL, diff, len,
	    "text/x-diff", RUNNER_RETRY_MAX_MS);
	free(path);
	free(diff);
}

/* Finish, retried until acknowledged. */
static void
runner_finish(struct runner_ctx *x, const char *status, const char *error)
{
	struct json_object	*body, *usage;
	struct pilot_usage	*u = &x->st.usage;
	const char		*session;
	char			*path, *masked, *final;

	masked = runner_masked(x, error);
	final = runner_masked(x, x->st.final_message);
	body = json_object_new_object();
	json_object_object_add(body, "attempt",
	    json_object_new_int64(x->r->attempt));
	json_object_object_add(body, "status", json_object_new_string(status));
	if (x->spawned)
		json_object_object_add(body, "exit_code",
		    json_object_new_int(x->st.exit_code));
	if (masked != NULL)
		json_object_object_add(body, "error",
		    json_object_new_string(masked));
	if (final != NULL)
		json_object_object_add(body, "final_message",
		    json_object_new_string(final));
	/* goose has no id in its stream: its session is the name. */
	session = x->st.session_id;
	if (session == NULL && x->kind == &pilot_goose && x->spawned)
		session = x->session_name;
	if (session == NULL)
		session = x->spec.session_id;
	if (session != NULL)
		json_object_object_add(body, "session_id",
		    json_object_new_string(session));
	if (u->have) {
		usage = json_object_new_object();
		json_object_object_add(usage, "input_tokens",
		    json_object_new_int64(u->input_tokens));
		json_object_object_add(usage, "output_tokens",
		    json_object_new_int64(u->output_tokens));
		json_object_object_add(usage, "cache_read_tokens",
		    json_object_new_int64(u->cache_read_tokens));
		if (u->have_cost)
			json_object_object_add(usage, "cost_usd",
			    json_object_new_double(u->cost_usd));
		json_object_object_add(body, "usage", usage);
	}
	path = xprintf("%s/finish", x->base);
	if (runner_call_retry(x, "finish", path, body, NULL, 0, NULL,
	    RUNNER_FINISH_MAX_MS) == RUNNER_CALL_OK)
		log_info("%s: finished: %s%s%s", x->what, status,
		    masked != NULL ? ": " : "", masked != NULL ? masked : "");
	free(path);
	free(masked);
	free(final);
	json_object_put(body);
}

static void
runner_run(struct runner_ctx *x)
{
	struct json_object	*body, *op, *mission;
	struct workdir_spec	 ws;
	struct ufo_error	 err;
	const char		*status;
	char			*cause = NULL, *path, *error = NULL;
	enum runner_call	 rc;

	/* start: the run is ours and running. */
	body = json_object_new_object();
	json_object_object_add(body, "attempt",
	    json_object_new_int64(x->r->attempt));
	if (x->spec.session_id != NULL)
		json_object_object_add(body, "session_id",
		    json_object_new_string(x->spec.session_id));
	path = xprintf("%s/start", x->base);
	rc = runner_call_retry(x, "start", path, body, NULL, 0, NULL,
	    RUNNER_RETRY_MAX_MS);
	free(path);
	json_object_put(body);
	if (rc == RUNNER_CALL_LOST)
		return;

	if (x->kind == NULL) {
		runner_finish(x, "failed", x->st.error);
		return;
	}
	if (!json_object_object_get_ex(x->r->claim, "operation", &op))
		op = NULL;
	if (!json_object_object_get_ex(x->r->claim, "mission", &mission))
		mission = NULL;
	memset(&ws, 0, sizeof ws);
	ws.outpost = x->r->env->outpost;
	ws.slug = jsonx_str(op, "slug");
	ws.code = jsonx_str(op, "code");
	ws.repo = jsonx_str(mission, "repo");
	ws.branch = jsonx_str(mission, "branch");
	err_clear(&err);
	if (workdir_prepare(&ws, &x->wd, &err) == -1) {
		error = xprintf("work dir: %s", err.message);
		pilot_emit_error(&x->st, error);
		(void)runner_flush(x, 1);
		runner_finish(x, "failed", error);
		free(error);
		return;
	}
	x->have_wd = 1;
	runner_note(x, "%s in %s (branch %s at %.12s%s)", x->kind->name,
	    x->wd.path, x->wd.branch, x->wd.start, x->wd.reused ?
	    ", reused" : "");

	if (runner_spawn(x, &cause) == -1) {
		pilot_emit_error(&x->st, cause);
		(void)runner_flush(x, 1);
		runner_finish(x, "failed", cause);
		free(cause);
		return;
	}
	runner_loop(x);
	pilot_state_finish(&x->st, x->status);
	if (x->stop == RUNNER_LOST || x->stop == RUNNER_SHUTDOWN ||
	    atomic_load(&x->r->lost) || runner_killed(x)) {
		log_info("%s: dropped (%s)", x->what, x->stop ==
		    RUNNER_SHUTDOWN || runner_killed(x) ? "rover stopping" :
		    "lease lost");
		return;
	}
	if (x->stop == RUNNER_CANCELLED)
		status = "cancelled";
	else if (x->stop == RUNNER_TIMEOUT) {
		status = "failed";
		error = xprintf("timeout after %d s", x->timeout);
		pilot_emit_error(&x->st, error);
	} else if (x->st.failed) {
		status = "failed";
		error = xstrdup(x->st.error);
	} else
		status = "succeeded";
	runner_diff(x);
	if (runner_flush(x, 1) == 0)
		runner_finish(x, status, error);
	free(error);
}

static void *
runner_main(void *arg)
{
	struct runner		*r = arg;
	struct runner_ctx	 x;
	char			*cause = NULL;
	size_t			 i;

	memset(&x, 0, sizeof x);
	x.r = r;
	x.what = r->id;
	x.fds[0] = x.fds[1] = -1;
	/* Per attempt: ufod keys duplicates on (run, attempt, seq). */
	x.seq = 1;
	x.outbox = json_object_new_array();
	x.client = client_create(r->env->client);
	client_set_stop(x.client, r->env->kill);
	x.base = client_path("/rover/runs/%s", r->id);
	runner_mask_init(&x);
	pilot_state_init(&x.st, NULL, runner_emit, &x);
	if (runner_spec(&x, &cause) == -1) {
		log_error("%s: %s", x.what, cause);
		x.st.failed = 1;
		x.st.error = cause;
		x.kind = NULL;
	}
	x.st.kind = x.kind != NULL ? x.kind : &pilot_shell;
	runner_run(&x);

	if (x.have_wd)
		workdir_free(&x.wd);
	free(x.buf[0]);
	free(x.buf[1]);
	mask_free(&x.mask);
	if (x.args != NULL) {
		for (i = 0; x.args[i] != NULL; i++)
			free(x.args[i]);
		free(x.args);
	}
	free(x.session_name);
	pilot_state_free(&x.st);
	json_object_put(x.outbox);
	free(x.base);
	client_free(x.client);
	r->env->done(r, r->env->arg);
	return (NULL);
}

int
runner_start(struct runner *r, struct ufo_error *err)
{
	int	 rc;

	if ((rc = pthread_create(&r->thread, NULL, runner_main, r)) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "%s: thread: %s",
		    r->id, strerror(rc)));
	return (0);
}
