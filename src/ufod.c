#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "local-rover.h"
#include "log.h"
#include "protocol.h"
#include "server.h"
#include "store.h"
#include "ssh.h"
#include "sweeper.h"
#include "tls.h"
#include "vault.h"
#include "waiter.h"
#include "xmalloc.h"

#define UFOD_DRAIN_MS	10000

static const char ufod_usage[] =
    "usage: ufod [-dfhRVv] [-c config] [-D database] [-l listen] "
    "[-s socket]\n"
    "       ufod --rotate-master-key [-c config] [-D database]\n";

#define UFOD_OPT_ROTATE	256

static const struct option ufod_longopts[] = {
	{ "rotate-master-key", no_argument, NULL, UFOD_OPT_ROTATE },
	{ NULL, 0, NULL, 0 }
};

/* What the command line set; it wins over ufo.conf, also on reload. */
struct ufod_opts {
	const char	*config;
	const char	*socket;
	const char	*database;
	const char	*listen;
	int		 daemonize;
	int		 rotate;	/* --rotate-master-key */
	int		 local_rover;
	int		 verbose;
};

static __attribute__((noreturn)) void
ufod_die(const char *msg)
{
	log_error("%s", msg);
	exit(1);
}

static int
ufod_apply_opts(struct conf *conf, const struct ufod_opts *o,
    struct ufo_error *err)
{
	if (o->socket != NULL && conf_set(conf, "socket", o->socket, err) == -1)
		return (-1);
	if (o->database != NULL &&
	    conf_set(conf, "database", o->database, err) == -1)
		return (-1);
	if (o->listen != NULL && conf_set(conf, "listen", o->listen, err) == -1)
		return (-1);
	if (o->verbose)
		return (conf_set(conf, "log_level", "debug", err));
	return (0);
}

static int
ufod_read_conf(struct conf *conf, const struct ufod_opts *o,
    struct ufo_error *err)
{
	char	*path;
	int	 rc;

	conf_init(conf);
	path = o->config != NULL ? conf_expand_path(o->config) :
	    xstrdup(conf->path);
	rc = conf_load(conf, path, o->config != NULL, err);
	free(path);
	if (rc == 0)
		rc = ufod_apply_opts(conf, o, err);
	return (rc);
}

/* The certificate and key ufo.conf names, checked; NULL for plain HTTP. */
static int
ufod_tls(const struct conf *conf, struct tls_pair **tls,
    struct ufo_error *err)
{
	if (tls_load(conf->tls_cert, conf->tls_key, tls, err) == -1)
		return (-1);
	if (*tls != NULL && conf->listen == NULL)
		log_warn("tls_cert and tls_key are set but listen is not: "
		    "there is no TCP listener to serve HTTPS on");
	return (0);
}

static enum log_level
ufod_log_level(const struct conf *conf)
{
	static const char *const names[] = {
		[LOG_LEVEL_ERROR] = "error",
		[LOG_LEVEL_WARN] = "warning",
		[LOG_LEVEL_INFO] = "info",
		[LOG_LEVEL_DEBUG] = "debug",
	};
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(names[i], conf->log_level) == 0)
			return ((enum log_level)i);
	}
	return (LOG_LEVEL_INFO);
}

/*
 * Forks into the background. The parent waits on a pipe and exits only when
 * the child says it is listening, so "ufod -d && ufo …" never races; the
 * child's start-up errors still reach the terminal.
 */
static int
ufod_daemonize(void)
{
	int	 fds[2];
	pid_t	 pid;
	char	 c;
	ssize_t	 n;

	if (pipe(fds) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid != 0) {
		close(fds[1]);
		do
			n = read(fds[0], &c, 1);
		while (n == -1 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(fds[0]);
	if (setsid() == -1)
		fatal("setsid");
	return (fds[1]);
}

static void
ufod_detach(int ready)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (chdir("/") == -1)
		log_warn("chdir /: %s", strerror(errno));
	if (write(ready, "r", 1) != 1)
		log_warn("cannot tell the parent ufod is ready");
	close(ready);
}

/* Takes the database's lock file, so two ufods never share a database. */
static int
ufod_lock(const char *database, struct ufo_error *err)
{
	char	*path, pid[32];
	ssize_t	 n;
	int	 fd;

	path = xprintf("%s.lock", database);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno));
		free(path);
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		err_set(err, UFO_ECONFLICT, "", "database %s is in use by ufod "
		    "(pid %s)", database, *pid != '\0' ? pid : "unknown");
		close(fd);
		free(path);
		return (-1);
	}
	free(path);
	if (ftruncate(fd, 0) == -1 || dprintf(fd, "%ld\n", (long)getpid()) < 0)
		log_warn("cannot write the pid to the lock file");
	return (fd);
}

static const char *
ufod_login(void)
{
	struct passwd	*pw;
	const char	*user;

	if ((pw = getpwuid(getuid())) != NULL)
		return (pw->pw_name);
	if ((user = getenv("USER")) != NULL && *user != '\0')
		return (user);
	return ("owner");
}

/* The store's wake keys: a new lease for the sweeper, the rest to waiters. */
static void
ufod_wake(void *arg, const char *key)
{
	if (strcmp(key, "sweep") == 0)
		sweeper_poke();
	else
		waiter_wake(arg, key);
}

/*
 * --rotate-master-key: on the database alone, with the lock of a stopped
 * ufod (a running one holds its key in memory and would go on sealing
 * with the old one).
 */
static int
ufod_rotate(const struct conf *conf)
{
	struct ufo_error	 err;
	struct store		*store;
	char			*where;
	int64_t			 n;
	int			 lock;

	if (conf_mkdir_parent(conf->database, 0700, &err) == -1)
		ufod_die(err.message);
	if ((lock = ufod_lock(conf->database, &err)) == -1) {
		if (err.code == UFO_ECONFLICT)
			fprintf(stderr, "ufod: %s: stop it first (ufo server "
			    "stop) to rotate the master key\n", err.message);
		else
			fprintf(stderr, "ufod: %s\n", err.message);
		return (1);
	}
	if (store_open(conf->database, &store, &err) == -1)
		ufod_die(err.message);
	if (vault_start(store, conf, &err) == -1 ||
	    vault_rotate(store, conf, &n, &where, &err) == -1) {
		store_close(store);
		ufod_die(err.message);
	}
	store_close(store);
	close(lock);
	printf("ufod: %lld credential%s sealed under a new master key in "
	    "%s\n", (long long)n, n == 1 ? "" : "s", where);
	free(where);
	return (0);
}

/* SIGHUP: settings that can change while running; the rest need a restart. */
static void
ufod_reload(struct conf *conf, const struct ufod_opts *o, struct server *srv)
{
	struct conf		 nc;
	struct ufo_error	 err;
	struct tls_pair		*tls;

	if (ufod_read_conf(&nc, o, &err) == -1 ||
	    ufod_tls(&nc, &tls, &err) == -1) {
		log_error("reload: %s; keeping the running configuration",
		    err.message);
		conf_free(&nc);
		return;
	}
	log_set_level(ufod_log_level(&nc));
	server_set_max_body(srv, nc.max_body);
	if (server_listen_tcp(srv, nc.listen, tls, &err) == -1)
		log_error("reload: %s", err.message);
	tls_free(tls);
	if (strcmp(nc.socket, conf->socket) != 0 ||
	    strcmp(nc.database, conf->database) != 0)
		log_warn("reload: socket and database changes need a restart");
	conf_free(conf);
	*conf = nc;
	log_info("reloaded %s", conf->path);
}

int
main(int argc, char **argv)
{
	struct ufod_opts	 o;
	struct conf		 conf;
	struct ufo_error	 err;
	struct store		*store;
	struct server		*srv;
	struct tls_pair		*tls;
	sigset_t		 set;
	int			 ch, sig, ready = -1;

	memset(&o, 0, sizeof o);
	while ((ch = getopt_long(argc, argv, "c:D:dfhl:Rs:Vv", ufod_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case UFOD_OPT_ROTATE:
			o.rotate = 1;
			break;
		case 'c':
			o.config = optarg;
			break;
		case 'D':
			o.database = optarg;
			break;
		case 'd':
			o.daemonize = 1;
			break;
		case 'f':
			o.daemonize = 0;
			break;
		case 'h':
			fputs(ufod_usage, stdout);
			return (0);
		case 'l':
			o.listen = optarg;
			break;
		case 'R':
			o.local_rover = 1;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'V':
			printf("ufod %s\n", PACKAGE_VERSION);
			return (0);
		case 'v':
			o.verbose = 1;
			break;
		default:
			fputs(ufod_usage, stderr);
			return (2);
		}
	}
	if (optind != argc) {
		fputs(ufod_usage, stderr);
		return (2);
	}

	log_init("ufod", 0, LOG_LEVEL_INFO);
	if (ufod_read_conf(&conf, &o, &err) == -1)
		ufod_die(err.message);
	log_init("ufod", 0, ufod_log_level(&conf));
	if (o.rotate) {
		ch = ufod_rotate(&conf);
		conf_free(&conf);
		return (ch);
	}
	if (ufod_tls(&conf, &tls, &err) == -1)
		ufod_die(err.message);

	/* Signals are taken by sigwait in this thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		fatalx("cannot block signals");
	signal(SIGPIPE, SIG_IGN);

	if (o.daemonize)
		ready = ufod_daemonize();
	if (conf_mkdir_parent(conf.database, 0700, &err) == -1 ||
	    ufod_lock(conf.database, &err) == -1 ||
	    store_open(conf.database, &store, &err) == -1)
		ufod_die(err.message);
	/* A wrong key stops ufod before anything is written. */
	if (vault_start(store, &conf, &err) == -1) {
		store_close(store);
		ufod_die(err.message);
	}
	if (store_bootstrap(store, ufod_login(), &err) == -1)
		ufod_die(err.message);
	if (waiter_start(store_event_last(store)) == -1)
		fatalx("cannot start the waiter thread");
	store_set_notify(store, waiter_notify, NULL);
	store_set_wake(store, ufod_wake, NULL);
	if (sweeper_start(store) == -1)
		fatalx("cannot start the lease sweeper");

	srv = server_new(store, conf.database, conf.threads);
	server_set_max_body(srv, conf.max_body);
	if (server_listen_unix(srv, conf.socket, &err) == -1)
		ufod_die(err.message);
	if (conf.listen != NULL && server_listen_tcp(srv, conf.listen, tls,
	    &err) == -1)
		ufod_die(err.message);
	tls_free(tls);
	if (o.local_rover && local_rover_start(store, conf.socket,
	    conf.database, &err) == -1)
		ufod_die(err.message);
	if (ssh_start(store, &conf, &err) == -1)
		ufod_die(err.message);
	log_info("ufod %s ready, database %s", PACKAGE_VERSION, conf.database);
	/* What went to standard error at start goes to syslog as well. */
	if (o.daemonize || strcmp(conf.log, "syslog") == 0) {
		log_init("ufod", 1, ufod_log_level(&conf));
		server_log_tcp(srv);
	}
	if (o.daemonize)
		ufod_detach(ready);

	for (;;) {
		if ((errno = sigwait(&set, &sig)) != 0) {
			if (errno == EINTR)
				continue;
			fatal("sigwait");
		}
		if (sig == SIGHUP) {
			ufod_reload(&conf, &o, srv);
			continue;
		}
		break;
	}
	log_info("shutting down (%s)", strsignal(sig));
	local_rover_stop();
	ssh_stop();
	server_drain(srv, UFOD_DRAIN_MS);
	server_free(srv);
	sweeper_stop();
	store_close(store);
	conf_free(&conf);
	log_info("stopped");
	return (0);
}
