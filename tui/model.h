/*
 * What the board knows: the fleet's live operations, missions, pilots,
 * crews, members, rovers, unread signals and the latest run of each
 * operation, as the API answers them (json-c objects), loaded once and
 * then kept current by applying the change feed's events. Views read it;
 * only the main loop changes it.
 */
#ifndef UFO_MODEL_H
#define UFO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

struct client;
struct model;

/* What an event changed (model_apply's answer), for views to redraw. */
#define MODEL_OPS	0x01
#define MODEL_RUNS	0x02
#define MODEL_ROVERS	0x04
#define MODEL_SIGNALS	0x08
#define MODEL_MISSIONS	0x10
#define MODEL_PILOTS	0x20	/* pilots, crews, members */
#define MODEL_COMMENTS	0x40	/* a comment on model_changed_op() */

/* Which operations a view shows; NULL or 0 fields do not filter. */
struct model_filter {
	char	*text;		/* in code, title or body, any case */
	char	*label;
	char	*assignee;	/* "pilot:x", "user:x", "crew:x", "none" */
	char	*mission;	/* key */
	int	 hidden;	/* show blocked and cancelled too */
};

struct model	*model_create(void);
void		 model_free(struct model *);

/* (Re)loads everything through client; the last event id is kept. */
int		 model_load(struct model *, struct client *,
		     struct ufo_error *);
/*
 * model_load reads the first page of operations of each status; the rest
 * loads behind the board: model_next_page gives the path of a page to GET
 * (and its status; NULL when none is due), model_add_page adds its answer
 * (copies older than what the feed brought meanwhile are skipped).
 * model_loading is 1 until every page is in.
 */
int		 model_loading(const struct model *);
char		*model_next_page(struct model *, int *);
int		 model_add_page(struct model *, int, struct json_object *);
/* The id of the last event the loaded state includes (for the feed). */
int64_t		 model_last_event(const struct model *);
/* Applies one change feed event (kind, its JSON data); MODEL_* flags. */
int		 model_apply(struct model *, int64_t, const char *,
		     const char *);
/* The operation id the last model_apply was about, or NULL. */
const char	*model_changed_op(const struct model *);

/* Live operations in board order: status rank, then position. */
size_t		 model_ops(const struct model *, struct json_object ***);
/* The status (enum op_status) of the i-th of model_ops, without JSON. */
int		 model_ops_status(const struct model *, size_t);
struct json_object *model_op(const struct model *, const char *);
/* Whether f keeps every operation (hidden aside). */
int		 model_filter_empty(const struct model_filter *);
int		 model_filter_match(const struct model_filter *,
		     struct json_object *);
void		 model_filter_clear(struct model_filter *);
/* Parses "text label:x assignee:y mission:Z" into f (cleared first). */
void		 model_filter_parse(struct model_filter *, const char *);

/* The latest run of an operation (by id), or NULL. */
struct json_object *model_op_run(const struct model *, const char *);

/* Arrays, in the API's order; not owned by the caller. */
struct json_object *model_missions(const struct model *);
struct json_object *model_pilots(const struct model *);
struct json_object *model_crews(const struct model *);
struct json_object *model_members(const struct model *);
struct json_object *model_rovers(const struct model *);
struct json_object *model_ssh_hosts(const struct model *);
/* Signals, newest first, read ones included; and how many are unread. */
struct json_object *model_signals(const struct model *);
size_t		 model_unread(const struct model *);

/* The fleet's name and the caller's email, for the status line. */
const char	*model_fleet(const struct model *);
const char	*model_me(const struct model *);

#endif
