#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

/*
 * The logger is a process-wide singleton set up once by main; the level may
 * change on SIGHUP, so it is read and written atomically.
 */
static const char	*log_name = "ufo";
static int		 log_syslog;
static volatile int	 log_level = LOG_LEVEL_INFO;

static const struct {
	const char	*name;
	int		 priority;
} log_levels[] = {
	[LOG_LEVEL_ERROR] = { "error", LOG_ERR },
	[LOG_LEVEL_WARN] = { "warning", LOG_WARNING },
	[LOG_LEVEL_INFO] = { "info", LOG_INFO },
	[LOG_LEVEL_DEBUG] = { "debug", LOG_DEBUG },
};

void
log_init(const char *name, int use_syslog, enum log_level level)
{
	log_name = name;
	log_syslog = use_syslog;
	log_level = level;
	if (use_syslog)
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

enum log_level
log_get_level(void)
{
	return (__atomic_load_n(&log_level, __ATOMIC_RELAXED));
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	char		 msg[2048];
	struct timespec	 ts;
	struct tm	 tm;
	char		 when[32];

	if (level > log_get_level())
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_syslog) {
		if (suffix != NULL)
			syslog(log_levels[level].priority, "%s: %s", msg, suffix);
		else
			syslog(log_levels[level].priority, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line so concurrent threads do not interleave. */
	if (suffix != NULL)
		fprintf(stderr, "%s.%03ldZ %s[%s]: %s: %s\n", when,
		    ts.tv_nsec / 1000000, log_name, log_levels[level].name, msg,
		    suffix);
	else
		fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", when,
		    ts.tv_nsec / 1000000, log_name, log_levels[level].name, msg);
}

#define LOG_FN(fn, level)					\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list	 ap;						\
								\
	va_start(ap, fmt);					\
	log_vwrite(level, fmt, ap, NULL);			\
	va_end(ap);						\
}
LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
