/*
 * What the CLI prints: JSON documents, aligned tables measured in display
 * columns, "name: value" fields and blocks of text. Colour only on a
 * terminal and only without NO_COLOR; anything from the server is made
 * printable first so that it cannot drive the terminal.
 */
#ifndef UFO_OUTPUT_H
#define UFO_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* SGR parameters, named by what they mark. */
#define OUTPUT_SGR_HEADER	"1"
#define OUTPUT_SGR_HEADING	"1"
#define OUTPUT_SGR_CODE		"1"
#define OUTPUT_SGR_DIM		"2"
#define OUTPUT_SGR_ERROR	"31"
#define OUTPUT_SGR_TOOL		"1"
#define OUTPUT_SGR_DIFF_HEADER	"1"
#define OUTPUT_SGR_DIFF_ADD	"32"
#define OUTPUT_SGR_DIFF_DEL	"31"
#define OUTPUT_SGR_DIFF_HUNK	"36"

struct output_table;

/* Looks at stdout and the environment once; call before printing. */
void		 output_init(void);
int		 output_tty(void);
int		 output_colour(void);
/* Whether the locale's characters are UTF-8 (arrows, ellipses). */
int		 output_utf8(void);
/* The terminal's width in columns (stdout a tty), else 0: do not cut. */
size_t		 output_columns(void);

/* One JSON document and a newline: pretty on a tty, compact otherwise. */
int		 output_json(struct json_object *);

/* Display width, and a printable copy (newlines and tabs kept if asked). */
size_t		 output_width(const char *);
char		*output_clean(const char *, int);
/* A printable copy cut to at most the given width, ending in an ellipsis. */
char		*output_cut(const char *, size_t);

/* The colour of an operation or run status or a rover state, or NULL. */
const char	*output_status_sgr(const char *);
/* Prints text (printable) wrapped in the SGR when colour is on. */
void		 output_sgr(const char *, const char *);
/*
 * Prints text line by line, the first line after one prefix and the
 * others after another, each line wrapped in the SGR on its own (so a
 * pager shows it too). At most max lines when max is not 0; returns how
 * many were left out.
 */
size_t		 output_lines(const char *, const char *, const char *,
		     const char *, size_t);

/* Seconds since the epoch of an API timestamp, or -1. */
int64_t		 output_time(const char *);
/* A span of seconds, short: "45s", "3m05s", "12m", "2h05m", "3d". */
char		*output_span(int64_t);

/* The cost in USD of a usage object, or -1 when it says none. */
double		 output_cost(struct json_object *);
/*
 * The tokens and cost of a usage object ("12 in, 3 out, 40 cached,
 * $0.0123"), the parts joined by sep, the cached tokens when asked for.
 */
char		*output_usage(struct json_object *, const char *, int);
/*
 * What a tool call was about, on one line: the argument that says it
 * best (a command, a path, a pattern), else the arguments as JSON.
 */
char		*output_tool_input(struct json_object *);
/* The text of a tool's output: a string, content blocks, or JSON. */
char		*output_tool_output(struct json_object *);

/* "name:" padded, then the value ("-" when NULL). */
void		 output_field(const char *, const char *);
/* The same with the value in colour. */
void		 output_field_sgr(const char *, const char *, const char *);
/* A block of text, each line indented. */
void		 output_text(const char *, const char *);

struct output_table *output_table_create(size_t, const char *const *);
/* The column cut to fit the terminal (a title); the others never are. */
void		 output_table_flex(struct output_table *, size_t);
void		 output_table_indent(struct output_table *, size_t);
/* A line of its own (a group heading), kept in order among the rows. */
void		 output_table_section(struct output_table *, const char *,
		     const char *);
void		 output_table_row(struct output_table *);
void		 output_table_cell(struct output_table *, const char *,
		     const char *);
void		 output_table_print(struct output_table *);
void		 output_table_free(struct output_table *);

/* An operation's labels joined by sep ("" when it has none). */
char		*output_labels(struct json_object *, const char *);
/* Which of a rover's tags output_tags gives. */
enum output_tags {
	OUTPUT_TAGS_ALL,	/* its own, then the automatic ones */
	OUTPUT_TAGS_OWN,
	OUTPUT_TAGS_AUTO,
	OUTPUT_TAGS_PLAIN,	/* all but the pilot:KIND ones */
	OUTPUT_TAGS_PILOTS	/* the KIND of each pilot:KIND */
};
/* A rover's tags joined by sep ("" when it has none). */
char		*output_tags(struct json_object *, enum output_tags,
		     const char *);
/* "12s ago" at now (seconds since the epoch); NULL when ts is no time. */
char		*output_ago(const char *, int64_t);

#endif
