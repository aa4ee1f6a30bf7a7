/*
 * The pilot kinds: every recorded transcript of tests/fixtures/pilots
 * through its parser (message types and counts, session ids, final
 * messages, usage and cost, failure verdicts), garbage and truncated
 * output, and the argv and environment of each kind.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "pilot.h"
#include "xmalloc.h"
#include "tap.h"

/* A wait status for an exit code, as waitpid(2) reports it. */
#define EXITED(code)	(((code) & 0xff) << 8)

struct got {
	struct json_object	*msgs;	/* [{"type","data"}] */
	struct pilot_state	 st;
};

static void
collect(void *arg, const char *type, struct json_object *data)
{
	struct got		*g = arg;
	struct json_object	*m;

	m = json_object_new_object();
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "data", data);
	json_object_array_add(g->msgs, m);
}

static void
got_start(struct got *g, const char *kind)
{
	g->msgs = json_object_new_array();
	pilot_state_init(&g->st, pilot_find(kind), collect, g);
}

static void
got_free(struct got *g)
{
	json_object_put(g->msgs);
	pilot_state_free(&g->st);
}

static void
feed(struct got *g, const char *line)
{
	pilot_state_stdout(&g->st, line, strlen(line));
}

/* Replays a fixture file, then ends the run with the wait status. */
static int
replay(struct got *g, const char *kind, const char *name, int status,
    const struct pilot_usage *base)
{
	const char	*dir;
	char		*path, *line = NULL;
	size_t		 size = 0;
	ssize_t		 n;
	FILE		*f;

	got_start(g, kind);
	if (base != NULL)
		pilot_state_base(&g->st, base);
	if ((dir = getenv("top_srcdir")) == NULL)
		dir = ".";
	path = xprintf("%s/tests/fixtures/pilots/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		printf("# cannot open %s\n", path);
		free(path);
		return (-1);
	}
	free(path);
	while ((n = getline(&line, &size, f)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		pilot_state_stdout(&g->st, line, (size_t)n);
	}
	free(line);
	fclose(f);
	pilot_state_finish(&g->st, status);
	return (0);
}

/* The message types in order, space-separated. */
static char *
types(struct got *g)
{
	char	*out = xstrdup(""), *tmp;
	size_t	 i, n = json_object_array_length(g->msgs);

	for (i = 0; i < n; i++) {
		tmp = out;
		out = xprintf("%s%s%s", tmp, i == 0 ? "" : " ", jsonx_str(
		    json_object_array_get_idx(g->msgs, i), "type"));
		free(tmp);
	}
	return (out);
}

static struct json_object *
msg(struct got *g, size_t i)
{
	struct json_object	*data;

	if (i >= json_object_array_length(g->msgs))
		return (NULL);
	json_object_object_get_ex(json_object_array_get_idx(g->msgs, i),
	    "data", &data);
	return (data);
}

static size_t
count(struct got *g, const char *type)
{
	size_t	 i, n = json_object_array_length(g->msgs), c = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(jsonx_str(json_object_array_get_idx(g->msgs, i),
		    "type"), type) == 0)
			c++;
	}
	return (c);
}

static struct json_object *
input(struct json_object *data)
{
	struct json_object	*v = NULL;

	json_object_object_get_ex(data, "input", &v);
	return (v);
}

static int
is_error_of(struct json_object *data)
{
	struct json_object	*v;

	return (json_object_object_get_ex(data, "is_error", &v) &&
	    json_object_get_boolean(v));
}

static int
near(double a, double b)
{
	return (fabs(a - b) < 1e-9);
}

static double
cost_of(struct json_object *data)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(data, "cost_usd", &v) || v == NULL)
		return (-1);
	return (json_object_get_double(v));
}

static void
is_types(struct got *g, const char *want, const char *name)
{
	char	*t = types(g);

	is_str(t, want, name);
	free(t);
}

static void
test_claude(void)
{
	struct got	 g;
	const char	*sid = "cf29b6cd-d25e-449e-a1a0-2850a7b09449";

	replay(&g, "claude", "claude_success.jsonl", EXITED(0), NULL);
	is_types(&g, "log text tool_use tool_result tool_use tool_result text "
	    "usage", "claude success: message types in order");
	is_str(g.st.session_id, sid, "claude success: session id from init");
	is_str(g.st.final_message, "Created `hello.txt` containing "
	    "`hello world`.", "claude success: final message is the result");
	ok(!g.st.failed, "claude success: not failed");
	ok(g.st.error == NULL, "claude success: no error");
	is_str(jsonx_str(msg(&g, 1), "text"), "I'll look at the repository "
	    "first.", "claude success: first text");
	is_str(jsonx_str(msg(&g, 2), "id"), "toolu_01A",
	    "claude success: tool_use id");
	is_str(jsonx_str(msg(&g, 2), "name"), "Bash",
	    "claude success: tool_use name");
	is_str(jsonx_str(input(msg(&g, 2)), "command"), "ls -a",
	    "claude success: tool_use input kept as an object");
	is_str(jsonx_str(msg(&g, 3), "id"), "toolu_01A",
	    "claude success: tool_result id");
	is_str(jsonx_str(msg(&g, 3), "output"), ".\n..\n.git\nREADME.md",
	    "claude success: tool_result output");
	ok(!is_error_of(msg(&g, 3)), "claude success: tool_result not error");
	ok(strstr(jsonx_str(msg(&g, 0), "line"), "\"subtype\":\"init\"") !=
	    NULL, "claude success: the init line kept raw as a log");
	/* Usage only from the result: 22 + 15500 cache writes + 30000 reads. */
	is_int(g.st.usage.input_tokens, 45522, "claude success: input tokens "
	    "from the result (cache included)");
	is_int(g.st.usage.output_tokens, 148, "claude success: output tokens");
	is_int(g.st.usage.cache_read_tokens, 30000,
	    "claude success: cache read tokens");
	ok(g.st.usage.have_cost && near(g.st.usage.cost_usd, 0.069411),
	    "claude success: cost from total_cost_usd");
	is_int(jsonx_int(msg(&g, 7), "output_tokens", -1), 148,
	    "claude success: usage message output tokens");
	ok(near(cost_of(msg(&g, 7)), 0.069411),
	    "claude success: usage message cost");
	is_int(count(&g, "usage"), 1, "claude success: one usage message "
	    "(assistant snapshots are not usage)");
	got_free(&g);

	replay(&g, "claude", "claude_401_no_retry.jsonl", EXITED(1), NULL);
	is_types(&g, "log text usage error", "claude 401: message types");
	ok(g.st.failed, "claude 401: failed although subtype is success");
	is_str(g.st.error, "claude: 401 Invalid API key \xc2\xb7 Fix external "
	    "API key", "claude 401: error names the status and reason");
	is_str(jsonx_str(msg(&g, 3), "message"), g.st.error,
	    "claude 401: error message carries the reason");
	is_str(g.st.session_id, "2777526b-3868-4693-bb33-621c393b9256",
	    "claude 401: session id");
	is_int(g.st.exit_code, 1, "claude 401: exit code");
	ok(g.st.usage.have_cost && near(g.st.usage.cost_usd, 0),
	    "claude 401: zero cost reported as such");
	got_free(&g);

	/* The verdict is is_error, even if the process said 0. */
	replay(&g, "claude", "claude_401_no_retry.jsonl", EXITED(0), NULL);
	ok(g.st.failed, "claude 401 with exit 0: still failed");
	got_free(&g);

	replay(&g, "claude", "claude_max_turns.jsonl", EXITED(1), NULL);
	is_types(&g, "log text tool_use tool_result usage error",
	    "claude max turns: message types");
	ok(g.st.failed, "claude max turns: failed");
	is_str(g.st.error, "claude: error_max_turns: Reached maximum number "
	    "of turns (1)", "claude max turns: error from errors[]");
	ok(near(g.st.usage.cost_usd, 0.09527), "claude max turns: cost");
	is_str(g.st.final_message, "I'll look at the repository first.",
	    "claude max turns: final message is the last text");
	got_free(&g);

	replay(&g, "claude", "claude_partial_messages.jsonl", EXITED(0), NULL);
	is_int(json_object_array_length(g.msgs), 32,
	    "claude partial: one message per line, none dropped");
	is_int(count(&g, "text"), 2, "claude partial: two texts (deltas not "
	    "doubled)");
	is_int(count(&g, "tool_use"), 2, "claude partial: two tool uses");
	is_int(count(&g, "tool_result"), 2, "claude partial: two results");
	is_int(count(&g, "usage"), 1, "claude partial: one usage");
	is_int(count(&g, "log"), 25, "claude partial: stream events and "
	    "status lines kept as logs");
	ok(!g.st.failed, "claude partial: succeeded");
	ok(near(g.st.usage.cost_usd, 0.115685), "claude partial: cost");
	is_str(g.st.session_id, "a2d7d043-eea4-49bf-9404-27590fab3d12",
	    "claude partial: session id");
	got_free(&g);

	replay(&g, "claude", "claude_permission_denied.jsonl", EXITED(0),
	    NULL);
	is_types(&g, "log text tool_use tool_result tool_use tool_result text "
	    "usage", "claude denied: message types");
	ok(!g.st.failed, "claude denied: a denied tool is not a failure");
	ok(is_error_of(msg(&g, 5)), "claude denied: the tool_result is_error");
	ok(strstr(jsonx_str(msg(&g, 5), "output"), "requested permissions") !=
	    NULL, "claude denied: the denial text is the output");
	got_free(&g);

	replay(&g, "claude", "claude_resume.jsonl", EXITED(0), NULL);
	is_types(&g, "log text usage", "claude resume: message types");
	is_str(g.st.session_id, sid, "claude resume: same session id");
	is_int(g.st.usage.input_tokens, 15312,
	    "claude resume: usage is this run's (not cumulative)");
	is_int(g.st.usage.output_tokens, 18, "claude resume: output tokens");
	got_free(&g);

	/* Killed before the result: the last text stays, failure says why. */
	got_start(&g, "claude");
	feed(&g, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
	    "\"thinking\",\"thinking\":\"hmm\"},{\"type\":\"text\",\"text\":"
	    "\"working\"}]}}");
	feed(&g, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
	    "\"text\",\"te");
	pilot_state_finish(&g.st, EXITED(0));
	is_types(&g, "thinking text log", "claude truncated: thinking, text, "
	    "the cut line as a log");
	ok(g.st.failed, "claude truncated: no result is a failure");
	is_str(g.st.error, "claude: ended without a result",
	    "claude truncated: says why");
	is_str(g.st.final_message, "working",
	    "claude truncated: final message is the last text");
	got_free(&g);

	got_start(&g, "claude");
	pilot_state_stderr(&g.st, "error: unknown option '--bogus'", 31);
	pilot_state_finish(&g.st, EXITED(2));
	is_str(g.st.error, "claude: exit status 2: error: unknown option "
	    "'--bogus'", "claude exit 2: status and the last stderr line");
	is_types(&g, "log", "claude exit 2: stderr kept as a log");
	is_str(jsonx_str(msg(&g, 0), "stream"), "stderr",
	    "claude exit 2: the log says it came from stderr");
	got_free(&g);
}

static void
test_codex(void)
{
	struct got		 g;
	struct pilot_usage	 base;

	replay(&g, "codex", "codex_success.jsonl", EXITED(0), NULL);
	is_types(&g, "log log thinking tool_use tool_result tool_use "
	    "tool_result text usage", "codex success: message types");
	is_str(g.st.session_id, "01a202cf-4239-7c20-b2b8-b32c9980560d",
	    "codex success: thread id is the session");
	is_str(g.st.final_message, "Done. I created hello.txt containing "
	    "'hello world'.", "codex success: final message");
	ok(!g.st.failed, "codex success: not failed");
	is_str(jsonx_str(msg(&g, 3), "name"), "shell",
	    "codex success: command is a shell tool_use");
	is_str(jsonx_str(input(msg(&g, 3)), "command"), "/bin/bash -lc 'ls -a'",
	    "codex success: tool_use input command");
	is_str(jsonx_str(msg(&g, 4), "id"), "item_1",
	    "codex success: tool_result pairs with the item id");
	ok(strstr(jsonx_str(msg(&g, 4), "output"), "README.md") != NULL,
	    "codex success: aggregated output");
	ok(!is_error_of(msg(&g, 4)), "codex success: exit 0 is no error");
	is_str(jsonx_str(msg(&g, 6), "output"), "add /home/dev/repo/hello.txt",
	    "codex success: file change summarised");
	is_int(g.st.usage.input_tokens, 5100, "codex success: input tokens");
	is_int(g.st.usage.cache_read_tokens, 3100,
	    "codex success: cached tokens");
	is_int(g.st.usage.output_tokens, 130, "codex success: output tokens");
	ok(!g.st.usage.have_cost, "codex success: no cost claimed");
	ok(cost_of(msg(&g, 8)) < 0, "codex success: usage cost is null");
	got_free(&g);

	/* Cumulative per thread: the resumed run reports its own share. */
	memset(&base, 0, sizeof base);
	base.input_tokens = 5100;
	base.cache_read_tokens = 3100;
	base.output_tokens = 130;
	replay(&g, "codex", "codex_resume.jsonl", EXITED(0), &base);
	is_types(&g, "log log text usage", "codex resume: message types");
	is_int(g.st.usage.input_tokens, 2500, "codex resume: input delta");
	is_int(g.st.usage.output_tokens, 40, "codex resume: output delta");
	is_int(g.st.usage.cache_read_tokens, 2000, "codex resume: cache delta");
	is_int(jsonx_int(msg(&g, 3), "input_tokens", -1), 2500,
	    "codex resume: usage message is the delta");
	got_free(&g);

	replay(&g, "codex", "codex_resume.jsonl", EXITED(0), NULL);
	is_int(g.st.usage.input_tokens, 7600,
	    "codex resume without a base: the value as reported");
	got_free(&g);

	replay(&g, "codex", "codex_failed_command.jsonl", EXITED(0), NULL);
	ok(!g.st.failed, "codex failed command: the run still succeeds");
	ok(is_error_of(msg(&g, 4)), "codex failed command: tool_result error");
	ok(strstr(jsonx_str(msg(&g, 4), "output"), "No such file") != NULL,
	    "codex failed command: output kept");
	got_free(&g);

	replay(&g, "codex", "codex_401.jsonl", EXITED(1), NULL);
	is_types(&g, "log log error log", "codex 401: error once, "
	    "turn.failed repeating it kept as a log");
	ok(g.st.failed, "codex 401: failed");
	is_str(g.st.error, "codex: unexpected status 401 Unauthorized: "
	    "Incorrect API key provided, url: "
	    "http://127.0.0.1:18081/v1/responses", "codex 401: reason");
	got_free(&g);

	replay(&g, "codex", "codex_missing_env_key.jsonl", EXITED(1), NULL);
	ok(g.st.failed, "codex missing key: failed");
	is_str(g.st.error, "codex: Missing environment variable: `MOCK_KEY`.",
	    "codex missing key: reason");
	got_free(&g);

	replay(&g, "codex", "codex_response_failed.jsonl", EXITED(1), NULL);
	ok(g.st.failed, "codex response failed: failed");
	ok(strstr(g.st.error, "The model crashed") != NULL,
	    "codex response failed: reason");
	got_free(&g);

	/* A turn.failed with the process exiting 0: failed all the same. */
	replay(&g, "codex", "codex_response_failed.jsonl", EXITED(0), NULL);
	ok(g.st.failed, "codex turn.failed with exit 0: failed");
	got_free(&g);

	replay(&g, "codex", "codex_unknown_model_warning.jsonl", EXITED(0),
	    NULL);
	is_types(&g, "log log log thinking tool_use tool_result text usage",
	    "codex warning: the warning item is a log");
	ok(!g.st.failed, "codex warning: not a failure");
	got_free(&g);

	got_start(&g, "codex");
	feed(&g, "{\"type\":\"thread.started\",\"thread_id\":\"t1\"}");
	feed(&g, "{\"type\":\"turn.started\"}");
	feed(&g, "{\"type\":\"error\",\"message\":\"Reconnecting... 2/5\"}");
	feed(&g, "{\"type\":\"error\",\"message\":\"Reconnecting\xe2\x80\xa6 "
	    "3/5 (stream disconnected)\"}");
	feed(&g, "{\"type\":\"item.completed\",\"item\":{\"id\":\"i\","
	    "\"type\":\"agent_message\",\"text\":\"ok\"}}");
	feed(&g, "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":1,"
	    "\"output_tokens\":2}}");
	pilot_state_finish(&g.st, EXITED(0));
	is_types(&g, "log log log log text usage",
	    "codex reconnect: notices are logs");
	ok(!g.st.failed, "codex reconnect: not a failure");
	got_free(&g);

	got_start(&g, "codex");
	feed(&g, "{\"type\":\"thread.started\",\"thread_id\":\"t1\"}");
	pilot_state_finish(&g.st, EXITED(0));
	ok(g.st.failed, "codex without a turn end: failed");
	got_free(&g);

	/* Two turns in one run: each usage step, the run the total. */
	got_start(&g, "codex");
	feed(&g, "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":100,"
	    "\"output_tokens\":10}}");
	feed(&g, "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":250,"
	    "\"output_tokens\":30}}");
	pilot_state_finish(&g.st, EXITED(0));
	is_int(jsonx_int(msg(&g, 1), "input_tokens", -1), 150,
	    "codex two turns: second usage message is the step");
	is_int(g.st.usage.input_tokens, 250, "codex two turns: run total");
	got_free(&g);
}

static void
test_goose(void)
{
	struct got		 g;
	struct pilot_usage	 base;

	replay(&g, "goose", "goose_success.jsonl", EXITED(0), NULL);
	is_types(&g, "text tool_use tool_result log tool_use tool_result text "
	    "usage", "goose success: message types (chunks merged)");
	is_str(jsonx_str(msg(&g, 0), "text"), "I'll look at the repository "
	    "first.", "goose success: first text");
	is_str(jsonx_str(msg(&g, 1), "name"), "developer__shell",
	    "goose success: tool name");
	is_str(jsonx_str(input(msg(&g, 1)), "command"), "ls -a",
	    "goose success: tool arguments");
	is_str(jsonx_str(msg(&g, 2), "output"), ".\n..\n.git\nREADME.md\n",
	    "goose success: tool output");
	ok(is_error_of(msg(&g, 5)), "goose success: failed tool is_error");
	is_str(jsonx_str(msg(&g, 5), "output"), "-32603: permission denied",
	    "goose success: tool error text");
	is_str(jsonx_str(msg(&g, 6), "text"), "Created `hello.txt`.",
	    "goose success: chunks sharing message.id merged");
	is_str(g.st.final_message, "Created `hello.txt`.",
	    "goose success: final message");
	ok(!g.st.failed, "goose success: not failed");
	is_int(g.st.usage.input_tokens, 5100, "goose success: input tokens");
	is_int(g.st.usage.output_tokens, 130, "goose success: output tokens");
	ok(g.st.session_id == NULL, "goose success: no session id in stream");
	got_free(&g);

	memset(&base, 0, sizeof base);
	base.input_tokens = 5000;
	base.output_tokens = 100;
	replay(&g, "goose", "goose_success.jsonl", EXITED(0), &base);
	is_int(g.st.usage.input_tokens, 100, "goose resume: cumulative "
	    "totals less the previous");
	got_free(&g);

	replay(&g, "goose", "goose_error.jsonl", EXITED(0), NULL);
	is_types(&g, "error log", "goose error: error, then the empty "
	    "complete as a log");
	ok(g.st.failed, "goose error: failed although the exit status is 0");
	is_str(g.st.error, "goose: Request failed: Authentication failed (401 "
	    "Unauthorized): invalid x-api-key", "goose error: reason");
	got_free(&g);

	/* Text held back comes before a log that follows it. */
	got_start(&g, "goose");
	feed(&g, "{\"type\":\"message\",\"message\":{\"id\":\"m\",\"role\":"
	    "\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}}");
	feed(&g, "garbage");
	feed(&g, "{\"type\":\"message\",\"message\":{\"id\":\"m\",\"role\":"
	    "\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"b\"}]}}");
	pilot_state_finish(&g.st, EXITED(0));
	is_types(&g, "text log text", "goose: order kept around a log");
	is_str(g.st.final_message, "b", "goose: text flushed at the end");
	got_free(&g);
}

static void
test_garbage(void)
{
	static const char *const kinds[] = { "claude", "codex", "goose" };
	static const char *const lines[] = {
		"not json at all",
		"{\"type\":\"assistant\",\"message\":{\"content\":[{\"ty",
		"[1,2,3]",
		"{}",
		"\"a string\"",
		"{\"type\":\"brand_new_event\",\"x\":1}",
		"{\"type\":42}",
		"{\"type\":\"assistant\",\"message\":\"not an object\"}",
		"{\"type\":\"user\",\"message\":{\"content\":\"plain\"}}",
		"{\"type\":\"item.completed\",\"item\":[]}",
		"{\"type\":\"message\",\"message\":{\"content\":null}}",
		"{\"type\":\"result\",\"usage\":\"no\",\"is_error\":\"x\"}",
		"{\"type\":\"turn.completed\",\"usage\":[]}",
	};
	struct got	 g;
	char		*big, bin[] = "ab\xff\xfe\0cd\x80";
	size_t		 k, i, nlines = sizeof lines / sizeof lines[0];
	const char	*line, *pre;
	char		 name[128];

	for (k = 0; k < 3; k++) {
		got_start(&g, kinds[k]);
		for (i = 0; i < nlines; i++)
			feed(&g, lines[i]);
		snprintf(name, sizeof name, "%s garbage: every line kept, "
		    "none lost", kinds[k]);
		ok(json_object_array_length(g.msgs) >= nlines, name);
		snprintf(name, sizeof name, "%s garbage: first lines are logs",
		    kinds[k]);
		ok(count(&g, "log") >= 5, name);
		pilot_state_stdout(&g.st, bin, sizeof bin - 1);
		line = jsonx_str(msg(&g, json_object_array_length(g.msgs) - 1),
		    "line");
		snprintf(name, sizeof name, "%s garbage: bad bytes become "
		    "U+FFFD", kinds[k]);
		is_str(line, "ab\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "cd\xef\xbf\xbd", name);
		pilot_state_finish(&g.st, EXITED(0));
		got_free(&g);
	}

	/* A huge line is clipped to fit in a batch, not dropped. */
	big = xmalloc(3 * PILOT_MAX_FIELD);
	memset(big, 'x', 3 * PILOT_MAX_FIELD - 1);
	big[3 * PILOT_MAX_FIELD - 1] = '\0';
	got_start(&g, "claude");
	feed(&g, big);
	line = jsonx_str(msg(&g, 0), "line");
	ok(line != NULL && strlen(line) < PILOT_MAX_FIELD + 100 &&
	    strstr(line, "bytes clipped") != NULL, "huge line: clipped log");
	got_free(&g);
	free(big);

	/* A large tool input becomes clipped JSON text. */
	pre = "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
	    "\"tool_use\",\"id\":\"t\",\"name\":\"Write\",\"input\":{\"c\":\"";
	big = xmalloc(strlen(pre) + 2 * PILOT_MAX_FIELD + 16);
	memcpy(big, pre, strlen(pre));
	memset(big + strlen(pre), 'y', 2 * PILOT_MAX_FIELD);
	strcpy(big + strlen(pre) + 2 * PILOT_MAX_FIELD, "\"}}]}}");
	got_start(&g, "claude");
	feed(&g, big);
	is_types(&g, "tool_use", "huge tool input: still a tool_use");
	ok(json_object_is_type(input(msg(&g, 0)), json_type_string) &&
	    strlen(json_object_get_string(input(msg(&g, 0)))) <
	    PILOT_MAX_FIELD + 100, "huge tool input: clipped JSON text");
	got_free(&g);
	free(big);

	/* UTF-8 is clipped at a character boundary. */
	big = pilot_clip("\xc3\xa9\xc3\xa9\xc3\xa9", 3);
	ok(strncmp(big, "\xc3\xa9\n", 3) == 0, "clip: never splits a "
	    "character");
	free(big);

	/* Blank lines of JSON pilots carry nothing. */
	got_start(&g, "codex");
	feed(&g, "");
	feed(&g, "   \r");
	is_int(json_object_array_length(g.msgs), 0, "blank JSON lines: none");
	got_free(&g);
}

static void
test_text(void)
{
	struct got	 g;

	got_start(&g, "shell");
	feed(&g, "building");
	feed(&g, "");
	feed(&g, "done @@UFO_STATUS:done@@");
	pilot_state_stderr(&g.st, "warning: x", 10);
	pilot_state_finish(&g.st, EXITED(0));
	is_types(&g, "text text log", "shell: stdout text, stderr log");
	is_str(g.st.final_message, "building\n\ndone @@UFO_STATUS:done@@",
	    "shell: final message is stdout");
	ok(!g.st.failed, "shell: exit 0 succeeded");
	got_free(&g);

	got_start(&g, "shell");
	feed(&g, "{\"type\":\"result\"}");
	pilot_state_stderr(&g.st, "make: *** [all] Error 2", 23);
	pilot_state_finish(&g.st, EXITED(2));
	is_types(&g, "text log", "shell: JSON is just text");
	ok(g.st.failed, "shell: exit 2 failed");
	is_str(g.st.error, "exit status 2: make: *** [all] Error 2",
	    "shell: error names the status and the last stderr line");
	is_int(g.st.exit_code, 2, "shell: exit code");
	got_free(&g);

	got_start(&g, "command");
	pilot_state_finish(&g.st, 9);	/* killed by SIGKILL */
	ok(g.st.failed, "command: a signal is a failure");
	ok(strncmp(g.st.error, "killed by signal 9", 18) == 0,
	    "command: error names the signal");
	is_int(g.st.exit_code, 137, "command: exit code 128 + signal");
	ok(g.st.final_message == NULL, "command: no output, no final message");
	got_free(&g);
}

/* argv as one string, arguments separated by "|". */
static char *
argv_of(const char *kind, const struct pilot_spec *spec, char **cause)
{
	struct pilot_strv	 sv = { 0 };
	char			*out, *tmp;
	size_t			 i;

	if (pilot_build_argv(pilot_find(kind), spec, &sv, cause) == -1)
		return (NULL);
	out = xstrdup(sv.v[0]);
	for (i = 1; i < sv.n; i++) {
		tmp = out;
		out = xprintf("%s|%s", tmp, sv.v[i]);
		free(tmp);
	}
	ok(sv.v[sv.n] == NULL, "argv is NULL-terminated");
	pilot_strv_free(&sv);
	return (out);
}

static char *
env_of(const char *kind, const struct pilot_spec *spec)
{
	struct pilot_strv	 sv = { 0 };
	char			*out = xstrdup(""), *tmp;
	size_t			 i;

	pilot_build_env(pilot_find(kind), spec, &sv);
	for (i = 0; i < sv.n; i++) {
		tmp = out;
		out = xprintf("%s%s%s", tmp, i == 0 ? "" : " ", sv.v[i]);
		free(tmp);
	}
	pilot_strv_free(&sv);
	return (out);
}

#define IS_ARGV(kind, spec, want, name) do {				\
	char	*a_, *c_ = NULL;					\
									\
	a_ = argv_of((kind), (spec), &c_);				\
	is_str(a_, (want), (name));					\
	free(a_);							\
	free(c_);							\
} while (0)

#define IS_ENV(kind, spec, want, name) do {				\
	char	*e_ = env_of((kind), (spec));				\
									\
	is_str(e_, (want), (name));					\
	free(e_);							\
} while (0)

static void
test_argv(void)
{
	const char *const	 args[] = { "--allowedTools", "Bash Edit", NULL };
	const char *const	 cargs[] = { "-c", "model_verbosity=low", NULL };
	const char *const	 tmpl[] = { "aider", "--yes", "--message={prompt}",
				     "{prompt}", NULL };
	const char *const	 none[] = { NULL };
	struct pilot_spec	 s;
	char			*a, *cause;

	memset(&s, 0, sizeof s);
	s.prompt = "Fix the hatch";
	IS_ARGV("claude", &s, "claude|-p|Fix the hatch|--output-format|"
	    "stream-json|--verbose|--permission-mode|bypassPermissions",
	    "claude: fresh argv, prompt right after -p");
	s.model = "sonnet";
	s.args = args;
	IS_ARGV("claude", &s, "claude|-p|Fix the hatch|--output-format|"
	    "stream-json|--verbose|--permission-mode|bypassPermissions|--model|"
	    "sonnet|--allowedTools|Bash Edit", "claude: model, then profile "
	    "args last (a variadic flag cannot swallow the prompt)");
	s.resume = 1;
	s.session_id = "cf29b6cd";
	IS_ARGV("claude", &s, "claude|-p|Fix the hatch|--output-format|"
	    "stream-json|--verbose|--permission-mode|bypassPermissions|--model|"
	    "sonnet|--resume|cf29b6cd|--allowedTools|Bash Edit",
	    "claude: resume by session id");
	IS_ENV("claude", &s, "CLAUDE_CODE_MAX_RETRIES=0",
	    "claude: no retries on a bad key");
	s.root = 1;
	IS_ENV("claude", &s, "CLAUDE_CODE_MAX_RETRIES=0 IS_SANDBOX=1",
	    "claude: IS_SANDBOX=1 as root");
	s.resume = 0;
	s.model = NULL;
	s.args = NULL;
	s.prompt = "-rf is not a flag";
	IS_ARGV("claude", &s, "claude|-p| -rf is not a flag|--output-format|"
	    "stream-json|--verbose|--permission-mode|bypassPermissions",
	    "claude: a prompt starting with - is not an option");

	memset(&s, 0, sizeof s);
	s.prompt = "Fix the hatch";
	IS_ARGV("codex", &s, "codex|exec|--json|--skip-git-repo-check|-s|"
	    "danger-full-access|Fix the hatch", "codex: fresh argv");
	s.model = "gpt-5";
	s.args = cargs;
	IS_ARGV("codex", &s, "codex|exec|--json|--skip-git-repo-check|-s|"
	    "danger-full-access|-m|gpt-5|-c|model_verbosity=low|Fix the hatch",
	    "codex: model and args before the prompt");
	s.resume = 1;
	s.session_id = "01a202cf";
	IS_ARGV("codex", &s, "codex|exec|--json|--skip-git-repo-check|-s|"
	    "danger-full-access|-m|gpt-5|-c|model_verbosity=low|resume|01a202cf|"
	    "Fix the hatch", "codex: every flag before resume SESSION PROMPT");
	s.session_id = NULL;
	IS_ARGV("codex", &s, "codex|exec|--json|--skip-git-repo-check|-s|"
	    "danger-full-access|-m|gpt-5|-c|model_verbosity=low|Fix the hatch",
	    "codex: resume without a session starts fresh");
	IS_ENV("codex", &s, "", "codex: no environment additions");

	memset(&s, 0, sizeof s);
	s.prompt = "Fix the hatch";
	s.session_name = "ufo-op_abc";
	IS_ARGV("goose", &s, "goose|run|--output-format|stream-json|-n|"
	    "ufo-op_abc|--with-builtin|developer|-t|Fix the hatch",
	    "goose: fresh argv with the session name");
	s.resume = 1;
	s.model = "anthropic/claude-sonnet-4-5";
	s.max_turns = 25;
	IS_ARGV("goose", &s, "goose|run|--output-format|stream-json|-n|"
	    "ufo-op_abc|-r|--with-builtin|developer|-t|Fix the hatch|--provider|"
	    "anthropic|--model|claude-sonnet-4-5|--max-turns|25",
	    "goose: resume -r, provider/model split, max turns");
	s.model = "gpt-4o";
	s.resume = 0;
	s.max_turns = 0;
	IS_ARGV("goose", &s, "goose|run|--output-format|stream-json|-n|"
	    "ufo-op_abc|--with-builtin|developer|-t|Fix the hatch|--model|"
	    "gpt-4o", "goose: a model without provider");
	IS_ENV("goose", &s, "GOOSE_MODE=auto", "goose: GOOSE_MODE=auto");
	s.session_name = NULL;
	cause = NULL;
	a = argv_of("goose", &s, &cause);
	ok(a == NULL && cause != NULL, "goose: no session name is an error");
	free(a);
	free(cause);

	memset(&s, 0, sizeof s);
	s.prompt = "Fix the hatch\n\nmake test";
	s.body = "make test";
	IS_ARGV("shell", &s, "/bin/sh|-c|make test",
	    "shell: runs the operation body");
	s.resume = 1;
	s.prompt = "echo again";
	IS_ARGV("shell", &s, "/bin/sh|-c|echo again",
	    "shell: a resume runs the comment");
	s.resume = 0;
	s.body = "";
	IS_ARGV("shell", &s, "/bin/sh|-c|echo again",
	    "shell: no body, the prompt");

	memset(&s, 0, sizeof s);
	s.prompt = "do it";
	s.args = tmpl;
	IS_ARGV("command", &s, "aider|--yes|--message=do it|do it",
	    "command: {prompt} replaced, whole or inside an argument");
	s.args = none;
	cause = NULL;
	a = argv_of("command", &s, &cause);
	ok(a == NULL && cause != NULL && strstr(cause, "{prompt}") != NULL,
	    "command: no args is an error naming the template");
	free(a);
	free(cause);

	ok(pilot_find("claude") == &pilot_claude, "table: claude");
	ok(pilot_find("nope") == NULL, "table: unknown kind");
	ok(pilot_at(4) == &pilot_command && pilot_at(5) == NULL,
	    "table: five kinds");
	ok(pilot_claude.probe && pilot_codex.probe && pilot_goose.probe &&
	    !pilot_shell.probe && !pilot_command.probe,
	    "table: agent CLIs are probed, shell and command always there");
}

int
main(void)
{
	test_claude();
	test_codex();
	test_goose();
	test_garbage();
	test_text();
	test_argv();
	return (done_testing());
}
