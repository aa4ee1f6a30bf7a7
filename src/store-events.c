/*
 * The change feed: every write appends events in its own transaction; the
 * event's data is the snapshot the API would answer, so a late subscriber
 * replays from the database and needs nothing kept in memory.
 */
#include <stdarg.h>
#include <stdint.h>

#include <sqlite3.h>

#include "jsonx.h"
#include "store-internal.h"

/* Appends an event to the open transaction; announced after COMMIT. */
int
store_event_add(struct store *s, struct ufo_error *err, const char *fleet,
    const char *kind, const char *entity, struct json_object *data)
{
	if (!s->in_tx)
		return (err_set(err, UFO_EINTERNAL, "", "event %s outside a "
		    "transaction", kind));
	if (store_exec(s, err,
	    "INSERT INTO events (fleet_id, kind, entity_id, data, created_at)"
	    " VALUES (?, ?, ?, ?, ?)", "sssss", fleet, kind, entity,
	    data != NULL ? jsonx_compact(data) : "{}", s->now) == -1)
		return (-1);
	s->tx_event = sqlite3_last_insert_rowid(s->db);
	return (0);
}

/*
 * Appends an event whose data is the row that sql (a SELECT of one row, in
 * store_row_json's naming, bound by fmt) answers: the snapshot of entity
 * the API shows. The text is written straight from the columns; *out (when
 * not NULL) gets the snapshot as an object too, and *text (when not NULL)
 * as the text of an answer, which needs no object built and printed.
 */
int
store_event_row(struct store *s, struct ufo_error *err,
    struct json_object **out, char **text, const char *fleet,
    const char *kind, const char *entity, const char *sql, const char *fmt,
    ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 r;

	if (!s->in_tx)
		return (err_set(err, UFO_EINTERNAL, "", "event %s outside a "
		    "transaction", kind));
	va_start(ap, fmt);
	stmt = store_vprepare(s, err, 1, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return (-1);
	if ((r = store_step(s, stmt, err)) != 1) {
		if (r == 0)
			err_set(err, UFO_EINTERNAL, "", "%s: %s vanished",
			    kind, entity);
		return (-1);
	}
	store_row_text(stmt, &s->text);
	if (out != NULL)
		*out = store_row_json(stmt);
	sqlite3_reset(stmt);
	if (store_exec(s, err,
	    "INSERT INTO events (fleet_id, kind, entity_id, data, created_at)"
	    " VALUES (?, ?, ?, ?, ?)", "sssss", fleet, kind, entity,
	    s->text.p, s->now) == -1) {
		if (out != NULL) {
			json_object_put(*out);
			*out = NULL;
		}
		return (-1);
	}
	s->tx_event = sqlite3_last_insert_rowid(s->db);
	if (text != NULL)
		*text = store_answer(&s->text);
	return (0);
}

/*
 * The feed is read in id order across fleets, with the actor's kept: an
 * index by fleet would be one more page written by every change. So that
 * a quiet fleet's reader does not go over the others' events again and
 * again, *last (when not NULL) is where the next read starts: the last
 * event returned if the page is full, else the last event of all.
 */
int
store_event_list(struct store *s, const struct store_actor *a, int64_t since,
    int64_t limit, struct json_object **out, int64_t *last,
    struct ufo_error *err)
{
	size_t	 n;
	int	 r;

	if (since < 0)
		since = 0;
	if (limit <= 0)
		limit = STORE_LIST_DEFAULT;
	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	s = store_read(s);
	r = store_get_list(s, err, out,
	    "SELECT id, fleet_id AS fleet, kind, entity_id,"
	    " data AS \"data:json\", created_at FROM events"
	    " WHERE id > ?2 AND fleet_id = ?1 ORDER BY id LIMIT ?3",
	    "sii", a->fleet, since, limit);
	if (r == 0 && last != NULL) {
		n = json_object_array_length(*out);
		if (n == (size_t)limit)
			*last = jsonx_int(json_object_array_get_idx(*out, n - 1),
			    "id", since);
		else if (store_get_int(s, err, last, "SELECT coalesce(max(id),"
		    " ?1) FROM events WHERE id >= ?1", "i", since) != 1) {
			json_object_put(*out);
			*out = NULL;
			r = -1;
		}
	}
	store_read_end(s);
	return (r);
}
