/*
 * ufo-rover: enrolls this host into ufo fleets and serves them, claiming
 * runs, running pilots and reporting back (see ufo-rover(8)).
 *
 * Threads: `run` starts, per registration, a claim thread and a
 * heartbeat thread, and per claimed run a runner thread; each has its
 * own curl handle. The main thread only waits for signals (blocked
 * everywhere else) and watches the registrations end.
 */
#include <sys/types.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "client.h"
#include "conf.h"
#include "jsonx.h"
#include "log.h"
#include "pilot.h"
#include "proc.h"
#include "protocol.h"
#include "registry.h"
#include "xmalloc.h"

/* How long `KIND --version` may take for pilot:KIND to be claimed. */
#define ROVER_PROBE_TIMEOUT	5

struct rover_cmd {
	const char	*name;
	const char	*usage;
	const char	*help;
	int		 (*exec)(int, char **);
};

static int	rover_cmd_enroll(int, char **);
static int	rover_cmd_run(int, char **);
static int	rover_cmd_list(int, char **);
static int	rover_cmd_remove(int, char **);
static int	rover_cmd_help(int, char **);

static const struct rover_cmd rover_cmds[] = {
	{ "enroll", "enroll --server URL --code CODE [--ca-file PATH] "
	    "[--name NAME] [--tag TAG]... [--units N]",
	  "exchange an enrollment code for a registration", rover_cmd_enroll },
	{ "run", "run [--once]",
	  "serve every registration", rover_cmd_run },
	{ "list", "list",
	  "list the registrations", rover_cmd_list },
	{ "remove", "remove ROVER | --all",
	  "forget a registration (or all of them)", rover_cmd_remove },
	{ "help", "help [COMMAND]",
	  "show the commands, or one command's usage", rover_cmd_help },
};
#define ROVER_NCMDS	(sizeof rover_cmds / sizeof rover_cmds[0])

static int	rover_verbose;
/* The registrations file: -f, else ~/.ufo/rovers.json. */
static char	*rover_file;

static char *
rover_registrations(void)
{
	if (rover_file != NULL)
		return (xstrdup(rover_file));
	return (registry_path());
}

static const struct rover_cmd *
rover_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < ROVER_NCMDS; i++) {
		if (strcmp(rover_cmds[i].name, name) == 0)
			return (&rover_cmds[i]);
	}
	return (NULL);
}

static void
rover_usage_all(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: ufo-rover [-v] [-f FILE] [--version] [--help] "
	    "COMMAND [ARG...]\n");
	for (i = 0; i < ROVER_NCMDS; i++)
		fprintf(f, "  ufo-rover %s\n", rover_cmds[i].usage);
}

/* A usage error of one command: its usage line, exit status 2. */
static int
rover_usage(const char *name)
{
	const struct rover_cmd	*cmd = rover_find(name);


	if (cmd != NULL)
		fprintf(stderr, "usage: ufo-rover %s\n", cmd->usage);
	else
		rover_usage_all(stderr);
	return (2);
}

/*
 * getopt_long that names a bad option itself, the way ufo does; optstring
 * starts "+:" (stop at the first argument; ':' for a missing argument).
 */
static int
rover_getopt(int argc, char **argv, const char *optstring,
    const struct option *opts)
{
	int	 ch;

	opterr = 0;
	ch = getopt_long(argc, argv, optstring, opts, NULL);
	if (ch == ':')
		fprintf(stderr, "ufo-rover: %s needs an argument\n",
		    argv[optind - 1]);
	else if (ch == '?' && optopt != 0)
		fprintf(stderr, "ufo-rover: unknown option -%c\n", optopt);
	else if (ch == '?')
		fprintf(stderr, "ufo-rover: unknown option %s\n",
		    argv[optind - 1]);
	return (ch);
}

static int
rover_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
rover_fail(const char *fmt, ...)
{
	va_list	 ap;

	fputs("ufo-rover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (1);
}

static void
rover_strv_free(char **v)
{
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Whether `name --version` runs and exits 0 in time. */
static int
rover_probe(const char *name)
{
	struct proc_spec	 ps;
	struct proc_result	 pr;
	char			*path, *argv[3];
	int			 ok;

	if ((path = proc_which(name, getenv("PATH"))) == NULL)
		return (0);
	argv[0] = (char *)name;
	argv[1] = (char *)"--version";
	argv[2] = NULL;
	memset(&ps, 0, sizeof ps);
	ps.path = path;
	ps.argv = argv;
	ps.pgrp = 1;
	ok = proc_run(&ps, ROVER_PROBE_TIMEOUT, 4096, &pr, NULL) == 0 &&
	    pilot_exited_ok(pr.status);
	if (ok)
		log_debug("%s --version: %.*s", name, (int)strcspn(pr.out,
		    "\n"), pr.out);
	else
		log_info("%s is on PATH but `%s --version` fails: no pilot:%s "
		    "tag", name, name, name);
	proc_result_free(&pr);
	free(path);
	return (ok);
}

/*
 * The tags this host earns: pilot:KIND for each pilot it can run (the
 * agent CLIs only when found and runnable), os: and arch:.
 */
static char **
rover_auto_tags(void)
{
	struct pilot_strv	 sv = { 0 };
	const struct pilot_entry	*k;
	struct utsname		 un;
	char			*s, *p;
	size_t			 i;

	for (i = 0; (k = pilot_at(i)) != NULL; i++) {
		if (!k->probe || rover_probe(k->name))
			pilot_strv_addf(&sv, "pilot:%s", k->name);
	}
	if (uname(&un) == 0) {
		s = xprintf("os:%s", un.sysname);
		for (p = s; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		pilot_strv_add(&sv, s);
		free(s);
		pilot_strv_addf(&sv, "arch:%s", un.machine);
	}
	if (sv.v == NULL)
		sv.v = xcalloc(1, sizeof *sv.v);
	return (sv.v);
}

static struct json_object *
rover_json_strings(char *const *v)
{
	struct json_object	*a;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return (a);
}

/* A server URL ufo-rover can use: http(s)://… or unix:/path. */
static int
rover_check_url(const char *url)
{
	if (strncmp(url, "http://", 7) == 0 && url[7] != '\0')
		return (0);
	if (strncmp(url, "https://", 8) == 0 && url[8] != '\0')
		return (0);
	if (strncmp(url, "unix:", 5) == 0 && url[5] == '/')
		return (0);
	return (-1);
}

/* Reads a code from stdin ("--code -"), so it stays out of ps(1). */
static char *
rover_read_code(void)
{
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	if ((n = getline(&line, &size, stdin)) == -1) {
		free(line);
		return (NULL);
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' '))
		line[--n] = '\0';
	return (line);
}

static int
rover_cmd_enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "code", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "tag", required_argument, NULL, 't' },
		{ "units", required_argument, NULL, 'u' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct pilot_strv	 tags = { 0 };
	struct client_config	 ccf;
	struct client		*c;
	struct registration	 reg;
	struct json_object	*body, *ans = NULL, *rover, *v;
	struct ufo_error	 err;
	const char		*server = NULL, *name = NULL, *token, *id;
	const char		*headers[2];
	char			*code = NULL, *header, **auto_tags, *path, *end;
	char			*ca_file = NULL;
	char			 host[256];
	long			 units = 0;
	size_t			 i, n;
	int			 ch, rc = 1;

	optind = 0;
	while ((ch = rover_getopt(argc, argv, "+:", opts)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'c':
			free(code);
			code = strcmp(optarg, "-") == 0 ? rover_read_code() :
			    xstrdup(optarg);
			if (code == NULL) {
				free(ca_file);
				pilot_strv_free(&tags);
				return (rover_fail("no code on stdin"));
			}
			break;
		case 'n':
			name = optarg;
			break;
		case 'C':
			free(ca_file);
			ca_file = conf_expand_path(optarg);
			break;
		case 't':
			if (*optarg == '\0' || strchr(optarg, ',') != NULL) {
				free(code);
				free(ca_file);
				pilot_strv_free(&tags);
				return (rover_fail("bad tag \"%s\"", optarg));
			}
			pilot_strv_add(&tags, optarg);
			break;
		case 'u':
			errno = 0;
			units = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || units < 1 ||
			    units > 1024) {
				free(code);
				free(ca_file);
				pilot_strv_free(&tags);
				return (rover_fail("--units: a number from 1 "
				    "to 1024, not \"%s\"", optarg));
			}
			break;
		default:
			free(code);
			free(ca_file);
			pilot_strv_free(&tags);
			return (rover_usage("enroll"));
		}
	}
	if (optind != argc || server == NULL || code == NULL) {
		free(code);
		free(ca_file);
		pilot_strv_free(&tags);
		return (rover_usage("enroll"));
	}
	if (rover_check_url(server) == -1)
		rover_fail("--server: expected http://HOST[:PORT], "
		    "https://HOST[:PORT] or unix:/PATH, not \"%s\"", server);
	else if (ca_file != NULL && access(ca_file, R_OK) == -1)
		rover_fail("--ca-file %s: %s", ca_file, strerror(errno));
	else
		rc = 0;
	if (rc != 0) {
		free(code);
		free(ca_file);
		pilot_strv_free(&tags);
		return (rc);
	}
	rc = 1;

	auto_tags = rover_auto_tags();
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	body = json_object_new_object();
	json_object_object_add(body, "code", json_object_new_string(code));
	if (name != NULL)
		json_object_object_add(body, "name",
		    json_object_new_string(name));
	if (tags.n > 0)
		json_object_object_add(body, "tags",
		    rover_json_strings(tags.v));
	json_object_object_add(body, "auto_tags",
	    rover_json_strings(auto_tags));
	if (units > 0)
		json_object_object_add(body, "units",
		    json_object_new_int((int)units));
	json_object_object_add(body, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(body, "host", json_object_new_string(host));

	header = xprintf("%s: %d", UFO_ROVER_PROTOCOL_HEADER,
	    UFO_ROVER_PROTOCOL);
	headers[0] = header;
	headers[1] = NULL;
	memset(&ccf, 0, sizeof ccf);
	ccf.url = server;
	ccf.ca_file = ca_file;
	ccf.progname = "ufo-rover";
	ccf.headers = headers;
	ccf.verbose = rover_verbose > 1;
	c = client_create(&ccf);
	err_clear(&err);
	if (client_request(c, "POST", "/rover/enroll", body, &ans, &err) ==
	    -1) {
		rover_fail("enroll with %s: %s", server, err.message);
		goto out;
	}
	if (ans == NULL || !json_object_object_get_ex(ans, "rover", &rover) ||
	    (id = jsonx_str(rover, "id")) == NULL ||
	    (token = jsonx_str(ans, "token")) == NULL) {
		rover_fail("enroll with %s: the answer has no rover id or "
		    "token", server);
		goto out;
	}
	memset(&reg, 0, sizeof reg);
	reg.id = (char *)id;
	reg.name = (char *)(jsonx_str(rover, "name") != NULL ?
	    jsonx_str(rover, "name") : id);
	reg.server = (char *)server;
	reg.token = (char *)token;
	reg.ca_file = ca_file;
	reg.units = (int)jsonx_int(rover, "units", units > 0 ? units : 1);
	/* The tags the server kept, else those asked for. */
	if (json_object_object_get_ex(rover, "tags", &v) &&
	    json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		reg.tags = xcalloc(n + 1, sizeof *reg.tags);
		for (i = 0; i < n; i++) {
			reg.tags[i] = (char *)json_object_get_string(
			    json_object_array_get_idx(v, i));
			if (reg.tags[i] == NULL)
				reg.tags[i] = (char *)"";
		}
	} else {
		reg.tags = xcalloc(tags.n + 1, sizeof *reg.tags);
		for (i = 0; i < tags.n; i++)
			reg.tags[i] = tags.v[i];
	}
	path = rover_registrations();
	if (registry_add(path, &reg, &err) == -1)
		rover_fail("%s", err.message);
	else {
		printf("enrolled rover %s (%s) with %s\n", reg.name, reg.id,
		    server);
		rc = 0;
	}
	free(reg.tags);
	free(path);
out:
	json_object_put(ans);
	json_object_put(body);
	client_free(c);
	free(header);
	rover_strv_free(auto_tags);
	pilot_strv_free(&tags);
	explicit_bzero(code, strlen(code));
	free(code);
	free(ca_file);
	return (rc);
}

static int
rover_cmd_list(int argc, char **argv)
{
	struct registry		 rg;
	struct ufo_error	 err;
	const struct registration *r;
	char			*path, *tags, *tmp;
	size_t			 i, j, wid = 2, wname = 4, wserver = 6;

	if (argc != 1)
		return (rover_usage("list"));
	path = rover_registrations();
	err_clear(&err);
	if (registry_load(path, &rg, &err) == -1) {
		free(path);
		return (rover_fail("%s", err.message));
	}
	free(path);
	for (i = 0; i < rg.n; i++) {
		r = &rg.regs[i];
		if (strlen(r->id) > wid)
			wid = strlen(r->id);
		if (strlen(r->name) > wname)
			wname = strlen(r->name);
		if (strlen(r->server) > wserver)
			wserver = strlen(r->server);
	}
	if (rg.n > 0)
		printf("%-*s  %-*s  %-*s  %5s  %s\n", (int)wid, "ID",
		    (int)wname, "NAME", (int)wserver, "SERVER", "UNITS",
		    "TAGS");
	for (i = 0; i < rg.n; i++) {
		r = &rg.regs[i];
		tags = xstrdup("");
		for (j = 0; r->tags[j] != NULL; j++) {
			tmp = tags;
			tags = xprintf("%s%s%s", tmp, j > 0 ? "," : "",
			    r->tags[j]);
			free(tmp);
		}
		printf("%-*s  %-*s  %-*s  %5d  %s\n", (int)wid, r->id,
		    (int)wname, r->name, (int)wserver, r->server, r->units,
		    *tags != '\0' ? tags : "-");
		free(tags);
	}
	registry_free(&rg);
	return (0);
}

static int
rover_cmd_remove(int argc, char **argv)
{
	struct registry		 gone;
	struct ufo_error	 err;
	char			*path;
	size_t			 i;
	int			 all;

	if (argc != 2)
		return (rover_usage("remove"));
	all = strcmp(argv[1], "--all") == 0;
	if (!all && argv[1][0] == '-')
		return (rover_usage("remove"));
	path = rover_registrations();
	err_clear(&err);
	if (registry_remove(path, argv[1], all, &gone, &err) == -1) {
		free(path);
		return (rover_fail("%s", err.message));
	}
	free(path);
	for (i = 0; i < gone.n; i++) {
		printf("removed rover %s (%s) of %s\n", gone.regs[i].name,
		    gone.regs[i].id, gone.regs[i].server);
	}
	registry_free(&gone);
	return (0);
}

/* A registration being served by `run`. */
struct rover_served {
	struct claim_reg	*cr;
	char			*id;
	int			 stopping;
};

struct rover_fleet {
	struct rover_served	*v;
	size_t			 n;
	struct claim_config	 cf;
	int			 refused;	/* ended against our will */
	int			 served;	/* ended as asked */
};

static void
rover_serve(struct rover_fleet *fl, const struct registration *r)
{
	struct ufo_error	 err;
	struct claim_reg	*cr;

	if (rover_check_url(r->server) == -1) {
		log_error("rover %s: server \"%s\" is not a URL ufo-rover can "
		    "use", r->name, r->server);
		fl->refused++;
		return;
	}
	err_clear(&err);
	if ((cr = claim_start(r, &fl->cf, &err)) == NULL) {
		log_error("rover %s: %s", r->name, err.message);
		fl->refused++;
		return;
	}
	fl->v = xreallocarray(fl->v, fl->n + 1, sizeof *fl->v);
	fl->v[fl->n].cr = cr;
	fl->v[fl->n].id = xstrdup(r->id);
	fl->v[fl->n].stopping = 0;
	fl->n++;
}

/* SIGHUP: serve new registrations, stop those no longer in the file. */
static void
rover_reload(struct rover_fleet *fl)
{
	struct registry		 rg;
	struct ufo_error	 err;
	char			*path;
	size_t			 i, j;

	path = rover_registrations();
	err_clear(&err);
	if (registry_load(path, &rg, &err) == -1) {
		log_error("reload: %s", err.message);
		free(path);
		return;
	}
	free(path);
	for (i = 0; i < fl->n; i++) {
		for (j = 0; j < rg.n; j++) {
			if (strcmp(fl->v[i].id, rg.regs[j].id) == 0)
				break;
		}
		if (j == rg.n && !fl->v[i].stopping) {
			log_info("reload: %s is gone: stopping it once its "
			    "runs end", fl->v[i].id);
			fl->v[i].stopping = 1;
			claim_stop(fl->v[i].cr, 0);
		}
	}
	for (j = 0; j < rg.n; j++) {
		for (i = 0; i < fl->n; i++) {
			if (strcmp(fl->v[i].id, rg.regs[j].id) == 0)
				break;
		}
		if (i == fl->n)
			rover_serve(fl, &rg.regs[j]);
	}
	registry_free(&rg);
}

static int
rover_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct rover_fleet	 fl;
	struct registry		 rg;
	struct ufo_error	 err;
	struct timespec		 ts;
	sigset_t		 set;
	char			*path, **auto_tags;
	size_t			 i;
	int			 ch, once = 0, quitting = 0, once_done = 0;
	int			 sig, claimed;

	optind = 0;
	while ((ch = rover_getopt(argc, argv, "+:", opts)) != -1) {
		switch (ch) {
		case 'o':
			once = 1;
			break;
		default:
			return (rover_usage("run"));
		}
	}
	if (optind != argc)
		return (rover_usage("run"));

	path = rover_registrations();
	err_clear(&err);
	if (registry_load(path, &rg, &err) == -1) {
		free(path);
		return (rover_fail("%s", err.message));
	}
	if (rg.n == 0) {
		rover_fail("no registrations in %s: enroll first (ufo-rover "
		    "enroll --server URL --code CODE)", path);
		free(path);
		return (1);
	}
	free(path);

	/* Only this thread takes these; every thread started inherits it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		fatalx("pthread_sigmask");

	auto_tags = rover_auto_tags();
	memset(&fl, 0, sizeof fl);
	fl.cf.auto_tags = (const char *const *)auto_tags;
	fl.cf.verbose = rover_verbose > 1;
	fl.cf.once = once;
	for (i = 0; i < rg.n; i++)
		rover_serve(&fl, &rg.regs[i]);
	registry_free(&rg);

	while (fl.n > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = 200 * 1000000L;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			if (quitting) {
				log_warn("%s again: exiting now",
				    strsignal(sig));
				_exit(1);
			}
			log_info("%s: stopping (runs in flight are dropped; "
			    "their leases run out)", strsignal(sig));
			quitting = 1;
			for (i = 0; i < fl.n; i++)
				claim_stop(fl.v[i].cr, 1);
		} else if (sig == SIGHUP && !quitting)
			rover_reload(&fl);

		if (once && !once_done) {
			for (i = claimed = 0; i < fl.n; i++)
				claimed += claim_claimed(fl.v[i].cr);
			if (claimed > 0) {
				once_done = 1;
				for (i = 0; i < fl.n; i++)
					claim_stop(fl.v[i].cr, 0);
			}
		}
		for (i = 0; i < fl.n; i++) {
			if (!claim_ended(fl.v[i].cr))
				continue;
			if (claim_free(fl.v[i].cr) == -1)
				fl.refused++;
			else
				fl.served++;
			free(fl.v[i].id);
			fl.v[i] = fl.v[fl.n - 1];
			fl.n--;
			i--;
		}
	}
	free(fl.v);
	rover_strv_free(auto_tags);
	if (quitting || once_done || fl.served > 0)
		return (0);
	return (fl.refused > 0 ? 1 : 0);
}

static int
rover_cmd_help(int argc, char **argv)
{
	const struct rover_cmd	*cmd;
	size_t			 i;

	if (argc > 2)
		return (rover_usage("help"));
	if (argc == 2) {
		if ((cmd = rover_find(argv[1])) == NULL)
			return (rover_fail("unknown command \"%s\"", argv[1]));
		printf("usage: ufo-rover %s\n%s\n", cmd->usage, cmd->help);
		return (0);
	}
	rover_usage_all(stdout);
	printf("\n");
	for (i = 0; i < ROVER_NCMDS; i++)
		printf("  %-8s %s\n", rover_cmds[i].name, rover_cmds[i].help);
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "all", no_argument, NULL, 'a' },
		{ "registrations", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct rover_cmd	*cmd;
	struct sigaction	 sa;
	char			*remove_all[] = { (char *)"remove",
				    (char *)"--all", NULL };
	int			 ch, fd, rc, all = 0;

	/* A pilot must never end up with the rover's socket as stdout. */
	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1 && fd <= 2)
		fcntl(fd, F_SETFD, 0);
	if (fd > 2)
		close(fd);

	while ((ch = rover_getopt(argc, argv, "+:f:vhV", opts)) != -1) {
		switch (ch) {
		case 'f':
			rover_file = optarg;
			break;
		case 'v':
			rover_verbose++;
			break;
		case 'V':
			printf("ufo-rover %s (protocol %d)\n", PACKAGE_VERSION,
			    UFO_ROVER_PROTOCOL);
			return (0);
		case 'h':
			rover_cmd_help(1, argv);
			return (0);
		case 'a':
			all = 1;
			break;
		default:
			rover_usage_all(stderr);
			return (2);
		}
	}
	argc -= optind;
	argv += optind;
	/* `ufo-rover --all` is `ufo-rover remove --all`. */
	if (all) {
		if (argc != 0)
			return (rover_usage("remove"));
		argc = 2;
		argv = remove_all;
	}
	if (argc == 0) {
		rover_usage_all(stderr);
		return (2);
	}
	if ((cmd = rover_find(argv[0])) == NULL) {
		fprintf(stderr, "ufo-rover: unknown command \"%s\"\n", argv[0]);
		rover_usage_all(stderr);
		return (2);
	}

	log_init("ufo-rover", 0, rover_verbose > 0 ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("sigaction");
	srandom((unsigned int)(time(NULL) ^ getpid()));
	if (client_global_init() == -1)
		fatalx("curl_global_init failed");
	rc = cmd->exec(argc, argv);
	client_global_free();
	return (rc);
}
