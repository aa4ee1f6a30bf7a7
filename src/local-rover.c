#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonx.h"
#include "local-rover.h"
#include "log.h"
#include "protocol.h"
#include "store.h"
#include "xmalloc.h"

#define LOCAL_ROVER_UNITS	2
#define LOCAL_ROVER_GRACE_MS	5000
#define LOCAL_ROVER_BACKOFF_MAX	60

extern char **environ;

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	int		 running;
	int		 stopping;
	pid_t		 pid;
	char		*file;		/* the registration */
	char		*log;		/* the rover's stderr */
	char		*pidfile;	/* outlives a ufod killed -9 */
} local = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* The ufo-rover to run: $UFO_ROVER, beside ufod, the build tree, bindir. */
char *
local_rover_path(void)
{
	char		 exe[PATH_MAX], *dir, *p;
	const char	*env;
	ssize_t		 n;
	const char	*const rel[] = { "ufo-rover", "../rover/ufo-rover" };
	size_t		 i;

	if ((env = getenv("UFO_ROVER")) != NULL && *env != '\0')
		return (xstrdup(env));
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		if ((dir = strrchr(exe, '/')) != NULL)
			*dir = '\0';
		for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			p = xprintf("%s/%s", exe, rel[i]);
			if (access(p, X_OK) == 0)
				return (p);
			free(p);
		}
	}
	p = xprintf("%s/ufo-rover", UFO_BINDIR);
	if (access(p, X_OK) == 0)
		return (p);
	free(p);
	return (xstrdup("ufo-rover"));
}

/* Reads the token of a registration file written by local_rover_enroll. */
static char *
local_rover_token(const char *file)
{
	struct json_object	*top, *reg;
	struct ufo_error	 err;
	const char		*token;
	char			*buf = NULL, *out = NULL;
	size_t			 size = 0;
	FILE			*f;

	if ((f = fopen(file, "r")) == NULL)
		return (NULL);
	if (getdelim(&buf, &size, '\0', f) > 0 &&
	    (top = jsonx_parse(buf, strlen(buf), &err)) != NULL) {
		reg = json_object_is_type(top, json_type_array) ?
		    json_object_array_get_idx(top, 0) : NULL;
		if ((token = jsonx_str(reg, "token")) != NULL)
			out = xstrdup(token);
		json_object_put(top);
	}
	free(buf);
	fclose(f);
	return (out);
}

/* Writes the registration atomically, readable by its owner only. */
static int
local_rover_write(const char *file, struct json_object *regs,
    struct ufo_error *err)
{
	char		*tmp;
	const char	*text;
	int		 fd, rc = 0;

	tmp = xprintf("%s.tmp", file);
	text = json_object_to_json_string_ext(regs, JSON_C_TO_STRING_PRETTY);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    write(fd, "\n", 1) != 1 || fsync(fd) == -1 || close(fd) == -1 ||
	    rename(tmp, file) == -1) {
		rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", file,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	return (rc);
}

/* Enrolls a new local rover through the store, as ufo-rover enroll would. */
static int
local_rover_enroll(struct store *store, const char *socket, const char *file,
    struct ufo_error *err)
{
	struct store_actor	 actor;
	struct json_object	*in, *code = NULL, *out = NULL, *reg, *regs;
	char			 host[256], url[PATH_MAX + 8];
	int			 rc = -1;

	snprintf(url, sizeof url, "unix:%s", socket);
	if (store_local_actor(store, &actor, err) == -1)
		return (-1);
	in = json_object_new_object();
	json_object_object_add(in, "uses", json_object_new_int(1));
	json_object_object_add(in, "expires_in", json_object_new_int(60));
	if (store_code_create(store, &actor, in, &code, err) == -1)
		goto out;
	json_object_put(in);
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	in = json_object_new_object();
	json_object_object_add(in, "code",
	    json_object_new_string(jsonx_str(code, "code")));
	json_object_object_add(in, "units",
	    json_object_new_int(LOCAL_ROVER_UNITS));
	json_object_object_add(in, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(in, "host", json_object_new_string(host));
	json_object_object_add(in, "name", json_object_new_string("local"));
	/*
	 * The name is taken when the registration file was lost but its
	 * rover was not revoked; the store then names it after the host.
	 */
	if (store_rover_enroll(store, in, &out, err) == -1) {
		if (err->code != UFO_ECONFLICT || strcmp(err->field, "name") != 0)
			goto out;
		log_warn("local rover: %s; named after the host instead",
		    err->message);
		/* The failed enrollment rolled back: the code is unused. */
		json_object_object_del(in, "name");
		if (store_rover_enroll(store, in, &out, err) == -1)
			goto out;
	}

	reg = json_object_new_object();
	json_object_object_add(reg, "id", json_object_new_string(
	    jsonx_str(json_object_object_get(out, "rover"), "id")));
	json_object_object_add(reg, "name", json_object_new_string(
	    jsonx_str(json_object_object_get(out, "rover"), "name")));
	json_object_object_add(reg, "server", json_object_new_string_len(
	    url, (int)strlen(url)));
	json_object_object_add(reg, "token",
	    json_object_new_string(jsonx_str(out, "token")));
	json_object_object_add(reg, "units",
	    json_object_new_int(LOCAL_ROVER_UNITS));
	json_object_object_add(reg, "tags", json_object_new_array());
	regs = json_object_new_array();
	json_object_array_add(regs, reg);
	rc = local_rover_write(file, regs, err);
	json_object_put(regs);
	if (rc == 0)
		log_info("enrolled the local rover %s", jsonx_str(reg, "id"));
out:
	json_object_put(in);
	json_object_put(code);
	json_object_put(out);
	return (rc);
}

/*
 * A ufod killed with SIGKILL leaves its rover running; the next one stops
 * that rover before starting its own, so one registration has one process.
 */
static void
local_rover_reap_orphan(void)
{
	char	 buf[64], cmd[4096], *path;
	FILE	*f;
	long	 pid;
	size_t	 n;

	if ((f = fopen(local.pidfile, "r")) == NULL)
		return;
	pid = fgets(buf, sizeof buf, f) != NULL ? strtol(buf, NULL, 10) : 0;
	fclose(f);
	if (pid <= 1)
		return;
	path = xprintf("/proc/%ld/cmdline", pid);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(cmd, 1, sizeof cmd - 1, f);
		cmd[n] = '\0';
		fclose(f);
		/* argv[0] ends in ufo-rover and argv[2] is our registration. */
		if (n > 0 && memmem(cmd, n, local.file, strlen(local.file)) !=
		    NULL) {
			log_info("stopping the local rover left behind (pid "
			    "%ld)", pid);
			kill((pid_t)pid, SIGTERM);
		}
	}
	free(path);
}

static void
local_rover_write_pid(pid_t pid)
{
	FILE	*f;

	if ((f = fopen(local.pidfile, "w")) == NULL) {
		log_warn("%s: %s", local.pidfile, strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)pid);
	fclose(f);
}

static pid_t
local_rover_spawn(void)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, dflt;
	char				*path, *argv[5];
	pid_t				 pid = -1;
	int				 error;

	path = local_rover_path();
	argv[0] = path;
	argv[1] = (char *)"--registrations";
	argv[2] = local.file;
	argv[3] = (char *)"run";
	argv[4] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, local.log,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	/* ufod blocks and ignores signals the rover must see. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	if ((error = posix_spawnp(&pid, path, &fa, &attr, argv,
	    environ)) != 0) {
		log_error("cannot start the local rover %s: %s", path,
		    strerror(error));
		pid = -1;
	} else {
		log_info("local rover started: %s (pid %ld)", path, (long)pid);
		local_rover_write_pid(pid);
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(path);
	return (pid);
}

/* Sleeps up to ms unless stopping; returns whether to stop. */
static int
local_rover_sleep(long ms)
{
	struct timespec	 ts;
	int		 stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&local.lock);
	if (!local.stopping)
		pthread_cond_timedwait(&local.cond, &local.lock, &ts);
	stop = local.stopping;
	pthread_mutex_unlock(&local.lock);
	return (stop);
}

static void *
local_rover_main(void *arg)
{
	pid_t	 pid;
	time_t	 started;
	int	 status, backoff = 1;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&local.lock);
		if (local.stopping) {
			pthread_mutex_unlock(&local.lock);
			break;
		}
		local.pid = pid = local_rover_spawn();
		pthread_mutex_unlock(&local.lock);
		started = time(NULL);
		if (pid != -1) {
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
			pthread_mutex_lock(&local.lock);
			local.pid = -1;
			pthread_mutex_unlock(&local.lock);
			if (WIFEXITED(status))
				log_warn("local rover exited with status %d",
				    WEXITSTATUS(status));
			else if (WIFSIGNALED(status))
				log_warn("local rover killed by signal %d",
				    WTERMSIG(status));
		}
		/* A rover that ran a while gets restarted at once. */
		if (time(NULL) - started > LOCAL_ROVER_BACKOFF_MAX)
			backoff = 1;
		if (local_rover_sleep(backoff * 1000L))
			break;
		if (backoff < LOCAL_ROVER_BACKOFF_MAX)
			backoff *= 2;
	}
	return (NULL);
}

int
local_rover_start(struct store *store, const char *socket,
    const char *database, struct ufo_error *err)
{
	struct store_rover	 rover;
	struct ufo_error	 e;
	char			*token, *dir;
	int			 error;

	dir = xstrdup(database);
	if (strrchr(dir, '/') != NULL)
		*strrchr(dir, '/') = '\0';
	local.file = xprintf("%s/local-rover.json", dir);
	local.log = xprintf("%s/local-rover.log", dir);
	local.pidfile = xprintf("%s/local-rover.pid", dir);
	free(dir);
	local_rover_reap_orphan();

	/* Reuse the registration while its token is good. */
	token = local_rover_token(local.file);
	if (token == NULL ||
	    store_rover_authenticate(store, token, &rover, &e) == -1) {
		if (local_rover_enroll(store, socket, local.file, err) == -1) {
			free(token);
			return (-1);
		}
	}
	free(token);
	local.pid = -1;
	local.stopping = 0;
	if ((error = pthread_create(&local.thread, NULL, local_rover_main,
	    NULL)) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "pthread_create: %s",
		    strerror(error)));
	local.running = 1;
	return (0);
}

void
local_rover_stop(void)
{
	struct timespec	 ts;

	if (!local.running)
		return;
	pthread_mutex_lock(&local.lock);
	local.stopping = 1;
	pthread_cond_signal(&local.cond);
	if (local.pid > 0)
		kill(local.pid, SIGTERM);
	pthread_mutex_unlock(&local.lock);
	/* The supervisor reaps it; kill it for good if it lingers. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += LOCAL_ROVER_GRACE_MS / 1000;
	if (pthread_timedjoin_np(local.thread, NULL, &ts) != 0) {
		pthread_mutex_lock(&local.lock);
		if (local.pid > 0)
			kill(local.pid, SIGKILL);
		pthread_mutex_unlock(&local.lock);
		pthread_join(local.thread, NULL);
	}
	local.running = 0;
	unlink(local.pidfile);
	free(local.file);
	free(local.log);
	free(local.pidfile);
}
