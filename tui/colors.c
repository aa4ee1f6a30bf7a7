/*
 * Colours by meaning: one colour pair per element, made from the table's
 * defaults (256 or 8 colours by what the terminal has) and the `color`
 * lines of ufo.conf. Without colour (NO_COLOR, a monochrome terminal) an
 * element is only its attributes.
 */
#include <stdlib.h>
#include <string.h>

#include "colors.h"
#include "conf.h"
#include "xmalloc.h"

struct colors_element {
	const char	*name;
	int		 fg256;
	int		 fg8;
	int		 bg;
	int		 attrs;
};

static const struct colors_element colors_table[] = {
#define X(e, n, f256, f8, bg, attr) { n, f256, f8, bg, attr },
	COLORS_ELEMENTS
#undef X
};

static const char *const colors_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"
};

static const struct colors_attr_name {
	const char	*name;
	int		 attr;
} colors_attr_names[] = {
	{ "normal",	0 },
	{ "bold",	A_BOLD },
	{ "dim",	A_DIM },
	{ "underline",	A_UNDERLINE },
	{ "reverse",	A_REVERSE },
	{ "standout",	A_STANDOUT },
	{ "blink",	A_BLINK },
	{ "italic",	A_ITALIC },
};

/* What each element is drawn with now; plain attributes before init. */
static int	 colors_attrs[COLOR__COUNT];
static int	 colors_fg[COLOR__COUNT];
static int	 colors_bg[COLOR__COUNT];
static int	 colors_on;
static int	 colors_ready;

const char *
colors_name(enum color_element e)
{
	if ((int)e < 0 || e >= COLOR__COUNT)
		return ("");
	return (colors_table[e].name);
}

int
colors_attr(enum color_element e)
{
	if ((int)e < 0 || e >= COLOR__COUNT)
		return (0);
	if (!colors_ready)
		return (colors_table[e].attrs);
	if (!colors_on)
		return (colors_attrs[e]);
	return (colors_attrs[e] | (int)COLOR_PAIR((int)e + 1));
}

/* A colour name or number; -1 for default; -2 when it names none. */
static int
colors_parse(const char *s)
{
	size_t	 i;
	char	*end;
	long	 n;

	if (strcmp(s, "default") == 0)
		return (-1);
	for (i = 0; i < sizeof colors_names / sizeof colors_names[0]; i++) {
		if (strcmp(s, colors_names[i]) == 0)
			return ((int)i);
	}
	n = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && n >= 0 && n <= 255)
		return ((int)n);
	return (-2);
}

/* Makes the pair of e from its colours, as far as the terminal can. */
static void
colors_apply(int e)
{
	int	 fg = colors_fg[e], bg = colors_bg[e];

	if (!colors_on)
		return;
	if (fg >= COLORS)
		fg = -1;
	if (bg >= COLORS)
		bg = -1;
	init_pair((short)(e + 1), (short)fg, (short)bg);
}

int
colors_set(int argc, char **argv, struct ufo_error *err)
{
	int	 e, fg, bg, attrs = 0, i;
	size_t	 j;

	if (argc < 4)
		return (err_set(err, UFO_EINVAL, "color", "color takes an "
		    "element, a foreground and a background (color ELEMENT "
		    "FG BG [ATTR…])"));
	for (e = 0; e < COLOR__COUNT; e++) {
		if (strcmp(colors_table[e].name, argv[1]) == 0)
			break;
	}
	if (e == COLOR__COUNT)
		return (err_set(err, UFO_EINVAL, "element", "no element "
		    "\"%s\"", argv[1]));
	if ((fg = colors_parse(argv[2])) == -2)
		return (err_set(err, UFO_EINVAL, "fg", "no colour \"%s\" (a "
		    "name, a number from 0 to 255, or default)", argv[2]));
	if ((bg = colors_parse(argv[3])) == -2)
		return (err_set(err, UFO_EINVAL, "bg", "no colour \"%s\" (a "
		    "name, a number from 0 to 255, or default)", argv[3]));
	for (i = 4; i < argc; i++) {
		for (j = 0; j < sizeof colors_attr_names /
		    sizeof colors_attr_names[0]; j++) {
			if (strcmp(colors_attr_names[j].name, argv[i]) == 0)
				break;
		}
		if (j == sizeof colors_attr_names / sizeof colors_attr_names[0])
			return (err_set(err, UFO_EINVAL, "attr", "no attribute "
			    "\"%s\" (bold, dim, underline, reverse, standout, "
			    "blink, italic or normal)", argv[i]));
		attrs |= colors_attr_names[j].attr;
	}
	colors_fg[e] = fg;
	colors_bg[e] = bg;
	/* An element with no colour must still stand out: keep its attrs. */
	if (attrs == 0 && argc == 4)
		attrs = colors_attrs[e];
	colors_attrs[e] = attrs;
	colors_apply(e);
	return (0);
}

int
colors_init(const struct conf *conf, struct ufo_error *err)
{
	const struct conf_line	*l = NULL;
	const char		*nc;
	struct ufo_error	 e;
	int			 i, c256;

	nc = getenv("NO_COLOR");
	colors_on = (nc == NULL || *nc == '\0') && has_colors();
	if (colors_on && start_color() == ERR)
		colors_on = 0;
	if (colors_on)
		use_default_colors();
	c256 = colors_on && COLORS >= 256;
	for (i = 0; i < COLOR__COUNT; i++) {
		colors_fg[i] = c256 ? colors_table[i].fg256 :
		    colors_table[i].fg8;
		colors_bg[i] = colors_table[i].bg;
		colors_attrs[i] = colors_table[i].attrs;
		colors_apply(i);
	}
	colors_ready = 1;
	if (conf == NULL)
		return (0);
	while ((l = conf_next_directive(conf, "color", l)) != NULL) {
		if (colors_set(l->argc, l->argv, &e) == -1)
			return (err_set(err, UFO_EINVAL, e.field, "%s:%d: %s",
			    l->file, l->line, e.message));
	}
	return (0);
}
