/*
 * The WAL's writes, gathered.
 *
 * SQLite writes each frame of a commit to the WAL as two writes, its
 * 24-byte header and its page: a commit of thirty pages is sixty system
 * calls, each paying the file system's per-call and per-block work for a
 * few bytes. This VFS sits over the default one and keeps a WAL file's
 * contiguous writes in a buffer, written in one call when the commit frame
 * is complete, before anything that reads, syncs, sizes or truncates the
 * file, or when the buffer is full. Other files are the default VFS's own.
 *
 * A commit is durable against a crash of ufod once its frames are in the
 * kernel: that is when the commit frame's write returns, so an error in
 * the gathered write fails that commit, before SQLite makes its frames
 * visible to readers in the WAL index (which it does only after writing
 * the commit frame, through the database file's methods). A commit frame
 * is its header, with a database size that is not zero, followed by its
 * page; it is always the last frame a commit writes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "walbuf.h"

/*
 * Bytes gathered at most: the default VFS writes less than 128 KiB in one
 * call (it masks a larger size and reports a short write as a full disk).
 * A page is 64 KiB at most.
 */
#define WALBUF_CAP		(96 * 1024)
#define WALBUF_FRAME_HDR	24		/* a frame's header */

struct walbuf_file {
	sqlite3_file	 base;
	sqlite3_file	*real;		/* the default VFS's file, after us */
	unsigned char	*buf;
	size_t		 len;
	sqlite3_int64	 off;		/* where buf[0] goes */
	int		 commit;	/* a commit frame's header is in buf */
};

/* This structure's size, aligned for the default VFS's file after it. */
#define WALBUF_HEAD	((sizeof(struct walbuf_file) + 15) & ~(size_t)15)

static sqlite3_vfs	*walbuf_real;
static sqlite3_vfs	 walbuf_vfs;
static uint64_t		 walbuf_asked, walbuf_made;

static int
walbuf_flush(struct walbuf_file *w)
{
	int	 rc;

	if (w->len == 0)
		return (SQLITE_OK);
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->off);
	__atomic_fetch_add(&walbuf_made, 1, __ATOMIC_RELAXED);
	/* On error, what was gathered is dropped: its commit fails. */
	w->len = 0;
	w->commit = 0;
	return (rc);
}

static int
walbuf_close(sqlite3_file *f)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc, rc2;

	rc = walbuf_flush(w);
	rc2 = w->real->pMethods->xClose(w->real);
	free(w->buf);
	w->buf = NULL;
	return (rc != SQLITE_OK ? rc : rc2);
}

static int
walbuf_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return (rc);
	return (w->real->pMethods->xRead(w->real, data, amt, off));
}

/* A frame header whose database size is not 0 ends a transaction. */
static int
walbuf_is_commit(const void *data, int amt)
{
	const unsigned char	*p = data;

	return (amt == WALBUF_FRAME_HDR &&
	    (p[4] | p[5] | p[6] | p[7]) != 0);
}

static int
walbuf_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc, commit = w->commit;

	__atomic_fetch_add(&walbuf_asked, 1, __ATOMIC_RELAXED);
	if (w->len > 0 && (off != w->off + (sqlite3_int64)w->len ||
	    w->len + (size_t)amt > WALBUF_CAP) &&
	    (rc = walbuf_flush(w)) != SQLITE_OK)
		return (rc);
	if ((size_t)amt > WALBUF_CAP) {
		__atomic_fetch_add(&walbuf_made, 1, __ATOMIC_RELAXED);
		return (w->real->pMethods->xWrite(w->real, data, amt, off));
	}
	if (w->buf == NULL && (w->buf = malloc(WALBUF_CAP)) == NULL)
		return (SQLITE_NOMEM);
	if (w->len == 0)
		w->off = off;
	memcpy(w->buf + w->len, data, (size_t)amt);
	w->len += (size_t)amt;
	/* The commit frame's page, even if its header went out first. */
	if (commit)
		return (walbuf_flush(w));
	w->commit = walbuf_is_commit(data, amt);
	return (SQLITE_OK);
}

static int
walbuf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return (rc);
	return (w->real->pMethods->xTruncate(w->real, size));
}

static int
walbuf_sync(sqlite3_file *f, int flags)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return (rc);
	return (w->real->pMethods->xSync(w->real, flags));
}

static int
walbuf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return (rc);
	return (w->real->pMethods->xFileSize(w->real, size));
}

static int
walbuf_lock(sqlite3_file *f, int level)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;

	return (w->real->pMethods->xLock(w->real, level));
}

static int
walbuf_unlock(sqlite3_file *f, int level)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;

	return (w->real->pMethods->xUnlock(w->real, level));
}

static int
walbuf_check_reserved(sqlite3_file *f, int *out)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;

	return (w->real->pMethods->xCheckReservedLock(w->real, out));
}

static int
walbuf_file_control(sqlite3_file *f, int op, void *arg)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return (rc);
	return (w->real->pMethods->xFileControl(w->real, op, arg));
}

static int
walbuf_sector_size(sqlite3_file *f)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;

	return (w->real->pMethods->xSectorSize(w->real));
}

static int
walbuf_device(sqlite3_file *f)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;

	return (w->real->pMethods->xDeviceCharacteristics(w->real));
}

/*
 * Version 1: SQLite maps, locks and fences the WAL index through the
 * database file's methods, and maps only the database file, never the WAL.
 */
static const sqlite3_io_methods walbuf_methods = {
	.iVersion = 1,
	.xClose = walbuf_close,
	.xRead = walbuf_read,
	.xWrite = walbuf_write,
	.xTruncate = walbuf_truncate,
	.xSync = walbuf_sync,
	.xFileSize = walbuf_file_size,
	.xLock = walbuf_lock,
	.xUnlock = walbuf_unlock,
	.xCheckReservedLock = walbuf_check_reserved,
	.xFileControl = walbuf_file_control,
	.xSectorSize = walbuf_sector_size,
	.xDeviceCharacteristics = walbuf_device
};

/*
 * A WAL file is wrapped; any other is opened by the default VFS straight
 * into the space SQLite gave, and is its own.
 */
static int
walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct walbuf_file	*w = (struct walbuf_file *)f;
	int			 rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return (walbuf_real->xOpen(walbuf_real, name, f, flags, out));
	memset(w, 0, sizeof *w);
	w->real = (sqlite3_file *)((char *)f + WALBUF_HEAD);
	memset(w->real, 0, (size_t)walbuf_real->szOsFile);
	rc = walbuf_real->xOpen(walbuf_real, name, w->real, flags, out);
	if (rc != SQLITE_OK) {
		if (w->real->pMethods != NULL)
			w->real->pMethods->xClose(w->real);
		return (rc);
	}
	w->base.pMethods = &walbuf_methods;
	return (SQLITE_OK);
}

int
walbuf_install(void)
{
	if (walbuf_real != NULL)
		return (0);
	if ((walbuf_real = sqlite3_vfs_find(NULL)) == NULL)
		return (-1);
	/*
	 * The default VFS's other methods take the VFS only for its
	 * pAppData and limits, which the copy keeps.
	 */
	walbuf_vfs = *walbuf_real;
	walbuf_vfs.szOsFile = (int)WALBUF_HEAD + walbuf_real->szOsFile;
	walbuf_vfs.zName = WALBUF_VFS;
	walbuf_vfs.pNext = NULL;
	walbuf_vfs.xOpen = walbuf_open;
	if (sqlite3_vfs_register(&walbuf_vfs, 0) != SQLITE_OK) {
		walbuf_real = NULL;
		return (-1);
	}
	return (0);
}

void
walbuf_stats(struct walbuf_stats *st)
{
	st->asked = __atomic_load_n(&walbuf_asked, __ATOMIC_RELAXED);
	st->made = __atomic_load_n(&walbuf_made, __ATOMIC_RELAXED);
}
