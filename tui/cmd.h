/*
 * The ufo CLI's commands. Each command is one const struct cmd_entry (like
 * tmux's cmd_entry): its words, its usage string, the options it takes and
 * the function that runs it. The same usage string feeds `ufo help`,
 * `ufo help CMD` and the "usage:" line of a usage error.
 */
#ifndef UFO_CMD_H
#define UFO_CMD_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "error.h"

struct client;
struct cmd;

/* Keys of long options without a one-letter form, above any char. */
enum cmd_opt {
	CMD_OPT_HELP = 256,
	CMD_OPT_JSON,
	CMD_OPT_PARENT,
	CMD_OPT_NO_START,
	CMD_OPT_ARCHIVED,
	CMD_OPT_ALL,
	CMD_OPT_BEFORE,
	CMD_OPT_AFTER,
	CMD_OPT_REPO,
	CMD_OPT_BRANCH,
	CMD_OPT_KIND,
	CMD_OPT_MODEL,
	CMD_OPT_ARG,
	CMD_OPT_CRED,
	CMD_OPT_NO_CRED,
	CMD_OPT_ENV,
	CMD_OPT_MAX_TURNS,
	CMD_OPT_TIMEOUT,
	CMD_OPT_COLOR,
	CMD_OPT_EXPIRES,
	CMD_OPT_SINCE,
	CMD_OPT_USES,
	CMD_OPT_TAG,
	CMD_OPT_NAME,
	CMD_OPT_UNITS,
	CMD_OPT_ACCEPT_NEW,
	CMD_OPT_DIRECT,
	CMD_OPT_EMAIL,
	CMD_OPT_ROLE
};

/* What exec returns; also the process exit status. */
enum cmd_retval {
	CMD_RETURN_NORMAL = 0,
	CMD_RETURN_ERROR = 1,
	CMD_RETURN_USAGE = 2
};

#define CMD_NOSERVER	0x1	/* never talks to ufod (help) */
#define CMD_NOSTART	0x2	/* talks to ufod but never starts it */
#define CMD_INORDER	0x4	/* options end at the first argument */
#define CMD_SERVERARG	0x8	/* its first argument is the server's URL */

struct cmd_entry {
	const char		*name;		/* "op" */
	const char		*sub;		/* "create", or NULL */
	const char		*usage;		/* after "ufo op create" */
	const char		*opts;		/* getopt short options */
	const struct option	*longopts;	/* NULL or {0}-terminated */
	int			 lower;		/* fewest arguments */
	int			 upper;		/* most, -1 for no limit */
	int			 flags;
	const char		*help;		/* a line for `ufo help CMD` */
	enum cmd_retval		 (*exec)(struct cmd *);
};

struct cmd_value {
	int		 key;		/* short option char or enum cmd_opt */
	const char	*value;		/* NULL for flags */
};

/* One parsed invocation, handed to exec. */
struct cmd {
	const struct cmd_entry	*entry;
	int			 argc;		/* positional arguments */
	char			**argv;
	struct cmd_value	*values;	/* options, in given order */
	size_t			 nvalues;
	struct client		*client;	/* NULL for CMD_NOSERVER */
	int			 json;		/* --json */
};

extern const struct cmd_entry cmd_op_create_entry;
extern const struct cmd_entry cmd_op_list_entry;
extern const struct cmd_entry cmd_op_show_entry;
extern const struct cmd_entry cmd_op_edit_entry;
extern const struct cmd_entry cmd_op_move_entry;
extern const struct cmd_entry cmd_op_archive_entry;
extern const struct cmd_entry cmd_op_unarchive_entry;
extern const struct cmd_entry cmd_op_assign_entry;
extern const struct cmd_entry cmd_op_comment_entry;
extern const struct cmd_entry cmd_op_label_entry;
extern const struct cmd_entry cmd_op_relate_entry;
extern const struct cmd_entry cmd_op_unrelate_entry;
extern const struct cmd_entry cmd_mission_create_entry;
extern const struct cmd_entry cmd_mission_list_entry;
extern const struct cmd_entry cmd_mission_show_entry;
extern const struct cmd_entry cmd_pilot_create_entry;
extern const struct cmd_entry cmd_pilot_list_entry;
extern const struct cmd_entry cmd_pilot_show_entry;
extern const struct cmd_entry cmd_run_list_entry;
extern const struct cmd_entry cmd_run_show_entry;
extern const struct cmd_entry cmd_run_logs_entry;
extern const struct cmd_entry cmd_run_diff_entry;
extern const struct cmd_entry cmd_run_cancel_entry;
extern const struct cmd_entry cmd_run_retry_entry;
extern const struct cmd_entry cmd_rover_code_entry;
extern const struct cmd_entry cmd_rover_list_entry;
extern const struct cmd_entry cmd_rover_show_entry;
extern const struct cmd_entry cmd_rover_edit_entry;
extern const struct cmd_entry cmd_rover_remove_entry;
extern const struct cmd_entry cmd_rover_add_entry;
extern const struct cmd_entry cmd_ssh_key_entry;
extern const struct cmd_entry cmd_label_list_entry;
extern const struct cmd_entry cmd_label_create_entry;
extern const struct cmd_entry cmd_cred_set_entry;
extern const struct cmd_entry cmd_cred_list_entry;
extern const struct cmd_entry cmd_cred_rm_entry;
extern const struct cmd_entry cmd_pilot_edit_entry;
extern const struct cmd_entry cmd_token_create_entry;
extern const struct cmd_entry cmd_token_list_entry;
extern const struct cmd_entry cmd_token_revoke_entry;
extern const struct cmd_entry cmd_login_entry;
extern const struct cmd_entry cmd_join_entry;
extern const struct cmd_entry cmd_passwd_entry;
extern const struct cmd_entry cmd_fleet_create_entry;
extern const struct cmd_entry cmd_fleet_list_entry;
extern const struct cmd_entry cmd_fleet_rename_entry;
extern const struct cmd_entry cmd_fleet_rm_entry;
extern const struct cmd_entry cmd_member_list_entry;
extern const struct cmd_entry cmd_member_role_entry;
extern const struct cmd_entry cmd_member_rm_entry;
extern const struct cmd_entry cmd_invite_list_entry;
extern const struct cmd_entry cmd_invite_revoke_entry;
extern const struct cmd_entry cmd_invite_entry;
extern const struct cmd_entry cmd_server_start_entry;
extern const struct cmd_entry cmd_server_stop_entry;
extern const struct cmd_entry cmd_server_status_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_help_entry;

/* Every command, in help order; NULL-terminated (tui/ufo.c). */
extern const struct cmd_entry *const cmd_table[];

/* tui/cmd.c: parsing an invocation and reading its options. */
int		 cmd_parse(const struct cmd_entry *, int, char **, struct cmd *,
		     char **);
void		 cmd_free(struct cmd *);
const char	*cmd_get(const struct cmd *, int);
size_t		 cmd_count(const struct cmd *, int);
const char	*cmd_next(const struct cmd *, int, size_t *);

/*
 * A kind of object the user names by id, by a unique prefix of its id
 * (with or without the type prefix) or, when name is set, by its name.
 */
struct cmd_kind {
	const char	*noun;		/* "run", for messages */
	const char	*path;		/* "/runs": GET path/ID, and the list */
	const char	*prefix;	/* "run_" */
	const char	*name;		/* a unique name key, or NULL */
};

/* tui/cmd.c: finding objects by what the user typed. */
int		 cmd_resolve(struct cmd *, const struct cmd_kind *,
		     const char *, struct json_object **, struct ufo_error *);
char		*cmd_short_id(const char *);

/* tui/cmd.c: messages and exit codes. */
char		*cmd_usage_line(const struct cmd_entry *);
void		 cmd_print_usage(const struct cmd_entry *, FILE *);
void		 cmd_error(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
enum cmd_retval	 cmd_usage(const struct cmd *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
enum cmd_retval	 cmd_fail(const struct ufo_error *);
/*
 * Prints what an answer holds once (a token, a code, a key): the whole
 * answer with --json, else its key's value alone. -1 (said on stderr)
 * when the answer lacks it.
 */
int		 cmd_print_field(const struct cmd *, struct json_object *,
		     const char *);
/*
 * The items of a listing to show as a table; NULL when the command is
 * done (the error said, or the items printed for --json), with *retval.
 */
struct json_object *cmd_list_items(const struct cmd *, const char *,
		     enum cmd_retval *);

/* tui/cmd.c: values of options. */
int		 cmd_priority_parse(const char *, int64_t *);
const char	*cmd_priority_name(int64_t);
int		 cmd_duration_parse(const char *, int64_t *);
enum cmd_retval	 cmd_body_expires(const struct cmd *, struct json_object *);
enum cmd_retval	 cmd_body_tags(const struct cmd *, struct json_object *);
int		 cmd_number_parse(const char *, int64_t, int64_t, int64_t *);
int		 cmd_read_stdin(char **, struct ufo_error *);
enum cmd_retval	 cmd_print_object(const struct cmd *, struct json_object *);
/* An API time to the minute ("2026-11-23 18:00"), allocated; "-" if none. */
char		*cmd_date_minutes(const char *);

/* tui/cmd-op.c: shared with the no-argument listing in tui/ufo.c. */
void		 cmd_op_print_table(struct json_object *);
void		 cmd_op_print_grouped(struct json_object *);

#endif
