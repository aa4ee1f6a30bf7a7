#include <stdio.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"

static enum cmd_retval	cmd_ssh_key_exec(struct cmd *);

const struct cmd_entry cmd_ssh_key_entry = {
	.name = "ssh-key",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "print ufod's own SSH public key as an authorized_keys line "
	    "(the key is made on first use)",
	.exec = cmd_ssh_key_exec
};

static enum cmd_retval
cmd_ssh_key_exec(struct cmd *cmd)
{
	struct json_object	*out = NULL;
	struct ufo_error	 err;
	const char		*line;

	if (client_request(cmd->client, "GET", "/ssh-key", NULL, &out,
	    &err) == -1)
		return (cmd_fail(&err));
	if ((line = jsonx_str(out, "authorized_key")) == NULL) {
		json_object_put(out);
		cmd_error("the answer holds no key");
		return (CMD_RETURN_ERROR);
	}
	if (cmd->json)
		output_json(out);
	else
		printf("%s\n", line);
	json_object_put(out);
	return (CMD_RETURN_NORMAL);
}
