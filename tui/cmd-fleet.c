/*
 * Fleets, their members and invitations: ufo fleet, ufo member and
 * ufo invite. Members are named by email or user id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_fleet_create_exec(struct cmd *);
static enum cmd_retval	cmd_fleet_list_exec(struct cmd *);
static enum cmd_retval	cmd_fleet_rename_exec(struct cmd *);
static enum cmd_retval	cmd_fleet_rm_exec(struct cmd *);
static enum cmd_retval	cmd_member_list_exec(struct cmd *);
static enum cmd_retval	cmd_member_role_exec(struct cmd *);
static enum cmd_retval	cmd_member_rm_exec(struct cmd *);
static enum cmd_retval	cmd_invite_list_exec(struct cmd *);
static enum cmd_retval	cmd_invite_revoke_exec(struct cmd *);
static enum cmd_retval	cmd_invite_exec(struct cmd *);

const struct cmd_entry cmd_fleet_create_entry = {
	.name = "fleet",
	.sub = "create",
	.usage = "NAME",
	.lower = 1,
	.upper = 1,
	.help = "create a fleet, with you as its owner",
	.exec = cmd_fleet_create_exec
};

const struct cmd_entry cmd_fleet_list_entry = {
	.name = "fleet",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list your fleets and your role in each",
	.exec = cmd_fleet_list_exec
};

const struct cmd_entry cmd_fleet_rename_entry = {
	.name = "fleet",
	.sub = "rename",
	.usage = "FLEET NAME",
	.lower = 2,
	.upper = 2,
	.help = "rename a fleet (owners)",
	.exec = cmd_fleet_rename_exec
};

const struct cmd_entry cmd_fleet_rm_entry = {
	.name = "fleet",
	.sub = "rm",
	.usage = "FLEET",
	.lower = 1,
	.upper = 1,
	.help = "delete a fleet and everything in it (owners; not the default "
	    "fleet, nor one with active runs or SSH hosts)",
	.exec = cmd_fleet_rm_exec
};

const struct cmd_entry cmd_member_list_entry = {
	.name = "member",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list the members of the fleet and their roles",
	.exec = cmd_member_list_exec
};

const struct cmd_entry cmd_member_role_entry = {
	.name = "member",
	.sub = "role",
	.usage = "USER ROLE",
	.lower = 2,
	.upper = 2,
	.help = "give a member (email or id) the role member, admin or owner "
	    "(admins; the owner role only by owners)",
	.exec = cmd_member_role_exec
};

const struct cmd_entry cmd_member_rm_entry = {
	.name = "member",
	.sub = "rm",
	.usage = "USER",
	.lower = 1,
	.upper = 1,
	.help = "remove a member (email or id) from the fleet; yourself to "
	    "leave it",
	.exec = cmd_member_rm_exec
};

static const struct option cmd_invite_options[] = {
	{ "role", required_argument, NULL, CMD_OPT_ROLE },
	{ "expires", required_argument, NULL, CMD_OPT_EXPIRES },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_invite_list_entry = {
	.name = "invite",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list the fleet's invitations and their state (admins)",
	.exec = cmd_invite_list_exec
};

const struct cmd_entry cmd_invite_revoke_entry = {
	.name = "invite",
	.sub = "revoke",
	.usage = "ID",
	.lower = 1,
	.upper = 1,
	.help = "revoke a pending invitation (admins)",
	.exec = cmd_invite_revoke_exec
};

const struct cmd_entry cmd_invite_entry = {
	.name = "invite",
	.sub = NULL,
	.usage = "EMAIL [--role ROLE] [--expires DURATION]",
	.longopts = cmd_invite_options,
	.lower = 1,
	.upper = 1,
	.help = "invite EMAIL into the fleet as member (default), admin or "
	    "owner and print the one-time code for ufo join (admins; "
	    "DURATION defaults to 7d)",
	.exec = cmd_invite_exec
};

/* A column of a list: the key it shows and whether it is a time. */
struct cmd_fleet_column {
	const char	*header;
	const char	*key;
	int		 time;
};

static const struct cmd_fleet_column cmd_fleet_columns[] = {
	{ "ID", "id", 0 },
	{ "NAME", "name", 0 },
	{ "ROLE", "role", 0 },
	{ "CREATED", "created_at", 1 },
	{ NULL, NULL, 0 }
};

static const struct cmd_fleet_column cmd_member_columns[] = {
	{ "ID", "id", 0 },
	{ "EMAIL", "email", 0 },
	{ "NAME", "name", 0 },
	{ "ROLE", "role", 0 },
	{ "SINCE", "created_at", 1 },
	{ NULL, NULL, 0 }
};

static const struct cmd_fleet_column cmd_invite_columns[] = {
	{ "ID", "id", 0 },
	{ "EMAIL", "email", 0 },
	{ "ROLE", "role", 0 },
	{ "STATE", "state", 0 },
	{ "BY", "created_by", 0 },
	{ "EXPIRES", "expires_at", 1 },
	{ NULL, NULL, 0 }
};

/* Prints the list at path as a table of columns, or as JSON. */
static enum cmd_retval
cmd_fleet_table(struct cmd *cmd, const char *path,
    const struct cmd_fleet_column *cols)
{
	const char		*headers[8], *v;
	struct json_object	*items, *item;
	struct output_table	*t;
	enum cmd_retval		 retval;
	char			 when[17];
	size_t			 i, j, n, ncols = 0;

	if ((items = cmd_list_items(cmd, path, &retval)) == NULL)
		return (retval);
	while (cols[ncols].header != NULL && ncols < 8) {
		headers[ncols] = cols[ncols].header;
		ncols++;
	}
	t = output_table_create(ncols, headers);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(items, i);
		output_table_row(t);
		for (j = 0; j < ncols; j++) {
			v = jsonx_str(item, cols[j].key);
			/* "2026-11-23T18:00:00.123Z" as "2026-11-23 18:00". */
			if (v != NULL && cols[j].time && strlen(v) >= 16) {
				snprintf(when, sizeof when, "%.16s", v);
				when[10] = ' ';
				v = when;
			}
			output_table_cell(t, v != NULL ? v : "-",
			    j == 0 ? OUTPUT_SGR_DIM : NULL);
		}
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

/*
 * Sends method to the path made of fmt and arg (escaped), with body (may
 * be NULL, consumed); prints the answer with --json, else its key show
 * when that is not NULL.
 */
static enum cmd_retval
cmd_fleet_send(struct cmd *cmd, const char *method, const char *fmt,
    const char *arg, struct json_object *body, const char *show)
{
	struct json_object	*answer = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*path;

	path = arg != NULL ? client_path(fmt, arg) : xstrdup(fmt);
	if (client_request(cmd->client, method, path, body, &answer,
	    &err) == -1)
		retval = cmd_fail(&err);
	else if (!cmd->json && show != NULL &&
	    jsonx_str(answer, show) != NULL) {
		printf("%s\n", jsonx_str(answer, show));
		retval = CMD_RETURN_NORMAL;
	} else
		retval = cmd_print_object(cmd, answer);
	free(path);
	json_object_put(body);
	json_object_put(answer);
	return (retval);
}

/* {"key": value}. */
static struct json_object *
cmd_fleet_body(const char *key, const char *value)
{
	struct json_object	*body;

	body = json_object_new_object();
	json_object_object_add(body, key, json_object_new_string(value));
	return (body);
}

static enum cmd_retval
cmd_fleet_create_exec(struct cmd *cmd)
{
	return (cmd_fleet_send(cmd, "POST", "/fleets", NULL,
	    cmd_fleet_body("name", cmd->argv[0]), "id"));
}

static enum cmd_retval
cmd_fleet_list_exec(struct cmd *cmd)
{
	return (cmd_fleet_table(cmd, "/fleets", cmd_fleet_columns));
}

static enum cmd_retval
cmd_fleet_rename_exec(struct cmd *cmd)
{
	return (cmd_fleet_send(cmd, "PATCH", "/fleets/%s", cmd->argv[0],
	    cmd_fleet_body("name", cmd->argv[1]), NULL));
}

static enum cmd_retval
cmd_fleet_rm_exec(struct cmd *cmd)
{
	return (cmd_fleet_send(cmd, "DELETE", "/fleets/%s", cmd->argv[0],
	    NULL, NULL));
}

static enum cmd_retval
cmd_member_list_exec(struct cmd *cmd)
{
	return (cmd_fleet_table(cmd, "/members", cmd_member_columns));
}

static enum cmd_retval
cmd_member_role_exec(struct cmd *cmd)
{
	return (cmd_fleet_send(cmd, "PATCH", "/members/%s", cmd->argv[0],
	    cmd_fleet_body("role", cmd->argv[1]), NULL));
}

static enum cmd_retval
cmd_member_rm_exec(struct cmd *cmd)
{
	return (cmd_fleet_send(cmd, "DELETE", "/members/%s", cmd->argv[0],
	    NULL, NULL));
}

static enum cmd_retval
cmd_invite_list_exec(struct cmd *cmd)
{
	return (cmd_fleet_table(cmd, "/invitations", cmd_invite_columns));
}

static enum cmd_retval
cmd_invite_revoke_exec(struct cmd *cmd)
{
	return (cmd_fleet_send(cmd, "DELETE", "/invitations/%s", cmd->argv[0],
	    NULL, NULL));
}

static enum cmd_retval
cmd_invite_exec(struct cmd *cmd)
{
	struct json_object	*body, *inv = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 rv;
	const char		*v;

	body = cmd_fleet_body("email", cmd->argv[0]);
	if ((v = cmd_get(cmd, CMD_OPT_ROLE)) != NULL)
		json_object_object_add(body, "role", json_object_new_string(v));
	if ((rv = cmd_body_expires(cmd, body)) != CMD_RETURN_NORMAL) {
		json_object_put(body);
		return (rv);
	}
	if (client_request(cmd->client, "POST", "/invitations", body, &inv,
	    &err) == -1) {
		json_object_put(body);
		return (cmd_fail(&err));
	}
	json_object_put(body);
	if (cmd_print_field(cmd, inv, "code") == -1) {
		json_object_put(inv);
		return (CMD_RETURN_ERROR);
	}
	cmd_error("invitation %s for %s as %s, until %s; the code is shown "
	    "only now: give it to them for ufo join", jsonx_str(inv, "id"),
	    jsonx_str(inv, "email"), jsonx_str(inv, "role"),
	    jsonx_str(inv, "expires_at"));
	json_object_put(inv);
	return (CMD_RETURN_NORMAL);
}
