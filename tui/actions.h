/*
 * What the board does to operations and runs, whichever view the key was
 * pressed in (board, list, lanes, operation): create, edit, move, raise,
 * lower, assign, priority, label, comment, archive, start, cancel, retry.
 * Every action goes through the same API as the CLI (client_request);
 * destructive ones ask first; failures go to the status line. The view
 * redraws when the change feed brings the result.
 */
#ifndef UFO_ACTIONS_H
#define UFO_ACTIONS_H

#include <json-c/json.h>

#include "keys.h"

struct tui;

/*
 * Runs action on op (an operation object of the model; NULL when the view
 * has none under the cursor, e.g. for create). status is the column the
 * cursor is in, for create (NULL: backlog). 1 when action is one of
 * these, 0 when it is not.
 */
int	 actions_op(struct tui *, enum action, struct json_object *,
	     const char *);
/*
 * Creates an operation (a title prompt, then the body in $EDITOR) in
 * status and mission; NULL for backlog and the fleet's default mission.
 */
int	 actions_create_in(struct tui *, const char *, const char *);
/* Marks a signal read (MARK_READ) or all of them (MARK_ALL_READ). */
int	 actions_signal(struct tui *, enum action, struct json_object *);

#endif
