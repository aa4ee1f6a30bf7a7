#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_mission_create_exec(struct cmd *);
static enum cmd_retval	cmd_mission_list_exec(struct cmd *);
static enum cmd_retval	cmd_mission_show_exec(struct cmd *);

static const struct option cmd_mission_create_options[] = {
	{ "repo", required_argument, NULL, CMD_OPT_REPO },
	{ "branch", required_argument, NULL, CMD_OPT_BRANCH },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_mission_create_entry = {
	.name = "mission",
	.sub = "create",
	.usage = "KEY NAME [--repo URL|PATH] [--branch B]",
	.longopts = cmd_mission_create_options,
	.lower = 2,
	.upper = 2,
	.help = "create a mission (KEY: 1-10 upper-case letters and digits) "
	    "with an optional git source",
	.exec = cmd_mission_create_exec
};

const struct cmd_entry cmd_mission_list_entry = {
	.name = "mission",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list the missions of the fleet",
	.exec = cmd_mission_list_exec
};

const struct cmd_entry cmd_mission_show_entry = {
	.name = "mission",
	.sub = "show",
	.usage = "KEY",
	.lower = 1,
	.upper = 1,
	.help = "show a mission",
	.exec = cmd_mission_show_exec
};

/*
 * A repository given as a relative local path means one relative to here,
 * not to ufod's working directory: make it absolute. URLs ("x://…") and
 * scp-like "host:path" go as they are.
 */
static char *
cmd_mission_repo(const char *repo, struct ufo_error *err)
{
	char	 cwd[PATH_MAX];
	size_t	 colon;

	colon = strcspn(repo, ":/");
	if (*repo == '/' || strstr(repo, "://") != NULL || repo[colon] == ':')
		return (xstrdup(repo));
	if (getcwd(cwd, sizeof cwd) == NULL) {
		err_set(err, UFO_EINTERNAL, "", "getcwd: %s", strerror(errno));
		return (NULL);
	}
	if (strcmp(repo, ".") == 0)
		return (xstrdup(cwd));
	if (strncmp(repo, "./", 2) == 0)
		repo += 2;
	return (xprintf("%s/%s", cwd, repo));
}

static enum cmd_retval
cmd_mission_create_exec(struct cmd *cmd)
{
	struct json_object	*body, *mission = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	const char		*v;
	char			*repo;

	body = json_object_new_object();
	json_object_object_add(body, "key",
	    json_object_new_string(cmd->argv[0]));
	json_object_object_add(body, "name",
	    json_object_new_string(cmd->argv[1]));
	if ((v = cmd_get(cmd, CMD_OPT_REPO)) != NULL) {
		if ((repo = cmd_mission_repo(v, &err)) == NULL) {
			json_object_put(body);
			return (cmd_fail(&err));
		}
		json_object_object_add(body, "repo",
		    json_object_new_string(repo));
		free(repo);
	}
	if ((v = cmd_get(cmd, CMD_OPT_BRANCH)) != NULL)
		json_object_object_add(body, "branch",
		    json_object_new_string(v));
	if (client_request(cmd->client, "POST", "/missions", body, &mission,
	    &err) == -1)
		retval = cmd_fail(&err);
	else {
		if (cmd->json)
			output_json(mission);
		else if ((v = jsonx_str(mission, "key")) != NULL)
			printf("%s\n", v);
		retval = CMD_RETURN_NORMAL;
	}
	json_object_put(body);
	json_object_put(mission);
	return (retval);
}

static enum cmd_retval
cmd_mission_list_exec(struct cmd *cmd)
{
	static const char *const headers[] = {
		"KEY", "NAME", "NEXT", "REPO", "BRANCH"
	};
	struct json_object	*items, *m;
	struct output_table	*t;
	enum cmd_retval		 retval;
	char			*next;
	size_t			 i, n;

	if ((items = cmd_list_items(cmd, "/missions", &retval)) == NULL)
		return (retval);
	t = output_table_create(5, headers);
	output_table_flex(t, 1);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(items, i);
		next = xprintf("%s-%lld", jsonx_str(m, "key") != NULL ?
		    jsonx_str(m, "key") : "?",
		    (long long)jsonx_int(m, "next_number", 1));
		output_table_row(t);
		output_table_cell(t, jsonx_str(m, "key"), OUTPUT_SGR_CODE);
		output_table_cell(t, jsonx_str(m, "name"), NULL);
		output_table_cell(t, next, OUTPUT_SGR_DIM);
		output_table_cell(t, jsonx_str(m, "repo") != NULL ?
		    jsonx_str(m, "repo") : "-", NULL);
		output_table_cell(t, jsonx_str(m, "branch") != NULL ?
		    jsonx_str(m, "branch") : "-", NULL);
		free(next);
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_mission_show_exec(struct cmd *cmd)
{
	struct json_object	*m;
	struct ufo_error	 err;
	char			*path, *next;

	path = client_path("/missions/%s", cmd->argv[0]);
	if (client_get(cmd->client, path, &m, &err) == -1) {
		free(path);
		return (cmd_fail(&err));
	}
	free(path);
	if (cmd->json)
		output_json(m);
	else {
		output_field("key", jsonx_str(m, "key"));
		output_field("name", jsonx_str(m, "name"));
		output_field("repo", jsonx_str(m, "repo"));
		output_field("branch", jsonx_str(m, "branch"));
		next = xprintf("%s-%lld", jsonx_str(m, "key") != NULL ?
		    jsonx_str(m, "key") : "?",
		    (long long)jsonx_int(m, "next_number", 1));
		output_field("next", next);
		free(next);
		output_field("created", jsonx_str(m, "created_at"));
		output_field("updated", jsonx_str(m, "updated_at"));
		output_field("id", jsonx_str(m, "id"));
	}
	json_object_put(m);
	return (CMD_RETURN_NORMAL);
}
