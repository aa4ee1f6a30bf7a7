#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "editor.h"
#include "jsonx.h"
#include "op-edit.h"
#include "output.h"
#include "protocol.h"
#include "xmalloc.h"

static enum cmd_retval	cmd_op_create_exec(struct cmd *);
static enum cmd_retval	cmd_op_list_exec(struct cmd *);
static enum cmd_retval	cmd_op_show_exec(struct cmd *);
static enum cmd_retval	cmd_op_edit_exec(struct cmd *);
static enum cmd_retval	cmd_op_move_exec(struct cmd *);
static enum cmd_retval	cmd_op_archive_exec(struct cmd *);
static enum cmd_retval	cmd_op_assign_exec(struct cmd *);
static enum cmd_retval	cmd_op_comment_exec(struct cmd *);
static enum cmd_retval	cmd_op_label_exec(struct cmd *);
static enum cmd_retval	cmd_op_relate_exec(struct cmd *);
static enum cmd_retval	cmd_op_unrelate_exec(struct cmd *);

#define CMD_OP_PRIORITY_HELP \
	"expected 0-4, none, urgent, high, medium or low"

static const struct option cmd_op_create_options[] = {
	{ "mission", required_argument, NULL, 'm' },
	{ "title", required_argument, NULL, 't' },
	{ "assignee", required_argument, NULL, 'a' },
	{ "label", required_argument, NULL, 'l' },
	{ "priority", required_argument, NULL, 'p' },
	{ "parent", required_argument, NULL, CMD_OPT_PARENT },
	{ "no-start", no_argument, NULL, CMD_OPT_NO_START },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_op_create_entry = {
	.name = "op",
	.sub = "create",
	.usage = "[-m MISSION] [-t TITLE] [-a ASSIGNEE] [-l LABEL]... "
	    "[-p PRIO] [--parent OP] [--no-start] [BODY | -]",
	.opts = "m:t:a:l:p:",
	.longopts = cmd_op_create_options,
	.lower = 0,
	.upper = 1,
	.help = "create an operation and print its code; with neither BODY "
	    "nor -t, write it in $EDITOR",
	.exec = cmd_op_create_exec
};

static const struct option cmd_op_list_options[] = {
	{ "mission", required_argument, NULL, 'm' },
	{ "status", required_argument, NULL, 's' },
	{ "label", required_argument, NULL, 'l' },
	{ "assignee", required_argument, NULL, 'a' },
	{ "query", required_argument, NULL, 'q' },
	{ "parent", required_argument, NULL, CMD_OPT_PARENT },
	{ "archived", no_argument, NULL, CMD_OPT_ARCHIVED },
	{ "all", no_argument, NULL, CMD_OPT_ALL },
	{ "limit", required_argument, NULL, 'n' },
	{ "before", required_argument, NULL, CMD_OPT_BEFORE },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_op_list_entry = {
	.name = "op",
	.sub = "list",
	.usage = "[-m MISSION] [-s STATUS] [-l LABEL] [-a ASSIGNEE] [-q TEXT] "
	    "[--parent OP] [--archived] [--all] [-n LIMIT] [--before OP]",
	.opts = "m:s:l:a:q:n:",
	.longopts = cmd_op_list_options,
	.lower = 0,
	.upper = 0,
	.help = "list operations in board order (--archived: archived only, "
	    "--all: archived too)",
	.exec = cmd_op_list_exec
};

const struct cmd_entry cmd_op_show_entry = {
	.name = "op",
	.sub = "show",
	.usage = "OP",
	.lower = 1,
	.upper = 1,
	.help = "show an operation with its sub-operations, relations and "
	    "comments",
	.exec = cmd_op_show_exec
};

static const struct option cmd_op_edit_options[] = {
	{ "title", required_argument, NULL, 't' },
	{ "body", required_argument, NULL, 'b' },
	{ "priority", required_argument, NULL, 'p' },
	{ "status", required_argument, NULL, 's' },
	{ "parent", required_argument, NULL, CMD_OPT_PARENT },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_op_edit_entry = {
	.name = "op",
	.sub = "edit",
	.usage = "OP [-t TITLE] [-b BODY|-] [-p PRIO] [-s STATUS] "
	    "[--parent OP|none]",
	.opts = "t:b:p:s:",
	.longopts = cmd_op_edit_options,
	.lower = 1,
	.upper = 1,
	.help = "change an operation; with no option, edit its title and "
	    "body in $EDITOR",
	.exec = cmd_op_edit_exec
};

static const struct option cmd_op_move_options[] = {
	{ "before", required_argument, NULL, CMD_OPT_BEFORE },
	{ "after", required_argument, NULL, CMD_OPT_AFTER },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_op_move_entry = {
	.name = "op",
	.sub = "move",
	.usage = "OP STATUS [--before OP | --after OP]",
	.longopts = cmd_op_move_options,
	.lower = 2,
	.upper = 2,
	.help = "move an operation to a status column, at its end or next "
	    "to another operation",
	.exec = cmd_op_move_exec
};

const struct cmd_entry cmd_op_archive_entry = {
	.name = "op",
	.sub = "archive",
	.usage = "OP",
	.lower = 1,
	.upper = 1,
	.help = "archive an operation (it leaves the board, nothing is "
	    "deleted)",
	.exec = cmd_op_archive_exec
};

const struct cmd_entry cmd_op_unarchive_entry = {
	.name = "op",
	.sub = "unarchive",
	.usage = "OP",
	.lower = 1,
	.upper = 1,
	.help = "bring an archived operation back to the board",
	.exec = cmd_op_archive_exec
};

static const struct option cmd_op_assign_options[] = {
	{ "no-start", no_argument, NULL, CMD_OPT_NO_START },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_op_assign_entry = {
	.name = "op",
	.sub = "assign",
	.usage = "OP ASSIGNEE [--no-start]",
	.longopts = cmd_op_assign_options,
	.lower = 2,
	.upper = 2,
	.help = "assign an operation to pilot:NAME, crew:NAME, user:EMAIL "
	    "or none; a pilot starts at once unless --no-start",
	.exec = cmd_op_assign_exec
};

const struct cmd_entry cmd_op_comment_entry = {
	.name = "op",
	.sub = "comment",
	.usage = "OP [TEXT | -]",
	.lower = 1,
	.upper = 2,
	.help = "comment on an operation; with no TEXT, write it in $EDITOR",
	.exec = cmd_op_comment_exec
};

const struct cmd_entry cmd_op_label_entry = {
	.name = "op",
	.sub = "label",
	.usage = "OP [+LABEL | -LABEL | LABEL]...",
	.lower = 1,
	.upper = -1,
	.flags = CMD_INORDER,
	.help = "add (+LABEL or LABEL) and remove (-LABEL) labels; with none, "
	    "print the labels",
	.exec = cmd_op_label_exec
};

const struct cmd_entry cmd_op_relate_entry = {
	.name = "op",
	.sub = "relate",
	.usage = "OP KIND OTHER",
	.lower = 3,
	.upper = 3,
	.help = "relate two operations (KIND: blocks, relates or duplicate) "
	    "and print the relation's id",
	.exec = cmd_op_relate_exec
};

const struct cmd_entry cmd_op_unrelate_entry = {
	.name = "op",
	.sub = "unrelate",
	.usage = "OP RELATION_ID",
	.lower = 2,
	.upper = 2,
	.help = "remove a relation (its id is in `ufo op show`)",
	.exec = cmd_op_unrelate_exec
};

static const char *
cmd_op_priority(struct json_object *op)
{
	int64_t	 p;

	p = jsonx_int(op, "priority", 0);
	return (p == 0 ? "-" : cmd_priority_name(p));
}

static const char *
cmd_op_or_dash(const char *s)
{
	return (s != NULL && *s != '\0' ? s : "-");
}

static void
cmd_op_row(struct output_table *t, struct json_object *op, int status)
{
	char	*labels;

	labels = output_labels(op, ",");
	output_table_row(t);
	output_table_cell(t, jsonx_str(op, "code"), OUTPUT_SGR_CODE);
	if (status) {
		output_table_cell(t, jsonx_str(op, "status"),
		    output_status_sgr(jsonx_str(op, "status")));
	}
	output_table_cell(t, cmd_op_priority(op), NULL);
	output_table_cell(t, cmd_op_or_dash(jsonx_str(op, "assignee")), NULL);
	output_table_cell(t, jsonx_str(op, "title"), NULL);
	output_table_cell(t, labels, OUTPUT_SGR_DIM);
	free(labels);
}

void
cmd_op_print_table(struct json_object *items)
{
	static const char *const headers[] = {
		"CODE", "STATUS", "PRI", "ASSIGNEE", "TITLE", "LABELS"
	};
	struct output_table	*t;
	size_t			 i, n;

	t = output_table_create(6, headers);
	output_table_flex(t, 4);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++)
		cmd_op_row(t, json_object_array_get_idx(items, i), 1);
	output_table_print(t);
	output_table_free(t);
}

/* Operations under a heading per status, in board column order. */
void
cmd_op_print_grouped(struct json_object *items)
{
	struct output_table	*t;
	struct json_object	*op;
	const char		*status;
	char			*heading;
	size_t			 i, n, count, other = 0;
	int			 s;

	t = output_table_create(5, NULL);
	output_table_flex(t, 3);
	output_table_indent(t, 2);
	n = json_object_array_length(items);
	for (s = 0; s < OP_NSTATUS; s++) {
		for (i = count = 0; i < n; i++) {
			status = jsonx_str(json_object_array_get_idx(items, i),
			    "status");
			if (status != NULL && strcmp(status,
			    op_status_name(s)) == 0)
				count++;
		}
		heading = xprintf("%s (%zu)", op_status_name(s), count);
		output_table_section(t, heading, OUTPUT_SGR_HEADING);
		free(heading);
		for (i = 0; i < n; i++) {
			op = json_object_array_get_idx(items, i);
			status = jsonx_str(op, "status");
			if (status != NULL && strcmp(status,
			    op_status_name(s)) == 0)
				cmd_op_row(t, op, 0);
		}
	}
	/* A status this ufo does not know (a newer ufod) still shows. */
	for (i = 0; i < n; i++) {
		status = jsonx_str(json_object_array_get_idx(items, i),
		    "status");
		if (status == NULL || op_status_from_name(status) == -1)
			other++;
	}
	if (other > 0) {
		heading = xprintf("other (%zu)", other);
		output_table_section(t, heading, OUTPUT_SGR_HEADING);
		free(heading);
		for (i = 0; i < n; i++) {
			op = json_object_array_get_idx(items, i);
			status = jsonx_str(op, "status");
			if (status == NULL || op_status_from_name(status) == -1)
				cmd_op_row(t, op, 0);
		}
	}
	output_table_print(t);
	output_table_free(t);
}

/* Adds -l values to a labels array; "a,b" is two labels. */
static void
cmd_op_add_labels(struct json_object *array, const char *value)
{
	const char	*p = value;
	size_t		 n;

	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n > 0)
			json_object_array_add(array,
			    json_object_new_string_len(p, (int)n));
		p += n;
		if (*p == ',')
			p++;
	}
}

/* Prints the created or changed operation: its code, or all of it. */
static enum cmd_retval
cmd_op_print_code(struct cmd *cmd, struct json_object *op)
{
	const char	*code;

	if (cmd->json)
		output_json(op);
	else if ((code = jsonx_str(op, "code")) != NULL)
		printf("%s\n", code);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_op_create_exec(struct cmd *cmd)
{
	struct json_object	*body, *labels, *op = NULL;
	struct ufo_error	 err;
	const char		*title, *v;
	char			*text = NULL, *edited, *template, *t, *b;
	enum cmd_retval		 retval;
	int64_t			 prio = 0;
	size_t			 i = 0;

	/* Checked before the editor opens: a typo must not cost the text. */
	if ((v = cmd_get(cmd, 'p')) != NULL &&
	    cmd_priority_parse(v, &prio) == -1)
		return (cmd_usage(cmd, "invalid priority \"%s\" (%s)", v,
		    CMD_OP_PRIORITY_HELP));

	if (cmd->argc == 1 && strcmp(cmd->argv[0], "-") == 0) {
		if (cmd_read_stdin(&text, &err) == -1)
			return (cmd_fail(&err));
	} else if (cmd->argc == 1)
		text = xstrdup(cmd->argv[0]);

	if ((title = cmd_get(cmd, 't')) != NULL) {
		t = xstrdup(title);
		b = text != NULL ? text : xstrdup("");
		text = NULL;
	} else if (text != NULL) {
		/* Like a commit message: first line title, rest body. */
		editor_split(text, &t, &b);
		free(text);
	} else {
		template = xprintf("\n\n# Write the new operation%s%s: the "
		    "first line is the title, the rest the body.\n# Lines "
		    "starting with # are ignored; an empty message "
		    "aborts.\n", cmd_get(cmd, 'm') != NULL ? " in " : "",
		    cmd_get(cmd, 'm') != NULL ? cmd_get(cmd, 'm') : "");
		if (editor_run(template, &edited, &err) == -1) {
			free(template);
			return (cmd_fail(&err));
		}
		free(template);
		text = editor_strip(edited, 1);
		free(edited);
		editor_split(text, &t, &b);
		free(text);
	}
	if (*t == '\0' && title == NULL) {
		free(t);
		free(b);
		cmd_error("aborted: empty message");
		return (CMD_RETURN_ERROR);
	}

	body = json_object_new_object();
	if ((v = cmd_get(cmd, 'm')) != NULL)
		json_object_object_add(body, "mission",
		    json_object_new_string(v));
	json_object_object_add(body, "title", json_object_new_string(t));
	if (*b != '\0')
		json_object_object_add(body, "body", json_object_new_string(b));
	if (cmd_get(cmd, 'p') != NULL)
		json_object_object_add(body, "priority",
		    json_object_new_int64(prio));
	if ((v = cmd_get(cmd, 'a')) != NULL)
		json_object_object_add(body, "assignee",
		    json_object_new_string(v));
	if (cmd_count(cmd, 'l') > 0) {
		labels = json_object_new_array();
		while ((v = cmd_next(cmd, 'l', &i)) != NULL)
			cmd_op_add_labels(labels, v);
		json_object_object_add(body, "labels", labels);
	}
	if ((v = cmd_get(cmd, CMD_OPT_PARENT)) != NULL)
		json_object_object_add(body, "parent",
		    json_object_new_string(v));
	/* Assigned to a pilot, but no run queued yet. */
	if (cmd_count(cmd, CMD_OPT_NO_START) > 0)
		json_object_object_add(body, "start",
		    json_object_new_boolean(0));
	free(t);
	free(b);

	if (client_request(cmd->client, "POST", "/operations", body, &op,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_op_print_code(cmd, op);
	json_object_put(body);
	json_object_put(op);
	return (retval);
}

static enum cmd_retval
cmd_op_list_exec(struct cmd *cmd)
{
	struct json_object	*items;
	struct ufo_error	 err;
	const char		*v, *limit;
	char			*path, *status = NULL, *next;
	size_t			 i = 0;
	int64_t			 n;

	if (cmd_count(cmd, CMD_OPT_ARCHIVED) && cmd_count(cmd, CMD_OPT_ALL))
		return (cmd_usage(cmd, "--archived and --all exclude each "
		    "other"));
	if ((limit = cmd_get(cmd, 'n')) != NULL &&
	    cmd_number_parse(limit, 1, INT32_MAX, &n) == -1)
		return (cmd_usage(cmd, "invalid limit \"%s\" (expected a "
		    "positive number)", limit));

	path = xstrdup("/operations");
	if ((v = cmd_get(cmd, 'm')) != NULL)
		client_query_add(&path, "mission", v);
	/* -s may repeat, and each may be a comma list already. */
	while ((v = cmd_next(cmd, 's', &i)) != NULL) {
		next = xprintf("%s%s%s", status != NULL ? status : "",
		    status != NULL ? "," : "", v);
		free(status);
		status = next;
	}
	if (status != NULL) {
		client_query_add(&path, "status", status);
		free(status);
	}
	if ((v = cmd_get(cmd, 'l')) != NULL)
		client_query_add(&path, "label", v);
	if ((v = cmd_get(cmd, 'a')) != NULL)
		client_query_add(&path, "assignee", v);
	if ((v = cmd_get(cmd, 'q')) != NULL)
		client_query_add(&path, "q", v);
	if ((v = cmd_get(cmd, CMD_OPT_PARENT)) != NULL)
		client_query_add(&path, "parent", v);
	if (cmd_count(cmd, CMD_OPT_ARCHIVED))
		client_query_add(&path, "archived", "1");
	else if (cmd_count(cmd, CMD_OPT_ALL))
		client_query_add(&path, "archived", "all");
	client_query_add(&path, "limit", limit != NULL ? limit : "1000");
	if ((v = cmd_get(cmd, CMD_OPT_BEFORE)) != NULL)
		client_query_add(&path, "before", v);

	/* -n asks for one page; otherwise follow "next" to the end. */
	if (client_list(cmd->client, path, limit == NULL, &items, &err) == -1) {
		free(path);
		return (cmd_fail(&err));
	}
	free(path);
	if (cmd->json)
		output_json(items);
	else
		cmd_op_print_table(items);
	json_object_put(items);
	return (CMD_RETURN_NORMAL);
}

static int
cmd_op_get(struct cmd *cmd, const char *ref, struct json_object **op,
    struct ufo_error *err)
{
	char	*path;
	int	 rc;

	path = client_path("/operations/%s", ref);
	rc = client_get(cmd->client, path, op, err);
	free(path);
	if (rc == 0 && *op == NULL)
		rc = err_set(err, UFO_EINTERNAL, "", "%s: empty answer",
		    ref);
	return (rc);
}

static const char *
cmd_op_relation_text(const char *kind, int outgoing)
{
	if (outgoing || kind == NULL)
		return (kind != NULL ? kind : "?");
	if (strcmp(kind, "blocks") == 0)
		return ("blocked by");
	if (strcmp(kind, "duplicate") == 0)
		return ("duplicated by");
	return (kind);
}

static void
cmd_op_show_subs(struct json_object *op)
{
	struct json_object	*subs, *children, *s;
	struct output_table	*t;
	size_t			 i, n;

	if (!json_object_object_get_ex(op, "subs", &subs) ||
	    !json_object_is_type(subs, json_type_array) ||
	    (n = json_object_array_length(subs)) == 0)
		return;
	if (json_object_object_get_ex(op, "children", &children))
		printf("\nsub-operations (%lld of %lld done):\n",
		    (long long)jsonx_int(children, "done", 0),
		    (long long)jsonx_int(children, "total", (int64_t)n));
	else
		printf("\nsub-operations:\n");
	t = output_table_create(4, NULL);
	output_table_indent(t, 2);
	output_table_flex(t, 3);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(subs, i);
		output_table_row(t);
		output_table_cell(t, jsonx_str(s, "code"), OUTPUT_SGR_CODE);
		output_table_cell(t, jsonx_str(s, "status"),
		    output_status_sgr(jsonx_str(s, "status")));
		output_table_cell(t, cmd_op_or_dash(jsonx_str(s, "assignee")),
		    NULL);
		output_table_cell(t, jsonx_str(s, "title"), NULL);
	}
	output_table_print(t);
	output_table_free(t);
}

static void
cmd_op_show_relations(struct json_object *op)
{
	struct json_object	*rels, *r;
	struct output_table	*t;
	const char		*code, *from, *to;
	size_t			 i, n;
	int			 outgoing;

	if (!json_object_object_get_ex(op, "relations", &rels) ||
	    !json_object_is_type(rels, json_type_array) ||
	    (n = json_object_array_length(rels)) == 0)
		return;
	code = jsonx_str(op, "code");
	printf("\nrelations:\n");
	t = output_table_create(3, NULL);
	output_table_indent(t, 2);
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(rels, i);
		from = jsonx_str(r, "from");
		to = jsonx_str(r, "to");
		outgoing = code == NULL || from == NULL ||
		    strcasecmp(from, code) == 0;
		output_table_row(t);
		output_table_cell(t, cmd_op_relation_text(jsonx_str(r, "kind"),
		    outgoing), NULL);
		output_table_cell(t, outgoing ? to : from, OUTPUT_SGR_CODE);
		output_table_cell(t, jsonx_str(r, "id"), OUTPUT_SGR_DIM);
	}
	output_table_print(t);
	output_table_free(t);
}

static void
cmd_op_show_comments(struct json_object *op)
{
	struct json_object	*comments, *c;
	const char		*kind, *author;
	char			*line;
	size_t			 i, n;

	if (!json_object_object_get_ex(op, "comments", &comments) ||
	    !json_object_is_type(comments, json_type_array) ||
	    (n = json_object_array_length(comments)) == 0)
		return;
	printf("\ncomments:\n");
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(comments, i);
		kind = jsonx_str(c, "author_kind");
		author = cmd_op_or_dash(jsonx_str(c, "author"));
		if (kind != NULL && strcmp(kind, "user") != 0)
			line = xprintf("%s (%s), %s", author, kind,
			    cmd_op_or_dash(jsonx_str(c, "created_at")));
		else
			line = xprintf("%s, %s", author,
			    cmd_op_or_dash(jsonx_str(c, "created_at")));
		if (i > 0)
			putchar('\n');
		fputs("  ", stdout);
		output_sgr(line, OUTPUT_SGR_HEADING);
		putchar('\n');
		free(line);
		output_text(cmd_op_or_dash(jsonx_str(c, "body")), "    ");
	}
}

static void
cmd_op_show_print(struct json_object *op)
{
	struct json_object	*v;
	const char		*body;
	char			*labels, *prio;

	output_sgr(cmd_op_or_dash(jsonx_str(op, "code")), OUTPUT_SGR_CODE);
	fputs("  ", stdout);
	output_sgr(cmd_op_or_dash(jsonx_str(op, "title")), NULL);
	putchar('\n');
	output_field("status", jsonx_str(op, "status"));
	prio = xprintf("%s (%lld)", cmd_priority_name(jsonx_int(op,
	    "priority", 0)), (long long)jsonx_int(op, "priority", 0));
	output_field("priority", prio);
	free(prio);
	output_field("assignee", jsonx_str(op, "assignee"));
	labels = output_labels(op, ", ");
	output_field("labels", labels);
	free(labels);
	output_field("parent", jsonx_str(op, "parent"));
	output_field("mission", jsonx_str(op, "mission"));
	output_field("created", jsonx_str(op, "created_at"));
	output_field("updated", jsonx_str(op, "updated_at"));
	if (json_object_object_get_ex(op, "archived", &v) &&
	    json_object_get_boolean(v))
		output_field("archived", jsonx_str(op, "archived_at"));
	output_field("id", jsonx_str(op, "id"));
	if ((body = jsonx_str(op, "body")) != NULL && *body != '\0') {
		putchar('\n');
		output_text(body, "    ");
	}
	cmd_op_show_subs(op);
	cmd_op_show_relations(op);
	cmd_op_show_comments(op);
}

static enum cmd_retval
cmd_op_show_exec(struct cmd *cmd)
{
	struct json_object	*op;
	struct ufo_error	 err;

	if (cmd_op_get(cmd, cmd->argv[0], &op, &err) == -1)
		return (cmd_fail(&err));
	if (cmd->json)
		output_json(op);
	else
		cmd_op_show_print(op);
	json_object_put(op);
	return (CMD_RETURN_NORMAL);
}

/* Edits title and body in $EDITOR and fills patch with what changed. */
static enum cmd_retval
cmd_op_edit_editor(struct cmd *cmd, struct json_object *patch)
{
	struct json_object	*op;
	struct ufo_error	 err;
	const char		*code;
	char			*text, *edited;
	int			 rc;

	if (cmd_op_get(cmd, cmd->argv[0], &op, &err) == -1)
		return (cmd_fail(&err));
	code = jsonx_str(op, "code");
	text = op_edit_text(op, code != NULL ? code : cmd->argv[0]);
	if (editor_run(text, &edited, &err) == -1) {
		free(text);
		json_object_put(op);
		return (cmd_fail(&err));
	}
	free(text);
	rc = op_edit_patch(op, edited, patch);
	free(edited);
	json_object_put(op);
	if (rc == -1) {
		cmd_error("aborted: empty message");
		return (CMD_RETURN_ERROR);
	}
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_op_edit_exec(struct cmd *cmd)
{
	struct json_object	*patch, *op = NULL;
	struct ufo_error	 err;
	const char		*v;
	char			*text, *path;
	enum cmd_retval		 retval;
	int64_t			 prio;

	patch = json_object_new_object();
	if ((v = cmd_get(cmd, 'p')) != NULL) {
		if (cmd_priority_parse(v, &prio) == -1) {
			json_object_put(patch);
			return (cmd_usage(cmd, "invalid priority \"%s\" (%s)",
			    v, CMD_OP_PRIORITY_HELP));
		}
		json_object_object_add(patch, "priority",
		    json_object_new_int64(prio));
	}
	if (cmd->nvalues == 0) {
		retval = cmd_op_edit_editor(cmd, patch);
		if (retval != CMD_RETURN_NORMAL) {
			json_object_put(patch);
			return (retval);
		}
		if (json_object_object_length(patch) == 0) {
			/* Nothing changed: nothing to send. */
			json_object_put(patch);
			return (CMD_RETURN_NORMAL);
		}
	}
	if ((v = cmd_get(cmd, 't')) != NULL)
		json_object_object_add(patch, "title",
		    json_object_new_string(v));
	if ((v = cmd_get(cmd, 'b')) != NULL) {
		if (strcmp(v, "-") == 0) {
			if (cmd_read_stdin(&text, &err) == -1) {
				json_object_put(patch);
				return (cmd_fail(&err));
			}
			json_object_object_add(patch, "body",
			    json_object_new_string(text));
			free(text);
		} else
			json_object_object_add(patch, "body",
			    json_object_new_string(v));
	}
	if ((v = cmd_get(cmd, 's')) != NULL)
		json_object_object_add(patch, "status",
		    json_object_new_string(v));
	if ((v = cmd_get(cmd, CMD_OPT_PARENT)) != NULL) {
		json_object_object_add(patch, "parent",
		    strcmp(v, "none") == 0 ? NULL : json_object_new_string(v));
	}

	path = client_path("/operations/%s", cmd->argv[0]);
	if (client_request(cmd->client, "PATCH", path, patch, &op,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, op);
	free(path);
	json_object_put(patch);
	json_object_put(op);
	return (retval);
}

/* POSTs body (may be NULL) to /operations/OP/what. */
static enum cmd_retval
cmd_op_post(struct cmd *cmd, const char *what, struct json_object *body)
{
	struct json_object	*op = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*path;

	path = client_path("/operations/%s/", cmd->argv[0]);
	path = xrealloc(path, strlen(path) + strlen(what) + 1);
	strcat(path, what);
	if (client_request(cmd->client, "POST", path, body, &op, &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, op);
	free(path);
	json_object_put(op);
	return (retval);
}

static enum cmd_retval
cmd_op_move_exec(struct cmd *cmd)
{
	struct json_object	*body;
	const char		*before, *after;
	enum cmd_retval		 retval;

	before = cmd_get(cmd, CMD_OPT_BEFORE);
	after = cmd_get(cmd, CMD_OPT_AFTER);
	if (before != NULL && after != NULL)
		return (cmd_usage(cmd, "--before and --after exclude each "
		    "other"));
	body = json_object_new_object();
	json_object_object_add(body, "status",
	    json_object_new_string(cmd->argv[1]));
	if (before != NULL)
		json_object_object_add(body, "before",
		    json_object_new_string(before));
	if (after != NULL)
		json_object_object_add(body, "after",
		    json_object_new_string(after));
	retval = cmd_op_post(cmd, "move", body);
	json_object_put(body);
	return (retval);
}

static enum cmd_retval
cmd_op_archive_exec(struct cmd *cmd)
{
	return (cmd_op_post(cmd, cmd->entry->sub, NULL));
}

static enum cmd_retval
cmd_op_assign_exec(struct cmd *cmd)
{
	struct json_object	*patch, *op = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*path;

	patch = json_object_new_object();
	json_object_object_add(patch, "assignee",
	    strcmp(cmd->argv[1], "none") == 0 ? NULL :
	    json_object_new_string(cmd->argv[1]));
	if (cmd_count(cmd, CMD_OPT_NO_START) > 0)
		json_object_object_add(patch, "start",
		    json_object_new_boolean(0));
	path = client_path("/operations/%s", cmd->argv[0]);
	if (client_request(cmd->client, "PATCH", path, patch, &op,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, op);
	free(path);
	json_object_put(patch);
	json_object_put(op);
	return (retval);
}

static enum cmd_retval
cmd_op_comment_exec(struct cmd *cmd)
{
	struct json_object	*body, *comment = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*text, *edited, *template, *path;
	const char		*id;

	if (cmd->argc == 2 && strcmp(cmd->argv[1], "-") == 0) {
		if (cmd_read_stdin(&edited, &err) == -1)
			return (cmd_fail(&err));
		text = op_edit_trim(edited);
		free(edited);
	} else if (cmd->argc == 2)
		text = xstrdup(cmd->argv[1]);
	else {
		template = op_edit_comment(cmd->argv[0]);
		if (editor_run(template, &edited, &err) == -1) {
			free(template);
			return (cmd_fail(&err));
		}
		free(template);
		template = editor_strip(edited, 1);
		free(edited);
		text = op_edit_trim(template);
		free(template);
		if (*text == '\0') {
			free(text);
			cmd_error("aborted: empty message");
			return (CMD_RETURN_ERROR);
		}
	}

	body = json_object_new_object();
	json_object_object_add(body, "body", json_object_new_string(text));
	free(text);
	path = client_path("/operations/%s/comments", cmd->argv[0]);
	if (client_request(cmd->client, "POST", path, body, &comment,
	    &err) == -1)
		retval = cmd_fail(&err);
	else {
		if (cmd->json)
			output_json(comment);
		else if ((id = jsonx_str(comment, "id")) != NULL)
			printf("%s\n", id);
		retval = CMD_RETURN_NORMAL;
	}
	free(path);
	json_object_put(body);
	json_object_put(comment);
	return (retval);
}

/* Prints the labels of an operation, one a line. */
static enum cmd_retval
cmd_op_label_print(struct cmd *cmd)
{
	struct json_object	*op, *labels;
	struct ufo_error	 err;
	char			*text;

	if (cmd_op_get(cmd, cmd->argv[0], &op, &err) == -1)
		return (cmd_fail(&err));
	if (cmd->json) {
		if (!json_object_object_get_ex(op, "labels", &labels))
			labels = NULL;
		output_json(labels);
	} else {
		text = output_labels(op, "\n");
		if (*text != '\0')
			output_text(text, "");
		free(text);
	}
	json_object_put(op);
	return (CMD_RETURN_NORMAL);
}

static enum cmd_retval
cmd_op_label_exec(struct cmd *cmd)
{
	struct json_object	*body, *add, *remove;
	enum cmd_retval		 retval;
	const char		*arg;
	int			 i;

	add = json_object_new_array();
	remove = json_object_new_array();
	for (i = 1; i < cmd->argc; i++) {
		arg = cmd->argv[i];
		/*
		 * Options end at OP so that -LABEL needs no "--"; one given
		 * anyway is noise, and --json still means --json.
		 */
		if (strcmp(arg, "--") == 0)
			continue;
		if (strcmp(arg, "--json") == 0) {
			cmd->json = 1;
			continue;
		}
		if (*arg == '+' || *arg == '-') {
			if (arg[1] == '\0') {
				json_object_put(add);
				json_object_put(remove);
				return (cmd_usage(cmd, "label missing after "
				    "\"%s\"", arg));
			}
			json_object_array_add(*arg == '+' ? add : remove,
			    json_object_new_string(arg + 1));
		} else if (*arg == '\0') {
			json_object_put(add);
			json_object_put(remove);
			return (cmd_usage(cmd, "empty label"));
		} else
			json_object_array_add(add, json_object_new_string(arg));
	}
	if (json_object_array_length(add) == 0 &&
	    json_object_array_length(remove) == 0) {
		json_object_put(add);
		json_object_put(remove);
		return (cmd_op_label_print(cmd));
	}

	body = json_object_new_object();
	if (json_object_array_length(add) > 0)
		json_object_object_add(body, "add", add);
	else
		json_object_put(add);
	if (json_object_array_length(remove) > 0)
		json_object_object_add(body, "remove", remove);
	else
		json_object_put(remove);
	retval = cmd_op_post(cmd, "labels", body);
	json_object_put(body);
	return (retval);
}

static enum cmd_retval
cmd_op_relate_exec(struct cmd *cmd)
{
	struct json_object	*body, *rel = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	const char		*id;
	char			*path;

	body = json_object_new_object();
	json_object_object_add(body, "kind",
	    json_object_new_string(cmd->argv[1]));
	json_object_object_add(body, "to",
	    json_object_new_string(cmd->argv[2]));
	path = client_path("/operations/%s/relations", cmd->argv[0]);
	if (client_request(cmd->client, "POST", path, body, &rel,
	    &err) == -1)
		retval = cmd_fail(&err);
	else {
		if (cmd->json)
			output_json(rel);
		else if ((id = jsonx_str(rel, "id")) != NULL)
			printf("%s\n", id);
		retval = CMD_RETURN_NORMAL;
	}
	free(path);
	json_object_put(body);
	json_object_put(rel);
	return (retval);
}

static enum cmd_retval
cmd_op_unrelate_exec(struct cmd *cmd)
{
	struct json_object	*rel = NULL;
	struct ufo_error	 err;
	enum cmd_retval		 retval;
	char			*path;

	path = client_path("/operations/%s/relations/%s", cmd->argv[0],
	    cmd->argv[1]);
	if (client_request(cmd->client, "DELETE", path, NULL, &rel,
	    &err) == -1)
		retval = cmd_fail(&err);
	else
		retval = cmd_print_object(cmd, rel);
	free(path);
	json_object_put(rel);
	return (retval);
}
