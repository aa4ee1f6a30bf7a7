#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tokenfile.h"
#include "xmalloc.h"

/* A URL as a key: without the slashes it may end with. */
static char *
tokenfile_key(const char *url)
{
	size_t	 len = strlen(url);

	while (len > 0 && url[len - 1] == '/')
		len--;
	return (xstrndup(url, len));
}

/* The value of key's line in the open file, allocated; NULL if none. */
static char *
tokenfile_find(FILE *f, const char *key)
{
	char	*line = NULL, *sp, *found = NULL;
	size_t	 size = 0, klen = strlen(key);
	ssize_t	 n;

	while (found == NULL && (n = getline(&line, &size, f)) != -1) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((sp = strchr(line, ' ')) == NULL ||
		    (size_t)(sp - line) != klen ||
		    strncmp(line, key, klen) != 0)
			continue;
		found = xstrdup(sp + 1);
	}
	if (line != NULL)
		explicit_bzero(line, size);
	free(line);
	return (found);
}

char *
tokenfile_get(const char *url)
{
	FILE	*f;
	char	*path, *key, *token;

	path = conf_default_tokens();
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return (NULL);
	key = tokenfile_key(url);
	token = tokenfile_find(f, key);
	free(key);
	fclose(f);
	if (token != NULL && *token == '\0') {
		free(token);
		token = NULL;
	}
	return (token);
}

/* Copies the lines of old (may be NULL) but key's into f. */
static int
tokenfile_copy(FILE *old, FILE *f, const char *key)
{
	char	*line = NULL;
	size_t	 size = 0, klen = strlen(key);
	ssize_t	 n;
	int	 rc = 0;

	while (old != NULL && (n = getline(&line, &size, old)) != -1) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			continue;
		if (fputs(line, f) == EOF)
			rc = -1;
	}
	if (line != NULL)
		explicit_bzero(line, size);
	free(line);
	return (rc);
}

int
tokenfile_put(const char *url, const char *token, struct ufo_error *err)
{
	FILE	*old, *f = NULL;
	char	*path, *tmp, *key;
	int	 fd, rc = -1;

	if (strchr(token, '\n') != NULL || strchr(token, ' ') != NULL)
		return (err_set(err, UFO_EINVAL, "", "the server answered a "
		    "token that cannot be kept"));
	path = conf_default_tokens();
	tmp = xprintf("%s.XXXXXX", path);
	key = tokenfile_key(url);
	if (conf_mkdir_parent(path, 0700, err) != 0)
		goto out;
	if ((fd = mkstemp(tmp)) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	/* mkstemp makes it 0600 already; say so for any umask. */
	if (fchmod(fd, 0600) == -1 || (f = fdopen(fd, "w")) == NULL) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	old = fopen(path, "r");
	if (tokenfile_copy(old, f, key) != 0 ||
	    fprintf(f, "%s %s\n", key, token) < 0 || fflush(f) == EOF ||
	    fsync(fileno(f)) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", tmp,
		    strerror(errno));
		if (old != NULL)
			fclose(old);
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (old != NULL)
		fclose(old);
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(key);
	free(tmp);
	free(path);
	return (rc);
}
