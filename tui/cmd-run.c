#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "protocol.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_run_list_exec(struct cmd *);
static enum cmd_retval	cmd_run_show_exec(struct cmd *);
static enum cmd_retval	cmd_run_logs_exec(struct cmd *);
static enum cmd_retval	cmd_run_diff_exec(struct cmd *);
static enum cmd_retval	cmd_run_cancel_exec(struct cmd *);
static enum cmd_retval	cmd_run_retry_exec(struct cmd *);

/* Runs listed without -n: the newest ones, a screenful or two. */
#define CMD_RUN_LIST_DEFAULT	50
/* The API's largest page. */
#define CMD_RUN_PAGE		1000
/* Messages asked for per page by run logs without -f. */
#define CMD_RUN_MESSAGES_PAGE	"1000"
/* Lines of a tool's output shown by run logs. */
#define CMD_RUN_RESULT_LINES	5
/* Width of a tool call's line when stdout is not a terminal. */
#define CMD_RUN_PIPE_WIDTH	200
/* Pause between attempts to reconnect a dropped stream. */
#define CMD_RUN_RETRY_MS	1000
/* Artifacts are at most 64 MiB; refuse what no ufod sends. */
#define CMD_RUN_MAX_ARTIFACT	(256U * 1024 * 1024)

static const struct cmd_kind cmd_run_kind = {
	.noun = "run",
	.path = "/runs",
	.prefix = "run_",
	.name = NULL
};

static const struct option cmd_run_list_options[] = {
	{ "operation", required_argument, NULL, 'o' },
	{ "status", required_argument, NULL, 's' },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_run_list_entry = {
	.name = "run",
	.sub = "list",
	.usage = "[-o OP] [-s STATUS] [-n LIMIT]",
	.opts = "o:s:n:",
	.longopts = cmd_run_list_options,
	.lower = 0,
	.upper = 0,
	.help = "list runs, newest first (the last 50 unless -n says "
	    "otherwise)",
	.exec = cmd_run_list_exec
};

const struct cmd_entry cmd_run_show_entry = {
	.name = "run",
	.sub = "show",
	.usage = "RUN",
	.lower = 1,
	.upper = 1,
	.help = "show a run: status, attempts, rover, session, usage, cost, "
	    "error and final message",
	.exec = cmd_run_show_exec
};

static const struct option cmd_run_logs_options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_run_logs_entry = {
	.name = "run",
	.sub = "logs",
	.usage = "[-f] RUN",
	.opts = "f",
	.longopts = cmd_run_logs_options,
	.lower = 1,
	.upper = 1,
	.help = "print what a run's pilot said and did; -f follows it live "
	    "until the run ends",
	.exec = cmd_run_logs_exec
};

const struct cmd_entry cmd_run_diff_entry = {
	.name = "run",
	.sub = "diff",
	.usage = "RUN",
	.lower = 1,
	.upper = 1,
	.help = "print the git diff a run made (coloured on a terminal)",
	.exec = cmd_run_diff_exec
};

const struct cmd_entry cmd_run_cancel_entry = {
	.name = "run",
	.sub = "cancel",
	.usage = "RUN",
	.lower = 1,
	.upper = 1,
	.help = "cancel a queued or running run",
	.exec = cmd_run_cancel_exec
};

const struct cmd_entry cmd_run_retry_entry = {
	.name = "run",
	.sub = "retry",
	.usage = "RUN",
	.lower = 1,
	.upper = 1,
	.help = "queue a finished run again and print the new run's id",
	.exec = cmd_run_retry_exec
};

/* Set by SIGINT and SIGTERM while following; the stream checks it. */
static volatile sig_atomic_t cmd_run_stop;

static const char *
cmd_run_or_dash(const char *s)
{
	return (s != NULL && *s != '\0' ? s : "-");
}

static int
cmd_run_terminal(const char *status)
{
	return (status != NULL && (strcmp(status, "succeeded") == 0 ||
	    strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0));
}

/* Seconds between two timestamps; to now when the second is NULL. */
static int64_t
cmd_run_between(const char *from, const char *to)
{
	int64_t	 a, b;

	if ((a = output_time(from)) == -1)
		return (-1);
	if (to == NULL)
		b = (int64_t)time(NULL);
	else if ((b = output_time(to)) == -1)
		return (-1);
	return (b > a ? b - a : 0);
}

/* How long the pilot ran (or has been running), or NULL. */
static char *
cmd_run_duration(struct json_object *run)
{
	const char	*started, *finished;
	int64_t		 secs;

	if ((started = jsonx_str(run, "started_at")) == NULL)
		return (NULL);
	finished = jsonx_str(run, "finished_at");
	if (finished == NULL && cmd_run_terminal(jsonx_str(run, "status")))
		return (NULL);
	if ((secs = cmd_run_between(started, finished)) == -1)
		return (NULL);
	return (output_span(secs));
}

static double
cmd_run_cost(struct json_object *run)
{
	struct json_object	*usage;
	double			 usd;

	if (!json_object_object_get_ex(run, "usage", &usage))
		return (0);
	return ((usd = output_cost(usage)) > 0 ? usd : 0);
}

static char *
cmd_run_money(double usd)
{
	if (usd <= 0)
		return (xstrdup("-"));
	if (usd < 0.005)
		return (xstrdup("<$0.01"));
	return (xprintf("$%.2f", usd));
}

/* "claude" for a run of pilot claude, "review (claude)" for others. */
static char *
cmd_run_pilot(struct json_object *run)
{
	const char	*pilot, *kind;

	pilot = jsonx_str(run, "pilot");
	kind = jsonx_str(run, "kind");
	if (pilot == NULL)
		return (xstrdup(cmd_run_or_dash(kind)));
	if (kind == NULL || strcmp(kind, pilot) == 0)
		return (xstrdup(pilot));
	return (xprintf("%s (%s)", pilot, kind));
}

/* Rover names by id, for the runs that name one; NULL if none can. */
static struct json_object *
cmd_run_rover_names(struct cmd *cmd, struct json_object *runs)
{
	struct json_object	*rovers, *names, *r;
	struct ufo_error	 err;
	size_t			 i, n;
	int			 any = 0;

	n = json_object_array_length(runs);
	for (i = 0; i < n && !any; i++)
		any = jsonx_str(json_object_array_get_idx(runs, i),
		    "rover") != NULL;
	/* Without the names the ids still say which rover it was. */
	if (!any || client_list(cmd->client, "/rovers", 1, &rovers,
	    &err) == -1)
		return (NULL);
	names = json_object_new_object();
	n = json_object_array_length(rovers);
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(rovers, i);
		if (jsonx_str(r, "id") != NULL && jsonx_str(r, "name") != NULL)
			json_object_object_add(names, jsonx_str(r, "id"),
			    json_object_new_string(jsonx_str(r, "name")));
	}
	json_object_put(rovers);
	return (names);
}

static char *
cmd_run_rover(struct json_object *run, struct json_object *names)
{
	struct json_object	*v;
	const char		*id;

	if ((id = jsonx_str(run, "rover")) == NULL)
		return (xstrdup("-"));
	if (names != NULL && json_object_object_get_ex(names, id, &v))
		return (xstrdup(json_object_get_string(v)));
	return (cmd_short_id(id));
}

static void
cmd_run_print_table(struct cmd *cmd, struct json_object *runs)
{
	static const char *const headers[] = {
		"RUN", "OP", "PILOT", "STATUS", "ATTEMPT", "ROVER", "AGE",
		"DURATION", "COST"
	};
	struct json_object	*run, *names;
	struct output_table	*t;
	const char		*status;
	char			*s;
	int64_t			 secs;
	size_t			 i, n;

	names = cmd_run_rover_names(cmd, runs);
	t = output_table_create(9, headers);
	n = json_object_array_length(runs);
	for (i = 0; i < n; i++) {
		run = json_object_array_get_idx(runs, i);
		status = jsonx_str(run, "status");
		output_table_row(t);
		s = cmd_short_id(jsonx_str(run, "id"));
		output_table_cell(t, s, OUTPUT_SGR_CODE);
		free(s);
		output_table_cell(t, cmd_run_or_dash(jsonx_str(run,
		    "operation")), NULL);
		s = cmd_run_pilot(run);
		output_table_cell(t, s, NULL);
		free(s);
		output_table_cell(t, cmd_run_or_dash(status),
		    output_status_sgr(status));
		s = xprintf("%lld/%lld", (long long)jsonx_int(run, "attempt",
		    0), (long long)jsonx_int(run, "max_attempts", 0));
		output_table_cell(t, s, NULL);
		free(s);
		s = cmd_run_rover(run, names);
		output_table_cell(t, s, NULL);
		free(s);
		secs = cmd_run_between(jsonx_str(run, "queued_at"), NULL);
		s = secs == -1 ? xstrdup("-") : output_span(secs);
		output_table_cell(t, s, NULL);
		free(s);
		s = cmd_run_duration(run);
		output_table_cell(t, cmd_run_or_dash(s), NULL);
		free(s);
		s = cmd_run_money(cmd_run_cost(run));
		output_table_cell(t, s, NULL);
		free(s);
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(names);
}

static enum cmd_retval
cmd_run_list_exec(struct cmd *cmd)
{
	struct json_object	*runs, *page, *items;
	struct ufo_error	 err;
	const char		*v, *next;
	char			*path, *status = NULL, *s, *before = NULL;
	int64_t			 limit = CMD_RUN_LIST_DEFAULT, want;
	size_t			 i = 0, n;

	if ((v = cmd_get(cmd, 'n')) != NULL &&
	    cmd_number_parse(v, 1, INT32_MAX, &limit) == -1)
		return (cmd_usage(cmd, "invalid limit \"%s\" (expected a "
		    "positive number)", v));
	/* -s may repeat, and each may be a comma list already. */
	while ((v = cmd_next(cmd, 's', &i)) != NULL) {
		s = xprintf("%s%s%s", status != NULL ? status : "",
		    status != NULL ? "," : "", v);
		free(status);
		status = s;
	}

	runs = json_object_new_array();
	for (;;) {
		path = xstrdup("/runs");
		if ((v = cmd_get(cmd, 'o')) != NULL)
			client_query_add(&path, "operation", v);
		if (status != NULL)
			client_query_add(&path, "status", status);
		want = limit - (int64_t)json_object_array_length(runs);
		s = xprintf("%lld", (long long)(want < CMD_RUN_PAGE ? want :
		    CMD_RUN_PAGE));
		client_query_add(&path, "limit", s);
		free(s);
		if (before != NULL)
			client_query_add(&path, "before", before);
		if (client_get(cmd->client, path, &page, &err) == -1) {
			free(path);
			free(before);
			free(status);
			json_object_put(runs);
			return (cmd_fail(&err));
		}
		free(path);
		if (page == NULL ||
		    !json_object_object_get_ex(page, "items", &items) ||
		    !json_object_is_type(items, json_type_array)) {
			json_object_put(page);
			free(before);
			free(status);
			json_object_put(runs);
			cmd_error("%s: the answer to GET /runs has no "
			    "\"items\" list", client_where(cmd->client));
			return (CMD_RETURN_ERROR);
		}
		n = json_object_array_length(items);
		for (i = 0; i < n && (int64_t)json_object_array_length(runs) <
		    limit; i++)
			json_object_array_add(runs, json_object_get(
			    json_object_array_get_idx(items, i)));
		next = jsonx_str(page, "next");
		if (next == NULL || n == 0 ||
		    (int64_t)json_object_array_length(runs) >= limit ||
		    (before != NULL && strcmp(before, next) == 0)) {
			json_object_put(page);
			break;
		}
		free(before);
		before = xstrdup(next);
		json_object_put(page);
	}
	free(before);
	free(status);

	if (cmd->json)
		output_json(runs);
	else
		cmd_run_print_table(cmd, runs);
	json_object_put(runs);
	return (CMD_RETURN_NORMAL);
}

/* A timestamp and how long ago it was, or NULL when there is none. */
static char *
cmd_run_when(const char *ts)
{
	int64_t	 secs;
	char	*span, *s;

	if (ts == NULL)
		return (NULL);
	if ((secs = cmd_run_between(ts, NULL)) == -1)
		return (xstrdup(ts));
	span = output_span(secs);
	s = xprintf("%s (%s ago)", ts, span);
	free(span);
	return (s);
}

static void
cmd_run_show_time(const char *name, struct json_object *run, const char *key)
{
	char	*s;

	s = cmd_run_when(jsonx_str(run, key));
	output_field(name, s);
	free(s);
}

static void
cmd_run_show_usage(struct json_object *run)
{
	struct json_object	*usage;
	char			*s;

	if (!json_object_object_get_ex(run, "usage", &usage) ||
	    !json_object_is_type(usage, json_type_object))
		return;
	s = xprintf("%lld in, %lld out, %lld cache read",
	    (long long)jsonx_int(usage, "input_tokens", 0),
	    (long long)jsonx_int(usage, "output_tokens", 0),
	    (long long)jsonx_int(usage, "cache_read_tokens", 0));
	output_field("tokens", s);
	free(s);
	if (cmd_run_cost(run) > 0)
		s = xprintf("$%.4f", cmd_run_cost(run));
	else
		s = xstrdup("-");
	output_field("cost", s);
	free(s);
}

static char *
cmd_run_join(struct json_object *obj, const char *key)
{
	struct json_object	*array, *e;
	char			*out = NULL, *next;
	size_t			 i, n;

	if (!json_object_object_get_ex(obj, key, &array) ||
	    !json_object_is_type(array, json_type_array))
		return (NULL);
	n = json_object_array_length(array);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(array, i);
		next = xprintf("%s%s%s", out != NULL ? out : "",
		    out != NULL ? ", " : "", json_object_get_string(e));
		free(out);
		out = next;
	}
	return (out);
}

static void
cmd_run_show_print(struct cmd *cmd, struct json_object *run)
{
	struct json_object	*v, *names, *one;
	const char		*status, *text;
	char			*s, *rover;
	int64_t			 code;

	status = jsonx_str(run, "status");
	output_sgr(cmd_run_or_dash(jsonx_str(run, "id")), OUTPUT_SGR_CODE);
	fputs("  ", stdout);
	output_sgr(cmd_run_or_dash(jsonx_str(run, "operation")), NULL);
	fputs("  ", stdout);
	output_sgr(cmd_run_or_dash(status), output_status_sgr(status));
	putchar('\n');

	output_field("operation", jsonx_str(run, "operation"));
	s = cmd_run_pilot(run);
	output_field("pilot", s);
	free(s);
	if (json_object_object_get_ex(run, "cancel_requested", &v) &&
	    json_object_get_boolean(v) && !cmd_run_terminal(status)) {
		s = xprintf("%s (cancel requested)", cmd_run_or_dash(status));
		output_field("status", s);
		free(s);
	} else
		output_field("status", status);
	s = xprintf("%lld of %lld", (long long)jsonx_int(run, "attempt", 0),
	    (long long)jsonx_int(run, "max_attempts", 0));
	output_field("attempt", s);
	free(s);

	one = json_object_new_array();
	json_object_array_add(one, json_object_get(run));
	names = cmd_run_rover_names(cmd, one);
	json_object_put(one);
	rover = cmd_run_rover(run, names);
	json_object_put(names);
	if (jsonx_str(run, "rover") != NULL) {
		s = xprintf("%s (%s)", rover, jsonx_str(run, "rover"));
		output_field("rover", s);
		free(s);
	} else
		output_field("rover", NULL);
	free(rover);

	s = cmd_run_join(run, "tags");
	output_field("tags", s);
	free(s);
	if (json_object_object_get_ex(run, "resume", &v) &&
	    json_object_get_boolean(v))
		output_field("resume", "yes");
	output_field("session", jsonx_str(run, "session_id"));
	cmd_run_show_time("queued", run, "queued_at");
	/* A requeued run waits out its backoff first. */
	if (status != NULL && strcmp(status, "queued") == 0 &&
	    output_time(jsonx_str(run, "not_before")) > (int64_t)time(NULL))
		output_field("not before", jsonx_str(run, "not_before"));
	cmd_run_show_time("claimed", run, "claimed_at");
	cmd_run_show_time("started", run, "started_at");
	cmd_run_show_time("finished", run, "finished_at");
	s = cmd_run_duration(run);
	output_field("duration", s);
	free(s);
	if (!cmd_run_terminal(status) && jsonx_str(run,
	    "lease_expires_at") != NULL)
		output_field("lease", jsonx_str(run, "lease_expires_at"));
	if (json_object_object_get_ex(run, "exit_code", &v) &&
	    json_object_is_type(v, json_type_int)) {
		code = json_object_get_int64(v);
		s = xprintf("%lld", (long long)code);
		output_field("exit code", s);
		free(s);
	}
	if ((text = jsonx_str(run, "error")) != NULL)
		output_field_sgr("error", text, OUTPUT_SGR_ERROR);
	s = xprintf("%lld", (long long)jsonx_int(run, "messages", 0));
	output_field("messages", s);
	free(s);
	cmd_run_show_usage(run);
	output_field("id", jsonx_str(run, "id"));

	if ((text = jsonx_str(run, "prompt")) != NULL && *text != '\0') {
		printf("\nprompt:\n");
		output_text(text, "    ");
	}
	if ((text = jsonx_str(run, "final_message")) != NULL &&
	    *text != '\0') {
		printf("\nfinal message:\n");
		output_text(text, "    ");
	}
}

static enum cmd_retval
cmd_run_show_exec(struct cmd *cmd)
{
	struct json_object	*run;
	struct ufo_error	 err;

	if (cmd_resolve(cmd, &cmd_run_kind, cmd->argv[0], &run, &err) == -1)
		return (cmd_fail(&err));
	if (cmd->json)
		output_json(run);
	else
		cmd_run_show_print(cmd, run);
	json_object_put(run);
	return (CMD_RETURN_NORMAL);
}

/* One line for a tool call, cut to the terminal (or a fixed width). */
static void
cmd_run_print_tool(struct json_object *data)
{
	struct json_object	*input;
	const char		*name;
	char			*summary, *line, *cut;
	size_t			 width;

	name = cmd_run_or_dash(jsonx_str(data, "name"));
	if (!json_object_object_get_ex(data, "input", &input))
		input = NULL;
	summary = output_tool_input(input);
	line = xprintf("%s %s%s%s", output_utf8() ? "\xe2\x86\x92" : "->",
	    name, *summary != '\0' ? " " : "", summary);
	if ((width = output_columns()) == 0)
		width = CMD_RUN_PIPE_WIDTH;
	cut = output_cut(line, width);
	output_sgr(cut, OUTPUT_SGR_TOOL);
	putchar('\n');
	free(cut);
	free(line);
	free(summary);
}

static void
cmd_run_print_result(struct json_object *data)
{
	struct json_object	*output, *v;
	const char		*sgr = OUTPUT_SGR_DIM, *arrow;
	char			*text, *more;
	size_t			 left;

	if (json_object_object_get_ex(data, "is_error", &v) &&
	    json_object_get_boolean(v))
		sgr = OUTPUT_SGR_ERROR;
	if (!json_object_object_get_ex(data, "output", &output))
		output = NULL;
	text = output_tool_output(output);
	arrow = output_utf8() ? "\xe2\x86\x90 " : "<- ";
	left = output_lines(text, arrow, "   ", sgr, CMD_RUN_RESULT_LINES);
	if (left > 0) {
		more = xprintf("... %zu more line%s", left,
		    left == 1 ? "" : "s");
		fputs("   ", stdout);
		output_sgr(more, OUTPUT_SGR_DIM);
		putchar('\n');
		free(more);
	}
	free(text);
}

static void
cmd_run_print_usage(struct json_object *data)
{
	char	*usage, *line;

	usage = output_usage(data, ", ", 0);
	line = xprintf("usage: %s", usage);
	output_sgr(line, OUTPUT_SGR_DIM);
	putchar('\n');
	free(line);
	free(usage);
}

/* One message, readable; a type this ufo does not know still shows. */
static void
cmd_run_print_message(struct json_object *msg)
{
	struct json_object	*data;
	const char		*type, *text;
	char			*line;

	type = cmd_run_or_dash(jsonx_str(msg, "type"));
	if (!json_object_object_get_ex(msg, "data", &data) ||
	    !json_object_is_type(data, json_type_object))
		data = NULL;
	if (strcmp(type, "text") == 0 && data != NULL) {
		if ((text = jsonx_str(data, "text")) != NULL)
			output_lines(text, "", "", NULL, 0);
	} else if (strcmp(type, "thinking") == 0 && data != NULL) {
		if ((text = jsonx_str(data, "text")) != NULL)
			output_lines(text, "  ", "  ", OUTPUT_SGR_DIM, 0);
	} else if (strcmp(type, "tool_use") == 0 && data != NULL)
		cmd_run_print_tool(data);
	else if (strcmp(type, "tool_result") == 0 && data != NULL)
		cmd_run_print_result(data);
	else if (strcmp(type, "log") == 0 && data != NULL)
		output_lines(cmd_run_or_dash(jsonx_str(data, "line")), "", "",
		    OUTPUT_SGR_DIM, 0);
	else if (strcmp(type, "error") == 0 && data != NULL) {
		line = xprintf("error: %s", cmd_run_or_dash(jsonx_str(data,
		    "message")));
		output_lines(line, "", "       ", OUTPUT_SGR_ERROR, 0);
		free(line);
	} else if (strcmp(type, "usage") == 0 && data != NULL)
		cmd_run_print_usage(data);
	else {
		line = xprintf("%s: %s", type, data != NULL ?
		    jsonx_compact(data) : "-");
		output_lines(line, "", "", OUTPUT_SGR_DIM, 0);
		free(line);
	}
}

/* Prints one message (JSON on a line of its own, or readable). */
static int
cmd_run_emit(struct cmd *cmd, struct json_object *msg, struct ufo_error *err)
{
	if (cmd->json)
		printf("%s\n", jsonx_compact(msg));
	else
		cmd_run_print_message(msg);
	if (ferror(stdout) || fflush(stdout) == EOF)
		return (err_set(err, UFO_EINTERNAL, "", "stdout: %s",
		    strerror(errno)));
	return (0);
}

/* Appends a, b and c to a line being built. */
static void
cmd_run_append(char **line, const char *a, const char *b, const char *c)
{
	char	*next;

	next = xprintf("%s%s%s%s", *line, a, b, c);
	free(*line);
	*line = next;
}

/* The last line of readable logs: "run failed after 3m05s (exit 1): …". */
static void
cmd_run_print_end(struct json_object *run)
{
	struct json_object	*v;
	const char		*status, *error;
	char			*line, *duration, *cost, *code = NULL;

	status = jsonx_str(run, "status");
	if (!cmd_run_terminal(status))
		return;
	line = xprintf("run %s", status);
	if ((duration = cmd_run_duration(run)) != NULL)
		cmd_run_append(&line, " after ", duration, "");
	if (json_object_object_get_ex(run, "exit_code", &v) &&
	    json_object_is_type(v, json_type_int))
		code = xprintf("exit %lld", (long long)json_object_get_int64(
		    v));
	cost = cmd_run_money(cmd_run_cost(run));
	if (code != NULL && strcmp(cost, "-") != 0) {
		cmd_run_append(&line, " (", code, ", ");
		cmd_run_append(&line, cost, ")", "");
	} else if (code != NULL)
		cmd_run_append(&line, " (", code, ")");
	else if (strcmp(cost, "-") != 0)
		cmd_run_append(&line, " (", cost, ")");
	if ((error = jsonx_str(run, "error")) != NULL)
		cmd_run_append(&line, ": ", error, "");
	output_lines(line, "", "", strcmp(status, "failed") == 0 ?
	    OUTPUT_SGR_ERROR : OUTPUT_SGR_DIM, 0);
	free(line);
	free(code);
	free(cost);
	free(duration);
}

/* The messages there are now, page by page. */
static enum cmd_retval
cmd_run_logs_list(struct cmd *cmd, struct json_object *run)
{
	struct json_object	*page, *items, *msg;
	struct ufo_error	 err;
	char			*path, *s;
	int64_t			 since = 0, seq;
	size_t			 i, n;

	for (;;) {
		path = client_path("/runs/%s/messages", jsonx_str(run, "id"));
		s = xprintf("%lld", (long long)since);
		client_query_add(&path, "since", s);
		client_query_add(&path, "limit", CMD_RUN_MESSAGES_PAGE);
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
			cmd_error("%s: the answer to GET /runs/%s/messages has "
			    "no \"items\" list", client_where(cmd->client),
			    jsonx_str(run, "id"));
			return (CMD_RETURN_ERROR);
		}
		n = json_object_array_length(items);
		for (i = 0; i < n; i++) {
			msg = json_object_array_get_idx(items, i);
			if (cmd_run_emit(cmd, msg, &err) == -1) {
				json_object_put(page);
				return (cmd_fail(&err));
			}
			if ((seq = jsonx_int(msg, "seq", 0)) > since)
				since = seq;
		}
		json_object_put(page);
		if (n == 0)
			break;
	}
	if (!cmd->json)
		cmd_run_print_end(run);
	return (CMD_RETURN_NORMAL);
}

/* What a follower keeps between events and connections. */
struct cmd_run_follow {
	struct cmd	*cmd;
	int64_t		 last;		/* seq printed last */
	int		 ended;		/* the "end" event came */
	int		 received;
};

static void
cmd_run_signal(int sig)
{
	cmd_run_stop = 1;
}

static int
cmd_run_follow_event(int64_t id, const char *kind, const char *data,
    void *arg, struct ufo_error *err)
{
	struct cmd_run_follow	*f = arg;
	struct json_object	*msg;
	int64_t			 seq;
	int			 rc;

	f->received = 1;
	if (strcmp(kind, "end") == 0) {
		/* Everything was sent: stop reading, the run is over. */
		f->ended = 1;
		return (err_set(err, UFO_EINTERNAL, "", "end of the run"));
	}
	if ((msg = jsonx_parse(data, strlen(data), NULL)) == NULL ||
	    !json_object_is_type(msg, json_type_object)) {
		json_object_put(msg);
		return (0);
	}
	seq = jsonx_int(msg, "seq", id);
	/* A stream resumed after a drop must not print a message twice. */
	if (seq > 0 && seq <= f->last) {
		json_object_put(msg);
		return (0);
	}
	rc = cmd_run_emit(f->cmd, msg, err);
	if (seq > f->last)
		f->last = seq;
	json_object_put(msg);
	return (rc);
}

static void
cmd_run_pause(int ms)
{
	struct timespec	 ts;

	for (; ms > 0 && !cmd_run_stop; ms -= 100) {
		ts.tv_sec = 0;
		ts.tv_nsec = 100 * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/*
 * Follows the run's messages over SSE from the first one, so a late
 * follower sees it all, until the server says "end". A dropped
 * connection is opened again after the last message seen (Last-Event-ID);
 * SIGINT or SIGTERM stops following.
 */
static enum cmd_retval
cmd_run_logs_follow(struct cmd *cmd, struct json_object *run)
{
	struct sigaction	 sa, oint, oterm;
	struct cmd_run_follow	 f;
	struct json_object	*now;
	struct ufo_error	 err;
	enum client_stream_end	 end;
	enum cmd_retval		 retval = CMD_RETURN_NORMAL;
	const char		*id;
	char			*path, *s;
	int64_t			 last_id;
	int			 reported = 0;

	memset(&f, 0, sizeof f);
	f.cmd = cmd;
	id = jsonx_str(run, "id");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_run_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);
	client_set_stop(cmd->client, &cmd_run_stop);
	/* The run exists, so ufod answers: a later loss is not for starting. */
	client_set_autostart(cmd->client, 0);

	while (!cmd_run_stop) {
		path = client_path("/runs/%s/messages", id);
		client_query_add(&path, "follow", "1");
		s = xprintf("%lld", (long long)f.last);
		client_query_add(&path, "since", s);
		free(s);
		last_id = f.last;
		err_clear(&err);
		f.received = 0;
		end = client_stream(cmd->client, path, &last_id,
		    cmd_run_follow_event, &f, &err);
		free(path);
		if (f.ended || end == CLIENT_STREAM_STOPPED)
			break;
		if (end == CLIENT_STREAM_ERROR) {
			retval = cmd_fail(&err);
			break;
		}
		/* Say once that the stream is gone, not once a second. */
		if (f.received || end == CLIENT_STREAM_CLOSED)
			reported = 0;
		if (end == CLIENT_STREAM_LOST && !reported) {
			cmd_error("%s (reconnecting)", err.message);
			reported = 1;
		}
		cmd_run_pause(CMD_RUN_RETRY_MS);
	}

	client_set_stop(cmd->client, NULL);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	if (f.ended && !cmd->json) {
		s = client_path("/runs/%s", id);
		if (client_get(cmd->client, s, &now, &err) == 0 && now != NULL)
			cmd_run_print_end(now);
		json_object_put(now);
		free(s);
	}
	return (retval);
}

static enum cmd_retval
cmd_run_logs_exec(struct cmd *cmd)
{
	struct json_object	*run;
	struct ufo_error	 err;
	enum cmd_retval		 retval;

	if (cmd_resolve(cmd, &cmd_run_kind, cmd->argv[0], &run, &err) == -1)
		return (cmd_fail(&err));
	if (jsonx_str(run, "id") == NULL) {
		json_object_put(run);
		cmd_error("run %s: the answer has no id", cmd->argv[0]);
		return (CMD_RETURN_ERROR);
	}
	if (cmd_count(cmd, 'f') > 0)
		retval = cmd_run_logs_follow(cmd, run);
	else
		retval = cmd_run_logs_list(cmd, run);
	json_object_put(run);
	return (retval);
}

/* One line of a diff, coloured by what it is. */
static void
cmd_run_diff_line(const char *line, int *hunk)
{
	static const char *const headers[] = {
		"diff ", "index ", "--- ", "+++ ", "new file mode ",
		"deleted file mode ", "old mode ", "new mode ", "similarity ",
		"dissimilarity ", "rename from ", "rename to ", "copy from ",
		"copy to ", "Binary files ", "GIT binary patch"
	};
	const char	*sgr = NULL;
	size_t		 i;

	if (strncmp(line, "diff ", 5) == 0)
		*hunk = 0;
	else if (strncmp(line, "@@", 2) == 0)
		*hunk = 1;
	if (strncmp(line, "@@", 2) == 0)
		sgr = OUTPUT_SGR_DIFF_HUNK;
	else if (*hunk && *line == '+')
		sgr = OUTPUT_SGR_DIFF_ADD;
	else if (*hunk && *line == '-')
		sgr = OUTPUT_SGR_DIFF_DEL;
	else if (*hunk && *line == '\\')
		sgr = OUTPUT_SGR_DIM;
	else if (!*hunk) {
		for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
			if (strncmp(line, headers[i], strlen(headers[i])) == 0)
				sgr = OUTPUT_SGR_DIFF_HEADER;
		}
	}
	output_sgr(line, sgr);
	putchar('\n');
}

/*
 * A diff for a terminal: made printable, a line at a time, and coloured
 * unless NO_COLOR says not to. Where a NUL byte would end a line early it
 * is shown as '?'.
 */
static void
cmd_run_diff_print(char *data, size_t len)
{
	char	*line, *end;
	size_t	 i;
	int	 hunk = 0;

	for (i = 0; i < len; i++) {
		if (data[i] == '\0')
			data[i] = '?';
	}
	for (line = data; line < data + len; line = end + 1) {
		if ((end = memchr(line, '\n', (size_t)(data + len - line))) ==
		    NULL)
			end = data + len;
		*end = '\0';
		cmd_run_diff_line(line, &hunk);
	}
}

/* Whether len bytes are UTF-8 text a JSON string can hold as it is. */
static int
cmd_run_utf8(const unsigned char *s, size_t len)
{
	size_t		 i = 0, n, k;
	unsigned int	 c;

	while (i < len) {
		c = s[i];
		if (c == 0)
			return (0);
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return (0);
		if (len - i <= n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
		}
		/* Overlong forms and surrogates. */
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] >= 0xa0) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] >= 0x90))
			return (0);
		i += n + 1;
	}
	return (1);
}

static char *
cmd_run_base64(const unsigned char *s, size_t len)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			*out, *p;
	size_t			 i;
	unsigned int		 v;

	p = out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8 |
		    s[i + 2];
		*p++ = b64[v >> 18 & 63];
		*p++ = b64[v >> 12 & 63];
		*p++ = b64[v >> 6 & 63];
		*p++ = b64[v & 63];
	}
	if (i < len) {
		v = (unsigned int)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned int)s[i + 1] << 8;
		*p++ = b64[v >> 18 & 63];
		*p++ = b64[v >> 12 & 63];
		*p++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*p++ = '=';
	}
	*p = '\0';
	return (out);
}

/*
 * The diff as one JSON object: its text when it is UTF-8, else base64
 * (a diff of files in another encoding is still bytes to keep).
 */
static void
cmd_run_diff_json(const char *id, const char *data, size_t len)
{
	struct json_object	*obj;
	char			*b64;

	obj = json_object_new_object();
	json_object_object_add(obj, "run", json_object_new_string(id));
	json_object_object_add(obj, "name", json_object_new_string(
	    "git.diff"));
	json_object_object_add(obj, "size", json_object_new_int64(
	    (int64_t)len));
	if (cmd_run_utf8((const unsigned char *)data, len)) {
		json_object_object_add(obj, "diff",
		    json_object_new_string_len(data, (int)len));
	} else {
		b64 = cmd_run_base64((const unsigned char *)data, len);
		json_object_object_add(obj, "diff", NULL);
		json_object_object_add(obj, "diff_base64",
		    json_object_new_string(b64));
		free(b64);
	}
	output_json(obj);
	json_object_put(obj);
}

static enum cmd_retval
cmd_run_diff_exec(struct cmd *cmd)
{
	struct json_object	*run;
	struct ufo_error	 err;
	const char		*id;
	char			*path, *data;
	size_t			 len;
	enum cmd_retval		 retval = CMD_RETURN_NORMAL;

	if (cmd_resolve(cmd, &cmd_run_kind, cmd->argv[0], &run, &err) == -1)
		return (cmd_fail(&err));
	if ((id = jsonx_str(run, "id")) == NULL) {
		json_object_put(run);
		cmd_error("run %s: the answer has no id", cmd->argv[0]);
		return (CMD_RETURN_ERROR);
	}
	path = client_path("/runs/%s/artifacts/git.diff", id);
	if (client_fetch(cmd->client, path, &data, &len, &err) == -1) {
		free(path);
		if (err.code == UFO_ENOTFOUND)
			cmd_error("run %s has no diff%s", id,
			    cmd_run_terminal(jsonx_str(run, "status")) ? "" :
			    " yet (it is not finished)");
		else
			cmd_fail(&err);
		json_object_put(run);
		return (CMD_RETURN_ERROR);
	}
	free(path);

	if (cmd->json)
		cmd_run_diff_json(id, data, len);
	else if (!output_tty()) {
		/* Piped: the bytes as they are, for git apply or patch. */
		if (len > 0 && fwrite(data, 1, len, stdout) != len)
			retval = CMD_RETURN_ERROR;
	} else if (len == 0)
		cmd_error("run %s changed no files", id);
	else
		cmd_run_diff_print(data, len);
	free(data);
	json_object_put(run);
	return (retval);
}

/* POSTs to /runs/RUN/what; *out is the answer. */
static int
cmd_run_post(struct cmd *cmd, const char *what, struct json_object **out,
    struct ufo_error *err)
{
	struct json_object	*run;
	char			*path;
	int			 rc;

	*out = NULL;
	if (cmd_resolve(cmd, &cmd_run_kind, cmd->argv[0], &run, err) == -1)
		return (-1);
	path = client_path("/runs/%s/", jsonx_str(run, "id") != NULL ?
	    jsonx_str(run, "id") : cmd->argv[0]);
	path = xrealloc(path, strlen(path) + strlen(what) + 1);
	strcat(path, what);
	rc = client_request(cmd->client, "POST", path, NULL, out, err);
	free(path);
	json_object_put(run);
	return (rc);
}

static enum cmd_retval
cmd_run_cancel_exec(struct cmd *cmd)
{
	struct json_object	*run;
	struct ufo_error	 err;
	enum cmd_retval		 retval;

	if (cmd_run_post(cmd, "cancel", &run, &err) == -1)
		return (cmd_fail(&err));
	retval = cmd_print_object(cmd, run);
	json_object_put(run);
	return (retval);
}

static enum cmd_retval
cmd_run_retry_exec(struct cmd *cmd)
{
	struct json_object	*run;
	struct ufo_error	 err;
	const char		*id;

	if (cmd_run_post(cmd, "retry", &run, &err) == -1)
		return (cmd_fail(&err));
	if (cmd->json)
		output_json(run);
	else if ((id = jsonx_str(run, "id")) != NULL)
		printf("%s\n", id);
	json_object_put(run);
	return (CMD_RETURN_NORMAL);
}
