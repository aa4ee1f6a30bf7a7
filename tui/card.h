/*
 * How an operation and its latest run look in the cards and rows of the
 * board's views (board, list, lanes, signals, rovers): the priority mark,
 * the run's state in a word and a colour, times, the cursor's colour;
 * and what opening a card or an action on it does.
 */
#ifndef UFO_CARD_H
#define UFO_CARD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "keys.h"
#include "tui-curses.h"

struct tui;

/* The mark of an operation's priority ("!!", "!", "=", "-", or "" for
 * none) and the attributes to draw it with. */
const char	*card_priority(struct json_object *, int *);
/*
 * The state of an operation's latest run at now, allocated, and its
 * attributes: "queued", "claimed", "running 3m12s", "needs input",
 * "failed" (brief: "3m12s", "input"); NULL when there is none to show (no
 * run, or it ended well or was cancelled).
 */
char		*card_run_state(struct json_object *, time_t, int, int *);
/* How long a run has run: "45s", "3m05s", "1h02m". */
char		*card_duration(int64_t);
/* How long ago ts was at now, in at most four columns: "45s", "12m",
 * "3h", "5d"; "-" when ts is no time. */
void		 card_age(const char *, time_t, char *, size_t);
/* attr on the cursor's line (when on): the cursor's colour wins. */
int		 card_attr(int, int);
/* Whether an operation's code or title holds needle, in any case. */
int		 card_matches(struct json_object *, const char *);
/*
 * Enter on a card opens its operation; view-run and view-diff its latest
 * run or its diff (op NULL: none under the cursor). 1 when the action is
 * one of these.
 */
int		 card_open(struct tui *, struct json_object *, enum action);
/*
 * An action on the card under the cursor (op NULL: none), in the column of
 * status and the mission (either NULL: none; create makes its operation
 * there): card_open's, else actions_op's. 1 when taken.
 */
int		 card_action(struct tui *, struct json_object *, enum action,
		     const char *, const char *);

#endif
