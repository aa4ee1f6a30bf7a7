/*
 * The keymaps: one list of (key, action) per map, built from the
 * compiled-in keys_defaults and then the `bind` lines of ufo.conf, in that
 * order, so a user's line wins. The lists keep the order bindings were
 * first made, which is the order the help view and ufo.1 show.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "keys.h"
#include "tui-curses.h"
#include "xmalloc.h"

static const char *const keys_maps[] = { KEYS_MAPS };
#define KEYS_NMAPS (sizeof keys_maps / sizeof keys_maps[0])

static const char *const keys_action_names[] = {
	"none",
#define X(e, n, h) n,
	KEYS_ACTIONS
#undef X
};

static const char *const keys_action_helps[] = {
	"Nothing (unbinds the key)",
#define X(e, n, h) h,
	KEYS_ACTIONS
#undef X
};

/* Keys with names longer than one character. */
static const struct keys_named {
	const char	*name;
	int		 key;
} keys_named[] = {
	{ "Enter",	'\r' },
	{ "Esc",	27 },
	{ "Tab",	'\t' },
	{ "S-Tab",	KEY_BTAB },
	{ "Space",	' ' },
	{ "Backspace",	KEY_BACKSPACE },
	{ "Del",	KEY_DC },
	{ "Ins",	KEY_IC },
	{ "Up",		KEY_UP },
	{ "Down",	KEY_DOWN },
	{ "Left",	KEY_LEFT },
	{ "Right",	KEY_RIGHT },
	{ "PgUp",	KEY_PPAGE },
	{ "PgDn",	KEY_NPAGE },
	{ "Home",	KEY_HOME },
	{ "End",	KEY_END },
};

/* The bindings every operation view (board, list, lanes, operation) has. */
#define KEYS_OP_BINDS(m)						\
	"bind " m " c create",						\
	"bind " m " e edit",						\
	"bind " m " m move",						\
	"bind " m " H move-left",					\
	"bind " m " L move-right",					\
	"bind " m " K raise",						\
	"bind " m " J lower",						\
	"bind " m " a assign",						\
	"bind " m " p priority",					\
	"bind " m " t label",						\
	"bind " m " r comment",						\
	"bind " m " R comment-line",					\
	"bind " m " A archive",						\
	"bind " m " s start",						\
	"bind " m " x cancel",						\
	"bind " m " . retry"

const char *const keys_defaults[] = {
	"bind generic k up",
	"bind generic Up up",
	"bind generic j down",
	"bind generic Down down",
	"bind generic h left",
	"bind generic Left left",
	"bind generic l right",
	"bind generic Right right",
	"bind generic C-u page-up",
	"bind generic PgUp page-up",
	"bind generic C-b page-up",
	"bind generic C-d page-down",
	"bind generic PgDn page-down",
	"bind generic C-f page-down",
	"bind generic Space page-down",
	"bind generic g first",
	"bind generic Home first",
	"bind generic G last",
	"bind generic End last",
	"bind generic Enter enter",
	"bind generic q back",
	"bind generic Q quit",
	"bind generic C-l refresh",
	"bind generic F5 refresh",
	"bind generic 1 view-board",
	"bind generic 2 view-list",
	"bind generic 3 view-lanes",
	"bind generic 4 view-rovers",
	"bind generic 5 view-signals",
	"bind generic ? view-help",
	"bind generic F1 view-help",
	"bind generic o view-run",
	"bind generic d view-diff",
	"bind generic / search",
	"bind generic C-r search-back",
	"bind generic n find-next",
	"bind generic N find-prev",
	"bind generic M mission",
	"bind generic z toggle-hidden",

	"bind board / filter",
	KEYS_OP_BINDS("board"),

	"bind list / filter",
	"bind list S sort",
	KEYS_OP_BINDS("list"),

	"bind lanes / filter",
	KEYS_OP_BINDS("lanes"),

	KEYS_OP_BINDS("operation"),

	"bind run Space fold",
	"bind run Tab fold-all",
	"bind run f follow",
	"bind run r comment",
	"bind run R comment-line",
	"bind run s start",
	"bind run x cancel",
	"bind run . retry",

	"bind diff ] next-file",
	"bind diff [ prev-file",
	"bind diff } next-hunk",
	"bind diff { prev-hunk",
	"bind diff Space page-down",

	"bind rovers S sort",

	"bind signals Space mark-read",
	"bind signals C mark-all-read",
	NULL
};

struct keys_map {
	struct keys_binding	*b;
	size_t			 n;
	size_t			 size;
};

static struct keys_map keys_table[KEYS_NMAPS];

static int
keys_map_index(const char *name)
{
	size_t	 i;

	for (i = 0; i < KEYS_NMAPS; i++) {
		if (strcmp(keys_maps[i], name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* The one code of keys that arrive as several (Enter, Backspace). */
static int
keys_canonical(int key)
{
	if (key == '\n' || key == KEY_ENTER)
		return ('\r');
	if (key == 127)
		return (KEY_BACKSPACE);
	return (key);
}

const char *
keys_action_name(enum action a)
{
	if ((int)a < 0 || a >= ACTION__COUNT)
		return ("none");
	return (keys_action_names[a]);
}

const char *
keys_action_help(enum action a)
{
	if ((int)a < 0 || a >= ACTION__COUNT)
		return ("");
	return (keys_action_helps[a]);
}

enum action
keys_action_find(const char *name)
{
	int	 i;

	for (i = 0; i < ACTION__COUNT; i++) {
		if (strcmp(keys_action_names[i], name) == 0)
			return ((enum action)i);
	}
	return ((enum action)-1);
}

const char *
keys_name(int key, char *buf, size_t size)
{
	size_t	 i;
	int	 n;

	key = keys_canonical(key);
	for (i = 0; i < sizeof keys_named / sizeof keys_named[0]; i++) {
		if (keys_named[i].key == key) {
			snprintf(buf, size, "%s", keys_named[i].name);
			return (buf);
		}
	}
	for (n = 1; n <= 12; n++) {
		if (key == KEY_F(n)) {
			snprintf(buf, size, "F%d", n);
			return (buf);
		}
	}
	if (key >= 1 && key <= 26)
		snprintf(buf, size, "C-%c", 'a' + key - 1);
	else if (key > 32 && key < 127)
		snprintf(buf, size, "%c", key);
	else
		snprintf(buf, size, "<%d>", key);
	return (buf);
}

int
keys_parse(const char *name)
{
	size_t	 i;
	char	*end;
	long	 n;

	if (name == NULL || *name == '\0')
		return (-1);
	if (name[1] == '\0') {
		if (name[0] > 32 && name[0] < 127)
			return (name[0]);
		return (-1);
	}
	for (i = 0; i < sizeof keys_named / sizeof keys_named[0]; i++) {
		if (strcasecmp(keys_named[i].name, name) == 0)
			return (keys_named[i].key);
	}
	if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' &&
	    name[1] <= '9') {
		n = strtol(name + 1, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 12)
			return (KEY_F(n));
		return (-1);
	}
	if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' &&
	    name[2] != '\0' && name[3] == '\0') {
		if (name[2] >= 'a' && name[2] <= 'z')
			return (name[2] - 'a' + 1);
		if (name[2] >= 'A' && name[2] <= 'Z')
			return (name[2] - 'A' + 1);
	}
	return (-1);
}

/* Binds key in map m to a, replacing its binding; ACTION_NONE removes. */
static void
keys_set(int m, int key, enum action a)
{
	struct keys_map	*map = &keys_table[m];
	size_t		 i;

	for (i = 0; i < map->n; i++) {
		if (map->b[i].key != key)
			continue;
		if (a == ACTION_NONE) {
			memmove(&map->b[i], &map->b[i + 1],
			    (map->n - i - 1) * sizeof map->b[0]);
			map->n--;
		} else
			map->b[i].action = a;
		return;
	}
	if (a == ACTION_NONE)
		return;
	if (map->n == map->size) {
		map->size = map->size == 0 ? 32 : map->size * 2;
		map->b = xreallocarray(map->b, map->size, sizeof map->b[0]);
	}
	map->b[map->n].map = keys_maps[m];
	map->b[map->n].key = key;
	map->b[map->n].action = a;
	map->n++;
}

int
keys_bind(const char *map, const char *key, const char *action,
    struct ufo_error *err)
{
	enum action	 a;
	int		 m, k;

	if ((m = keys_map_index(map)) == -1)
		return (err_set(err, UFO_EINVAL, "map", "no keymap \"%s\" "
		    "(generic, board, list, lanes, operation, run, diff, "
		    "rovers, signals, help)", map));
	if ((k = keys_parse(key)) == -1)
		return (err_set(err, UFO_EINVAL, "key", "no key \"%s\" (a "
		    "character, C-x, Enter, Esc, Tab, Space, Up, PgDn, F1, "
		    "…)", key));
	if ((int)(a = keys_action_find(action)) == -1)
		return (err_set(err, UFO_EINVAL, "action", "no action \"%s\"",
		    action));
	keys_set(m, k, a);
	return (0);
}

/* One `bind` line split into words; where names the line in errors. */
static int
keys_bind_words(int argc, char **argv, const char *where,
    struct ufo_error *err)
{
	struct ufo_error	 e;

	if (argc != 4)
		return (err_set(err, UFO_EINVAL, "bind", "%s: bind takes a "
		    "keymap, a key and an action (bind MAP KEY ACTION)",
		    where));
	if (keys_bind(argv[1], argv[2], argv[3], &e) == -1)
		return (err_set(err, UFO_EINVAL, e.field, "%s: %s", where,
		    e.message));
	return (0);
}

int
keys_init(const struct conf *conf, struct ufo_error *err)
{
	const struct conf_line	*l = NULL;
	char			*line, *argv[8], *p, *where;
	size_t			 i;
	int			 argc, rc;

	keys_free();
	for (i = 0; keys_defaults[i] != NULL; i++) {
		line = xstrdup(keys_defaults[i]);
		argc = 0;
		for (p = strtok(line, " "); p != NULL && argc < 8;
		    p = strtok(NULL, " "))
			argv[argc++] = p;
		where = xprintf("keys_defaults[%zu]", i);
		rc = keys_bind_words(argc, argv, where, err);
		free(where);
		free(line);
		if (rc == -1)
			return (-1);
	}
	if (conf == NULL)
		return (0);
	while ((l = conf_next_directive(conf, "bind", l)) != NULL) {
		where = xprintf("%s:%d", l->file, l->line);
		rc = keys_bind_words(l->argc, l->argv, where, err);
		free(where);
		if (rc == -1)
			return (-1);
	}
	return (0);
}

void
keys_free(void)
{
	size_t	 i;

	for (i = 0; i < KEYS_NMAPS; i++) {
		free(keys_table[i].b);
		memset(&keys_table[i], 0, sizeof keys_table[i]);
	}
}

static enum action
keys_find(int m, int key)
{
	const struct keys_map	*map = &keys_table[m];
	size_t			 i;

	for (i = 0; i < map->n; i++) {
		if (map->b[i].key == key)
			return (map->b[i].action);
	}
	return (ACTION_NONE);
}

enum action
keys_lookup(const char *map, int key)
{
	enum action	 a = ACTION_NONE;
	int		 m;

	key = keys_canonical(key);
	if (map != NULL && (m = keys_map_index(map)) > 0)
		a = keys_find(m, key);
	if (a == ACTION_NONE)
		a = keys_find(0, key);
	return (a);
}

size_t
keys_list(const char *map, struct keys_binding **out)
{
	const struct keys_map	*own = NULL, *gen = &keys_table[0];
	size_t			 n = 0, i;
	int			 m;

	m = map != NULL ? keys_map_index(map) : 0;
	if (m > 0)
		own = &keys_table[m];
	*out = xcalloc((own != NULL ? own->n : 0) + gen->n + 1,
	    sizeof **out);
	for (i = 0; own != NULL && i < own->n; i++)
		(*out)[n++] = own->b[i];
	for (i = 0; i < gen->n; i++) {
		/* A key the view binds itself hides the generic one. */
		if (m > 0 && keys_find(m, gen->b[i].key) != ACTION_NONE)
			continue;
		(*out)[n++] = gen->b[i];
	}
	return (n);
}
