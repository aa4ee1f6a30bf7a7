/*
 * An operation's text in $EDITOR, the same from the CLI (ufo op edit,
 * ufo op comment) and the board (edit, comment): the text the editor
 * starts from, and what the text written asks for.
 */
#ifndef UFO_OP_EDIT_H
#define UFO_OP_EDIT_H

#include <json-c/json.h>

/* The title and body of op to edit, with name in the help lines. */
char	*op_edit_text(struct json_object *, const char *);
/*
 * Adds to patch the title and body of the edited text that differ from
 * op's; -1 when the title is empty (the edit is aborted).
 */
int	 op_edit_patch(struct json_object *, const char *,
	     struct json_object *);
/* The text a comment on name starts from. */
char	*op_edit_comment(const char *);
/* Text without blank lines at its edges, nor trailing white space. */
char	*op_edit_trim(const char *);

#endif
