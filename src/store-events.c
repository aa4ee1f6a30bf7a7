/*
 * The change feed: every write appends events in its own transaction; the
 * event's data is the snapshot the API would answer, so a late subscriber
 * replays from the database and needs nothing kept in memory.
 */
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

int
store_event_list(struct store *s, const struct store_actor *a, int64_t since,
    int64_t limit, struct json_object **out, struct ufo_error *err)
{
	int	 r;

	if (since < 0)
		since = 0;
	if (limit <= 0)
		limit = STORE_LIST_DEFAULT;
	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	store_lock(s);
	r = store_get_list(s, err, out,
	    "SELECT id, fleet_id AS fleet, kind, entity_id,"
	    " data AS \"data:json\", created_at FROM events"
	    " WHERE fleet_id = ? AND id > ? ORDER BY id LIMIT ?",
	    "sii", a->fleet, since, limit);
	store_unlock(s);
	return (r);
}
