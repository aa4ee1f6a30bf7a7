/*
 * Claude Code: `claude -p PROMPT --output-format stream-json --verbose
 * --permission-mode bypassPermissions [--model M] [--resume SESSION]`.
 *
 * The prompt sits right after -p: variadic flags a profile may add
 * (--allowedTools, --add-dir, --mcp-config) would swallow a prompt that
 * came after them. One API message arrives as several "assistant" lines,
 * one per content block; their usage is a snapshot, so usage and cost
 * come from the final "result" only, and failure is result.is_error (a
 * 401 says subtype "success").
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "pilot.h"
#include "xmalloc.h"

static int
pilot_claude_argv(const struct pilot_spec *spec, struct pilot_strv *sv,
    char **cause)
{
	char	*tmp;

	pilot_strv_add(sv, "claude");
	pilot_strv_add(sv, "-p");
	pilot_strv_add(sv, pilot_prompt_arg(spec->prompt, &tmp));
	free(tmp);
	pilot_strv_add(sv, "--output-format");
	pilot_strv_add(sv, "stream-json");
	pilot_strv_add(sv, "--verbose");
	pilot_strv_add(sv, "--permission-mode");
	pilot_strv_add(sv, "bypassPermissions");
	if (spec->model != NULL && *spec->model != '\0') {
		pilot_strv_add(sv, "--model");
		pilot_strv_add(sv, spec->model);
	}
	if (spec->resume && spec->session_id != NULL) {
		pilot_strv_add(sv, "--resume");
		pilot_strv_add(sv, spec->session_id);
	}
	pilot_strv_args(sv, spec->args);
	return (0);
}

static void
pilot_claude_env(const struct pilot_spec *spec, struct pilot_strv *sv)
{
	/* A bad key would otherwise be retried ten times. */
	pilot_strv_add(sv, "CLAUDE_CODE_MAX_RETRIES=0");
	/* As root, bypassPermissions is refused unless this is set. */
	if (spec->root)
		pilot_strv_add(sv, "IS_SANDBOX=1");
}

static int
pilot_claude_assistant(struct pilot_state *st, struct json_object *msg)
{
	struct json_object	*content, *block, *input, *data;
	const char		*type, *text;
	size_t			 i, n;
	int			 emitted = 0;

	if (!json_object_object_get_ex(msg, "content", &content) ||
	    !json_object_is_type(content, json_type_array))
		return (0);
	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		block = json_object_array_get_idx(content, i);
		if ((type = jsonx_str(block, "type")) == NULL)
			continue;
		if (strcmp(type, "text") == 0 &&
		    (text = jsonx_str(block, "text")) != NULL) {
			pilot_emit_text(st, "text", text);
			pilot_set_final(st, text);
			emitted++;
		} else if (strcmp(type, "thinking") == 0 &&
		    (text = jsonx_str(block, "thinking")) != NULL) {
			pilot_emit_text(st, "thinking", text);
			emitted++;
		} else if (strcmp(type, "tool_use") == 0) {
			data = json_object_new_object();
			json_object_object_add(data, "id", json_object_new_string(
			    jsonx_str(block, "id") != NULL ?
			    jsonx_str(block, "id") : ""));
			json_object_object_add(data, "name",
			    json_object_new_string(jsonx_str(block, "name") !=
			    NULL ? jsonx_str(block, "name") : ""));
			if (!json_object_object_get_ex(block, "input", &input) ||
			    input == NULL)
				input = json_object_new_object();
			else
				input = json_object_get(input);
			json_object_object_add(data, "input", input);
			pilot_emit(st, "tool_use", data);
			emitted++;
		}
	}
	return (emitted > 0);
}

static int
pilot_claude_user(struct pilot_state *st, struct json_object *msg)
{
	struct json_object	*content, *block, *v, *data;
	const char		*type, *id;
	char			*output;
	size_t			 i, n;
	int			 emitted = 0, is_error;

	if (!json_object_object_get_ex(msg, "content", &content) ||
	    !json_object_is_type(content, json_type_array))
		return (0);
	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		block = json_object_array_get_idx(content, i);
		if ((type = jsonx_str(block, "type")) == NULL ||
		    strcmp(type, "tool_result") != 0)
			continue;
		id = jsonx_str(block, "tool_use_id");
		if (!json_object_object_get_ex(block, "content", &v))
			v = NULL;
		output = pilot_content_text(v);
		is_error = json_object_object_get_ex(block, "is_error", &v) &&
		    json_object_get_boolean(v);
		data = json_object_new_object();
		json_object_object_add(data, "id",
		    json_object_new_string(id != NULL ? id : ""));
		json_object_object_add(data, "output",
		    json_object_new_string(output));
		json_object_object_add(data, "is_error",
		    json_object_new_boolean(is_error));
		free(output);
		pilot_emit(st, "tool_result", data);
		emitted++;
	}
	return (emitted > 0);
}

/* The reason an error result gives: its text, else its errors list. */
static char *
pilot_claude_reason(struct json_object *obj)
{
	struct json_object	*errors, *v;
	const char		*result, *subtype;
	char			*joined = NULL, *tmp;
	size_t			 i, n;

	result = jsonx_str(obj, "result");
	if (result != NULL && *result != '\0')
		return (xstrdup(result));
	if (json_object_object_get_ex(obj, "errors", &errors) &&
	    json_object_is_type(errors, json_type_array)) {
		n = json_object_array_length(errors);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(errors, i);
			if (!json_object_is_type(v, json_type_string))
				continue;
			if (joined == NULL)
				joined = xstrdup(json_object_get_string(v));
			else {
				tmp = joined;
				joined = xprintf("%s; %s", tmp,
				    json_object_get_string(v));
				free(tmp);
			}
		}
	}
	subtype = jsonx_str(obj, "subtype");
	if (joined != NULL && subtype != NULL && strcmp(subtype, "success")) {
		tmp = joined;
		joined = xprintf("%s: %s", subtype, tmp);
		free(tmp);
	}
	if (joined == NULL)
		joined = xstrdup(subtype != NULL ? subtype : "error result");
	return (joined);
}

static int
pilot_claude_result(struct pilot_state *st, struct json_object *obj)
{
	struct json_object	*usage, *v;
	struct pilot_usage	 u;
	const char		*result;
	char			*reason;
	int64_t			 status;

	st->done = 1;
	pilot_set_session(st, jsonx_str(obj, "session_id"));
	if ((result = jsonx_str(obj, "result")) != NULL)
		pilot_set_final(st, result);

	memset(&u, 0, sizeof u);
	u.have = 1;
	if (json_object_object_get_ex(obj, "usage", &usage) &&
	    json_object_is_type(usage, json_type_object)) {
		u.cache_read_tokens = jsonx_int(usage,
		    "cache_read_input_tokens", 0);
		u.input_tokens = jsonx_int(usage, "input_tokens", 0) +
		    jsonx_int(usage, "cache_creation_input_tokens", 0) +
		    u.cache_read_tokens;
		u.output_tokens = jsonx_int(usage, "output_tokens", 0);
	}
	if (json_object_object_get_ex(obj, "total_cost_usd", &v) &&
	    (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int))) {
		u.have_cost = 1;
		u.cost_usd = json_object_get_double(v);
	}
	st->usage = u;
	pilot_emit_usage(st, &u);

	if (json_object_object_get_ex(obj, "is_error", &v) &&
	    json_object_get_boolean(v)) {
		reason = pilot_claude_reason(obj);
		status = jsonx_int(obj, "api_error_status", 0);
		if (status > 0)
			pilot_fail(st, "claude: %lld %s", (long long)status,
			    reason);
		else
			pilot_fail(st, "claude: %s", reason);
		free(reason);
		pilot_emit_error(st, st->error);
	}
	return (1);
}

static int
pilot_claude_line(struct pilot_state *st, struct json_object *obj,
    const char *raw)
{
	struct json_object	*msg;
	const char		*type;

	if ((type = jsonx_str(obj, "type")) == NULL)
		return (0);
	if (st->session_id == NULL)
		pilot_set_session(st, jsonx_str(obj, "session_id"));
	if (strcmp(type, "result") == 0)
		return (pilot_claude_result(st, obj));
	if (!json_object_object_get_ex(obj, "message", &msg) ||
	    !json_object_is_type(msg, json_type_object))
		return (0);
	if (strcmp(type, "assistant") == 0)
		return (pilot_claude_assistant(st, msg));
	if (strcmp(type, "user") == 0)
		return (pilot_claude_user(st, msg));
	/* system/init (the session id), stream_event, …: kept as logs. */
	return (0);
}

static void
pilot_claude_finish(struct pilot_state *st, int status)
{
	if (!st->done && !st->failed && pilot_exited_ok(status))
		pilot_fail(st, "claude: ended without a result");
}

const struct pilot_entry pilot_claude = {
	.name = "claude",
	.probe = 1,
	.json = 1,
	.argv = pilot_claude_argv,
	.env = pilot_claude_env,
	.line = pilot_claude_line,
	.finish = pilot_claude_finish,
};
