/*
 * Codex CLI: `codex exec --json --skip-git-repo-check -s danger-full-access
 * [-m M] PROMPT`, or `… resume SESSION PROMPT`: resume refuses --sandbox,
 * so every flag goes before it. Stdin is /dev/null (an open pipe blocks
 * it), which the runner does for every pilot.
 *
 * Only turn.completed / turn.failed end a turn: a top-level "error" may
 * be a reconnect notice ("Reconnecting… 2/5"). turn.completed usage is
 * cumulative for the thread; the run reports its own share.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonx.h"
#include "pilot.h"
#include "xmalloc.h"

static int
pilot_codex_argv(const struct pilot_spec *spec, struct pilot_strv *sv,
    char **cause)
{
	char	*tmp;

	pilot_strv_add(sv, "codex");
	pilot_strv_add(sv, "exec");
	pilot_strv_add(sv, "--json");
	pilot_strv_add(sv, "--skip-git-repo-check");
	pilot_strv_add(sv, "-s");
	pilot_strv_add(sv, "danger-full-access");
	if (spec->model != NULL && *spec->model != '\0') {
		pilot_strv_add(sv, "-m");
		pilot_strv_add(sv, spec->model);
	}
	pilot_strv_args(sv, spec->args);
	if (spec->resume && spec->session_id != NULL) {
		pilot_strv_add(sv, "resume");
		pilot_strv_add(sv, spec->session_id);
	}
	pilot_strv_add(sv, pilot_prompt_arg(spec->prompt, &tmp));
	free(tmp);
	return (0);
}

/* A retry notice, not a failure: codex carries on after it. */
static int
pilot_codex_notice(const char *message)
{
	return (strncasecmp(message, "reconnecting", 12) == 0 ||
	    strcasestr(message, "retrying") != NULL);
}

/* The tool call an item stands for: name and input; 0 if none. */
static int
pilot_codex_tool(struct json_object *item, char **name,
    struct json_object **input)
{
	struct json_object	*v;
	const char		*type, *server, *tool;

	*name = NULL;
	*input = NULL;
	if ((type = jsonx_str(item, "type")) == NULL)
		return (0);
	if (strcmp(type, "command_execution") == 0) {
		*name = xstrdup("shell");
		*input = json_object_new_object();
		json_object_object_add(*input, "command",
		    json_object_new_string(jsonx_str(item, "command") != NULL ?
		    jsonx_str(item, "command") : ""));
	} else if (strcmp(type, "file_change") == 0) {
		*name = xstrdup("file_change");
		*input = json_object_new_object();
		if (json_object_object_get_ex(item, "changes", &v))
			json_object_object_add(*input, "changes",
			    json_object_get(v));
	} else if (strcmp(type, "mcp_tool_call") == 0) {
		server = jsonx_str(item, "server");
		tool = jsonx_str(item, "tool");
		*name = xprintf("%s.%s", server != NULL ? server : "mcp",
		    tool != NULL ? tool : "tool");
		if (json_object_object_get_ex(item, "arguments", &v) &&
		    v != NULL)
			*input = json_object_get(v);
		else
			*input = json_object_new_object();
	} else if (strcmp(type, "web_search") == 0) {
		*name = xstrdup("web_search");
		*input = json_object_new_object();
		json_object_object_add(*input, "query",
		    json_object_new_string(jsonx_str(item, "query") != NULL ?
		    jsonx_str(item, "query") : ""));
	} else
		return (0);
	return (1);
}

static void
pilot_codex_tool_use(struct pilot_state *st, const char *id, char *name,
    struct json_object *input)
{
	struct json_object	*data;

	data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "name", json_object_new_string(name));
	json_object_object_add(data, "input", input);
	free(name);
	pilot_emit(st, "tool_use", data);
	json_object_object_add(st->started, id, NULL);
}

/* What a finished tool item produced, and whether it failed. */
static char *
pilot_codex_output(struct json_object *item, int *is_error)
{
	struct json_object	*v, *changes, *c, *content;
	const char		*type, *status, *kind, *path, *msg;
	char			*out = NULL, *tmp;
	size_t			 i, n;

	type = jsonx_str(item, "type");
	status = jsonx_str(item, "status");
	*is_error = status != NULL && strcmp(status, "failed") == 0;
	if (strcmp(type, "command_execution") == 0) {
		if (json_object_object_get_ex(item, "exit_code", &v) &&
		    json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) != 0)
			*is_error = 1;
		return (xstrdup(jsonx_str(item, "aggregated_output") != NULL ?
		    jsonx_str(item, "aggregated_output") : ""));
	}
	if (strcmp(type, "file_change") == 0) {
		if (json_object_object_get_ex(item, "changes", &changes) &&
		    json_object_is_type(changes, json_type_array)) {
			n = json_object_array_length(changes);
			for (i = 0; i < n; i++) {
				c = json_object_array_get_idx(changes, i);
				kind = jsonx_str(c, "kind");
				path = jsonx_str(c, "path");
				tmp = out;
				out = xprintf("%s%s%s %s", tmp != NULL ? tmp :
				    "", tmp != NULL ? "\n" : "", kind != NULL ?
				    kind : "change", path != NULL ? path : "?");
				free(tmp);
			}
		}
		return (out != NULL ? out : xstrdup(""));
	}
	if (strcmp(type, "mcp_tool_call") == 0) {
		if (json_object_object_get_ex(item, "error", &v) && v != NULL) {
			*is_error = 1;
			msg = jsonx_str(v, "message");
			return (xstrdup(msg != NULL ? msg :
			    json_object_get_string(v)));
		}
		if (json_object_object_get_ex(item, "result", &v) &&
		    v != NULL) {
			if (json_object_object_get_ex(v, "content", &content))
				return (pilot_content_text(content));
			return (pilot_content_text(v));
		}
	}
	return (xstrdup(""));
}

static int
pilot_codex_item(struct pilot_state *st, struct json_object *item,
    int completed)
{
	struct json_object	*input, *data;
	const char		*type, *id, *text;
	char			*name, *output;
	int			 is_error;

	if ((type = jsonx_str(item, "type")) == NULL)
		return (0);
	if ((id = jsonx_str(item, "id")) == NULL)
		id = "";
	if (completed && strcmp(type, "agent_message") == 0) {
		if ((text = jsonx_str(item, "text")) == NULL)
			return (0);
		pilot_emit_text(st, "text", text);
		pilot_set_final(st, text);
		return (1);
	}
	if (completed && strcmp(type, "reasoning") == 0) {
		if ((text = jsonx_str(item, "text")) == NULL)
			return (0);
		pilot_emit_text(st, "thinking", text);
		return (1);
	}
	if (!pilot_codex_tool(item, &name, &input))
		return (0);	/* error items are warnings; todo lists: logs */
	if (!json_object_object_get_ex(st->started, id, NULL))
		pilot_codex_tool_use(st, id, name, input);
	else {
		free(name);
		json_object_put(input);
	}
	if (!completed)
		return (1);
	output = pilot_codex_output(item, &is_error);
	data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "output", json_object_new_string(output));
	json_object_object_add(data, "is_error",
	    json_object_new_boolean(is_error));
	free(output);
	pilot_emit(st, "tool_result", data);
	return (1);
}

static int
pilot_codex_usage(struct pilot_state *st, struct json_object *obj)
{
	struct json_object	*usage;
	struct pilot_usage	 cum;

	st->done = 1;
	if (!json_object_object_get_ex(obj, "usage", &usage) ||
	    !json_object_is_type(usage, json_type_object))
		return (0);
	memset(&cum, 0, sizeof cum);
	cum.have = 1;
	/* OpenAI counts cached tokens inside input_tokens already. */
	cum.input_tokens = jsonx_int(usage, "input_tokens", 0);
	cum.cache_read_tokens = jsonx_int(usage, "cached_input_tokens", 0);
	cum.output_tokens = jsonx_int(usage, "output_tokens", 0);
	pilot_cumulative(st, &cum);
	return (1);
}

static int
pilot_codex_line(struct pilot_state *st, struct json_object *obj,
    const char *raw)
{
	struct json_object	*item, *e;
	const char		*type, *message;

	if ((type = jsonx_str(obj, "type")) == NULL)
		return (0);
	if (strcmp(type, "thread.started") == 0) {
		pilot_set_session(st, jsonx_str(obj, "thread_id"));
		return (0);
	}
	if (strcmp(type, "item.started") == 0 ||
	    strcmp(type, "item.completed") == 0) {
		if (!json_object_object_get_ex(obj, "item", &item) ||
		    !json_object_is_type(item, json_type_object))
			return (0);
		return (pilot_codex_item(st, item,
		    strcmp(type, "item.completed") == 0));
	}
	if (strcmp(type, "turn.completed") == 0) {
		/* A later turn may still fail; a completed one clears it. */
		return (pilot_codex_usage(st, obj));
	}
	if (strcmp(type, "turn.failed") == 0) {
		st->done = 1;
		message = NULL;
		if (json_object_object_get_ex(obj, "error", &e))
			message = jsonx_str(e, "message");
		if (message == NULL)
			message = "turn failed";
		pilot_fail(st, "codex: %s", message);
		/* The same text usually came as an "error" event first. */
		if (st->last_error != NULL &&
		    strcmp(st->last_error, message) == 0)
			return (0);
		pilot_emit_error(st, message);
		return (1);
	}
	if (strcmp(type, "error") == 0) {
		if ((message = jsonx_str(obj, "message")) == NULL ||
		    pilot_codex_notice(message))
			return (0);
		pilot_emit_error(st, message);
		free(st->last_error);
		st->last_error = xstrdup(message);
		return (1);
	}
	return (0);
}

static void
pilot_codex_finish(struct pilot_state *st, int status)
{
	if (!st->done && !st->failed && pilot_exited_ok(status))
		pilot_fail(st, "codex: ended without finishing a turn");
}

const struct pilot_entry pilot_codex = {
	.name = "codex",
	.probe = 1,
	.json = 1,
	.cumulative = 1,
	.argv = pilot_codex_argv,
	.line = pilot_codex_line,
	.finish = pilot_codex_finish,
};
