/*
 * Logging in: ufo login and ufo join exchange a password (and an
 * invitation code) for a token kept in the token file; ufo passwd sets
 * the caller's password. Passwords are read from the terminal without
 * echo, or as lines of standard input when it is not a terminal.
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
#include "conf.h"
#include "jsonx.h"
#include "output.h"
#include "tokenfile.h"
#include "xmalloc.h"

#define CMD_ACCOUNT_LINE_MAX	4096

static enum cmd_retval	cmd_login_exec(struct cmd *);
static enum cmd_retval	cmd_join_exec(struct cmd *);
static enum cmd_retval	cmd_passwd_exec(struct cmd *);

static const struct option cmd_login_options[] = {
	{ "email", required_argument, NULL, CMD_OPT_EMAIL },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_join_options[] = {
	{ "email", required_argument, NULL, CMD_OPT_EMAIL },
	{ "name", required_argument, NULL, CMD_OPT_NAME },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_login_entry = {
	.name = "login",
	.sub = NULL,
	.usage = "URL [--email EMAIL]",
	.longopts = cmd_login_options,
	.lower = 1,
	.upper = 1,
	.flags = CMD_NOSTART | CMD_SERVERARG,
	.help = "log in to the ufod at URL with your email and password and "
	    "keep the token for later --server URL",
	.exec = cmd_login_exec
};

const struct cmd_entry cmd_join_entry = {
	.name = "join",
	.sub = NULL,
	.usage = "URL CODE [--email EMAIL] [--name NAME]",
	.longopts = cmd_join_options,
	.lower = 2,
	.upper = 2,
	.flags = CMD_NOSTART | CMD_SERVERARG,
	.help = "accept an invitation to a fleet of the ufod at URL (a new "
	    "account takes the password given) and keep the token like login",
	.exec = cmd_join_exec
};

const struct cmd_entry cmd_passwd_entry = {
	.name = "passwd",
	.sub = NULL,
	.usage = "",
	.lower = 0,
	.upper = 0,
	.flags = CMD_NOSTART,
	.help = "set your password (over TCP, the current one is asked first)",
	.exec = cmd_passwd_exec
};

/* One line from f without its newline; NULL at end of file. */
static char *
cmd_account_getline(FILE *f)
{
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	if ((n = getline(&line, &size, f)) == -1) {
		free(line);
		return (NULL);
	}
	line[strcspn(line, "\r\n")] = '\0';
	return (line);
}

/*
 * Asks for a line: on the terminal (without echo when secret) when
 * standard input is one, else the next line of standard input.
 */
static char *
cmd_account_ask(const char *prompt, int secret, struct ufo_error *err)
{
	struct termios	 saved, quiet;
	FILE		*tty;
	char		*line;
	int		 fd, restore = 0;

	if (!isatty(STDIN_FILENO)) {
		if ((line = cmd_account_getline(stdin)) == NULL)
			err_set(err, UFO_EINVAL, "", "standard input ended "
			    "before the %s", prompt);
		return (line);
	}
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1 ||
	    (tty = fdopen(fd, "r+")) == NULL) {
		err_set(err, UFO_EINTERNAL, "", "/dev/tty: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (NULL);
	}
	fprintf(tty, "%s: ", prompt);
	fflush(tty);
	if (secret && tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	line = cmd_account_getline(tty);
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &saved);
		fputc('\n', tty);
	}
	fclose(tty);
	if (line == NULL)
		err_set(err, UFO_EINVAL, "", "no %s given", prompt);
	return (line);
}

/* Forgets a secret (NULL is fine). */
static void
cmd_account_forget(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* The email of --email, else asked for. */
static char *
cmd_account_email(struct cmd *cmd, struct ufo_error *err)
{
	const char	*v;

	if ((v = cmd_get(cmd, CMD_OPT_EMAIL)) != NULL)
		return (xstrdup(v));
	return (cmd_account_ask("Email", 0, err));
}

/*
 * Asks for the email and password, adds them to body (which it frees),
 * posts it to path and keeps the token of the answer for the URL; what to
 * say on success follows in verb.
 */
static enum cmd_retval
cmd_account_token(struct cmd *cmd, const char *path, struct json_object *body,
    const char *verb)
{
	struct json_object	*answer = NULL;
	struct ufo_error	 err;
	const char		*url = cmd->argv[0], *token;
	char			*email, *pw = NULL, *file;
	enum cmd_retval		 retval = CMD_RETURN_ERROR;
	int			 rc;

	if ((email = cmd_account_email(cmd, &err)) == NULL ||
	    (pw = cmd_account_ask("Password", 1, &err)) == NULL) {
		json_object_put(body);
		free(email);
		return (cmd_fail(&err));
	}
	json_object_object_add(body, "email", json_object_new_string(email));
	json_object_object_add(body, "password", json_object_new_string(pw));
	cmd_account_forget(pw);
	rc = client_request(cmd->client, "POST", path, body, &answer, &err);
	/* The body holds the password: wipe it before anything else. */
	pw = (char *)jsonx_str(body, "password");
	explicit_bzero(pw, strlen(pw));
	json_object_put(body);
	if (rc == -1)
		retval = cmd_fail(&err);
	else if ((token = jsonx_str(answer, "token")) == NULL)
		cmd_error("the answer of %s holds no token", url);
	else if (tokenfile_put(url, token, &err) == -1)
		retval = cmd_fail(&err);
	else {
		explicit_bzero((char *)token, strlen(token));
		json_object_object_del(answer, "token");
		file = conf_default_tokens();
		if (cmd->json) {
			json_object_object_add(answer, "server",
			    json_object_new_string(url));
			json_object_object_add(answer, "file",
			    json_object_new_string(file));
			output_json(answer);
		} else
			printf("%s %s as %s; token %s kept in %s\n", verb, url,
			    email, jsonx_str(answer, "id") != NULL ?
			    jsonx_str(answer, "id") : "?", file);
		free(file);
		retval = CMD_RETURN_NORMAL;
	}
	json_object_put(answer);
	free(email);
	return (retval);
}

static enum cmd_retval
cmd_login_exec(struct cmd *cmd)
{
	return (cmd_account_token(cmd, "/login", json_object_new_object(),
	    "logged in to"));
}

static enum cmd_retval
cmd_join_exec(struct cmd *cmd)
{
	struct json_object	*body;
	const char		*name;

	body = json_object_new_object();
	json_object_object_add(body, "code",
	    json_object_new_string(cmd->argv[1]));
	if ((name = cmd_get(cmd, CMD_OPT_NAME)) != NULL)
		json_object_object_add(body, "name",
		    json_object_new_string(name));
	return (cmd_account_token(cmd, "/invitations/accept", body,
	    "joined"));
}

static enum cmd_retval
cmd_passwd_exec(struct cmd *cmd)
{
	struct json_object	*body, *answer = NULL;
	struct ufo_error	 err;
	char			*current = NULL, *pw = NULL, *again = NULL;
	int			 rc = -1;

	/* Over TCP a token is not enough: the server asks the current one. */
	if (!client_local(cmd->client) &&
	    (current = cmd_account_ask("Current password", 1, &err)) == NULL)
		return (cmd_fail(&err));
	if ((pw = cmd_account_ask("New password", 1, &err)) == NULL)
		goto out;
	if (isatty(STDIN_FILENO)) {
		if ((again = cmd_account_ask("Retype new password", 1,
		    &err)) == NULL)
			goto out;
		if (strcmp(pw, again) != 0) {
			err_set(&err, UFO_EINVAL, "", "the passwords differ");
			goto out;
		}
	}
	body = json_object_new_object();
	json_object_object_add(body, "password", json_object_new_string(pw));
	if (current != NULL && *current != '\0')
		json_object_object_add(body, "current_password",
		    json_object_new_string(current));
	rc = client_request(cmd->client, "POST", "/password", body, &answer,
	    &err);
	json_object_put(body);
out:
	cmd_account_forget(current);
	cmd_account_forget(pw);
	cmd_account_forget(again);
	if (rc == -1)
		return (cmd_fail(&err));
	if (cmd->json)
		output_json(answer);
	else
		printf("password set for %s\n", jsonx_str(answer, "email") !=
		    NULL ? jsonx_str(answer, "email") : "you");
	json_object_put(answer);
	return (CMD_RETURN_NORMAL);
}
