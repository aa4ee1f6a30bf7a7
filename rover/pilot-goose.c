/*
 * Goose: `goose run --output-format stream-json -n NAME [-r] --with-builtin
 * developer -t PROMPT [--provider P --model M] [--max-turns N]` with
 * GOOSE_MODE=auto. The stream carries no session id, so the session is
 * named (ufo-<operation id>) and resumed by name with -r.
 *
 * Text arrives in chunks sharing message.id: they are merged into one
 * text message, emitted when something else comes. An "error" event can
 * come with exit status 0: it is a failure all the same. The totals of
 * "complete" are cumulative for the session.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "pilot.h"
#include "xmalloc.h"

static int
pilot_goose_argv(const struct pilot_spec *spec, struct pilot_strv *sv,
    char **cause)
{
	const char	*slash;
	char		*tmp;

	if (spec->session_name == NULL || *spec->session_name == '\0') {
		*cause = xstrdup("goose: no session name");
		return (-1);
	}
	pilot_strv_add(sv, "goose");
	pilot_strv_add(sv, "run");
	pilot_strv_add(sv, "--output-format");
	pilot_strv_add(sv, "stream-json");
	pilot_strv_add(sv, "-n");
	pilot_strv_add(sv, spec->session_name);
	if (spec->resume)
		pilot_strv_add(sv, "-r");
	pilot_strv_add(sv, "--with-builtin");
	pilot_strv_add(sv, "developer");
	pilot_strv_args(sv, spec->args);
	pilot_strv_add(sv, "-t");
	pilot_strv_add(sv, pilot_prompt_arg(spec->prompt, &tmp));
	free(tmp);
	/* A model "provider/model" names both; else the model alone. */
	if (spec->model != NULL && *spec->model != '\0') {
		slash = strchr(spec->model, '/');
		if (slash != NULL && slash != spec->model && slash[1] != '\0') {
			pilot_strv_add(sv, "--provider");
			pilot_strv_addf(sv, "%.*s", (int)(slash - spec->model),
			    spec->model);
			pilot_strv_add(sv, "--model");
			pilot_strv_add(sv, slash + 1);
		} else {
			pilot_strv_add(sv, "--model");
			pilot_strv_add(sv, spec->model);
		}
	}
	if (spec->max_turns > 0) {
		pilot_strv_add(sv, "--max-turns");
		pilot_strv_addf(sv, "%lld", (long long)spec->max_turns);
	}
	return (0);
}

static void
pilot_goose_env(const struct pilot_spec *spec, struct pilot_strv *sv)
{
	/* Anything else waits for a human to approve each tool. */
	pilot_strv_add(sv, "GOOSE_MODE=auto");
}

/* Emits the merged text held back, if any. */
static void
pilot_goose_flush(struct pilot_state *st)
{
	if (st->pending_text != NULL) {
		pilot_emit_text(st, "text", st->pending_text);
		pilot_set_final(st, st->pending_text);
	}
	free(st->pending_text);
	free(st->pending_id);
	st->pending_text = NULL;
	st->pending_id = NULL;
}

static void
pilot_goose_chunk(struct pilot_state *st, const char *id, const char *text)
{
	char	*tmp;

	if (id != NULL && st->pending_id != NULL &&
	    strcmp(id, st->pending_id) == 0) {
		tmp = st->pending_text;
		st->pending_text = xprintf("%s%s", tmp, text);
		free(tmp);
		return;
	}
	pilot_goose_flush(st);
	st->pending_text = xstrdup(text);
	/* Without an id nothing can join it. */
	st->pending_id = id != NULL ? xstrdup(id) : NULL;
	if (id == NULL)
		pilot_goose_flush(st);
}

static void
pilot_goose_request(struct pilot_state *st, struct json_object *c)
{
	struct json_object	*call, *value, *args, *data;
	const char		*name = NULL, *status;

	data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(
	    jsonx_str(c, "id") != NULL ? jsonx_str(c, "id") : ""));
	args = NULL;
	if (json_object_object_get_ex(c, "toolCall", &call)) {
		status = jsonx_str(call, "status");
		if (json_object_object_get_ex(call, "value", &value)) {
			name = jsonx_str(value, "name");
			if (json_object_object_get_ex(value, "arguments",
			    &args) && args != NULL)
				args = json_object_get(args);
		}
		/* A call goose could not even parse: show what it said. */
		if (status != NULL && strcmp(status, "success") != 0 &&
		    args == NULL)
			args = json_object_get(call);
	}
	json_object_object_add(data, "name",
	    json_object_new_string(name != NULL ? name : ""));
	json_object_object_add(data, "input",
	    args != NULL ? args : json_object_new_object());
	pilot_emit(st, "tool_use", data);
}

static void
pilot_goose_response(struct pilot_state *st, struct json_object *c)
{
	struct json_object	*res, *value, *content, *v, *data;
	const char		*status, *error;
	char			*output = NULL;
	int			 is_error = 0;

	if (json_object_object_get_ex(c, "toolResult", &res)) {
		status = jsonx_str(res, "status");
		if (status != NULL && strcmp(status, "success") != 0) {
			is_error = 1;
			error = jsonx_str(res, "error");
			output = xstrdup(error != NULL ? error : status);
		} else if (json_object_object_get_ex(res, "value", &value)) {
			if (json_object_object_get_ex(value, "content",
			    &content))
				output = pilot_content_text(content);
			else
				output = pilot_content_text(value);
			if (json_object_object_get_ex(value, "isError", &v) &&
			    json_object_get_boolean(v))
				is_error = 1;
		}
	}
	data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(
	    jsonx_str(c, "id") != NULL ? jsonx_str(c, "id") : ""));
	json_object_object_add(data, "output",
	    json_object_new_string(output != NULL ? output : ""));
	json_object_object_add(data, "is_error",
	    json_object_new_boolean(is_error));
	free(output);
	pilot_emit(st, "tool_result", data);
}

static int
pilot_goose_message(struct pilot_state *st, struct json_object *msg)
{
	struct json_object	*content, *c;
	const char		*role, *type, *id, *text;
	size_t			 i, n;
	int			 taken = 0;

	role = jsonx_str(msg, "role");
	id = jsonx_str(msg, "id");
	if (role == NULL ||
	    !json_object_object_get_ex(msg, "content", &content) ||
	    !json_object_is_type(content, json_type_array))
		return (0);
	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(content, i);
		if ((type = jsonx_str(c, "type")) == NULL)
			continue;
		if (strcmp(role, "assistant") == 0 &&
		    strcmp(type, "text") == 0 &&
		    (text = jsonx_str(c, "text")) != NULL) {
			pilot_goose_chunk(st, id, text);
			taken = 1;
		} else if (strcmp(type, "thinking") == 0 &&
		    (text = jsonx_str(c, "thinking")) != NULL) {
			pilot_goose_flush(st);
			pilot_emit_text(st, "thinking", text);
			taken = 1;
		} else if (strcmp(type, "toolRequest") == 0) {
			pilot_goose_flush(st);
			pilot_goose_request(st, c);
			taken = 1;
		} else if (strcmp(type, "toolResponse") == 0) {
			pilot_goose_flush(st);
			pilot_goose_response(st, c);
			taken = 1;
		}
	}
	return (taken);
}

static int
pilot_goose_complete(struct pilot_state *st, struct json_object *obj)
{
	struct json_object	*v;
	struct pilot_usage	 cum;
	int			 any = 0;

	pilot_goose_flush(st);
	st->done = 1;
	memset(&cum, 0, sizeof cum);
	cum.have = 1;
	if (json_object_object_get_ex(obj, "input_tokens", &v) &&
	    json_object_is_type(v, json_type_int)) {
		cum.input_tokens = json_object_get_int64(v);
		any = 1;
	}
	if (json_object_object_get_ex(obj, "output_tokens", &v) &&
	    json_object_is_type(v, json_type_int)) {
		cum.output_tokens = json_object_get_int64(v);
		any = 1;
	}
	if (!any && json_object_object_get_ex(obj, "total_tokens", &v) &&
	    json_object_is_type(v, json_type_int)) {
		/* Only a total: count it as input, the larger side. */
		cum.input_tokens = json_object_get_int64(v);
		any = 1;
	}
	if (!any)
		return (0);
	pilot_cumulative(st, &cum);
	return (1);
}

static int
pilot_goose_line(struct pilot_state *st, struct json_object *obj,
    const char *raw)
{
	struct json_object	*msg;
	const char		*type, *error;

	if ((type = jsonx_str(obj, "type")) == NULL)
		return (0);
	if (strcmp(type, "message") == 0) {
		if (!json_object_object_get_ex(obj, "message", &msg) ||
		    !json_object_is_type(msg, json_type_object))
			return (0);
		return (pilot_goose_message(st, msg));
	}
	if (strcmp(type, "error") == 0) {
		pilot_goose_flush(st);
		if ((error = jsonx_str(obj, "error")) == NULL)
			error = jsonx_str(obj, "message");
		if (error == NULL)
			error = "error event";
		pilot_fail(st, "goose: %s", error);
		pilot_emit_error(st, error);
		return (1);
	}
	if (strcmp(type, "complete") == 0)
		return (pilot_goose_complete(st, obj));
	/* notification and anything new: kept as logs. */
	return (0);
}

const struct pilot_entry pilot_goose = {
	.name = "goose",
	.probe = 1,
	.json = 1,
	.cumulative = 1,
	.argv = pilot_goose_argv,
	.env = pilot_goose_env,
	.line = pilot_goose_line,
	.flush = pilot_goose_flush,
};
