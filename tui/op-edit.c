/*
 * Editing an operation's title, body and comments in $EDITOR (editor.h),
 * for the CLI and the board alike.
 */
#include <stdlib.h>
#include <string.h>

#include "editor.h"
#include "jsonx.h"
#include "op-edit.h"
#include "xmalloc.h"

char *
op_edit_text(struct json_object *op, const char *name)
{
	const char	*title, *body;

	if ((title = jsonx_str(op, "title")) == NULL)
		title = "";
	if ((body = jsonx_str(op, "body")) == NULL)
		body = "";
	/*
	 * Bodies are Markdown, where '#' starts a heading: below the title
	 * and body only the scissors line ends the text, so no line of the
	 * body is lost.
	 */
	return (xprintf("%s\n\n%s%s\n%s\n# Edit %s above: the first line is "
	    "the title, the rest the body.\n# This line and everything below "
	    "it are ignored; an empty title aborts.\n", title, body,
	    *body != '\0' ? "\n" : "", EDITOR_SCISSORS, name));
}

/* Whether two texts differ once trailing white space is set aside. */
static int
op_edit_differs(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	while (la > 0 && strchr(" \t\r\n", a[la - 1]) != NULL)
		la--;
	while (lb > 0 && strchr(" \t\r\n", b[lb - 1]) != NULL)
		lb--;
	return (la != lb || memcmp(a, b, la) != 0);
}

int
op_edit_patch(struct json_object *op, const char *edited,
    struct json_object *patch)
{
	const char	*title, *body;
	char		*text, *t, *b;

	text = editor_strip(edited, 0);
	editor_split(text, &t, &b);
	free(text);
	if (*t == '\0') {
		free(t);
		free(b);
		return (-1);
	}
	if ((title = jsonx_str(op, "title")) == NULL)
		title = "";
	if ((body = jsonx_str(op, "body")) == NULL)
		body = "";
	if (strcmp(t, title) != 0)
		json_object_object_add(patch, "title",
		    json_object_new_string(t));
	if (op_edit_differs(b, body))
		json_object_object_add(patch, "body",
		    json_object_new_string(b));
	free(t);
	free(b);
	return (0);
}

char *
op_edit_comment(const char *name)
{
	return (xprintf("\n\n# Write a comment on %s. Lines starting with # "
	    "are ignored; an empty comment aborts.\n", name));
}

char *
op_edit_trim(const char *s)
{
	const char	*line;
	size_t		 len;

	/* Blank lines go; the first line keeps its indentation (code). */
	for (line = s; *s != '\0'; s++) {
		if (*s == '\n')
			line = s + 1;
		else if (strchr(" \t\r", *s) == NULL)
			break;
	}
	if (*s == '\0')
		line = s;
	len = strlen(line);
	while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL)
		len--;
	return (xstrndup(line, len));
}
