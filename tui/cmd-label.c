#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"

static enum cmd_retval	cmd_label_list_exec(struct cmd *);
static enum cmd_retval	cmd_label_create_exec(struct cmd *);

const struct cmd_entry cmd_label_list_entry = {
	.name = "label",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list the labels of the fleet",
	.exec = cmd_label_list_exec
};

static const struct option cmd_label_create_options[] = {
	{ "color", required_argument, NULL, CMD_OPT_COLOR },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_label_create_entry = {
	.name = "label",
	.sub = "create",
	.usage = "NAME [--color C]",
	.longopts = cmd_label_create_options,
	.lower = 1,
	.upper = 1,
	.help = "create a label (operations also create labels they are "
	    "given)",
	.exec = cmd_label_create_exec
};

static enum cmd_retval
cmd_label_list_exec(struct cmd *cmd)
{
	static const char *const headers[] = { "NAME", "COLOR" };
	struct json_object	*items, *l;
	struct output_table	*t;
	enum cmd_retval		 retval;
	size_t			 i, n;

	if ((items = cmd_list_items(cmd, "/labels", &retval)) == NULL)
		return (retval);
	t = output_table_create(2, headers);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		l = json_object_array_get_idx(items, i);
		output_table_row(t);
		output_table_cell(t, jsonx_str(l, "name"), NULL);
		output_table_cell(t, jsonx_str(l, "color") != NULL ?
		    jsonx_str(l, "color") : "-", NULL);
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_label_create_exec(struct cmd *cmd)
{
	struct json_object	*body, *label = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	const char		*v;

	body = json_object_new_object();
	json_object_object_add(body, "name",
	    json_object_new_string(cmd->argv[0]));
	if ((v = cmd_get(cmd, CMD_OPT_COLOR)) != NULL)
		json_object_object_add(body, "color",
		    json_object_new_string(v));
	if (client_request(cmd->client, "POST", "/labels", body, &label,
	    &err) == -1)
		retval = cmd_fail(&err);
	else {
		if (cmd->json)
			output_json(label);
		else if ((v = jsonx_str(label, "name")) != NULL)
			printf("%s\n", v);
		retval = CMD_RETURN_NORMAL;
	}
	json_object_put(body);
	json_object_put(label);
	return (retval);
}
