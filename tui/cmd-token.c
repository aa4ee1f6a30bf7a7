#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_token_create_exec(struct cmd *);
static enum cmd_retval	cmd_token_list_exec(struct cmd *);
static enum cmd_retval	cmd_token_revoke_exec(struct cmd *);

static const struct option cmd_token_create_options[] = {
	{ "expires", required_argument, NULL, CMD_OPT_EXPIRES },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_token_create_entry = {
	.name = "token",
	.sub = "create",
	.usage = "[NAME] [--expires DURATION]",
	.longopts = cmd_token_create_options,
	.lower = 0,
	.upper = 1,
	.help = "create an API token and print it, the only time it is shown "
	    "(DURATION: Ns, Nm, Nh, Nd or Nw)",
	.exec = cmd_token_create_exec
};

const struct cmd_entry cmd_token_list_entry = {
	.name = "token",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list your API tokens (masked)",
	.exec = cmd_token_list_exec
};

const struct cmd_entry cmd_token_revoke_entry = {
	.name = "token",
	.sub = "revoke",
	.usage = "TOKEN|ID",
	.lower = 1,
	.upper = 1,
	.help = "revoke an API token, given by its id or the token itself",
	.exec = cmd_token_revoke_exec
};

static enum cmd_retval
cmd_token_create_exec(struct cmd *cmd)
{
	struct json_object	*body, *token = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 rv;

	body = json_object_new_object();
	if (cmd->argc == 1)
		json_object_object_add(body, "name",
		    json_object_new_string(cmd->argv[0]));
	if ((rv = cmd_body_expires(cmd, body)) != CMD_RETURN_NORMAL) {
		json_object_put(body);
		return (rv);
	}
	if (client_request(cmd->client, "POST", "/tokens", body, &token,
	    &err) == -1) {
		json_object_put(body);
		return (cmd_fail(&err));
	}
	json_object_put(body);
	if (cmd_print_field(cmd, token, "token") == -1) {
		json_object_put(token);
		return (CMD_RETURN_ERROR);
	}
	cmd_error("token %s created; this is the only time it is shown, "
	    "keep it now", jsonx_str(token, "id") != NULL ?
	    jsonx_str(token, "id") : "");
	json_object_put(token);
	return (CMD_RETURN_NORMAL);
}

static const char *
cmd_token_state(struct json_object *tok, const char *now)
{
	struct json_object	*v;
	const char		*expires;

	if (json_object_object_get_ex(tok, "revoked", &v) &&
	    json_object_get_boolean(v))
		return ("revoked");
	/* Both in the same UTC format, so strings compare as times. */
	if ((expires = jsonx_str(tok, "expires_at")) != NULL &&
	    strcmp(expires, now) <= 0)
		return ("expired");
	return ("active");
}

static enum cmd_retval
cmd_token_list_exec(struct cmd *cmd)
{
	static const char *const headers[] = {
		"ID", "NAME", "TOKEN", "CREATED", "EXPIRES", "LAST USED",
		"STATE"
	};
	struct json_object	*items, *tok;
	struct output_table	*t;
	const char		*state;
	char			*created, *expires, *used, now[32];
	struct tm		 tm;
	enum cmd_retval		 retval;
	time_t			 clock;
	size_t			 i, n;

	if ((items = cmd_list_items(cmd, "/tokens", &retval)) == NULL)
		return (retval);
	clock = time(NULL);
	if (gmtime_r(&clock, &tm) == NULL ||
	    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S.000Z", &tm) == 0)
		now[0] = '\0';
	t = output_table_create(7, headers);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		tok = json_object_array_get_idx(items, i);
		created = cmd_date_minutes(jsonx_str(tok, "created_at"));
		expires = cmd_date_minutes(jsonx_str(tok, "expires_at"));
		used = cmd_date_minutes(jsonx_str(tok, "last_used_at"));
		state = cmd_token_state(tok, now);
		output_table_row(t);
		output_table_cell(t, jsonx_str(tok, "id"), OUTPUT_SGR_DIM);
		output_table_cell(t, jsonx_str(tok, "name") != NULL &&
		    *jsonx_str(tok, "name") != '\0' ? jsonx_str(tok, "name") :
		    "-", NULL);
		output_table_cell(t, jsonx_str(tok, "prefix"), NULL);
		output_table_cell(t, created, NULL);
		output_table_cell(t, expires, NULL);
		output_table_cell(t, used, NULL);
		output_table_cell(t, state, strcmp(state, "active") == 0 ?
		    NULL : OUTPUT_SGR_DIM);
		free(created);
		free(expires);
		free(used);
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_token_revoke_exec(struct cmd *cmd)
{
	struct json_object	*token = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*path;

	path = client_path("/tokens/%s", cmd->argv[0]);
	if (client_request(cmd->client, "DELETE", path, NULL, &token,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, token);
	explicit_bzero(path, strlen(path));
	free(path);
	json_object_put(token);
	return (retval);
}
