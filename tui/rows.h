/*
 * Rows under a cursor that scroll, with a search: the rows of the list,
 * rovers and signals views and of each board column. The view keeps the
 * rows themselves; this keeps where the cursor is (and the id of its row,
 * so that the cursor stays on it when rows come, go or move), which rows
 * are in sight, and the search.
 */
#ifndef UFO_ROWS_H
#define UFO_ROWS_H

#include <stddef.h>

#include <json-c/json.h>

#include "keys.h"

struct tui;
struct view;

/* A search ("/" forward, "?" back); find-next goes its way. */
struct rows_search {
	char	*text;
	int	 back;
};

/* The i-th row's object (its "id" names it); whether it matches needle. */
typedef struct json_object *(*rows_get_cb)(void *, size_t);
typedef int	(*rows_match_cb)(void *, struct json_object *, const char *);

struct rows {
	struct view		*view;		/* made dirty by a move */
	void			*arg;		/* for get and match */
	rows_get_cb		 get;
	rows_match_cb		 match;		/* NULL: no search */
	size_t			 n;		/* the view sets it */
	size_t			 cursor;
	size_t			 top;		/* the first in sight */
	int			 height;	/* rows in sight at the last draw */
	int			 lines;		/* lines a row takes */
	char			*cursor_id;
	struct rows_search	 search;
};

void	 rows_init(struct rows *, struct view *, void *, rows_get_cb,
	     rows_match_cb, int);
void	 rows_free(struct rows *);
/* Puts the cursor on row i (clamped) and remembers its row's id. */
void	 rows_set_cursor(struct rows *, size_t);
/*
 * After the rows changed, the cursor goes back to its row: the one that
 * is the given object (compared as pointers: no JSON is read per row), or
 * the one with its id; when its row left, it stays where it was.
 */
void	 rows_follow_object(struct rows *, struct json_object *);
void	 rows_follow_id(struct rows *);
/* Before drawing height rows: the cursor's row comes in sight. */
void	 rows_scroll(struct rows *, int);
/* Up, down, page-up, page-down, first, last; 1 when a is one of them. */
int	 rows_move(struct rows *, enum action);
/* rows_move's, and search, search-back, find-next and find-prev. */
int	 rows_action(struct rows *, enum action);
/* A click on line y of the view (line 0 holds the headers); 1 when it
 * put the cursor on a row. */
int	 rows_click(struct rows *, int);

/* Compares the string key of two rows' objects (none as ""), in any case
 * when fold is set: for sorting rows. */
int	 rows_compare(struct json_object *, struct json_object *,
	     const char *, int);

/* Asks for a search; 0 when one was given. */
int	 rows_search_ask(struct tui *, struct rows_search *, int);
void	 rows_search_free(struct rows_search *);

#endif
