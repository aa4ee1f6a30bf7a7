#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pilot.h"
#include "proc.h"
#include "registry.h"
#include "workdir.h"
#include "xmalloc.h"

extern char **environ;

/* Cloning or fetching a large repository over a slow link takes time. */
#define WORKDIR_NET_TIMEOUT	1800
#define WORKDIR_GIT_TIMEOUT	300
/* A diff larger than this is not uploaded (the artifact limit). */
#define WORKDIR_MAX_DIFF	(64U * 1024 * 1024)

char *
workdir_slug(const char *in, const char *fallback)
{
	char	*out;
	size_t	 i, o = 0;
	int	 dash = 0;
	unsigned char c;

	if (in == NULL)
		in = "";
	out = xmalloc(WORKDIR_MAX_SLUG + 1);
	for (i = 0; in[i] != '\0' && o < WORKDIR_MAX_SLUG; i++) {
		c = (unsigned char)in[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-') {
			/* Nothing may start with "." (., ..) or "-". */
			if (o == 0 && (c == '.' || c == '-'))
				continue;
			if (c == '-' && dash)
				continue;
			out[o++] = (char)c;
			dash = (c == '-');
			continue;
		}
		if (o > 0 && !dash) {
			out[o++] = '-';
			dash = 1;
		}
	}
	while (o > 0 && (out[o - 1] == '-' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
	if (o == 0) {
		free(out);
		if (fallback != NULL)
			return (workdir_slug(fallback, NULL));
		return (xstrdup("operation"));
	}
	return (out);
}

int
workdir_inside(const char *path, const char *dir)
{
	char	 rp[PATH_MAX], rd[PATH_MAX];
	size_t	 len;

	if (realpath(path, rp) == NULL || realpath(dir, rd) == NULL)
		return (0);
	len = strlen(rd);
	if (strcmp(rd, "/") == 0)
		return (1);
	return (strncmp(rp, rd, len) == 0 && rp[len] == '/');
}

static int
workdir_mkdir(const char *path, struct ufo_error *err)
{
	struct stat	 sb;

	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	if (lstat(path, &sb) == -1)
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	if (!S_ISDIR(sb.st_mode))
		return (err_set(err, UFO_EINTERNAL, "", "%s: not a directory",
		    path));
	return (0);
}

char *
workdir_outpost(const char *rover, struct ufo_error *err)
{
	char	*home, *id, *rovers, *outpost;

	home = registry_dir();
	rovers = xprintf("%s/rovers", home);
	id = workdir_slug(rover, "rover");
	outpost = xprintf("%s/%s", rovers, id);
	free(id);
	if (workdir_mkdir(home, err) == -1 || workdir_mkdir(rovers, err) ==
	    -1 || workdir_mkdir(outpost, err) == -1) {
		free(outpost);
		outpost = NULL;
	}
	free(rovers);
	free(home);
	return (outpost);
}

void
workdir_free(struct workdir *wd)
{
	free(wd->path);
	free(wd->branch);
	free(wd->start);
	memset(wd, 0, sizeof *wd);
}

/* The environment git runs with: never a prompt for a password. */
static void
workdir_env(struct pilot_strv *sv)
{
	size_t	 i;

	int	 ssh = 0;

	for (i = 0; environ[i] != NULL; i++) {
		if (strncmp(environ[i], "GIT_TERMINAL_PROMPT=", 20) == 0 ||
		    strncmp(environ[i], "GIT_ASKPASS=", 12) == 0 ||
		    strncmp(environ[i], "SSH_ASKPASS=", 12) == 0)
			continue;
		if (strncmp(environ[i], "GIT_SSH_COMMAND=", 16) == 0)
			ssh = 1;
		pilot_strv_add(sv, environ[i]);
	}
	pilot_strv_add(sv, "GIT_TERMINAL_PROMPT=0");
	if (!ssh)
		pilot_strv_add(sv, "GIT_SSH_COMMAND=ssh -o BatchMode=yes");
}

/*
 * Runs git with argv (NULL-terminated, without "git") in dir. *out gets
 * stdout when asked; a failure names the command and git's last words.
 */
static int
workdir_git(const char *dir, const char *const *args, int timeout,
    char **out, size_t *outlen, size_t outmax, struct ufo_error *err)
{
	struct pilot_strv	 argv = { 0 };
	struct pilot_strv	 env = { 0 };
	struct proc_spec	 ps;
	struct proc_result	 pr;
	char			*git, *why, *msg, *end;
	size_t			 i;
	int			 rc = 0;

	if ((git = proc_which("git", getenv("PATH"))) == NULL)
		return (err_set(err, UFO_EINTERNAL, "", "git is not on PATH"));
	pilot_strv_add(&argv, "git");
	for (i = 0; args[i] != NULL; i++)
		pilot_strv_add(&argv, args[i]);
	workdir_env(&env);
	memset(&ps, 0, sizeof ps);
	ps.path = git;
	ps.argv = argv.v;
	ps.envp = env.v;
	ps.dir = dir;
	ps.pgrp = 1;
	if (proc_run(&ps, timeout, out != NULL ? outmax : 0, &pr, err) == 0 &&
	    !pilot_exited_ok(pr.status)) {
		why = proc_status(pr.status);
		/* git's last line says what went wrong. */
		msg = pr.err;
		end = msg + strlen(msg);
		while (end > msg && (end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		if ((msg = strrchr(pr.err, '\n')) != NULL)
			msg++;
		else
			msg = pr.err;
		rc = err_set(err, UFO_EINTERNAL, "", "git %s: %s%s%s", args[0],
		    why, *msg != '\0' ? ": " : "", msg);
		free(why);
	} else if (pr.truncated)
		rc = err_set(err, UFO_ETOOLARGE, "", "git %s: more than %zu "
		    "bytes of output", args[0], outmax);
	else if (pr.timed_out)
		rc = -1;
	if (rc == 0 && out != NULL) {
		*out = pr.out;
		*outlen = pr.outlen;
		pr.out = NULL;
	}
	proc_result_free(&pr);
	pilot_strv_free(&argv);
	pilot_strv_free(&env);
	free(git);
	return (rc);
}

/* One line of git's stdout, trimmed; NULL on failure. */
static char *
workdir_git_line(const char *dir, const char *const *args,
    struct ufo_error *err)
{
	char	*out;
	size_t	 len;

	if (workdir_git(dir, args, WORKDIR_GIT_TIMEOUT, &out, &len, 65536,
	    err) == -1)
		return (NULL);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	return (out);
}

/* Whether a ref exists in the repository at dir. */
static int
workdir_has_ref(const char *dir, const char *ref)
{
	const char *const	 args[] = { "rev-parse", "--verify", "--quiet",
				     ref, NULL };
	char			*out;
	size_t			 len;

	if (workdir_git(dir, args, WORKDIR_GIT_TIMEOUT, &out, &len, 4096,
	    NULL) == -1)
		return (0);
	free(out);
	return (1);
}

/* A stable name for a source in the cache: FNV-1a, 64 bits, in hex. */
static char *
workdir_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (xprintf("%016llx", (unsigned long long)h));
}

/*
 * The source as git should see it: a URL or host:path as it is, a local
 * path (~ for the home directory) made absolute, so that one source has
 * one cache whatever the spelling.
 */
static char *
workdir_source(const char *repo, struct ufo_error *err)
{
	const char	*home;
	char		 rp[PATH_MAX], *path;

	if (strstr(repo, "://") != NULL)
		return (xstrdup(repo));
	if (repo[0] != '/' && repo[0] != '.' && repo[0] != '~' &&
	    strchr(repo, ':') != NULL)
		return (xstrdup(repo));	/* user@host:path */
	if (repo[0] == '~' && (repo[1] == '/' || repo[1] == '\0')) {
		if ((home = getenv("HOME")) == NULL)
			home = "/";
		path = xprintf("%s%s", home, repo + 1);
	} else
		path = xstrdup(repo);
	if (realpath(path, rp) == NULL) {
		err_set(err, UFO_EINVAL, "", "mission source %s: %s", repo,
		    strerror(errno));
		free(path);
		return (NULL);
	}
	free(path);
	return (xstrdup(rp));
}

/* Removes what an interrupted clone left behind. */
static void
workdir_rmrf(const char *path)
{
	const char *const	 argv[] = { "rm", "-rf", "--", path, NULL };
	struct proc_spec	 ps;
	struct proc_result	 pr;

	memset(&ps, 0, sizeof ps);
	ps.path = "/bin/rm";
	ps.argv = (char *const *)argv;
	(void)proc_run(&ps, 120, 0, &pr, NULL);
	proc_result_free(&pr);
}

/*
 * The cache: a bare clone of the source, made once and fetched before
 * each new work dir, under a lock (runs of two operations of one mission
 * may start together). The source's branches land in refs/remotes/origin
 * so that a fetch never touches the ufo/ branches of the work dirs.
 * Returns the start point for a new branch.
 */
static char *
workdir_cache(const char *outpost, const char *repo, const char *branch,
    char **cachep, struct ufo_error *err)
{
	const char *const	 fetch[] = { "fetch", "--quiet", "--prune",
				     "origin", "+refs/heads/*:refs/remotes/origin/*",
				     NULL };
	const char		*head[] = { "symbolic-ref", "--short", "HEAD",
				     NULL };
	const char		*clone[] = { "clone", "--quiet", "--bare", "--",
				     NULL, NULL, NULL };
	const char		*url[] = { "config", "remote.origin.url",
				     NULL };
	char			*source, *hash, *dir, *cache, *tmp, *lock;
	char			*have, *def = NULL, *start = NULL;
	int			 lfd = -1;

	*cachep = NULL;
	if ((source = workdir_source(repo, err)) == NULL)
		return (NULL);
	dir = xprintf("%s/cache", outpost);
	hash = workdir_hash(source);
	cache = xprintf("%s/%s", dir, hash);
	lock = xprintf("%s/%s.lock", dir, hash);
	if (workdir_mkdir(dir, err) == -1)
		goto out;
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    flock(lfd, LOCK_EX) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", lock,
		    strerror(errno));
		goto out;
	}
	if (access(cache, F_OK) == -1) {
		tmp = xprintf("%s.tmp", cache);
		clone[4] = source;
		clone[5] = tmp;
		/* A clone cut short leaves a tmp behind; start over. */
		if (access(tmp, F_OK) == 0)
			workdir_rmrf(tmp);
		if (workdir_git(dir, clone, WORKDIR_NET_TIMEOUT, NULL, NULL,
		    0, err) == -1 || rename(tmp, cache) == -1) {
			if (err != NULL && err->message[0] == '\0')
				err_set(err, UFO_EINTERNAL, "", "%s: %s", cache,
				    strerror(errno));
			workdir_rmrf(tmp);
			free(tmp);
			goto out;
		}
		free(tmp);
	} else {
		/* Two sources hashing alike must not share a cache. */
		if ((have = workdir_git_line(cache, url, err)) == NULL)
			goto out;
		if (strcmp(have, source) != 0) {
			err_set(err, UFO_EINTERNAL, "", "%s is a clone of %s, "
			    "not %s", cache, have, source);
			free(have);
			goto out;
		}
		free(have);
	}
	if (workdir_git(cache, fetch, WORKDIR_NET_TIMEOUT, NULL, NULL, 0,
	    err) == -1)
		goto out;
	if (branch == NULL || *branch == '\0') {
		/* The source's default branch, as the clone recorded it. */
		if ((def = workdir_git_line(cache, head, err)) == NULL)
			goto out;
		branch = def;
	}
	start = xprintf("refs/remotes/origin/%s", branch);
	if (!workdir_has_ref(cache, start)) {
		err_set(err, UFO_EINVAL, "", "mission source %s has no branch "
		    "%s", repo, branch);
		free(start);
		start = NULL;
		goto out;
	}
	*cachep = cache;
	cache = NULL;
out:
	if (lfd != -1)
		close(lfd);
	free(def);
	free(lock);
	free(cache);
	free(hash);
	free(dir);
	free(source);
	return (start);
}

/* The work dir of an operation already made by an earlier run. */
static char *
workdir_existing(const char *ops, const char *code)
{
	struct dirent	*de;
	DIR		*d;
	char		*found = NULL, *c;
	size_t		 len;

	if (code == NULL || *code == '\0' || (d = opendir(ops)) == NULL)
		return (NULL);
	c = workdir_slug(code, NULL);
	len = strlen(c);
	/* KEY-12 or KEY-12-…: the title in the slug may have changed. */
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, c, len) == 0 &&
		    (de->d_name[len] == '\0' || de->d_name[len] == '-')) {
			found = xprintf("%s/%s", ops, de->d_name);
			break;
		}
	}
	closedir(d);
	free(c);
	return (found);
}

int
workdir_prepare(const struct workdir_spec *ws, struct workdir *wd,
    struct ufo_error *err)
{
	const char		*init[] = { "init", "--quiet", NULL };
	const char		*commit[] = { "-c", "user.name=ufo-rover", "-c",
				     "user.email=ufo-rover@localhost", "commit",
				     "--quiet", "--allow-empty", "--no-verify",
				     "-m", "ufo: start", NULL };
	const char		*checkout[] = { "checkout", "--quiet", "-B",
				     NULL, NULL };
	const char		*prune[] = { "worktree", "prune", NULL };
	const char		*add[] = { "worktree", "add", "--quiet", NULL,
				     NULL, NULL, NULL, NULL };
	const char *const	 headrev[] = { "rev-parse", "HEAD", NULL };
	struct stat		 sb;
	char			*ops, *slug, *code, *cache = NULL, *start;
	char			*git, *ref;
	int			 rc = -1;

	memset(wd, 0, sizeof *wd);
	ops = xprintf("%s/operations", ws->outpost);
	if (workdir_mkdir(ops, err) == -1 || !workdir_inside(ops,
	    ws->outpost)) {
		if (err != NULL && err->message[0] == '\0')
			err_set(err, UFO_EINTERNAL, "", "%s is not inside %s",
			    ops, ws->outpost);
		free(ops);
		return (-1);
	}
	code = workdir_slug(ws->code, "operation");
	wd->branch = xprintf("ufo/%s", code);
	if ((wd->path = workdir_existing(ops, ws->code)) == NULL) {
		slug = workdir_slug(ws->slug, ws->code);
		wd->path = xprintf("%s/%s", ops, slug);
		free(slug);
	}
	git = xprintf("%s/.git", wd->path);

	if (lstat(wd->path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		err_set(err, UFO_EINTERNAL, "", "%s: not a directory",
		    wd->path);
		goto out;
	}
	if (lstat(git, &sb) == 0) {
		wd->reused = 1;
	} else if (ws->repo != NULL && *ws->repo != '\0') {
		if ((start = workdir_cache(ws->outpost, ws->repo, ws->branch,
		    &cache, err)) == NULL)
			goto out;
		(void)workdir_git(cache, prune, WORKDIR_GIT_TIMEOUT, NULL,
		    NULL, 0, NULL);
		/* A branch left by an earlier work dir keeps its commits. */
		ref = xprintf("refs/heads/%s", wd->branch);
		if (workdir_has_ref(cache, ref)) {
			add[3] = wd->path;
			add[4] = wd->branch;
		} else {
			add[3] = "-b";
			add[4] = wd->branch;
			add[5] = wd->path;
			add[6] = start;
		}
		free(ref);
		rc = workdir_git(cache, add, WORKDIR_GIT_TIMEOUT, NULL, NULL,
		    0, err);
		free(start);
		if (rc == -1)
			goto out;
		rc = -1;
	} else {
		if (workdir_mkdir(wd->path, err) == -1)
			goto out;
		checkout[3] = wd->branch;
		if (workdir_git(wd->path, init, WORKDIR_GIT_TIMEOUT, NULL, NULL,
		    0, err) == -1 ||
		    workdir_git(wd->path, commit, WORKDIR_GIT_TIMEOUT, NULL,
		    NULL, 0, err) == -1 ||
		    workdir_git(wd->path, checkout, WORKDIR_GIT_TIMEOUT, NULL,
		    NULL, 0, err) == -1)
			goto out;
	}
	if (!workdir_inside(wd->path, ws->outpost)) {
		err_set(err, UFO_EINTERNAL, "", "%s resolves outside %s",
		    wd->path, ws->outpost);
		goto out;
	}
	if ((wd->start = workdir_git_line(wd->path, headrev, err)) == NULL)
		goto out;
	rc = 0;
out:
	if (rc == -1) {
		free(wd->path);
		free(wd->branch);
		wd->path = wd->branch = NULL;
	}
	free(git);
	free(cache);
	free(code);
	free(ops);
	return (rc);
}

int
workdir_diff(const struct workdir *wd, char **out, size_t *len,
    struct ufo_error *err)
{
	const char *const	 add[] = { "add", "-N", ".", NULL };
	const char		*diff[] = { "-c", "core.quotePath=false",
				     "diff", "--binary", "--no-color",
				     "--no-ext-diff", "--no-textconv",
				     "--src-prefix=a/", "--dst-prefix=b/",
				     NULL, "--", NULL };

	*out = NULL;
	*len = 0;
	/* New files are not in a diff unless the index knows of them. */
	if (workdir_git(wd->path, add, WORKDIR_GIT_TIMEOUT, NULL, NULL, 0,
	    err) == -1)
		return (-1);
	diff[9] = wd->start;
	return (workdir_git(wd->path, diff, WORKDIR_GIT_TIMEOUT, out, len,
	    WORKDIR_MAX_DIFF, err));
}
