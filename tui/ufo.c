#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "conf.h"
#include "output.h"
#include "tokenfile.h"
#include "tui.h"
#include "xmalloc.h"

static enum cmd_retval	ufo_help_exec(struct cmd *);

/* Every command in the order `ufo help` and the man page list them. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_op_create_entry,
	&cmd_op_list_entry,
	&cmd_op_show_entry,
	&cmd_op_edit_entry,
	&cmd_op_move_entry,
	&cmd_op_archive_entry,
	&cmd_op_unarchive_entry,
	&cmd_op_assign_entry,
	&cmd_op_comment_entry,
	&cmd_op_label_entry,
	&cmd_op_relate_entry,
	&cmd_op_unrelate_entry,
	&cmd_mission_create_entry,
	&cmd_mission_list_entry,
	&cmd_mission_show_entry,
	&cmd_pilot_create_entry,
	&cmd_pilot_list_entry,
	&cmd_pilot_show_entry,
	&cmd_pilot_edit_entry,
	&cmd_run_list_entry,
	&cmd_run_show_entry,
	&cmd_run_logs_entry,
	&cmd_run_diff_entry,
	&cmd_run_cancel_entry,
	&cmd_run_retry_entry,
	&cmd_rover_code_entry,
	&cmd_rover_list_entry,
	&cmd_rover_show_entry,
	&cmd_rover_edit_entry,
	&cmd_rover_remove_entry,
	&cmd_rover_add_entry,
	&cmd_ssh_key_entry,
	&cmd_label_list_entry,
	&cmd_label_create_entry,
	&cmd_cred_set_entry,
	&cmd_cred_list_entry,
	&cmd_cred_rm_entry,
	&cmd_token_create_entry,
	&cmd_token_list_entry,
	&cmd_token_revoke_entry,
	&cmd_login_entry,
	&cmd_join_entry,
	&cmd_passwd_entry,
	&cmd_fleet_create_entry,
	&cmd_fleet_list_entry,
	&cmd_fleet_rename_entry,
	&cmd_fleet_rm_entry,
	&cmd_member_list_entry,
	&cmd_member_role_entry,
	&cmd_member_rm_entry,
	&cmd_invite_list_entry,
	&cmd_invite_revoke_entry,
	&cmd_invite_entry,
	&cmd_server_start_entry,
	&cmd_server_stop_entry,
	&cmd_server_status_entry,
	&cmd_events_entry,
	&cmd_help_entry,
	NULL
};

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.sub = NULL,
	.usage = "[COMMAND]",
	.lower = 0,
	.upper = 2,
	.flags = CMD_NOSERVER,
	.help = "list every command, or show one command's usage",
	.exec = ufo_help_exec
};

#define UFO_USAGE \
	"usage: ufo [--server URL | --socket PATH] [--token TOKEN] " \
	"[--ca-file PATH] [--fleet FLEET] [--json] [-v] [COMMAND [ARG]...]\n"

/* The global options, parsed once by main: the process's only settings. */
static struct {
	const char	*server;
	const char	*socket;
	const char	*token;
	const char	*ca_file;
	const char	*fleet;
	int		 json;
	int		 verbose;
} ufo_options;

enum {
	UFO_OPT_SERVER = 256,
	UFO_OPT_SOCKET,
	UFO_OPT_TOKEN,
	UFO_OPT_CA_FILE,
	UFO_OPT_FLEET,
	UFO_OPT_JSON,
	UFO_OPT_VERSION
};

static const struct option ufo_long_options[] = {
	{ "server", required_argument, NULL, UFO_OPT_SERVER },
	{ "socket", required_argument, NULL, UFO_OPT_SOCKET },
	{ "token", required_argument, NULL, UFO_OPT_TOKEN },
	{ "ca-file", required_argument, NULL, UFO_OPT_CA_FILE },
	{ "fleet", required_argument, NULL, UFO_OPT_FLEET },
	{ "json", no_argument, NULL, UFO_OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, UFO_OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/*
 * The server's text is UTF-8 whatever the user's locale, so measuring it
 * needs a UTF-8 LC_CTYPE: the user's when it is one, else any that
 * exists (as tmux does), else the user's as it is.
 */
static void
ufo_locale(void)
{
	const char	*cs;

	if (setlocale(LC_CTYPE, "") != NULL) {
		cs = nl_langinfo(CODESET);
		if (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0)
			return;
	}
	if (setlocale(LC_CTYPE, "C.UTF-8") != NULL ||
	    setlocale(LC_CTYPE, "en_US.UTF-8") != NULL)
		return;
	setlocale(LC_CTYPE, "");
}

static void
ufo_help_entry(const struct cmd_entry *entry, FILE *f, int verbose)
{
	char	*line;

	line = cmd_usage_line(entry);
	fprintf(f, "%s\n", line);
	if (verbose)
		fprintf(f, "    %s\n", entry->help);
	free(line);
}

/* Every usage line; the man page's list of commands must match it. */
static void
ufo_help_all(FILE *f)
{
	const struct cmd_entry *const	*e;

	for (e = cmd_table; *e != NULL; e++)
		ufo_help_entry(*e, f, 0);
}

static enum cmd_retval
ufo_help_exec(struct cmd *cmd)
{
	const struct cmd_entry *const	*e;
	int				 found = 0;

	if (cmd->argc == 0) {
		ufo_help_all(stdout);
		return (CMD_RETURN_NORMAL);
	}
	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, cmd->argv[0]) != 0)
			continue;
		if (cmd->argc == 2 && ((*e)->sub == NULL ||
		    strcmp((*e)->sub, cmd->argv[1]) != 0))
			continue;
		ufo_help_entry(*e, stdout, 1);
		found = 1;
	}
	if (!found)
		return (cmd_usage(cmd, "unknown command \"%s%s%s\"",
		    cmd->argv[0], cmd->argc == 2 ? " " : "",
		    cmd->argc == 2 ? cmd->argv[1] : ""));
	return (CMD_RETURN_NORMAL);
}

/*
 * Finds the entry named by the first words of argv; *words is how many
 * it used. On failure says why on stderr and returns NULL.
 */
static const struct cmd_entry *
ufo_find(int argc, char **argv, int *words)
{
	const struct cmd_entry *const	*e;
	int				 group = 0;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, argv[0]) != 0)
			continue;
		if ((*e)->sub == NULL) {
			*words = 1;
			return (*e);
		}
		group = 1;
		if (argc > 1 && strcmp((*e)->sub, argv[1]) == 0) {
			*words = 2;
			return (*e);
		}
	}
	if (!group) {
		fprintf(stderr, "ufo: unknown command \"%s\"\n", argv[0]);
		fputs(UFO_USAGE, stderr);
		fputs("(`ufo help` lists the commands)\n", stderr);
		return (NULL);
	}
	if (argc > 1)
		fprintf(stderr, "ufo: unknown command \"%s %s\"\n", argv[0],
		    argv[1]);
	else
		fprintf(stderr, "ufo: %s: missing subcommand\n", argv[0]);
	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, argv[0]) == 0)
			cmd_print_usage(*e, stderr);
	}
	return (NULL);
}

/* A value that goes into an HTTP header may not break the header. */
static int
ufo_header_safe(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (0);
	}
	return (1);
}

static int
ufo_url_ok(const char *url)
{
	return (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0);
}

/* An absolute socket path: ufod -d leaves the directory it starts in. */
static char *
ufo_socket_path(const char *path)
{
	char	 cwd[PATH_MAX], *expanded, *abs;

	expanded = conf_expand_path(path);
	if (*expanded == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return (expanded);
	abs = xprintf("%s/%s", cwd, expanded);
	free(expanded);
	return (abs);
}

/*
 * The CA file that verifies an https server: --ca-file, then UFO_CA_FILE,
 * then ufo.conf's ca_file (NULL: the system's). Checked here so that a
 * typo is named as such, not as a certificate curl cannot verify.
 */
static int
ufo_ca_file(const struct conf *conf, char **ca_file)
{
	const char	*s, *what;

	*ca_file = NULL;
	if ((s = ufo_options.ca_file) != NULL)
		what = "--ca-file";
	else if ((s = getenv("UFO_CA_FILE")) != NULL && *s != '\0')
		what = "UFO_CA_FILE";
	else if ((s = conf->ca_file) != NULL)
		what = "ca_file";
	if (s == NULL || *s == '\0')
		return (0);
	*ca_file = conf_expand_path(s);
	if (access(*ca_file, R_OK) == -1) {
		cmd_error("%s %s: %s", what, *ca_file, strerror(errno));
		return (CMD_RETURN_ERROR);
	}
	return (0);
}

/*
 * Where to talk to, by precedence: --socket or --server, then UFO_SOCKET
 * or UFO_SERVER, then ufo.conf's server, then its socket (or the default
 * one). The token: --token, else UFO_TOKEN, else the one ufo login kept
 * for the server (in *stored); anonymous sends none. Returns the exit
 * status on failure, 0 on success.
 */
static int
ufo_connect(struct conf *conf, struct client_config *cf, char **socket,
    int anonymous, char **stored, char **ca_file)
{
	struct ufo_error	 err;
	const char		*s;
	char			*path;

	memset(cf, 0, sizeof *cf);
	*socket = NULL;
	*ca_file = NULL;
	conf_init(conf);
	path = xstrdup(conf->path);
	if (conf_load(conf, path, 0, &err) == -1) {
		free(path);
		cmd_error("%s", err.message);
		return (CMD_RETURN_ERROR);
	}
	free(path);

	if (ufo_options.socket != NULL)
		*socket = ufo_socket_path(ufo_options.socket);
	else if (ufo_options.server != NULL)
		cf->url = ufo_options.server;
	else if ((s = getenv("UFO_SOCKET")) != NULL && *s != '\0')
		*socket = ufo_socket_path(s);
	else if ((s = getenv("UFO_SERVER")) != NULL && *s != '\0')
		cf->url = s;
	else if (conf->server != NULL)
		cf->url = conf->server;
	else
		*socket = ufo_socket_path(conf->socket);
	cf->socket = *socket;
	if (cf->url != NULL && !ufo_url_ok(cf->url)) {
		cmd_error("server \"%s\": expected an http:// or https:// URL",
		    cf->url);
		return (CMD_RETURN_ERROR);
	}

	cf->token = ufo_options.token;
	if (cf->token == NULL && (s = getenv("UFO_TOKEN")) != NULL &&
	    *s != '\0')
		cf->token = s;
	if (cf->token == NULL && cf->url != NULL &&
	    (*stored = tokenfile_get(cf->url)) != NULL)
		cf->token = *stored;
	if (anonymous)
		cf->token = NULL;
	cf->fleet = ufo_options.fleet;
	if ((cf->token != NULL && !ufo_header_safe(cf->token)) ||
	    (cf->fleet != NULL && !ufo_header_safe(cf->fleet))) {
		cmd_error("the token and the fleet may not contain control "
		    "characters");
		return (CMD_RETURN_ERROR);
	}
	cf->verbose = ufo_options.verbose;
	if (cf->url != NULL && ufo_ca_file(conf, ca_file) != 0)
		return (CMD_RETURN_ERROR);
	cf->ca_file = *ca_file;
	return (0);
}

/* `ufo` alone: the live operations under a heading per status. */
static enum cmd_retval
ufo_board(struct client *client, int json)
{
	struct json_object	*items;
	struct ufo_error	 err;

	if (client_list(client, "/operations?limit=1000", 1, &items,
	    &err) == -1)
		return (cmd_fail(&err));
	if (json)
		output_json(items);
	else
		cmd_op_print_grouped(items);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

/* `ufo` on a terminal: the board itself. */
static enum cmd_retval
ufo_tui(struct client *client, const struct conf *conf)
{
	struct ufo_error	 err;

	err_clear(&err);
	if (tui_main(client, conf, &err) == -1)
		return (cmd_fail(&err));
	return (CMD_RETURN_NORMAL);
}

static int
ufo_options_parse(int argc, char **argv)
{
	int	 opt;

	/* '+': stop at the command, whose options are its own. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hv", ufo_long_options,
	    NULL)) != -1) {
		switch (opt) {
		case UFO_OPT_SERVER:
			ufo_options.server = optarg;
			break;
		case UFO_OPT_SOCKET:
			ufo_options.socket = optarg;
			break;
		case UFO_OPT_TOKEN:
			ufo_options.token = optarg;
			break;
		case UFO_OPT_CA_FILE:
			ufo_options.ca_file = optarg;
			break;
		case UFO_OPT_FLEET:
			ufo_options.fleet = optarg;
			break;
		case UFO_OPT_JSON:
			ufo_options.json = 1;
			break;
		case 'v':
			ufo_options.verbose = 1;
			break;
		case UFO_OPT_VERSION:
			printf("ufo %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			ufo_help_all(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "ufo: option %s needs a value\n",
			    argv[optind - 1]);
			fputs(UFO_USAGE, stderr);
			return (-1);
		default:
			if (optopt != 0)
				fprintf(stderr, "ufo: unknown option -%c\n",
				    optopt);
			else
				fprintf(stderr, "ufo: unknown option %s\n",
				    argv[optind - 1]);
			fputs(UFO_USAGE, stderr);
			return (-1);
		}
	}
	if (ufo_options.server != NULL && ufo_options.socket != NULL) {
		fprintf(stderr, "ufo: --server and --socket exclude each "
		    "other\n");
		fputs(UFO_USAGE, stderr);
		return (-1);
	}
	if (ufo_options.server != NULL && !ufo_url_ok(ufo_options.server)) {
		fprintf(stderr, "ufo: --server: expected an http:// or "
		    "https:// URL\n");
		fputs(UFO_USAGE, stderr);
		return (-1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*entry = NULL;
	struct client_config	 cf;
	struct conf		 conf;
	struct cmd		 cmd;
	struct client		*client = NULL;
	char			*cause, *socket = NULL, *stored = NULL;
	char			*ca_file = NULL;
	int			 words, retval, anonymous = 0;

	ufo_locale();
	if (ufo_options_parse(argc, argv) == -1)
		return (CMD_RETURN_USAGE);
	argc -= optind;
	argv += optind;
	output_init();

	memset(&cmd, 0, sizeof cmd);
	if (argc > 0) {
		if ((entry = ufo_find(argc, argv, &words)) == NULL)
			return (CMD_RETURN_USAGE);
		/* The command's own getopt sees its last word as argv[0]. */
		if (cmd_parse(entry, argc - words + 1, argv + words - 1, &cmd,
		    &cause) == -1) {
			if (cause != NULL)
				cmd_error("%s", cause);
			free(cause);
			cmd_print_usage(entry, stderr);
			cmd_free(&cmd);
			return (CMD_RETURN_USAGE);
		}
		if (cmd_count(&cmd, CMD_OPT_HELP) > 0) {
			ufo_help_entry(entry, stdout, 1);
			cmd_free(&cmd);
			return (CMD_RETURN_NORMAL);
		}
		cmd.json |= ufo_options.json;
		/* ufo login URL: that server, and no token of another one. */
		if (entry->flags & CMD_SERVERARG) {
			ufo_options.server = cmd.argv[0];
			ufo_options.socket = NULL;
			anonymous = 1;
		}
		if (entry->flags & CMD_NOSERVER) {
			retval = entry->exec(&cmd);
			cmd_free(&cmd);
			goto out;
		}
	}

	if ((retval = ufo_connect(&conf, &cf, &socket, anonymous,
	    &stored, &ca_file)) != 0) {
		conf_free(&conf);
		free(socket);
		free(stored);
		free(ca_file);
		cmd_free(&cmd);
		return (retval);
	}
	cf.autostart = entry == NULL || !(entry->flags & CMD_NOSTART);
	if (client_global_init() == -1) {
		cmd_error("cannot initialise libcurl");
		conf_free(&conf);
		free(socket);
		free(stored);
		free(ca_file);
		cmd_free(&cmd);
		return (CMD_RETURN_ERROR);
	}
	client = client_create(&cf);
	if (entry == NULL && !ufo_options.json && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO))
		retval = ufo_tui(client, &conf);
	else if (entry == NULL)
		retval = ufo_board(client, ufo_options.json);
	else {
		cmd.client = client;
		retval = entry->exec(&cmd);
	}
	client_free(client);
	client_global_free();
	conf_free(&conf);
	free(socket);
	if (stored != NULL)
		explicit_bzero(stored, strlen(stored));
	free(stored);
	free(ca_file);
	cmd_free(&cmd);

out:
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "ufo: stdout: %s\n", strerror(errno));
		return (CMD_RETURN_ERROR);
	}
	return (retval);
}
