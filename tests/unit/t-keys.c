/*
 * The board's keymaps: key names read back as they are written, bad
 * `bind` lines are refused naming their part, ufo.conf's lines override
 * the defaults, and the defaults bind every action somewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "keys.h"
#include "tui-curses.h"
#include "tap.h"

static const char *const names[] = {
	"a", "Z", "0", "?", "/", ".", "[", "}", "C-a", "C-d", "C-z", "Enter",
	"Esc", "Tab", "S-Tab", "Space", "Backspace", "Del", "Ins", "Up",
	"Down", "Left", "Right", "PgUp", "PgDn", "Home", "End", "F1", "F5",
	"F12", NULL
};

static const char *const bad[] = {
	"", "F13", "F0", "C-", "C-ab", "Foo", "ab", "C-1", NULL
};

static int
bound_somewhere(enum action a)
{
	static const char *const maps[] = { KEYS_MAPS };
	struct keys_binding	*b;
	size_t			 i, j, n;
	int			 found = 0;

	for (i = 0; i < sizeof maps / sizeof maps[0] && !found; i++) {
		n = keys_list(maps[i], &b);
		for (j = 0; j < n; j++) {
			if (b[j].action == a)
				found = 1;
		}
		free(b);
	}
	return (found);
}

int
main(void)
{
	struct ufo_error	 err;
	struct conf		 conf;
	char			 buf[32], path[] = "/tmp/t-keys.XXXXXX", *msg;
	FILE			*f;
	size_t			 i;
	int			 fd, a, all;

	/* Names round trip. */
	for (i = 0; names[i] != NULL; i++) {
		msg = NULL;
		is_str(keys_name(keys_parse(names[i]), buf, sizeof buf),
		    names[i], names[i]);
	}
	for (i = 0; bad[i] != NULL; i++)
		is_int(keys_parse(bad[i]), -1, "a bad key name is refused");
	is_int(keys_parse("enter"), '\r', "named keys in any case");
	is_int(keys_parse("c-x"), 24, "c-x is C-x");
	is_str(keys_name('\n', buf, sizeof buf), "Enter", "\\n is Enter");
	is_str(keys_name(KEY_ENTER, buf, sizeof buf), "Enter",
	    "KEY_ENTER is Enter");
	is_str(keys_name(127, buf, sizeof buf), "Backspace",
	    "DEL is Backspace");

	/* Actions by name. */
	for (a = 1; a < ACTION__COUNT; a++) {
		if (keys_action_find(keys_action_name(a)) != (enum action)a)
			break;
	}
	is_int(a, ACTION__COUNT, "every action is found by its name");
	is_int(keys_action_find("none"), ACTION_NONE, "none is no action");
	is_int((int)keys_action_find("frobnicate"), -1, "an unknown action");

	/* The defaults. */
	ok(keys_init(NULL, &err) == 0, "the defaults load");
	for (a = 1, all = 1; a < ACTION__COUNT; a++) {
		if (!bound_somewhere(a)) {
			printf("# %s is not bound\n", keys_action_name(a));
			all = 0;
		}
	}
	ok(all, "the defaults bind every action");
	is_int(keys_lookup("board", 'j'), ACTION_DOWN, "board falls back on "
	    "generic");
	is_int(keys_lookup("board", '/'), ACTION_FILTER, "board's / filters");
	is_int(keys_lookup("run", '/'), ACTION_SEARCH, "run's / searches");
	is_int(keys_lookup("board", '\n'), ACTION_ENTER, "\\n is Enter");
	is_int(keys_lookup("board", KEY_ENTER), ACTION_ENTER,
	    "KEY_ENTER is Enter");
	is_int(keys_lookup("nosuchmap", 'q'), ACTION_BACK,
	    "an unknown map is generic");

	/* bind and its errors. */
	ok(keys_bind("board", "j", "up", &err) == 0, "bind board j up");
	is_int(keys_lookup("board", 'j'), ACTION_UP, "board j is up now");
	is_int(keys_lookup("list", 'j'), ACTION_DOWN, "list j still down");
	ok(keys_bind("generic", "q", "none", &err) == 0, "unbind q");
	is_int(keys_lookup("board", 'q'), ACTION_NONE, "q is unbound");
	ok(keys_bind("nomap", "j", "up", &err) == -1 &&
	    strcmp(err.field, "map") == 0 && strstr(err.message, "nomap"),
	    "an unknown keymap is named");
	ok(keys_bind("board", "F99", "up", &err) == -1 &&
	    strcmp(err.field, "key") == 0 && strstr(err.message, "F99"),
	    "an unknown key is named");
	ok(keys_bind("board", "j", "jump", &err) == -1 &&
	    strcmp(err.field, "action") == 0 && strstr(err.message, "jump"),
	    "an unknown action is named");

	/* ufo.conf's bind lines come after the defaults; errors name lines. */
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		ok(0, "a temporary file");
		return (done_testing());
	}
	fprintf(f, "# keys\nbind board j up\nbind generic C-n down\n");
	fclose(f);
	conf_init(&conf);
	ok(conf_load(&conf, path, 1, &err) == 0, "the config loads");
	ok(keys_init(&conf, &err) == 0, "keys_init reads its bind lines");
	is_int(keys_lookup("board", 'j'), ACTION_UP, "ufo.conf wins");
	is_int(keys_lookup("run", 14), ACTION_DOWN, "C-n is down");
	is_int(keys_lookup("board", 'q'), ACTION_BACK, "defaults again");
	conf_free(&conf);

	f = fopen(path, "w");
	fprintf(f, "bind board j up\n\nbind board Hyper-x up\n");
	fclose(f);
	conf_init(&conf);
	ok(conf_load(&conf, path, 1, &err) == 0, "the bad config loads");
	ok(keys_init(&conf, &err) == -1, "a bad bind line fails");
	msg = strstr(err.message, ":3: ");
	ok(msg != NULL && strstr(err.message, path) != NULL &&
	    strstr(err.message, "Hyper-x") != NULL,
	    "the error names the file, the line and the key");
	printf("# %s\n", err.message);
	conf_free(&conf);

	f = fopen(path, "w");
	fprintf(f, "bind board j\n");
	fclose(f);
	conf_init(&conf);
	ok(conf_load(&conf, path, 1, &err) == 0 &&
	    keys_init(&conf, &err) == -1 && strstr(err.message, ":1: "),
	    "a short bind line fails");
	conf_free(&conf);
	unlink(path);
	keys_free();
	return (done_testing());
}
