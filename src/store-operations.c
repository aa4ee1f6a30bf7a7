/*
 * Operations: the cards of the board. Codes (KEY-N) come from the
 * mission's own sequence and are never reused; positions order a status
 * column; one level of sub-operations; labels; relations; filtered, paged
 * lists.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "store-internal.h"
#include "xmalloc.h"

#define STORE_OP_SELECT	"SELECT " STORE_OP_COLUMNS STORE_OP_FROM

#define STORE_RELATION_SELECT						\
	"SELECT r.id, r.kind, fm.key || '-' || f.number AS \"from\","	\
	" tm.key || '-' || t.number AS \"to\" FROM relations r"		\
	" JOIN operations f ON f.id = r.from_id"			\
	" JOIN missions fm ON fm.id = f.mission_id"			\
	" JOIN operations t ON t.id = r.to_id"				\
	" JOIN missions tm ON tm.id = t.mission_id"

/* What the write paths need to know of one operation. */
struct store_op_row {
	char	 id[STORE_ID_SIZE];
	char	 parent[STORE_ID_SIZE];	/* "" when none */
	char	 code[32];
	int	 status;
	int64_t	 position;
	int64_t	 seq;
	int	 archived;
};

/* "KEY-123" (key in any case) to "KEY" and 123; -1 when not a code. */
int
store_op_parse_code(const char *ref, char *key, size_t len, int64_t *number)
{
	const char	*dash, *p;
	size_t		 i, klen;
	char		*end;
	long long	 n;

	if ((dash = strrchr(ref, '-')) == NULL)
		return (-1);
	klen = dash - ref;
	if (klen == 0 || klen > 10 || klen >= len)
		return (-1);
	for (i = 0; i < klen; i++) {
		key[i] = toupper((unsigned char)ref[i]);
		if (!(key[i] >= 'A' && key[i] <= 'Z') &&
		    !(i > 0 && key[i] >= '0' && key[i] <= '9'))
			return (-1);
	}
	key[klen] = '\0';
	p = dash + 1;
	if (*p < '1' || *p > '9' || strlen(p) > 18)
		return (-1);
	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (-1);
	}
	errno = 0;
	n = strtoll(p, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return (-1);
	*number = n;
	return (0);
}

/* An operation by id or code in the fleet: 1 found (id filled), 0, -1. */
int
store_op_resolve(struct store *s, const char *fleet, const char *ref,
    char *id, struct ufo_error *err)
{
	char	 key[16];
	int64_t	 number;

	if (ref == NULL || *ref == '\0')
		return (0);
	if (store_op_parse_code(ref, key, sizeof key, &number) == 0)
		return (store_get_text(s, err, id, STORE_ID_SIZE,
		    "SELECT o.id FROM missions m JOIN operations o"
		    " ON o.mission_id = m.id"
		    " WHERE m.fleet_id = ? AND m.key = ? AND o.number = ?",
		    "ssi", fleet, key, number));
	return (store_get_text(s, err, id, STORE_ID_SIZE,
	    "SELECT id FROM operations WHERE fleet_id = ? AND id = ?",
	    "ss", fleet, ref));
}

static int
store_op_load(struct store *s, const char *id, struct store_op_row *row,
    struct ufo_error *err)
{
	sqlite3_stmt	*stmt;
	int		 r;

	stmt = store_prepare(s, err,
	    "SELECT o.id, coalesce(o.parent_id, ''), m.key || '-' || o.number,"
	    " o.status, o.position, o.archived_at IS NOT NULL, o.seq"
	    " FROM operations o JOIN missions m ON m.id = o.mission_id"
	    " WHERE o.id = ?", "s", id);
	if (stmt == NULL)
		return (-1);
	if ((r = store_step(s, stmt, err)) != 1) {
		if (r == 0)
			err_set(err, UFO_EINTERNAL, "", "operation %s vanished",
			    id);
		return (-1);
	}
	snprintf(row->id, sizeof row->id, "%s", sqlite3_column_text(stmt, 0));
	snprintf(row->parent, sizeof row->parent, "%s",
	    sqlite3_column_text(stmt, 1));
	snprintf(row->code, sizeof row->code, "%s",
	    sqlite3_column_text(stmt, 2));
	row->status = sqlite3_column_int(stmt, 3);
	row->position = sqlite3_column_int64(stmt, 4);
	row->archived = sqlite3_column_int(stmt, 5);
	row->seq = sqlite3_column_int64(stmt, 6);
	sqlite3_reset(stmt);
	return (0);
}

/*
 * Finds an operation named by a request: a path reference is not found
 * (404); a reference in a body field is an invalid field (400).
 */
static int
store_op_find(struct store *s, const char *fleet, const char *ref,
    const char *field, struct store_op_row *row, struct ufo_error *err)
{
	char	 id[STORE_ID_SIZE];
	int	 r;

	if ((r = store_op_resolve(s, fleet, ref, id, err)) == -1)
		return (-1);
	if (r == 0 && field == NULL)
		return (err_set(err, UFO_ENOTFOUND, "",
		    "operation %s not found", ref));
	if (r == 0)
		return (err_set(err, UFO_EINVAL, field, "%s: operation %s not "
		    "found", field, ref));
	return (store_op_load(s, id, row, err));
}

/* The operation as the API shows it (without relations, subs, comments). */
int
store_op_json(struct store *s, const char *fleet, const char *id,
    struct json_object **out, struct ufo_error *err)
{
	int	 r;

	r = store_get_json(s, err, out,
	    STORE_OP_SELECT " WHERE o.id = ? AND o.fleet_id = ?", "ss", id,
	    fleet);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "",
		    "operation %s not found", id));
	return (r == 1 ? 0 : -1);
}

/*
 * Appends an event carrying the operation's snapshot; *out keeps it as an
 * object, *text as an answer's text (each when not NULL).
 */
static int
store_op_announce(struct store *s, const struct store_actor *a,
    const char *id, const char *kind, struct json_object **out, char **text,
    struct ufo_error *err)
{
	return (store_event_row(s, err, out, text, a->fleet, kind, id,
	    STORE_OP_SELECT " WHERE o.id = ?", "s", id));
}

/* A parent's children counts changed: live views learn it by an event. */
static int
store_op_touch(struct store *s, const struct store_actor *a,
    const char *parent, struct ufo_error *err)
{
	if (parent == NULL || *parent == '\0')
		return (0);
	return (store_op_announce(s, a, parent, "operation.updated", NULL, NULL,
	    err));
}

static int
store_op_status(const char *name, const char *field, struct ufo_error *err)
{
	int	 st;

	if ((st = op_status_from_name(name)) == -1)
		return (err_set(err, UFO_EINVAL, field, "%s: unknown status "
		    "\"%s\" (expected backlog, todo, in_progress, in_review, "
		    "done, blocked or cancelled)", field, name));
	return (st);
}

static int
store_op_priority(int64_t p, struct ufo_error *err)
{
	if (p < 0 || p > 4)
		return (err_set(err, UFO_EINVAL, "priority",
		    "priority: must be 0 (none), 1 (urgent), 2 (high), "
		    "3 (medium) or 4 (low), not %lld", (long long)p));
	return (0);
}

/* "assignee": null or "none" clears; otherwise a party of the fleet. */
static int
store_op_assignee(struct store *s, const char *fleet, struct json_object *in,
    int *set, const char **kind, char *id, struct ufo_error *err)
{
	const char	*v;
	int		 r;

	*set = 0;
	*kind = NULL;
	if (store_is_null(in, "assignee")) {
		*set = 1;
		return (0);
	}
	if ((r = jsonx_get_string(in, "assignee", &v, JSONX_OPTIONAL,
	    err)) != 1)
		return (r);
	*set = 1;
	if (strcmp(v, "none") == 0)
		return (0);
	if (store_party_resolve(s, fleet, v, "assignee", 1, kind, id,
	    err) == -1)
		return (-1);
	return (0);
}

/* Checks that ref may become the parent of self (NULL when creating). */
static int
store_op_check_parent(struct store *s, const char *fleet,
    const struct store_op_row *self, const char *ref, char *pid,
    struct ufo_error *err)
{
	struct store_op_row	 p;
	int64_t			 n;

	if (store_op_find(s, fleet, ref, "parent", &p, err) != 0)
		return (-1);
	if (self != NULL && strcmp(p.id, self->id) == 0)
		return (err_set(err, UFO_EINVAL, "parent",
		    "parent: an operation cannot be its own parent"));
	if (p.parent[0] != '\0')
		return (err_set(err, UFO_EINVAL, "parent",
		    "parent: %s is itself a sub-operation; only one level of "
		    "nesting", p.code));
	if (self != NULL) {
		if (store_get_int(s, err, &n, "SELECT count(*) FROM operations"
		    " WHERE parent_id = ?", "s", self->id) != 1)
			return (-1);
		if (n != 0)
			return (err_set(err, UFO_EINVAL, "parent", "parent: %s "
			    "has sub-operations; only one level of nesting",
			    self->code));
	}
	snprintf(pid, STORE_ID_SIZE, "%s", p.id);
	return (0);
}

/* Every name must be a valid label; checked before anything is written. */
static int
store_op_check_labels(struct json_object *names, const char *field,
    struct ufo_error *err)
{
	size_t	 i;

	for (i = 0; names != NULL && i < json_object_array_length(names); i++) {
		if (store_label_check_name(json_object_get_string(
		    json_object_array_get_idx(names, i)), field, err) != 0)
			return (-1);
	}
	return (0);
}

/* Adds labels by name (created when new); returns how many were added. */
static int
store_op_add_labels(struct store *s, const struct store_actor *a,
    const char *id, struct json_object *names, struct ufo_error *err)
{
	char	 lid[STORE_ID_SIZE];
	size_t	 i;
	int	 n, added = 0;

	for (i = 0; names != NULL && i < json_object_array_length(names); i++) {
		if (store_label_ensure(s, a, json_object_get_string(
		    json_object_array_get_idx(names, i)), lid, err) != 0)
			return (-1);
		if ((n = store_exec(s, err, "INSERT OR IGNORE INTO"
		    " operation_labels (op_id, label_id) VALUES (?, ?)", "ss",
		    id, lid)) == -1)
			return (-1);
		added += n;
	}
	return (added);
}

static int
store_op_remove_labels(struct store *s, const struct store_actor *a,
    const char *id, struct json_object *names, struct ufo_error *err)
{
	size_t	 i;
	int	 n, removed = 0;

	for (i = 0; names != NULL && i < json_object_array_length(names); i++) {
		if ((n = store_exec(s, err, "DELETE FROM operation_labels"
		    " WHERE op_id = ? AND label_id = (SELECT id FROM labels"
		    " WHERE fleet_id = ? AND name = ?)", "sss", id, a->fleet,
		    json_object_get_string(json_object_array_get_idx(names,
		    i)))) == -1)
			return (-1);
		removed += n;
	}
	return (removed);
}

/*
 * The end of any column: after every position in the fleet. The board
 * order's index finds the last of each column in one seek a status; the
 * writer then remembers it, and the next card sent to the end goes one
 * step further without the look. Remembered too high (a rolled back move,
 * a deleted card) is only a gap. A card placed by an anchor may go past
 * it: store_op_end_forget.
 */
static struct store_end *
store_op_end_slot(struct store *s, const char *fleet)
{
	size_t	 i;

	for (i = 0; i < STORE_END_SLOTS; i++) {
		if (strcmp(s->end[i].fleet, fleet) == 0)
			return (&s->end[i]);
	}
	return (NULL);
}

static int
store_op_end_position(struct store *s, const char *fleet, int64_t *pos,
    struct ufo_error *err)
{
	struct store_end	*e;
	size_t			 len;

	if ((e = store_op_end_slot(s, fleet)) != NULL) {
		*pos = e->pos += STORE_POSITION_STEP;
		return (0);
	}
	if (store_get_int(s, err, pos, "SELECT coalesce(max(last), 0) + ?1"
	    " FROM (SELECT (SELECT max(position) FROM operations"
	    " WHERE fleet_id = ?2 AND status = statuses.rank) AS last"
	    " FROM statuses)", "is", (int64_t)STORE_POSITION_STEP,
	    fleet) != 1)
		return (-1);
	if ((len = strlen(fleet)) < sizeof e->fleet) {
		e = &s->end[s->end_next++ % STORE_END_SLOTS];
		memcpy(e->fleet, fleet, len + 1);
		e->pos = *pos;
	}
	return (0);
}

/* The fleet's end is looked up again: a card was placed past it, maybe. */
static void
store_op_end_forget(struct store *s, const char *fleet)
{
	struct store_end	*e;

	if ((e = store_op_end_slot(s, fleet)) != NULL)
		e->fleet[0] = '\0';
}

/*
 * The run machinery moves an operation (dispatch, a run's outcome): to the
 * end of the new column, announced; nothing when it is there already.
 */
int
store_op_set_status(struct store *s, const char *fleet, const char *id,
    int status, struct ufo_error *err)
{
	struct store_op_row	 row;

	if (store_op_load(s, id, &row, err) != 0)
		return (-1);
	return (store_op_move_to(s, fleet, id, row.status, row.parent, status,
	    err));
}

/* The same, when the caller knows the status and parent ("" none). */
int
store_op_move_to(struct store *s, const char *fleet, const char *id,
    int from, const char *parent, int status, struct ufo_error *err)
{
	struct store_actor	 a;
	int64_t			 pos;

	if (from == status)
		return (0);
	memset(&a, 0, sizeof a);
	snprintf(a.fleet, sizeof a.fleet, "%s", fleet);
	if (store_op_end_position(s, fleet, &pos, err) != 0 ||
	    store_exec(s, err, "UPDATE operations SET status = ?,"
	    " position = ?, updated_at = ? WHERE id = ?", "diss", status, pos,
	    s->now, id) == -1 ||
	    store_op_announce(s, &a, id, "operation.updated", NULL, NULL,
	    err) != 0)
		return (-1);
	return (store_op_touch(s, &a, parent, err));
}

/*
 * The dispatch fields of a create or update: "start" (default true) and
 * the required and excluded rover tags.
 */
struct store_op_dispatch {
	int	 start;
	int	 start_set;	/* "start" was given */
	char	*require;	/* normalized JSON, NULL when not given */
	char	*exclude;
};

static int
store_op_dispatch_read(struct json_object *in, struct store_op_dispatch *d,
    struct ufo_error *err)
{
	struct json_object	*req = NULL, *exc = NULL;
	int			 r;

	memset(d, 0, sizeof *d);
	d->start = 1;
	if ((r = jsonx_get_bool(in, "start", &d->start, JSONX_OPTIONAL,
	    err)) == -1 ||
	    jsonx_get_string_array(in, "require_tags", &req, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string_array(in, "exclude_tags", &exc, JSONX_OPTIONAL,
	    err) == -1)
		return (-1);
	d->start_set = r == 1;
	if ((req != NULL || store_is_null(in, "require_tags")) &&
	    store_tags_normalize(req, "require_tags", &d->require, err) != 0)
		return (-1);
	if ((exc != NULL || store_is_null(in, "exclude_tags")) &&
	    store_tags_normalize(exc, "exclude_tags", &d->exclude, err) != 0)
		return (-1);
	return (0);
}

static void
store_op_dispatch_free(struct store_op_dispatch *d)
{
	free(d->require);
	free(d->exclude);
}

/* Create. */

static int	store_op_insert_fields(struct store *,
		    const struct store_actor *, struct json_object *,
		    const struct store_op_dispatch *, char **,
		    struct ufo_error *);

static int
store_op_insert(struct store *s, const struct store_actor *a,
    struct json_object *in, char **out, struct ufo_error *err)
{
	static const char *const keys[] = { "mission", "title", "body",
	    "status", "priority", "assignee", "labels", "parent", "start",
	    "require_tags", "exclude_tags", NULL };
	struct store_op_dispatch d;
	int			 rc;

	memset(&d, 0, sizeof d);
	if (store_body(in, keys, err) != 0 ||
	    store_op_dispatch_read(in, &d, err) != 0) {
		store_op_dispatch_free(&d);
		return (-1);
	}
	rc = store_op_insert_fields(s, a, in, &d, out, err);
	store_op_dispatch_free(&d);
	return (rc);
}

static int
store_op_insert_fields(struct store *s, const struct store_actor *a,
    struct json_object *in, const struct store_op_dispatch *d, char **out,
    struct ufo_error *err)
{
	struct json_object	*labels = NULL, *plan = NULL;
	const char		*mission = "UFO", *title, *body = "";
	const char		*status = NULL, *parent = NULL, *akind;
	char			 id[STORE_ID_SIZE], mid[STORE_ID_SIZE];
	char			 aid[STORE_ID_SIZE], pid[STORE_ID_SIZE];
	char			 code[48], slug[65];
	int64_t			 priority = 0, number, pos;
	int			 st = OP_BACKLOG, aset, r, dispatch, rc = -1;

	slug[0] = '\0';

	if (jsonx_get_string(in, "mission", &mission, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string(in, "title", &title, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "body", &body, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string(in, "status", &status, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_int(in, "priority", &priority, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string_array(in, "labels", &labels, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string(in, "parent", &parent, JSONX_OPTIONAL, err) == -1)
		return (-1);
	if (store_blank(title))
		return (err_set(err, UFO_EINVAL, "title", "title: must not be "
		    "blank"));
	if (status != NULL && (st = store_op_status(status, "status",
	    err)) == -1)
		return (-1);
	if (store_op_priority(priority, err) != 0 ||
	    store_op_check_labels(labels, "labels", err) != 0)
		return (-1);
	if ((r = store_mission_resolve(s, a->fleet, mission, mid, err)) == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_EINVAL, "mission",
		    "mission: mission %s not found", mission));
	if (store_op_assignee(s, a->fleet, in, &aset, &akind, aid, err) != 0)
		return (-1);
	if (parent != NULL && strcmp(parent, "none") != 0) {
		if (store_op_check_parent(s, a->fleet, NULL, parent, pid,
		    err) != 0)
			return (-1);
	} else
		parent = NULL;
	/*
	 * Assigned to a pilot, the card starts at once: in_progress, or
	 * blocked when no rover can run it. A status given with the
	 * assignment (other than in_progress) places the card instead.
	 */
	dispatch = akind != NULL && strcmp(akind, "pilot") == 0 && d->start &&
	    (status == NULL || st == OP_IN_PROGRESS);
	if (dispatch && store_run_plan(s, a->fleet, aid, mid, &plan,
	    err) != 1)
		return (-1);
	if (dispatch)
		st = jsonx_int(plan, "ready", 0) ? OP_IN_PROGRESS : OP_BLOCKED;

	/* The mission's sequence moves in this transaction: never reused. */
	if (store_exec(s, err, "UPDATE missions"
	    " SET next_number = next_number + 1 WHERE id = ?", "s",
	    mid) != 1 ||
	    store_get_int(s, err, &number, "SELECT next_number - 1"
	    " FROM missions WHERE id = ?", "s", mid) != 1 ||
	    store_op_end_position(s, a->fleet, &pos, err) != 0)
		goto out;
	/* Its first run starts now: the work dir's name is fixed now. */
	if (st == OP_IN_PROGRESS && plan != NULL) {
		snprintf(code, sizeof code, "%s-%lld", jsonx_str(plan, "key"),
		    (long long)number);
		store_op_slug(code, title, slug, sizeof slug);
	}
	store_new_id(id, "op");
	if (store_exec(s, err,
	    "INSERT INTO operations (id, fleet_id, mission_id, number, title,"
	    " body, status, priority, assignee_kind, assignee_id, parent_id,"
	    " position, created_by, created_at, updated_at, require_tags,"
	    " exclude_tags, slug)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?14, coalesce(?15, '[]'), coalesce(?16, '[]'), ?17)",
	    "sssissdisssisssss", id, a->fleet, mid, number, title, body, st,
	    priority, akind, akind != NULL ? aid : NULL,
	    parent != NULL ? pid : NULL, pos, a->user, s->now, d->require,
	    d->exclude, slug[0] != '\0' ? slug : NULL) == -1)
		goto out;
	if (store_op_add_labels(s, a, id, labels, err) == -1)
		goto out;
	if (store_op_announce(s, a, id, "operation.created", NULL, out,
	    err) != 0 ||
	    store_op_touch(s, a, parent != NULL ? pid : NULL, err) != 0)
		goto out;
	if (!dispatch)
		rc = 0;
	else if (slug[0] != '\0')
		rc = store_run_dispatch_new(s, a->fleet, id, code, title, body,
		    aid, plan, d->require, d->exclude, err);
	else
		rc = store_run_dispatch(s, a->fleet, id, STORE_DISPATCH_START,
		    NULL, err);
out:
	json_object_put(plan);
	return (rc);
}

struct store_op_new {
	const struct store_actor	*a;
	struct json_object		*in;
	char				**out;
};

static int
store_op_create_job(struct store *s, void *arg, struct ufo_error *err)
{
	struct store_op_new	*n = arg;

	return (store_op_insert(s, n->a, n->in, n->out, err));
}

/* A failed create answers nothing. */
static void
store_op_create_fini(void *arg, int rc)
{
	struct store_op_new	*n = arg;

	if (rc != 0) {
		free(*n->out);
		*n->out = NULL;
	}
}

int
store_op_create(struct store *s, const struct store_actor *a,
    struct json_object *in, char **out, struct ufo_error *err)
{
	struct store_sync	 w;

	store_op_create_async(s, a, in, out, store_sync_begin(&w));
	return (store_sync_end(&w, err));
}

void
store_op_create_async(struct store *s, const struct store_actor *a,
    struct json_object *in, char **out, struct store_async *as)
{
	struct store_op_new	 n = { a, in, out };

	*out = NULL;
	store_tx_async(s, store_op_create_job, &n, sizeof n,
	    store_op_create_fini, as);
}

/* List. */

struct store_op_query {
	char	*sql;
	int	 nbind;
	struct {
		const char	*text;
		int64_t		 num;
		int		 is_text;
	}	 bind[32];
	char	 ids[4][STORE_ID_SIZE];	/* resolved references */
	char	*pattern;
};

static void
store_op_query_add(struct store_op_query *q, const char *fragment)
{
	char	*old = q->sql;

	xasprintf(&q->sql, "%s%s", old != NULL ? old : "", fragment);
	free(old);
}

static void
store_op_query_text(struct store_op_query *q, const char *v)
{
	if (q->nbind == (int)(sizeof q->bind / sizeof q->bind[0]))
		fatalx("%s: too many parameters", __func__);
	q->bind[q->nbind].is_text = 1;
	q->bind[q->nbind++].text = v;
}

static void
store_op_query_int(struct store_op_query *q, int64_t v)
{
	if (q->nbind == (int)(sizeof q->bind / sizeof q->bind[0]))
		fatalx("%s: too many parameters", __func__);
	q->bind[q->nbind].is_text = 0;
	q->bind[q->nbind++].num = v;
}

/* "todo,in_progress" to a set of ranks (a bit each); 0 when none. */
static int
store_op_query_status(const char *list, unsigned int *set,
    struct ufo_error *err)
{
	char	*copy, *p, *name;
	int	 st, rc = 0;

	*set = 0;
	copy = p = xstrdup(list);
	while ((name = strsep(&p, ",")) != NULL) {
		while (*name == ' ')
			name++;
		name[strcspn(name, " ")] = '\0';
		if (*name == '\0')
			continue;
		if ((st = store_op_status(name, "status", err)) == -1) {
			rc = -1;
			break;
		}
		*set |= 1U << st;
	}
	free(copy);
	return (rc);
}

/*
 * The status filter as SQL. With a cursor, SQLite plans the row-value
 * range best when the IN list is kept off the index (unary +) and the
 * range is closed by the highest status wanted; without one, IN walks the
 * index column by column, already in order.
 */
static void
store_op_query_statuses(struct store_op_query *q, unsigned int set,
    int cursor)
{
	int	 st, n = 0, max = 0;

	for (st = 0; st < OP_NSTATUS; st++) {
		if ((set & (1U << st)) == 0)
			continue;
		if (n++ == 0)
			store_op_query_add(q, cursor ? " AND +o.status IN (?" :
			    " AND o.status IN (?");
		else
			store_op_query_add(q, ", ?");
		store_op_query_int(q, st);
		max = st;
	}
	if (n == 0)
		return;
	store_op_query_add(q, ")");
	if (cursor) {
		store_op_query_add(q, " AND o.status <= ?");
		store_op_query_int(q, max);
	}
}

/* The q filter: title/body text, or an operation's code. */
static int
store_op_query_text_filter(struct store *s, const char *fleet,
    struct store_op_query *q, const char *text, struct ufo_error *err)
{
	const char	*p;
	size_t		 n = 0;
	char		 key[16];
	int64_t		 number;
	int		 r;

	/* LIKE treats % and _ as wildcards; escape them to match literally. */
	q->pattern = xmalloc(2 * strlen(text) + 3);
	q->pattern[n++] = '%';
	for (p = text; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			q->pattern[n++] = '\\';
		q->pattern[n++] = *p;
	}
	q->pattern[n++] = '%';
	q->pattern[n] = '\0';

	store_op_query_add(q, " AND (o.title LIKE ? ESCAPE '\\'"
	    " OR o.body LIKE ? ESCAPE '\\'");
	store_op_query_text(q, q->pattern);
	store_op_query_text(q, q->pattern);
	if (store_op_parse_code(text, key, sizeof key, &number) == 0) {
		if ((r = store_op_resolve(s, fleet, text, q->ids[2],
		    err)) == -1)
			return (-1);
		if (r == 1) {
			store_op_query_add(q, " OR o.id = ?");
			store_op_query_text(q, q->ids[2]);
		}
	}
	store_op_query_add(q, ")");
	return (0);
}

static int
store_op_query_build(struct store *s, const struct store_actor *a,
    const struct store_op_filter *f, struct store_op_query *q, int64_t limit,
    struct ufo_error *err)
{
	struct store_op_row	 row;
	const char		*kind;
	unsigned int		 statuses = 0;
	int			 r;

	store_op_query_add(q, STORE_OP_SELECT " WHERE o.fleet_id = ?");
	store_op_query_text(q, a->fleet);

	if (f->mission != NULL) {
		if ((r = store_mission_resolve(s, a->fleet, f->mission,
		    q->ids[0], err)) == -1)
			return (-1);
		if (r == 0)
			return (err_set(err, UFO_ENOTFOUND, "",
			    "mission %s not found", f->mission));
		store_op_query_add(q, " AND o.mission_id = ?");
		store_op_query_text(q, q->ids[0]);
	}
	if (f->status != NULL &&
	    store_op_query_status(f->status, &statuses, err) != 0)
		return (-1);
	store_op_query_statuses(q, statuses, f->before != NULL);
	if (f->label != NULL) {
		store_op_query_add(q, " AND EXISTS (SELECT 1 FROM"
		    " operation_labels ol JOIN labels l ON l.id = ol.label_id"
		    " WHERE ol.op_id = o.id AND l.fleet_id = o.fleet_id"
		    " AND l.name = ?)");
		store_op_query_text(q, f->label);
	}
	if (f->assignee != NULL) {
		if (strcmp(f->assignee, "none") == 0)
			store_op_query_add(q, " AND o.assignee_id IS NULL");
		else {
			if (store_party_resolve(s, a->fleet, f->assignee,
			    "assignee", 1, &kind, q->ids[1], err) == -1)
				return (-1);
			store_op_query_add(q, " AND o.assignee_id = ?"
			    " AND o.assignee_kind = ?");
			store_op_query_text(q, q->ids[1]);
			store_op_query_text(q, kind);
		}
	}
	if (f->q != NULL && *f->q != '\0' &&
	    store_op_query_text_filter(s, a->fleet, q, f->q, err) != 0)
		return (-1);
	if (f->parent != NULL) {
		if (store_op_find(s, a->fleet, f->parent, NULL, &row, err) != 0)
			return (-1);
		memcpy(q->ids[3], row.id, sizeof q->ids[3]);
		store_op_query_add(q, " AND o.parent_id = ?");
		store_op_query_text(q, q->ids[3]);
	}
	if (f->archived == NULL || strcmp(f->archived, "0") == 0)
		store_op_query_add(q, " AND o.archived_at IS NULL");
	else if (strcmp(f->archived, "1") == 0)
		store_op_query_add(q, " AND o.archived_at IS NOT NULL");
	else if (strcmp(f->archived, "all") != 0)
		return (err_set(err, UFO_EINVAL, "archived",
		    "archived: expected 0, 1 or all, not \"%s\"",
		    f->archived));
	if (f->before != NULL) {
		if (store_op_find(s, a->fleet, f->before, NULL, &row, err) != 0)
			return (-1);
		/* Continue after the cursor in list order. */
		store_op_query_add(q, " AND (o.status, o.position, o.seq) >"
		    " (?, ?, ?)");
		store_op_query_int(q, row.status);
		store_op_query_int(q, row.position);
		store_op_query_int(q, row.seq);
	}
	store_op_query_add(q, " ORDER BY o.status, o.position, o.seq LIMIT ?");
	store_op_query_int(q, limit + 1);
	return (0);
}

static int
store_op_query_run(struct store *s, struct store_op_query *q, int64_t limit,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*items, *last = NULL;
	sqlite3_stmt		*stmt;
	int64_t			 n = 0;
	int			 i, rc, more = 0;

	/* Filters vary per call, so this statement is not cached. */
	if (sqlite3_prepare_v2(s->db, q->sql, -1, &stmt, NULL) != SQLITE_OK)
		return (store_sqlerr(s, err));
	for (i = 0; i < q->nbind; i++) {
		if (q->bind[i].is_text)
			rc = sqlite3_bind_text(stmt, i + 1, q->bind[i].text, -1,
			    SQLITE_STATIC);
		else
			rc = sqlite3_bind_int64(stmt, i + 1, q->bind[i].num);
		if (rc != SQLITE_OK) {
			store_sqlerr(s, err);
			sqlite3_finalize(stmt);
			return (-1);
		}
	}
	items = json_object_new_array();
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* One row past the limit says another page exists. */
		if (n++ == limit) {
			more = 1;
			break;
		}
		last = store_row_json(stmt);
		json_object_array_add(items, last);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_sqlerr(s, err);
		sqlite3_finalize(stmt);
		json_object_put(items);
		return (-1);
	}
	sqlite3_finalize(stmt);
	*out = store_list_wrap(items, more && last != NULL ?
	    jsonx_str(last, "id") : NULL);
	return (0);
}

int
store_op_list(struct store *s, const struct store_actor *a,
    const struct store_op_filter *f, struct json_object **out,
    struct ufo_error *err)
{
	static const struct store_op_filter	 none;
	struct store_op_query			 q;
	int64_t					 limit;
	int					 rc;

	*out = NULL;
	if (f == NULL)
		f = &none;
	limit = f->limit;
	if (limit <= 0)
		limit = STORE_LIST_DEFAULT;
	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	memset(&q, 0, sizeof q);
	s = store_read(s);
	rc = store_op_query_build(s, a, f, &q, limit, err);
	if (rc == 0)
		rc = store_op_query_run(s, &q, limit, out, err);
	store_read_end(s);
	free(q.sql);
	free(q.pattern);
	return (rc);
}

/* Get. */

int
store_op_get(struct store *s, const struct store_actor *a, const char *ref,
    struct json_object **out, struct ufo_error *err)
{
	struct json_object	*obj = NULL, *list;
	struct store_op_row	 row;
	int			 rc = -1;

	*out = NULL;
	s = store_read(s);
	if (store_op_find(s, a->fleet, ref, NULL, &row, err) != 0 ||
	    store_op_json(s, a->fleet, row.id, &obj, err) != 0)
		goto out;
	if (store_get_list(s, err, &list, STORE_RELATION_SELECT
	    " WHERE r.from_id = ?1 OR r.to_id = ?1 ORDER BY r.rowid", "s",
	    row.id) != 0)
		goto out;
	json_object_object_add(obj, "relations", list);
	if (store_get_list(s, err, &list,
	    "SELECT o.id, m.key || '-' || o.number AS code, o.title,"
	    " (SELECT name FROM statuses WHERE rank = o.status) AS status, "
	    STORE_PARTY_SQL("o.assignee_kind", "o.assignee_id") " AS assignee"
	    STORE_OP_FROM " WHERE o.parent_id = ? AND o.archived_at IS NULL"
	    " ORDER BY o.seq", "s", row.id) != 0)
		goto out;
	json_object_object_add(obj, "subs", list);
	if (store_comment_items(s, row.id, &list, err) != 0)
		goto out;
	json_object_object_add(obj, "comments", list);
	*out = obj;
	obj = NULL;
	rc = 0;
out:
	store_read_end(s);
	json_object_put(obj);
	return (rc);
}

/* Update. */

static int	store_op_patch_fields(struct store *,
		    const struct store_actor *, const char *,
		    struct json_object *, const struct store_op_dispatch *,
		    struct json_object **, struct ufo_error *);

static int
store_op_patch(struct store *s, const struct store_actor *a, const char *ref,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	static const char *const keys[] = { "title", "body", "status",
	    "priority", "assignee", "labels", "parent", "start",
	    "require_tags", "exclude_tags", NULL };
	struct store_op_row	 row;
	struct store_op_dispatch d;
	int			 rc;

	if (store_op_find(s, a->fleet, ref, NULL, &row, err) != 0)
		return (-1);
	memset(&d, 0, sizeof d);
	if (store_body(in, keys, err) != 0 ||
	    store_op_dispatch_read(in, &d, err) != 0) {
		store_op_dispatch_free(&d);
		return (-1);
	}
	rc = store_op_patch_fields(s, a, row.id, in, &d, out, err);
	store_op_dispatch_free(&d);
	return (rc);
}

/* The pilot (id) an operation is assigned to: 1, 0 when not a pilot. */
static int
store_op_pilot(struct store *s, const char *id, char *pilot,
    struct ufo_error *err)
{
	return (store_get_text(s, err, pilot, STORE_ID_SIZE, "SELECT"
	    " assignee_id FROM operations WHERE id = ?"
	    " AND assignee_kind = 'pilot'", "s", id));
}

static int
store_op_patch_fields(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in,
    const struct store_op_dispatch *d, struct json_object **out,
    struct ufo_error *err)
{
	struct store_op_row	 row;
	struct json_object	*labels = NULL;
	const char		*title = NULL, *body = NULL, *status = NULL;
	const char		*parent = NULL, *akind;
	char			 aid[STORE_ID_SIZE], pid[STORE_ID_SIZE];
	char			 pilot[STORE_ID_SIZE];
	int64_t			 priority = -1, pos = 0;
	int			 st = -1, aset, pset = 0, moved = 0, r;
	int			 dispatch = 0;

	if (store_op_load(s, ref, &row, err) != 0)
		return (-1);
	if (jsonx_get_string(in, "title", &title, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string(in, "body", &body, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string(in, "status", &status, JSONX_OPTIONAL,
	    err) == -1 ||
	    (r = jsonx_get_int(in, "priority", &priority, JSONX_OPTIONAL,
	    err)) == -1 ||
	    jsonx_get_string_array(in, "labels", &labels, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string(in, "parent", &parent, JSONX_OPTIONAL, err) == -1)
		return (-1);
	if ((title != NULL || store_is_null(in, "title")) &&
	    store_blank(title))
		return (err_set(err, UFO_EINVAL, "title", "title: must not be "
		    "blank"));
	if (status != NULL && (st = store_op_status(status, "status",
	    err)) == -1)
		return (-1);
	if (r == 1 && store_op_priority(priority, err) != 0)
		return (-1);
	if (store_op_check_labels(labels, "labels", err) != 0 ||
	    store_op_assignee(s, a->fleet, in, &aset, &akind, aid, err) != 0)
		return (-1);
	if (store_is_null(in, "parent") ||
	    (parent != NULL && strcmp(parent, "none") == 0)) {
		pset = 1;
		parent = NULL;
	} else if (parent != NULL) {
		pset = 1;
		if (store_op_check_parent(s, a->fleet, &row, parent, pid,
		    err) != 0)
			return (-1);
	}

	/*
	 * Assigning a pilot starts it (unless "start": false or a status
	 * other than in_progress places the card); "start": true starts the
	 * pilot the card already has. One run at a time: a conflict if one
	 * is active, before anything is written.
	 */
	if (d->start && (status == NULL || st == OP_IN_PROGRESS)) {
		if (aset) {
			if (akind != NULL && strcmp(akind, "pilot") == 0) {
				snprintf(pilot, sizeof pilot, "%s", aid);
				dispatch = 1;
			}
		} else if (d->start_set) {
			if ((r = store_op_pilot(s, row.id, pilot, err)) == -1)
				return (-1);
			dispatch = r == 1;
		}
	}
	if (dispatch && (store_run_check_idle(s, row.id, err) != 0 ||
	    store_run_target(s, a->fleet, pilot, &st, err) != 0))
		return (-1);

	if (json_object_object_length(in) == 0)
		return (store_op_json(s, a->fleet, row.id, out, err));
	/* A new status without an anchor goes to the end of its column. */
	if (st != -1 && st != row.status) {
		if (store_op_end_position(s, a->fleet, &pos, err) != 0)
			return (-1);
		moved = 1;
	}
	if (store_exec(s, err, "UPDATE operations SET"
	    " title = coalesce(?2, title), body = coalesce(?3, body),"
	    " status = CASE WHEN ?4 >= 0 THEN ?4 ELSE status END,"
	    " position = CASE WHEN ?5 THEN ?6 ELSE position END,"
	    " priority = CASE WHEN ?7 >= 0 THEN ?7 ELSE priority END,"
	    " assignee_kind = CASE WHEN ?8 THEN ?9 ELSE assignee_kind END,"
	    " assignee_id = CASE WHEN ?8 THEN ?10 ELSE assignee_id END,"
	    " parent_id = CASE WHEN ?11 THEN ?12 ELSE parent_id END,"
	    " require_tags = coalesce(?14, require_tags),"
	    " exclude_tags = coalesce(?15, exclude_tags),"
	    " updated_at = ?13 WHERE id = ?1", "sssddiidssdssss", row.id,
	    title, body, st, moved, pos, priority, aset, akind,
	    akind != NULL ? aid : NULL, pset, parent != NULL ? pid : NULL,
	    s->now, d->require, d->exclude) == -1)
		return (-1);
	if (labels != NULL) {
		if (store_exec(s, err, "DELETE FROM operation_labels"
		    " WHERE op_id = ?", "s", row.id) == -1 ||
		    store_op_add_labels(s, a, row.id, labels, err) == -1)
			return (-1);
	}
	if (store_op_announce(s, a, row.id, "operation.updated", out, NULL,
	    err) != 0)
		return (-1);

	/* Children counts of the old and new parent may have changed. */
	if (pset || (st != -1 && st != row.status)) {
		if (store_op_touch(s, a, row.parent, err) != 0)
			return (-1);
		if (pset && parent != NULL && strcmp(pid, row.parent) != 0 &&
		    store_op_touch(s, a, pid, err) != 0)
			return (-1);
	}
	if (!dispatch)
		return (0);
	return (store_run_dispatch(s, a->fleet, row.id, STORE_DISPATCH_START,
	    NULL, err));
}

int
store_op_update(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_op_patch, err));
}

/* Move. */

/*
 * Renumbers a column 1024, 2048, … in its order (leaving out the operation
 * being moved) when no integer is left between two neighbours. Every
 * operation whose position changes is announced, so live views stay right.
 */
static int
store_op_renumber(struct store *s, const struct store_actor *a, int status,
    const char *moving, struct ufo_error *err)
{
	struct json_object	*list, *e;
	size_t			 i;
	int			 rc = 0;

	if (store_get_list(s, err, &list,
	    "SELECT id, n * ?4 AS position FROM (SELECT id, position,"
	    " row_number() OVER (ORDER BY position, seq) AS n"
	    " FROM operations WHERE fleet_id = ?1 AND status = ?2"
	    " AND id <> ?3) WHERE position <> n * ?4", "sdsi", a->fleet, status,
	    moving, (int64_t)STORE_POSITION_STEP) != 0)
		return (-1);
	log_debug("%s: renumbering %zu operations", __func__,
	    json_object_array_length(list));
	for (i = 0; rc == 0 && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if (store_exec(s, err,
		    "UPDATE operations SET position = ? WHERE id = ?", "is",
		    jsonx_int(e, "position", 0), jsonx_str(e, "id")) == -1 ||
		    store_op_announce(s, a, jsonx_str(e, "id"),
		    "operation.moved", NULL, NULL, err) != 0)
			rc = -1;
	}
	json_object_put(list);
	return (rc);
}

/* The position right before or after anchor in its column. */
static int
store_op_place(struct store *s, const struct store_actor *a,
    const struct store_op_row *op, struct store_op_row *anchor, int after,
    int64_t *pos, struct ufo_error *err)
{
	int64_t	 lo, hi, other;
	int	 r, tries;

	store_op_end_forget(s, a->fleet);
	for (tries = 0; tries < 2; tries++) {
		if (after)
			r = store_get_int(s, err, &other,
			    "SELECT position FROM operations WHERE fleet_id = ?"
			    " AND status = ? AND id <> ? AND position > ?"
			    " ORDER BY position LIMIT 1", "sdsi", a->fleet,
			    anchor->status, op->id, anchor->position);
		else
			r = store_get_int(s, err, &other,
			    "SELECT position FROM operations WHERE fleet_id = ?"
			    " AND status = ? AND id <> ? AND position < ?"
			    " ORDER BY position DESC LIMIT 1", "sdsi", a->fleet,
			    anchor->status, op->id, anchor->position);
		if (r == -1)
			return (-1);
		if (r == 0) {
			/* The anchor ends its column: step past it. */
			*pos = anchor->position + (after ? STORE_POSITION_STEP :
			    -STORE_POSITION_STEP);
			return (0);
		}
		lo = after ? anchor->position : other;
		hi = after ? other : anchor->position;
		if (hi - lo >= 2) {
			*pos = lo + (hi - lo) / 2;
			return (0);
		}
		if (store_op_renumber(s, a, anchor->status, op->id, err) != 0 ||
		    store_op_load(s, anchor->id, anchor, err) != 0)
			return (-1);
	}
	return (err_set(err, UFO_EINTERNAL, "", "no room in column %s after "
	    "renumbering", op_status_name(anchor->status)));
}

static int
store_op_move_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "status", "before", "after", NULL };
	struct store_op_row	 row, anchor;
	const char		*status = NULL, *before = NULL, *after = NULL;
	const char		*field = NULL, *aref = NULL;
	int64_t			 pos;
	int			 st = -1;

	if (store_op_find(s, a->fleet, ref, NULL, &row, err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "status", &status, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string(in, "before", &before, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string(in, "after", &after, JSONX_OPTIONAL, err) == -1)
		return (-1);
	if (status != NULL && (st = store_op_status(status, "status",
	    err)) == -1)
		return (-1);
	if (before != NULL && after != NULL)
		return (err_set(err, UFO_EINVAL, "after", "after: give before "
		    "or after, not both"));
	if (status == NULL && before == NULL && after == NULL)
		return (err_set(err, UFO_EINVAL, "status", "status: give a "
		    "status, before or after"));
	if (before != NULL) {
		field = "before";
		aref = before;
	} else if (after != NULL) {
		field = "after";
		aref = after;
	}

	if (aref != NULL) {
		if (store_op_find(s, a->fleet, aref, field, &anchor, err) != 0)
			return (-1);
		if (strcmp(anchor.id, row.id) == 0)
			return (err_set(err, UFO_EINVAL, field, "%s: cannot "
			    "move an operation next to itself", field));
		/* Without a status, dropping by a card joins its column. */
		if (st == -1)
			st = anchor.status;
		else if (st != anchor.status)
			return (err_set(err, UFO_EINVAL, field, "%s: %s is in "
			    "%s, not %s", field, anchor.code,
			    op_status_name(anchor.status), op_status_name(st)));
		if (store_op_place(s, a, &row, &anchor, after != NULL, &pos,
		    err) != 0)
			return (-1);
	} else if (st != row.status) {
		if (store_op_end_position(s, a->fleet, &pos, err) != 0)
			return (-1);
	} else
		return (store_op_json(s, a->fleet, row.id, out, err));

	if (store_exec(s, err, "UPDATE operations SET status = ?,"
	    " position = ?, updated_at = ? WHERE id = ?", "diss", st, pos,
	    s->now, row.id) == -1 ||
	    store_op_announce(s, a, row.id, "operation.moved", out, NULL,
	    err) != 0)
		return (-1);
	if (st != row.status)
		return (store_op_touch(s, a, row.parent, err));
	return (0);
}

int
store_op_move(struct store *s, const struct store_actor *a, const char *ref,
    struct json_object *in, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_op_move_tx, err));
}

/* Archive. */

static int
store_op_archive_tx(struct store *s, const struct store_actor *a,
    const char *ref, int archive, struct json_object **out,
    struct ufo_error *err)
{
	struct store_op_row	 row;

	if (store_op_find(s, a->fleet, ref, NULL, &row, err) != 0)
		return (-1);
	/* Already so: answer the same, announce nothing. */
	if (row.archived == archive)
		return (store_op_json(s, a->fleet, row.id, out, err));
	if (store_exec(s, err, "UPDATE operations SET archived_at ="
	    " CASE WHEN ?2 THEN ?3 END, updated_at = ?3 WHERE id = ?1", "sds",
	    row.id, archive, s->now) == -1 ||
	    store_op_announce(s, a, row.id, archive ? "operation.archived" :
	    "operation.unarchived", out, NULL, err) != 0)
		return (-1);
	return (store_op_touch(s, a, row.parent, err));
}

int
store_op_archive(struct store *s, const struct store_actor *a,
    const char *ref, int archive, struct json_object **out,
    struct ufo_error *err)
{
	int	 rc;

	*out = NULL;
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_op_archive_tx(s, a, ref, archive != 0, out, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}

/* Labels. */

static int
store_op_labels_tx(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "add", "remove", NULL };
	struct store_op_row	 row;
	struct json_object	*add = NULL, *remove = NULL;
	int			 added, removed;

	if (store_op_find(s, a->fleet, ref, NULL, &row, err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string_array(in, "add", &add, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string_array(in, "remove", &remove, JSONX_OPTIONAL,
	    err) == -1 ||
	    store_op_check_labels(add, "add", err) != 0)
		return (-1);
	if ((removed = store_op_remove_labels(s, a, row.id, remove,
	    err)) == -1 ||
	    (added = store_op_add_labels(s, a, row.id, add, err)) == -1)
		return (-1);
	if (added + removed == 0)
		return (store_op_json(s, a->fleet, row.id, out, err));
	if (store_exec(s, err, "UPDATE operations SET updated_at = ?"
	    " WHERE id = ?", "ss", s->now, row.id) == -1)
		return (-1);
	return (store_op_announce(s, a, row.id, "operation.updated", out, NULL,
	    err));
}

int
store_op_labels(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_op_labels_tx, err));
}

/* Relations. */

static int
store_relation_insert(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	static const char *const keys[] = { "kind", "to", NULL };
	struct store_op_row	 from, to;
	const char		*kind, *toref;
	char			 id[STORE_ID_SIZE];
	int64_t			 n;

	if (store_op_find(s, a->fleet, ref, NULL, &from, err) != 0)
		return (-1);
	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_string(in, "kind", &kind, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "to", &toref, JSONX_REQUIRED, err) == -1)
		return (-1);
	if (relation_kind_from_name(kind) == -1)
		return (err_set(err, UFO_EINVAL, "kind",
		    "kind: unknown relation kind \"%s\" (expected blocks, "
		    "relates or duplicate)", kind));
	if (store_op_find(s, a->fleet, toref, "to", &to, err) != 0)
		return (-1);
	if (strcmp(from.id, to.id) == 0)
		return (err_set(err, UFO_EINVAL, "to",
		    "to: an operation cannot relate to itself"));
	/* "relates" has no direction: B relates A repeats A relates B. */
	if (store_get_int(s, err, &n, "SELECT count(*) FROM relations"
	    " WHERE kind = ?1 AND ((from_id = ?2 AND to_id = ?3)"
	    " OR (?1 = 'relates' AND from_id = ?3 AND to_id = ?2))", "sss",
	    kind, from.id, to.id) != 1)
		return (-1);
	if (n != 0)
		return (err_set(err, UFO_ECONFLICT, "to", "relation %s %s %s "
		    "already exists", from.code, kind, to.code));

	store_new_id(id, "rel");
	if (store_exec(s, err, "INSERT INTO relations (id, fleet_id, kind,"
	    " from_id, to_id, created_by, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)", "sssssss", id, a->fleet, kind,
	    from.id, to.id, a->user, s->now) == -1 ||
	    store_get_json(s, err, out, STORE_RELATION_SELECT
	    " WHERE r.id = ?", "s", id) != 1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "relation.created", id,
	    *out));
}

int
store_relation_create(struct store *s, const struct store_actor *a,
    const char *ref, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	return (store_write(s, a, ref, in, out, store_relation_insert, err));
}

static int
store_relation_delete_tx(struct store *s, const struct store_actor *a,
    const char *ref, const char *rel, struct json_object **out,
    struct ufo_error *err)
{
	struct store_op_row	 op;
	int			 r;

	if (store_op_find(s, a->fleet, ref, NULL, &op, err) != 0)
		return (-1);
	r = store_get_json(s, err, out, STORE_RELATION_SELECT
	    " WHERE r.id = ?1 AND r.fleet_id = ?2"
	    " AND (r.from_id = ?3 OR r.to_id = ?3)", "sss", rel, a->fleet,
	    op.id);
	if (r == -1)
		return (-1);
	if (r == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "relation %s not found",
		    rel));
	if (store_exec(s, err, "DELETE FROM relations WHERE id = ?", "s",
	    rel) == -1)
		return (-1);
	return (store_event_add(s, err, a->fleet, "relation.deleted", rel,
	    *out));
}

int
store_relation_delete(struct store *s, const struct store_actor *a,
    const char *ref, const char *rel, struct json_object **out,
    struct ufo_error *err)
{
	int	 rc;

	*out = NULL;
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_relation_delete_tx(s, a, ref, rel, out, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}
