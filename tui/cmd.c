#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"
#include "xmalloc.h"

/* Options every command takes besides its own. */
static const struct option cmd_common_options[] = {
	{ "help", no_argument, NULL, CMD_OPT_HELP },
	{ "json", no_argument, NULL, CMD_OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const char *const cmd_priorities[] = {
	"none", "urgent", "high", "medium", "low"
};

static const struct {
	char		 unit;
	int64_t		 seconds;
} cmd_units[] = {
	{ 's', 1 },
	{ 'm', 60 },
	{ 'h', 3600 },
	{ 'd', 86400 },
	{ 'w', 604800 },
};

/* The entry's long options followed by the common ones. */
static struct option *
cmd_long_options(const struct cmd_entry *entry)
{
	struct option	*all;
	size_t		 n = 0, i;

	while (entry->longopts != NULL && entry->longopts[n].name != NULL)
		n++;
	all = xcalloc(n + sizeof cmd_common_options /
	    sizeof cmd_common_options[0], sizeof *all);
	for (i = 0; i < n; i++)
		all[i] = entry->longopts[i];
	for (i = 0; cmd_common_options[i].name != NULL; i++)
		all[n + i] = cmd_common_options[i];
	return (all);
}

/* How an option was spelled on the command line, for messages. */
static char *
cmd_option_text(char **argv, int optind_now, int opt)
{
	const char	*arg;

	if (optind_now > 0 && (arg = argv[optind_now - 1]) != NULL &&
	    strncmp(arg, "--", 2) == 0 && arg[2] != '\0')
		return (xstrndup(arg, strcspn(arg, "=")));
	if (opt > 0 && opt < 256 && isprint(opt))
		return (xprintf("-%c", opt));
	if (optind_now > 0 && argv[optind_now - 1] != NULL)
		return (xstrdup(argv[optind_now - 1]));
	return (xstrdup("?"));
}

/*
 * Parses the options and arguments following a command's words. argv[0]
 * is the command's last word. GNU getopt permutes, so options may follow
 * the positional arguments; "--" ends the options.
 */
int
cmd_parse(const struct cmd_entry *entry, int argc, char **argv,
    struct cmd *cmd, char **cause)
{
	struct option	*longopts;
	char		*optstring, *text;
	int		 opt, rc = 0;

	memset(cmd, 0, sizeof *cmd);
	cmd->entry = entry;
	*cause = NULL;
	longopts = cmd_long_options(entry);
	/* ':' first: report missing arguments as ':' and print nothing. */
	optstring = xprintf("%s:%s", (entry->flags & CMD_INORDER) ? "+" : "",
	    entry->opts != NULL ? entry->opts : "");
	optind = 0;	/* glibc: reinitialise fully, permutation included */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			text = cmd_option_text(argv, optind, optopt);
			if (opt == '?')
				*cause = xprintf("unknown option %s", text);
			else
				*cause = xprintf("option %s needs a value",
				    text);
			free(text);
			rc = -1;
			break;
		}
		if (opt == CMD_OPT_JSON) {
			cmd->json = 1;
			continue;
		}
		cmd->values = xreallocarray(cmd->values, cmd->nvalues + 1,
		    sizeof *cmd->values);
		cmd->values[cmd->nvalues].key = opt;
		cmd->values[cmd->nvalues].value = optarg;
		cmd->nvalues++;
	}
	free(optstring);
	free(longopts);
	if (rc == -1 || cmd_count(cmd, CMD_OPT_HELP) > 0)
		return (rc);

	cmd->argc = argc - optind;
	cmd->argv = argv + optind;
	if (cmd->argc < entry->lower) {
		*cause = xstrdup(entry->lower - cmd->argc == 1 ?
		    "missing argument" : "missing arguments");
		return (-1);
	}
	if (entry->upper >= 0 && cmd->argc > entry->upper) {
		*cause = xprintf("unexpected argument \"%s\"",
		    cmd->argv[entry->upper]);
		return (-1);
	}
	return (0);
}

void
cmd_free(struct cmd *cmd)
{
	free(cmd->values);
	cmd->values = NULL;
	cmd->nvalues = 0;
}

/* The last value given for an option (later ones override), or NULL. */
const char *
cmd_get(const struct cmd *cmd, int key)
{
	size_t	 i;

	for (i = cmd->nvalues; i > 0; i--) {
		if (cmd->values[i - 1].key == key)
			return (cmd->values[i - 1].value);
	}
	return (NULL);
}

size_t
cmd_count(const struct cmd *cmd, int key)
{
	size_t	 i, n = 0;

	for (i = 0; i < cmd->nvalues; i++) {
		if (cmd->values[i].key == key)
			n++;
	}
	return (n);
}

/* Values of a repeatable option in order; *idx starts at 0. */
const char *
cmd_next(const struct cmd *cmd, int key, size_t *idx)
{
	while (*idx < cmd->nvalues) {
		if (cmd->values[(*idx)++].key == key)
			return (cmd->values[*idx - 1].value);
	}
	return (NULL);
}

char *
cmd_usage_line(const struct cmd_entry *entry)
{
	return (xprintf("ufo %s%s%s%s%s", entry->name,
	    entry->sub != NULL ? " " : "",
	    entry->sub != NULL ? entry->sub : "",
	    entry->usage != NULL && *entry->usage != '\0' ? " " : "",
	    entry->usage != NULL ? entry->usage : ""));
}

void
cmd_print_usage(const struct cmd_entry *entry, FILE *f)
{
	char	*line;

	line = cmd_usage_line(entry);
	fprintf(f, "usage: %s\n", line);
	free(line);
}

void
cmd_error(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fputs("ufo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

enum cmd_retval
cmd_usage(const struct cmd *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	if (fmt != NULL) {
		fputs("ufo: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	cmd_print_usage(cmd->entry, stderr);
	return (CMD_RETURN_USAGE);
}

enum cmd_retval
cmd_fail(const struct ufo_error *err)
{
	cmd_error("%s", err->message[0] != '\0' ? err->message :
	    "failed (no message)");
	return (CMD_RETURN_ERROR);
}

/* A priority by number (0-4) or name (none, urgent, high, medium, low). */
int
cmd_priority_parse(const char *s, int64_t *out)
{
	size_t	 i;

	for (i = 0; i < sizeof cmd_priorities / sizeof cmd_priorities[0];
	    i++) {
		if (strcasecmp(s, cmd_priorities[i]) == 0 ||
		    (s[0] == (char)('0' + i) && s[1] == '\0')) {
			*out = (int64_t)i;
			return (0);
		}
	}
	return (-1);
}

const char *
cmd_priority_name(int64_t p)
{
	if (p < 0 || (size_t)p >= sizeof cmd_priorities /
	    sizeof cmd_priorities[0])
		return ("?");
	return (cmd_priorities[p]);
}

/* "30d", "12h", "90m", "45s", "2w" or plain seconds, in seconds. */
int
cmd_duration_parse(const char *s, int64_t *out)
{
	long long	 n;
	char		*end;
	size_t		 i;
	int64_t		 unit = 1;

	if (!isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || n <= 0)
		return (-1);
	if (*end != '\0') {
		for (i = 0; i < sizeof cmd_units / sizeof cmd_units[0]; i++) {
			if (cmd_units[i].unit == *end)
				break;
		}
		if (i == sizeof cmd_units / sizeof cmd_units[0] ||
		    end[1] != '\0')
			return (-1);
		unit = cmd_units[i].seconds;
	}
	if (n > INT64_MAX / unit)
		return (-1);
	*out = (int64_t)n * unit;
	return (0);
}

int
cmd_number_parse(const char *s, int64_t min, int64_t max, int64_t *out)
{
	long long	 n;
	char		*end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return (-1);
	*out = (int64_t)n;
	return (0);
}

/* All of standard input, for the "-" arguments. */
int
cmd_read_stdin(char **out, struct ufo_error *err)
{
	char	*buf = NULL;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	for (;;) {
		if (size - len < 4096) {
			size = size == 0 ? 8192 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = read(STDIN_FILENO, buf + len, size - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return (err_set(err, UFO_EINTERNAL, "", "stdin: %s",
			    strerror(errno)));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		return (err_set(err, UFO_EINVAL, "", "stdin: contains a NUL "
		    "byte"));
	}
	*out = buf;
	return (0);
}

/* What a command that changed something prints: only with --json. */
enum cmd_retval
cmd_print_object(const struct cmd *cmd, struct json_object *obj)
{
	if (cmd->json && obj != NULL)
		output_json(obj);
	return (CMD_RETURN_NORMAL);
}
