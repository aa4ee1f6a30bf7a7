#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_rover_code_exec(struct cmd *);
static enum cmd_retval	cmd_rover_list_exec(struct cmd *);
static enum cmd_retval	cmd_rover_show_exec(struct cmd *);
static enum cmd_retval	cmd_rover_edit_exec(struct cmd *);
static enum cmd_retval	cmd_rover_remove_exec(struct cmd *);

static const struct cmd_kind cmd_rover_kind = {
	.noun = "rover",
	.path = "/rovers",
	.prefix = "rov_",
	.name = "name"
};

static const struct option cmd_rover_code_options[] = {
	{ "uses", required_argument, NULL, CMD_OPT_USES },
	{ "expires", required_argument, NULL, CMD_OPT_EXPIRES },
	{ "tag", required_argument, NULL, CMD_OPT_TAG },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_rover_code_entry = {
	.name = "rover",
	.sub = "code",
	.usage = "[--uses N] [--expires DURATION] [--tag TAG]...",
	.longopts = cmd_rover_code_options,
	.lower = 0,
	.upper = 0,
	.help = "create an enrollment code for ufo-rover enroll and print it, "
	    "the only time it is shown",
	.exec = cmd_rover_code_exec
};

const struct cmd_entry cmd_rover_list_entry = {
	.name = "rover",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list the rovers: state, units in use, tags, version, last "
	    "seen",
	.exec = cmd_rover_list_exec
};

const struct cmd_entry cmd_rover_show_entry = {
	.name = "rover",
	.sub = "show",
	.usage = "ROVER",
	.lower = 1,
	.upper = 1,
	.help = "show a rover",
	.exec = cmd_rover_show_exec
};

static const struct option cmd_rover_edit_options[] = {
	{ "name", required_argument, NULL, CMD_OPT_NAME },
	{ "tag", required_argument, NULL, CMD_OPT_TAG },
	{ "units", required_argument, NULL, CMD_OPT_UNITS },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_rover_edit_entry = {
	.name = "rover",
	.sub = "edit",
	.usage = "ROVER [--name NAME] [--tag TAG]... [--units N]",
	.longopts = cmd_rover_edit_options,
	.lower = 1,
	.upper = 1,
	.help = "rename a rover, replace its tags (--tag \"\" clears them) or "
	    "change its units",
	.exec = cmd_rover_edit_exec
};

const struct cmd_entry cmd_rover_remove_entry = {
	.name = "rover",
	.sub = "remove",
	.usage = "ROVER",
	.lower = 1,
	.upper = 1,
	.help = "revoke a rover: its token stops working and its runs are "
	    "queued again; or give up an SSH host that serves none yet",
	.exec = cmd_rover_remove_exec
};

static const char *
cmd_rover_or_dash(const char *s)
{
	return (s != NULL && *s != '\0' ? s : "-");
}

/* "12s ago", or "-" when never. */
static char *
cmd_rover_ago(const char *ts)
{
	char	*s;

	if ((s = output_ago(ts, (int64_t)time(NULL))) == NULL)
		s = xstrdup(cmd_rover_or_dash(ts));
	return (s);
}

/* The server URL a rover enrolls with: this client's, in its words. */
static char *
cmd_rover_server(struct cmd *cmd)
{
	if (client_local(cmd->client))
		return (xprintf("unix:%s", client_socket(cmd->client)));
	return (xstrdup(client_where(cmd->client)));
}

static enum cmd_retval
cmd_rover_code_exec(struct cmd *cmd)
{
	struct json_object	*body, *code = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 rv;
	const char		*v, *expires;
	char			*server, *uses;
	int64_t			 n;

	body = json_object_new_object();
	if ((v = cmd_get(cmd, CMD_OPT_USES)) != NULL) {
		if (cmd_number_parse(v, 1, INT32_MAX, &n) == -1) {
			json_object_put(body);
			return (cmd_usage(cmd, "invalid --uses \"%s\" "
			    "(expected a positive number)", v));
		}
		json_object_object_add(body, "uses", json_object_new_int64(n));
	}
	if ((rv = cmd_body_expires(cmd, body)) != CMD_RETURN_NORMAL ||
	    (rv = cmd_body_tags(cmd, body)) != CMD_RETURN_NORMAL) {
		json_object_put(body);
		return (rv);
	}

	if (client_request(cmd->client, "POST", "/rover-codes", body, &code,
	    &err) == -1) {
		json_object_put(body);
		return (cmd_fail(&err));
	}
	json_object_put(body);
	if (cmd_print_field(cmd, code, "code") == -1) {
		json_object_put(code);
		return (CMD_RETURN_ERROR);
	}

	n = jsonx_int(code, "uses", 1);
	uses = xprintf("%lld use%s", (long long)n, n == 1 ? "" : "s");
	expires = jsonx_str(code, "expires_at");
	cmd_error("code %s created (%s%s%s); this is the only time it is "
	    "shown", cmd_rover_or_dash(jsonx_str(code, "id")), uses,
	    expires != NULL ? ", expires " : "",
	    expires != NULL ? expires : "");
	server = cmd_rover_server(cmd);
	cmd_error("on the rover's host: ufo-rover enroll --server %s --code "
	    "CODE", server);
	free(server);
	free(uses);
	json_object_put(code);
	return (CMD_RETURN_NORMAL);
}

/* The transport cell: ssh USER@HOST:PORT STATE[: last error]. */
static char *
cmd_rover_ssh_cell(const char *target, struct json_object *ssh)
{
	const char	*e = jsonx_str(ssh, "last_error");

	return (xprintf("ssh %s %s%s%s", target,
	    cmd_rover_or_dash(jsonx_str(ssh, "state")), e != NULL ? ": " : "",
	    e != NULL ? e : ""));
}

/* A new row of rover list: the name and short id of o. */
static void
cmd_rover_list_row(struct output_table *t, struct json_object *o)
{
	char	*s;

	output_table_row(t);
	output_table_cell(t, cmd_rover_or_dash(jsonx_str(o, "name")),
	    OUTPUT_SGR_CODE);
	s = cmd_short_id(jsonx_str(o, "id"));
	output_table_cell(t, s, OUTPUT_SGR_DIM);
	free(s);
}

/* A host that serves no rover yet: its connection is all there is. */
static void
cmd_rover_list_host(struct output_table *t, struct json_object *h)
{
	const char	*host;
	char		*s, *target;
	int		 v6;

	cmd_rover_list_row(t, h);
	output_table_cell(t, "pending", output_status_sgr("pending"));
	output_table_cell(t, "-", NULL);
	s = output_tags(h, OUTPUT_TAGS_ALL, ",");
	output_table_cell(t, cmd_rover_or_dash(s), NULL);
	free(s);
	output_table_cell(t, "-", NULL);
	output_table_cell(t, "never", NULL);
	/* An IPv6 address in brackets, as the rovers' targets have it. */
	host = cmd_rover_or_dash(jsonx_str(h, "host"));
	v6 = strchr(host, ':') != NULL;
	target = xprintf("%s@%s%s%s:%lld", cmd_rover_or_dash(jsonx_str(h,
	    "user")), v6 ? "[" : "", host, v6 ? "]" : "",
	    (long long)jsonx_int(h, "port", 22));
	s = cmd_rover_ssh_cell(target, h);
	output_table_cell(t, s, NULL);
	free(s);
	free(target);
}

static enum cmd_retval
cmd_rover_list_exec(struct cmd *cmd)
{
	static const char *const headers[] = {
		"NAME", "ID", "STATE", "UNITS", "TAGS", "VERSION", "LAST-SEEN",
		"TRANSPORT"
	};
	struct json_object	*ssh, *hosts;
	struct json_object	*items, *r;
	struct output_table	*t;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	const char		*state;
	char			*s;
	size_t			 i, n;

	if ((items = cmd_list_items(cmd, "/rovers", &retval)) == NULL)
		return (retval);
	if (client_list(cmd->client, "/ssh-hosts", 1, &hosts, &err) == -1) {
		json_object_put(items);
		return (cmd_fail(&err));
	}
	t = output_table_create(8, headers);
	output_table_flex(t, 4);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(items, i);
		state = jsonx_str(r, "state");
		cmd_rover_list_row(t, r);
		output_table_cell(t, cmd_rover_or_dash(state),
		    output_status_sgr(state));
		s = xprintf("%lld/%lld", (long long)jsonx_int(r, "units_busy",
		    0), (long long)jsonx_int(r, "units", 0));
		output_table_cell(t, s, NULL);
		free(s);
		s = output_tags(r, OUTPUT_TAGS_ALL, ",");
		output_table_cell(t, cmd_rover_or_dash(s), NULL);
		free(s);
		output_table_cell(t, cmd_rover_or_dash(jsonx_str(r, "version")),
		    NULL);
		s = cmd_rover_ago(jsonx_str(r, "last_seen_at"));
		output_table_cell(t, s, NULL);
		free(s);
		ssh = json_object_object_get(r, "ssh");
		if (ssh != NULL && jsonx_str(ssh, "target") != NULL)
			s = cmd_rover_ssh_cell(jsonx_str(ssh, "target"), ssh);
		else
			s = xstrdup("direct");
		output_table_cell(t, s, NULL);
		free(s);
	}
	n = json_object_array_length(hosts);
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(hosts, i);
		if (jsonx_str(r, "rover_id") == NULL)
			cmd_rover_list_host(t, r);
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(items);
	json_object_put(hosts);
	return (CMD_RETURN_NORMAL);
}

static void
cmd_rover_show_print(struct json_object *r)
{
	const char	*state, *seen;
	char		*s, *ago;

	state = jsonx_str(r, "state");
	output_field("name", jsonx_str(r, "name"));
	output_field_sgr("state", state, output_status_sgr(state));
	s = xprintf("%lld busy of %lld", (long long)jsonx_int(r, "units_busy",
	    0), (long long)jsonx_int(r, "units", 0));
	output_field("units", s);
	free(s);
	s = output_tags(r, OUTPUT_TAGS_OWN, ", ");
	output_field("tags", cmd_rover_or_dash(s));
	free(s);
	s = output_tags(r, OUTPUT_TAGS_AUTO, ", ");
	output_field("auto tags", cmd_rover_or_dash(s));
	free(s);
	output_field("version", jsonx_str(r, "version"));
	output_field("host", jsonx_str(r, "host"));
	if ((seen = jsonx_str(r, "last_seen_at")) != NULL) {
		ago = cmd_rover_ago(seen);
		s = xprintf("%s (%s)", seen, ago);
		output_field("last seen", s);
		free(s);
		free(ago);
	} else
		output_field("last seen", NULL);
	output_field("created", jsonx_str(r, "created_at"));
	output_field("id", jsonx_str(r, "id"));
}

static enum cmd_retval
cmd_rover_show_exec(struct cmd *cmd)
{
	struct json_object	*r;
	struct ufo_error	 err;

	if (cmd_resolve(cmd, &cmd_rover_kind, cmd->argv[0], &r, &err) == -1)
		return (cmd_fail(&err));
	if (cmd->json)
		output_json(r);
	else
		cmd_rover_show_print(r);
	json_object_put(r);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_rover_edit_exec(struct cmd *cmd)
{
	struct json_object	*patch, *tags, *r, *out = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	const char		*v;
	char			*path;
	int64_t			 units;
	size_t			 i = 0;

	if (cmd_get(cmd, CMD_OPT_NAME) == NULL &&
	    cmd_count(cmd, CMD_OPT_TAG) == 0 &&
	    cmd_get(cmd, CMD_OPT_UNITS) == NULL)
		return (cmd_usage(cmd, "nothing to change (give --name, --tag "
		    "or --units)"));
	patch = json_object_new_object();
	if ((v = cmd_get(cmd, CMD_OPT_UNITS)) != NULL) {
		if (cmd_number_parse(v, 0, INT32_MAX, &units) == -1) {
			json_object_put(patch);
			return (cmd_usage(cmd, "invalid --units \"%s\" "
			    "(expected a number of concurrent runs)", v));
		}
		json_object_object_add(patch, "units",
		    json_object_new_int64(units));
	}
	if ((v = cmd_get(cmd, CMD_OPT_NAME)) != NULL) {
		if (*v == '\0') {
			json_object_put(patch);
			return (cmd_usage(cmd, "empty --name"));
		}
		json_object_object_add(patch, "name",
		    json_object_new_string(v));
	}
	if (cmd_count(cmd, CMD_OPT_TAG) > 0) {
		/* The tags given replace the user tags; "" alone clears. */
		tags = json_object_new_array();
		while ((v = cmd_next(cmd, CMD_OPT_TAG, &i)) != NULL) {
			if (*v != '\0')
				json_object_array_add(tags,
				    json_object_new_string(v));
		}
		json_object_object_add(patch, "tags", tags);
	}

	if (cmd_resolve(cmd, &cmd_rover_kind, cmd->argv[0], &r, &err) == -1) {
		json_object_put(patch);
		return (cmd_fail(&err));
	}
	path = client_path("/rovers/%s", jsonx_str(r, "id") != NULL ?
	    jsonx_str(r, "id") : cmd->argv[0]);
	json_object_put(r);
	if (client_request(cmd->client, "PATCH", path, patch, &out,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, out);
	free(path);
	json_object_put(patch);
	json_object_put(out);
	return (retval);
}

/*
 * A rover by name or id; failing that, an SSH host that serves no rover
 * yet (still retrying its first connection, or failed), which is given up.
 */
static enum cmd_retval
cmd_rover_remove_exec(struct cmd *cmd)
{
	struct json_object	*r, *out = NULL;
	struct ufo_error	 err, herr;
	enum cmd_retval		 retval;
	char			*path;

	if (cmd_resolve(cmd, &cmd_rover_kind, cmd->argv[0], &r, &err) == -1) {
		if (err.code != UFO_ENOTFOUND)
			return (cmd_fail(&err));
		path = client_path("/ssh-hosts/%s", cmd->argv[0]);
		if (client_request(cmd->client, "DELETE", path, NULL, &out,
		    &herr) == -1)
			retval = cmd_fail(herr.code == UFO_ENOTFOUND ? &err :
			    &herr);
		else
			retval = cmd_print_object(cmd, out);
		free(path);
		json_object_put(out);
		return (retval);
	}
	path = client_path("/rovers/%s", jsonx_str(r, "id") != NULL ?
	    jsonx_str(r, "id") : cmd->argv[0]);
	json_object_put(r);
	if (client_request(cmd->client, "DELETE", path, NULL, &out,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, out);
	free(path);
	json_object_put(out);
	return (retval);
}
