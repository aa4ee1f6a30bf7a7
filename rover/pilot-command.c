/*
 * Command pilots: the profile's args are the argv, and every "{prompt}"
 * in them is replaced by the prompt (as a whole argument or inside one,
 * "--message={prompt}"). Stdout lines are text, the end of stdout is the
 * final message, and the exit status is the verdict.
 */
#include <stdlib.h>
#include <string.h>

#include "pilot.h"
#include "xmalloc.h"

#define PILOT_COMMAND_PLACEHOLDER	"{prompt}"

static char *
pilot_command_subst(const char *arg, const char *prompt)
{
	const char	*p, *at;
	char		*out = NULL, *tmp;
	size_t		 plen = strlen(PILOT_COMMAND_PLACEHOLDER);

	out = xstrdup("");
	for (p = arg; (at = strstr(p, PILOT_COMMAND_PLACEHOLDER)) != NULL;
	    p = at + plen) {
		tmp = out;
		out = xprintf("%s%.*s%s", tmp, (int)(at - p), p, prompt);
		free(tmp);
	}
	tmp = out;
	out = xprintf("%s%s", tmp, p);
	free(tmp);
	return (out);
}

static int
pilot_command_argv(const struct pilot_spec *spec, struct pilot_strv *sv,
    char **cause)
{
	size_t	 i;
	char	*arg;

	if (spec->args == NULL || spec->args[0] == NULL ||
	    *spec->args[0] == '\0') {
		*cause = xstrdup("command: the pilot has no args to run (give "
		    "the command and its arguments, with {prompt} where the "
		    "prompt goes)");
		return (-1);
	}
	for (i = 0; spec->args[i] != NULL; i++) {
		arg = pilot_command_subst(spec->args[i], spec->prompt);
		pilot_strv_add(sv, arg);
		free(arg);
	}
	return (0);
}

const struct pilot_entry pilot_command = {
	.name = "command",
	.argv = pilot_command_argv,
	.line = pilot_text_line,
	.finish = pilot_text_finish,
};
