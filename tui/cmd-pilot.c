#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_pilot_create_exec(struct cmd *);
static enum cmd_retval	cmd_pilot_list_exec(struct cmd *);
static enum cmd_retval	cmd_pilot_show_exec(struct cmd *);
static enum cmd_retval	cmd_pilot_edit_exec(struct cmd *);

/* Create takes them all but --no-cred, and says so. */
static const struct option cmd_pilot_options[] = {
	{ "kind", required_argument, NULL, CMD_OPT_KIND },
	{ "model", required_argument, NULL, CMD_OPT_MODEL },
	{ "arg", required_argument, NULL, CMD_OPT_ARG },
	{ "cred", required_argument, NULL, CMD_OPT_CRED },
	{ "no-cred", no_argument, NULL, CMD_OPT_NO_CRED },
	{ "env", required_argument, NULL, CMD_OPT_ENV },
	{ "max-turns", required_argument, NULL, CMD_OPT_MAX_TURNS },
	{ "timeout", required_argument, NULL, CMD_OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_pilot_create_entry = {
	.name = "pilot",
	.sub = "create",
	.usage = "NAME --kind KIND [--model M] [--arg A]... [--cred NAME]... "
	    "[--env K=V]... [--max-turns N] [--timeout SECS]",
	.longopts = cmd_pilot_options,
	.lower = 1,
	.upper = 1,
	.help = "create a pilot (KIND: claude, codex, goose, shell or "
	    "command)",
	.exec = cmd_pilot_create_exec
};

const struct cmd_entry cmd_pilot_list_entry = {
	.name = "pilot",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list the pilots of the fleet",
	.exec = cmd_pilot_list_exec
};

const struct cmd_entry cmd_pilot_edit_entry = {
	.name = "pilot",
	.sub = "edit",
	.usage = "NAME [--kind KIND] [--model M] [--arg A]... [--cred NAME]... "
	    "[--no-cred] [--env K=V]... [--max-turns N] [--timeout SECS]",
	.longopts = cmd_pilot_options,
	.lower = 1,
	.upper = 1,
	.help = "change a pilot; --arg, --cred and --env replace the lists "
	    "they name, --no-cred empties the credentials",
	.exec = cmd_pilot_edit_exec
};

const struct cmd_entry cmd_pilot_show_entry = {
	.name = "pilot",
	.sub = "show",
	.usage = "NAME",
	.lower = 1,
	.upper = 1,
	.help = "show a pilot",
	.exec = cmd_pilot_show_exec
};

/* An array of the values of a repeatable option. */
static struct json_object *
cmd_pilot_strings(struct cmd *cmd, int key)
{
	struct json_object	*array;
	const char		*v;
	size_t			 i = 0;

	array = json_object_new_array();
	while ((v = cmd_next(cmd, key, &i)) != NULL)
		json_object_array_add(array, json_object_new_string(v));
	return (array);
}

/*
 * The fields the options of create and edit set, into body; a usage error
 * (said) when one is not valid.
 */
static enum cmd_retval
cmd_pilot_fields(struct cmd *cmd, struct json_object *body)
{
	struct json_object	*env;
	const char		*v, *eq;
	char			*name;
	size_t			 i = 0;
	int64_t			 n;

	if ((v = cmd_get(cmd, CMD_OPT_KIND)) != NULL)
		json_object_object_add(body, "kind", json_object_new_string(v));
	if ((v = cmd_get(cmd, CMD_OPT_MODEL)) != NULL)
		json_object_object_add(body, "model",
		    json_object_new_string(v));
	if (cmd_count(cmd, CMD_OPT_ARG) > 0)
		json_object_object_add(body, "args",
		    cmd_pilot_strings(cmd, CMD_OPT_ARG));
	if (cmd_count(cmd, CMD_OPT_CRED) > 0 &&
	    cmd_count(cmd, CMD_OPT_NO_CRED) > 0)
		return (cmd_usage(cmd, "--cred and --no-cred exclude each "
		    "other"));
	if (cmd_count(cmd, CMD_OPT_CRED) > 0 ||
	    cmd_count(cmd, CMD_OPT_NO_CRED) > 0)
		json_object_object_add(body, "credentials",
		    cmd_pilot_strings(cmd, CMD_OPT_CRED));
	if (cmd_count(cmd, CMD_OPT_ENV) > 0) {
		env = json_object_new_object();
		json_object_object_add(body, "env", env);
		while ((v = cmd_next(cmd, CMD_OPT_ENV, &i)) != NULL) {
			if ((eq = strchr(v, '=')) == NULL || eq == v)
				return (cmd_usage(cmd, "invalid --env \"%s\" "
				    "(expected NAME=VALUE)", v));
			name = xstrndup(v, (size_t)(eq - v));
			json_object_object_add(env, name,
			    json_object_new_string(eq + 1));
			free(name);
		}
	}
	if ((v = cmd_get(cmd, CMD_OPT_MAX_TURNS)) != NULL) {
		if (cmd_number_parse(v, 1, INT32_MAX, &n) == -1)
			return (cmd_usage(cmd, "invalid --max-turns \"%s\" "
			    "(expected a positive number)", v));
		json_object_object_add(body, "max_turns",
		    json_object_new_int64(n));
	}
	if ((v = cmd_get(cmd, CMD_OPT_TIMEOUT)) != NULL) {
		if (cmd_duration_parse(v, &n) == -1 || n > INT32_MAX)
			return (cmd_usage(cmd, "invalid --timeout \"%s\" "
			    "(expected seconds, or a duration like 30m or 2h)",
			    v));
		json_object_object_add(body, "timeout",
		    json_object_new_int64(n));
	}
	return (CMD_RETURN_NORMAL);
}

/* Sends body (create or edit) and prints the pilot's name. */
static enum cmd_retval
cmd_pilot_send(struct cmd *cmd, const char *method, const char *path,
    struct json_object *body)
{
	struct json_object	*pilot = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	const char		*v;

	if (client_request(cmd->client, method, path, body, &pilot,
	    &err) == -1)
		retval = cmd_fail(&err);
	else {
		if (cmd->json)
			output_json(pilot);
		else if ((v = jsonx_str(pilot, "name")) != NULL)
			printf("%s\n", v);
		retval = CMD_RETURN_NORMAL;
	}
	json_object_put(pilot);
	return (retval);
}

static enum cmd_retval
cmd_pilot_create_exec(struct cmd *cmd)
{
	struct json_object	*body;
	enum cmd_retval		 retval;

	if (cmd_get(cmd, CMD_OPT_KIND) == NULL)
		return (cmd_usage(cmd, "--kind is required"));
	if (cmd_count(cmd, CMD_OPT_NO_CRED) > 0)
		return (cmd_usage(cmd, "--no-cred is for pilot edit"));
	body = json_object_new_object();
	json_object_object_add(body, "name",
	    json_object_new_string(cmd->argv[0]));
	if ((retval = cmd_pilot_fields(cmd, body)) == CMD_RETURN_NORMAL)
		retval = cmd_pilot_send(cmd, "POST", "/pilots", body);
	json_object_put(body);
	return (retval);
}

static enum cmd_retval
cmd_pilot_edit_exec(struct cmd *cmd)
{
	struct json_object	*body;
	enum cmd_retval		 retval;
	char			*path;

	body = json_object_new_object();
	if ((retval = cmd_pilot_fields(cmd, body)) != CMD_RETURN_NORMAL) {
		json_object_put(body);
		return (retval);
	}
	if (json_object_object_length(body) == 0) {
		json_object_put(body);
		return (cmd_usage(cmd, "nothing to change"));
	}
	path = client_path("/pilots/%s", cmd->argv[0]);
	retval = cmd_pilot_send(cmd, "PATCH", path, body);
	free(path);
	json_object_put(body);
	return (retval);
}

/* The values of a string array joined by sep, "-" when empty. */
static char *
cmd_pilot_join(struct json_object *obj, const char *key, const char *sep)
{
	struct json_object	*array, *e;
	char			*out = NULL, *next;
	size_t			 i, n;

	if (!json_object_object_get_ex(obj, key, &array) ||
	    !json_object_is_type(array, json_type_array))
		return (xstrdup("-"));
	n = json_object_array_length(array);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(array, i);
		next = xprintf("%s%s%s", out != NULL ? out : "",
		    out != NULL ? sep : "", json_object_get_string(e));
		free(out);
		out = next;
	}
	return (out != NULL ? out : xstrdup("-"));
}

static char *
cmd_pilot_number(struct json_object *obj, const char *key, const char *unit)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (xstrdup("-"));
	return (xprintf("%lld%s", (long long)json_object_get_int64(v), unit));
}

static enum cmd_retval
cmd_pilot_list_exec(struct cmd *cmd)
{
	static const char *const headers[] = {
		"NAME", "KIND", "MODEL", "MAX-TURNS", "TIMEOUT"
	};
	struct json_object	*items, *p;
	struct output_table	*t;
	enum cmd_retval		 retval;
	char			*turns, *timeout;
	size_t			 i, n;

	if ((items = cmd_list_items(cmd, "/pilots", &retval)) == NULL)
		return (retval);
	t = output_table_create(5, headers);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(items, i);
		turns = cmd_pilot_number(p, "max_turns", "");
		timeout = cmd_pilot_number(p, "timeout", "s");
		output_table_row(t);
		output_table_cell(t, jsonx_str(p, "name"), OUTPUT_SGR_CODE);
		output_table_cell(t, jsonx_str(p, "kind"), NULL);
		output_table_cell(t, jsonx_str(p, "model") != NULL ?
		    jsonx_str(p, "model") : "-", NULL);
		output_table_cell(t, turns, NULL);
		output_table_cell(t, timeout, NULL);
		free(turns);
		free(timeout);
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_pilot_show_exec(struct cmd *cmd)
{
	struct json_object	*p, *env;
	struct ufo_error	 err;
	char			*path, *s, *next, *envs = NULL;

	path = client_path("/pilots/%s", cmd->argv[0]);
	if (client_get(cmd->client, path, &p, &err) == -1) {
		free(path);
		return (cmd_fail(&err));
	}
	free(path);
	if (cmd->json) {
		output_json(p);
		json_object_put(p);
		return (CMD_RETURN_NORMAL);
	}
	output_field("name", jsonx_str(p, "name"));
	output_field("kind", jsonx_str(p, "kind"));
	output_field("model", jsonx_str(p, "model"));
	s = cmd_pilot_join(p, "args", " ");
	output_field("args", s);
	free(s);
	if (json_object_object_get_ex(p, "env", &env) &&
	    json_object_is_type(env, json_type_object)) {
		json_object_object_foreach(env, key, val) {
			next = xprintf("%s%s%s=%s", envs != NULL ? envs : "",
			    envs != NULL ? " " : "", key,
			    json_object_get_string(val));
			free(envs);
			envs = next;
		}
	}
	output_field("env", envs);
	free(envs);
	s = cmd_pilot_join(p, "credentials", ", ");
	output_field("credentials", s);
	free(s);
	s = cmd_pilot_number(p, "max_turns", "");
	output_field("max turns", s);
	free(s);
	s = cmd_pilot_number(p, "timeout", "s");
	output_field("timeout", s);
	free(s);
	output_field("created", jsonx_str(p, "created_at"));
	output_field("updated", jsonx_str(p, "updated_at"));
	output_field("id", jsonx_str(p, "id"));
	json_object_put(p);
	return (CMD_RETURN_NORMAL);
}
