/*
 * What the board does to operations, runs and signals. Each action asks
 * what it needs on the status line (or in $EDITOR), sends one request
 * through client_request like the CLI, and says what happened; the change
 * feed brings the result to the views.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "client.h"
#include "editor.h"
#include "jsonx.h"
#include "model.h"
#include "op-edit.h"
#include "protocol.h"
#include "tui.h"
#include "xmalloc.h"

/* Statuses the board shows only on request; move-left/right skip them. */
#define ACTIONS_HIDDEN(s)	((s) == OP_BLOCKED || (s) == OP_CANCELLED)

static const char *const actions_priorities[] = {
	"none", "urgent", "high", "medium", "low"
};

typedef int (*actions_fn)(struct tui *, struct json_object *, const char *);

static int	actions_create(struct tui *, struct json_object *,
		    const char *);
static int	actions_edit(struct tui *, struct json_object *, const char *);
static int	actions_move(struct tui *, struct json_object *, const char *);
static int	actions_move_left(struct tui *, struct json_object *,
		    const char *);
static int	actions_move_right(struct tui *, struct json_object *,
		    const char *);
static int	actions_raise(struct tui *, struct json_object *, const char *);
static int	actions_lower(struct tui *, struct json_object *, const char *);
static int	actions_assign(struct tui *, struct json_object *,
		    const char *);
static int	actions_priority(struct tui *, struct json_object *,
		    const char *);
static int	actions_label(struct tui *, struct json_object *, const char *);
static int	actions_comment(struct tui *, struct json_object *,
		    const char *);
static int	actions_comment_line(struct tui *, struct json_object *,
		    const char *);
static int	actions_archive(struct tui *, struct json_object *,
		    const char *);
static int	actions_start(struct tui *, struct json_object *, const char *);
static int	actions_cancel(struct tui *, struct json_object *,
		    const char *);
static int	actions_retry(struct tui *, struct json_object *, const char *);

static const struct {
	enum action	 action;
	actions_fn	 fn;
	int		 needs_op;
} actions_table[] = {
	{ ACTION_CREATE,	actions_create,		0 },
	{ ACTION_EDIT,		actions_edit,		1 },
	{ ACTION_MOVE,		actions_move,		1 },
	{ ACTION_MOVE_LEFT,	actions_move_left,	1 },
	{ ACTION_MOVE_RIGHT,	actions_move_right,	1 },
	{ ACTION_RAISE,		actions_raise,		1 },
	{ ACTION_LOWER,		actions_lower,		1 },
	{ ACTION_ASSIGN,	actions_assign,		1 },
	{ ACTION_PRIORITY,	actions_priority,	1 },
	{ ACTION_LABEL,		actions_label,		1 },
	{ ACTION_COMMENT,	actions_comment,	1 },
	{ ACTION_COMMENT_LINE,	actions_comment_line,	1 },
	{ ACTION_ARCHIVE,	actions_archive,	1 },
	{ ACTION_START,		actions_start,		1 },
	{ ACTION_CANCEL,	actions_cancel,		1 },
	{ ACTION_RETRY,		actions_retry,		1 }
};

static const char *
actions_code(struct json_object *op)
{
	const char	*s;

	if ((s = jsonx_str(op, "code")) != NULL)
		return (s);
	if ((s = jsonx_str(op, "id")) != NULL)
		return (s);
	return ("?");
}

/*
 * Sends one request about op (path built from fmt with its id, then
 * suffix); 0 on success, -1 with the error on the status line.
 */
static int
actions_send(struct tui *tui, const char *method, const char *path,
    struct json_object *body, struct json_object **out)
{
	struct ufo_error	 err;

	err_clear(&err);
	if (out != NULL)
		*out = NULL;
	if (client_request(tui_client(tui), method, path, body, out,
	    &err) == -1) {
		tui_error(tui, &err);
		return (-1);
	}
	return (0);
}

/* A request on /operations/ID[/what]; body is consumed. */
static int
actions_op_request(struct tui *tui, struct json_object *op,
    const char *method, const char *what, struct json_object *body)
{
	struct json_object	*out;
	char			*path, *full;
	int			 rc;

	path = client_path("/operations/%s", jsonx_str(op, "id") != NULL ?
	    jsonx_str(op, "id") : actions_code(op));
	if (what != NULL) {
		full = xprintf("%s/%s", path, what);
		free(path);
		path = full;
	}
	rc = actions_send(tui, method, path, body, &out);
	json_object_put(out);
	json_object_put(body);
	free(path);
	return (rc);
}

/* A refusal on the status line. */
static int	actions_error(struct tui *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
actions_error(struct tui *tui, const char *fmt, ...)
{
	struct ufo_error	 err;
	va_list			 ap;
	char			 msg[sizeof err.message];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(&err, UFO_EINVAL, "", "%s", msg);
	tui_error(tui, &err);
	return (0);
}

/* What $EDITOR wrote, without the help lines and blank edges. */
static char *
actions_edited(const char *text)
{
	char	*s, *trimmed;

	s = editor_strip(text, 1);
	trimmed = op_edit_trim(s);
	free(s);
	return (trimmed);
}

static int
actions_create(struct tui *tui, struct json_object *op, const char *status)
{
	(void)op;
	actions_create_in(tui, status, NULL);
	return (0);
}

int
actions_create_in(struct tui *tui, const char *status, const char *mission)
{
	struct json_object	*body, *out;
	char			*title = NULL, *edited = NULL, *text, *template;
	int			 rc;

	if (status == NULL)
		status = op_status_name(OP_BACKLOG);
	if (tui_prompt(tui, "New operation title: ", NULL, &title) == -1)
		return (0);
	if (*title == '\0') {
		free(title);
		tui_message(tui, "Aborted: empty title");
		return (0);
	}
	template = xprintf("\n\n# The body of \"%s\" (%s), in Markdown. Lines "
	    "starting with # are ignored;\n# leave it empty for none.\n",
	    title, status);
	if (tui_editor(tui, template, &edited) == -1) {
		free(template);
		free(title);
		return (0);
	}
	free(template);
	text = actions_edited(edited);
	free(edited);

	body = json_object_new_object();
	json_object_object_add(body, "title", json_object_new_string(title));
	if (*text != '\0')
		json_object_object_add(body, "body",
		    json_object_new_string(text));
	json_object_object_add(body, "status", json_object_new_string(status));
	if (mission != NULL)
		json_object_object_add(body, "mission",
		    json_object_new_string(mission));
	free(text);
	free(title);
	rc = actions_send(tui, "POST", "/operations", body, &out);
	json_object_put(body);
	if (rc == 0)
		tui_message(tui, "%s created in %s", actions_code(out), status);
	json_object_put(out);
	return (0);
}

static int
actions_edit(struct tui *tui, struct json_object *op, const char *status)
{
	struct json_object	*patch;
	char			*text, *edited;
	int			 rc;

	(void)status;
	text = op_edit_text(op, actions_code(op));
	if (tui_editor(tui, text, &edited) == -1) {
		free(text);
		return (0);
	}
	free(text);
	patch = json_object_new_object();
	rc = op_edit_patch(op, edited, patch);
	free(edited);
	if (rc == -1) {
		json_object_put(patch);
		tui_message(tui, "Aborted: empty title");
		return (0);
	}
	if (json_object_object_length(patch) == 0) {
		json_object_put(patch);
		tui_message(tui, "%s unchanged", actions_code(op));
		return (0);
	}
	if (actions_op_request(tui, op, "PATCH", NULL, patch) == 0)
		tui_message(tui, "%s edited", actions_code(op));
	return (0);
}

static void
actions_move_to(struct tui *tui, struct json_object *op, int status)
{
	struct json_object	*body;

	body = json_object_new_object();
	json_object_object_add(body, "status",
	    json_object_new_string(op_status_name(status)));
	if (actions_op_request(tui, op, "POST", "move", body) == 0)
		tui_message(tui, "%s moved to %s", actions_code(op),
		    op_status_name(status));
}

static int
actions_move(struct tui *tui, struct json_object *op, const char *status)
{
	const char	*names[OP_NSTATUS];
	size_t		 i, choice = 0;
	int		 cur;

	(void)status;
	cur = op_status_from_name(jsonx_str(op, "status") != NULL ?
	    jsonx_str(op, "status") : "");
	for (i = 0; i < OP_NSTATUS; i++)
		names[i] = op_status_name((int)i);
	if (cur >= 0)
		choice = (size_t)cur;
	if (tui_pick(tui, "Move to", names, OP_NSTATUS, &choice) == -1 ||
	    choice >= OP_NSTATUS)
		return (0);
	if ((int)choice == cur) {
		tui_message(tui, "%s is already in %s", actions_code(op),
		    names[choice]);
		return (0);
	}
	actions_move_to(tui, op, (int)choice);
	return (0);
}

/* The next status in board order in direction dir, skipping hidden ones. */
static void
actions_move_step(struct tui *tui, struct json_object *op, int dir)
{
	int	 cur, s;

	cur = op_status_from_name(jsonx_str(op, "status") != NULL ?
	    jsonx_str(op, "status") : "");
	if (cur == -1) {
		actions_error(tui, "%s has a status this ufo does not know",
		    actions_code(op));
		return;
	}
	for (s = cur + dir; s >= 0 && s < OP_NSTATUS; s += dir) {
		if (!ACTIONS_HIDDEN(s))
			break;
	}
	if (s < 0 || s >= OP_NSTATUS) {
		tui_message(tui, "%s is already in the %s column",
		    actions_code(op), dir < 0 ? "first" : "last");
		return;
	}
	actions_move_to(tui, op, s);
}

static int
actions_move_left(struct tui *tui, struct json_object *op,
    const char *status)
{
	(void)status;
	actions_move_step(tui, op, -1);
	return (0);
}

static int
actions_move_right(struct tui *tui, struct json_object *op,
    const char *status)
{
	(void)status;
	actions_move_step(tui, op, 1);
	return (0);
}

/*
 * Moves op before its upper neighbour (dir -1) or after its lower one
 * (dir 1) in its column, as the model orders them.
 */
static void
actions_reorder(struct tui *tui, struct json_object *op, int dir)
{
	struct json_object	**ops, *other = NULL, *body;
	const char		*id, *status, *s;
	size_t			 n, i, at;

	id = jsonx_str(op, "id");
	status = jsonx_str(op, "status");
	if (id == NULL || status == NULL)
		return;
	n = model_ops(tui_model(tui), &ops);
	for (at = 0; at < n; at++) {
		s = jsonx_str(ops[at], "id");
		if (s != NULL && strcmp(s, id) == 0)
			break;
	}
	if (at == n) {
		actions_error(tui, "%s is not on the board", actions_code(op));
		return;
	}
	for (i = at; (dir < 0 && i > 0) || (dir > 0 && i + 1 < n);) {
		i = dir < 0 ? i - 1 : i + 1;
		s = jsonx_str(ops[i], "status");
		if (s != NULL && strcmp(s, status) == 0) {
			other = ops[i];
			break;
		}
	}
	if (other == NULL) {
		tui_message(tui, "%s is already at the %s of %s",
		    actions_code(op), dir < 0 ? "top" : "bottom", status);
		return;
	}
	body = json_object_new_object();
	json_object_object_add(body, dir < 0 ? "before" : "after",
	    json_object_new_string(jsonx_str(other, "id")));
	if (actions_op_request(tui, op, "POST", "move", body) == 0)
		tui_message(tui, "%s moved %s %s", actions_code(op),
		    dir < 0 ? "above" : "below", actions_code(other));
}

static int
actions_raise(struct tui *tui, struct json_object *op, const char *status)
{
	(void)status;
	actions_reorder(tui, op, -1);
	return (0);
}

static int
actions_lower(struct tui *tui, struct json_object *op, const char *status)
{
	(void)status;
	actions_reorder(tui, op, 1);
	return (0);
}

/* Adds "prefix:KEY" of each object of array to the list. */
static void
actions_add_names(struct json_object *array, const char *prefix,
    const char *key, char ***list, size_t *n)
{
	const char	*v;
	size_t		 i, len;

	if (array == NULL || !json_object_is_type(array, json_type_array))
		return;
	len = json_object_array_length(array);
	for (i = 0; i < len; i++) {
		v = jsonx_str(json_object_array_get_idx(array, i), key);
		if (v == NULL)
			continue;
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = xprintf("%s:%s", prefix, v);
	}
}

static int
actions_assign(struct tui *tui, struct json_object *op, const char *status)
{
	struct model		*m = tui_model(tui);
	struct json_object	*patch;
	const char		*cur;
	char			**names = NULL;
	size_t			 n = 0, i, choice = 0;

	(void)status;
	names = xmalloc(sizeof *names);
	names[n++] = xstrdup("none");
	actions_add_names(model_pilots(m), "pilot", "name", &names, &n);
	actions_add_names(model_crews(m), "crew", "name", &names, &n);
	actions_add_names(model_members(m), "user", "email", &names, &n);
	cur = jsonx_str(op, "assignee");
	for (i = 0; cur != NULL && i < n; i++) {
		if (strcmp(names[i], cur) == 0)
			choice = i;
	}
	if (tui_pick(tui, "Assign to", (const char *const *)names, n,
	    &choice) == 0 && choice < n) {
		patch = json_object_new_object();
		json_object_object_add(patch, "assignee", choice == 0 ? NULL :
		    json_object_new_string(names[choice]));
		if (actions_op_request(tui, op, "PATCH", NULL, patch) == 0) {
			if (choice == 0)
				tui_message(tui, "%s unassigned",
				    actions_code(op));
			else
				tui_message(tui, "%s assigned to %s%s",
				    actions_code(op), names[choice],
				    strncmp(names[choice], "pilot:", 6) == 0 ?
				    " (run queued)" : "");
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (0);
}

static int
actions_priority(struct tui *tui, struct json_object *op, const char *status)
{
	struct json_object	*patch;
	char			*names[5];
	size_t			 i, n = sizeof names / sizeof names[0];
	size_t			 choice;
	int64_t			 cur;

	(void)status;
	cur = jsonx_int(op, "priority", 0);
	choice = cur >= 0 && (size_t)cur < n ? (size_t)cur : 0;
	for (i = 0; i < n; i++)
		names[i] = xprintf("%zu %s", i, actions_priorities[i]);
	if (tui_pick(tui, "Priority", (const char *const *)names, n,
	    &choice) == 0 && choice < n) {
		patch = json_object_new_object();
		json_object_object_add(patch, "priority",
		    json_object_new_int64((int64_t)choice));
		if (actions_op_request(tui, op, "PATCH", NULL, patch) == 0)
			tui_message(tui, "%s priority set to %s",
			    actions_code(op), actions_priorities[choice]);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return (0);
}

static int
actions_label(struct tui *tui, struct json_object *op, const char *status)
{
	struct json_object	*body, *add, *remove;
	char			*line = NULL, *word, *save = NULL;

	(void)status;
	if (tui_prompt(tui, "Labels (+add -remove): ", NULL, &line) == -1)
		return (0);
	add = json_object_new_array();
	remove = json_object_new_array();
	for (word = strtok_r(line, " \t,", &save); word != NULL;
	    word = strtok_r(NULL, " \t,", &save)) {
		if (*word == '-' && word[1] != '\0')
			json_object_array_add(remove,
			    json_object_new_string(word + 1));
		else if (*word == '+' && word[1] != '\0')
			json_object_array_add(add,
			    json_object_new_string(word + 1));
		else if (*word != '+' && *word != '-')
			json_object_array_add(add, json_object_new_string(word));
	}
	free(line);
	if (json_object_array_length(add) == 0 &&
	    json_object_array_length(remove) == 0) {
		json_object_put(add);
		json_object_put(remove);
		tui_message(tui, "No labels given");
		return (0);
	}
	body = json_object_new_object();
	json_object_object_add(body, "add", add);
	json_object_object_add(body, "remove", remove);
	if (actions_op_request(tui, op, "POST", "labels", body) == 0)
		tui_message(tui, "%s labels changed", actions_code(op));
	return (0);
}

static void
actions_comment_send(struct tui *tui, struct json_object *op,
    const char *text)
{
	struct json_object	*body;

	body = json_object_new_object();
	json_object_object_add(body, "body", json_object_new_string(text));
	if (actions_op_request(tui, op, "POST", "comments", body) == 0)
		tui_message(tui, "Comment added to %s", actions_code(op));
}

static int
actions_comment(struct tui *tui, struct json_object *op, const char *status)
{
	char	*template, *edited, *text;

	(void)status;
	template = op_edit_comment(actions_code(op));
	if (tui_editor(tui, template, &edited) == -1) {
		free(template);
		return (0);
	}
	free(template);
	text = actions_edited(edited);
	free(edited);
	if (*text == '\0')
		tui_message(tui, "Aborted: empty comment");
	else
		actions_comment_send(tui, op, text);
	free(text);
	return (0);
}

static int
actions_comment_line(struct tui *tui, struct json_object *op,
    const char *status)
{
	char	*prompt, *text = NULL;

	(void)status;
	prompt = xprintf("Comment on %s: ", actions_code(op));
	if (tui_prompt(tui, prompt, NULL, &text) == 0) {
		if (text[strspn(text, " \t")] == '\0')
			tui_message(tui, "Aborted: empty comment");
		else
			actions_comment_send(tui, op, text);
	}
	free(text);
	free(prompt);
	return (0);
}

static int
actions_archive(struct tui *tui, struct json_object *op, const char *status)
{
	(void)status;
	if (tui_confirm(tui, "Archive %s? (y/n)", actions_code(op)) != 0)
		return (0);
	if (actions_op_request(tui, op, "POST", "archive", NULL) == 0)
		tui_message(tui, "%s archived", actions_code(op));
	return (0);
}

static int
actions_start(struct tui *tui, struct json_object *op, const char *status)
{
	struct json_object	*patch;
	const char		*assignee;

	(void)status;
	assignee = jsonx_str(op, "assignee");
	if (assignee == NULL || strncmp(assignee, "pilot:", 6) != 0)
		return (actions_error(tui, "%s is not assigned to a pilot",
		    actions_code(op)));
	patch = json_object_new_object();
	json_object_object_add(patch, "start", json_object_new_boolean(1));
	if (actions_op_request(tui, op, "PATCH", NULL, patch) == 0)
		tui_message(tui, "%s: run of %s queued", actions_code(op),
		    assignee + 6);
	return (0);
}

/* The latest run of op as the model knows it, or NULL with a message. */
static struct json_object *
actions_run(struct tui *tui, struct json_object *op)
{
	struct json_object	*run = NULL;
	const char		*id;

	if ((id = jsonx_str(op, "id")) != NULL)
		run = model_op_run(tui_model(tui), id);
	if (run == NULL || jsonx_str(run, "id") == NULL) {
		actions_error(tui, "%s has no run", actions_code(op));
		return (NULL);
	}
	return (run);
}

static int
actions_run_active(const char *status)
{
	static const char *const active[] = { "queued", "claimed", "running" };
	size_t	 i;

	for (i = 0; status != NULL && i < sizeof active / sizeof active[0];
	    i++) {
		if (strcmp(status, active[i]) == 0)
			return (1);
	}
	return (0);
}

static int
actions_cancel(struct tui *tui, struct json_object *op, const char *status)
{
	struct json_object	*run, *out;
	char			*path, *id;

	(void)status;
	if ((run = actions_run(tui, op)) == NULL)
		return (0);
	if (!actions_run_active(jsonx_str(run, "status")))
		return (actions_error(tui, "%s has no active run",
		    actions_code(op)));
	/* The model may change while the question waits. */
	id = xstrdup(jsonx_str(run, "id"));
	if (tui_confirm(tui, "Cancel the run of %s? (y/n)",
	    actions_code(op)) == 0) {
		path = client_path("/runs/%s/cancel", id);
		if (actions_send(tui, "POST", path, NULL, &out) == 0)
			tui_message(tui, "%s: cancel requested",
			    actions_code(op));
		json_object_put(out);
		free(path);
	}
	free(id);
	return (0);
}

static int
actions_retry(struct tui *tui, struct json_object *op, const char *status)
{
	struct json_object	*run, *out;
	char			*path;

	(void)status;
	if ((run = actions_run(tui, op)) == NULL)
		return (0);
	if (actions_run_active(jsonx_str(run, "status")))
		return (actions_error(tui, "%s has a run in progress",
		    actions_code(op)));
	path = client_path("/runs/%s/retry", jsonx_str(run, "id"));
	if (actions_send(tui, "POST", path, NULL, &out) == 0)
		tui_message(tui, "%s: run retried (attempt %lld)",
		    actions_code(op), (long long)jsonx_int(out, "attempt", 1));
	json_object_put(out);
	free(path);
	return (0);
}

int
actions_op(struct tui *tui, enum action action, struct json_object *op,
    const char *status)
{
	size_t	 i;

	for (i = 0; i < sizeof actions_table / sizeof actions_table[0]; i++) {
		if (actions_table[i].action != action)
			continue;
		if (actions_table[i].needs_op && op == NULL) {
			tui_message(tui, "No operation here");
			return (1);
		}
		actions_table[i].fn(tui, op, status);
		return (1);
	}
	return (0);
}

static int
actions_signal_read(struct tui *tui, struct json_object *signal)
{
	struct json_object	*out;
	char			*path;
	int			 rc;

	path = client_path("/signals/%s/read", jsonx_str(signal, "id"));
	rc = actions_send(tui, "POST", path, NULL, &out);
	json_object_put(out);
	free(path);
	return (rc);
}

int
actions_signal(struct tui *tui, enum action action, struct json_object *signal)
{
	struct json_object	*all, *s, *v;
	char			**ids;
	size_t			 i, n, nids = 0, done = 0;

	if (action == ACTION_MARK_READ) {
		if (signal == NULL || jsonx_str(signal, "id") == NULL) {
			tui_message(tui, "No signal here");
			return (1);
		}
		if (actions_signal_read(tui, signal) == 0)
			tui_message(tui, "Signal marked read");
		return (1);
	}
	if (action != ACTION_MARK_ALL_READ)
		return (0);

	/* Ids first: each answer may change the model under us. */
	all = model_signals(tui_model(tui));
	n = all != NULL && json_object_is_type(all, json_type_array) ?
	    json_object_array_length(all) : 0;
	ids = xcalloc(n + 1, sizeof *ids);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(all, i);
		if (jsonx_str(s, "id") == NULL ||
		    (json_object_object_get_ex(s, "read_at", &v) && v != NULL))
			continue;
		ids[nids++] = xstrdup(jsonx_str(s, "id"));
	}
	for (i = 0; i < nids; i++) {
		s = json_object_new_object();
		json_object_object_add(s, "id", json_object_new_string(ids[i]));
		if (actions_signal_read(tui, s) == 0)
			done++;
		json_object_put(s);
		free(ids[i]);
		if (done < i + 1) {
			/* The error is on the status line; stop there. */
			for (i++; i < nids; i++)
				free(ids[i]);
			break;
		}
	}
	free(ids);
	if (nids == 0)
		tui_message(tui, "No unread signals");
	else if (done == nids)
		tui_message(tui, "%zu signal%s marked read", done,
		    done == 1 ? "" : "s");
	return (1);
}
