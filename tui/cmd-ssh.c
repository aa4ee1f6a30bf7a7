#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "conf.h"
#include "output.h"
#include "ssh-url.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_ssh_key_exec(struct cmd *);
static enum cmd_retval	cmd_ssh_add_exec(struct cmd *);

#define CMD_SSH_WAIT_SECS	120

static const struct option cmd_ssh_add_options[] = {
	{ "name", required_argument, NULL, CMD_OPT_NAME },
	{ "tag", required_argument, NULL, CMD_OPT_TAG },
	{ "accept-new", no_argument, NULL, CMD_OPT_ACCEPT_NEW },
	{ "direct", required_argument, NULL, CMD_OPT_DIRECT },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_rover_add_entry = {
	.name = "rover",
	.sub = "add",
	.usage = "ssh://[USER@]HOST[:PORT] [--name NAME] [--tag TAG]... "
	    "[--accept-new] [-i KEY] [--direct URL]",
	.opts = "i:",
	.longopts = cmd_ssh_add_options,
	.lower = 1,
	.upper = 1,
	.help = "install, start and tunnel a rover on a host over SSH, and "
	    "wait until it is online",
	.exec = cmd_ssh_add_exec
};

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
	int			 rc;

	if (client_request(cmd->client, "GET", "/ssh-key", NULL, &out,
	    &err) == -1)
		return (cmd_fail(&err));
	rc = cmd_print_field(cmd, out, "authorized_key");
	json_object_put(out);
	return (rc == 0 ? CMD_RETURN_NORMAL : CMD_RETURN_ERROR);
}

/* ssh://[USER@]HOST[:PORT] into the request body; -1 when malformed. */
static int
cmd_ssh_parse(const char *text, struct json_object *body, char *why,
    size_t size)
{
	struct ssh_url	 url;
	struct passwd	*pw;
	const char	*user;

	if (ssh_url_parse(text, &url, why, size) == -1)
		return (-1);
	if ((user = url.user) == NULL && (user = getenv("USER")) == NULL) {
		pw = getpwuid(getuid());
		user = pw != NULL ? pw->pw_name : "root";
	}
	json_object_object_add(body, "user", json_object_new_string(user));
	json_object_object_add(body, "host", json_object_new_string(url.host));
	json_object_object_add(body, "port", json_object_new_int(url.port));
	ssh_url_free(&url);
	return (0);
}

/* A rover name from a host name: its valid characters, '-' for others. */
static char *
cmd_ssh_name(const char *host)
{
	char	*name, *p;

	name = xstrdup(host);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL)
			*p = '-';
	if (!isalnum((unsigned char)name[0]))
		name[0] = 'h';
	return (name);
}

static enum cmd_retval
cmd_ssh_add_exec(struct cmd *cmd)
{
	struct json_object	*body, *out = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 rv;
	const char		*v, *state = NULL;
	char			*path, *name, *key, why[256];
	int			 waited;

	body = json_object_new_object();
	if (cmd_ssh_parse(cmd->argv[0], body, why, sizeof why) == -1) {
		json_object_put(body);
		return (cmd_usage(cmd, "invalid host \"%s\": %s (expected "
		    "ssh://[USER@]HOST[:PORT], HOST a name, an address or "
		    "[IPv6], PORT 1 to 65535)", cmd->argv[0], why));
	}
	if ((v = cmd_get(cmd, CMD_OPT_NAME)) != NULL && *v == '\0') {
		json_object_put(body);
		return (cmd_usage(cmd, "empty --name"));
	}
	name = v != NULL ? xstrdup(v) :
	    cmd_ssh_name(jsonx_str(body, "host"));
	json_object_object_add(body, "name", json_object_new_string(name));
	free(name);
	if ((rv = cmd_body_tags(cmd, body)) != CMD_RETURN_NORMAL) {
		json_object_put(body);
		return (rv);
	}
	if (cmd_count(cmd, CMD_OPT_ACCEPT_NEW) > 0)
		json_object_object_add(body, "accept_new",
		    json_object_new_boolean(1));
	if ((v = cmd_get(cmd, 'i')) != NULL) {
		if (*v == '\0') {
			json_object_put(body);
			return (cmd_usage(cmd, "empty -i"));
		}
		/* ufod may run elsewhere: the path is made absolute here. */
		key = conf_expand_path(v);
		json_object_object_add(body, "identity",
		    json_object_new_string(key));
		free(key);
	}
	if ((v = cmd_get(cmd, CMD_OPT_DIRECT)) != NULL) {
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0) {
			json_object_put(body);
			return (cmd_usage(cmd, "invalid --direct \"%s\" "
			    "(expected an http:// or https:// URL)", v));
		}
		json_object_object_add(body, "direct",
		    json_object_new_string(v));
	}
	if (client_request(cmd->client, "POST", "/ssh-hosts", body, &out,
	    &err) == -1) {
		json_object_put(body);
		return (cmd_fail(&err));
	}
	json_object_put(body);
	path = client_path("/ssh-hosts/%s", jsonx_str(out, "id"));
	for (waited = 0; waited < CMD_SSH_WAIT_SECS * 10; waited++) {
		state = jsonx_str(out, "state");
		if (state != NULL && (strcmp(state, "online") == 0 ||
		    strcmp(state, "failed") == 0))
			break;
		usleep(100000);
		json_object_put(out);
		out = NULL;
		if (client_request(cmd->client, "GET", path, NULL, &out,
		    &err) == -1) {
			free(path);
			return (cmd_fail(&err));
		}
	}
	free(path);
	v = jsonx_str(out, "last_error");
	if (state != NULL && strcmp(state, "failed") == 0) {
		cmd_error("%s: %s", cmd->argv[0], v != NULL ? v : "failed");
		json_object_put(out);
		return (CMD_RETURN_ERROR);
	}
	if (state == NULL || strcmp(state, "online") != 0) {
		/* The host is kept: ufod goes on trying. */
		cmd_error("%s: not online after %d seconds (%s%s%s); ufod "
		    "keeps trying: `ufo rover list` shows it, `ufo rover "
		    "remove %s` gives it up", cmd->argv[0], CMD_SSH_WAIT_SECS,
		    state != NULL ? state : "?", v != NULL ? ": " : "",
		    v != NULL ? v : "", jsonx_str(out, "name"));
		json_object_put(out);
		return (CMD_RETURN_ERROR);
	}
	if (cmd->json)
		output_json(out);
	else
		printf("%s\n", jsonx_str(out, "rover_id"));
	json_object_put(out);
	return (CMD_RETURN_NORMAL);
}
