/*
 * ufo-bench: the benchmark of DESIGN §9. It starts a private ufod on a temp
 * dir and drives it over its Unix socket with simulated rovers speaking the
 * real protocol, then prints full run lifecycles a second, claim wake-up
 * latency, claim latency against queue depth, and ufod's resident memory
 * with thousands of parked claims. For the board it runs tui/ufo on a
 * pseudo-terminal of its own over thousands of operations and reads the
 * timings the board writes to UFO_BOARD_LOG: first paint, all pages
 * loaded, and the repaint of each change it makes through the API.
 *
 * It speaks HTTP/1.1 itself instead of going through libcurl: one keep-alive
 * connection per simulated rover, each request written in one piece, each
 * answer read by its Content-Length. That is all ufod needs, costs the bench
 * little CPU (it shares the machine with the ufod it measures) and scales to
 * 10,000 connections driven by one epoll loop.
 */
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "xmalloc.h"

#define BENCH_QUEUERS		8	/* fill the deep queue */
#define BENCH_ENROLLERS		4	/* enroll the idle rovers */
#define BENCH_SAMPLES		200	/* claims timed at each queue depth */
#define BENCH_SHALLOW		10	/* the shallow queue */
#define BENCH_LC_WAIT		2	/* lifecycle claim wait, seconds */
#define BENCH_WAKE_WAIT		30
#define BENCH_IDLE_WAIT		120
#define BENCH_PARK_MS		20	/* a claim parks before the create */
#define BENCH_STALL_MS		30000	/* no claim for this long: lost runs */
#define BENCH_START_MS		10000	/* ufod must answer /health by then */
#define BENCH_SETTLE_MS		60000	/* idle claims must be parked by then */
#define BENCH_STOP_MS		10000	/* SIGTERM, then SIGKILL */
#define BENCH_FD_SPARE		512	/* descriptors beyond the idle claims */
#define BENCH_HEADER_MAX	65536
#define BENCH_EXAMPLES		5	/* discrepancies shown of each kind */
#define BENCH_BOARD_RUNS	3	/* fresh boards timed to their first paint */
#define BENCH_BOARD_COLS	160	/* the board's terminal */
#define BENCH_BOARD_ROWS	48
#define BENCH_BOARD_HOT		100	/* changes touch the first operations */
#define BENCH_PAINT_MS		30000	/* the first paint must come by then */
#define BENCH_LOAD_MS		120000	/* every page loaded by then */
#define BENCH_REPAINT_MS	5000	/* a change repainted by then */
#define BENCH_SETTLE_CHANGE_MS	20	/* after a change's repaint */
#define BENCH_QUIT_MS		5000	/* Q must end the board by then */
#define BENCH_FIRST_BUDGET_MS	100	/* DESIGN §9, with 10,000 operations */
#define BENCH_UPDATE_BUDGET_MS	10

#define NS_PER_MS		1000000ULL

extern char **environ;

static const char *const bench_phase_names[] = {
	"lifecycle", "wake", "depth", "idle", "board"
};
#define BENCH_NPHASES	5
#define PHASE_BOARD	4

static struct {
	char		*ufod;
	char		*ufo;
	unsigned	 rovers;
	unsigned	 creators;	/* create operations meanwhile */
	unsigned	 runs;
	unsigned	 wake;
	unsigned	 deep;
	unsigned	 idle;
	unsigned	 board_ops;
	unsigned	 board_changes;
	int		 only;		/* a phase, or -1 for all */
	int		 keep;
} opt = {
	.rovers = 16,
	.creators = 16,
	.runs = 5000,
	.wake = 200,
	.deep = 100000,
	.idle = 10000,
	.board_ops = 10000,
	.board_changes = 100,
	.only = -1,
};

static struct {
	char		*dir;
	char		*sock;
	char		*db;
	char		*log;
	pid_t		 pid;		/* ufod, 0 once reaped */
	pid_t		 ufo;		/* the board's ufo, 0 once reaped */
	int		 failed;	/* show ufod's log at exit */
	pthread_mutex_t	 exit_lock;
	sigset_t	 sigs;
} bench = {
	.exit_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* One keep-alive connection to ufod and the last answer read on it. */
struct http {
	int		 fd;
	const char	*token;		/* a rover's; NULL: the owner */
	int		 rover;		/* sends Ufo-Rover-Protocol */
	char		*buf;
	size_t		 len;
	size_t		 size;
	int		 status;
	size_t		 hdrlen;
	size_t		 bodylen;
};

/* Latencies in nanoseconds. */
struct samples {
	uint64_t	*v;
	size_t		 n;
	size_t		 size;
};

/*
 * Operations created in parallel, each queueing a run for pilot:shell
 * unless body makes them otherwise.
 */
struct creators {
	const char		*title;
	char			*(*body)(const char *, size_t);
	size_t			 total;
	size_t			 next;
	char			**codes;	/* by index; NULL: not kept */
	pthread_barrier_t	*start;
};

struct creator {
	pthread_t		 thread;
	struct http		 h;
	struct creators		*cs;
	struct samples		 s;
};

enum { REQ_CREATE, REQ_CLAIM, REQ_START, REQ_MESSAGES, REQ_FINISH, REQ_N };
static const char *const bench_req_names[REQ_N] = {
	"create", "claim", "start", "messages", "finish"
};

/* The lifecycle phase: shared counters and what each rover claimed. */
static struct {
	struct creators	 cs;
	size_t		 claimed;
	size_t		 finished;
	size_t		 cap;
	char		**claim_runs;
	char		**claim_ops;
	uint64_t	 end;
	uint64_t	 progress;	/* when the last run was claimed */
	char		*messages;	/* the batch of ten, as JSON */
} lc;

/*
 * A connection of the lifecycle phase, a rover's or a creator's: one
 * request in flight at a time, all of them driven by one epoll loop.
 */
struct lc_conn {
	struct http	 h;
	char		*token;		/* a rover's; NULL for a creator */
	int		 step;		/* REQ_* in flight, -1 none */
	uint64_t	 sent;
	size_t		 index;		/* a creator's operation */
	char		*run;		/* a rover's claimed run */
	int64_t		 attempt;
	struct samples	 s[REQ_N];
};

/* The idle phase's enrollers share a code and a counter. */
struct enrollers {
	const char	*code;
	size_t		 total;
	size_t		 next;
	char		**tokens;
};

/* One of the idle phase's parked claims, driven by epoll. */
struct idle_conn {
	int		 fd;
	char		*req;		/* until written */
	size_t		 off;
	size_t		 len;
	int		 state;
#define IDLE_SENDING	0
#define IDLE_SENT	1
#define IDLE_ANSWERED	2
};

static void	bench_cleanup(void);
static void	bench_die(const char *, va_list, const char *)
		    __attribute__((format(printf, 1, 0), noreturn));
static void	bench_exit(int) __attribute__((noreturn));
static void	bench_fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static void	bench_fatalx(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static void	bench_out(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

static void
usage(FILE *f)
{
	fprintf(f, "usage: ufo-bench [-h] [--rovers R] [--creators C] "
	    "[--runs M] [--wake K]\n"
	    "                 [--deep D] [--idle N]"
	    " [--board-ops N] [--board-changes K]\n"
	    "                 [--only lifecycle|wake|depth|idle|board]\n"
	    "                 [--keep] [--ufod PATH] [--ufo PATH]\n");
}

static uint64_t
bench_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		bench_fatal("clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

static void
bench_sleep_ms(unsigned ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1) {
		if (errno != EINTR)
			bench_fatal("nanosleep");
	}
}

static double
bench_secs(uint64_t ns)
{
	return ((double)ns / 1e9);
}

/* A result line: flushed at once so a slow phase shows what is done. */
static void
bench_out(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (fflush(stdout) == EOF)
		bench_fatal("stdout");
}

static void
bench_vmsg(const char *fmt, va_list ap, const char *suffix)
{
	char	 msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "ufo-bench: %s: %s\n", msg, suffix);
	else
		fprintf(stderr, "ufo-bench: %s\n", msg);
}

/*
 * The first failure wins: it takes the exit lock before saying anything,
 * so the workers that fail after it (ufod went away under all of them) do
 * not bury its message under theirs.
 */
static void
bench_die(const char *fmt, va_list ap, const char *suffix)
{
	if (pthread_mutex_lock(&bench.exit_lock) != 0)
		_exit(1);
	bench_vmsg(fmt, ap, suffix);
	bench.failed = 1;
	bench_cleanup();
	fflush(stdout);
	fflush(stderr);
	_exit(1);
}

static void
bench_fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	bench_die(fmt, ap, strerror(saved));
	va_end(ap);
}

static void
bench_fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	bench_die(fmt, ap, NULL);
	va_end(ap);
}

/* The end of ufod's log, to show why it failed. */
static void
bench_log_tail(void)
{
	char	 buf[2048];
	ssize_t	 n;
	off_t	 size;
	int	 fd;

	if (bench.log == NULL || (fd = open(bench.log, O_RDONLY)) == -1)
		return;
	if ((size = lseek(fd, 0, SEEK_END)) != -1 &&
	    lseek(fd, size > (off_t)sizeof buf - 1 ?
	    size - ((off_t)sizeof buf - 1) : 0, SEEK_SET) != -1 &&
	    (n = read(fd, buf, sizeof buf - 1)) > 0) {
		buf[n] = '\0';
		fprintf(stderr, "ufo-bench: the end of ufod's log:\n%s%s", buf,
		    buf[n - 1] == '\n' ? "" : "\n");
	}
	close(fd);
}

static int
bench_unlink(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	if (remove(path) == -1)
		fprintf(stderr, "ufo-bench: cannot remove %s: %s\n", path,
		    strerror(errno));
	return (0);
}

/* A signal to the board's ufo and its process group (its session). */
static void
bench_kill_ufo(int sig)
{
	if (kill(-bench.ufo, sig) == -1)
		kill(bench.ufo, sig);	/* before its setsid */
}

/* Stops the board's ufo, if one runs: TERM (it quits on it), then KILL. */
static void
bench_stop_ufo(void)
{
	uint64_t	 deadline;
	pid_t		 r;
	int		 status;

	if (bench.ufo <= 0)
		return;
	if (waitpid(bench.ufo, &status, WNOHANG) == 0) {
		bench_kill_ufo(SIGTERM);
		deadline = bench_now() + 2000 * NS_PER_MS;
		while ((r = waitpid(bench.ufo, &status, WNOHANG)) == 0 &&
		    bench_now() < deadline)
			bench_sleep_ms(5);
		if (r == 0) {
			bench_kill_ufo(SIGKILL);
			waitpid(bench.ufo, &status, 0);
		}
	}
	bench.ufo = 0;
}

/*
 * Stops the board's ufo and ufod (TERM, then KILL) and removes the temp dir
 * unless --keep.
 */
static void
bench_cleanup(void)
{
	uint64_t	 deadline;
	pid_t		 r;
	int		 status;

	bench_stop_ufo();
	if (bench.pid > 0) {
		r = waitpid(bench.pid, &status, WNOHANG);
		if (r == bench.pid) {
			if (WIFSIGNALED(status))
				fprintf(stderr, "ufo-bench: ufod (pid %ld) was "
				    "killed by signal %d\n", (long)bench.pid,
				    WTERMSIG(status));
			else
				fprintf(stderr, "ufo-bench: ufod (pid %ld) "
				    "exited with status %d\n", (long)bench.pid,
				    WEXITSTATUS(status));
			bench_log_tail();
			bench.pid = 0;
		} else {
			if (bench.failed)
				bench_log_tail();
			if (kill(bench.pid, SIGTERM) == -1)
				fprintf(stderr, "ufo-bench: kill ufod: %s\n",
				    strerror(errno));
		}
	}
	if (bench.pid > 0) {
		deadline = bench_now() + BENCH_STOP_MS * NS_PER_MS;
		while ((r = waitpid(bench.pid, &status, WNOHANG)) == 0 &&
		    bench_now() < deadline)
			bench_sleep_ms(10);
		if (r == 0) {
			fprintf(stderr, "ufo-bench: ufod did not stop within "
			    "%d s; killing it\n", BENCH_STOP_MS / 1000);
			if (kill(bench.pid, SIGKILL) == -1 ||
			    waitpid(bench.pid, &status, 0) == -1)
				fprintf(stderr, "ufo-bench: kill ufod: %s\n",
				    strerror(errno));
		}
		bench.pid = 0;
	}
	if (bench.dir == NULL)
		return;
	if (opt.keep)
		fprintf(stderr, "ufo-bench: kept %s\n", bench.dir);
	else if (nftw(bench.dir, bench_unlink, 16, FTW_DEPTH | FTW_PHYS) == -1)
		fprintf(stderr, "ufo-bench: cannot remove %s: %s\n", bench.dir,
		    strerror(errno));
	free(bench.dir);
	bench.dir = NULL;
}

/*
 * Every way out goes through here. The first thread to arrive cleans up and
 * ends the process; any other blocks on the lock until it is gone, so a
 * failure that makes every worker fail at once cleans up once.
 */
static void
bench_exit(int code)
{
	if (pthread_mutex_lock(&bench.exit_lock) != 0)
		_exit(code);
	bench_cleanup();
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

/* libufo's fatal() calls exit(): clean up there too. */
static void
bench_atexit(void)
{
	if (pthread_mutex_trylock(&bench.exit_lock) == 0)
		bench_cleanup();
}

/* SIGINT, SIGTERM and SIGHUP are blocked everywhere and taken here. */
static void *
bench_signals(void *arg)
{
	int	 sig;

	if (sigwait(&bench.sigs, &sig) != 0)
		return (NULL);
	fprintf(stderr, "ufo-bench: interrupted (%s)\n", strsignal(sig));
	bench_exit(128 + sig);
}

static void
bench_barrier(pthread_barrier_t *b)
{
	int	 rc;

	if (b == NULL)
		return;
	rc = pthread_barrier_wait(b);
	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD) {
		errno = rc;
		bench_fatal("pthread_barrier_wait");
	}
}

static void
bench_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int	 rc;

	if ((rc = pthread_create(t, NULL, fn, arg)) != 0) {
		errno = rc;
		bench_fatal("pthread_create");
	}
}

static void
bench_join(pthread_t t)
{
	int	 rc;

	if ((rc = pthread_join(t, NULL)) != 0) {
		errno = rc;
		bench_fatal("pthread_join");
	}
}

static unsigned
bench_number(const char *s, const char *name, unsigned min, unsigned max)
{
	char		*end;
	unsigned long	 n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || !isdigit((unsigned char)*s) || *end != '\0' ||
	    n < min || n > max) {
		fprintf(stderr, "ufo-bench: --%s: \"%s\" is not a number from "
		    "%u to %u\n", name, s, min, max);
		usage(stderr);
		exit(2);
	}
	return ((unsigned)n);
}

/* --- /proc --- */

/* A "Key:   N kB" line of /proc/PID/status, in kB; -1 if missing. */
static long
proc_status_kb(pid_t pid, const char *key)
{
	char	 path[64], *line = NULL;
	size_t	 size = 0, klen = strlen(key);
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (getline(&line, &size, f) != -1) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			kb = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	free(line);
	fclose(f);
	return (kb);
}

/* A "key: N" line of /proc/PID/io (bytes); 0 if unreadable. */
static uint64_t
proc_io(pid_t pid, const char *key)
{
	char			 path[64], *line = NULL;
	size_t			 size = 0, klen = strlen(key);
	unsigned long long	 n = 0;
	FILE			*f;

	snprintf(path, sizeof path, "/proc/%ld/io", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while (getline(&line, &size, f) != -1) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			n = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	}
	free(line);
	fclose(f);
	return ((uint64_t)n);
}

static double
proc_rss_mb(pid_t pid)
{
	return ((double)proc_status_kb(pid, "VmRSS") / 1024.0);
}

/* User plus system CPU time of a process, in nanoseconds. */
static uint64_t
proc_cpu(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long		 ut, st;
	ssize_t			 n;
	long			 hz;
	int			 fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		bench_fatal("%s", path);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		bench_fatalx("%s: cannot read it", path);
	buf[n] = '\0';
	/* After the command name: state, then ten fields, utime, stime. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		bench_fatalx("%s: unexpected format", path);
	if ((hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	return ((uint64_t)(ut + st) * (1000000000ULL / (uint64_t)hz));
}

static uint64_t
bench_self_cpu(void)
{
	struct rusage	 ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		bench_fatal("getrusage");
	return ((uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000000ULL + (uint64_t)(ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec) * 1000ULL);
}

/* Open descriptors of a process: its connections, mostly. */
static int
proc_fds(pid_t pid)
{
	char		 path[64];
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return (n);
}

/* --- Samples --- */

static void
samples_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->size) {
		s->size = s->size == 0 ? 256 : s->size * 2;
		s->v = xreallocarray(s->v, s->size, sizeof *s->v);
	}
	s->v[s->n++] = ns;
}

static void
samples_append(struct samples *dst, const struct samples *src)
{
	size_t	 i;

	for (i = 0; i < src->n; i++)
		samples_add(dst, src->v[i]);
}

static int
samples_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* The nearest-rank percentile in milliseconds; 100 is the maximum. */
static double
samples_ms(struct samples *s, double pct)
{
	size_t	 rank;

	if (s->n == 0)
		return (0);
	qsort(s->v, s->n, sizeof *s->v, samples_cmp);
	rank = (size_t)((pct / 100.0) * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return ((double)s->v[rank - 1] / 1e6);
}

static double
samples_mean_ms(const struct samples *s)
{
	double	 sum = 0;
	size_t	 i;

	for (i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	return (s->n == 0 ? 0 : sum / (double)s->n / 1e6);
}

static void
samples_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* --- HTTP over the Unix socket --- */

static int
http_connect(struct http *h, const char *token, int rover)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	memset(h, 0, sizeof *h);
	h->fd = -1;
	h->token = token;
	h->rover = rover;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s",
	    bench.sock) >= sizeof sun.sun_path)
		bench_fatalx("socket path too long: %s", bench.sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bench_fatal("socket");
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno == EINTR)
			continue;
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	h->fd = fd;
	return (0);
}

static void
http_open(struct http *h, const char *token, int rover)
{
	if (http_connect(h, token, rover) == -1)
		bench_fatal("connect %s", bench.sock);
}

static void
http_close(struct http *h)
{
	if (h->fd != -1 && close(h->fd) == -1)
		bench_fatal("close");
	free(h->buf);
	h->buf = NULL;
	h->fd = -1;
}

static int
http_write(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/*
 * A request as ufo and ufo-rover write it: JSON with its type and length,
 * rovers with their token and protocol. The socket's owner needs no token.
 */
static char *
http_format(const char *token, int rover, const char *method,
    const char *path, const char *body, size_t *len)
{
	char	*req, clen[64], proto[64];
	int	 n;

	clen[0] = proto[0] = '\0';
	if (body != NULL || strcmp(method, "GET") != 0)
		snprintf(clen, sizeof clen, "Content-Length: %zu\r\n",
		    body != NULL ? strlen(body) : 0);
	if (rover)
		snprintf(proto, sizeof proto, "%s: %d\r\n",
		    UFO_ROVER_PROTOCOL_HEADER, UFO_ROVER_PROTOCOL);
	n = xasprintf(&req, "%s %s%s HTTP/1.1\r\n"
	    "Host: localhost\r\n"
	    "User-Agent: ufo-bench/" PACKAGE_VERSION "\r\n"
	    "Accept: application/json\r\n"
	    "%s%s%s"
	    "%s"
	    "%s"
	    "%s"
	    "\r\n"
	    "%s",
	    method, UFO_API_PREFIX, path,
	    token != NULL ? "Authorization: Bearer " : "",
	    token != NULL ? token : "", token != NULL ? "\r\n" : "",
	    proto,
	    body != NULL ? "Content-Type: application/json\r\n" : "",
	    clen, body != NULL ? body : "");
	*len = (size_t)n;
	return (req);
}

static int
http_send(struct http *h, const char *method, const char *path,
    const char *body)
{
	char	*req;
	size_t	 len;
	int	 rc;

	req = http_format(h->token, h->rover, method, path, body, &len);
	rc = http_write(h->fd, req, len);
	free(req);
	return (rc);
}

/* Reads what is there (once); 0 at end of file. */
static ssize_t
http_fill(struct http *h)
{
	ssize_t	 n;

	if (h->size - h->len < 4096) {
		h->size = h->size == 0 ? 16384 : h->size * 2;
		h->buf = xrealloc(h->buf, h->size);
	}
	do
		n = read(h->fd, h->buf + h->len, h->size - h->len);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		h->len += (size_t)n;
	return (n);
}

/* 1 when a whole answer is buffered, 0 when more is needed, -1 if bad. */
static int
http_parse(struct http *h)
{
	const char		*end, *line, *eol, *hend;
	unsigned long long	 clen = 0;
	int			 have_clen = 0, status;

	if (h->len == 0 ||
	    (end = memmem(h->buf, h->len, "\r\n\r\n", 4)) == NULL)
		return (h->len > BENCH_HEADER_MAX ? -1 : 0);
	hend = end + 4;
	if (h->len < 12 || memcmp(h->buf, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)h->buf[9]) ||
	    !isdigit((unsigned char)h->buf[10]) ||
	    !isdigit((unsigned char)h->buf[11]))
		return (-1);
	status = (h->buf[9] - '0') * 100 + (h->buf[10] - '0') * 10 +
	    (h->buf[11] - '0');
	line = (const char *)memchr(h->buf, '\n', (size_t)(hend - h->buf)) + 1;
	while (line < end) {
		eol = memchr(line, '\n', (size_t)(hend - line));
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			clen = strtoull(line + 15, NULL, 10);
			have_clen = 1;
		} else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0)
			return (-1);	/* only streams are chunked */
		line = eol + 1;
	}
	if (!have_clen && status != 204 && status != 304)
		return (-1);
	if (h->len - (size_t)(hend - h->buf) < clen)
		return (0);
	h->status = status;
	h->hdrlen = (size_t)(hend - h->buf);
	h->bodylen = (size_t)clen;
	return (1);
}

/* Drops the answer just parsed from the buffer. */
static void
http_consume(struct http *h)
{
	size_t	 used = h->hdrlen + h->bodylen;

	memmove(h->buf, h->buf + used, h->len - used);
	h->len -= used;
	h->hdrlen = h->bodylen = 0;
}

static int
http_recv(struct http *h)
{
	ssize_t	 n;

	for (;;) {
		switch (http_parse(h)) {
		case 1:
			return (0);
		case -1:
			errno = EPROTO;
			return (-1);
		}
		if ((n = http_fill(h)) == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return (-1);
	}
}

/* The answer parsed by http_parse: dies unless its status is want. */
static struct json_object *
http_answer(struct http *h, const char *method, const char *path, int want)
{
	struct json_object	*json = NULL;
	struct ufo_error	 err;
	int			 n;

	if (h->status != want) {
		n = h->bodylen > 1000 ? 1000 : (int)h->bodylen;
		bench_fatalx("%s %s: status %d, expected %d: %.*s", method,
		    path, h->status, want, n, h->buf + h->hdrlen);
	}
	if (h->bodylen > 0 && (json = jsonx_parse(h->buf + h->hdrlen,
	    h->bodylen, &err)) == NULL)
		bench_fatalx("%s %s: %s", method, path, err.message);
	http_consume(h);
	return (json);
}

/* One request and its answer; dies unless the status is want. */
static struct json_object *
bench_call(struct http *h, const char *method, const char *path,
    const char *body, int want)
{
	if (http_send(h, method, path, body) == -1 || http_recv(h) == -1)
		bench_fatal("%s %s", method, path);
	return (http_answer(h, method, path, want));
}

static const char *
bench_str(struct json_object *o, const char *key, const char *what)
{
	const char	*s;

	if (o == NULL || (s = jsonx_str(o, key)) == NULL)
		bench_fatalx("%s: the answer has no \"%s\"", what, key);
	return (s);
}

/* --- ufod --- */

/* A program of the build tree, relative to the bench: "src/ufod". */
static char *
bench_default_path(const char *rel)
{
	char	 exe[PATH_MAX], *slash;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) == -1)
		bench_fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	return (xprintf("%s/../%s", exe, rel));
}

static void
bench_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1)
		bench_fatal("mkdir %s", path);
}

/* A fresh HOME with its XDG dirs, so ufod reads no one's ufo.conf. */
static void
bench_tempdir(void)
{
	const char	*tmp;
	char		*p;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	p = xprintf("%s/ufo-bench.XXXXXX", tmp);
	if (mkdtemp(p) == NULL)
		bench_fatal("mkdtemp %s", p);
	bench.dir = p;
	p = xprintf("%s/.config", bench.dir);
	bench_mkdir(p, 0700);
	free(p);
	p = xprintf("%s/.local", bench.dir);
	bench_mkdir(p, 0700);
	free(p);
	p = xprintf("%s/.local/share", bench.dir);
	bench_mkdir(p, 0700);
	free(p);
	p = xprintf("%s/xdg-run", bench.dir);
	bench_mkdir(p, 0700);
	free(p);
	bench.sock = xprintf("%s/ufod.sock", bench.dir);
	bench.db = xprintf("%s/ufod.db", bench.dir);
	bench.log = xprintf("%s/ufod.log", bench.dir);
}

static int
bench_env_ours(const char *e)
{
	static const char *const names[] = {
		"HOME=", "XDG_CONFIG_HOME=", "XDG_DATA_HOME=",
		"XDG_RUNTIME_DIR=", "UFO_"
	};
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strncmp(e, names[i], strlen(names[i])) == 0)
			return (1);
	}
	return (0);
}

/*
 * ufod runs in its own process group, so ^C reaches only the bench, which
 * then stops ufod in order; on Linux it also dies with the bench.
 */
static void
bench_spawn(void)
{
	char		**env, *argv[7];
	size_t		 n, i, j;
	sigset_t	 none;
	int		 logfd, nullfd;
	pid_t		 pid;

	for (n = 0; environ[n] != NULL; n++)
		/* nothing */;
	env = xcalloc(n + 5, sizeof *env);
	for (i = j = 0; i < n; i++) {
		if (!bench_env_ours(environ[i]))
			env[j++] = xstrdup(environ[i]);
	}
	env[j++] = xprintf("HOME=%s", bench.dir);
	env[j++] = xprintf("XDG_CONFIG_HOME=%s/.config", bench.dir);
	env[j++] = xprintf("XDG_DATA_HOME=%s/.local/share", bench.dir);
	env[j++] = xprintf("XDG_RUNTIME_DIR=%s/xdg-run", bench.dir);
	argv[0] = opt.ufod;
	argv[1] = (char *)"-f";
	argv[2] = (char *)"-s";
	argv[3] = bench.sock;
	argv[4] = (char *)"-D";
	argv[5] = bench.db;
	argv[6] = NULL;
	if (sigemptyset(&none) == -1)
		bench_fatal("sigemptyset");

	if ((logfd = open(bench.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		bench_fatal("%s", bench.log);
	if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		bench_fatal("/dev/null");
	switch (pid = fork()) {
	case -1:
		bench_fatal("fork");
	case 0:
		/* Only async-signal-safe calls from here to execve. */
		if (sigprocmask(SIG_SETMASK, &none, NULL) == -1 ||
		    setpgid(0, 0) == -1 ||
#ifdef __linux__
		    prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
#endif
		    dup2(nullfd, STDIN_FILENO) == -1 ||
		    dup2(logfd, STDOUT_FILENO) == -1 ||
		    dup2(logfd, STDERR_FILENO) == -1)
			_exit(127);
		execve(opt.ufod, argv, env);
		_exit(127);
	}
	bench.pid = pid;
	close(logfd);
	close(nullfd);
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

static void
bench_wait_health(void)
{
	struct http		 h;
	struct json_object	*json;
	uint64_t		 deadline;
	int			 status;

	deadline = bench_now() + BENCH_START_MS * NS_PER_MS;
	for (;;) {
		if (waitpid(bench.pid, &status, WNOHANG) == bench.pid) {
			bench.pid = 0;
			bench_log_tail();
			bench_fatalx("ufod exited at start (status %d)",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		if (http_connect(&h, NULL, 0) == 0) {
			json = bench_call(&h, "GET", "/health", NULL, 200);
			json_object_put(json);
			http_close(&h);
			return;
		}
		if (errno != ENOENT && errno != ECONNREFUSED)
			bench_fatal("connect %s", bench.sock);
		if (bench_now() > deadline) {
			bench_log_tail();
			bench_fatalx("ufod did not answer on %s within %d s",
			    bench.sock, BENCH_START_MS / 1000);
		}
		bench_sleep_ms(10);
	}
}

/*
 * ufod inherits our limit on descriptors: raise it before it starts to
 * what the idle claims need, and say so when the hard limit forbids it.
 * Returns how many idle claims fit.
 */
static unsigned
bench_rlimit(unsigned idle)
{
	struct rlimit	 rl, want;
	rlim_t		 need = (rlim_t)idle + BENCH_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		bench_fatal("getrlimit");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return (idle);
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			bench_fatal("setrlimit RLIMIT_NOFILE %llu",
			    (unsigned long long)need);
		return (idle);
	}
	want.rlim_cur = want.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return (idle);
	fprintf(stderr, "ufo-bench: --idle %u needs %llu descriptors but the "
	    "hard limit is %llu and only root can raise it (%s); raise it "
	    "with `ulimit -Hn %llu` as root or in limits.conf\n", idle,
	    (unsigned long long)need, (unsigned long long)rl.rlim_max,
	    strerror(errno), (unsigned long long)need);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		bench_fatal("setrlimit RLIMIT_NOFILE");
	idle = rl.rlim_max > BENCH_FD_SPARE ?
	    (unsigned)(rl.rlim_max - BENCH_FD_SPARE) : 0;
	fprintf(stderr, "ufo-bench: measuring %u idle claims instead\n", idle);
	return (idle);
}

/* --- Rovers and operations --- */

static char *
bench_code(struct http *owner, size_t uses)
{
	struct json_object	*json;
	char			*body, *code;

	body = xprintf("{\"uses\":%zu}", uses);
	json = bench_call(owner, "POST", "/rover-codes", body, 201);
	code = xstrdup(bench_str(json, "code", "POST /rover-codes"));
	json_object_put(json);
	free(body);
	return (code);
}

/* Enrolls a rover that runs one pilot kind; returns its token. */
static char *
bench_enroll(struct http *h, const char *code, const char *name,
    const char *kind)
{
	struct json_object	*json;
	char			*body, *token;

	body = xprintf("{\"code\":\"%s\",\"name\":\"%s\","
	    "\"auto_tags\":[\"pilot:%s\"],\"units\":1,\"version\":\"bench\","
	    "\"host\":\"bench\"}", code, name, kind);
	json = bench_call(h, "POST", "/rover/enroll", body, 201);
	token = xstrdup(bench_str(json, "token", "POST /rover/enroll"));
	json_object_put(json);
	free(body);
	return (token);
}

/* One rover of its own over a fresh code. */
static char *
bench_enroll_one(struct http *owner, const char *name, const char *kind)
{
	struct http	 h;
	char		*code, *token;

	code = bench_code(owner, 1);
	http_open(&h, NULL, 1);
	token = bench_enroll(&h, code, name, kind);
	http_close(&h);
	free(code);
	return (token);
}

static char *
bench_create_body(const char *title, size_t n)
{
	return (xprintf("{\"mission\":\"UFO\",\"title\":\"%s %zu\","
	    "\"body\":\"true\",\"assignee\":\"pilot:shell\"}", title, n));
}

/* Creates an operation assigned to pilot:shell; returns its code. */
static char *
bench_create(struct http *owner, const char *title, size_t n)
{
	struct json_object	*json;
	char			*body, *code;

	body = bench_create_body(title, n);
	json = bench_call(owner, "POST", "/operations", body, 201);
	code = xstrdup(bench_str(json, "code", "POST /operations"));
	json_object_put(json);
	free(body);
	return (code);
}

static struct json_object *
bench_claim(struct http *h, const char *kind, int wait)
{
	char			 body[128];

	snprintf(body, sizeof body, "{\"wait\":%d,\"auto_tags\":"
	    "[\"pilot:%s\"],\"free_units\":1}", wait, kind);
	return (bench_call(h, "POST", "/rover/claim", body, 200));
}

/* The run of a claim's answer, or NULL when the claim came back empty. */
static struct json_object *
bench_claimed(struct json_object *json)
{
	struct json_object	*run;

	if (!json_object_object_get_ex(json, "run", &run))
		bench_fatalx("POST /rover/claim: the answer has no \"run\"");
	return (run);
}

static const char *
bench_claimed_op(struct json_object *run)
{
	struct json_object	*op;

	if (!json_object_object_get_ex(run, "operation", &op))
		bench_fatalx("POST /rover/claim: the run has no \"operation\"");
	return (bench_str(op, "code", "POST /rover/claim"));
}

/* A step of a claimed run: start, messages or finish. */
static void
bench_step(struct http *h, const char *id, const char *step,
    const char *body)
{
	struct json_object	*json;
	char			*path;

	path = xprintf("/rover/runs/%s/%s", id, step);
	json = bench_call(h, "POST", path, body, 200);
	json_object_put(json);
	free(path);
}

static char *
bench_finish_body(int64_t attempt)
{
	return (xprintf("{\"attempt\":%lld,\"status\":\"succeeded\","
	    "\"exit_code\":0,\"final_message\":\"Done.\",\"usage\":"
	    "{\"input_tokens\":1200,\"output_tokens\":340,"
	    "\"cost_usd\":0.0123}}", (long long)attempt));
}

/* Takes a claimed run to its end without telemetry. */
static void
bench_complete(struct http *h, struct json_object *run)
{
	const char	*id;
	char		*body;
	int64_t		 attempt;

	id = bench_str(run, "id", "POST /rover/claim");
	attempt = jsonx_int(run, "attempt", 1);
	body = xprintf("{\"attempt\":%lld}", (long long)attempt);
	bench_step(h, id, "start", body);
	free(body);
	body = bench_finish_body(attempt);
	bench_step(h, id, "finish", body);
	free(body);
}

static void *
bench_creator(void *arg)
{
	struct creator		*c = arg;
	struct creators		*cs = c->cs;
	struct json_object	*json;
	char			*body;
	uint64_t		 t0;
	size_t			 i;

	bench_barrier(cs->start);
	for (;;) {
		i = __atomic_fetch_add(&cs->next, 1, __ATOMIC_RELAXED);
		if (i >= cs->total)
			break;
		body = cs->body != NULL ? cs->body(cs->title, i + 1) :
		    bench_create_body(cs->title, i + 1);
		t0 = bench_now();
		json = bench_call(&c->h, "POST", "/operations", body, 201);
		samples_add(&c->s, bench_now() - t0);
		if (cs->codes != NULL)
			cs->codes[i] = xstrdup(bench_str(json, "code",
			    "POST /operations"));
		json_object_put(json);
		free(body);
	}
	return (NULL);
}

/* Creates cs->total operations over n connections; returns the time. */
static uint64_t
bench_create_many(struct creators *cs, unsigned n)
{
	struct creator	*c;
	uint64_t	 t0;
	unsigned	 i;

	c = xcalloc(n, sizeof *c);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		c[i].cs = cs;
		http_open(&c[i].h, NULL, 0);
		bench_thread(&c[i].thread, bench_creator, &c[i]);
	}
	for (i = 0; i < n; i++) {
		bench_join(c[i].thread);
		http_close(&c[i].h);
		samples_free(&c[i].s);
	}
	free(c);
	return (bench_now() - t0);
}

/* --- Lifecycles --- */

/* Ten messages as a pilot sends them, one of each kind and some text. */
static char *
lc_messages(void)
{
	static const char *const msgs[] = {
	    "{\"type\":\"thinking\",\"data\":{\"text\":\"Reading the "
	    "operation.\"}}",
	    "{\"type\":\"text\",\"data\":{\"text\":\"I will run the "
	    "command.\"}}",
	    "{\"type\":\"tool_use\",\"data\":{\"id\":\"t1\",\"name\":\"Bash\","
	    "\"input\":{\"command\":\"true\"}}}",
	    "{\"type\":\"tool_result\",\"data\":{\"id\":\"t1\",\"output\":\"\","
	    "\"is_error\":false}}",
	    "{\"type\":\"log\",\"data\":{\"line\":\"bench: step 1 of 2\"}}",
	    "{\"type\":\"tool_use\",\"data\":{\"id\":\"t2\",\"name\":\"Read\","
	    "\"input\":{\"path\":\"README\"}}}",
	    "{\"type\":\"tool_result\",\"data\":{\"id\":\"t2\",\"output\":"
	    "\"ufo is a terminal-first operations console.\","
	    "\"is_error\":false}}",
	    "{\"type\":\"log\",\"data\":{\"line\":\"bench: step 2 of 2\"}}",
	    "{\"type\":\"text\",\"data\":{\"text\":\"Done.\"}}",
	    "{\"type\":\"usage\",\"data\":{\"input_tokens\":1200,"
	    "\"output_tokens\":340,\"cost_usd\":0.0123}}",
	};
	char	*out, *next, *m;
	size_t	 i;

	out = xstrdup("[");
	for (i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		/* Insert the sequence number before the type. */
		m = xprintf("{\"seq\":%zu,%s", i + 1, msgs[i] + 1);
		next = xprintf("%s%s%s", out, i == 0 ? "" : ",", m);
		free(m);
		free(out);
		out = next;
	}
	next = xprintf("%s]", out);
	free(out);
	return (next);
}

/* The answer parsed by http_parse, whose body is not needed. */
static void
http_answer_status(struct http *h, const char *method, const char *path,
    int want)
{
	int	 n;

	if (h->status != want) {
		n = h->bodylen > 1000 ? 1000 : (int)h->bodylen;
		bench_fatalx("%s %s: status %d, expected %d: %.*s", method,
		    path, h->status, want, n, h->buf + h->hdrlen);
	}
	http_consume(h);
}

static void
lc_send(struct lc_conn *c, int step, const char *path, const char *body)
{
	c->step = step;
	c->sent = bench_now();
	if (http_send(&c->h, "POST", path, body) == -1)
		bench_fatal("POST %s", path);
}

static void
lc_send_create(struct lc_conn *c)
{
	char	*body;

	c->index = lc.cs.next++;
	body = bench_create_body(lc.cs.title, c->index + 1);
	lc_send(c, REQ_CREATE, "/operations", body);
	free(body);
}

static void
lc_send_claim(struct lc_conn *c)
{
	char	 body[128];

	snprintf(body, sizeof body, "{\"wait\":%d,\"auto_tags\":"
	    "[\"pilot:shell\"],\"free_units\":1}", BENCH_LC_WAIT);
	lc_send(c, REQ_CLAIM, "/rover/claim", body);
}

static void
lc_send_step(struct lc_conn *c, int step)
{
	static const char *const names[REQ_N] = {
		[REQ_START] = "start", [REQ_MESSAGES] = "messages",
		[REQ_FINISH] = "finish"
	};
	char	*path, *body;

	path = xprintf("/rover/runs/%s/%s", c->run, names[step]);
	if (step == REQ_START)
		body = xprintf("{\"attempt\":%lld}", (long long)c->attempt);
	else if (step == REQ_MESSAGES)
		body = xprintf("{\"attempt\":%lld,\"messages\":%s}",
		    (long long)c->attempt, lc.messages);
	else
		body = bench_finish_body(c->attempt);
	lc_send(c, step, path, body);
	free(body);
	free(path);
}

/* A claim's answer: the run to take through start, messages, finish. */
static void
lc_claimed(struct lc_conn *c, uint64_t now)
{
	struct json_object	*json, *run;
	size_t			 slot;

	json = http_answer(&c->h, "POST", "/rover/claim", 200);
	if ((run = bench_claimed(json)) == NULL) {
		json_object_put(json);
		c->step = -1;
		/* Nothing for a long time: runs were lost; stop. */
		if (lc.claimed < lc.cs.total && !(lc.cs.next >= lc.cs.total &&
		    now - lc.progress > BENCH_STALL_MS * NS_PER_MS))
			lc_send_claim(c);
		return;
	}
	lc.progress = now;
	samples_add(&c->s[REQ_CLAIM], now - c->sent);
	free(c->run);
	c->run = xstrdup(bench_str(run, "id", "POST /rover/claim"));
	c->attempt = jsonx_int(run, "attempt", 1);
	slot = lc.claimed++;
	if (slot < lc.cap) {
		lc.claim_runs[slot] = xstrdup(c->run);
		lc.claim_ops[slot] = xstrdup(bench_claimed_op(run));
	}
	json_object_put(json);
	lc_send_step(c, REQ_START);
}

/* The answer c waited for is in: record it, send what comes next. */
static void
lc_answered(struct lc_conn *c)
{
	struct json_object	*json;
	uint64_t		 now = bench_now();
	int			 step = c->step;

	if (step == REQ_CLAIM) {
		lc_claimed(c, now);
		return;
	}
	samples_add(&c->s[step], now - c->sent);
	c->step = -1;
	if (step == REQ_CREATE) {
		json = http_answer(&c->h, "POST", "/operations", 201);
		lc.cs.codes[c->index] = xstrdup(bench_str(json, "code",
		    "POST /operations"));
		json_object_put(json);
		if (lc.cs.next < lc.cs.total)
			lc_send_create(c);
		return;
	}
	http_answer_status(&c->h, "POST", "/rover/runs", 200);
	if (step != REQ_FINISH) {
		lc_send_step(c, step + 1);
		return;
	}
	if (++lc.finished == lc.cs.total)
		lc.end = now;
	if (lc.claimed < lc.cs.total)
		lc_send_claim(c);
}

/*
 * Drives every connection from one thread: the bench shares the machine
 * with the ufod it measures, and threads blocked one a connection would
 * cost it a wake-up for every answer.
 */
static void
lc_drive(struct lc_conn *conns, size_t n)
{
	struct epoll_event	 ev, evs[64];
	struct lc_conn		*c;
	size_t			 i, busy;
	int			 ep, nev, k, r;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		bench_fatal("epoll_create1");
	for (i = 0; i < n; i++) {
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.ptr = &conns[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].h.fd, &ev) == -1)
			bench_fatal("epoll_ctl");
		conns[i].step = -1;
		if (conns[i].token == NULL) {
			if (lc.cs.next < lc.cs.total)
				lc_send_create(&conns[i]);
		} else
			lc_send_claim(&conns[i]);
	}
	for (;;) {
		for (i = busy = 0; i < n; i++)
			busy += conns[i].step != -1;
		if (busy == 0 || lc.finished == lc.cs.total)
			break;
		if ((nev = epoll_wait(ep, evs, 64, 1000)) == -1) {
			if (errno == EINTR)
				continue;
			bench_fatal("epoll_wait");
		}
		for (k = 0; k < nev; k++) {
			c = evs[k].data.ptr;
			if (http_fill(&c->h) <= 0)
				bench_fatal("POST: ufod hung up");
			while (c->step != -1 && (r = http_parse(&c->h)) != 0) {
				if (r == -1)
					bench_fatalx("POST: a bad answer");
				lc_answered(c);
			}
		}
	}
	if (close(ep) == -1)
		bench_fatal("close");
}

static int
lc_strcmp(const void *a, const void *b)
{
	const char	*x = *(const char *const *)a;
	const char	*y = *(const char *const *)b;

	if (x == NULL || y == NULL)
		return (x == NULL ? (y == NULL ? 0 : -1) : 1);
	return (strcmp(x, y));
}

static int
lc_bsearch(char **sorted, size_t n, const char *key)
{
	return (bsearch(&key, sorted, n, sizeof *sorted, lc_strcmp) != NULL);
}

/* Reports the first few strings of a kind of discrepancy. */
static void
lc_report(const char *what, size_t count, char **examples, size_t n)
{
	size_t	 i;

	printf("lifecycle: FAILED: %zu %s:", count, what);
	for (i = 0; i < n && i < BENCH_EXAMPLES; i++)
		printf(" %s", examples[i]);
	bench_out("%s", count > n || n > BENCH_EXAMPLES ? " …" : "");
}

/*
 * Every operation created must have had its run claimed once and finished
 * once: compares what the rovers saw with what ufod lists.
 */
static int
lc_verify(struct http *owner)
{
	static const char *const others[] = {
		"queued", "claimed", "running", "failed", "cancelled"
	};
	struct json_object	*json, *items, *run, *v;
	char			**created, **claimed, **done, **bad, *path;
	char			*before = NULL;
	size_t			 total = lc.cs.total, nclaimed, ndone = 0;
	size_t			 i, n, nbad, sizedone = 1024, badmsg = 0;
	size_t			 nmsgs = 0, attempts = 0;
	const char		*op, *id;
	int			 failed = 0;

	nclaimed = lc.claimed < lc.cap ? lc.claimed : lc.cap;
	created = xcalloc(total, sizeof *created);
	memcpy(created, lc.cs.codes, total * sizeof *created);
	qsort(created, total, sizeof *created, lc_strcmp);
	claimed = xcalloc(nclaimed + 1, sizeof *claimed);
	bad = xcalloc(nclaimed + total + 1, sizeof *bad);

	/* Claimed twice: the same run id handed out more than once. */
	memcpy(claimed, lc.claim_runs, nclaimed * sizeof *claimed);
	qsort(claimed, nclaimed, sizeof *claimed, lc_strcmp);
	for (i = 1, nbad = 0; i < nclaimed; i++) {
		if (strcmp(claimed[i], claimed[i - 1]) == 0)
			bad[nbad++] = claimed[i];
	}
	if (nbad > 0) {
		lc_report("runs claimed twice", nbad, bad, nbad);
		failed = 1;
	}
	/* Lost: an operation whose run no rover ever claimed. */
	memcpy(claimed, lc.claim_ops, nclaimed * sizeof *claimed);
	qsort(claimed, nclaimed, sizeof *claimed, lc_strcmp);
	for (i = 0, nbad = 0; i < total; i++) {
		if (created[i] == NULL || !lc_bsearch(claimed, nclaimed,
		    created[i]))
			bad[nbad++] = created[i] != NULL ? created[i] : "?";
	}
	if (nbad > 0) {
		lc_report("operations whose run was never claimed", nbad, bad,
		    nbad);
		failed = 1;
	}
	for (i = 1, nbad = 0; i < nclaimed; i++) {
		if (strcmp(claimed[i], claimed[i - 1]) == 0)
			bad[nbad++] = claimed[i];
	}
	if (nbad > 0) {
		lc_report("operations claimed more than once", nbad, bad, nbad);
		failed = 1;
	}
	for (i = 0, nbad = 0; i < nclaimed; i++) {
		if (!lc_bsearch(created, total, claimed[i]))
			bad[nbad++] = claimed[i];
	}
	if (nbad > 0) {
		lc_report("runs claimed of operations the bench did not create",
		    nbad, bad, nbad);
		failed = 1;
	}

	/* What ufod says: every run succeeded, once, with its messages. */
	done = xcalloc(sizedone, sizeof *done);
	for (;;) {
		if (before == NULL)
			path = xprintf("/runs?status=succeeded&limit=1000");
		else
			path = xprintf("/runs?status=succeeded&limit=1000"
			    "&before=%s", before);
		json = bench_call(owner, "GET", path, NULL, 200);
		free(path);
		if (!json_object_object_get_ex(json, "items", &items) ||
		    !json_object_is_type(items, json_type_array))
			bench_fatalx("GET /runs: the answer has no items");
		n = json_object_array_length(items);
		for (i = 0; i < n; i++) {
			run = json_object_array_get_idx(items, i);
			op = bench_str(run, "operation", "GET /runs");
			if (ndone == sizedone) {
				sizedone *= 2;
				done = xreallocarray(done, sizedone,
				    sizeof *done);
			}
			done[ndone++] = xstrdup(op);
			if (jsonx_int(run, "attempt", 1) != 1)
				attempts++;
			if (json_object_object_get_ex(run, "messages", &v)) {
				nmsgs++;
				if (json_object_get_int64(v) != 10)
					badmsg++;
			}
		}
		free(before);
		before = NULL;
		if (json_object_object_get_ex(json, "next", &v) && v != NULL &&
		    n > 0)
			before = xstrdup(json_object_get_string(v));
		json_object_put(json);
		if (before == NULL)
			break;
	}
	qsort(done, ndone, sizeof *done, lc_strcmp);
	bad = xreallocarray(bad, ndone + total + 1, sizeof *bad);
	for (i = 1, nbad = 0; i < ndone; i++) {
		if (strcmp(done[i], done[i - 1]) == 0)
			bad[nbad++] = done[i];
	}
	if (nbad > 0) {
		lc_report("operations with more than one succeeded run", nbad,
		    bad, nbad);
		failed = 1;
	}
	for (i = 0, nbad = 0; i < total; i++) {
		if (created[i] != NULL && !lc_bsearch(done, ndone, created[i]))
			bad[nbad++] = created[i];
	}
	if (nbad > 0) {
		lc_report("operations without a succeeded run", nbad, bad,
		    nbad);
		failed = 1;
	}
	if (ndone != total) {
		bench_out("lifecycle: FAILED: ufod lists %zu succeeded runs "
		    "for %zu operations", ndone, total);
		failed = 1;
	}
	if (attempts > 0) {
		bench_out("lifecycle: FAILED: %zu succeeded runs are not "
		    "attempt 1", attempts);
		failed = 1;
	}
	if (badmsg > 0) {
		bench_out("lifecycle: FAILED: %zu succeeded runs do not have "
		    "10 messages", badmsg);
		failed = 1;
	}
	for (i = 0; i < sizeof others / sizeof others[0]; i++) {
		path = xprintf("/runs?status=%s&limit=1", others[i]);
		json = bench_call(owner, "GET", path, NULL, 200);
		if (json_object_object_get_ex(json, "items", &items) &&
		    json_object_array_length(items) > 0) {
			run = json_object_array_get_idx(items, 0);
			id = jsonx_str(run, "id");
			op = jsonx_str(run, "operation");
			bench_out("lifecycle: FAILED: runs are left %s, "
			    "for example %s of %s", others[i],
			    id != NULL ? id : "?", op != NULL ? op : "?");
			failed = 1;
		}
		json_object_put(json);
		free(path);
	}
	if (!failed)
		bench_out("lifecycle: verify ok: %zu operations, %zu runs "
		    "claimed once each, %zu succeeded%s, none lost", total,
		    nclaimed, ndone, nmsgs == ndone ? " with 10 messages each" :
		    "");

	for (i = 0; i < ndone; i++)
		free(done[i]);
	free(done);
	free(bad);
	free(claimed);
	free(created);
	return (failed ? -1 : 0);
}

static int
phase_lifecycle(struct http *owner)
{
	struct lc_conn		*conns, *c;
	struct samples		 all[REQ_N];
	uint64_t		 t0, cpu0, self0, ufod_cpu, self_cpu, end;
	uint64_t		 io0, io;
	char			*code, *name, line[512];
	size_t			 len, i, n;
	int			 rc, k;

	memset(&lc, 0, sizeof lc);
	memset(all, 0, sizeof all);
	lc.cs.title = "bench lifecycle";
	lc.cs.total = opt.runs;
	lc.cs.codes = xcalloc(opt.runs, sizeof *lc.cs.codes);
	lc.cap = (size_t)opt.runs * 2;
	lc.claim_runs = xcalloc(lc.cap, sizeof *lc.claim_runs);
	lc.claim_ops = xcalloc(lc.cap, sizeof *lc.claim_ops);
	lc.messages = lc_messages();

	/* One multi-use code for the rovers; each then its own connection. */
	n = opt.rovers + opt.creators;
	conns = xcalloc(n, sizeof *conns);
	code = bench_code(owner, opt.rovers);
	for (i = 0; i < opt.rovers; i++) {
		c = &conns[i];
		name = xprintf("bench-%zu", i + 1);
		http_open(&c->h, NULL, 1);
		c->token = bench_enroll(&c->h, code, name, "shell");
		c->h.token = c->token;
		free(name);
	}
	free(code);
	for (i = opt.rovers; i < n; i++)
		http_open(&conns[i].h, NULL, 0);

	cpu0 = proc_cpu(bench.pid);
	io0 = proc_io(bench.pid, "write_bytes");
	self0 = bench_self_cpu();
	t0 = bench_now();
	lc.progress = t0;
	lc_drive(conns, n);
	end = lc.end != 0 ? lc.end : bench_now();
	ufod_cpu = proc_cpu(bench.pid) - cpu0;
	io = proc_io(bench.pid, "write_bytes") - io0;
	self_cpu = bench_self_cpu() - self0;

	bench_out("lifecycle: %zu of %u runs, %u rovers, %u creators: "
	    "%.0f lifecycles/s (%.2f s)", lc.finished, opt.runs, opt.rovers,
	    opt.creators, (double)lc.finished / bench_secs(end - t0),
	    bench_secs(end - t0));
	for (i = 0; i < n; i++) {
		for (k = 0; k < REQ_N; k++)
			samples_append(&all[k], &conns[i].s[k]);
	}
	len = 0;
	line[0] = '\0';
	for (k = 0; k < REQ_N; k++) {
		len += (size_t)snprintf(line + len, sizeof line - len,
		    "%s %s %.2f/%.2f/%.2f", k == 0 ? "" : ",",
		    bench_req_names[k], samples_mean_ms(&all[k]),
		    samples_ms(&all[k], 50), samples_ms(&all[k], 99));
		if (len >= sizeof line)
			break;
	}
	bench_out("lifecycle: ms a request, mean/p50/p99:%s", line);
	bench_out("lifecycle: ufod CPU %.2f s (%.0f us a lifecycle, %.0f%% "
	    "of one core), %.0f KB written to disk a lifecycle; bench CPU "
	    "%.2f s", bench_secs(ufod_cpu), lc.finished > 0 ?
	    (double)ufod_cpu / 1e3 / (double)lc.finished : 0,
	    100.0 * (double)ufod_cpu / (double)(end - t0), lc.finished > 0 ?
	    (double)io / 1024.0 / (double)lc.finished : 0,
	    bench_secs(self_cpu));

	rc = lc_verify(owner);

	for (k = 0; k < REQ_N; k++)
		samples_free(&all[k]);
	for (i = 0; i < n; i++) {
		http_close(&conns[i].h);
		free(conns[i].token);
		free(conns[i].run);
		for (k = 0; k < REQ_N; k++)
			samples_free(&conns[i].s[k]);
	}
	free(conns);
	for (i = 0; i < lc.cs.total; i++)
		free(lc.cs.codes[i]);
	for (i = 0; i < lc.cap; i++) {
		free(lc.claim_runs[i]);
		free(lc.claim_ops[i]);
	}
	free(lc.cs.codes);
	free(lc.claim_runs);
	free(lc.claim_ops);
	free(lc.messages);
	return (rc);
}

/* --- Wake-up --- */

/* The wake phase's reader: blocks on the parked claim's socket. */
static struct {
	struct http	 rv;
	sem_t		 go;
	sem_t		 done;
	int		 stop;
	uint64_t	 answered;
} wk;

static void
wake_sem_wait(sem_t *sem)
{
	while (sem_wait(sem) == -1) {
		if (errno != EINTR)
			bench_fatal("sem_wait");
	}
}

static void *
wake_reader(void *arg)
{
	for (;;) {
		wake_sem_wait(&wk.go);
		if (wk.stop)
			break;
		if (http_recv(&wk.rv) == -1)
			bench_fatal("POST /rover/claim");
		wk.answered = bench_now();
		if (sem_post(&wk.done) == -1)
			bench_fatal("sem_post");
	}
	return (NULL);
}

/*
 * A claim parks with nothing queued; then one run is queued. The latency is
 * from the create's answer (the run is committed) to the claim's answer.
 * Each answer is timed by a thread blocked reading it, so neither waits for
 * the other to be read; a claim may well answer before the create does.
 */
static int
phase_wake(struct http *owner)
{
	struct json_object	*json, *run;
	struct samples		 wake = { 0 }, e2e = { 0 };
	pthread_t		 reader;
	uint64_t		 t0, t1;
	char			*token, *body, *code, claim[128];
	const char		*op;
	unsigned		 k, early = 0;

	token = bench_enroll_one(owner, "bench-wake", "shell");
	memset(&wk, 0, sizeof wk);
	http_open(&wk.rv, token, 1);
	if (sem_init(&wk.go, 0, 0) == -1 || sem_init(&wk.done, 0, 0) == -1)
		bench_fatal("sem_init");
	bench_thread(&reader, wake_reader, NULL);
	snprintf(claim, sizeof claim, "{\"wait\":%d,\"auto_tags\":"
	    "[\"pilot:shell\"],\"free_units\":1}", BENCH_WAKE_WAIT);
	for (k = 0; k < opt.wake; k++) {
		if (http_send(&wk.rv, "POST", "/rover/claim", claim) == -1)
			bench_fatal("POST /rover/claim");
		if (sem_post(&wk.go) == -1)
			bench_fatal("sem_post");
		bench_sleep_ms(BENCH_PARK_MS);

		body = bench_create_body("bench wake", k + 1);
		t0 = bench_now();
		if (http_send(owner, "POST", "/operations", body) == -1 ||
		    http_recv(owner) == -1)
			bench_fatal("POST /operations");
		t1 = bench_now();
		free(body);
		json = http_answer(owner, "POST", "/operations", 201);
		code = xstrdup(bench_str(json, "code", "POST /operations"));
		json_object_put(json);

		wake_sem_wait(&wk.done);
		json = http_answer(&wk.rv, "POST", "/rover/claim", 200);
		if (wk.answered < t0)
			bench_fatalx("a claim answered with nothing queued");
		if ((run = bench_claimed(json)) == NULL)
			bench_fatalx("the parked claim came back empty after "
			    "%s was queued", code);
		if (strcmp((op = bench_claimed_op(run)), code) != 0)
			bench_fatalx("the parked claim took %s, not %s", op,
			    code);
		if (wk.answered < t1)
			early++;
		samples_add(&wake, wk.answered > t1 ? wk.answered - t1 : 0);
		samples_add(&e2e, wk.answered - t0);
		bench_complete(&wk.rv, run);
		json_object_put(json);
		free(code);
	}
	wk.stop = 1;
	if (sem_post(&wk.go) == -1)
		bench_fatal("sem_post");
	bench_join(reader);
	if (sem_destroy(&wk.go) == -1 || sem_destroy(&wk.done) == -1)
		bench_fatal("sem_destroy");

	bench_out("wake: %u parked claims woken by a queued run: p50 %.3f ms, "
	    "p99 %.3f ms, max %.3f ms after the create's answer (%u answered "
	    "before it, counted as 0)", opt.wake, samples_ms(&wake, 50),
	    samples_ms(&wake, 99), samples_ms(&wake, 100), early);
	bench_out("wake: create sent -> parked claim answered: p50 %.3f ms, "
	    "p99 %.3f ms, max %.3f ms", samples_ms(&e2e, 50),
	    samples_ms(&e2e, 99), samples_ms(&e2e, 100));
	samples_free(&wake);
	samples_free(&e2e);
	http_close(&wk.rv);
	free(token);
	return (0);
}

/* --- Queue depth --- */

/* Times n claims (wait=0); each claimed run is finished, maybe replaced. */
static void
depth_sample(struct http *owner, struct http *rv, unsigned n, int replace,
    struct samples *s)
{
	struct json_object	*json, *run;
	uint64_t		 t0;
	unsigned		 i;

	for (i = 0; i < n; i++) {
		t0 = bench_now();
		json = bench_claim(rv, "shell", 0);
		samples_add(s, bench_now() - t0);
		if ((run = bench_claimed(json)) == NULL)
			bench_fatalx("a claim found nothing with runs queued");
		bench_complete(rv, run);
		json_object_put(json);
		if (replace)
			free(bench_create(owner, "bench depth", i + 1));
	}
}

/*
 * Times n claims (wait=0) by a rover that can take none of the queued runs,
 * as most of an idle fleet: they must cost as little with a deep queue.
 */
static void
depth_miss(struct http *rv, unsigned n, struct samples *s)
{
	struct json_object	*json;
	uint64_t		 t0;
	unsigned		 i;

	for (i = 0; i < n; i++) {
		t0 = bench_now();
		json = bench_claim(rv, "command", 0);
		samples_add(s, bench_now() - t0);
		if (bench_claimed(json) != NULL)
			bench_fatalx("a pilot:command rover claimed a run");
		json_object_put(json);
	}
}

static int
phase_depth(struct http *owner)
{
	struct http	 rv, other;
	struct creators	 cs;
	struct samples	 shallow = { 0 }, deep = { 0 };
	struct samples	 miss_shallow = { 0 }, miss_deep = { 0 };
	uint64_t	 took;
	char		*token, *token_other;
	unsigned	 i, n, fill;

	token = bench_enroll_one(owner, "bench-depth", "shell");
	http_open(&rv, token, 1);
	token_other = bench_enroll_one(owner, "bench-depth-other", "command");
	http_open(&other, token_other, 1);
	for (i = 0; i < BENCH_SHALLOW; i++)
		free(bench_create(owner, "bench shallow", i + 1));
	depth_sample(owner, &rv, BENCH_SAMPLES, 1, &shallow);
	depth_miss(&other, BENCH_SAMPLES, &miss_shallow);
	bench_out("depth: %d queued: claim p50 %.3f ms, p99 %.3f ms, max "
	    "%.3f ms (%d claims, wait=0)", BENCH_SHALLOW,
	    samples_ms(&shallow, 50), samples_ms(&shallow, 99),
	    samples_ms(&shallow, 100), BENCH_SAMPLES);

	fill = opt.deep > BENCH_SHALLOW ? opt.deep - BENCH_SHALLOW : 0;
	memset(&cs, 0, sizeof cs);
	cs.title = "bench deep";
	cs.total = fill;
	took = bench_create_many(&cs, BENCH_QUEUERS);
	bench_out("depth: queued %u more runs in %.1f s (%.0f/s, %d "
	    "connections)", fill, bench_secs(took),
	    (double)fill / bench_secs(took), BENCH_QUEUERS);

	n = opt.deep < BENCH_SAMPLES ? opt.deep : BENCH_SAMPLES;
	depth_sample(owner, &rv, n, 0, &deep);
	bench_out("depth: %u queued: claim p50 %.3f ms, p99 %.3f ms, max "
	    "%.3f ms (%u claims, wait=0); p50 x%.2f, p99 x%.2f of %d queued",
	    opt.deep, samples_ms(&deep, 50), samples_ms(&deep, 99),
	    samples_ms(&deep, 100), n,
	    samples_ms(&deep, 50) / samples_ms(&shallow, 50),
	    samples_ms(&deep, 99) / samples_ms(&shallow, 99), BENCH_SHALLOW);
	depth_miss(&other, BENCH_SAMPLES, &miss_deep);
	bench_out("depth: a rover none of them fits (pilot:command): claim "
	    "p50 %.3f ms, p99 %.3f ms with %d queued; p50 %.3f ms, p99 %.3f "
	    "ms with %u queued", samples_ms(&miss_shallow, 50),
	    samples_ms(&miss_shallow, 99), BENCH_SHALLOW,
	    samples_ms(&miss_deep, 50), samples_ms(&miss_deep, 99), opt.deep);
	samples_free(&shallow);
	samples_free(&deep);
	samples_free(&miss_shallow);
	samples_free(&miss_deep);
	http_close(&rv);
	http_close(&other);
	free(token);
	free(token_other);
	return (0);
}

/* --- Idle parked claims --- */

static void *
idle_enroller(void *arg)
{
	struct enrollers	*es = arg;
	struct http		 h;
	char			 name[32];
	size_t			 i;

	http_open(&h, NULL, 1);
	for (;;) {
		i = __atomic_fetch_add(&es->next, 1, __ATOMIC_RELAXED);
		if (i >= es->total)
			break;
		snprintf(name, sizeof name, "idle-%zu", i + 1);
		/*
		 * pilot:command, which no operation here is assigned to:
		 * the runs left queued by the depth phase must not wake
		 * these.
		 */
		es->tokens[i] = bench_enroll(&h, es->code, name, "command");
	}
	http_close(&h);
	return (NULL);
}

/* Writes what is left of a connection's request; 1 once all is sent. */
static int
idle_write(struct idle_conn *c)
{
	ssize_t	 w;

	while (c->off < c->len) {
		w = send(c->fd, c->req + c->off, c->len - c->off,
		    MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			bench_fatal("send");
		}
		c->off += (size_t)w;
	}
	free(c->req);
	c->req = NULL;
	c->state = IDLE_SENT;
	return (1);
}

/* A claim answered although nothing could be claimed: note how. */
static void
idle_answered(struct idle_conn *c, int ep, unsigned *answered, char *first,
    size_t size)
{
	char	 buf[512];
	ssize_t	 n;

	do
		n = read(c->fd, buf, sizeof buf - 1);
	while (n == -1 && errno == EINTR);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (first[0] == '\0')
		snprintf(first, size, "%s", n > 0 ? buf : "(closed)");
	if (epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL) == -1)
		bench_fatal("epoll_ctl");
	if (close(c->fd) == -1)
		bench_fatal("close");
	c->fd = -1;
	c->state = IDLE_ANSWERED;
	(*answered)++;
}

/*
 * Opens n connections from one thread, each with a claim (wait=120) that
 * parks in ufod. A non-blocking connect to a Unix socket whose backlog is
 * full fails with EAGAIN: those are retried once ufod has accepted more.
 */
static void
idle_park(struct idle_conn *conns, char **tokens, unsigned n, int ep,
    unsigned *answered, char *first, size_t size)
{
	struct sockaddr_un	 sun;
	struct epoll_event	 ev, evs[256];
	struct idle_conn	*c;
	uint64_t		 deadline;
	unsigned		 next = 0, sent = 0;
	char			 body[128];
	int			 fd, i, nev;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s",
	    bench.sock) >= sizeof sun.sun_path)
		bench_fatalx("socket path too long: %s", bench.sock);
	snprintf(body, sizeof body, "{\"wait\":%d,\"auto_tags\":"
	    "[\"pilot:command\"],\"free_units\":1}", BENCH_IDLE_WAIT);
	deadline = bench_now() + BENCH_SETTLE_MS * NS_PER_MS;
	while (sent + *answered < n) {
		while (next < n) {
			fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, 0);
			if (fd == -1)
				bench_fatal("socket (connection %u)", next + 1);
			if (connect(fd, (struct sockaddr *)&sun,
			    sizeof sun) == -1) {
				if (errno != EAGAIN && errno != EINTR)
					bench_fatal("connect (connection %u)",
					    next + 1);
				close(fd);
				break;
			}
			c = &conns[next++];
			c->fd = fd;
			c->req = http_format(tokens[next - 1], 1, "POST",
			    "/rover/claim", body, &c->len);
			memset(&ev, 0, sizeof ev);
			ev.events = EPOLLIN | EPOLLRDHUP;
			ev.data.ptr = c;
			if (!idle_write(c))
				ev.events |= EPOLLOUT;
			else
				sent++;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
				bench_fatal("epoll_ctl");
		}
		nev = epoll_wait(ep, evs, 256, next < n ? 1 : 100);
		if (nev == -1) {
			if (errno == EINTR)
				continue;
			bench_fatal("epoll_wait");
		}
		for (i = 0; i < nev; i++) {
			c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
			    EPOLLERR)) {
				if (c->state == IDLE_SENT)
					sent--;
				idle_answered(c, ep, answered, first, size);
				continue;
			}
			if ((evs[i].events & EPOLLOUT) &&
			    c->state == IDLE_SENDING && idle_write(c)) {
				sent++;
				ev.events = EPOLLIN | EPOLLRDHUP;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd,
				    &ev) == -1)
					bench_fatal("epoll_ctl");
			}
		}
		if (bench_now() > deadline)
			bench_fatalx("only %u of %u claims sent in %d s", sent,
			    n, BENCH_SETTLE_MS / 1000);
	}
}

/*
 * Waits until ufod holds every connection and is done with them: it has at
 * least that many descriptors, and neither their count nor its CPU time
 * changed for 300 ms. (A count taken before parking is no baseline: ufod
 * may not yet have closed connections the bench just closed.)
 */
static void
idle_settle(int ep, unsigned n, unsigned *answered, char *first,
    size_t size)
{
	struct epoll_event	 evs[64];
	uint64_t		 deadline, cpu, last_cpu = 0;
	int			 i, nev, still = 0, fds, last_fds = -1;

	deadline = bench_now() + BENCH_SETTLE_MS * NS_PER_MS;
	for (;;) {
		nev = epoll_wait(ep, evs, 64, 100);
		if (nev == -1 && errno != EINTR)
			bench_fatal("epoll_wait");
		for (i = 0; i < nev; i++)
			idle_answered(evs[i].data.ptr, ep, answered, first,
			    size);
		fds = proc_fds(bench.pid);
		cpu = proc_cpu(bench.pid);
		still = cpu == last_cpu && fds == last_fds ? still + 1 : 0;
		last_cpu = cpu;
		last_fds = fds;
		if (fds >= (int)(n - *answered) && still >= 3)
			return;
		if (bench_now() > deadline) {
			bench_out("idle: ufod still busy after %d s (%d "
			    "descriptors)", BENCH_SETTLE_MS / 1000, fds);
			return;
		}
	}
}

static int
phase_idle(struct http *owner, unsigned n)
{
	struct enrollers	 es;
	struct idle_conn	*conns;
	pthread_t		 th[BENCH_ENROLLERS];
	struct json_object	*json;
	struct samples		 health = { 0 };
	uint64_t		 t0, took;
	double			 rss0, rss1, rss2, rss3;
	long			 hwm;
	char			 first[512];
	unsigned		 i, answered = 0;
	int			 ep, fds1, fds2;

	if (n == 0) {
		bench_out("idle: skipped (no descriptors to spare)");
		return (0);
	}
	rss0 = proc_rss_mb(bench.pid);

	memset(&es, 0, sizeof es);
	es.total = n;
	es.tokens = xcalloc(n, sizeof *es.tokens);
	es.code = bench_code(owner, n);
	t0 = bench_now();
	for (i = 0; i < BENCH_ENROLLERS; i++)
		bench_thread(&th[i], idle_enroller, &es);
	for (i = 0; i < BENCH_ENROLLERS; i++)
		bench_join(th[i]);
	took = bench_now() - t0;
	rss1 = proc_rss_mb(bench.pid);
	bench_out("idle: enrolled %u rovers with one %u-use code in %.1f s "
	    "(%.0f/s); ufod RSS %.1f MB before, %.1f MB after", n, n,
	    bench_secs(took), (double)n / bench_secs(took), rss0, rss1);

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		bench_fatal("epoll_create1");
	conns = xcalloc(n, sizeof *conns);
	first[0] = '\0';
	t0 = bench_now();
	idle_park(conns, es.tokens, n, ep, &answered, first, sizeof first);
	took = bench_now() - t0;
	idle_settle(ep, n, &answered, first, sizeof first);
	fds1 = proc_fds(bench.pid);
	rss2 = proc_rss_mb(bench.pid);
	hwm = proc_status_kb(bench.pid, "VmHWM");
	for (i = 0; i < 20; i++) {
		t0 = bench_now();
		json = bench_call(owner, "GET", "/health", NULL, 200);
		samples_add(&health, bench_now() - t0);
		json_object_put(json);
	}
	bench_out("idle: %u claims parked (wait=%d), sent in %.1f s: ufod "
	    "RSS %.1f MB (+%.1f MB, %.1f KB a claim), peak %.1f MB, %d "
	    "descriptors", n - answered, BENCH_IDLE_WAIT, bench_secs(took),
	    rss2, rss2 - rss1, n > answered ? (rss2 - rss1) * 1024.0 /
	    (double)(n - answered) : 0, (double)hwm / 1024.0, fds1);
	bench_out("idle: GET /health with them parked: p50 %.3f ms, max "
	    "%.3f ms", samples_ms(&health, 50), samples_ms(&health, 100));
	if (answered > 0)
		bench_out("idle: FAILED: %u claims answered instead of "
		    "parking; the first: %.*s", answered, 200, first);

	/* Release: the rovers go away. */
	for (i = 0; i < n; i++) {
		if (conns[i].fd != -1 && conns[i].state != IDLE_ANSWERED &&
		    close(conns[i].fd) == -1)
			bench_fatal("close");
		free(conns[i].req);
	}
	if (close(ep) == -1)
		bench_fatal("close");
	bench_sleep_ms(1000);
	fds2 = proc_fds(bench.pid);
	rss3 = proc_rss_mb(bench.pid);
	bench_out("idle: released (closed all %u connections): 1 s later "
	    "ufod holds %d descriptors, RSS %.1f MB", n, fds2, rss3);

	samples_free(&health);
	free(conns);
	for (i = 0; i < n; i++)
		free(es.tokens[i]);
	free(es.tokens);
	free((char *)es.code);
	return (answered > 0 ? -1 : 0);
}

/* --- The board --- */

static const char *const board_statuses[] = {
	"backlog", "todo", "in_progress", "in_review", "done", "blocked",
	"cancelled"
};
#define BOARD_NSTATUS	7

/* How a real board spreads, in twentieths: mostly backlog and todo. */
static const int board_spread[20] = {
	0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 4, 5, 6
};

static const char *const board_labels[] = {
	"bug", "feature", "ui", "api", "store", "docs", "perf", "rover"
};
#define BOARD_NLABELS	8

/* Titles of all lengths, some with wide and multibyte characters. */
static const char *const board_titles[] = {
	"Fix the flaky reconnect of the change feed",
	"Add --json to ufo run list",
	"Speed up the board’s first paint",
	"Document enrolling a remote rover",
	"Claim latency grows with the queue — investigate",
	"Show the diff of a run in review",
	"Rename “crew” to “squad” everywhere",
	"Retry a failed run with another pilot",
	"Archive done operations after 30 days",
	"Crash when a very long title wraps past the edge of its card and "
	    "keeps going for a while",
	"Labels with ümlauts and emoji 🚀",
	"Keep the cursor on the card after a move",
};
#define BOARD_NTITLES	(sizeof board_titles / sizeof board_titles[0])

static const char *const board_change_names[] = {
	"create", "move", "title", "labels"
};
#define BOARD_NCHANGES	4

/* Operation n of the board: its status, priority and labels vary with n. */
static char *
board_op_body(const char *title, size_t n)
{
	const char	*l1, *l2;
	char		 labels[64];
	size_t		 k = n - 1;

	l1 = board_labels[k % BOARD_NLABELS];
	l2 = board_labels[(k / BOARD_NLABELS + 3) % BOARD_NLABELS];
	if (k % 3 == 0)
		snprintf(labels, sizeof labels, "[]");
	else if (k % 5 == 0 && l1 != l2)
		snprintf(labels, sizeof labels, "[\"%s\",\"%s\"]", l1, l2);
	else
		snprintf(labels, sizeof labels, "[\"%s\"]", l1);
	return (xprintf("{\"mission\":\"UFO\",\"title\":\"%s (%s %zu)\","
	    "\"body\":\"Made by ufo-bench for the board. What to change, "
	    "where,\\nand how to check it, in a few lines as real ones "
	    "have.\",\"status\":\"%s\",\"priority\":%zu,\"labels\":%s}",
	    board_titles[k % BOARD_NTITLES], title, n,
	    board_statuses[board_spread[k % 20]], (k * 7) % 5, labels));
}

/* One ufo on a pseudo-terminal of its own, and what its log said. */
struct board {
	pid_t		 pid;
	int		 master;
	int		 logfd;		/* reads UFO_BOARD_LOG */
	int		 ino;		/* inotify on it, or -1 */
	char		*logpath;
	char		 line[256];
	size_t		 linelen;
	pthread_t	 drainer;
	int		 drainer_on;
	int		 stop;		/* tells the drainer to finish */
	uint64_t	 drained;	/* bytes the board wrote on its terminal */
	char		 tail[4096];	/* the last of them, a ring */
	size_t		 tailpos;
	uint64_t	 started;	/* the fork, by the bench's clock */
	double		 first;		/* "paint first", ms; -1 until read */
	double		 load;		/* "load all", ms; -1 until read */
	uint64_t	 first_seen;	/* when the bench read it */
	uint64_t	 update_seen;	/* when the last "paint update" was read */
	struct samples	 updates;	/* every "paint update", ns */
	int		 exited;
	int		 status;	/* waitpid's, once exited */
};

enum { BOARD_FIRST, BOARD_LOAD, BOARD_UPDATES };

/*
 * Reads the board's terminal all along: a board whose output nobody reads
 * blocks in its next paint. Keeps the end of it to show on a failure.
 */
static void *
board_drain(void *arg)
{
	struct board	*b = arg;
	struct pollfd	 pfd;
	char		 buf[65536];
	ssize_t		 n, i;
	int		 stopping, r;

	pfd.fd = b->master;
	pfd.events = POLLIN;
	for (;;) {
		stopping = __atomic_load_n(&b->stop, __ATOMIC_ACQUIRE);
		if ((r = poll(&pfd, 1, stopping ? 0 : 100)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0) {
			if (stopping)
				break;
			continue;
		}
		n = read(b->master, buf, sizeof buf);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;	/* EIO: the terminal has no one left */
		for (i = 0; i < n; i++)
			b->tail[b->tailpos++ % sizeof b->tail] = buf[i];
		__atomic_add_fetch(&b->drained, (uint64_t)n, __ATOMIC_RELAXED);
	}
	return (NULL);
}

/* The end of what the board wrote, without its escape sequences. */
static void
board_show_tail(struct board *b)
{
	char		 out[sizeof b->tail + 1];
	size_t		 i, n = 0, len, skip;
	unsigned char	 c;
	int		 esc = 0;

	len = b->tailpos < sizeof b->tail ? b->tailpos : sizeof b->tail;
	for (i = b->tailpos - len; i < b->tailpos; i++) {
		c = (unsigned char)b->tail[i % sizeof b->tail];
		switch (esc) {
		case 1:		/* after ESC */
			esc = c == '[' ? 2 : c == ']' ? 3 :
			    (c == '(' || c == ')') ? 4 : 0;
			continue;
		case 2:		/* CSI: up to its final byte */
			if (c >= 0x40 && c <= 0x7e)
				esc = 0;
			continue;
		case 3:		/* OSC: up to BEL or ESC */
			if (c == 0x07)
				esc = 0;
			else if (c == 0x1b)
				esc = 1;
			continue;
		case 4:		/* a charset's name */
			esc = 0;
			continue;
		}
		if (c == 0x1b)
			esc = 1;
		else if (c == '\n' || (c >= 0x20 && c != 0x7f))
			out[n++] = (char)c;
	}
	out[n] = '\0';
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
	skip = n > 800 ? n - 800 : 0;
	if (n > 0)
		fprintf(stderr, "ufo-bench: the end of the board's terminal "
		    "(%llu bytes in all):\n%s%s\n", (unsigned long long)
		    b->drained, skip > 0 ? "…" : "", out + skip);
	else
		fprintf(stderr, "ufo-bench: the board wrote nothing to show "
		    "on its terminal (%llu bytes in all)\n",
		    (unsigned long long)b->drained);
}

/* A line of UFO_BOARD_LOG. */
static void
board_line(struct board *b, const char *line)
{
	double	 ms;

	if (sscanf(line, "paint first %lf", &ms) == 1) {
		if (b->first < 0) {
			b->first = ms;
			b->first_seen = bench_now();
		}
	} else if (sscanf(line, "paint update %lf", &ms) == 1) {
		samples_add(&b->updates, (uint64_t)(ms * 1e6));
		b->update_seen = bench_now();
	} else if (sscanf(line, "load all %lf", &ms) == 1) {
		if (b->load < 0)
			b->load = ms;
	}
}

/* Reads what the board added to its log since the last time. */
static void
board_read(struct board *b)
{
	char	 buf[4096];
	ssize_t	 n, i;

	for (;;) {
		n = read(b->logfd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			bench_fatal("%s", b->logpath);
		if (n == 0)
			return;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (b->linelen < sizeof b->line - 1)
					b->line[b->linelen++] = buf[i];
				continue;
			}
			b->line[b->linelen] = '\0';
			board_line(b, b->line);
			b->linelen = 0;
		}
	}
}

/* 1 once the board's ufo has exited (and is reaped). */
static int
board_reap(struct board *b)
{
	if (b->exited)
		return (1);
	if (waitpid(b->pid, &b->status, WNOHANG) != b->pid)
		return (0);
	b->exited = 1;
	bench.ufo = 0;
	return (1);
}

static int
board_has(const struct board *b, int what, size_t n)
{
	switch (what) {
	case BOARD_FIRST:
		return (b->first >= 0);
	case BOARD_LOAD:
		return (b->load >= 0);
	default:
		return (b->updates.n >= n);
	}
}

/*
 * Waits for a line of the board's log (for BOARD_UPDATES, until there are
 * n "paint update" lines in all): -1 if ufo ended or time ran out first.
 */
static int
board_wait(struct board *b, int what, size_t n, unsigned ms)
{
	struct pollfd	 pfd;
	char		 ev[4096];
	uint64_t	 deadline;

	deadline = bench_now() + (uint64_t)ms * NS_PER_MS;
	for (;;) {
		board_read(b);
		if (board_has(b, what, n))
			return (0);
		if (board_reap(b)) {
			board_read(b);
			return (board_has(b, what, n) ? 0 : -1);
		}
		if (bench_now() >= deadline)
			return (-1);
		if (b->ino == -1) {
			bench_sleep_ms(1);
			continue;
		}
		/* Woken by the board's write; the timeout checks on ufo. */
		pfd.fd = b->ino;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10) > 0) {
			while (read(b->ino, ev, sizeof ev) > 0)
				/* nothing */;
		}
	}
}

static int
board_env_ours(const char *e)
{
	static const char *const names[] = {
		"HOME=", "XDG_", "UFO_", "UFOD=", "TERM=", "LANG=",
		"LANGUAGE=", "LC_", "COLUMNS=", "LINES=", "NO_COLOR="
	};
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strncmp(e, names[i], strlen(names[i])) == 0)
			return (1);
	}
	return (0);
}

/*
 * The board's environment: the bench's ufod, a fresh HOME (no one's
 * ufo.conf), a 256-colour terminal and a UTF-8 locale. UFOD names nothing,
 * so that a board which cannot reach the bench's ufod fails rather than
 * start one of its own.
 */
static char **
board_env(const char *logpath)
{
	char	**env;
	size_t	 n, i, j;

	for (n = 0; environ[n] != NULL; n++)
		/* nothing */;
	env = xcalloc(n + 11, sizeof *env);
	for (i = j = 0; i < n; i++) {
		if (!board_env_ours(environ[i]))
			env[j++] = xstrdup(environ[i]);
	}
	env[j++] = xprintf("HOME=%s", bench.dir);
	env[j++] = xprintf("XDG_CONFIG_HOME=%s/.config", bench.dir);
	env[j++] = xprintf("XDG_DATA_HOME=%s/.local/share", bench.dir);
	env[j++] = xprintf("XDG_RUNTIME_DIR=%s/xdg-run", bench.dir);
	env[j++] = xprintf("UFO_SOCKET=%s", bench.sock);
	env[j++] = xprintf("UFO_BOARD_LOG=%s", logpath);
	env[j++] = xprintf("UFOD=%s/no-such-ufod", bench.dir);
	env[j++] = xstrdup("TERM=xterm-256color");
	env[j++] = xstrdup("LANG=C.UTF-8");
	return (env);
}

/*
 * Starts `ufo` (the board) on a new pseudo-terminal of 160x48 as the
 * session leader with it as its controlling terminal, as a terminal
 * emulator does; on Linux it also dies with the bench.
 */
static void
board_start(struct board *b, unsigned run)
{
	struct winsize	 ws;
	char		**env, *argv[2];
	sigset_t	 none;
	size_t		 i;
	pid_t		 pid;
	int		 slave;

	memset(b, 0, sizeof *b);
	b->master = b->logfd = b->ino = -1;
	b->first = b->load = -1;
	b->logpath = xprintf("%s/board-%u.log", bench.dir, run);
	if ((b->logfd = open(b->logpath, O_RDWR | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) == -1)
		bench_fatal("%s", b->logpath);
	if ((b->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) != -1 &&
	    inotify_add_watch(b->ino, b->logpath, IN_MODIFY) == -1) {
		close(b->ino);
		b->ino = -1;
	}
	env = board_env(b->logpath);
	argv[0] = opt.ufo;
	argv[1] = NULL;
	if (sigemptyset(&none) == -1)
		bench_fatal("sigemptyset");

	if (openpty(&b->master, &slave, NULL, NULL, NULL) == -1)
		bench_fatal("openpty");
	memset(&ws, 0, sizeof ws);
	ws.ws_col = BENCH_BOARD_COLS;
	ws.ws_row = BENCH_BOARD_ROWS;
	if (ioctl(b->master, TIOCSWINSZ, &ws) == -1)
		bench_fatal("ioctl TIOCSWINSZ");
	if (fcntl(b->master, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(slave, F_SETFD, FD_CLOEXEC) == -1)
		bench_fatal("fcntl");
	b->started = bench_now();
	switch (pid = fork()) {
	case -1:
		bench_fatal("fork");
	case 0:
		/* Only async-signal-safe calls from here to execve. */
		if (sigprocmask(SIG_SETMASK, &none, NULL) == -1 ||
		    setsid() == -1 ||
		    ioctl(slave, TIOCSCTTY, 0) == -1 ||
#ifdef __linux__
		    prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
#endif
		    dup2(slave, STDIN_FILENO) == -1 ||
		    dup2(slave, STDOUT_FILENO) == -1 ||
		    dup2(slave, STDERR_FILENO) == -1)
			_exit(127);
		execve(opt.ufo, argv, env);
		_exit(127);
	}
	bench.ufo = b->pid = pid;
	close(slave);
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
	bench_thread(&b->drainer, board_drain, b);
	b->drainer_on = 1;
}

/* How ufo ended, for a message. */
static const char *
board_how(const struct board *b, char *buf, size_t size)
{
	if (WIFSIGNALED(b->status))
		snprintf(buf, size, "was killed by signal %d",
		    WTERMSIG(b->status));
	else
		snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(b->status));
	return (buf);
}

/*
 * Ends the board: with Q, as its user would, when quit is set; TERM, then
 * KILL when it does not go or was not asked. Returns -1 (having said why)
 * unless it quit on Q with status 0.
 */
static int
board_stop(struct board *b, int quit)
{
	uint64_t	 deadline;
	char		 how[64];
	int		 rc = -1;

	if (quit && !board_reap(b)) {
		if (write(b->master, "Q", 1) != 1)
			bench_out("board: FAILED: cannot type Q on the board's "
			    "terminal: %s", strerror(errno));
		deadline = bench_now() + BENCH_QUIT_MS * NS_PER_MS;
		while (!board_reap(b) && bench_now() < deadline)
			bench_sleep_ms(2);
		if (!b->exited)
			bench_out("board: FAILED: ufo did not quit on Q within "
			    "%d s", BENCH_QUIT_MS / 1000);
		else if (!WIFEXITED(b->status) || WEXITSTATUS(b->status) != 0)
			bench_out("board: FAILED: ufo %s on Q", board_how(b, how,
			    sizeof how));
		else
			rc = 0;
	} else if (quit)
		bench_out("board: FAILED: ufo %s before Q", board_how(b, how,
		    sizeof how));
	if (!b->exited)
		bench_stop_ufo();
	b->exited = 1;
	if (b->drainer_on) {
		__atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
		bench_join(b->drainer);
		b->drainer_on = 0;
	}
	if (rc == -1)
		board_show_tail(b);
	return (rc);
}

static void
board_free(struct board *b)
{
	if (b->master != -1)
		close(b->master);
	if (b->logfd != -1)
		close(b->logfd);
	if (b->ino != -1)
		close(b->ino);
	free(b->logpath);
	samples_free(&b->updates);
	memset(b, 0, sizeof *b);
}

/* A measurement failed: says so, stops the board and shows its end. */
static int
board_fail(struct board *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
board_fail(struct board *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512], how[64];

	/*
	 * The bench is ending (a signal, a failure elsewhere) and stopped
	 * the board itself: nothing to add; the exit lock's holder ends the
	 * process.
	 */
	if (pthread_mutex_trylock(&bench.exit_lock) != 0) {
		pthread_mutex_lock(&bench.exit_lock);
		_exit(1);
	}
	pthread_mutex_unlock(&bench.exit_lock);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (b->exited || board_reap(b))
		bench_out("board: FAILED: %s (ufo %s)", msg, board_how(b, how,
		    sizeof how));
	else
		bench_out("board: FAILED: %s", msg);
	board_stop(b, 0);
	board_free(b);
	return (-1);
}

/*
 * The operations the changes touch, the first created (at the top of their
 * columns), and what they are now: ufod announces no move to the column an
 * operation is in, nor a label it has already.
 */
struct board_hot {
	char		**codes;
	size_t		 n;
	int		 status[BENCH_BOARD_HOT];
	int		 triage[BENCH_BOARD_HOT];	/* has the label */
};

/*
 * Change k through the API, as someone else at work would: a new
 * operation, a move to another column, a new title, a label added or
 * taken off.
 */
static void
board_change(struct http *owner, unsigned k, struct board_hot *hot)
{
	struct json_object	*json;
	size_t			 h = ((size_t)k * 13) % hot->n;
	const char		*code = hot->codes[h];
	char			*path = NULL, *body;
	unsigned		 round = k / BOARD_NCHANGES;

	switch (k % BOARD_NCHANGES) {
	case 0:
		body = board_op_body("board change", (size_t)opt.board_ops +
		    k + 1);
		json = bench_call(owner, "POST", "/operations", body, 201);
		break;
	case 1:
		path = xprintf("/operations/%s/move", code);
		hot->status[h] = (hot->status[h] + 1 + (int)(round %
		    (BOARD_NSTATUS - 1))) % BOARD_NSTATUS;
		body = xprintf("{\"status\":\"%s\"}",
		    board_statuses[hot->status[h]]);
		json = bench_call(owner, "POST", path, body, 200);
		break;
	case 2:
		path = xprintf("/operations/%s", code);
		body = xprintf("{\"title\":\"%s (edited %u)\"}",
		    board_titles[round % BOARD_NTITLES], k + 1);
		json = bench_call(owner, "PATCH", path, body, 200);
		break;
	default:
		path = xprintf("/operations/%s/labels", code);
		body = xprintf("{\"%s\":[\"triage\"]}", hot->triage[h] ?
		    "remove" : "add");
		hot->triage[h] = !hot->triage[h];
		json = bench_call(owner, "POST", path, body, 200);
		break;
	}
	json_object_put(json);
	free(path);
	free(body);
}

/*
 * The changes, one at a time: each waits for the board's repaint of it.
 * Returns -1 when one is not repainted in time.
 */
static int
board_changes(struct board *b, struct http *owner, char **codes)
{
	struct samples	 repaint = { 0 }, e2e = { 0 };
	struct samples	 kinds[BOARD_NCHANGES];
	struct board_hot hot;
	uint64_t	 t0;
	size_t		 base, before, i;
	unsigned	 k;
	char		 line[512];
	size_t		 len;
	double		 p99, max;
	int		 kind;

	memset(kinds, 0, sizeof kinds);
	memset(&hot, 0, sizeof hot);
	hot.codes = codes;
	hot.n = opt.board_ops < BENCH_BOARD_HOT ? opt.board_ops :
	    BENCH_BOARD_HOT;
	for (i = 0; i < hot.n; i++)
		hot.status[i] = board_spread[i % 20];
	board_read(b);
	base = b->updates.n;
	for (k = 0; k < opt.board_changes; k++) {
		kind = (int)(k % BOARD_NCHANGES);
		board_read(b);
		before = b->updates.n;
		t0 = bench_now();
		board_change(owner, k, &hot);
		if (board_wait(b, BOARD_UPDATES, before + 1,
		    BENCH_REPAINT_MS) == -1) {
			samples_free(&repaint);
			samples_free(&e2e);
			for (i = 0; i < BOARD_NCHANGES; i++)
				samples_free(&kinds[i]);
			if (b->exited)
				return (board_fail(b, "change %u of %u (%s) "
				    "was not repainted", k + 1,
				    opt.board_changes,
				    board_change_names[kind]));
			return (board_fail(b, "change %u of %u (%s) was not "
			    "repainted within %d s", k + 1, opt.board_changes,
			    board_change_names[kind], BENCH_REPAINT_MS / 1000));
		}
		samples_add(&e2e, b->update_seen - t0);
		samples_add(&kinds[kind], b->updates.v[before]);
		/* A change of several events may paint more than once. */
		bench_sleep_ms(BENCH_SETTLE_CHANGE_MS);
		board_read(b);
	}
	for (i = base; i < b->updates.n; i++)
		samples_add(&repaint, b->updates.v[i]);

	p99 = samples_ms(&repaint, 99);
	max = samples_ms(&repaint, 100);
	bench_out("board: live updates: %u changes through the API, %zu "
	    "repaints: p50 %.2f ms, p99 %.2f ms, max %.2f ms from the feed "
	    "event to the repaint done (budget %d ms: %s)", opt.board_changes,
	    repaint.n, samples_ms(&repaint, 50), p99, max,
	    BENCH_UPDATE_BUDGET_MS, max <= BENCH_UPDATE_BUDGET_MS ? "within" :
	    p99 <= BENCH_UPDATE_BUDGET_MS ? "p99 within, max OVER" : "OVER");
	len = 0;
	line[0] = '\0';
	for (i = 0; i < BOARD_NCHANGES; i++) {
		if (kinds[i].n == 0)
			continue;
		len += (size_t)snprintf(line + len, sizeof line - len,
		    "%s %s %.2f/%.2f", len == 0 ? "" : ",",
		    board_change_names[i], samples_ms(&kinds[i], 50),
		    samples_ms(&kinds[i], 100));
		if (len >= sizeof line)
			break;
	}
	bench_out("board: repaint by change, ms p50/max:%s", line);
	bench_out("board: change sent -> repaint read by the bench (through "
	    "ufod, the feed and the board): p50 %.2f ms, p99 %.2f ms, max "
	    "%.2f ms", samples_ms(&e2e, 50), samples_ms(&e2e, 99),
	    samples_ms(&e2e, 100));
	samples_free(&repaint);
	samples_free(&e2e);
	for (i = 0; i < BOARD_NCHANGES; i++)
		samples_free(&kinds[i]);
	return (0);
}

static const char *
board_budget(double median, double max, double budget)
{
	if (max <= budget)
		return ("within");
	return (median <= budget ? "median within, max OVER" : "OVER");
}

static int
phase_board(struct http *owner)
{
	struct creators	 cs;
	struct board	 b;
	struct samples	 first = { 0 }, load = { 0 };
	uint64_t	 took;
	size_t		 counts[BOARD_NSTATUS], i, len;
	unsigned	 run;
	char		 spread[256];
	double		 med, max;
	int		 rc = 0;

	/* The operations, created as fast as ufod takes them. */
	memset(&cs, 0, sizeof cs);
	cs.title = "board";
	cs.body = board_op_body;
	cs.total = opt.board_ops;
	cs.codes = xcalloc(opt.board_ops, sizeof *cs.codes);
	took = bench_create_many(&cs, BENCH_QUEUERS);
	memset(counts, 0, sizeof counts);
	for (i = 0; i < opt.board_ops; i++)
		counts[board_spread[i % 20]]++;
	len = 0;
	spread[0] = '\0';
	for (i = 0; i < BOARD_NSTATUS && len < sizeof spread; i++)
		len += (size_t)snprintf(spread + len, sizeof spread - len,
		    "%s%s %zu", i == 0 ? "" : ", ", board_statuses[i],
		    counts[i]);
	bench_out("board: created %u operations in %.1f s (%.0f/s, %d "
	    "connections): %s; priorities 0-4, %d labels", opt.board_ops,
	    bench_secs(took), (double)opt.board_ops / bench_secs(took),
	    BENCH_QUEUERS, spread, BOARD_NLABELS);

	for (run = 1; run <= BENCH_BOARD_RUNS; run++) {
		board_start(&b, run);
		if (board_wait(&b, BOARD_FIRST, 0, BENCH_PAINT_MS) == -1) {
			if (b.exited)
				rc = board_fail(&b, "run %u: no first paint",
				    run);
			else
				rc = board_fail(&b, "run %u: no first paint "
				    "within %d s", run, BENCH_PAINT_MS / 1000);
			break;
		}
		if (board_wait(&b, BOARD_LOAD, 0, BENCH_LOAD_MS) == -1) {
			if (b.exited)
				rc = board_fail(&b, "run %u: first paint in "
				    "%.2f ms, then not all loaded", run,
				    b.first);
			else
				rc = board_fail(&b, "run %u: first paint in "
				    "%.2f ms but not all loaded within %d s",
				    run, b.first, BENCH_LOAD_MS / 1000);
			break;
		}
		samples_add(&first, (uint64_t)(b.first * 1e6));
		samples_add(&load, (uint64_t)(b.load * 1e6));
		bench_out("board: run %u: first paint %.2f ms after ufo "
		    "started (the bench read it %.2f ms after its fork), all "
		    "%u operations loaded at %.2f ms", run, b.first,
		    (double)(b.first_seen - b.started) / 1e6, opt.board_ops,
		    b.load);
		if (run == BENCH_BOARD_RUNS &&
		    board_changes(&b, owner, cs.codes) == -1) {
			rc = -1;
			break;
		}
		if (board_stop(&b, 1) == -1) {
			board_free(&b);
			rc = -1;
			break;
		}
		board_free(&b);
	}

	if (first.n > 0) {
		med = samples_ms(&first, 50);
		max = samples_ms(&first, 100);
		bench_out("board: first paint min/median/max %.2f/%.2f/%.2f ms "
		    "over %zu fresh boards with %u operations (budget %d ms "
		    "with 10,000 operations: %s)", samples_ms(&first, 0), med,
		    max, first.n, opt.board_ops, BENCH_FIRST_BUDGET_MS,
		    board_budget(med, max, BENCH_FIRST_BUDGET_MS));
		bench_out("board: all loaded min/median/max %.2f/%.2f/%.2f ms "
		    "after ufo started", samples_ms(&load, 0),
		    samples_ms(&load, 50), samples_ms(&load, 100));
	}
	if (rc == 0)
		bench_out("board: ufo quit on Q with status 0 each time");

	samples_free(&first);
	samples_free(&load);
	for (i = 0; i < cs.total; i++)
		free(cs.codes[i]);
	free(cs.codes);
	return (rc);
}

/* --- Main --- */

static int
bench_phase(const char *name)
{
	int	 i;

	for (i = 0; i < BENCH_NPHASES; i++) {
		if (strcmp(name, bench_phase_names[i]) == 0)
			return (i);
	}
	fprintf(stderr, "ufo-bench: --only: unknown measurement \"%s\" "
	    "(lifecycle, wake, depth, idle or board)\n", name);
	usage(stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "board-changes", required_argument, NULL, 'c' },
		{ "board-ops", required_argument, NULL, 'b' },
		{ "creators", required_argument, NULL, 'C' },
		{ "deep", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "idle", required_argument, NULL, 'i' },
		{ "keep", no_argument, NULL, 'k' },
		{ "only", required_argument, NULL, 'o' },
		{ "rovers", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'm' },
		{ "ufo", required_argument, NULL, 'U' },
		{ "ufod", required_argument, NULL, 'u' },
		{ "wake", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct http	 owner;
	pthread_t	 sigthread;
	uint64_t	 t0;
	unsigned	 idle = 0;
	long		 ncpu;
	int		 ch, rc, status = 0, board = 0;

	log_init("ufo-bench", 0, LOG_LEVEL_INFO);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			opt.board_ops = bench_number(optarg, "board-ops", 1,
			    1000000);
			break;
		case 'c':
			opt.board_changes = bench_number(optarg,
			    "board-changes", 1, 100000);
			break;
		case 'C':
			opt.creators = bench_number(optarg, "creators", 1,
			    1000);
			break;
		case 'D':
			opt.deep = bench_number(optarg, "deep", 1, 10000000);
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'i':
			opt.idle = bench_number(optarg, "idle", 1, 1000000);
			break;
		case 'k':
			opt.keep = 1;
			break;
		case 'o':
			opt.only = bench_phase(optarg);
			break;
		case 'r':
			opt.rovers = bench_number(optarg, "rovers", 1, 1000);
			break;
		case 'm':
			opt.runs = bench_number(optarg, "runs", 1, 10000000);
			break;
		case 'u':
			free(opt.ufod);
			opt.ufod = xstrdup(optarg);
			break;
		case 'U':
			free(opt.ufo);
			opt.ufo = xstrdup(optarg);
			break;
		case 'w':
			opt.wake = bench_number(optarg, "wake", 1, 1000000);
			break;
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (2);
	}
	if (opt.ufod == NULL)
		opt.ufod = bench_default_path("src/ufod");
	if (access(opt.ufod, X_OK) == -1) {
		fprintf(stderr, "ufo-bench: %s: %s (build it with make, or "
		    "give --ufod PATH)\n", opt.ufod, strerror(errno));
		return (1);
	}
	if (opt.only == -1 || opt.only == PHASE_BOARD) {
		if (opt.ufo == NULL)
			opt.ufo = bench_default_path("tui/ufo");
		if (access(opt.ufo, X_OK) == -1) {
			fprintf(stderr, "ufo-bench: %s: %s (build it with make, "
			    "or give --ufo PATH)\n", opt.ufo, strerror(errno));
			return (1);
		}
	}

	/* Signals go to one thread; nothing else is interrupted. */
	if (sigemptyset(&bench.sigs) == -1 ||
	    sigaddset(&bench.sigs, SIGINT) == -1 ||
	    sigaddset(&bench.sigs, SIGTERM) == -1 ||
	    sigaddset(&bench.sigs, SIGHUP) == -1)
		bench_fatal("sigset");
	if ((rc = pthread_sigmask(SIG_BLOCK, &bench.sigs, NULL)) != 0) {
		errno = rc;
		bench_fatal("pthread_sigmask");
	}
	bench_thread(&sigthread, bench_signals, NULL);
	if (atexit(bench_atexit) != 0)
		bench_fatalx("atexit failed");

	if (opt.only == -1 || opt.only == 3)
		idle = bench_rlimit(opt.idle);
	bench_tempdir();
	bench_spawn();
	bench_wait_health();
	http_open(&owner, NULL, 0);

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	bench_out("ufo-bench %s: ufod %s (pid %ld) in %s, %ld CPUs, RSS "
	    "%.1f MB", PACKAGE_VERSION, opt.ufod, (long)bench.pid, bench.dir,
	    ncpu, proc_rss_mb(bench.pid));
	bench_out("parameters: --rovers %u --creators %u --runs %u --wake %u "
	    "--deep %u --idle %u --board-ops %u --board-changes %u%s%s",
	    opt.rovers, opt.creators, opt.runs, opt.wake, opt.deep,
	    idle != 0 ? idle : opt.idle, opt.board_ops, opt.board_changes,
	    opt.only != -1 ? " --only " : "",
	    opt.only != -1 ? bench_phase_names[opt.only] : "");
	if (opt.only == -1 || opt.only == PHASE_BOARD)
		bench_out("board: %s on a %dx%d pseudo-terminal (TERM "
		    "xterm-256color, C.UTF-8)", opt.ufo, BENCH_BOARD_COLS,
		    BENCH_BOARD_ROWS);

	t0 = bench_now();
	/*
	 * The board first, while the database holds only its operations:
	 * the runs the others leave queued would be on it too. Its failure
	 * does not stop the others.
	 */
	if ((opt.only == -1 || opt.only == PHASE_BOARD) &&
	    phase_board(&owner) == -1)
		board = 1;
	if ((opt.only == -1 || opt.only == 0) && phase_lifecycle(&owner) == -1)
		status = 1;
	/* A lost or doubled run would skew what follows. */
	if (status == 0 && (opt.only == -1 || opt.only == 1) &&
	    phase_wake(&owner) == -1)
		status = 1;
	if (status == 0 && (opt.only == -1 || opt.only == 2) &&
	    phase_depth(&owner) == -1)
		status = 1;
	if (status == 0 && (opt.only == -1 || opt.only == 3) &&
	    phase_idle(&owner, idle) == -1)
		status = 1;
	status |= board;
	bench_out("%s in %.1f s", status == 0 ? "done" : "FAILED",
	    bench_secs(bench_now() - t0));

	http_close(&owner);
	free(opt.ufod);
	free(opt.ufo);
	free(bench.sock);
	free(bench.db);
	free(bench.log);
	bench.log = NULL;
	bench_exit(status);
}
