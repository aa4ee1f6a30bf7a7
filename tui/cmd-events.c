#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_events_exec(struct cmd *);

/* Events asked for per page when not following. */
#define CMD_EVENTS_PAGE		"500"
/* Pause between attempts to reconnect a dropped stream. */
#define CMD_EVENTS_RETRY_MS	1000

static const struct option cmd_events_options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "since", required_argument, NULL, CMD_OPT_SINCE },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.sub = NULL,
	.usage = "[-f] [--since ID]",
	.opts = "f",
	.longopts = cmd_events_options,
	.lower = 0,
	.upper = 0,
	.help = "print the change feed, one JSON object a line; -f follows it "
	    "until interrupted",
	.exec = cmd_events_exec
};

/* Set by SIGINT and SIGTERM while following; the stream checks it. */
static volatile sig_atomic_t cmd_events_stop;

static void
cmd_events_signal(int sig)
{
	cmd_events_stop = 1;
}

/* Prints one event compactly, on a line of its own, and flushes it. */
static int
cmd_events_print(struct json_object *event, const char *raw,
    struct ufo_error *err)
{
	const char	*line;

	line = event != NULL ? jsonx_compact(event) : raw;
	if (printf("%s\n", line) < 0 || fflush(stdout) == EOF)
		return (err_set(err, UFO_EINTERNAL, "", "stdout: %s",
		    strerror(errno)));
	return (0);
}

static int
cmd_events_event(int64_t id, const char *kind, const char *data, void *arg,
    struct ufo_error *err)
{
	struct json_object	*event;
	int			*received = arg;
	int			 rc;

	*received = 1;
	/* Reprinted compactly so that an event is always one line. */
	event = jsonx_parse(data, strlen(data), NULL);
	rc = cmd_events_print(event, data, err);
	json_object_put(event);
	return (rc);
}

/* The events after since, page by page, without waiting for more. */
static enum cmd_retval
cmd_events_list(struct cmd *cmd, int64_t since)
{
	struct json_object	*page, *items, *event;
	struct ufo_error	 err;
	char			*path, *s;
	size_t			 i, n;
	int64_t			 id;

	for (;;) {
		s = xprintf("%lld", (long long)since);
		path = xstrdup("/events");
		client_query_add(&path, "since", s);
		client_query_add(&path, "wait", "0");
		client_query_add(&path, "limit", CMD_EVENTS_PAGE);
		free(s);
		if (client_get(cmd->client, path, &page, &err) == -1) {
			free(path);
			return (cmd_fail(&err));
		}
		free(path);
		if (page == NULL ||
		    !json_object_object_get_ex(page, "items", &items) ||
		    !json_object_is_type(items, json_type_array)) {
			json_object_put(page);
			cmd_error("%s: the answer to GET /events has no "
			    "\"items\" list", client_where(cmd->client));
			return (CMD_RETURN_ERROR);
		}
		n = json_object_array_length(items);
		for (i = 0; i < n; i++) {
			event = json_object_array_get_idx(items, i);
			if (cmd_events_print(event, NULL, &err) == -1) {
				json_object_put(page);
				return (cmd_fail(&err));
			}
			if ((id = jsonx_int(event, "id", 0)) > since)
				since = id;
		}
		json_object_put(page);
		if (n == 0)
			return (CMD_RETURN_NORMAL);
	}
}

/* Sleeps, waking early when a signal asks to stop. */
static void
cmd_events_pause(int ms)
{
	struct timespec	 ts;

	for (; ms > 0 && !cmd_events_stop; ms -= 100) {
		ts.tv_sec = 0;
		ts.tv_nsec = 100 * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/*
 * Follows the SSE stream. A dropped connection is opened again, resuming
 * after the last event seen (Last-Event-ID), until SIGINT or SIGTERM.
 * Only the first connection may start ufod; a ufod that goes away later
 * was stopped on purpose.
 */
static enum cmd_retval
cmd_events_follow(struct cmd *cmd, int64_t since)
{
	struct sigaction	 sa, oint, oterm;
	struct ufo_error	 err;
	enum client_stream_end	 end;
	enum cmd_retval		 retval = CMD_RETURN_NORMAL;
	char			*path, *s;
	int			 first = 1, received, reported = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_events_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);
	client_set_stop(cmd->client, &cmd_events_stop);

	while (!cmd_events_stop) {
		s = xprintf("%lld", (long long)since);
		path = xstrdup("/events");
		client_query_add(&path, "since", s);
		free(s);
		err_clear(&err);
		received = 0;
		end = client_stream(cmd->client, path, &since,
		    cmd_events_event, &received, &err);
		free(path);
		client_set_autostart(cmd->client, 0);
		if (end == CLIENT_STREAM_STOPPED)
			break;
		if (end == CLIENT_STREAM_ERROR || (end == CLIENT_STREAM_LOST &&
		    first && client_unreachable(cmd->client))) {
			retval = cmd_fail(&err);
			break;
		}
		first = 0;
		/* Say once that the stream is gone, not once a second. */
		if (received || end == CLIENT_STREAM_CLOSED)
			reported = 0;
		if (end == CLIENT_STREAM_LOST && !reported) {
			cmd_error("%s (reconnecting)", err.message);
			reported = 1;
		}
		cmd_events_pause(CMD_EVENTS_RETRY_MS);
	}

	client_set_stop(cmd->client, NULL);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	return (retval);
}

static enum cmd_retval
cmd_events_exec(struct cmd *cmd)
{
	const char	*v;
	int64_t		 since = 0;

	if ((v = cmd_get(cmd, CMD_OPT_SINCE)) != NULL &&
	    cmd_number_parse(v, 0, INT64_MAX, &since) == -1)
		return (cmd_usage(cmd, "invalid --since \"%s\" (expected an "
		    "event id)", v));
	if (cmd_count(cmd, 'f') > 0)
		return (cmd_events_follow(cmd, since));
	return (cmd_events_list(cmd, since));
}
