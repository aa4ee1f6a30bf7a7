#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

/* Objects asked for per page when a prefix is looked for. */
#define CMD_RESOLVE_PAGE	"1000"
/* Candidates named when a prefix is ambiguous. */
#define CMD_RESOLVE_SHOWN	5
/* Characters of an id shown in tables, after its type prefix. */
#define CMD_SHORT_ID		8
/* Characters of a whole id after its type prefix ("run_" + 20). */
#define CMD_ID_CHARS		20

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

/*
 * --expires DURATION into the body as "expires_in" (seconds): 0, or the
 * usage error's status once it is printed (the body is the caller's).
 */
enum cmd_retval
cmd_body_expires(const struct cmd *cmd, struct json_object *body)
{
	const char	*v;
	int64_t		 secs;

	if ((v = cmd_get(cmd, CMD_OPT_EXPIRES)) == NULL)
		return (CMD_RETURN_NORMAL);
	if (cmd_duration_parse(v, &secs) == -1)
		return (cmd_usage(cmd, "invalid --expires \"%s\" (expected a "
		    "duration like 45s, 30m, 12h, 7d or 2w)", v));
	json_object_object_add(body, "expires_in",
	    json_object_new_int64(secs));
	return (CMD_RETURN_NORMAL);
}

/* Every --tag into the body as "tags", when there is one; as above. */
enum cmd_retval
cmd_body_tags(const struct cmd *cmd, struct json_object *body)
{
	struct json_object	*tags;
	const char		*v;
	size_t			 i = 0;

	if (cmd_count(cmd, CMD_OPT_TAG) == 0)
		return (CMD_RETURN_NORMAL);
	tags = json_object_new_array();
	while ((v = cmd_next(cmd, CMD_OPT_TAG, &i)) != NULL) {
		if (*v == '\0') {
			json_object_put(tags);
			return (cmd_usage(cmd, "empty --tag"));
		}
		json_object_array_add(tags, json_object_new_string(v));
	}
	json_object_object_add(body, "tags", tags);
	return (CMD_RETURN_NORMAL);
}

enum cmd_retval
cmd_fail(const struct ufo_error *err)
{
	cmd_error("%s", err->message[0] != '\0' ? err->message :
	    "failed (no message)");
	return (CMD_RETURN_ERROR);
}

int
cmd_print_field(const struct cmd *cmd, struct json_object *answer,
    const char *key)
{
	const char	*value;

	if ((value = jsonx_str(answer, key)) == NULL) {
		cmd_error("the answer holds no %s", key);
		return (-1);
	}
	if (cmd->json)
		output_json(answer);
	else
		printf("%s\n", value);
	fflush(stdout);
	return (0);
}

struct json_object *
cmd_list_items(const struct cmd *cmd, const char *path,
    enum cmd_retval *retval)
{
	struct json_object	*items;
	struct ufo_error	 err;

	*retval = CMD_RETURN_NORMAL;
	if (client_list(cmd->client, path, 1, &items, &err) == -1) {
		*retval = cmd_fail(&err);
		return (NULL);
	}
	if (cmd->json) {
		output_json(items);
		json_object_put(items);
		return (NULL);
	}
	return (items);
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

/* "2026-11-23T18:00:00.123Z" as "2026-11-23 18:00", or "-". */
char *
cmd_date_minutes(const char *ts)
{
	char	*s;

	if (ts == NULL || strlen(ts) < 16)
		return (xstrdup(ts != NULL ? ts : "-"));
	s = xstrndup(ts, 16);
	s[10] = ' ';
	return (s);
}

/* What a command that changed something prints: only with --json. */
enum cmd_retval
cmd_print_object(const struct cmd *cmd, struct json_object *obj)
{
	if (cmd->json && obj != NULL)
		output_json(obj);
	return (CMD_RETURN_NORMAL);
}

/* Whether id starts with ref, ref with or without the kind's prefix. */
static int
cmd_resolve_match(const struct cmd_kind *kind, const char *id,
    const char *ref)
{
	size_t	 plen = strlen(kind->prefix);

	if (strncasecmp(ref, kind->prefix, plen) != 0) {
		if (strncmp(id, kind->prefix, plen) == 0)
			id += plen;
	}
	return (strncasecmp(id, ref, strlen(ref)) == 0);
}

/* Fills err naming the candidates of an ambiguous ref. */
static int
cmd_resolve_ambiguous(const struct cmd_kind *kind, const char *ref,
    struct json_object *found, struct ufo_error *err)
{
	char	*list = NULL, *next;
	size_t	 i, n;

	n = json_object_array_length(found);
	for (i = 0; i < n && i < CMD_RESOLVE_SHOWN; i++) {
		next = xprintf("%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", jsonx_str(
		    json_object_array_get_idx(found, i), "id"));
		free(list);
		list = next;
	}
	if (n > CMD_RESOLVE_SHOWN)
		err_set(err, UFO_EINVAL, "", "%s %s is ambiguous: %zu %ss "
		    "match (%s, ...)", kind->noun, ref, n, kind->noun, list);
	else
		err_set(err, UFO_EINVAL, "", "%s %s is ambiguous: it may be "
		    "%s", kind->noun, ref, list);
	free(list);
	return (-1);
}

/*
 * Finds what the user named: first as the server knows it (an id), then,
 * listing page by page so a long history costs one page of memory, by
 * exact name or by unique id prefix.
 */
int
cmd_resolve(struct cmd *cmd, const struct cmd_kind *kind, const char *ref,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*page = NULL, *items, *item, *byname, *byid;
	const char		*id, *name, *next;
	char			*path, *escaped, *before = NULL;
	size_t			 i, n;
	int			 rc = 0;

	*out = NULL;
	if (*ref == '\0')
		return (err_set(err, UFO_EINVAL, "", "empty %s id",
		    kind->noun));
	escaped = client_path("%s", ref);
	path = xprintf("%s/%s", kind->path, escaped);
	free(escaped);
	rc = client_get(cmd->client, path, out, err);
	free(path);
	if (rc == 0 && *out != NULL)
		return (0);
	if (rc == 0)
		return (err_set(err, UFO_EINTERNAL, "", "%s %s: empty answer",
		    kind->noun, ref));
	/* A whole id the server does not know is no one's prefix. */
	if (err->code != UFO_ENOTFOUND || (strncasecmp(ref, kind->prefix,
	    strlen(kind->prefix)) == 0 && strlen(ref) >= strlen(kind->prefix) +
	    CMD_ID_CHARS))
		return (-1);

	byname = json_object_new_array();
	byid = json_object_new_array();
	for (;;) {
		path = xstrdup(kind->path);
		client_query_add(&path, "limit", CMD_RESOLVE_PAGE);
		if (before != NULL)
			client_query_add(&path, "before", before);
		rc = client_get(cmd->client, path, &page, err);
		free(path);
		if (rc == -1)
			break;
		if (page == NULL ||
		    !json_object_object_get_ex(page, "items", &items) ||
		    !json_object_is_type(items, json_type_array)) {
			rc = err_set(err, UFO_EINTERNAL, "", "%s: the answer "
			    "to GET %s has no \"items\" list",
			    client_where(cmd->client), kind->path);
			break;
		}
		n = json_object_array_length(items);
		for (i = 0; i < n; i++) {
			item = json_object_array_get_idx(items, i);
			if ((id = jsonx_str(item, "id")) == NULL)
				continue;
			if (kind->name != NULL &&
			    (name = jsonx_str(item, kind->name)) != NULL &&
			    strcmp(name, ref) == 0)
				json_object_array_add(byname,
				    json_object_get(item));
			else if (cmd_resolve_match(kind, id, ref))
				json_object_array_add(byid,
				    json_object_get(item));
		}
		if ((next = jsonx_str(page, "next")) == NULL || n == 0)
			break;
		if (before != NULL && strcmp(before, next) == 0) {
			rc = err_set(err, UFO_EINTERNAL, "", "%s: GET %s "
			    "returned the same page twice",
			    client_where(cmd->client), kind->path);
			break;
		}
		free(before);
		before = xstrdup(next);
		json_object_put(page);
		page = NULL;
	}
	json_object_put(page);
	free(before);

	if (rc == 0) {
		/* A name said in full beats an id that merely starts so. */
		if (json_object_array_length(byname) > 1)
			rc = cmd_resolve_ambiguous(kind, ref, byname, err);
		else if (json_object_array_length(byname) == 1)
			*out = json_object_get(json_object_array_get_idx(byname,
			    0));
		else if (json_object_array_length(byid) > 1)
			rc = cmd_resolve_ambiguous(kind, ref, byid, err);
		else if (json_object_array_length(byid) == 1)
			*out = json_object_get(json_object_array_get_idx(byid,
			    0));
		else
			rc = err_set(err, UFO_ENOTFOUND, "", "%s %s not found",
			    kind->noun, ref);
	}
	json_object_put(byname);
	json_object_put(byid);
	return (rc);
}

/* An id as tables show it: a few characters after the type prefix. */
char *
cmd_short_id(const char *id)
{
	const char	*p;

	if (id == NULL)
		return (xstrdup("-"));
	if ((p = strchr(id, '_')) != NULL)
		id = p + 1;
	return (xstrndup(id, CMD_SHORT_ID));
}
