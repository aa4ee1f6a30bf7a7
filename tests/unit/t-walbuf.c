/*
 * The WAL's writes gathered (walbuf.c), against real files: far fewer
 * writes than SQLite asks for, every commit seen by another connection as
 * soon as it returns, every commit kept by a process killed after it, and
 * a commit whose gathered write fails (the file size limit) failing with
 * nothing of it kept, the database intact.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
#include "walbuf.h"

#define NTX	200

static sqlite3 *
db_open(const char *path, const char *vfs)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
		printf("# open %s: %s\n", path, db != NULL ?
		    sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return (NULL);
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
	    " PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		printf("# setup %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return (NULL);
	}
	return (db);
}

static long long
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

static int
intact(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int		 good = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK)
		return (0);
	if (sqlite3_step(st) == SQLITE_ROW)
		good = strcmp((const char *)sqlite3_column_text(st, 0),
		    "ok") == 0;
	sqlite3_finalize(st);
	return (good);
}

/*
 * One transaction of a few rows spread over pages of a table and index:
 * 0, or SQLite's extended error code.
 */
static int
write_tx(sqlite3 *db, int i, int size)
{
	char	 sql[200];
	int	 rc;

	snprintf(sql, sizeof sql, "BEGIN; INSERT INTO t (k, v)"
	    " SELECT %d * 4 + value, randomblob(%d) FROM four;"
	    " COMMIT;", i, size);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return (0);
	rc = sqlite3_extended_errcode(db);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return (rc != SQLITE_OK ? rc : SQLITE_ERROR);
}

static int
schema(sqlite3 *db)
{
	return (sqlite3_exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY,"
	    " v BLOB); CREATE INDEX t_v ON t (v);"
	    " CREATE TABLE four (value INTEGER);"
	    " INSERT INTO four VALUES (0), (1), (2), (3);",
	    NULL, NULL, NULL) == SQLITE_OK ? 0 : -1);
}

/* A child that commits n transactions, then dies without closing. */
static pid_t
commit_and_die(const char *path, int n)
{
	sqlite3	*db;
	pid_t	 pid;
	int	 i;

	if ((pid = fork()) != 0)
		return (pid);
	if ((db = db_open(path, WALBUF_VFS)) == NULL)
		_exit(2);
	for (i = 0; i < n; i++) {
		if (write_tx(db, 10000 + i, 700) != 0)
			_exit(3);
	}
	kill(getpid(), SIGKILL);
	_exit(4);
}

/*
 * A child whose writes stop at limit bytes a file: it commits until one
 * fails and reports how many succeeded, and the failing one's error.
 */
static pid_t
commit_until_full(const char *path, int fd, off_t limit)
{
	struct rlimit	 rl;
	sqlite3		*db;
	pid_t		 pid;
	int		 i, rc, report[2];

	if ((pid = fork()) != 0)
		return (pid);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = (rlim_t)limit;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
	    (db = db_open(path, WALBUF_VFS)) == NULL)
		_exit(2);
	for (i = 0, rc = 0; i < 100000 && rc == 0; i++)
		rc = write_tx(db, 20000 + i, 1500);
	i--;
	report[0] = i;
	report[1] = rc;
	if (write(fd, report, sizeof report) != sizeof report)
		_exit(5);
	_exit(0);
}

int
main(void)
{
	struct walbuf_stats	 before, after;
	struct stat		 st;
	sqlite3			*w, *r;
	char			 dir[] = "/tmp/t-walbuf.XXXXXX", path[256];
	char			 cmd[300], walpath[300];
	pid_t			 pid;
	int			 i, status, seen = 1, p[2], report[2];
	long long		 n = 0;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (2);
	}
	snprintf(path, sizeof path, "%s/t.db", dir);
	snprintf(walpath, sizeof walpath, "%s-wal", path);
	ok(walbuf_install() == 0, "the VFS installs");
	ok(walbuf_install() == 0, "and again, as a no-op");
	ok(sqlite3_vfs_find(WALBUF_VFS) != NULL, "SQLite knows it by name");
	ok(sqlite3_vfs_find(NULL) != sqlite3_vfs_find(WALBUF_VFS),
	    "it is not the default");

	w = db_open(path, WALBUF_VFS);
	r = db_open(path, NULL);
	if (!ok(w != NULL && r != NULL && schema(w) == 0,
	    "a database in WAL mode through it, a reader without it"))
		return (done_testing());

	/* Every commit is visible to the other connection at once. */
	walbuf_stats(&before);
	for (i = 0; i < NTX; i++) {
		if (write_tx(w, i, 700) != 0 ||
		    (n = count(r, "SELECT count(*) FROM t")) != (i + 1) * 4) {
			if (seen)
				printf("# commit %d: %s; the reader: %s, "
				    "%lld rows\n", i, sqlite3_errmsg(w),
				    sqlite3_errmsg(r), n);
			seen = 0;
		}
	}
	walbuf_stats(&after);
	ok(seen, "each commit is seen by the reader when it returns");
	printf("# %llu writes asked, %llu made\n",
	    (unsigned long long)(after.asked - before.asked),
	    (unsigned long long)(after.made - before.made));
	ok(after.asked - before.asked >= (uint64_t)NTX * 8,
	    "SQLite asked for two writes a frame");
	ok(after.made - before.made >= NTX &&
	    (after.made - before.made) * 4 <= after.asked - before.asked,
	    "at least one write a commit, and a quarter of those asked");
	ok(stat(walpath, &st) == 0 && st.st_size > 0, "the WAL has them");

	/* A checkpoint reads the gathered frames back from the file. */
	ok(sqlite3_wal_checkpoint_v2(r, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
	    NULL) == SQLITE_OK, "a checkpoint by the other connection");
	is_int(count(r, "SELECT count(*) FROM t"), NTX * 4,
	    "every row is there after it");
	ok(write_tx(w, NTX, 700) == 0 &&
	    count(r, "SELECT count(*) FROM t") == (NTX + 1) * 4,
	    "a write after the checkpoint (the WAL may start over)");
	ok(intact(r), "integrity_check ok");
	sqlite3_close(w);
	sqlite3_close(r);

	/* Killed after its commits: each is kept. */
	pid = commit_and_die(path, 50);
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "a writer killed after 50 commits");
	r = db_open(path, NULL);
	is_int(count(r, "SELECT count(*) FROM t WHERE k >= 40000"), 200,
	    "its 50 commits are all there");
	ok(intact(r), "integrity_check ok");
	n = count(r, "SELECT count(*) FROM t");
	sqlite3_close(r);

	/* The gathered write fails: the commit fails, nothing is half kept. */
	if (pipe(p) != 0 || stat(path, &st) != 0) {
		ok(0, "a pipe and the database's size");
		return (done_testing());
	}
	pid = commit_until_full(path, p[1], st.st_size + 200 * 1024);
	close(p[1]);
	i = (int)read(p[0], report, sizeof report);
	close(p[0]);
	waitpid(pid, &status, 0);
	ok(i == sizeof report && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "a writer limited in file size");
	ok(i == sizeof report && report[0] > 0 && report[0] < 100000,
	    "commits until one fails");
	ok(i == sizeof report && ((report[1] & 0xff) == SQLITE_IOERR ||
	    (report[1] & 0xff) == SQLITE_FULL),
	    "the failing commit has an I/O error");
	printf("# %d commits, then error %d\n", report[0], report[1]);
	r = db_open(path, NULL);
	is_int(count(r, "SELECT count(*) FROM t"),
	    n + (long long)report[0] * 4,
	    "the commits before it are kept, none of the failed one");
	ok(intact(r), "integrity_check ok");
	ok(write_tx(r, 90000, 100) == 0, "the database takes writes again");
	sqlite3_close(r);

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return (done_testing());
}
