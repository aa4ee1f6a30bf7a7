#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "vault.h"
#include "xmalloc.h"

#define VAULT_HEX_SIZE	(STORE_VAULT_KEY_SIZE * 2)

/* Where the key comes from: a file (path) or a variable (env). */
struct vault_source {
	char		*path;
	const char	*env;
};

static void
vault_source(const struct conf *conf, struct vault_source *src)
{
	const char	*slash;

	memset(src, 0, sizeof *src);
	if (conf->master_key_env != NULL) {
		src->env = conf->master_key_env;
		return;
	}
	if (conf->master_key_file != NULL) {
		src->path = xstrdup(conf->master_key_file);
		return;
	}
	slash = strrchr(conf->database, '/');
	if (slash == NULL)
		src->path = xstrdup("master.key");
	else
		src->path = xprintf("%.*s/master.key",
		    (int)(slash - conf->database), conf->database);
}

/* 64 hex digits, white space around them allowed, into key. */
static int
vault_parse(const char *text, size_t len, unsigned char *key)
{
	size_t	 n;

	while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
		len--;
	while (len > 0 && strchr(" \t\r\n", *text) != NULL) {
		text++;
		len--;
	}
	if (len != VAULT_HEX_SIZE)
		return (-1);
	if (sodium_hex2bin(key, STORE_VAULT_KEY_SIZE, text, len, NULL, &n,
	    NULL) != 0 || n != STORE_VAULT_KEY_SIZE)
		return (-1);
	return (0);
}

/* The key in file path: 0 read, 1 no such file, -1 unusable (err). */
static int
vault_read_file(const char *path, unsigned char *key, struct ufo_error *err)
{
	struct stat	 st;
	char		 buf[VAULT_HEX_SIZE + 64];
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		return (err_set(err, UFO_EINTERNAL, "", "master key %s: %s",
		    path, strerror(errno)));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return (err_set(err, UFO_EINTERNAL, "", "master key %s: not a "
		    "regular file", path));
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return (err_set(err, UFO_EINTERNAL, "", "master key %s: mode "
		    "%04o lets others read it; chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path));
	}
	while (len < sizeof buf) {
		n = read(fd, buf + len, sizeof buf - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1)
				rc = err_set(err, UFO_EINTERNAL, "", "master "
				    "key %s: %s", path, strerror(errno));
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (rc == 0 && vault_parse(buf, len, key) != 0)
		rc = err_set(err, UFO_EINTERNAL, "", "master key %s: expected "
		    "64 hexadecimal digits (32 bytes)", path);
	sodium_memzero(buf, sizeof buf);
	return (rc);
}

static int
vault_read_env(const char *name, unsigned char *key, struct ufo_error *err)
{
	const char	*v;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return (err_set(err, UFO_EINTERNAL, "", "master_key_env names "
		    "%s, which is not set", name));
	if (vault_parse(v, strlen(v), key) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "master key in $%s: "
		    "expected 64 hexadecimal digits (32 bytes)", name));
	return (0);
}

/* fsync of the directory holding path, so a new name in it is durable. */
static int
vault_sync_dir(const char *path, struct ufo_error *err)
{
	const char	*slash;
	char		*dir;
	int		 fd, rc = 0;

	slash = strrchr(path, '/');
	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xprintf("%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1)
		rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", dir,
		    strerror(errno));
	if (fd != -1)
		close(fd);
	free(dir);
	return (rc);
}

/* Writes key to a new file path (0600, synced); fails if path exists. */
static int
vault_write_new(const char *path, const unsigned char *key,
    struct ufo_error *err)
{
	char	 hex[VAULT_HEX_SIZE + 2];
	size_t	 off = 0, len;
	ssize_t	 n;
	int	 fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return (err_set(err, UFO_EINTERNAL, "", "cannot create master "
		    "key %s: %s", path, strerror(errno)));
	sodium_bin2hex(hex, sizeof hex, key, STORE_VAULT_KEY_SIZE);
	len = strlen(hex);
	hex[len++] = '\n';
	while (off < len) {
		if ((n = write(fd, hex + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	sodium_memzero(hex, sizeof hex);
	if (off != len || fsync(fd) == -1)
		rc = err_set(err, UFO_EINTERNAL, "", "cannot write master key "
		    "%s: %s", path, strerror(errno));
	if (close(fd) == -1 && rc == 0)
		rc = err_set(err, UFO_EINTERNAL, "", "cannot write master key "
		    "%s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(path);
	else
		rc = vault_sync_dir(path, err);
	return (rc);
}

static int
vault_id_is(const unsigned char *key, const char *want)
{
	char	 id[STORE_VAULT_ID_SIZE];

	store_vault_key_id(key, id, sizeof id);
	return (*want != '\0' && strcmp(id, want) == 0);
}

/*
 * A rotation stopped between its steps left path.new: when the database
 * took the new key, the rename is done now; when it still has the old one,
 * the new file goes. *have says whether key holds the file's key after.
 */
static int
vault_recover(const char *path, const char *db, const char *dbid,
    unsigned char *key, int *have, struct ufo_error *err)
{
	unsigned char	 next[STORE_VAULT_KEY_SIZE];
	struct ufo_error e;
	char		*tmp;
	int		 r, rc = 0;

	tmp = xprintf("%s.new", path);
	if (access(tmp, F_OK) == -1) {
		free(tmp);
		return (0);
	}
	if (*have && (*dbid == '\0' || vault_id_is(key, dbid))) {
		log_warn("master key %s: a rotation did not finish; the "
		    "database still has the old key, dropping %s", path, tmp);
		if (unlink(tmp) == -1)
			rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", tmp,
			    strerror(errno));
		free(tmp);
		return (rc);
	}
	r = vault_read_file(tmp, next, &e);
	if (r == 0 && vault_id_is(next, dbid)) {
		if (rename(tmp, path) == -1)
			rc = err_set(err, UFO_EINTERNAL, "", "cannot rename "
			    "%s to %s: %s", tmp, path, strerror(errno));
		else if ((rc = vault_sync_dir(path, err)) == 0) {
			log_info("master key %s: finished the rotation that "
			    "was interrupted", path);
			memcpy(key, next, sizeof next);
			*have = 1;
		}
	} else
		rc = err_set(err, UFO_ECONFLICT, "", "master key %s: neither "
		    "it nor %s (left by an interrupted rotation) is the key "
		    "of database %s; refusing to start", path, tmp,
		    db);
	sodium_memzero(next, sizeof next);
	free(tmp);
	return (rc);
}

int
vault_start(struct store *s, const struct conf *conf, struct ufo_error *err)
{
	struct vault_source	 src;
	unsigned char		 key[STORE_VAULT_KEY_SIZE];
	char			 dbid[STORE_VAULT_ID_SIZE];
	char			 id[STORE_VAULT_ID_SIZE];
	int64_t			 n;
	int			 r, have = 0, made = 0, rc = -1;

	vault_source(conf, &src);
	if (store_vault_state(s, dbid, sizeof dbid, &n, err) != 0)
		goto out;
	if (src.env != NULL) {
		if (vault_read_env(src.env, key, err) != 0)
			goto out;
	} else {
		if ((r = vault_read_file(src.path, key, err)) == -1)
			goto out;
		have = r == 0;
		if (vault_recover(src.path, conf->database, dbid, key,
		    &have, err) != 0)
			goto out;
		if (!have && n > 0) {
			err_set(err, UFO_ECONFLICT, "", "master key %s is "
			    "missing, and database %s holds %lld credential%s "
			    "sealed under key %s: put the key file back (or "
			    "name it with master_key_file or master_key_env in "
			    "ufo.conf); refusing to start", src.path,
			    conf->database, (long long)n, n == 1 ? "" : "s",
			    dbid);
			goto out;
		}
		if (!have) {
			randombytes_buf(key, sizeof key);
			if (vault_write_new(src.path, key, err) != 0)
				goto out;
			log_info("created master key %s", src.path);
			if (*dbid != '\0')
				log_warn("database %s had another master key "
				    "(id %s) but no credentials: it takes the "
				    "new one", conf->database, dbid);
			made = 1;
		}
	}
	store_vault_key_id(key, id, sizeof id);
	if (store_vault_attach(s, key, made, err) != 0) {
		if (err->code != UFO_ECONFLICT)
			goto out;
		err_set(err, UFO_ECONFLICT, "", "master key %s%s is not the "
		    "key of database %s (key id %s; the database's is %s, "
		    "with %lld credential%s): refusing to start",
		    src.env != NULL ? "in $" : "", src.env != NULL ? src.env :
		    src.path, conf->database, id, dbid, (long long)n,
		    n == 1 ? "" : "s");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(key, sizeof key);
	free(src.path);
	return (rc);
}

int
vault_rotate(struct store *s, const struct conf *conf, int64_t *n,
    char **where, struct ufo_error *err)
{
	struct vault_source	 src;
	unsigned char		 key[STORE_VAULT_KEY_SIZE];
	char			*tmp = NULL;
	int			 rc = -1;

	*n = 0;
	*where = NULL;
	vault_source(conf, &src);
	if (src.env != NULL)
		return (err_set(err, UFO_EINVAL, "", "the master key comes "
		    "from $%s (master_key_env): rotation writes a new key, so "
		    "it needs a key file (master_key_file)", src.env));
	randombytes_buf(key, sizeof key);
	tmp = xprintf("%s.new", src.path);
	/* First the new key is safe on disk, then the database takes it. */
	if (vault_write_new(tmp, key, err) != 0)
		goto out;
	if (store_vault_rotate(s, key, n, err) != 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, src.path) == -1) {
		err_set(err, UFO_EINTERNAL, "", "the credentials are sealed "
		    "under the key in %s, but it cannot be renamed to %s: %s "
		    "(the next start finishes this)", tmp, src.path,
		    strerror(errno));
		goto out;
	}
	if (vault_sync_dir(src.path, err) != 0)
		goto out;
	*where = src.path;
	src.path = NULL;
	rc = 0;
out:
	sodium_memzero(key, sizeof key);
	free(tmp);
	free(src.path);
	return (rc);
}
