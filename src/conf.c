#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "protocol.h"
#include "xmalloc.h"

enum conf_type {
	CONF_STRING,
	CONF_PATH,
	CONF_SIZE,
	CONF_INT,
	CONF_CHOICE
};

static const struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;
	const char	*choices;	/* space separated, for CONF_CHOICE */
} conf_keys[] = {
	{ "socket", CONF_PATH, offsetof(struct conf, socket), NULL },
	{ "database", CONF_PATH, offsetof(struct conf, database), NULL },
	{ "listen", CONF_STRING, offsetof(struct conf, listen), NULL },
	{ "tls_cert", CONF_PATH, offsetof(struct conf, tls_cert), NULL },
	{ "tls_key", CONF_PATH, offsetof(struct conf, tls_key), NULL },
	{ "log", CONF_CHOICE, offsetof(struct conf, log), "stderr syslog" },
	{ "log_level", CONF_CHOICE, offsetof(struct conf, log_level),
	    "error warning info debug" },
	{ "max_body", CONF_SIZE, offsetof(struct conf, max_body), NULL },
	{ "threads", CONF_INT, offsetof(struct conf, threads), NULL },
	{ "server", CONF_STRING, offsetof(struct conf, server), NULL },
	{ "ca_file", CONF_PATH, offsetof(struct conf, ca_file), NULL },
	{ "alert", CONF_CHOICE, offsetof(struct conf, alert),
	    "bell flash none" },
	{ "master_key_file", CONF_PATH, offsetof(struct conf, master_key_file),
	    NULL },
	{ "master_key_env", CONF_STRING, offsetof(struct conf, master_key_env),
	    NULL },
};

/* Directives a later program reads; they are kept, not interpreted here. */
static const char *const conf_directives[] = { "bind", "color",
    "rover-binary", NULL };

static const char *
conf_home(void)
{
	const char	*home;
	struct passwd	*pw;

	if ((home = getenv("HOME")) != NULL && *home != '\0')
		return (home);
	if ((pw = getpwuid(getuid())) != NULL)
		return (pw->pw_dir);
	return ("/");
}

static char *
conf_xdg(const char *env, const char *fallback, const char *leaf)
{
	const char	*dir;

	if ((dir = getenv(env)) != NULL && *dir == '/')
		return (xprintf("%s/ufo/%s", dir, leaf));
	return (xprintf("%s/%s/ufo/%s", conf_home(), fallback, leaf));
}

char *
conf_default_file(void)
{
	return (conf_xdg("XDG_CONFIG_HOME", ".config", "ufo.conf"));
}

char *
conf_default_tokens(void)
{
	return (conf_xdg("XDG_CONFIG_HOME", ".config", "tokens"));
}

char *
conf_default_database(void)
{
	return (conf_xdg("XDG_DATA_HOME", ".local/share", "ufo.db"));
}

char *
conf_default_socket(void)
{
	const char	*dir;

	if ((dir = getenv("XDG_RUNTIME_DIR")) != NULL && *dir == '/')
		return (xprintf("%s/ufo/ufod.sock", dir));
	return (xprintf("/tmp/ufo-%ld/ufod.sock", (long)getuid()));
}

char *
conf_expand_path(const char *path)
{
	char	 cwd[PATH_MAX];

	if (strcmp(path, "~") == 0)
		return (xstrdup(conf_home()));
	if (strncmp(path, "~/", 2) == 0)
		return (xprintf("%s/%s", conf_home(), path + 2));
	/* Daemons chdir to /: a relative path must not change meaning. */
	if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		return (xprintf("%s/%s", cwd, path));
	return (xstrdup(path));
}

static int
conf_mkdir_one(const char *dir, mode_t mode, struct ufo_error *err)
{
	if (mkdir(dir, mode) == -1 && errno != EEXIST)
		return (err_set(err, UFO_EINTERNAL, "", "mkdir %s: %s", dir,
		    strerror(errno)));
	return (0);
}

int
conf_mkdir_parent(const char *path, mode_t mode, struct ufo_error *err)
{
	char	*dir, *p;
	int	 rc = 0;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		free(dir);
		return (0);
	}
	*p = '\0';
	for (p = dir + 1; rc == 0 && *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		rc = conf_mkdir_one(dir, mode, err);
		*p = '/';
	}
	if (rc == 0)
		rc = conf_mkdir_one(dir, mode, err);
	free(dir);
	return (rc);
}

void
conf_init(struct conf *conf)
{
	memset(conf, 0, sizeof *conf);
	conf->path = conf_default_file();
	conf->socket = conf_default_socket();
	conf->database = conf_default_database();
	conf->log = xstrdup("stderr");
	conf->log_level = xstrdup("info");
	conf->max_body = UFO_MAX_BODY;
	conf->threads = 32;
	conf->alert = xstrdup("bell");
}

void
conf_free(struct conf *conf)
{
	size_t	 i;
	int	 j;

	free(conf->path);
	free(conf->socket);
	free(conf->database);
	free(conf->listen);
	free(conf->tls_cert);
	free(conf->tls_key);
	free(conf->ca_file);
	free(conf->log);
	free(conf->log_level);
	free(conf->server);
	free(conf->alert);
	free(conf->master_key_file);
	free(conf->master_key_env);
	for (i = 0; i < conf->nlines; i++) {
		free(conf->lines[i].file);
		for (j = 0; j < conf->lines[i].argc; j++)
			free(conf->lines[i].argv[j]);
		free(conf->lines[i].argv);
	}
	free(conf->lines);
	memset(conf, 0, sizeof *conf);
}

static int
conf_parse_size(const char *value, size_t *out)
{
	char			*end;
	unsigned long long	 n;

	errno = 0;
	n = strtoull(value, &end, 10);
	if (errno != 0 || end == value || *value == '-')
		return (-1);
	switch (tolower((unsigned char)*end)) {
	case 'k':
		n *= 1024ULL;
		end++;
		break;
	case 'm':
		n *= 1024ULL * 1024;
		end++;
		break;
	case 'g':
		n *= 1024ULL * 1024 * 1024;
		end++;
		break;
	}
	if (*end != '\0' || n == 0 || n > SIZE_MAX / 2)
		return (-1);
	*out = (size_t)n;
	return (0);
}

int
conf_set(struct conf *conf, const char *key, const char *value,
    struct ufo_error *err)
{
	const struct conf_key	*k = NULL;
	size_t			 i, len;
	char			**sp;
	const char		*c;
	long			 n;
	char			*end;

	for (i = 0; i < sizeof conf_keys / sizeof conf_keys[0]; i++) {
		if (strcmp(conf_keys[i].name, key) == 0)
			k = &conf_keys[i];
	}
	if (k == NULL)
		return (err_set(err, UFO_EINVAL, key, "unknown key \"%s\"",
		    key));
	sp = (char **)((char *)conf + k->offset);
	switch (k->type) {
	case CONF_STRING:
	case CONF_PATH:
		if (*value == '\0')
			return (err_set(err, UFO_EINVAL, key, "%s: empty value",
			    key));
		free(*sp);
		*sp = k->type == CONF_PATH ? conf_expand_path(value) :
		    xstrdup(value);
		break;
	case CONF_CHOICE:
		len = strlen(value);
		for (c = k->choices; c != NULL; c = strchr(c, ' ')) {
			if (*c == ' ')
				c++;
			if (strncmp(c, value, len) == 0 &&
			    (c[len] == ' ' || c[len] == '\0'))
				break;
		}
		if (c == NULL || len == 0)
			return (err_set(err, UFO_EINVAL, key, "%s: \"%s\" is "
			    "not one of: %s", key, value, k->choices));
		free(*sp);
		*sp = xstrdup(value);
		break;
	case CONF_SIZE:
		if (conf_parse_size(value, (size_t *)sp) == -1)
			return (err_set(err, UFO_EINVAL, key, "%s: \"%s\" is "
			    "not a size (a number of bytes, K, M or G)", key,
			    value));
		break;
	case CONF_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < 1 ||
		    n > 1024)
			return (err_set(err, UFO_EINVAL, key, "%s: \"%s\" is "
			    "not a number from 1 to 1024", key, value));
		*(int *)sp = (int)n;
		break;
	}
	return (0);
}

static char *
conf_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

/* Splits a directive into words; double quotes group words. */
static int
conf_split(const char *s, struct conf_line *cl)
{
	char	 word[1024];
	size_t	 n;
	int	 quoted;

	while (*s != '\0') {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			break;
		n = 0;
		quoted = 0;
		while (*s != '\0' && (quoted || !isspace((unsigned char)*s))) {
			if (*s == '"') {
				quoted = !quoted;
				s++;
				continue;
			}
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (n + 1 >= sizeof word)
				return (-1);
			word[n++] = *s++;
		}
		if (quoted)
			return (-1);
		word[n] = '\0';
		cl->argv = xreallocarray(cl->argv, cl->argc + 1,
		    sizeof *cl->argv);
		cl->argv[cl->argc++] = xstrdup(word);
	}
	return (0);
}

static int
conf_directive(struct conf *conf, const char *file, int lineno,
    const char *text, struct ufo_error *err)
{
	struct conf_line	 cl;
	const char *const	*d;
	int			 i;

	memset(&cl, 0, sizeof cl);
	if (conf_split(text, &cl) == -1 || cl.argc == 0) {
		for (i = 0; i < cl.argc; i++)
			free(cl.argv[i]);
		free(cl.argv);
		return (err_set(err, UFO_EINVAL, "", "%s:%d: cannot parse "
		    "\"%s\"", file, lineno, text));
	}
	for (d = conf_directives; *d != NULL; d++) {
		if (strcmp(*d, cl.argv[0]) == 0)
			break;
	}
	if (*d == NULL) {
		err_set(err, UFO_EINVAL, cl.argv[0], "%s:%d: unknown "
		    "directive \"%s\" (expected key = value, bind, color or rover-binary)",
		    file, lineno, cl.argv[0]);
		for (i = 0; i < cl.argc; i++)
			free(cl.argv[i]);
		free(cl.argv);
		return (-1);
	}
	cl.file = xstrdup(file);
	cl.line = lineno;
	conf->lines = xreallocarray(conf->lines, conf->nlines + 1,
	    sizeof *conf->lines);
	conf->lines[conf->nlines++] = cl;
	return (0);
}

int
conf_load(struct conf *conf, const char *path, int must_exist,
    struct ufo_error *err)
{
	FILE		*f;
	char		*line = NULL, *s, *eq, *key, *value;
	size_t		 size = 0;
	ssize_t		 len;
	int		 lineno = 0, rc = 0;
	struct ufo_error e;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return (0);
		return (err_set(err, UFO_EINVAL, "", "%s: %s", path,
		    strerror(errno)));
	}
	free(conf->path);
	conf->path = xstrdup(path);
	while ((len = getline(&line, &size, f)) != -1) {
		lineno++;
		s = conf_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		/* "key = value" when the first word is followed by '='. */
		eq = s + strcspn(s, " \t=");
		while (*eq == ' ' || *eq == '\t')
			eq++;
		if (*eq != '=') {
			if (conf_directive(conf, path, lineno, s, err) == -1) {
				rc = -1;
				break;
			}
			continue;
		}
		*eq = '\0';
		key = conf_trim(s);
		value = conf_trim(eq + 1);
		if (strlen(value) >= 2 && value[0] == '"' &&
		    value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = '\0';
			value++;
		}
		if (conf_set(conf, key, value, &e) == -1) {
			rc = err_set(err, UFO_EINVAL, e.field, "%s:%d: %s",
			    path, lineno, e.message);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = err_set(err, UFO_EINVAL, "", "%s: %s", path,
		    strerror(errno));
	free(line);
	fclose(f);
	return (rc);
}

const struct conf_line *
conf_next_directive(const struct conf *conf, const char *name,
    const struct conf_line *prev)
{
	size_t	 i;

	i = prev == NULL ? 0 : (size_t)(prev - conf->lines) + 1;
	for (; i < conf->nlines; i++) {
		if (strcmp(conf->lines[i].argv[0], name) == 0)
			return (&conf->lines[i]);
	}
	return (NULL);
}
