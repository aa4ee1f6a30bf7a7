/*
 * Comments on an operation, oldest first. People write them through the
 * API; a run's final message is a pilot's comment and a failure a system
 * comment. A person's comment on a pilot's operation is the pilot's next
 * prompt: it resumes the pilot's session (or waits for the active run).
 */
#include <stdint.h>

#include "jsonx.h"
#include "store-internal.h"

#define STORE_COMMENT_SELECT						\
	"SELECT c.id, m.key || '-' || o.number AS operation,"		\
	" c.author_kind, CASE c.author_kind"				\
	" WHEN 'user' THEN (SELECT email FROM users"			\
	" WHERE id = c.author_id)"					\
	" WHEN 'pilot' THEN (SELECT name FROM pilots"			\
	" WHERE id = c.author_id)"					\
	" ELSE 'system' END AS author, c.body, c.created_at"		\
	" FROM comments c JOIN operations o ON o.id = c.op_id"		\
	" JOIN missions m ON m.id = o.mission_id"

/* The comments of an operation (by id) as an array, oldest first. */
int
store_comment_items(struct store *s, const char *op, struct json_object **out,
    struct ufo_error *err)
{
	return (store_get_list(s, err, out, STORE_COMMENT_SELECT
	    " WHERE c.op_id = ? ORDER BY c.seq", "s", op));
}

static int
store_comment_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "body", NULL };
	const char	*body;
	char		 op[STORE_ID_SIZE], id[STORE_ID_SIZE];
	int		 r;

	if ((r = store_op_resolve(s, a->fleet, ref, op, err)) == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "",
		    "operation %s not found", ref));
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "body", &body, JSONX_REQUIRED, err) == -1)
		return (-1);
	if (store_blank(body))
		return (err_set(err, UFO_EINVAL, "body", "body: must not be "
		    "blank"));
	store_new_id(id, "cmt");
	if (store_exec(s, err, "INSERT INTO comments (id, fleet_id, op_id,"
	    " author_kind, author_id, body, created_at)"
	    " VALUES (?, ?, ?, 'user', ?, ?, ?)", "ssssss", id, a->fleet, op,
	    a->user, body, s->now) == -1 ||
	    store_event_row(s, err, out, NULL, a->fleet, "comment.created", id,
	    STORE_COMMENT_SELECT " WHERE c.id = ?", "s", id) != 0)
		return (-1);
	return (store_run_dispatch(s, a->fleet, op, STORE_DISPATCH_COMMENT,
	    body, err));
}

/* A comment by a pilot (author: its id) or the system (author NULL). */
int
store_comment_add(struct store *s, const char *fleet, const char *op,
    const char *kind, const char *author, const char *body,
    struct ufo_error *err)
{
	char			 id[STORE_ID_SIZE];

	store_new_id(id, "cmt");
	if (store_exec(s, err, "INSERT INTO comments (id, fleet_id, op_id,"
	    " author_kind, author_id, body, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)", "sssssss", id, fleet, op, kind,
	    author, body, s->now) == -1)
		return (-1);
	return (store_event_row(s, err, NULL, NULL, fleet, "comment.created",
	    id, STORE_COMMENT_SELECT " WHERE c.id = ?", "s", id));
}

int
store_comment_create(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_comment_insert, err));
}

int
store_comment_list(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items;
	char			 op[STORE_ID_SIZE];
	int			 r;

	*out = NULL;
	s = store_read(s);
	if ((r = store_op_resolve(s, a->fleet, ref, op, err)) == 1)
		r = store_comment_items(s, op, &items, err) == 0 ? 1 : -1;
	store_read_end(s);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "",
		    "operation %s not found", ref));
	if (r == -1)
		return (-1);
	*out = store_list_wrap(items, NULL);
	return (0);
}
