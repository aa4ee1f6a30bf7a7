#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_server_start_exec(struct cmd *);
static enum cmd_retval	cmd_server_stop_exec(struct cmd *);
static enum cmd_retval	cmd_server_status_exec(struct cmd *);

/* How long `server stop` waits for the socket to go quiet, in steps. */
#define CMD_SERVER_STOP_STEPS	100
#define CMD_SERVER_STOP_STEP_MS	50

const struct cmd_entry cmd_server_start_entry = {
	.name = "server",
	.sub = "start",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.flags = CMD_NOSTART,
	.help = "start the local ufod unless one answers, and print its pid",
	.exec = cmd_server_start_exec
};

const struct cmd_entry cmd_server_stop_entry = {
	.name = "server",
	.sub = "stop",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.flags = CMD_NOSTART,
	.help = "stop ufod and wait until it no longer answers",
	.exec = cmd_server_stop_exec
};

const struct cmd_entry cmd_server_status_entry = {
	.name = "server",
	.sub = "status",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.flags = CMD_NOSTART,
	.help = "print ufod's pid, version, socket, database, listen address "
	    "and uptime",
	.exec = cmd_server_status_exec
};

static enum cmd_retval
cmd_server_not_running(struct cmd *cmd, const struct ufo_error *err)
{
	if (client_local(cmd->client))
		cmd_error("ufod is not running (socket %s)",
		    client_socket(cmd->client));
	else
		cmd_error("%s", err->message);
	return (CMD_RETURN_ERROR);
}

static enum cmd_retval
cmd_server_start_exec(struct cmd *cmd)
{
	struct json_object	*server = NULL;
	struct ufo_error	 err;
	int			 running;

	if (!client_local(cmd->client)) {
		cmd_error("server start: %s is not a local socket; start ufod "
		    "on that host", client_where(cmd->client));
		return (CMD_RETURN_ERROR);
	}
	running = client_get(cmd->client, "/server", &server, &err) == 0;
	if (!running) {
		if (!client_unreachable(cmd->client))
			return (cmd_fail(&err));
		if (client_start_server(cmd->client, &err) == -1 ||
		    client_get(cmd->client, "/server", &server, &err) == -1)
			return (cmd_fail(&err));
	}
	if (cmd->json)
		output_json(server);
	else
		printf("%lld\n", (long long)jsonx_int(server, "pid", 0));
	if (running) {
		fflush(stdout);
		cmd_error("ufod is already running (socket %s)",
		    client_socket(cmd->client));
	}
	json_object_put(server);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_server_stop_exec(struct cmd *cmd)
{
	struct json_object	*answer = NULL;
	struct ufo_error	 err;
	struct timespec		 ts;
	int			 i;

	if (client_request(cmd->client, "POST", "/server/shutdown", NULL,
	    &answer, &err) == -1) {
		if (client_unreachable(cmd->client))
			return (cmd_server_not_running(cmd, &err));
		return (cmd_fail(&err));
	}
	/* ufod finishes what is in flight first; wait until it is gone. */
	for (i = 0; i < CMD_SERVER_STOP_STEPS; i++) {
		if (client_get(cmd->client, "/health", NULL, &err) == -1 &&
		    client_unreachable(cmd->client))
			break;
		ts.tv_sec = 0;
		ts.tv_nsec = CMD_SERVER_STOP_STEP_MS * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	if (i == CMD_SERVER_STOP_STEPS) {
		json_object_put(answer);
		cmd_error("ufod still answers on %s after %d seconds",
		    client_where(cmd->client),
		    CMD_SERVER_STOP_STEPS * CMD_SERVER_STOP_STEP_MS / 1000);
		return (CMD_RETURN_ERROR);
	}
	cmd_print_object(cmd, answer);
	json_object_put(answer);
	return (CMD_RETURN_NORMAL);
}

/* Seconds since an API timestamp, as "2d 3h 4m 5s"; NULL if unreadable. */
static char *
cmd_server_uptime(const char *started)
{
	struct tm	 tm;
	time_t		 then, now;
	long long	 secs, d, h, m;
	char		*end;

	if (started == NULL)
		return (NULL);
	memset(&tm, 0, sizeof tm);
	if ((end = strptime(started, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (NULL);
	if ((then = timegm(&tm)) == (time_t)-1)
		return (NULL);
	now = time(NULL);
	secs = now > then ? (long long)(now - then) : 0;
	d = secs / 86400;
	h = secs / 3600 % 24;
	m = secs / 60 % 60;
	secs %= 60;
	if (d > 0)
		return (xprintf("%lldd %lldh %lldm %llds", d, h, m, secs));
	if (h > 0)
		return (xprintf("%lldh %lldm %llds", h, m, secs));
	if (m > 0)
		return (xprintf("%lldm %llds", m, secs));
	return (xprintf("%llds", secs));
}

static enum cmd_retval
cmd_server_status_exec(struct cmd *cmd)
{
	struct json_object	*server;
	struct ufo_error	 err;
	struct json_object	*tls;
	const char		*listen;
	char			*pid, *uptime, *where = NULL;

	if (client_get(cmd->client, "/server", &server, &err) == -1) {
		if (client_unreachable(cmd->client))
			return (cmd_server_not_running(cmd, &err));
		return (cmd_fail(&err));
	}
	if (cmd->json) {
		output_json(server);
		json_object_put(server);
		return (CMD_RETURN_NORMAL);
	}
	pid = xprintf("%lld", (long long)jsonx_int(server, "pid", 0));
	uptime = cmd_server_uptime(jsonx_str(server, "started_at"));
	output_field("pid", pid);
	output_field("version", jsonx_str(server, "version"));
	output_field("socket", jsonx_str(server, "socket"));
	output_field("database", jsonx_str(server, "database"));
	if ((listen = jsonx_str(server, "listen")) != NULL)
		where = xprintf("%s (%s)", listen,
		    json_object_object_get_ex(server, "tls", &tls) &&
		    json_object_get_boolean(tls) ? "HTTPS" : "plain HTTP");
	output_field("listen", where);
	output_field("uptime", uptime);
	free(where);
	free(uptime);
	free(pid);
	json_object_put(server);
	return (CMD_RETURN_NORMAL);
}
