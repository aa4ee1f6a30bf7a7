/*
 * Pilot kinds: one table entry per agent CLI (claude, codex, goose) and
 * for the shell and command pilots, with how to build its argv and
 * environment, how to read each line it prints, and how to judge how it
 * ended. pilot-KIND.c holds each entry.
 *
 * A line of output becomes zero or more typed messages (text, thinking,
 * tool_use, tool_result, error, usage). A line that says nothing typed -
 * bookkeeping events, unknown types, garbage, truncated JSON - is kept as
 * a "log" message with the raw line: nothing is dropped, nothing is fatal.
 */
#ifndef UFO_ROVER_PILOT_H
#define UFO_ROVER_PILOT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Longest string a message field may carry; longer ones are clipped. */
#define PILOT_MAX_FIELD		(128U * 1024)
/* How much of a text pilot's stdout the final message keeps (the end). */
#define PILOT_MAX_FINAL		(16U * 1024)

/* A NULL-terminated vector of strings (argv, or "NAME=value" env). */
struct pilot_strv {
	char	**v;
	size_t	  n;
};

/*
 * Token counts. input_tokens counts every prompt token the model read,
 * cache hits included; cache_read_tokens is the part served from cache.
 */
struct pilot_usage {
	int64_t	 input_tokens;
	int64_t	 output_tokens;
	int64_t	 cache_read_tokens;
	double	 cost_usd;
	int	 have;		/* a usage report was seen */
	int	 have_cost;	/* the CLI reported a cost */
};

/* What the argv and environment builders get from a claim. */
struct pilot_spec {
	const char		*prompt;
	const char		*body;		/* the operation's body */
	const char		*model;		/* NULL: the CLI's default */
	const char *const	*args;		/* profile args, NULL-ended */
	const char		*session_id;	/* session to resume, or NULL */
	const char		*session_name;	/* goose: the -n name */
	int			 resume;	/* continue the session */
	int64_t			 max_turns;	/* 0: no limit */
	int			 root;		/* the rover runs as uid 0 */
};

/* Receives each message; owns data from then on. */
typedef void	(*pilot_emit_cb)(void *, const char *, struct json_object *);

struct pilot_entry;

/* What the parser knows about one run so far. */
struct pilot_state {
	const struct pilot_entry	*kind;
	pilot_emit_cb		 emit;
	void			*arg;

	char			*session_id;
	char			*final_message;	/* last assistant text */
	int			 failed;	/* the CLI reported failure */
	char			*error;		/* why, when failed */
	int			 done;		/* saw the end-of-run event */
	int			 exit_code;	/* set by pilot_state_finish */

	struct pilot_usage	 usage;		/* this run's usage */
	struct pilot_usage	 base;		/* cumulative before the run */
	struct pilot_usage	 last;		/* last cumulative report */

	size_t			 lines;		/* lines read */
	size_t			 messages;	/* messages emitted */
	char			*last_stderr;	/* last non-blank stderr line */

	/* codex: tool items already announced; last top-level error. */
	struct json_object	*started;
	char			*last_error;
	/* goose: text chunks of one assistant message, merged. */
	char			*pending_id;
	char			*pending_text;
	/* shell, command: the end of stdout. */
	char			*out;
	size_t			 outlen;
};

struct pilot_entry {
	const char	*name;
	/* Auto tag pilot:NAME only when `NAME --version` runs (else always). */
	int		 probe;
	/* Lines are JSON objects (else plain text). */
	int		 json;
	/* Whether cumulative usage needs the claim's previous totals. */
	int		 cumulative;
	/* Appends the argv; 0, or -1 with *cause set (allocated). */
	int		 (*argv)(const struct pilot_spec *, struct pilot_strv *,
			     char **);
	/* Adds "NAME=value" defaults to the environment (may be NULL). */
	void		 (*env)(const struct pilot_spec *, struct pilot_strv *);
	/*
	 * One stdout line (obj is the parsed object for JSON kinds, else
	 * NULL). Returns 1 when what it emitted (or holds back to merge)
	 * represents the line, 0 to have the raw line kept as a log.
	 */
	int		 (*line)(struct pilot_state *, struct json_object *,
			     const char *);
	/* End of output: emit what is held back (may be NULL). */
	void		 (*flush)(struct pilot_state *);
	/* Judges the run's end (may be NULL); wait status given. */
	void		 (*finish)(struct pilot_state *, int);
};

extern const struct pilot_entry	 pilot_claude;
extern const struct pilot_entry	 pilot_codex;
extern const struct pilot_entry	 pilot_goose;
extern const struct pilot_entry	 pilot_shell;
extern const struct pilot_entry	 pilot_command;

const struct pilot_entry	*pilot_find(const char *);
const struct pilot_entry	*pilot_at(size_t);

/* Builds argv and the environment additions of a run. */
int		 pilot_build_argv(const struct pilot_entry *,
		     const struct pilot_spec *, struct pilot_strv *, char **);
void		 pilot_build_env(const struct pilot_entry *,
		     const struct pilot_spec *, struct pilot_strv *);

void		 pilot_state_init(struct pilot_state *,
		     const struct pilot_entry *, pilot_emit_cb, void *);
void		 pilot_state_free(struct pilot_state *);
/* Previous cumulative totals of the session (cumulative kinds). */
void		 pilot_state_base(struct pilot_state *,
		     const struct pilot_usage *);
/* Feeds one line of stdout (no newline; any bytes). */
void		 pilot_state_stdout(struct pilot_state *, const char *,
		     size_t);
/* Feeds one line of stderr: a log message. */
void		 pilot_state_stderr(struct pilot_state *, const char *,
		     size_t);
/*
 * Output ended and the pilot exited with this wait status: flushes what
 * is held back and sets failed / error / exit_code.
 */
void		 pilot_state_finish(struct pilot_state *, int);

/* For the pilot-*.c parsers. */
void		 pilot_emit(struct pilot_state *, const char *,
		     struct json_object *);
void		 pilot_emit_text(struct pilot_state *, const char *,
		     const char *);
void		 pilot_emit_error(struct pilot_state *, const char *);
void		 pilot_emit_usage(struct pilot_state *,
		     const struct pilot_usage *);
void		 pilot_set_final(struct pilot_state *, const char *);
void		 pilot_set_session(struct pilot_state *, const char *);
void		 pilot_fail(struct pilot_state *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
/* Takes in a cumulative report: emits the step, updates the run's usage. */
void		 pilot_cumulative(struct pilot_state *,
		     const struct pilot_usage *);
/* The text of a tool result's content (string, or blocks of text). */
char		*pilot_content_text(struct json_object *);
/* Whether a wait status is a clean exit 0. */
int		 pilot_exited_ok(int);
/* The prompt as an argument: one starting with "-" gets a space first. */
const char	*pilot_prompt_arg(const char *, char **);
/* Shell and command: stdout lines are text; the end is the final message. */
int		 pilot_text_line(struct pilot_state *, struct json_object *,
		     const char *);
void		 pilot_text_finish(struct pilot_state *, int);

void		 pilot_strv_add(struct pilot_strv *, const char *);
void		 pilot_strv_addf(struct pilot_strv *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
void		 pilot_strv_free(struct pilot_strv *);
/* Appends the profile args. */
void		 pilot_strv_args(struct pilot_strv *, const char *const *);

/* Copies len bytes as valid UTF-8 (bad bytes become U+FFFD). */
char		*pilot_utf8(const char *, size_t);
/* Clips a string to at most max bytes at a character boundary. */
char		*pilot_clip(const char *, size_t);

#endif
