/*
 * Help: the key bindings of the view below it and the generic ones, read
 * from the live keymaps (keys_list), so what it shows is what the keys
 * do, `bind` lines of ufo.conf included. Keys of one action share a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colors.h"
#include "keys.h"
#include "pager.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

#define VIEW_HELP_KEYS_MAX	20	/* the widest the keys column gets */
#define VIEW_HELP_ACTION_W	16	/* the width of the action column */

/* A heading (keys NULL) or the keys of one action. */
struct view_help_entry {
	char		*keys;
	enum action	 action;
	char		*heading;
};

struct view_help {
	struct pager	 pager;
	char		 title[128];
};

static void
view_help_add(struct view_help_entry **e, size_t *n, char *keys,
    enum action action, char *heading)
{
	*e = xreallocarray(*e, *n + 1, sizeof **e);
	(*e)[*n].keys = keys;
	(*e)[*n].action = action;
	(*e)[*n].heading = heading;
	(*n)++;
}

/* One section: the bindings of map (as keys_list gave them). */
static void
view_help_section(struct view_help_entry **e, size_t *ne, const char *heading,
    const struct keys_binding *b, size_t n, const char *map)
{
	char	 name[32], *keys, *more;
	size_t	 i, j;
	int	*done;

	view_help_add(e, ne, NULL, ACTION_NONE, xstrdup(heading));
	done = xcalloc(n + 1, sizeof *done);
	for (i = 0; i < n; i++) {
		if (done[i] || strcmp(b[i].map, map) != 0)
			continue;
		keys = xstrdup(keys_name(b[i].key, name, sizeof name));
		for (j = i + 1; j < n; j++) {
			if (!done[j] && b[j].action == b[i].action &&
			    strcmp(b[j].map, map) == 0) {
				more = xprintf("%s, %s", keys,
				    keys_name(b[j].key, name, sizeof name));
				free(keys);
				keys = more;
				done[j] = 1;
			}
		}
		view_help_add(e, ne, keys, b[i].action, NULL);
	}
	free(done);
	view_help_add(e, ne, NULL, ACTION_NONE, xstrdup(""));
}

/* A line of keys, action and help, in three columns. */
static void
view_help_line(struct pager *p, const struct view_help_entry *e, int keyw)
{
	struct pager_line	*l;
	char			*keys, *action;
	size_t			 len;

	keys = pager_cell(e->keys, keyw);
	action = pager_cell(keys_action_name(e->action), VIEW_HELP_ACTION_W);
	l = pager_add(p, COLOR_DEFAULT, "  %s  %s%s", keys, action,
	    keys_action_help(e->action));
	/* The keys in their colour, not the spaces that pad them. */
	for (len = strlen(keys); len > 0 && keys[len - 1] == ' '; len--)
		;
	pager_color(l, 2, COLOR_CODE);
	pager_color(l, 2 + len, COLOR_DEFAULT);
	pager_color(l, 4 + strlen(keys) + strlen(action), COLOR_DIM);
	free(action);
	free(keys);
}

static int
view_help_open(struct view *v)
{
	struct view_help	*h;
	struct view_help_entry	*e = NULL;
	struct keys_binding	*b;
	const char		*map = v->arg != NULL ? v->arg : "generic";
	char			*heading;
	size_t			 i, n, ne = 0;
	int			 keyw = 0;

	h = xcalloc(1, sizeof *h);
	v->data = h;
	pager_init(&h->pager, v, PAGER_CURSOR_STOPS, 0);
	n = keys_list(map, &b);
	if (strcmp(map, "generic") != 0) {
		heading = xprintf("Keys of the %s view", map);
		view_help_section(&e, &ne, heading, b, n, map);
		free(heading);
	}
	view_help_section(&e, &ne, "Keys of every view", b, n, "generic");
	free(b);
	for (i = 0; i < ne; i++) {
		if (e[i].keys != NULL && tui_width(e[i].keys) > keyw)
			keyw = tui_width(e[i].keys);
	}
	if (keyw > VIEW_HELP_KEYS_MAX)
		keyw = VIEW_HELP_KEYS_MAX;
	/* The lines do not depend on the width: they are cut when drawn. */
	pager_clear(&h->pager, 0);
	for (i = 0; i < ne; i++) {
		if (e[i].keys == NULL)
			pager_add(&h->pager, COLOR_HEADER, "%s", e[i].heading);
		else
			view_help_line(&h->pager, &e[i], keyw);
		free(e[i].keys);
		free(e[i].heading);
	}
	free(e);
	snprintf(h->title, sizeof h->title, "Help · %s", map);
	return (0);
}

static void
view_help_close(struct view *v)
{
	struct view_help	*h = v->data;

	pager_free(&h->pager);
	free(h);
	v->data = NULL;
}

static void
view_help_draw(struct view *v, WINDOW *w)
{
	struct view_help	*h = v->data;

	pager_draw(&h->pager, w, 0);
	v->dirty = 0;
}

static int
view_help_action(struct view *v, enum action a)
{
	struct view_help	*h = v->data;

	if (a == ACTION_ENTER || a == ACTION_VIEW_HELP) {
		tui_close(v->tui);
		return (1);
	}
	return (pager_action(&h->pager, a));
}

static const char *
view_help_title(struct view *v)
{
	return (((struct view_help *)v->data)->title);
}

const struct view_class view_help_class = {
	.name = "help",
	.open = view_help_open,
	.close = view_help_close,
	.draw = view_help_draw,
	.action = view_help_action,
	.title = view_help_title,
};
