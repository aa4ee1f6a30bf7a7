/*
 * Work dirs: slug sanitising and escape attempts (../, /, very long,
 * UTF-8, symlinks), a fresh repository when the mission has no source,
 * a worktree of a local source through the clone cache, reuse by later
 * runs, and diffs with new and binary files.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pilot.h"
#include "proc.h"
#include "workdir.h"
#include "xmalloc.h"
#include "tap.h"

static char	*tmpdir;

#define IS_SLUG(in, fallback, want) do {				\
	char	*s_ = workdir_slug((in), (fallback));			\
									\
	is_str(s_, (want), "slug: " #in " -> " want);			\
	free(s_);							\
} while (0)

/* A name that can only ever be one directory inside another. */
static int
slug_safe(const char *s)
{
	size_t	 i, len = strlen(s);

	if (len == 0 || len > WORKDIR_MAX_SLUG || s[0] == '.' || s[0] == '-')
		return (0);
	for (i = 0; i < len; i++) {
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._-", s[i]) == NULL)
			return (0);
	}
	return (1);
}

static void
test_slug(void)
{
	char	 big[300], *s, rnd[40];
	int	 i, j, bad = 0;

	IS_SLUG("UFO-12-fix-the-thing", NULL, "UFO-12-fix-the-thing");
	IS_SLUG("../../etc/passwd", NULL, "etc-passwd");
	IS_SLUG("/", "UFO-1", "UFO-1");
	IS_SLUG("..", "UFO-1", "UFO-1");
	IS_SLUG(".", NULL, "operation");
	IS_SLUG("", NULL, "operation");
	IS_SLUG(NULL, NULL, "operation");
	IS_SLUG("/etc", NULL, "etc");
	IS_SLUG("a/../b", NULL, "a-..-b");
	IS_SLUG("-rf /", NULL, "rf");
	IS_SLUG(".hidden", NULL, "hidden");
	IS_SLUG("name.", NULL, "name");
	IS_SLUG("a   b\t\nc", NULL, "a-b-c");
	IS_SLUG("UFO-7-\xc3\x9c" "n\xc3\xaf" "c\xc3\xb8" "de title \xe2\x9c\x93", NULL,
	    "UFO-7-n-c-de-title");
	IS_SLUG("\xe2\x9c\x93\xe2\x9c\x93", "../UFO-9", "UFO-9");
	IS_SLUG("\xe2\x9c\x93", "..", "operation");

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	s = workdir_slug(big, NULL);
	is_int(strlen(s), WORKDIR_MAX_SLUG, "slug: very long is cut to 64");
	free(s);
	for (i = 0; i < 70; i++)
		big[i] = i % 2 ? '.' : '/';
	big[70] = '\0';
	s = workdir_slug(big, NULL);
	ok(slug_safe(s), "slug: a long run of ./ is safe");
	free(s);

	srandom(42);
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < (int)sizeof rnd - 1; j++)
			rnd[j] = (char)(random() % 255 + 1);
		rnd[random() % (sizeof rnd - 1)] = '\0';
		s = workdir_slug(rnd, NULL);
		if (!slug_safe(s)) {
			printf("# unsafe slug \"%s\"\n", s);
			bad++;
		}
		free(s);
	}
	is_int(bad, 0, "slug: 2000 random names are all single safe names");
}

/* Runs argv (no shell), quietly; the exit status. */
static int
run(const char *dir, const char *const *argv)
{
	struct proc_spec	 ps;
	struct proc_result	 pr;
	char			*path;
	int			 rc;

	if ((path = proc_which(argv[0], getenv("PATH"))) == NULL)
		return (-1);
	memset(&ps, 0, sizeof ps);
	ps.path = path;
	ps.argv = (char *const *)argv;
	ps.dir = dir;
	rc = proc_run(&ps, 60, 1 << 20, &pr, NULL) == 0 &&
	    pilot_exited_ok(pr.status) ? 0 : 1;
	if (rc != 0)
		printf("# %s failed: %s\n", argv[0], pr.err != NULL ? pr.err :
		    "");
	proc_result_free(&pr);
	free(path);
	return (rc);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL) {
		printf("# %s: %s\n", path, strerror(errno));
		return;
	}
	fwrite(data, 1, len, f);
	fclose(f);
}

static int
contains(const char *hay, size_t len, const char *needle)
{
	return (hay != NULL && memmem(hay, len, needle, strlen(needle)) !=
	    NULL);
}

static void
test_fresh(const char *outpost)
{
	struct workdir_spec	 ws;
	struct workdir		 wd, wd2;
	struct ufo_error	 err;
	char			*p, *diff, *link, *outside;
	size_t			 len;
	struct stat		 sb;

	memset(&ws, 0, sizeof ws);
	ws.outpost = outpost;
	ws.slug = "UFO-1-say-hello";
	ws.code = "UFO-1";
	err_clear(&err);
	ok(workdir_prepare(&ws, &wd, &err) == 0, "fresh: prepared");
	if (err.message[0] != '\0')
		printf("# %s\n", err.message);
	p = xprintf("%s/operations/UFO-1-say-hello", outpost);
	is_str(wd.path, p, "fresh: operations/<slug>");
	free(p);
	is_str(wd.branch, "ufo/UFO-1", "fresh: branch ufo/KEY-N");
	ok(wd.start != NULL && strlen(wd.start) == 40,
	    "fresh: starting commit recorded");
	ok(!wd.reused, "fresh: not reused");
	p = xprintf("%s/.git", wd.path);
	ok(stat(p, &sb) == 0, "fresh: a git repository");
	free(p);

	p = xprintf("%s/hello.txt", wd.path);
	write_file(p, "hello world\n", 12);
	free(p);
	p = xprintf("%s/blob.bin", wd.path);
	write_file(p, "\0\1\2\3\377binary\0", 12);
	free(p);
	ok(workdir_diff(&wd, &diff, &len, &err) == 0, "fresh: diff");
	ok(contains(diff, len, "new file mode"), "fresh: new files in the "
	    "diff (git add -N)");
	ok(contains(diff, len, "+++ b/hello.txt"), "fresh: hello.txt in it");
	ok(contains(diff, len, "GIT binary patch"), "fresh: binary-safe");
	free(diff);

	/* Another run of the operation, its title changed: same dir. */
	ws.slug = "UFO-1-say-goodbye";
	ok(workdir_prepare(&ws, &wd2, &err) == 0, "reuse: prepared");
	is_str(wd2.path, wd.path, "reuse: the same work dir (by code)");
	ok(wd2.reused, "reuse: reused");
	is_str(wd2.start, wd.start, "reuse: same starting commit");
	ok(workdir_diff(&wd2, &diff, &len, &err) == 0 &&
	    contains(diff, len, "hello.txt"), "reuse: earlier changes kept");
	free(diff);
	workdir_free(&wd2);
	workdir_free(&wd);

	/* UFO-12 is not UFO-1's. */
	ws.slug = "UFO-12-other";
	ws.code = "UFO-12";
	ok(workdir_prepare(&ws, &wd, &err) == 0 && !wd.reused &&
	    strstr(wd.path, "/UFO-12-other") != NULL,
	    "reuse: a code prefix is not the same operation");
	workdir_free(&wd);

	ws.slug = "../../../../../tmp/evil";
	ws.code = "../UFO-3";
	ok(workdir_prepare(&ws, &wd, &err) == 0, "escape: prepared");
	ok(wd.path != NULL && workdir_inside(wd.path, outpost),
	    "escape: ../ stays inside the outpost");
	is_str(wd.branch, "ufo/UFO-3", "escape: branch from the clean code");
	workdir_free(&wd);

	/* A symlink planted where a work dir goes must not be followed. */
	outside = xprintf("%s/outside", tmpdir);
	mkdir(outside, 0700);
	link = xprintf("%s/operations/UFO-4-trap", outpost);
	ok(symlink(outside, link) == 0, "escape: symlink planted");
	ws.slug = "UFO-4-trap";
	ws.code = "UFO-4";
	err_clear(&err);
	ok(workdir_prepare(&ws, &wd, &err) == -1, "escape: symlinked work "
	    "dir refused");
	ok(err.message[0] != '\0', "escape: says why");
	p = xprintf("%s/.git", outside);
	ok(access(p, F_OK) == -1, "escape: nothing made outside");
	free(p);
	free(link);
	free(outside);

	ok(!workdir_inside("/etc", outpost), "inside: /etc is not inside");
	p = xprintf("%s/operations/..", outpost);
	ok(!workdir_inside(p, outpost), "inside: the outpost itself is not "
	    "inside it");
	free(p);
}

static void
test_source(const char *outpost)
{
	const char *const	 init[] = { "git", "init", "--quiet", "-b",
				     "trunk", NULL };
	const char *const	 add[] = { "git", "add", ".", NULL };
	const char *const	 commit[] = { "git", "-c", "user.name=t", "-c",
				     "user.email=t@t", "commit", "--quiet", "-m",
				     "first", NULL };
	struct workdir_spec	 ws;
	struct workdir		 wd, wd2;
	struct ufo_error	 err;
	char			*src, *p, *diff, *cache;
	size_t			 len;

	src = xprintf("%s/source", tmpdir);
	mkdir(src, 0700);
	p = xprintf("%s/README.md", src);
	write_file(p, "# source\n", 9);
	free(p);
	ok(run(src, init) == 0 && run(src, add) == 0 && run(src, commit) == 0,
	    "source: a repository to work on");

	memset(&ws, 0, sizeof ws);
	ws.outpost = outpost;
	ws.slug = "SRC-1-edit";
	ws.code = "SRC-1";
	ws.repo = src;
	err_clear(&err);
	ok(workdir_prepare(&ws, &wd, &err) == 0, "source: worktree prepared");
	if (err.message[0] != '\0')
		printf("# %s\n", err.message);
	p = xprintf("%s/README.md", wd.path != NULL ? wd.path : "");
	ok(access(p, F_OK) == 0, "source: checked out the default branch");
	free(p);
	cache = xprintf("%s/cache", outpost);
	ok(access(cache, F_OK) == 0, "source: cloned into the cache");
	free(cache);
	p = xprintf("%s/README.md", wd.path != NULL ? wd.path : "");
	write_file(p, "# changed\n", 10);
	free(p);
	ok(workdir_diff(&wd, &diff, &len, &err) == 0 &&
	    contains(diff, len, "+# changed"), "source: diff of the change");
	free(diff);

	ws.slug = "SRC-2-other";
	ws.code = "SRC-2";
	ws.branch = "trunk";
	ok(workdir_prepare(&ws, &wd2, &err) == 0, "source: a second "
	    "operation from the same cache");
	is_str(wd2.start, wd.start, "source: same starting commit");
	workdir_free(&wd2);
	workdir_free(&wd);

	ws.slug = "SRC-3";
	ws.code = "SRC-3";
	ws.branch = "no-such-branch";
	err_clear(&err);
	ok(workdir_prepare(&ws, &wd, &err) == -1 &&
	    strstr(err.message, "no-such-branch") != NULL,
	    "source: a missing branch is an error naming it");

	ws.repo = "/nonexistent/repo";
	ws.branch = NULL;
	err_clear(&err);
	ok(workdir_prepare(&ws, &wd, &err) == -1 &&
	    strstr(err.message, "/nonexistent/repo") != NULL,
	    "source: a missing source is an error naming it");
	free(src);
}

int
main(void)
{
	struct ufo_error	 err;
	char			 tmpl[] = "/tmp/t-workdir.XXXXXX", *outpost, *p;
	const char *const	 rm[] = { "rm", "-rf", tmpl, NULL };

	test_slug();
	if ((tmpdir = mkdtemp(tmpl)) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return (1);
	}
	setenv("HOME", tmpdir, 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	err_clear(&err);
	outpost = workdir_outpost("rov_../../x", &err);
	p = xprintf("%s/.ufo/rovers/rov_..-..-x", tmpdir);
	is_str(outpost, p, "outpost: ~/.ufo/rovers/<sanitised id>");
	free(p);
	if (outpost != NULL) {
		test_fresh(outpost);
		test_source(outpost);
	}
	free(outpost);
	run("/", rm);
	return (done_testing());
}
