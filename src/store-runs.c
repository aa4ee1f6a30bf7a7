/*
 * Runs: one execution of a pilot for an operation. Queued by dispatch
 * (assignment, a human comment, a retry), claimed by a rover under a lease,
 * started, fed with messages and artifacts, finished; the finish moves the
 * operation on (review, blocked, …) and may queue the resume that comments
 * made meanwhile asked for. The sweeper requeues runs whose lease expired.
 *
 * Every rover call carries the attempt it was given at claim time: the
 * fencing token. A call from a rover that no longer holds the run with that
 * attempt changes nothing and fails with a conflict.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "jsonx.h"
#include "log.h"
#include "protocol.h"
#include "store-internal.h"
#include "xmalloc.h"

#define STORE_RUN_SELECT						\
	"SELECT r.id, m.key || '-' || o.number AS operation,"		\
	" r.op_id AS operation_id, r.pilot, r.kind, r.status,"		\
	" r.attempt, r.max_attempts, r.rover_id AS rover, r.prompt,"	\
	" r.resume AS \"resume:bool\", r.session_id, r.exit_code,"	\
	" r.error, r.final_message, r.usage AS \"usage:json\","	\
	" r.tags AS \"tags:json\","					\
	" r.exclude_tags AS \"exclude_tags:json\","			\
	" r.needs_input AS \"needs_input:bool\", r.retry_of,"		\
	" r.queued_at, r.claimed_at, r.started_at, r.finished_at,"	\
	" r.lease_expires_at, r.not_before,"				\
	" r.cancel_requested AS \"cancel_requested:bool\","		\
	" (SELECT coalesce(max(n), 0) FROM run_messages"		\
	" WHERE run = r.seq) AS messages"				\
	" FROM runs r JOIN operations o ON o.id = r.op_id"		\
	" JOIN missions m ON m.id = o.mission_id"

#define STORE_RUN_MESSAGE_SELECT					\
	"SELECT ?1 AS run, n AS seq, attempt, type,"			\
	" data AS \"data:json\", created_at FROM run_messages"

#define STORE_ARTIFACT_SELECT						\
	"SELECT id, run_id AS run, name, size, sha256, created_at"	\
	" FROM artifacts"

#define STORE_MESSAGES_MAX	1000		/* per batch */
#define STORE_ARTIFACT_MAX	(64 * 1024 * 1024)
#define STORE_SWEEP_BATCH	256
#define STORE_SESSION_MAX	255		/* a pilot's session id */

/* Message types; anything else is kept as a log line. */
static const char *const store_run_message_types[] = {
	"text", "thinking", "tool_use", "tool_result", "log", "error", "usage",
	NULL
};

/* What the write paths need to know of one run. */
struct store_run_row {
	char	 id[STORE_ID_SIZE];
	char	 fleet[STORE_ID_SIZE];
	char	 op[STORE_ID_SIZE];
	char	 pilot[STORE_ID_SIZE];		/* pilot id */
	char	 rover[STORE_ID_SIZE];		/* "" when none */
	char	 kind[64];
	char	 status[16];
	int64_t	 seq;
	int64_t	 attempt;
	int64_t	 max_attempts;
	int	 cancel_requested;
};

static int	store_run_effects(struct store *, const struct store_run_row *,
		    const char *, const char *, int, int, const char *, int64_t,
		    int, struct ufo_error *);

static int
store_run_is_active(const char *status)
{
	return (strcmp(status, "queued") == 0 ||
	    strcmp(status, "claimed") == 0 || strcmp(status, "running") == 0);
}

static int
store_run_is_held(const char *status)
{
	return (strcmp(status, "claimed") == 0 ||
	    strcmp(status, "running") == 0);
}

static void
store_run_copy(char *dst, size_t len, sqlite3_stmt *stmt, int col)
{
	const unsigned char	*v = sqlite3_column_text(stmt, col);

	snprintf(dst, len, "%s", v != NULL ? (const char *)v : "");
}

/* A run by id, in fleet (any fleet when NULL): 1 found, 0 none, -1. */
static int
store_run_load(struct store *s, const char *fleet, const char *id,
    struct store_run_row *row, struct ufo_error *err)
{
	sqlite3_stmt	*stmt;
	int		 r;

	stmt = store_prepare(s, err,
	    "SELECT id, fleet_id, op_id, pilot_id, rover_id, kind, status,"
	    " attempt, max_attempts, cancel_requested, seq FROM runs"
	    " WHERE id = ?1 AND (?2 IS NULL OR fleet_id = ?2)", "ss", id,
	    fleet);
	if (stmt == NULL)
		return (-1);
	if ((r = store_step(s, stmt, err)) != 1)
		return (r);
	store_run_copy(row->id, sizeof row->id, stmt, 0);
	store_run_copy(row->fleet, sizeof row->fleet, stmt, 1);
	store_run_copy(row->op, sizeof row->op, stmt, 2);
	store_run_copy(row->pilot, sizeof row->pilot, stmt, 3);
	store_run_copy(row->rover, sizeof row->rover, stmt, 4);
	store_run_copy(row->kind, sizeof row->kind, stmt, 5);
	store_run_copy(row->status, sizeof row->status, stmt, 6);
	row->attempt = sqlite3_column_int64(stmt, 7);
	row->max_attempts = sqlite3_column_int64(stmt, 8);
	row->cancel_requested = sqlite3_column_int(stmt, 9);
	row->seq = sqlite3_column_int64(stmt, 10);
	sqlite3_reset(stmt);
	return (1);
}

/* Like store_run_load, but a missing run is not found (404). */
static int
store_run_find(struct store *s, const char *fleet, const char *id,
    struct store_run_row *row, struct ufo_error *err)
{
	int	 r;

	if (id == NULL || (r = store_run_load(s, fleet, id, row, err)) == 0)
		return (err_set(err, UFO_ENOTFOUND, "", "run %s not found",
		    id != NULL ? id : ""));
	return (r == 1 ? 0 : -1);
}

/* The run as the API shows it. */
int
store_run_json(struct store *s, const char *id, struct json_object **out,
    struct ufo_error *err)
{
	int	 r;

	r = store_get_json(s, err, out, STORE_RUN_SELECT " WHERE r.id = ?",
	    "s", id);
	if (r == 0)
		return (err_set(err, UFO_EINTERNAL, "", "run %s vanished", id));
	return (r == 1 ? 0 : -1);
}

/* The run as the API shows it, as an answer's text. */
static int
store_run_answer(struct store *s, const char *id, char **out,
    struct ufo_error *err)
{
	int	 r;

	r = store_get_answer(s, err, out, STORE_RUN_SELECT " WHERE r.id = ?",
	    "s", id);
	if (r == 0)
		return (err_set(err, UFO_EINTERNAL, "", "run %s vanished", id));
	return (r == 1 ? 0 : -1);
}

/*
 * Appends an event carrying the run's snapshot and wakes its followers;
 * the snapshot goes to *out as an object, to *text as an answer's text
 * (each when not NULL).
 */
int
store_run_announce(struct store *s, const char *fleet, const char *id,
    const char *kind, struct json_object **out, char **text,
    struct ufo_error *err)
{
	if (store_event_row(s, err, out, text, fleet, kind, id, STORE_RUN_SELECT
	    " WHERE r.id = ?", "s", id) != 0)
		return (-1);
	store_wake_add(s, "run:%s", id);
	return (0);
}

/*
 * What a rover is handed when it claims a run, as the claim's answer:
 * {"run":{…}} and a newline, with the run's credentials (creds, opened;
 * NULL when its pilot names none). Written by the claim's transaction,
 * whose pages are at hand, into a buffer of its exact size: no copy of
 * the credentials is left behind in memory freed on the way.
 * previous_usage: what the earlier runs of the same operation in the same
 * pilot session reported in all (a CLI counts a session's tokens from its
 * start; the rover sends this run's share), null when none did.
 */
int
store_run_claim_text(struct store *s, const char *id,
    struct json_object *creds, struct store_claim *c, struct ufo_error *err)
{
	static const char	 head[] = "{\"run\":";
	static const char	 mid[] = ",\"credentials\":";
	static const char	 tail[] = "}}\n";
	const char		*cs;
	size_t			 clen, n;
	int			 r;

	r = store_get_row_text(s, err,
	    "SELECT r.id, r.attempt, ?2 AS lease_seconds,"
	    " json_object('id', o.id, 'code', m.key || '-' || o.number,"
	    " 'title', o.title, 'body', o.body, 'slug', o.slug)"
	    " AS \"operation:json\", r.source AS \"mission:json\","
	    " json_remove(r.profile, '$.credentials') AS \"pilot:json\","
	    " r.prompt, r.resume AS \"resume:bool\", r.session_id,"
	    " CASE WHEN r.session_id IS NOT NULL THEN (SELECT"
	    " json_object('input_tokens',"
	    " sum(json_extract(p.usage, '$.input_tokens')),"
	    " 'output_tokens', sum(json_extract(p.usage, '$.output_tokens')),"
	    " 'cache_read_tokens',"
	    " sum(json_extract(p.usage, '$.cache_read_tokens')))"
	    " FROM runs p WHERE p.op_id = r.op_id AND p.seq < r.seq"
	    " AND p.pilot_id = r.pilot_id AND p.session_id = r.session_id"
	    " AND p.reported = 1 HAVING count(*) > 0) END"
	    " AS \"previous_usage:json\""
	    " FROM runs r JOIN operations o ON o.id = r.op_id"
	    " JOIN missions m ON m.id = o.mission_id WHERE r.id = ?1", "si",
	    id, (int64_t)(STORE_LEASE_MS / 1000));
	if (r == 0)
		return (err_set(err, UFO_EINTERNAL, "", "run %s vanished", id));
	if (r != 1)
		return (-1);
	cs = creds != NULL ? jsonx_compact(creds) : "{}";
	clen = strlen(cs);
	/* The row's text without its closing brace, then the credentials. */
	n = sizeof head - 1 + s->text.len - 1 + sizeof mid - 1 + clen +
	    sizeof tail - 1;
	c->text = xmalloc(n + 1);
	memcpy(c->text, head, sizeof head - 1);
	c->len = sizeof head - 1;
	memcpy(c->text + c->len, s->text.p, s->text.len - 1);
	c->len += s->text.len - 1;
	memcpy(c->text + c->len, mid, sizeof mid - 1);
	c->len += sizeof mid - 1;
	memcpy(c->text + c->len, cs, clen);
	c->len += clen;
	memcpy(c->text + c->len, tail, sizeof tail);
	c->len += sizeof tail - 1;
	c->secret = creds != NULL;
	return (0);
}

/* Queueing. */

/* 1 when a live rover of the fleet can run pilot kind, 0 if none, -1. */
static int
store_run_kind_ready(struct store *s, const char *fleet, const char *kind,
    struct ufo_error *err)
{
	int64_t	 n;

	if (store_get_int(s, err, &n, "SELECT EXISTS (SELECT 1 FROM"
	    " rover_kinds WHERE fleet_id = ? AND kind = ?)", "ss", fleet,
	    kind) != 1)
		return (-1);
	return (n != 0);
}

/*
 * The status a dispatch to pilot (an id) gives its operation: in_progress,
 * or blocked when no rover of the fleet can run the pilot's kind.
 */
int
store_run_target(struct store *s, const char *fleet, const char *pilot,
    int *status, struct ufo_error *err)
{
	char	 kind[64];
	int	 r;

	if ((r = store_get_text(s, err, kind, sizeof kind,
	    "SELECT kind FROM pilots WHERE id = ?", "s", pilot)) != 1) {
		if (r == 0)
			err_set(err, UFO_EINTERNAL, "", "pilot %s vanished",
			    pilot);
		return (-1);
	}
	if ((r = store_run_kind_ready(s, fleet, kind, err)) == -1)
		return (-1);
	*status = r ? OP_IN_PROGRESS : OP_BLOCKED;
	return (0);
}

/* The active run of op into id: 1 there is one, 0 none, -1 error. */
static int
store_run_active(struct store *s, const char *op, char *id,
    struct ufo_error *err)
{
	return (store_get_text(s, err, id, STORE_ID_SIZE, "SELECT id FROM runs"
	    " WHERE op_id = ? AND finished_at IS NULL",
	    "s", op));
}

/* Fails with a conflict naming the active run of op, if there is one. */
int
store_run_check_idle(struct store *s, const char *op, struct ufo_error *err)
{
	struct json_object	*row;
	int			 r;

	r = store_get_json(s, err, &row,
	    "SELECT r.id, r.status, m.key || '-' || o.number AS code"
	    " FROM runs r JOIN operations o ON o.id = r.op_id"
	    " JOIN missions m ON m.id = o.mission_id"
	    " WHERE r.op_id = ? AND r.finished_at IS NULL", "s", op);
	if (r != 1)
		return (r);
	err_set(err, UFO_ECONFLICT, "", "%s already has an active run %s "
	    "(%s); cancel it first", jsonx_str(row, "code"),
	    jsonx_str(row, "id"), jsonx_str(row, "status"));
	json_object_put(row);
	return (-1);
}

/* "UFO-12-fix-the-thing": the code, then the title's words; ≤ 64. */
static void
store_run_slug(const char *code, const char *title, char *slug, size_t len)
{
	size_t	 n;
	int	 dash = 1;

	snprintf(slug, len, "%s", code);
	n = strlen(slug);
	for (; *title != '\0' && n + 2 < len; title++) {
		if (isalnum((unsigned char)*title)) {
			if (dash) {
				slug[n++] = '-';
				dash = 0;
			}
			slug[n++] = tolower((unsigned char)*title);
		} else
			dash = 1;
	}
	slug[n] = '\0';
}

/* Fixes the operation's slug at its first run: the work dir's name. */
static int
store_run_fix_slug(struct store *s, const char *op, struct ufo_error *err)
{
	struct json_object	*row;
	char			 slug[65];
	int			 r;

	if ((r = store_get_json(s, err, &row,
	    "SELECT m.key || '-' || o.number AS code, o.title, o.slug"
	    " FROM operations o JOIN missions m ON m.id = o.mission_id"
	    " WHERE o.id = ?", "s", op)) != 1)
		return (r == 0 ? err_set(err, UFO_EINTERNAL, "", "operation %s "
		    "vanished", op) : -1);
	r = 0;
	if (jsonx_str(row, "slug") == NULL) {
		store_run_slug(jsonx_str(row, "code"), jsonx_str(row, "title"),
		    slug, sizeof slug);
		if (store_exec(s, err, "UPDATE operations SET slug = ?"
		    " WHERE id = ?", "ss", slug, op) == -1)
			r = -1;
	}
	json_object_put(row);
	return (r);
}

/* No rover can run kind: the operation is blocked and everyone told. */
static int
store_run_no_rover(struct store *s, const char *fleet, const char *op,
    const char *run, const char *kind, struct ufo_error *err)
{
	struct json_object	*row;
	char			*msg;
	int			 r;

	if (store_op_set_status(s, fleet, op, OP_BLOCKED, err) != 0)
		return (-1);
	if ((r = store_get_json(s, err, &row,
	    "SELECT m.key || '-' || o.number AS code, r.pilot FROM runs r"
	    " JOIN operations o ON o.id = r.op_id"
	    " JOIN missions m ON m.id = o.mission_id WHERE r.id = ?", "s",
	    run)) != 1)
		return (r == 0 ? err_set(err, UFO_EINTERNAL, "", "run %s "
		    "vanished", run) : -1);
	msg = xprintf("%s: no rover can run pilot %s (kind %s); enroll one "
	    "with tag pilot:%s", jsonx_str(row, "code"),
	    jsonx_str(row, "pilot"), kind, kind);
	r = store_signal_fleet(s, fleet, "no_rover", op, run, msg, err);
	free(msg);
	json_object_put(row);
	return (r);
}

/* A new run: what to run, and (when NULL) snapshots taken now. */
struct store_run_new {
	const char	*op;
	const char	*pilot;		/* pilot id */
	const char	*prompt;
	int		 resume;
	const char	*session;
	const char	*profile;	/* JSON of the pilot profile */
	const char	*source;	/* JSON {"key","repo","branch"} */
	const char	*tags;		/* JSON arrays of tags */
	const char	*exclude;
	const char	*retry_of;
	/* A new operation's first run (store_run_dispatch_new): the pilot's
	 * name and kind are known, a rover can run it, the operation has no
	 * other run, its slug and status are set already. */
	int		 fresh;
	const char	*name;
	const char	*kind;
};

static int
store_run_insert(struct store *s, const char *fleet,
    const struct store_run_new *n, const char *id, const char *name,
    const char *kind, const char *profile, const char *source,
    const char *tags, const char *exclude, int ready, struct ufo_error *err)
{
	if (store_exec(s, err, "INSERT INTO runs (id, fleet_id, op_id,"
	    " pilot_id, pilot, kind, profile, source, status, prompt, resume,"
	    " session_id, tags, exclude_tags, no_rover, retry_of,"
	    " queued_at, not_before, not_before_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17)",
	    "sssssssssdsssdssi",
	    id, fleet, n->op, n->pilot, name, kind, profile, source,
	    n->prompt, n->resume, n->session, tags, exclude, !ready,
	    n->retry_of, s->now, s->now_ms) == -1)
		return (-1);
	return (0);
}

/*
 * Queues a run and moves its operation to in_progress, or to blocked with
 * a no_rover signal when no rover of the fleet can run the pilot's kind;
 * the run stays queued either way and the first such rover unblocks it.
 */
static int
store_run_queue(struct store *s, const char *fleet,
    const struct store_run_new *n, char *id, struct ufo_error *err)
{
	struct json_object	*pilot = NULL, *op = NULL;
	const char		*profile, *source, *tags, *exclude, *kind;
	int			 r, ready, rc = -1;

	if (n->fresh) {
		store_new_id(id, "run");
		if (store_run_insert(s, fleet, n, id, n->name, n->kind,
		    n->profile, n->source, n->tags, n->exclude, 1, err) != 0 ||
		    store_run_announce(s, fleet, id, "run.queued", NULL,
		    NULL, err) != 0)
			return (-1);
		store_wake_add(s, "claim:%s", n->kind);
		return (0);
	}
	if (store_run_check_idle(s, n->op, err) != 0)
		return (-1);
	if ((r = store_get_json(s, err, &pilot,
	    "SELECT name, kind, json_object('name', name, 'kind', kind,"
	    " 'model', model, 'args', json(args), 'env', json(env),"
	    " 'max_turns', max_turns, 'timeout', timeout,"
	    " 'credentials', json(credentials)) AS profile"
	    " FROM pilots WHERE id = ?", "s", n->pilot)) != 1) {
		if (r == 0)
			err_set(err, UFO_EINTERNAL, "", "pilot %s vanished",
			    n->pilot);
		goto out;
	}
	if ((r = store_get_json(s, err, &op,
	    "SELECT m.key || '-' || o.number AS code, o.title,"
	    " json_object('key', m.key, 'repo', m.repo, 'branch', m.branch)"
	    " AS source, o.require_tags, o.exclude_tags"
	    " FROM operations o JOIN missions m ON m.id = o.mission_id"
	    " WHERE o.id = ?", "s", n->op)) != 1) {
		if (r == 0)
			err_set(err, UFO_EINTERNAL, "", "operation %s vanished",
			    n->op);
		goto out;
	}
	profile = n->profile != NULL ? n->profile : jsonx_str(pilot, "profile");
	source = n->source != NULL ? n->source : jsonx_str(op, "source");
	tags = n->tags != NULL ? n->tags : jsonx_str(op, "require_tags");
	exclude = n->exclude != NULL ? n->exclude :
	    jsonx_str(op, "exclude_tags");
	/* A retried run keeps the name and kind of its snapshot. */
	if (n->profile != NULL) {
		struct json_object	*p;

		if ((p = jsonx_parse_text(n->profile)) == NULL) {
			err_set(err, UFO_EINTERNAL, "", "bad pilot snapshot");
			goto out;
		}
		json_object_object_add(pilot, "name", json_object_get(
		    json_object_object_get(p, "name")));
		json_object_object_add(pilot, "kind", json_object_get(
		    json_object_object_get(p, "kind")));
		json_object_put(p);
	}
	if ((kind = jsonx_str(pilot, "kind")) == NULL) {
		err_set(err, UFO_EINTERNAL, "", "pilot without a kind");
		goto out;
	}
	if ((ready = store_run_kind_ready(s, fleet, kind, err)) == -1)
		goto out;

	store_new_id(id, "run");
	if (store_run_insert(s, fleet, n, id, jsonx_str(pilot, "name"), kind,
	    profile, source, tags, exclude, ready, err) != 0)
		goto out;
	if (store_run_fix_slug(s, n->op, err) != 0 ||
	    store_run_announce(s, fleet, id, "run.queued", NULL, NULL,
	    err) != 0)
		goto out;
	if (ready && store_op_set_status(s, fleet, n->op, OP_IN_PROGRESS,
	    err) != 0)
		goto out;
	if (ready)
		store_wake_add(s, "claim:%s", kind);
	else if (store_run_no_rover(s, fleet, n->op, id, kind, err) != 0)
		goto out;
	rc = 0;
out:
	json_object_put(pilot);
	json_object_put(op);
	return (rc);
}

/*
 * The prompt of a fresh run: the operation, then the conversation so far.
 * "# KEY-N: title\n\nbody\n\n## Conversation\n\n**author**: comment…"
 */
static int
store_run_prompt(struct store *s, const char *op, char **prompt,
    struct ufo_error *err)
{
	struct json_object	*row, *comments, *c;
	const char		*body;
	size_t			 i, len;
	FILE			*f;
	int			 r;

	*prompt = NULL;
	if ((r = store_get_json(s, err, &row,
	    "SELECT m.key || '-' || o.number AS code, o.title, o.body"
	    " FROM operations o JOIN missions m ON m.id = o.mission_id"
	    " WHERE o.id = ?", "s", op)) != 1)
		return (r == 0 ? err_set(err, UFO_EINTERNAL, "", "operation %s "
		    "vanished", op) : -1);
	if (store_comment_items(s, op, &comments, err) != 0) {
		json_object_put(row);
		return (-1);
	}
	if ((f = open_memstream(prompt, &len)) == NULL)
		fatal("%s: open_memstream", __func__);
	fprintf(f, "# %s: %s", jsonx_str(row, "code"),
	    jsonx_str(row, "title"));
	body = jsonx_str(row, "body");
	if (!store_blank(body))
		fprintf(f, "\n\n%s", body);
	for (i = 0; i < json_object_array_length(comments); i++) {
		c = json_object_array_get_idx(comments, i);
		if (i == 0)
			fprintf(f, "\n\n## Conversation");
		fprintf(f, "\n\n**%s**: %s", jsonx_str(c, "author"),
		    jsonx_str(c, "body"));
	}
	if (fclose(f) != 0)
		fatal("%s: fclose", __func__);
	json_object_put(row);
	json_object_put(comments);
	return (0);
}

/* The session of the operation's last run of pilot, into buf ("" none). */
static int
store_run_last_session(struct store *s, const char *op, const char *pilot,
    char *buf, size_t len, struct ufo_error *err)
{
	int	 r;

	buf[0] = '\0';
	r = store_get_text(s, err, buf, len, "SELECT session_id FROM runs"
	    " WHERE op_id = ? AND pilot_id = ? AND session_id IS NOT NULL"
	    " ORDER BY seq DESC LIMIT 1", "ss", op, pilot);
	return (r == -1 ? -1 : 0);
}

/*
 * What dispatching a new operation to pilot (an id) needs, in one lookup:
 * the pilot's name, kind and profile, the mission's key and source, and
 * whether a rover of the fleet can run the kind. 1 found, -1 error.
 */
int
store_run_plan(struct store *s, const char *fleet, const char *pilot,
    const char *mission, struct json_object **out, struct ufo_error *err)
{
	int	 r;

	r = store_get_json(s, err, out, "SELECT p.name, p.kind,"
	    " json_object('name', p.name, 'kind', p.kind, 'model', p.model,"
	    " 'args', json(p.args), 'env', json(p.env),"
	    " 'max_turns', p.max_turns, 'timeout', p.timeout,"
	    " 'credentials', json(p.credentials)) AS profile,"
	    " m.key, json_object('key', m.key, 'repo', m.repo,"
	    " 'branch', m.branch) AS source, EXISTS (SELECT 1"
	    " FROM rover_kinds WHERE fleet_id = ?3 AND kind = p.kind)"
	    " AS ready FROM pilots p, missions m WHERE p.id = ?1"
	    " AND m.id = ?2", "sss", pilot, mission, fleet);
	if (r == 0)
		return (err_set(err, UFO_EINTERNAL, "", "pilot %s vanished",
		    pilot));
	return (r);
}

/*
 * The first run of an operation made now, for a pilot a rover can run
 * (plan from store_run_plan): its prompt is the operation alone, there is
 * no session to resume, no run before it, nothing pending; the operation
 * was made in_progress with its slug.
 */
int
store_run_dispatch_new(struct store *s, const char *fleet, const char *op,
    const char *code, const char *title, const char *body,
    const char *pilot, struct json_object *plan, const char *require,
    const char *exclude, struct ufo_error *err)
{
	struct store_run_new	 n;
	char			 id[STORE_ID_SIZE];
	char			*prompt;
	int			 rc;

	if (!store_blank(body))
		prompt = xprintf("# %s: %s\n\n%s", code, title, body);
	else
		prompt = xprintf("# %s: %s", code, title);
	memset(&n, 0, sizeof n);
	n.op = op;
	n.pilot = pilot;
	n.prompt = prompt;
	n.profile = jsonx_str(plan, "profile");
	n.source = jsonx_str(plan, "source");
	n.tags = require != NULL ? require : "[]";
	n.exclude = exclude != NULL ? exclude : "[]";
	n.fresh = 1;
	n.name = jsonx_str(plan, "name");
	n.kind = jsonx_str(plan, "kind");
	rc = store_run_queue(s, fleet, &n, id, err);
	free(prompt);
	return (rc);
}

/* The slug of an operation (store_run_slug), for a new one's INSERT. */
void
store_op_slug(const char *code, const char *title, char *slug, size_t len)
{
	store_run_slug(code, title, slug, len);
}

/*
 * Dispatch for an operation assigned to a pilot. START (assignment, or
 * "start": true): a run with the full prompt, a conflict when one is
 * active. COMMENT (text is a human comment): kept for later when a run is
 * active, else a resume run with it (and any earlier pending comments).
 * PENDING (a run finished): a resume run with the pending comments, if any.
 * A resume needs a session of the pilot on this operation; without one the
 * run gets the full prompt, which holds the comments too.
 */
int
store_run_dispatch(struct store *s, const char *fleet, const char *op,
    int how, const char *text, struct ufo_error *err)
{
	struct store_run_new	 n;
	struct json_object	*row;
	const char		*kind, *pending;
	char			 pilot[STORE_ID_SIZE], id[STORE_ID_SIZE];
	char			 session[STORE_SESSION_MAX + 1];
	char			*prompt = NULL, *merged = NULL;
	int			 r, archived, rc = -1;

	if ((r = store_get_json(s, err, &row,
	    "SELECT assignee_kind, assignee_id, pending_prompt,"
	    " archived_at IS NOT NULL AS archived FROM operations"
	    " WHERE id = ?", "s", op)) != 1)
		return (r == 0 ? err_set(err, UFO_EINTERNAL, "", "operation %s "
		    "vanished", op) : -1);
	kind = jsonx_str(row, "assignee_kind");
	if (kind == NULL || strcmp(kind, "pilot") != 0) {
		json_object_put(row);
		return (0);
	}
	snprintf(pilot, sizeof pilot, "%s", jsonx_str(row, "assignee_id"));
	archived = jsonx_int(row, "archived", 0) != 0;
	pending = jsonx_str(row, "pending_prompt");

	if (how != STORE_DISPATCH_START) {
		/* Archived cards are put away: comments wake nobody. */
		if (archived) {
			rc = 0;
			goto out;
		}
		if (how == STORE_DISPATCH_COMMENT) {
			if (pending != NULL)
				merged = xprintf("%s\n\n%s", pending, text);
			else
				merged = xstrdup(text);
			pending = merged;
			if ((r = store_run_active(s, op, id, err)) == -1)
				goto out;
			if (r == 1) {
				/* Merged into the resume after this run. */
				rc = store_exec(s, err, "UPDATE operations"
				    " SET pending_prompt = ? WHERE id = ?",
				    "ss", pending, op) == -1 ? -1 : 0;
				goto out;
			}
		}
		if (pending == NULL) {
			rc = 0;
			goto out;
		}
	}

	if (store_run_last_session(s, op, pilot, session, sizeof session,
	    err) != 0)
		goto out;
	memset(&n, 0, sizeof n);
	n.op = op;
	n.pilot = pilot;
	if (how != STORE_DISPATCH_START && session[0] != '\0') {
		n.prompt = pending;
		n.resume = 1;
		n.session = session;
	} else {
		if (store_run_prompt(s, op, &prompt, err) != 0)
			goto out;
		n.prompt = prompt;
		n.resume = session[0] != '\0';
		n.session = session[0] != '\0' ? session : NULL;
	}
	if (store_run_queue(s, fleet, &n, id, err) != 0)
		goto out;
	if (store_exec(s, err, "UPDATE operations SET pending_prompt = NULL"
	    " WHERE id = ?", "s", op) == -1)
		goto out;
	rc = 0;
out:
	free(prompt);
	free(merged);
	json_object_put(row);
	return (rc);
}

/* Rovers appearing: runs nobody could take become claimable again. */
int
store_run_unblock(struct store *s, const char *fleet, const char *kind,
    struct ufo_error *err)
{
	struct json_object	*list, *e;
	int64_t			 st;
	size_t			 i;
	int			 r, rc = 0;

	if (store_get_list(s, err, &list, "SELECT id, op_id FROM runs"
	    " WHERE fleet_id = ? AND kind = ? AND no_rover = 1", "ss", fleet,
	    kind) != 0)
		return (-1);
	for (i = 0; rc == 0 && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if (store_exec(s, err, "UPDATE runs SET no_rover = 0"
		    " WHERE id = ?", "s", jsonx_str(e, "id")) == -1 ||
		    (r = store_get_int(s, err, &st, "SELECT status FROM"
		    " operations WHERE id = ?", "s", jsonx_str(e, "op_id"))) !=
		    1) {
			rc = -1;
			break;
		}
		/* Only what the missing rover blocked; a person's move
		 * stays. */
		if (st == OP_BLOCKED)
			rc = store_op_set_status(s, fleet,
			    jsonx_str(e, "op_id"), OP_IN_PROGRESS, err);
		store_wake_add(s, "claim:%s", kind);
	}
	json_object_put(list);
	return (rc);
}

/*
 * Puts a held run back in the queue with the next attempt (its old holder
 * is fenced off by it), after backoff ms.
 */
static int
store_run_requeue(struct store *s, const struct store_run_row *row,
    int64_t backoff, struct ufo_error *err)
{
	char	 when[STORE_TS_SIZE];
	int	 ready;

	if ((ready = store_run_kind_ready(s, row->fleet, row->kind,
	    err)) == -1)
		return (-1);
	store_time_format(when, sizeof when, s->now_ms + backoff);
	if (store_exec(s, err, "UPDATE runs SET status = 'queued',"
	    " attempt = attempt + 1, rover_id = NULL, claimed_at = NULL,"
	    " started_at = NULL, lease_ms = NULL, lease_expires_at = NULL,"
	    " not_before = ?2, not_before_ms = ?3, backoff = ?4,"
	    " no_rover = ?5 WHERE id = ?1", "ssidd", row->id, when,
	    s->now_ms + backoff, backoff > 0, !ready) == -1 ||
	    store_run_announce(s, row->fleet, row->id, "run.queued", NULL,
	    NULL, err) != 0)
		return (-1);
	if (backoff > 0)
		store_sweep_at(s, s->now_ms + backoff);
	else if (ready)
		store_wake_add(s, "claim:%s", row->kind);
	if (ready)
		return (0);
	return (store_run_no_rover(s, row->fleet, row->op, row->id,
	    row->kind, err));
}

/* Ends a run that nobody runs any more: cancelled, or failed as lost. */
static int
store_run_end(struct store *s, const struct store_run_row *row,
    const char *status, const char *error, const char *event,
    struct ufo_error *err)
{
	if (store_exec(s, err, "UPDATE runs SET status = ?2, error = ?3,"
	    " finished_at = ?4, lease_ms = NULL, lease_expires_at = NULL,"
	    " no_rover = 0, backoff = 0 WHERE id = ?1", "ssss", row->id,
	    status, error, s->now) == -1 ||
	    store_run_announce(s, row->fleet, row->id, event, NULL, NULL,
	    err) != 0)
		return (-1);
	return (store_run_effects(s, row, status, NULL, -1, 0, error, 0, 0,
	    err));
}

/*
 * A queued run that cannot be handed to any rover (a credential its pilot
 * names is missing) fails with the reason, as a run that ran and failed.
 */
int
store_run_fail_queued(struct store *s, const char *id, const char *reason,
    struct ufo_error *err)
{
	struct store_run_row	 row;

	if (store_run_find(s, NULL, id, &row, err) != 0)
		return (-1);
	if (strcmp(row.status, "queued") != 0)
		return (err_set(err, UFO_EINTERNAL, "", "run %s is %s, not "
		    "queued", id, row.status));
	log_info("run %s: failed before its claim: %s", id, reason);
	return (store_run_end(s, &row, "failed", reason, "run.finished", err));
}

/* A revoked rover's runs go back to the queue at once. */
int
store_run_release_rover(struct store *s, const char *rover,
    struct ufo_error *err)
{
	struct store_run_row	 row;
	struct json_object	*list;
	size_t			 i;
	int			 r, rc = 0;

	if (store_get_list(s, err, &list, "SELECT id FROM runs"
	    " WHERE rover_id = ? AND finished_at IS NULL"
	    " ORDER BY seq", "s", rover) != 0)
		return (-1);
	for (i = 0; rc == 0 && i < json_object_array_length(list); i++) {
		if ((r = store_run_load(s, NULL, jsonx_str(
		    json_object_array_get_idx(list, i), "id"), &row,
		    err)) != 1) {
			rc = -1;
			break;
		}
		if (row.cancel_requested)
			rc = store_run_end(s, &row, "cancelled", NULL,
			    "run.cancelled", err);
		else
			rc = store_run_requeue(s, &row, 0, err);
	}
	json_object_put(list);
	return (rc);
}

/*
 * The answer to a claim did not reach its rover (it hung up while the
 * answer was on its way): the run goes back to the queue at once rather
 * than when its lease runs out. The next attempt fences the claim off, in
 * case the rover got the answer after all.
 */
static int
store_run_undelivered_tx(struct store *s, const struct store_rover *rv,
    const char *id, int64_t attempt, struct ufo_error *err)
{
	struct store_run_row	 row;

	if (store_run_find(s, rv->fleet, id, &row, err) != 0)
		return (-1);
	if (strcmp(row.status, "claimed") != 0 ||
	    strcmp(row.rover, rv->id) != 0 || row.attempt != attempt)
		return (0);
	log_info("run %s: the claim did not reach rover %s; queued again",
	    id, rv->id);
	if (row.cancel_requested)
		return (store_run_end(s, &row, "cancelled", NULL,
		    "run.cancelled", err));
	return (store_run_requeue(s, &row, 0, err));
}

int
store_run_undelivered(struct store *s, const struct store_rover *rv,
    const char *id, int64_t attempt, struct ufo_error *err)
{
	int	 rc;

	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_run_undelivered_tx(s, rv, id, attempt, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	return (rc);
}

/* Finish. */

/*
 * Strips the markers a pilot may end its final message with, in place:
 * "@@UFO_STATUS:<status>@@" (*status, the last one wins) and
 * "@@UFO_NEEDS_INPUT@@". Anything else that looks like one is text.
 */
static void
store_run_markers(char *msg, int *status, int *needs_input)
{
	char	*end, *start, *p, name[32];
	size_t	 len, ilen;
	int	 st;

	*status = -1;
	*needs_input = 0;
	for (;;) {
		len = strlen(msg);
		while (len > 0 && isspace((unsigned char)msg[len - 1]))
			msg[--len] = '\0';
		if (len < 4 || strcmp(msg + len - 2, "@@") != 0)
			return;
		end = msg + len - 2;
		/* The opening "@@UFO_" nearest to the closing "@@". */
		for (start = NULL, p = msg; (p = strstr(p, "@@UFO_")) != NULL &&
		    p < end; p++)
			start = p;
		if (start == NULL)
			return;
		p = start + 2;
		ilen = end - p;
		if (ilen == strlen("UFO_NEEDS_INPUT") &&
		    strncmp(p, "UFO_NEEDS_INPUT", ilen) == 0)
			*needs_input = 1;
		else if (ilen > 11 && ilen - 11 < sizeof name &&
		    strncmp(p, "UFO_STATUS:", 11) == 0) {
			snprintf(name, sizeof name, "%.*s", (int)(ilen - 11),
			    p + 11);
			if ((st = op_status_from_name(name)) == -1)
				return;
			if (*status == -1)
				*status = st;
		} else
			return;
		*start = '\0';
	}
}

/* Moves the operation to status (-1: stays) and signals the fleet. */
static int
store_run_outcome(struct store *s, const struct store_run_row *row,
    struct json_object *op, int status, const char *signal,
    const char *message, struct ufo_error *err)
{
	if (status != -1 && store_op_move_to(s, row->fleet, row->op,
	    (int)jsonx_int(op, "status", -1), jsonx_str(op, "parent"), status,
	    err) != 0)
		return (-1);
	if (signal == NULL)
		return (0);
	return (store_signal_fleet(s, row->fleet, signal, row->op, row->id,
	    message, err));
}

/*
 * What a finished run does to its operation: the final message (markers
 * already stripped into st and needs) becomes a pilot comment; succeeded →
 * in_review and review_requested (or what the markers say); failed →
 * blocked, a system comment and run_failed; cancelled → in_progress falls
 * back to todo. Then comments made during the run queue their resume (not
 * after a cancel: a person stopped it).
 */
static int
store_run_effects(struct store *s, const struct store_run_row *row,
    const char *status, const char *final, int st, int needs,
    const char *error, int64_t exit_code, int has_exit,
    struct ufo_error *err)
{
	struct json_object	*op;
	const char		*code, *title;
	char			*text = NULL, *msg = NULL;
	int			 target, r, rc = -1;

	if ((r = store_get_json(s, err, &op,
	    "SELECT m.key || '-' || o.number AS code, o.title, o.status,"
	    " o.parent_id AS parent, o.pending_prompt IS NOT NULL AS pending"
	    " FROM operations o JOIN missions m ON m.id = o.mission_id"
	    " WHERE o.id = ?", "s", row->op)) != 1)
		return (r == 0 ? err_set(err, UFO_EINTERNAL, "", "operation %s "
		    "vanished", row->op) : -1);
	code = jsonx_str(op, "code");
	title = jsonx_str(op, "title");

	if (final != NULL && !store_blank(final) && store_comment_add(s,
	    row->fleet, row->op, "pilot", row->pilot, final, err) != 0)
		goto out;
	if (strcmp(status, "succeeded") == 0) {
		if (needs) {
			/* The pilot asked a question: the card stays put. */
			target = st != -1 ? st : OP_IN_PROGRESS;
			msg = xprintf("%s needs your input: %s", code, title);
			if (store_run_outcome(s, row, op, target,
			    "input_requested", msg, err) != 0)
				goto out;
		} else {
			target = st != -1 ? st : OP_IN_REVIEW;
			msg = xprintf("%s is ready for review: %s", code,
			    title);
			if (store_run_outcome(s, row, op, target,
			    target == OP_IN_REVIEW ? "review_requested" : NULL,
			    msg, err) != 0)
				goto out;
		}
	} else if (strcmp(status, "failed") == 0) {
		if (error != NULL && !store_blank(error))
			text = xprintf("Run %s (attempt %lld) failed: %s",
			    row->id, (long long)row->attempt, error);
		else if (has_exit)
			text = xprintf("Run %s (attempt %lld) failed with "
			    "exit code %lld", row->id, (long long)row->attempt,
			    (long long)exit_code);
		else
			text = xprintf("Run %s (attempt %lld) failed",
			    row->id, (long long)row->attempt);
		msg = xprintf("%s: %s", code, text);
		if (store_comment_add(s, row->fleet, row->op, "system", NULL,
		    text, err) != 0 ||
		    store_run_outcome(s, row, op, OP_BLOCKED, "run_failed",
		    msg, err) != 0)
			goto out;
	} else {
		if (jsonx_int(op, "status", -1) == OP_IN_PROGRESS &&
		    store_op_set_status(s, row->fleet, row->op, OP_TODO,
		    err) != 0)
			goto out;
		rc = 0;
		goto out;
	}
	/* Comments made during the run queue its resume. */
	rc = 0;
	if (jsonx_int(op, "pending", 0))
		rc = store_run_dispatch(s, row->fleet, row->op,
		    STORE_DISPATCH_PENDING, NULL, err);
out:
	free(text);
	free(msg);
	json_object_put(op);
	return (rc);
}

/* The rover protocol. */

static int
store_run_session(const char *session, struct ufo_error *err)
{
	if (session != NULL && (*session == '\0' ||
	    strlen(session) > STORE_SESSION_MAX))
		return (err_set(err, UFO_EINVAL, "session_id", "session_id: "
		    "must be 1 to %d characters", STORE_SESSION_MAX));
	return (0);
}

/* The rover holds the run with this attempt (or reported its end). */
static int
store_run_fence(const struct store_run_row *row, const struct store_rover *rv,
    int64_t attempt, int reported, struct ufo_error *err)
{
	if (strcmp(row->rover, rv->id) == 0 && row->attempt == attempt &&
	    (store_run_is_held(row->status) || reported))
		return (0);
	return (err_set(err, UFO_ECONFLICT, "", "run %s is no longer held by "
	    "this rover (attempt %lld)", row->id, (long long)attempt));
}

/* 1 when the run's end was reported by its rover. */
static int
store_run_reported(struct store *s, const struct store_run_row *row,
    struct ufo_error *err)
{
	int64_t	 n;

	if (store_run_is_active(row->status))
		return (0);
	if (store_get_int(s, err, &n, "SELECT reported FROM runs WHERE id = ?",
	    "s", row->id) != 1)
		return (-1);
	return (n != 0);
}

/*
 * A rover's call on a run (start, messages, finish) in a transaction of
 * its own; *out gets the answer's text.
 */
typedef int (*store_run_fn)(struct store *, const struct store_rover *,
    const char *, struct json_object *, char **, struct ufo_error *);

struct store_run_req {
	const struct store_rover	*rv;
	const char			*id;
	struct json_object		*in;
	char				**out;
	store_run_fn			 tx;
};

static int
store_run_job(struct store *s, void *arg, struct ufo_error *err)
{
	struct store_run_req	*r = arg;

	return (r->tx(s, r->rv, r->id, r->in, r->out, err));
}

/* A rover's call on a run, waited for. */
static int
store_run_wait(store_run_async_fn fn, struct store *s,
    const struct store_rover *rv, const char *id, struct json_object *in,
    char **out, struct ufo_error *err)
{
	struct store_sync	 w;

	fn(s, rv, id, in, out, store_sync_begin(&w));
	return (store_sync_end(&w, err));
}

/* A failed call answers nothing. */
static void
store_run_call_fini(void *arg, int rc)
{
	struct store_run_req	*r = arg;

	if (rc != 0) {
		free(*r->out);
		*r->out = NULL;
	}
}

static void
store_run_call(struct store *s, const struct store_rover *rv, const char *id,
    struct json_object *in, char **out, struct store_async *as,
    store_run_fn tx)
{
	struct store_run_req	 r = { rv, id, in, out, tx };

	*out = NULL;
	store_tx_async(s, store_run_job, &r, sizeof r, store_run_call_fini,
	    as);
}

static int
store_run_start_tx(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct ufo_error *err)
{
	static const char *const keys[] = { "attempt", "session_id", NULL };
	struct store_run_row	 row;
	const char		*session = NULL;
	char			 lease[STORE_TS_SIZE];
	int64_t			 attempt;

	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_int(in, "attempt", &attempt, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "session_id", &session, JSONX_OPTIONAL,
	    err) == -1 ||
	    store_run_session(session, err) != 0)
		return (-1);
	if (store_run_find(s, rv->fleet, id, &row, err) != 0 ||
	    store_run_fence(&row, rv, attempt, 0, err) != 0)
		return (-1);
	/* A retried start answers the same. */
	if (strcmp(row.status, "running") == 0)
		return (store_run_answer(s, row.id, out, err));
	store_time_format(lease, sizeof lease, s->now_ms + STORE_LEASE_MS);
	if (store_exec(s, err, "UPDATE runs SET status = 'running',"
	    " started_at = ?2, session_id = coalesce(?3, session_id),"
	    " lease_ms = ?4, lease_expires_at = ?5 WHERE id = ?1", "sssis",
	    row.id, s->now, session, s->now_ms + STORE_LEASE_MS, lease) == -1)
		return (-1);
	return (store_run_announce(s, row.fleet, row.id, "run.started", NULL,
	    out, err));
}

int
store_run_start(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct ufo_error *err)
{
	return (store_run_wait(store_run_start_async, s, rv, id, in, out,
	    err));
}

void
store_run_start_async(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct store_async *as)
{
	store_run_call(s, rv, id, in, out, as, store_run_start_tx);
}

/* One message of a batch, checked, in the order it is stored. */
struct store_run_msg {
	int64_t			 seq;
	struct json_object	*msg;
	const char		*type;		/* as stored */
	char			*text;		/* its data, as stored */
	size_t			 idx;		/* its place in the batch */
	int			 dup;		/* stored already */
};

/* A batch of messages, read and turned into text before the writer. */
struct store_run_batch {
	const struct store_rover	*rv;
	const char			*id;
	int64_t				 attempt;
	struct store_run_msg		*msgs;
	size_t				 count;
	char				**out;
};

static int
store_run_msg_cmp(const void *a, const void *b)
{
	const struct store_run_msg	*x = a, *y = b;

	/* Of two with one number, the first sent is the one kept. */
	if (x->seq != y->seq)
		return (x->seq < y->seq ? -1 : 1);
	return (x->idx < y->idx ? -1 : x->idx > y->idx);
}

static int
store_run_message_type(const char *type)
{
	size_t	 i;

	for (i = 0; store_run_message_types[i] != NULL; i++) {
		if (strcmp(store_run_message_types[i], type) == 0)
			return (1);
	}
	return (0);
}

/* Checks every message before anything is written. */
static int
store_run_msgs_read(struct json_object *list, struct store_run_msg **msgs,
    size_t *count, struct ufo_error *err)
{
	struct json_object	*m, *v;
	size_t			 i, n;

	*msgs = NULL;
	*count = 0;
	if (!json_object_is_type(list, json_type_array))
		return (err_set(err, UFO_EINVAL, "messages", "messages: "
		    "expected an array of messages"));
	if ((n = json_object_array_length(list)) > STORE_MESSAGES_MAX)
		return (err_set(err, UFO_EINVAL, "messages", "messages: at "
		    "most %d per batch, not %zu", STORE_MESSAGES_MAX, n));
	*msgs = xcalloc(n + 1, sizeof **msgs);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(list, i);
		if (m == NULL || !json_object_is_type(m, json_type_object))
			goto bad;
		if (!json_object_object_get_ex(m, "seq", &v) || v == NULL ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0)
			return (err_set(err, UFO_EINVAL, "messages",
			    "messages[%zu].seq: expected an integer >= 0", i));
		(*msgs)[i].seq = json_object_get_int64(v);
		(*msgs)[i].idx = i;
		if (!json_object_object_get_ex(m, "type", &v) || v == NULL ||
		    !json_object_is_type(v, json_type_string))
			return (err_set(err, UFO_EINVAL, "messages",
			    "messages[%zu].type: expected a string", i));
		if (json_object_object_get_ex(m, "data", &v) && v != NULL &&
		    !json_object_is_type(v, json_type_object))
			return (err_set(err, UFO_EINVAL, "messages",
			    "messages[%zu].data: expected an object", i));
		(*msgs)[i].msg = m;
	}
	*count = n;
	/* A batch is stored in sequence order whatever order it came in. */
	qsort(*msgs, n, sizeof **msgs, store_run_msg_cmp);
	return (0);
bad:
	return (err_set(err, UFO_EINVAL, "messages", "messages[%zu]: expected "
	    "an object {\"seq\",\"type\",\"data\"}", i));
}

/* Each message's type and data as stored: an unknown type is a log line. */
static void
store_run_msgs_text(struct store_run_msg *msgs, size_t count)
{
	struct json_object	*data, *log;
	const char		*type;
	size_t			 i;

	for (i = 0; i < count; i++) {
		type = json_object_get_string(json_object_object_get(
		    msgs[i].msg, "type"));
		data = json_object_object_get(msgs[i].msg, "data");
		if (store_run_message_type(type)) {
			msgs[i].type = type;
			msgs[i].text = xstrdup(data != NULL ?
			    jsonx_compact(data) : "{}");
			continue;
		}
		/* Never dropped. */
		log = json_object_new_object();
		json_object_object_add(log, "line",
		    json_object_new_string(jsonx_compact(msgs[i].msg)));
		json_object_object_add(log, "original_type",
		    json_object_new_string(type));
		json_object_object_add(log, "original", json_object_get(data));
		msgs[i].type = "log";
		msgs[i].text = xstrdup(jsonx_compact(log));
		json_object_put(log);
	}
}

/*
 * INSERT statements for 1 to STORE_MSG_ROWS messages: a batch goes in a
 * few statements, not one a message.
 */
#define STORE_MSG_INSERT						\
	"INSERT INTO run_messages (run, n, attempt, seq, type, data,"	\
	" created_at) VALUES "
#define STORE_MSG_R1	"(?, ?, ?, ?, ?, ?, ?)"
#define STORE_MSG_R2	STORE_MSG_R1 ", " STORE_MSG_R1
#define STORE_MSG_R4	STORE_MSG_R2 ", " STORE_MSG_R2
#define STORE_MSG_R8	STORE_MSG_R4 ", " STORE_MSG_R4
#define STORE_MSG_ROWS	8
static const char *const store_msg_insert[STORE_MSG_ROWS + 1] = {
	NULL,
	STORE_MSG_INSERT STORE_MSG_R1,
	STORE_MSG_INSERT STORE_MSG_R2,
	STORE_MSG_INSERT STORE_MSG_R2 ", " STORE_MSG_R1,
	STORE_MSG_INSERT STORE_MSG_R4,
	STORE_MSG_INSERT STORE_MSG_R4 ", " STORE_MSG_R1,
	STORE_MSG_INSERT STORE_MSG_R4 ", " STORE_MSG_R2,
	STORE_MSG_INSERT STORE_MSG_R4 ", " STORE_MSG_R2 ", " STORE_MSG_R1,
	STORE_MSG_INSERT STORE_MSG_R8,
};

/*
 * Marks the messages of a batch already stored (a retried batch) or
 * repeated in it: those the rover numbered (attempt, seq) before. The
 * batch is in sequence order, and so are the stored ones read.
 */
static int
store_run_msgs_dups(struct store *s, int64_t run, struct store_run_batch *b,
    struct ufo_error *err)
{
	sqlite3_stmt	*stmt;
	size_t		 i = 0;
	int64_t		 seq;
	int		 r;

	if (b->count == 0)
		return (0);
	stmt = store_prepare(s, err, "SELECT seq FROM run_messages"
	    " WHERE run = ? AND attempt = ? AND seq BETWEEN ? AND ?"
	    " ORDER BY seq", "iiii", run, b->attempt, b->msgs[0].seq,
	    b->msgs[b->count - 1].seq);
	if (stmt == NULL)
		return (-1);
	while ((r = store_step(s, stmt, err)) == 1) {
		seq = sqlite3_column_int64(stmt, 0);
		for (; i < b->count && b->msgs[i].seq <= seq; i++) {
			if (b->msgs[i].seq == seq)
				b->msgs[i].dup = 1;
		}
	}
	if (r == -1)
		return (-1);
	for (i = 1; i < b->count; i++) {
		if (b->msgs[i].seq == b->msgs[i - 1].seq)
			b->msgs[i].dup = 1;
	}
	return (0);
}

/* Inserts count messages from m, numbered from n + 1. */
static int
store_run_msgs_insert(struct store *s, int64_t run, int64_t attempt,
    int64_t n, struct store_run_msg **m, size_t count, struct ufo_error *err)
{
	sqlite3_stmt	*stmt;
	size_t		 i;
	int		 p = 1, rc = SQLITE_OK;

	if ((stmt = store_prepare(s, err, store_msg_insert[count], "")) == NULL)
		return (-1);
	for (i = 0; i < count && rc == SQLITE_OK; i++) {
		if ((rc = sqlite3_bind_int64(stmt, p++, run)) == SQLITE_OK &&
		    (rc = sqlite3_bind_int64(stmt, p++, n + 1 + (int64_t)i)) ==
		    SQLITE_OK &&
		    (rc = sqlite3_bind_int64(stmt, p++, attempt)) ==
		    SQLITE_OK &&
		    (rc = sqlite3_bind_int64(stmt, p++, m[i]->seq)) ==
		    SQLITE_OK &&
		    (rc = sqlite3_bind_text(stmt, p++, m[i]->type, -1,
		    SQLITE_STATIC)) == SQLITE_OK &&
		    (rc = sqlite3_bind_text(stmt, p++, m[i]->text, -1,
		    SQLITE_STATIC)) == SQLITE_OK)
			rc = sqlite3_bind_text(stmt, p++, s->now, -1,
			    SQLITE_STATIC);
	}
	if (rc != SQLITE_OK) {
		store_sqlerr(s, err);
		sqlite3_reset(stmt);
		return (-1);
	}
	return (store_step(s, stmt, err) == 0 ? 0 : -1);
}

static int
store_run_messages_tx(struct store *s, void *arg, struct ufo_error *err)
{
	struct store_run_batch	*b = arg;
	struct store_run_row	 row;
	struct store_run_msg	*rows[STORE_MSG_ROWS];
	int64_t			 n, accepted = 0, dups = 0;
	size_t			 i, k = 0;
	int			 r;

	if (store_run_find(s, b->rv->fleet, b->id, &row, err) != 0 ||
	    (r = store_run_reported(s, &row, err)) == -1 ||
	    store_run_fence(&row, b->rv, b->attempt, r, err) != 0 ||
	    store_get_int(s, err, &n, "SELECT coalesce(max(n), 0)"
	    " FROM run_messages WHERE run = ?", "i", row.seq) != 1 ||
	    store_run_msgs_dups(s, row.seq, b, err) != 0)
		return (-1);
	/*
	 * Messages are numbered 1, 2, … without a gap, so the last number is
	 * their count: a batch writes no counter on the run's row.
	 */
	for (i = 0; i <= b->count; i++) {
		if (k == STORE_MSG_ROWS || (i == b->count && k > 0)) {
			if (store_run_msgs_insert(s, row.seq, b->attempt,
			    n + accepted, rows, k, err) != 0)
				return (-1);
			accepted += (int64_t)k;
			k = 0;
		}
		if (i == b->count)
			break;
		if (b->msgs[i].dup)
			dups++;
		else
			rows[k++] = &b->msgs[i];
	}
	if (accepted > 0)
		store_wake_add(s, "run:%s", row.id);
	xasprintf(b->out, "{\"accepted\":%lld,\"duplicates\":%lld}\n",
	    (long long)accepted, (long long)dups);
	return (0);
}

/* The batch's messages freed; a failed batch answers nothing. */
static void
store_run_batch_fini(void *arg, int rc)
{
	struct store_run_batch	*b = arg;
	size_t			 i;

	for (i = 0; i < b->count; i++)
		free(b->msgs[i].text);
	free(b->msgs);
	if (rc != 0) {
		free(*b->out);
		*b->out = NULL;
	}
}

int
store_run_messages(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct ufo_error *err)
{
	return (store_run_wait(store_run_messages_async, s, rv, id, in, out,
	    err));
}

/*
 * A batch is checked and its messages turned into text first: the writer
 * only looks up the run and inserts them.
 */
void
store_run_messages_async(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct store_async *as)
{
	static const char *const keys[] = { "attempt", "messages", NULL };
	struct store_run_batch	 b;
	struct json_object	*list;

	memset(&b, 0, sizeof b);
	b.rv = rv;
	b.id = id;
	b.out = out;
	*out = NULL;
	err_clear(&as->err);
	if (store_body(in, keys, &as->err) != 0 ||
	    jsonx_get_int(in, "attempt", &b.attempt, JSONX_REQUIRED,
	    &as->err) == -1)
		goto fail;
	if (!json_object_object_get_ex(in, "messages", &list) || list == NULL) {
		err_set(&as->err, UFO_EINVAL, "messages", "messages: required");
		goto fail;
	}
	if (store_run_msgs_read(list, &b.msgs, &b.count, &as->err) != 0) {
		store_run_batch_fini(&b, -1);
		goto fail;
	}
	store_run_msgs_text(b.msgs, b.count);
	store_tx_async(s, store_run_messages_tx, &b, sizeof b,
	    store_run_batch_fini, as);
	return;
fail:
	store_async_fail(as);
}

/* Artifact names: [A-Za-z0-9._-], 1-128, not starting with a dot. */
static int
store_run_artifact_name(const char *name, struct ufo_error *err)
{
	size_t	 i, len;

	len = name != NULL ? strlen(name) : 0;
	if (len == 0 || len > 128 || name[0] == '.')
		goto bad;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("._-", name[i]) == NULL)
			goto bad;
	}
	return (0);
bad:
	return (err_set(err, UFO_EINVAL, "name", "name: \"%s\" is not a valid "
	    "artifact name (letters, digits, '.', '_', '-'; at most 128; not "
	    "starting with '.')", name != NULL ? name : ""));
}

static int
store_run_artifact_tx(struct store *s, const struct store_rover *rv,
    const char *id, const char *name, int64_t attempt, const void *data,
    size_t len, struct json_object **out, struct ufo_error *err)
{
	struct store_run_row	 row;
	unsigned char		 h[crypto_hash_sha256_BYTES];
	char			 hex[crypto_hash_sha256_BYTES * 2 + 1];
	char			 aid[STORE_ID_SIZE];
	int			 r;

	if (store_run_find(s, rv->fleet, id, &row, err) != 0 ||
	    (r = store_run_reported(s, &row, err)) == -1 ||
	    store_run_fence(&row, rv, attempt, r, err) != 0)
		return (-1);
	crypto_hash_sha256(h, data != NULL ? data : (const void *)"", len);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	store_new_id(aid, "art");
	/* Uploading a name again (a retry) replaces it. */
	if (store_exec(s, err, "INSERT INTO artifacts (id, run_id, name, size,"
	    " sha256, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (run_id, name) DO UPDATE SET size = excluded.size,"
	    " sha256 = excluded.sha256, content = excluded.content,"
	    " created_at = excluded.created_at", "sssisbs", aid, row.id, name,
	    (int64_t)len, hex, data, len, s->now) == -1)
		return (-1);
	r = store_get_json(s, err, out, STORE_ARTIFACT_SELECT
	    " WHERE run_id = ? AND name = ?", "ss", row.id, name);
	return (r == 1 ? 0 : -1);
}

int
store_run_artifact_put(struct store *s, const struct store_rover *rv,
    const char *id, const char *name, int64_t attempt, const void *data,
    size_t len, struct json_object **out, struct ufo_error *err)
{
	int	 rc;

	*out = NULL;
	if (store_run_artifact_name(name, err) != 0)
		return (-1);
	if (len > STORE_ARTIFACT_MAX)
		return (err_set(err, UFO_ETOOLARGE, "", "artifact %s: %zu "
		    "bytes, more than the %d allowed", name, len,
		    STORE_ARTIFACT_MAX));
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_run_artifact_tx(s, rv, id, name, attempt, data, len,
		    out, err);
	rc = store_end(s, rc, err);
	store_unlock(s);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return (rc);
}

/* "usage": the four known counters, anything else ignored; JSON text. */
static int
store_run_usage(struct json_object *in, char **out, struct ufo_error *err)
{
	static const char *const counters[] = { "input_tokens",
	    "output_tokens", "cache_read_tokens", NULL };
	struct json_object	*u, *v, *obj;
	size_t			 i;
	double			 cost = 0;

	*out = NULL;
	if (!json_object_object_get_ex(in, "usage", &u) || u == NULL)
		return (0);
	if (!json_object_is_type(u, json_type_object))
		return (err_set(err, UFO_EINVAL, "usage", "usage: expected an "
		    "object"));
	obj = json_object_new_object();
	for (i = 0; counters[i] != NULL; i++) {
		if (!json_object_object_get_ex(u, counters[i], &v) ||
		    v == NULL) {
			json_object_object_add(obj, counters[i],
			    json_object_new_int64(0));
			continue;
		}
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0) {
			json_object_put(obj);
			return (err_set(err, UFO_EINVAL, "usage", "usage.%s: "
			    "expected an integer >= 0", counters[i]));
		}
		json_object_object_add(obj, counters[i],
		    json_object_new_int64(json_object_get_int64(v)));
	}
	if (json_object_object_get_ex(u, "cost_usd", &v) && v != NULL) {
		if ((!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int)) ||
		    (cost = json_object_get_double(v)) < 0) {
			json_object_put(obj);
			return (err_set(err, UFO_EINVAL, "usage",
			    "usage.cost_usd: expected a number >= 0"));
		}
	}
	json_object_object_add(obj, "cost_usd", json_object_new_double(cost));
	*out = xstrdup(jsonx_compact(obj));
	json_object_put(obj);
	return (0);
}

static int
store_run_finish_tx(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct ufo_error *err)
{
	static const char *const keys[] = { "attempt", "status", "exit_code",
	    "error", "final_message", "session_id", "usage", NULL };
	struct store_run_row	 row;
	const char		*status, *error = NULL, *final = NULL;
	const char		*session = NULL;
	char			*usage = NULL, *text = NULL;
	int64_t			 attempt, exit_code = 0;
	int			 has_exit, st = -1, needs = 0, r, rc = -1;

	if (store_body(in, keys, err) != 0 ||
	    jsonx_get_int(in, "attempt", &attempt, JSONX_REQUIRED, err) == -1 ||
	    jsonx_get_string(in, "status", &status, JSONX_REQUIRED,
	    err) == -1 ||
	    (has_exit = jsonx_get_int(in, "exit_code", &exit_code,
	    JSONX_OPTIONAL, err)) == -1 ||
	    jsonx_get_string(in, "error", &error, JSONX_OPTIONAL, err) == -1 ||
	    jsonx_get_string(in, "final_message", &final, JSONX_OPTIONAL,
	    err) == -1 ||
	    jsonx_get_string(in, "session_id", &session, JSONX_OPTIONAL,
	    err) == -1 ||
	    store_run_session(session, err) != 0)
		return (-1);
	if (strcmp(status, "succeeded") != 0 && strcmp(status, "failed") != 0 &&
	    strcmp(status, "cancelled") != 0)
		return (err_set(err, UFO_EINVAL, "status", "status: expected "
		    "succeeded, failed or cancelled, not \"%s\"", status));
	if (store_run_usage(in, &usage, err) != 0)
		return (-1);
	if (store_run_find(s, rv->fleet, id, &row, err) != 0 ||
	    (r = store_run_reported(s, &row, err)) == -1 ||
	    store_run_fence(&row, rv, attempt, r, err) != 0)
		goto out;
	if (r == 1) {
		/* The same finish again (a lost answer): the same answer. */
		if (strcmp(row.status, status) != 0) {
			err_set(err, UFO_ECONFLICT, "", "run %s already "
			    "finished as %s", row.id, row.status);
			goto out;
		}
		rc = store_run_answer(s, row.id, out, err);
		goto out;
	}

	if (final != NULL) {
		text = xstrdup(final);
		store_run_markers(text, &st, &needs);
		/* Stripped whatever the outcome; honoured on success only. */
		if (strcmp(status, "succeeded") != 0) {
			st = -1;
			needs = 0;
		}
	}
	if (store_exec(s, err, "UPDATE runs SET status = ?2,"
	    " exit_code = CASE WHEN ?3 THEN ?4 END, error = ?5,"
	    " final_message = ?6, session_id = coalesce(?7, session_id),"
	    " usage = coalesce(?8, usage), needs_input = ?9,"
	    " finished_at = ?10, lease_ms = NULL, lease_expires_at = NULL,"
	    " reported = 1 WHERE id = ?1", "ssdissssds", row.id, status,
	    has_exit, exit_code, error, text != NULL && !store_blank(text) ?
	    text : NULL, session, usage, needs, s->now) == -1 ||
	    store_run_announce(s, row.fleet, row.id, "run.finished", NULL,
	    out, err) != 0)
		goto out;
	rc = store_run_effects(s, &row, status, text, st, needs, error,
	    exit_code, has_exit, err);
out:
	free(usage);
	free(text);
	return (rc);
}

int
store_run_finish(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct ufo_error *err)
{
	return (store_run_wait(store_run_finish_async, s, rv, id, in, out,
	    err));
}

void
store_run_finish_async(struct store *s, const struct store_rover *rv,
    const char *id, struct json_object *in, char **out, struct store_async *as)
{
	store_run_call(s, rv, id, in, out, as, store_run_finish_tx);
}

/* Runs, as users see them. */

/* "queued,running" checked and turned into ",queued,running,". */
static int
store_run_statuses(const char *list, char **out, struct ufo_error *err)
{
	static const char *const names[] = { "queued", "claimed", "running",
	    "succeeded", "failed", "cancelled", NULL };
	char	*copy, *p, *name, *set, *next;
	size_t	 i;

	set = xstrdup(",");
	copy = p = xstrdup(list);
	while ((name = strsep(&p, ",")) != NULL) {
		while (*name == ' ')
			name++;
		name[strcspn(name, " ")] = '\0';
		if (*name == '\0')
			continue;
		for (i = 0; names[i] != NULL; i++) {
			if (strcmp(names[i], name) == 0)
				break;
		}
		if (names[i] == NULL) {
			err_set(err, UFO_EINVAL, "status", "status: unknown "
			    "run status \"%s\" (expected queued, claimed, "
			    "running, succeeded, failed or cancelled)", name);
			free(copy);
			free(set);
			return (-1);
		}
		next = xprintf("%s%s,", set, name);
		free(set);
		set = next;
	}
	free(copy);
	*out = set;
	return (0);
}

int
store_run_list(struct store *s, const struct store_actor *a,
    const struct store_run_filter *f, struct json_object **out,
    struct ufo_error *err)
{
	static const struct store_run_filter	 none;
	struct json_object			*items = NULL, *last;
	char					 op[STORE_ID_SIZE];
	char					*statuses = NULL;
	int64_t					 limit, before = INT64_MAX;
	size_t					 n;
	int					 r, rc = -1;

	*out = NULL;
	if (f == NULL)
		f = &none;
	limit = f->limit;
	if (limit <= 0)
		limit = STORE_LIST_DEFAULT;
	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	if (f->status != NULL && store_run_statuses(f->status, &statuses,
	    err) != 0)
		return (-1);
	s = store_read(s);
	if (f->operation != NULL) {
		if ((r = store_op_resolve(s, a->fleet, f->operation, op,
		    err)) == 0)
			err_set(err, UFO_ENOTFOUND, "", "operation %s not "
			    "found", f->operation);
		if (r != 1)
			goto out;
	}
	if (f->before != NULL) {
		if ((r = store_get_int(s, err, &before, "SELECT seq FROM runs"
		    " WHERE id = ? AND fleet_id = ?", "ss", f->before,
		    a->fleet)) == 0)
			err_set(err, UFO_ENOTFOUND, "", "run %s not found",
			    f->before);
		if (r != 1)
			goto out;
	}
	/* Newest first; one row past the page says another page exists. */
	if (f->operation != NULL)
		r = store_get_list(s, err, &items, STORE_RUN_SELECT
		    " WHERE r.op_id = ?1 AND r.seq < ?2 AND (?3 IS NULL"
		    " OR instr(?3, ',' || r.status || ',') > 0)"
		    " ORDER BY r.seq DESC LIMIT ?4", "sisi", op, before,
		    statuses, limit + 1);
	else
		r = store_get_list(s, err, &items, STORE_RUN_SELECT
		    " WHERE r.fleet_id = ?1 AND r.seq < ?2 AND (?3 IS NULL"
		    " OR instr(?3, ',' || r.status || ',') > 0)"
		    " ORDER BY r.seq DESC LIMIT ?4", "sisi", a->fleet, before,
		    statuses, limit + 1);
	if (r != 0)
		goto out;
	if ((n = json_object_array_length(items)) > (size_t)limit) {
		json_object_array_del_idx(items, limit, n - limit);
		last = json_object_array_get_idx(items, limit - 1);
		*out = store_list_wrap(items, jsonx_str(last, "id"));
	} else
		*out = store_list_wrap(items, NULL);
	items = NULL;
	rc = 0;
out:
	store_read_end(s);
	json_object_put(items);
	free(statuses);
	return (rc);
}

int
store_run_get(struct store *s, const struct store_actor *a, const char *id,
    struct json_object **out, struct ufo_error *err)
{
	struct store_run_row	 row;
	int			 rc;

	*out = NULL;
	s = store_read(s);
	if ((rc = store_run_find(s, a->fleet, id, &row, err)) == 0)
		rc = store_run_json(s, row.id, out, err);
	store_read_end(s);
	return (rc);
}

int
store_run_message_list(struct store *s, const struct store_actor *a,
    const char *id, int64_t since, int64_t limit, struct json_object **out,
    struct ufo_error *err)
{
	struct store_run_row	 row;
	struct json_object	*items = NULL;
	int64_t			 count, last;
	size_t			 n;
	int			 rc = -1;

	*out = NULL;
	if (since < 0)
		since = 0;
	if (limit <= 0 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	s = store_read(s);
	if (store_run_find(s, a->fleet, id, &row, err) != 0 ||
	    store_get_int(s, err, &count, "SELECT coalesce(max(n), 0)"
	    " FROM run_messages WHERE run = ?", "i", row.seq) != 1 ||
	    store_get_list(s, err, &items, STORE_RUN_MESSAGE_SELECT
	    " WHERE run = ?2 AND n > ?3 ORDER BY n LIMIT ?4", "siii", row.id,
	    row.seq, since, limit) != 0)
		goto out;
	last = since;
	if ((n = json_object_array_length(items)) > 0)
		last = jsonx_int(json_object_array_get_idx(items, n - 1),
		    "seq", since);
	*out = json_object_new_object();
	json_object_object_add(*out, "items", items);
	items = NULL;
	json_object_object_add(*out, "last", json_object_new_int64(last));
	/* Done: the run ended and the follower has every message. */
	json_object_object_add(*out, "done", json_object_new_boolean(
	    !store_run_is_active(row.status) && last >= count));
	rc = 0;
out:
	store_read_end(s);
	json_object_put(items);
	return (rc);
}

int
store_run_artifact_get(struct store *s, const struct store_actor *a,
    const char *id, const char *name, void **data, size_t *len,
    struct ufo_error *err)
{
	struct store_run_row	 row;
	sqlite3_stmt		*stmt;
	const void		*blob;
	int			 r, rc = -1;

	*data = NULL;
	*len = 0;
	s = store_read(s);
	if (store_run_find(s, a->fleet, id, &row, err) != 0)
		goto out;
	if ((stmt = store_prepare(s, err, "SELECT content FROM artifacts"
	    " WHERE run_id = ? AND name = ?", "ss", row.id, name)) == NULL)
		goto out;
	if ((r = store_step(s, stmt, err)) != 1) {
		if (r == 0)
			err_set(err, UFO_ENOTFOUND, "", "run %s has no "
			    "artifact %s", row.id, name != NULL ? name : "");
		goto out;
	}
	*len = sqlite3_column_bytes(stmt, 0);
	blob = sqlite3_column_blob(stmt, 0);
	*data = xmalloc(*len + 1);
	if (*len > 0)
		memcpy(*data, blob, *len);
	((char *)*data)[*len] = '\0';
	sqlite3_reset(stmt);
	rc = 0;
out:
	store_read_end(s);
	return (rc);
}

static int
store_run_cancel_tx(struct store *s, const struct store_actor *a,
    const char *id, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	struct store_run_row	 row;

	(void)in;
	if (store_run_find(s, a->fleet, id, &row, err) != 0)
		return (-1);
	if (strcmp(row.status, "queued") == 0) {
		if (store_run_end(s, &row, "cancelled", NULL, "run.cancelled",
		    err) != 0)
			return (-1);
		return (store_run_json(s, row.id, out, err));
	}
	if (store_run_is_held(row.status)) {
		/* The rover learns it on its next heartbeat. */
		if (row.cancel_requested)
			return (store_run_json(s, row.id, out, err));
		if (store_exec(s, err, "UPDATE runs SET cancel_requested = 1"
		    " WHERE id = ?", "s", row.id) == -1)
			return (-1);
		return (store_run_announce(s, row.fleet, row.id,
		    "run.cancelled", out, NULL, err));
	}
	if (strcmp(row.status, "cancelled") == 0)
		return (store_run_json(s, row.id, out, err));
	return (err_set(err, UFO_ECONFLICT, "", "run %s already %s; nothing "
	    "to cancel", row.id, row.status));
}

int
store_run_cancel(struct store *s, const struct store_actor *a,
    const char *id, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, id, NULL, out, store_run_cancel_tx, err));
}

static int
store_run_retry_tx(struct store *s, const struct store_actor *a,
    const char *id, struct json_object *in, struct json_object **out,
    struct ufo_error *err)
{
	struct store_run_row	 row;
	struct store_run_new	 n;
	struct json_object	*old;
	char			 nid[STORE_ID_SIZE];
	int			 rc;

	(void)in;
	if (store_run_find(s, a->fleet, id, &row, err) != 0)
		return (-1);
	if (store_run_is_active(row.status))
		return (err_set(err, UFO_ECONFLICT, "", "run %s is still %s; "
		    "only a finished run can be retried", row.id, row.status));
	if (store_get_json(s, err, &old, "SELECT prompt, resume, session_id,"
	    " profile, source, tags, exclude_tags FROM runs WHERE id = ?",
	    "s", row.id) != 1)
		return (-1);
	memset(&n, 0, sizeof n);
	n.op = row.op;
	n.pilot = row.pilot;
	n.prompt = jsonx_str(old, "prompt");
	n.resume = jsonx_int(old, "resume", 0) != 0;
	n.session = jsonx_str(old, "session_id");
	n.profile = jsonx_str(old, "profile");
	n.source = jsonx_str(old, "source");
	n.tags = jsonx_str(old, "tags");
	n.exclude = jsonx_str(old, "exclude_tags");
	n.retry_of = row.id;
	rc = store_run_queue(s, row.fleet, &n, nid, err);
	json_object_put(old);
	if (rc != 0)
		return (-1);
	return (store_run_json(s, nid, out, err));
}

int
store_run_retry(struct store *s, const struct store_actor *a,
    const char *id, struct json_object **out, struct ufo_error *err)
{
	return (store_write(s, a, id, NULL, out, store_run_retry_tx, err));
}

/* The sweeper. */

/* min(2^attempt, 60) seconds, in ms. */
static int64_t
store_run_backoff(int64_t attempt)
{
	if (attempt < 0 || attempt >= 6)
		return (STORE_BACKOFF_MAX_MS);
	if (((int64_t)1000 << attempt) > STORE_BACKOFF_MAX_MS)
		return (STORE_BACKOFF_MAX_MS);
	return ((int64_t)1000 << attempt);
}

static int
store_sweep_tx(struct store *s, int64_t *next, struct ufo_error *err)
{
	struct store_run_row	 row;
	struct json_object	*list, *e;
	int64_t			 lease, wait;
	size_t			 i, expired, ended;
	int			 r, rc = 0;

	if (store_get_list(s, err, &list, "SELECT id FROM runs"
	    " WHERE rover_id IS NOT NULL AND finished_at IS NULL"
	    " AND lease_ms <= ?"
	    " ORDER BY lease_ms LIMIT ?", "ii", s->now_ms,
	    (int64_t)STORE_SWEEP_BATCH) != 0)
		return (-1);
	expired = json_object_array_length(list);
	for (i = 0; rc == 0 && i < expired; i++) {
		if ((r = store_run_load(s, NULL, jsonx_str(
		    json_object_array_get_idx(list, i), "id"), &row,
		    err)) != 1) {
			rc = -1;
			break;
		}
		log_info("run %s: lease of rover %s expired (attempt %lld)",
		    row.id, row.rover, (long long)row.attempt);
		if (row.cancel_requested)
			rc = store_run_end(s, &row, "cancelled", NULL,
			    "run.cancelled", err);
		else if (row.attempt < row.max_attempts)
			rc = store_run_requeue(s, &row,
			    store_run_backoff(row.attempt), err);
		else
			rc = store_run_end(s, &row, "failed", "lost",
			    "run.finished", err);
	}
	json_object_put(list);
	if (rc != 0)
		return (-1);

	/* Backoff over: the run is claimable again; wake a claim. */
	if (store_get_list(s, err, &list, "SELECT id, kind, no_rover FROM runs"
	    " WHERE status = 'queued' AND backoff = 1 AND not_before_ms <= ?"
	    " ORDER BY not_before_ms LIMIT ?", "ii", s->now_ms,
	    (int64_t)STORE_SWEEP_BATCH) != 0)
		return (-1);
	ended = json_object_array_length(list);
	for (i = 0; rc == 0 && i < ended; i++) {
		e = json_object_array_get_idx(list, i);
		if (store_exec(s, err, "UPDATE runs SET backoff = 0"
		    " WHERE id = ?", "s", jsonx_str(e, "id")) == -1)
			rc = -1;
		else if (jsonx_int(e, "no_rover", 0) == 0)
			store_wake_add(s, "claim:%s", jsonx_str(e, "kind"));
	}
	json_object_put(list);
	if (rc != 0)
		return (-1);

	if (expired == STORE_SWEEP_BATCH || ended == STORE_SWEEP_BATCH) {
		*next = s->now_ms;
		s->sweep_next = 0;
		return (0);
	}
	if (store_get_int(s, err, &lease, "SELECT coalesce(min(lease_ms), 0)"
	    " FROM runs WHERE rover_id IS NOT NULL AND finished_at IS NULL",
	    "") != 1 ||
	    store_get_int(s, err, &wait, "SELECT coalesce(min(not_before_ms),"
	    " 0) FROM runs WHERE status = 'queued' AND backoff = 1", "") != 1)
		return (-1);
	if (lease == 0 || (wait != 0 && wait < lease))
		lease = wait;
	*next = lease;
	/* Leases and backoffs ending before next wake the sweeper. */
	s->sweep_next = lease;
	return (0);
}

int
store_sweep(struct store *s, int64_t *next, struct ufo_error *err)
{
	int	 rc;

	*next = 0;
	store_lock(s);
	if ((rc = store_begin(s, err)) == 0)
		rc = store_sweep_tx(s, next, err);
	rc = store_end(s, rc, err);
	if (rc != 0) {
		*next = 0;
		s->sweep_next = 0;
	}
	store_unlock(s);
	return (rc);
}
