#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonx.h"
#include "log.h"
#include "registry.h"
#include "xmalloc.h"

/* A registrations file larger than this is not one. */
#define REGISTRY_MAX_SIZE	(16 * 1024 * 1024)

char *
registry_dir(void)
{
	const char	*home;
	struct passwd	*pw;

	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		else
			home = "/";
	}
	return (xprintf("%s/.ufo", home));
}

char *
registry_path(void)
{
	char	*dir, *path;

	dir = registry_dir();
	path = xprintf("%s/rovers.json", dir);
	free(dir);
	return (path);
}

void
registry_reg_free(struct registration *r)
{
	size_t	 i;

	free(r->id);
	free(r->name);
	free(r->server);
	if (r->token != NULL) {
		explicit_bzero(r->token, strlen(r->token));
		free(r->token);
	}
	free(r->ca_file);
	for (i = 0; r->tags != NULL && r->tags[i] != NULL; i++)
		free(r->tags[i]);
	free(r->tags);
	memset(r, 0, sizeof *r);
}

void
registry_reg_copy(struct registration *dst, const struct registration *src)
{
	size_t	 i, n;

	memset(dst, 0, sizeof *dst);
	dst->id = xstrdup(src->id);
	dst->name = xstrdup(src->name != NULL ? src->name : src->id);
	dst->server = xstrdup(src->server);
	dst->token = xstrdup(src->token);
	if (src->ca_file != NULL)
		dst->ca_file = xstrdup(src->ca_file);
	dst->units = src->units;
	for (n = 0; src->tags != NULL && src->tags[n] != NULL; n++)
		;
	dst->tags = xcalloc(n + 1, sizeof *dst->tags);
	for (i = 0; i < n; i++)
		dst->tags[i] = xstrdup(src->tags[i]);
}

void
registry_free(struct registry *rg)
{
	size_t	 i;

	for (i = 0; i < rg->n; i++)
		registry_reg_free(&rg->regs[i]);
	free(rg->regs);
	rg->regs = NULL;
	rg->n = 0;
}

static void
registry_append(struct registry *rg, const struct registration *r)
{
	rg->regs = xreallocarray(rg->regs, rg->n + 1, sizeof *rg->regs);
	registry_reg_copy(&rg->regs[rg->n++], r);
}

/* One entry of the file; names the entry when it is broken. */
static int
registry_entry(struct json_object *o, size_t idx, struct registration *r,
    const char *path, struct ufo_error *err)
{
	static const char *const required[] = { "id", "server", "token" };
	struct json_object	*tags, *t;
	const char		*s;
	size_t			 i, n;
	int64_t			 units;

	memset(r, 0, sizeof *r);
	if (!json_object_is_type(o, json_type_object))
		return (err_set(err, UFO_EINVAL, "", "%s: entry %zu is not an "
		    "object", path, idx + 1));
	for (i = 0; i < sizeof required / sizeof required[0]; i++) {
		s = jsonx_str(o, required[i]);
		if (s == NULL || *s == '\0')
			return (err_set(err, UFO_EINVAL, "", "%s: entry %zu has "
			    "no \"%s\"", path, idx + 1, required[i]));
	}
	r->id = xstrdup(jsonx_str(o, "id"));
	s = jsonx_str(o, "name");
	r->name = xstrdup(s != NULL && *s != '\0' ? s : r->id);
	r->server = xstrdup(jsonx_str(o, "server"));
	r->token = xstrdup(jsonx_str(o, "token"));
	if ((s = jsonx_str(o, "ca_file")) != NULL && *s != '\0')
		r->ca_file = xstrdup(s);
	units = jsonx_int(o, "units", 1);
	r->units = units < 1 ? 1 : (units > 1024 ? 1024 : (int)units);
	n = 0;
	if (json_object_object_get_ex(o, "tags", &tags) &&
	    json_object_is_type(tags, json_type_array))
		n = json_object_array_length(tags);
	r->tags = xcalloc(n + 1, sizeof *r->tags);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tags, i);
		if (json_object_is_type(t, json_type_string))
			r->tags[i] = xstrdup(json_object_get_string(t));
		else
			r->tags[i] = xstrdup("");
	}
	return (0);
}

/* Reads and parses an open registrations file. */
static int
registry_read(int fd, const char *path, struct registry *rg,
    struct ufo_error *err)
{
	struct json_object	*arr;
	struct registration	 r;
	struct ufo_error	 perr;
	struct stat		 sb;
	char			*buf;
	size_t			 len = 0, i, n;
	ssize_t			 got;

	memset(rg, 0, sizeof *rg);
	if (fstat(fd, &sb) == -1)
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	if (sb.st_size > REGISTRY_MAX_SIZE)
		return (err_set(err, UFO_EINVAL, "", "%s: too large", path));
	if ((sb.st_mode & 077) != 0) {
		log_warn("%s is readable by others (mode %03o) and holds rover "
		    "tokens: chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		got = read(fd, buf + len, (size_t)sb.st_size - len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			free(buf);
			return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
			    strerror(errno)));
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len == 0 || buf[strspn(buf, " \t\r\n")] == '\0') {
		free(buf);
		return (0);
	}
	arr = jsonx_parse(buf, len, &perr);
	free(buf);
	if (arr == NULL)
		return (err_set(err, UFO_EINVAL, "", "%s: %s", path,
		    perr.message));
	if (!json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return (err_set(err, UFO_EINVAL, "", "%s: not a JSON array",
		    path));
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		if (registry_entry(json_object_array_get_idx(arr, i), i, &r,
		    path, err) == -1) {
			registry_reg_free(&r);
			json_object_put(arr);
			registry_free(rg);
			return (-1);
		}
		registry_append(rg, &r);
		registry_reg_free(&r);
	}
	json_object_put(arr);
	return (0);
}

/* Takes the lock file next to path; the fd holds the lock until closed. */
static int
registry_lock(const char *path, int how, struct ufo_error *err)
{
	char	*lock;
	int	 fd;

	lock = xprintf("%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", lock,
		    strerror(errno));
		free(lock);
		return (-1);
	}
	while (flock(fd, how) == -1) {
		if (errno == EINTR)
			continue;
		err_set(err, UFO_EINTERNAL, "", "%s: flock: %s", lock,
		    strerror(errno));
		close(fd);
		free(lock);
		return (-1);
	}
	free(lock);
	return (fd);
}

/* The directory part of path, created 0700 when missing. */
static int
registry_mkdir(const char *path, struct ufo_error *err)
{
	char	*dir, *slash;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir) {
		free(dir);
		return (0);
	}
	*slash = '\0';
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", dir,
		    strerror(errno));
		free(dir);
		return (-1);
	}
	free(dir);
	return (0);
}

static int
registry_load_locked(const char *path, struct registry *rg,
    struct ufo_error *err)
{
	int	 fd, rc;

	memset(rg, 0, sizeof *rg);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	}
	rc = registry_read(fd, path, rg, err);
	close(fd);
	return (rc);
}

int
registry_load(const char *path, struct registry *rg, struct ufo_error *err)
{
	int	 lock, rc;

	memset(rg, 0, sizeof *rg);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return (0);
	if ((lock = registry_lock(path, LOCK_SH, err)) == -1)
		return (-1);
	rc = registry_load_locked(path, rg, err);
	close(lock);
	return (rc);
}

static struct json_object *
registry_json(const struct registry *rg)
{
	struct json_object	*arr, *o, *tags;
	const struct registration *r;
	size_t			 i, j;

	arr = json_object_new_array();
	for (i = 0; i < rg->n; i++) {
		r = &rg->regs[i];
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(r->id));
		json_object_object_add(o, "name",
		    json_object_new_string(r->name));
		json_object_object_add(o, "server",
		    json_object_new_string(r->server));
		json_object_object_add(o, "token",
		    json_object_new_string(r->token));
		json_object_object_add(o, "units",
		    json_object_new_int(r->units));
		if (r->ca_file != NULL)
			json_object_object_add(o, "ca_file",
			    json_object_new_string(r->ca_file));
		tags = json_object_new_array();
		for (j = 0; r->tags != NULL && r->tags[j] != NULL; j++) {
			json_object_array_add(tags,
			    json_object_new_string(r->tags[j]));
		}
		json_object_object_add(o, "tags", tags);
		json_object_array_add(arr, o);
	}
	return (arr);
}

/* Replaces the file: a 0600 temporary, fsync, rename, fsync the dir. */
static int
registry_save(const char *path, const struct registry *rg,
    struct ufo_error *err)
{
	struct json_object	*arr;
	const char		*text;
	char			*tmp, *dir, *slash;
	size_t			 len, off = 0;
	ssize_t			 n;
	int			 fd, dfd;

	tmp = xprintf("%s.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", tmp,
		    strerror(errno));
		free(tmp);
		return (-1);
	}
	arr = registry_json(rg);
	text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	if (off == len && write(fd, "\n", 1) == 1 && fchmod(fd, 0600) == 0 &&
	    fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) == 0) {
			json_object_put(arr);
			free(tmp);
			/* The rename itself must survive a crash too. */
			dir = xstrdup(path);
			if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
				*slash = '\0';
			if ((dfd = open(dir, O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC)) != -1) {
				(void)fsync(dfd);
				close(dfd);
			}
			free(dir);
			return (0);
		}
	}
	err_set(err, UFO_EINTERNAL, "", "cannot write %s: %s", path,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	json_object_put(arr);
	free(tmp);
	return (-1);
}

int
registry_add(const char *path, const struct registration *r,
    struct ufo_error *err)
{
	struct registry	 rg;
	size_t		 i;
	int		 lock, rc;

	if (registry_mkdir(path, err) == -1)
		return (-1);
	if ((lock = registry_lock(path, LOCK_EX, err)) == -1)
		return (-1);
	if (registry_load_locked(path, &rg, err) == -1) {
		close(lock);
		return (-1);
	}
	for (i = 0; i < rg.n; i++) {
		if (strcmp(rg.regs[i].id, r->id) == 0) {
			registry_reg_free(&rg.regs[i]);
			registry_reg_copy(&rg.regs[i], r);
			break;
		}
	}
	if (i == rg.n)
		registry_append(&rg, r);
	rc = registry_save(path, &rg, err);
	registry_free(&rg);
	close(lock);
	return (rc);
}

int
registry_find(const struct registry *rg, const char *which,
    struct ufo_error *err)
{
	size_t	 i, len = strlen(which);
	int	 found = -1, matches = 0;

	for (i = 0; i < rg->n; i++) {
		if (strcmp(rg->regs[i].id, which) == 0)
			return ((int)i);
	}
	for (i = 0; i < rg->n; i++) {
		if (strcmp(rg->regs[i].name, which) == 0) {
			found = (int)i;
			matches++;
		}
	}
	if (matches == 0 && len > 0) {
		for (i = 0; i < rg->n; i++) {
			if (strncmp(rg->regs[i].id, which, len) == 0) {
				found = (int)i;
				matches++;
			}
		}
	}
	if (matches == 1)
		return (found);
	if (matches > 1)
		return (err_set(err, UFO_EINVAL, "", "\"%s\" names %d "
		    "registrations: give the rover id", which, matches));
	return (err_set(err, UFO_ENOTFOUND, "", "no registration \"%s\"",
	    which));
}

int
registry_remove(const char *path, const char *which, int all,
    struct registry *removed, struct ufo_error *err)
{
	struct registry	 rg, keep;
	size_t		 i;
	int		 lock, rc, idx = -1;

	if (removed != NULL)
		memset(removed, 0, sizeof *removed);
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		if (all)
			return (0);
		return (err_set(err, UFO_ENOTFOUND, "", "no registration "
		    "\"%s\"", which));
	}
	if ((lock = registry_lock(path, LOCK_EX, err)) == -1)
		return (-1);
	if (registry_load_locked(path, &rg, err) == -1) {
		close(lock);
		return (-1);
	}
	if (!all && (idx = registry_find(&rg, which, err)) == -1) {
		registry_free(&rg);
		close(lock);
		return (-1);
	}
	memset(&keep, 0, sizeof keep);
	for (i = 0; i < rg.n; i++) {
		if (all || (int)i == idx) {
			if (removed != NULL)
				registry_append(removed, &rg.regs[i]);
		} else
			registry_append(&keep, &rg.regs[i]);
	}
	rc = registry_save(path, &keep, err);
	registry_free(&keep);
	registry_free(&rg);
	close(lock);
	return (rc);
}
