/*
 * The diff view: a run's git.diff artifact, coloured, with the list of
 * files it touches at the top, jumps between files and hunks, search, and
 * horizontal scrolling for long lines. The artifact is raw bytes, not
 * JSON, so it is fetched with client_fetch; it is a local request, done
 * once when the view opens (and again on refresh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "colors.h"
#include "pager.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

enum view_diff_kind {
	VIEW_DIFF_TEXT,
	VIEW_DIFF_LIST,		/* a file in the list at the top */
	VIEW_DIFF_FILE,		/* "diff --git" */
	VIEW_DIFF_HUNK		/* "@@ … @@" */
};

struct view_diff_file {
	char	*name;
	size_t	 line;		/* in the diff part */
	int	 adds;
	int	 dels;
	int	 binary;
};

/* The lines: kind a view_diff_kind, ref a LIST line's FILE line. */
struct view_diff {
	struct pager	 pager;
	size_t		 nfiles;
	char		 title[256];
};

/* Prefixes of a diff's lines and their colours, first match wins. */
static const struct {
	const char		*prefix;
	enum color_element	 color;
	enum view_diff_kind	 kind;
} view_diff_styles[] = {
	{ "diff --git ",	COLOR_DIFF_FILE,	VIEW_DIFF_FILE },
	{ "+++ ",		COLOR_DIFF_FILE,	VIEW_DIFF_TEXT },
	{ "--- ",		COLOR_DIFF_FILE,	VIEW_DIFF_TEXT },
	{ "@@",			COLOR_DIFF_HUNK,	VIEW_DIFF_HUNK },
	{ "+",			COLOR_DIFF_ADD,		VIEW_DIFF_TEXT },
	{ "-",			COLOR_DIFF_DEL,		VIEW_DIFF_TEXT },
	{ " ",			COLOR_DEFAULT,		VIEW_DIFF_TEXT },
	{ "\\",			COLOR_DIM,		VIEW_DIFF_TEXT },
	{ "Binary files ",	COLOR_DIM,		VIEW_DIFF_TEXT },
	{ "",			COLOR_DIM,		VIEW_DIFF_TEXT }
};

/* The file a "diff --git a/X b/Y" line is about: Y. */
static char *
view_diff_name(const char *line)
{
	const char	*b;

	if ((b = strstr(line, " b/")) != NULL)
		return (xstrdup(b + 3));
	return (xstrdup(line + strlen("diff --git ")));
}

/* Adds one line of the diff in the colour its prefix says. */
static void
view_diff_add(struct pager *p, const char *line)
{
	size_t	 i;

	for (i = 0; i < sizeof view_diff_styles /
	    sizeof view_diff_styles[0]; i++) {
		if (strncmp(line, view_diff_styles[i].prefix,
		    strlen(view_diff_styles[i].prefix)) == 0)
			break;
	}
	pager_mark(p, view_diff_styles[i].kind, PAGER_NONE);
	pager_add(p, view_diff_styles[i].color, "%s", line);
}

/* The list of the files at the top: a summary, a line a file. */
static void
view_diff_list(struct view_diff *vd, struct view_diff_file *files,
    size_t nfiles)
{
	struct pager	*p = &vd->pager;
	size_t		 i, from = p->nlines, head = nfiles + 2;
	int		 adds = 0, dels = 0;

	vd->nfiles = nfiles;
	if (nfiles == 0)
		return;
	for (i = 0; i < nfiles; i++) {
		adds += files[i].adds;
		dels += files[i].dels;
	}
	pager_mark(p, VIEW_DIFF_TEXT, PAGER_NONE);
	pager_add(p, COLOR_HEADER, "%zu file%s changed, %d insertion%s(+), "
	    "%d deletion%s(-)", nfiles, nfiles == 1 ? "" : "s", adds,
	    adds == 1 ? "" : "s", dels, dels == 1 ? "" : "s");
	for (i = 0; i < nfiles; i++) {
		/* Its FILE line, once the list is in front. */
		pager_mark(p, VIEW_DIFF_LIST, head + files[i].line);
		if (files[i].binary)
			pager_add(p, COLOR_DEFAULT, "  %s  (binary)",
			    files[i].name);
		else
			pager_add(p, COLOR_DEFAULT, "  %s  +%d -%d",
			    files[i].name, files[i].adds, files[i].dels);
	}
	pager_mark(p, VIEW_DIFF_TEXT, PAGER_NONE);
	pager_add(p, COLOR_DEFAULT, "%s", "");
	pager_raise(p, from);
}

/* Splits the diff into lines, then puts the list of its files in front. */
static void
view_diff_parse(struct view_diff *vd, const char *data, size_t len)
{
	struct view_diff_file	*files = NULL, *f = NULL;
	const char		*p = data, *end = data + len, *nl;
	size_t			 i, nfiles = 0;
	int			 skipping = 0;
	char			*line;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line = pager_expand(p, (size_t)(nl - p));
		p = nl + 1;
		if (strncmp(line, "diff --git ", 11) == 0) {
			files = xreallocarray(files, nfiles + 1,
			    sizeof *files);
			f = &files[nfiles++];
			memset(f, 0, sizeof *f);
			f->name = view_diff_name(line);
			f->line = vd->pager.nlines;
			skipping = 0;
		} else if (skipping) {
			free(line);
			continue;
		} else if (strcmp(line, "GIT binary patch") == 0) {
			/* Base85 data says nothing to a reader. */
			free(line);
			line = xstrdup("Binary files differ");
			skipping = 1;
			if (f != NULL)
				f->binary = 1;
		} else if (f != NULL && strncmp(line, "Binary files ", 13) == 0)
			f->binary = 1;
		else if (f != NULL && line[0] == '+' &&
		    strncmp(line, "+++ ", 4) != 0)
			f->adds++;
		else if (f != NULL && line[0] == '-' &&
		    strncmp(line, "--- ", 4) != 0)
			f->dels++;
		view_diff_add(&vd->pager, line);
		free(line);
	}
	view_diff_list(vd, files, nfiles);
	for (i = 0; i < nfiles; i++)
		free(files[i].name);
	free(files);
}

/* Fetches the diff; -1 on a failure other than "no diff". */
static int
view_diff_load(struct view *v)
{
	struct view_diff	*vd = v->data;
	struct ufo_error	 err;
	char			*path, *data = NULL;
	size_t			 len = 0;
	int			 rc = 0;

	pager_clear(&vd->pager, 0);
	vd->pager.top = vd->pager.cur = 0;
	vd->pager.left = 0;
	vd->nfiles = 0;
	path = client_path("/runs/%s/artifacts/git.diff", v->arg);
	if (client_fetch(tui_client(v->tui), path, &data, &len, &err) == -1) {
		if (err.code != UFO_ENOTFOUND) {
			tui_error(v->tui, &err);
			rc = -1;
		}
		len = 0;
	}
	free(path);
	if (len > 0)
		view_diff_parse(vd, data, len);
	free(data);
	if (vd->pager.nlines == 0)
		pager_add(&vd->pager, COLOR_DIM, "No diff for this run");
	v->dirty = 1;
	return (rc);
}

static int
view_diff_open(struct view *v)
{
	struct view_diff	*vd;

	if (v->arg == NULL || *v->arg == '\0') {
		tui_message(v->tui, "No run to show the diff of");
		return (-1);
	}
	vd = xcalloc(1, sizeof *vd);
	pager_init(&vd->pager, v, PAGER_CURSOR_LINE, 1);
	v->data = vd;
	if (view_diff_load(v) == -1) {
		pager_free(&vd->pager);
		free(vd);
		v->data = NULL;
		return (-1);
	}
	return (0);
}

static void
view_diff_close(struct view *v)
{
	struct view_diff	*vd = v->data;

	if (vd == NULL)
		return;
	pager_free(&vd->pager);
	free(vd);
	v->data = NULL;
}

static void
view_diff_draw(struct view *v, WINDOW *win)
{
	struct view_diff	*vd = v->data;

	werase(win);
	pager_draw(&vd->pager, win, 0);
	v->dirty = 0;
}

/* The next (dir 1) or previous (-1) line of kind from the cursor. */
static void
view_diff_jump(struct view *v, enum view_diff_kind kind, int dir)
{
	struct pager	*p = &((struct view_diff *)v->data)->pager;
	size_t		 i = p->cur;

	while (i < p->nlines && (dir > 0 ? i + 1 < p->nlines : i > 0)) {
		i = dir > 0 ? i + 1 : i - 1;
		if (p->lines[i].kind == (int)kind) {
			pager_goto(p, i);
			return;
		}
	}
	tui_message(v->tui, "No %s %s", dir > 0 ? "next" : "previous",
	    kind == VIEW_DIFF_FILE ? "file" : "hunk");
}

static int
view_diff_action(struct view *v, enum action a)
{
	struct pager	*p = &((struct view_diff *)v->data)->pager;
	static const struct {
		enum action		 action;
		enum view_diff_kind	 kind;
		int			 dir;
	} jumps[] = {
		{ ACTION_NEXT_FILE,	VIEW_DIFF_FILE,	1 },
		{ ACTION_PREV_FILE,	VIEW_DIFF_FILE,	-1 },
		{ ACTION_NEXT_HUNK,	VIEW_DIFF_HUNK,	1 },
		{ ACTION_PREV_HUNK,	VIEW_DIFF_HUNK,	-1 }
	};
	size_t	 i;

	for (i = 0; i < sizeof jumps / sizeof jumps[0]; i++) {
		if (jumps[i].action == a) {
			view_diff_jump(v, jumps[i].kind, jumps[i].dir);
			v->dirty = 1;
			return (1);
		}
	}
	switch (a) {
	case ACTION_ENTER:
		if (p->cur < p->nlines && p->lines[p->cur].kind ==
		    VIEW_DIFF_LIST)
			pager_goto(p, p->lines[p->cur].ref);
		break;
	case ACTION_REFRESH:
		view_diff_load(v);
		break;
	case ACTION_VIEW_DIFF:
		return (1);
	case ACTION_VIEW_RUN:
		tui_open(v->tui, &view_run_class, v->arg);
		return (1);
	default:
		return (pager_action(p, a));
	}
	v->dirty = 1;
	return (1);
}

static const char *
view_diff_title(struct view *v)
{
	struct view_diff	*vd = v->data;

	snprintf(vd->title, sizeof vd->title, "diff of %s \xc2\xb7 %zu file%s",
	    v->arg, vd->nfiles, vd->nfiles == 1 ? "" : "s");
	return (vd->title);
}

const struct view_class view_diff_class = {
	.name = "diff",
	.open = view_diff_open,
	.close = view_diff_close,
	.draw = view_diff_draw,
	.action = view_diff_action,
	.changed = NULL,
	.title = view_diff_title
};
