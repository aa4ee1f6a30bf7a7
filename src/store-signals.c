/*
 * Signals: per-user notifications that a run needs a person (a review, an
 * answer, a failure, a missing rover). Each one is sent to every member of
 * the fleet and announced by a signal.created event; marking one read is
 * announced by signal.read.
 */
#include <stdint.h>
#include <string.h>

#include "jsonx.h"
#include "store-internal.h"

#define STORE_SIGNAL_SELECT						\
	"SELECT g.id, g.kind, m.key || '-' || o.number AS operation,"	\
	" g.run_id AS run, g.user_id AS user, g.message, g.read_at,"	\
	" g.created_at FROM signals g"					\
	" JOIN operations o ON o.id = g.op_id"				\
	" JOIN missions m ON m.id = o.mission_id"

/* Sends a signal of kind about op (and run) to every member of fleet. */
int
store_signal_fleet(struct store *s, const char *fleet, const char *kind,
    const char *op, const char *run, const char *message,
    struct ufo_error *err)
{
	struct json_object	*users;
	char			 id[STORE_ID_SIZE];
	size_t			 i;
	int			 rc = 0;

	if (store_get_list(s, err, &users, "SELECT user_id FROM members"
	    " WHERE fleet_id = ? ORDER BY user_id", "s", fleet) != 0)
		return (-1);
	for (i = 0; rc == 0 && i < json_object_array_length(users); i++) {
		store_new_id(id, "sig");
		if (store_exec(s, err, "INSERT INTO signals (id, fleet_id,"
		    " user_id, kind, op_id, run_id, message, created_at)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ssssssss", id, fleet,
		    jsonx_str(json_object_array_get_idx(users, i), "user_id"),
		    kind, op, run, message, s->now) == -1) {
			rc = -1;
			break;
		}
		rc = store_event_row(s, err, NULL, NULL, fleet,
		    "signal.created", id, STORE_SIGNAL_SELECT " WHERE g.id = ?",
		    "s", id);
	}
	json_object_put(users);
	return (rc);
}

int
store_signal_list(struct store *s, const struct store_actor *a, int unread,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items, *last;
	size_t			 n;
	int			 r;

	*out = NULL;
	s = store_read(s);
	/* One row past the page says that older signals exist. */
	if (unread)
		r = store_get_list(s, err, &items, STORE_SIGNAL_SELECT
		    " WHERE g.fleet_id = ? AND g.user_id = ?"
		    " AND g.read_at IS NULL ORDER BY g.seq DESC LIMIT ?",
		    "ssi", a->fleet, a->user, (int64_t)STORE_LIST_MAX + 1);
	else
		r = store_get_list(s, err, &items, STORE_SIGNAL_SELECT
		    " WHERE g.fleet_id = ? AND g.user_id = ?"
		    " ORDER BY g.seq DESC LIMIT ?",
		    "ssi", a->fleet, a->user, (int64_t)STORE_LIST_MAX + 1);
	store_read_end(s);
	if (r != 0)
		return (-1);
	if ((n = json_object_array_length(items)) > STORE_LIST_MAX) {
		json_object_array_del_idx(items, STORE_LIST_MAX,
		    n - STORE_LIST_MAX);
		last = json_object_array_get_idx(items, STORE_LIST_MAX - 1);
		*out = store_list_wrap(items, jsonx_str(last, "id"));
	} else
		*out = store_list_wrap(items, NULL);
	return (0);
}

static int
store_signal_read_tx(struct store *s, const struct store_actor *a,
    const char *id, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	int	 r;

	(void)in;
	/* Reading twice keeps the first time and announces nothing new. */
	if ((r = store_exec(s, err, "UPDATE signals SET read_at = ?"
	    " WHERE id = ? AND fleet_id = ? AND user_id = ?"
	    " AND read_at IS NULL", "ssss", s->now, id, a->fleet,
	    a->user)) == -1)
		return (-1);
	if (r == 1)
		return (store_event_row(s, err, out, NULL, a->fleet,
		    "signal.read", id, STORE_SIGNAL_SELECT " WHERE g.id = ?",
		    "s", id));
	r = store_get_json(s, err, out, STORE_SIGNAL_SELECT
	    " WHERE g.id = ? AND g.fleet_id = ? AND g.user_id = ?", "sss", id,
	    a->fleet, a->user);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "signal %s not found",
		    id));
	return (r == 1 ? 0 : -1);
}

int
store_signal_read(struct store *s, const struct store_actor *a,
    const char *id, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, id, NULL, out, store_signal_read_tx, err));
}
