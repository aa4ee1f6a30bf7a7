/*
 * Shell pilots run scripted operations: `/bin/sh -c SCRIPT` in the work
 * dir, where the script is the operation's body (a resume run, started
 * by a comment, runs the comment). Stdout lines are text, the end of
 * stdout is the final message, and the exit status is the verdict.
 */
#include <stdlib.h>

#include "pilot.h"

static int
pilot_shell_argv(const struct pilot_spec *spec, struct pilot_strv *sv,
    char **cause)
{
	const char	*script = spec->prompt;

	if (!spec->resume && spec->body != NULL && *spec->body != '\0')
		script = spec->body;
	pilot_strv_add(sv, "/bin/sh");
	pilot_strv_add(sv, "-c");
	pilot_strv_add(sv, script);
	return (0);
}

const struct pilot_entry pilot_shell = {
	.name = "shell",
	.argv = pilot_shell_argv,
	.line = pilot_text_line,
	.finish = pilot_text_finish,
};
