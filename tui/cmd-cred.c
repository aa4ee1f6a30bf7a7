/*
 * ufo cred: the fleet's credentials. A value is read from standard input
 * when it is not a terminal, else from a prompt on /dev/tty that does not
 * echo; it goes to ufod once and is wiped from memory after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

/* As ufod takes them (STORE_CRED_VALUE_MAX); one byte more tells. */
#define CMD_CRED_MAX	(64 * 1024)

static enum cmd_retval	cmd_cred_set_exec(struct cmd *);
static enum cmd_retval	cmd_cred_list_exec(struct cmd *);
static enum cmd_retval	cmd_cred_rm_exec(struct cmd *);

const struct cmd_entry cmd_cred_set_entry = {
	.name = "cred",
	.sub = "set",
	.usage = "NAME ENV_VAR",
	.lower = 2,
	.upper = 2,
	.help = "store a credential handed to pilots as ENV_VAR; the value is "
	    "read from standard input, or a prompt that does not echo",
	.exec = cmd_cred_set_exec
};

const struct cmd_entry cmd_cred_list_entry = {
	.name = "cred",
	.sub = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.help = "list the fleet's credentials: names, variables, who set them "
	    "and when (never values)",
	.exec = cmd_cred_list_exec
};

const struct cmd_entry cmd_cred_rm_entry = {
	.name = "cred",
	.sub = "rm",
	.usage = "NAME",
	.lower = 1,
	.upper = 1,
	.help = "remove a credential",
	.exec = cmd_cred_rm_exec
};

/* Reads fd into buf (size bytes) until its end; the length or -1. */
static ssize_t
cmd_cred_read(int fd, char *buf, size_t size, int line)
{
	size_t	 len = 0;
	ssize_t	 n;

	while (len < size) {
		n = read(fd, buf + len, line ? 1 : size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0)
			break;
		len += (size_t)n;
		if (line && buf[len - 1] == '\n')
			break;
	}
	return ((ssize_t)len);
}

/* The value, from a prompt on the terminal with echo off. */
static ssize_t
cmd_cred_prompt(const char *name, char *buf, size_t size,
    struct ufo_error *err)
{
	struct termios	 old, quiet;
	ssize_t		 n;
	int		 fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		err_set(err, UFO_EINTERNAL, "", "/dev/tty: %s",
		    strerror(errno));
		return (-1);
	}
	if (tcgetattr(fd, &old) == -1) {
		err_set(err, UFO_EINTERNAL, "", "/dev/tty: %s",
		    strerror(errno));
		close(fd);
		return (-1);
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	dprintf(fd, "Value of %s: ", name);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1) {
		err_set(err, UFO_EINTERNAL, "", "/dev/tty: %s",
		    strerror(errno));
		close(fd);
		return (-1);
	}
	n = cmd_cred_read(fd, buf, size, 1);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	close(fd);
	if (n == -1)
		err_set(err, UFO_EINTERNAL, "", "/dev/tty: %s",
		    strerror(errno));
	return (n);
}

static enum cmd_retval
cmd_cred_set_exec(struct cmd *cmd)
{
	struct json_object	*body, *cred = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*buf, *path;
	ssize_t			 n;

	buf = xmalloc(CMD_CRED_MAX + 2);
	if (isatty(STDIN_FILENO))
		n = cmd_cred_prompt(cmd->argv[0], buf, CMD_CRED_MAX + 1, &err);
	else if ((n = cmd_cred_read(STDIN_FILENO, buf, CMD_CRED_MAX + 1,
	    0)) == -1)
		err_set(&err, UFO_EINTERNAL, "", "stdin: %s", strerror(errno));
	if (n == -1) {
		free(buf);
		return (cmd_fail(&err));
	}
	/* One trailing newline is the end of the line, not the value. */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > CMD_CRED_MAX) {
		explicit_bzero(buf, CMD_CRED_MAX + 2);
		free(buf);
		cmd_error("the value is longer than %d KiB", CMD_CRED_MAX /
		    1024);
		return (CMD_RETURN_ERROR);
	}
	body = json_object_new_object();
	json_object_object_add(body, "env",
	    json_object_new_string(cmd->argv[1]));
	json_object_object_add(body, "value",
	    json_object_new_string_len(buf, (int)n));
	explicit_bzero(buf, CMD_CRED_MAX + 2);
	free(buf);

	path = client_path("/credentials/%s", cmd->argv[0]);
	if (client_request(cmd->client, "PUT", path, body, &cred,
	    &err) == -1)
		retval = cmd_fail(&err);
	else if (cmd->json)
		retval = cmd_print_object(cmd, cred);
	else {
		printf("%s\n", jsonx_str(cred, "name") != NULL ?
		    jsonx_str(cred, "name") : cmd->argv[0]);
		retval = CMD_RETURN_NORMAL;
	}
	jsonx_wipe(body);
	json_object_put(body);
	json_object_put(cred);
	free(path);
	return (retval);
}

static enum cmd_retval
cmd_cred_list_exec(struct cmd *cmd)
{
	static const char *const headers[] = {
		"NAME", "ENV", "SET BY", "UPDATED"
	};
	struct json_object	*items, *c;
	struct output_table	*t;
	enum cmd_retval		 retval;
	char			*updated;
	size_t			 i, n;

	if ((items = cmd_list_items(cmd, "/credentials", &retval)) == NULL)
		return (retval);
	t = output_table_create(4, headers);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(items, i);
		updated = cmd_date_minutes(jsonx_str(c, "updated_at"));
		output_table_row(t);
		output_table_cell(t, jsonx_str(c, "name"), OUTPUT_SGR_CODE);
		output_table_cell(t, jsonx_str(c, "env"), NULL);
		output_table_cell(t, jsonx_str(c, "updated_by") != NULL ?
		    jsonx_str(c, "updated_by") : "-", NULL);
		output_table_cell(t, updated, NULL);
		free(updated);
	}
	output_table_print(t);
	output_table_free(t);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_cred_rm_exec(struct cmd *cmd)
{
	struct json_object	*cred = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*path;

	path = client_path("/credentials/%s", cmd->argv[0]);
	if (client_request(cmd->client, "DELETE", path, NULL, &cred,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, cred);
	free(path);
	json_object_put(cred);
	return (retval);
}
