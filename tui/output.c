#include <sys/ioctl.h>

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "jsonx.h"
#include "output.h"
#include "xmalloc.h"

/* Columns between table cells. */
#define OUTPUT_GAP		2
/* A cut title keeps at least this many columns. */
#define OUTPUT_FLEX_MIN		12
/* Width of field names in "name: value" lines. */
#define OUTPUT_FIELD_WIDTH	11

/* What stdout is, decided once by output_init (a process singleton). */
static struct {
	int	 tty;
	int	 colour;
	int	 utf8;
	size_t	 columns;
} output;

struct output_cell {
	char		*text;		/* printable */
	size_t		 width;
	const char	*sgr;
};

struct output_row {
	int			 section;
	struct output_cell	*cells;
	size_t			 ncells;
};

struct output_table {
	size_t			 ncols;
	const char *const	*headers;
	struct output_row	*rows;
	size_t			 nrows;
	int			 flex;		/* -1 for none */
	size_t			 indent;
};

/* Operation statuses, then run statuses, then rover states. */
static const struct {
	const char	*status;
	const char	*sgr;
} output_status_colours[] = {
	{ "backlog", "2" },
	{ "todo", "34" },
	{ "in_progress", "33" },
	{ "in_review", "35" },
	{ "done", "32" },
	{ "blocked", "31" },
	{ "cancelled", "2" },
	{ "queued", "34" },
	{ "claimed", "33" },
	{ "running", "33" },
	{ "succeeded", "32" },
	{ "failed", "31" },
	{ "online", "32" },
	{ "busy", "33" },
	{ "offline", "2" },
	{ "revoked", "31" },
};

void
output_init(void)
{
	struct winsize	 ws;
	const char	*s;
	long		 n;
	char		*end;

	output.tty = isatty(STDOUT_FILENO);
	s = getenv("NO_COLOR");
	output.colour = output.tty && (s == NULL || *s == '\0');
	s = nl_langinfo(CODESET);
	output.utf8 = s != NULL && (strcasecmp(s, "UTF-8") == 0 ||
	    strcasecmp(s, "UTF8") == 0);
	output.columns = 0;
	if (!output.tty)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		output.columns = ws.ws_col;
	else if ((s = getenv("COLUMNS")) != NULL &&
	    (n = strtol(s, &end, 10)) > 0 && *end == '\0' && n < 100000)
		output.columns = (size_t)n;
	else
		output.columns = 80;
}

int
output_tty(void)
{
	return (output.tty);
}

int
output_colour(void)
{
	return (output.colour);
}

int
output_utf8(void)
{
	return (output.utf8);
}

size_t
output_columns(void)
{
	return (output.columns);
}

int
output_json(struct json_object *obj)
{
	int	 flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (output.tty)
		flags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
	else
		flags |= JSON_C_TO_STRING_PLAIN;
	if (puts(json_object_to_json_string_ext(obj, flags)) == EOF)
		return (-1);
	return (0);
}

/*
 * Walks s one character at a time: appends a printable form to out (when
 * not NULL) and returns the display width. Control characters become a
 * space (tab, newline, carriage return) or '?', as do characters with no
 * width; bytes that do not decode are '?' in a UTF-8 locale and passed
 * through in any other.
 */
static size_t
output_scan(const char *s, int keep, char **out)
{
	mbstate_t	 st;
	wchar_t		 wc;
	size_t		 n, len, width = 0, used = 0;
	const char	*p = s;
	char		*buf = NULL;
	int		 w;

	len = strlen(s);
	if (out != NULL)
		buf = xmalloc(len * 3 + 1);	/* '?' for a byte at most */
	memset(&st, 0, sizeof st);
	while (*p != '\0') {
		n = mbrtowc(&wc, p, len - (size_t)(p - s), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof st);
			if (buf != NULL)
				buf[used++] = output.utf8 ? '?' : *p;
			width++;
			p++;
			continue;
		}
		if (wc < 0x20 || (wc >= 0x7f && wc < 0xa0)) {
			if (keep && (wc == '\n' || wc == '\t')) {
				if (buf != NULL)
					buf[used++] = (char)wc;
			} else if (buf != NULL)
				buf[used++] = (wc == '\t' || wc == '\n' ||
				    wc == '\r') ? ' ' : '?';
			width++;
			p += n;
			continue;
		}
		if ((w = wcwidth(wc)) < 0) {
			if (buf != NULL)
				buf[used++] = '?';
			width++;
		} else {
			if (buf != NULL) {
				memcpy(buf + used, p, n);
				used += n;
			}
			width += (size_t)w;
		}
		p += n;
	}
	if (buf != NULL) {
		buf[used] = '\0';
		*out = buf;
	}
	return (width);
}

size_t
output_width(const char *s)
{
	return (output_scan(s, 0, NULL));
}

char *
output_clean(const char *s, int keep)
{
	char	*out;

	output_scan(s, keep, &out);
	return (out);
}

char *
output_cut(const char *s, size_t max)
{
	const char	*ell = output.utf8 ? "\xe2\x80\xa6" : ".";
	char		*clean, *out;
	const char	*p;
	mbstate_t	 st;
	wchar_t		 wc;
	size_t		 n, len, width = 0;
	int		 w;

	clean = output_clean(s, 0);
	if (output_width(clean) <= max)
		return (clean);
	if (max == 0) {
		free(clean);
		return (xstrdup(""));
	}
	/* The clean string decodes cleanly, except in a non-UTF-8 locale. */
	len = strlen(clean);
	memset(&st, 0, sizeof st);
	for (p = clean; *p != '\0'; p += n) {
		n = mbrtowc(&wc, p, len - (size_t)(p - clean), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof st);
			n = 1;
			w = 1;
		} else if ((w = wcwidth(wc)) < 0)
			w = 1;
		if (width + (size_t)w > max - 1)
			break;
		width += (size_t)w;
	}
	out = xprintf("%.*s%s", (int)(p - clean), clean, ell);
	free(clean);
	return (out);
}

const char *
output_status_sgr(const char *status)
{
	size_t	 i;

	for (i = 0; status != NULL && i < sizeof output_status_colours /
	    sizeof output_status_colours[0]; i++) {
		if (strcmp(output_status_colours[i].status, status) == 0)
			return (output_status_colours[i].sgr);
	}
	return (NULL);
}

void
output_sgr(const char *text, const char *sgr)
{
	char	*clean;

	clean = output_clean(text, 0);
	if (output.colour && sgr != NULL)
		printf("\033[%sm%s\033[0m", sgr, clean);
	else
		fputs(clean, stdout);
	free(clean);
}

size_t
output_lines(const char *text, const char *first, const char *rest,
    const char *sgr, size_t max)
{
	char	*clean, *line, *next;
	size_t	 n = 0, left = 0;

	clean = output_clean(text, 1);
	for (line = clean; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (next == NULL && *line == '\0' && n > 0)
			break;
		if (max != 0 && n == max) {
			left++;
			continue;
		}
		fputs(n == 0 ? first : rest, stdout);
		if (output.colour && sgr != NULL && *line != '\0')
			printf("\033[%sm%s\033[0m\n", sgr, line);
		else
			printf("%s\n", line);
		n++;
	}
	free(clean);
	return (left);
}

int64_t
output_time(const char *ts)
{
	struct tm	 tm;
	time_t		 t;

	if (ts == NULL)
		return (-1);
	memset(&tm, 0, sizeof tm);
	if (strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return (-1);
	if ((t = timegm(&tm)) == (time_t)-1)
		return (-1);
	return ((int64_t)t);
}

char *
output_span(int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		return (xprintf("%llds", (long long)secs));
	if (secs < 600)
		return (xprintf("%lldm%02llds", (long long)(secs / 60),
		    (long long)(secs % 60)));
	if (secs < 3600)
		return (xprintf("%lldm", (long long)(secs / 60)));
	if (secs < 36000)
		return (xprintf("%lldh%02lldm", (long long)(secs / 3600),
		    (long long)(secs / 60 % 60)));
	if (secs < 86400)
		return (xprintf("%lldh", (long long)(secs / 3600)));
	return (xprintf("%lldd", (long long)(secs / 86400)));
}

double
output_cost(struct json_object *usage)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(usage, "cost_usd", &v) ||
	    (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int)))
		return (-1);
	return (json_object_get_double(v));
}

char *
output_usage(struct json_object *usage, const char *sep, int cached)
{
	char	*s, *next;

	s = xprintf("%lld in%s%lld out",
	    (long long)jsonx_int(usage, "input_tokens", 0), sep,
	    (long long)jsonx_int(usage, "output_tokens", 0));
	if (cached) {
		next = xprintf("%s%s%lld cached", s, sep,
		    (long long)jsonx_int(usage, "cache_read_tokens", 0));
		free(s);
		s = next;
	}
	if (output_cost(usage) >= 0) {
		next = xprintf("%s%s$%.4f", s, sep, output_cost(usage));
		free(s);
		s = next;
	}
	return (s);
}

char *
output_tool_input(struct json_object *input)
{
	static const char *const keys[] = {
		"command", "cmd", "file_path", "path", "pattern", "url",
		"query", "description", "prompt"
	};
	struct json_object	*v;
	char			*s = NULL;
	size_t			 i;

	if (input == NULL)
		return (xstrdup(""));
	if (json_object_is_type(input, json_type_string))
		s = xstrdup(json_object_get_string(input));
	for (i = 0; s == NULL && i < sizeof keys / sizeof keys[0]; i++) {
		if (!json_object_object_get_ex(input, keys[i], &v))
			continue;
		if (json_object_is_type(v, json_type_string))
			s = xstrdup(json_object_get_string(v));
		else if (json_object_is_type(v, json_type_array))
			/* An argv, as codex gives commands. */
			s = xstrdup(jsonx_compact(v));
	}
	if (s == NULL)
		s = xstrdup(jsonx_compact(input));
	s[strcspn(s, "\n")] = '\0';
	return (s);
}

char *
output_tool_output(struct json_object *result)
{
	struct json_object	*block;
	const char		*text;
	char			*out = NULL, *next;
	size_t			 i, n;

	if (result == NULL)
		return (xstrdup(""));
	if (json_object_is_type(result, json_type_string))
		return (xstrdup(json_object_get_string(result)));
	if (json_object_is_type(result, json_type_array)) {
		n = json_object_array_length(result);
		for (i = 0; i < n; i++) {
			block = json_object_array_get_idx(result, i);
			if ((text = jsonx_str(block, "text")) == NULL)
				continue;
			next = xprintf("%s%s%s", out != NULL ? out : "",
			    out != NULL ? "\n" : "", text);
			free(out);
			out = next;
		}
		if (out != NULL)
			return (out);
	}
	return (xstrdup(jsonx_compact(result)));
}

void
output_field(const char *name, const char *value)
{
	output_field_sgr(name, value, NULL);
}

void
output_field_sgr(const char *name, const char *value, const char *sgr)
{
	printf("%s:%*s ", name, (int)(OUTPUT_FIELD_WIDTH -
	    (strlen(name) < OUTPUT_FIELD_WIDTH ? strlen(name) :
	    OUTPUT_FIELD_WIDTH)), "");
	output_sgr(value != NULL && *value != '\0' ? value : "-",
	    value != NULL && *value != '\0' ? sgr : NULL);
	putchar('\n');
}

void
output_text(const char *text, const char *indent)
{
	char	*clean, *line, *next;

	clean = output_clean(text, 1);
	for (line = clean; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (next == NULL && *line == '\0')
			break;
		if (*line == '\0')
			putchar('\n');
		else
			printf("%s%s\n", indent, line);
	}
	free(clean);
}

struct output_table *
output_table_create(size_t ncols, const char *const *headers)
{
	struct output_table	*t;

	t = xcalloc(1, sizeof *t);
	t->ncols = ncols;
	t->headers = headers;
	t->flex = -1;
	return (t);
}

void
output_table_flex(struct output_table *t, size_t col)
{
	t->flex = (int)col;
}

void
output_table_indent(struct output_table *t, size_t indent)
{
	t->indent = indent;
}

static struct output_row *
output_table_add(struct output_table *t, int section)
{
	struct output_row	*r;

	t->rows = xreallocarray(t->rows, t->nrows + 1, sizeof *t->rows);
	r = &t->rows[t->nrows++];
	r->section = section;
	r->ncells = 0;
	r->cells = xcalloc(section ? 1 : t->ncols, sizeof *r->cells);
	return (r);
}

void
output_table_section(struct output_table *t, const char *text,
    const char *sgr)
{
	struct output_row	*r;

	r = output_table_add(t, 1);
	r->cells[0].text = output_clean(text, 0);
	r->cells[0].sgr = sgr;
	r->ncells = 1;
}

void
output_table_row(struct output_table *t)
{
	output_table_add(t, 0);
}

void
output_table_cell(struct output_table *t, const char *text, const char *sgr)
{
	struct output_row	*r;
	struct output_cell	*cell;

	if (t->nrows == 0 || t->rows[t->nrows - 1].section)
		output_table_row(t);
	r = &t->rows[t->nrows - 1];
	if (r->ncells == t->ncols)
		return;
	cell = &r->cells[r->ncells++];
	cell->text = output_clean(text != NULL ? text : "", 0);
	cell->width = output_width(cell->text);
	cell->sgr = sgr;
}

/* Appends one cell, padded to width unless it ends the line. */
static void
output_table_put(FILE *f, const char *text, size_t width, size_t pad,
    const char *sgr)
{
	if (output.colour && sgr != NULL && *text != '\0')
		fprintf(f, "\033[%sm%s\033[0m", sgr, text);
	else
		fputs(text, f);
	for (; width < pad; width++)
		fputc(' ', f);
}

/* Prints one line with trailing blanks removed. */
static void
output_table_line(struct output_table *t, const char *const *text,
    const size_t *widths, const size_t *cols, const char *const *sgr)
{
	char	*buf = NULL;
	size_t	 size = 0, len, last, i;
	FILE	*f;

	if ((f = open_memstream(&buf, &size)) == NULL)
		return;
	fprintf(f, "%*s", (int)t->indent, "");
	/* The last non-empty cell is not padded. */
	for (last = t->ncols; last > 0 && *text[last - 1] == '\0'; last--)
		;
	for (i = 0; i < last; i++) {
		output_table_put(f, text[i], widths[i],
		    i + 1 < last ? cols[i] + OUTPUT_GAP : 0, sgr[i]);
	}
	fclose(f);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == ' ')
		buf[--len] = '\0';
	puts(buf);
	free(buf);
}

void
output_table_print(struct output_table *t)
{
	struct output_row	*r;
	const char		**text, **sgr;
	char			**cut;
	size_t			*cols, *widths, i, j, total, want;

	if (t->nrows == 0)
		return;
	cols = xcalloc(t->ncols, sizeof *cols);
	widths = xcalloc(t->ncols, sizeof *widths);
	text = xcalloc(t->ncols, sizeof *text);
	sgr = xcalloc(t->ncols, sizeof *sgr);
	cut = xcalloc(t->ncols, sizeof *cut);

	for (j = 0; t->headers != NULL && j < t->ncols; j++)
		cols[j] = output_width(t->headers[j]);
	for (i = 0; i < t->nrows; i++) {
		r = &t->rows[i];
		for (j = 0; !r->section && j < r->ncells; j++) {
			if (r->cells[j].width > cols[j])
				cols[j] = r->cells[j].width;
		}
	}

	/* On a terminal, the flexible column gives way so lines fit. */
	if (t->flex >= 0 && output.columns > 0) {
		total = t->indent;
		for (j = 0; j < t->ncols; j++)
			total += cols[j] + (j + 1 < t->ncols ? OUTPUT_GAP : 0);
		if (total > output.columns) {
			want = total - output.columns;
			if (cols[t->flex] > OUTPUT_FLEX_MIN + want)
				cols[t->flex] -= want;
			else if (cols[t->flex] > OUTPUT_FLEX_MIN)
				cols[t->flex] = OUTPUT_FLEX_MIN;
		}
	}

	if (t->headers != NULL) {
		for (j = 0; j < t->ncols; j++) {
			text[j] = t->headers[j];
			widths[j] = output_width(t->headers[j]);
			sgr[j] = OUTPUT_SGR_HEADER;
		}
		output_table_line(t, text, widths, cols, sgr);
	}
	for (i = 0; i < t->nrows; i++) {
		r = &t->rows[i];
		if (r->section) {
			output_sgr(r->cells[0].text, r->cells[0].sgr);
			putchar('\n');
			continue;
		}
		for (j = 0; j < t->ncols; j++) {
			text[j] = "";
			widths[j] = 0;
			sgr[j] = NULL;
			if (j >= r->ncells)
				continue;
			text[j] = r->cells[j].text;
			widths[j] = r->cells[j].width;
			sgr[j] = r->cells[j].sgr;
			if ((int)j == t->flex && widths[j] > cols[j]) {
				cut[j] = output_cut(text[j], cols[j]);
				text[j] = cut[j];
				widths[j] = output_width(cut[j]);
			}
		}
		output_table_line(t, text, widths, cols, sgr);
		for (j = 0; j < t->ncols; j++) {
			free(cut[j]);
			cut[j] = NULL;
		}
	}
	free(cut);
	free(sgr);
	free(text);
	free(widths);
	free(cols);
}

void
output_table_free(struct output_table *t)
{
	size_t	 i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows; i++) {
		for (j = 0; j < t->rows[i].ncells; j++)
			free(t->rows[i].cells[j].text);
		free(t->rows[i].cells);
	}
	free(t->rows);
	free(t);
}

/*
 * Appends to out the strings of obj[key] that are wanted, each after sep:
 * all when prefix is NULL, else those without it (want 0) or, with it cut
 * off, those with it (want 1).
 */
static char *
output_join(char *out, struct json_object *obj, const char *key,
    const char *sep, const char *prefix, int want)
{
	struct json_object	*array, *e;
	const char		*s;
	char			*next;
	size_t			 i, n, plen = prefix != NULL ? strlen(prefix) : 0;

	if (!json_object_object_get_ex(obj, key, &array) ||
	    !json_object_is_type(array, json_type_array))
		return (out);
	n = json_object_array_length(array);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(array, i);
		if (!json_object_is_type(e, json_type_string))
			continue;
		s = json_object_get_string(e);
		if (prefix != NULL) {
			if ((strncmp(s, prefix, plen) == 0) != want)
				continue;
			if (want)
				s += plen;
		}
		next = xprintf("%s%s%s", out, *out != '\0' ? sep : "", s);
		free(out);
		out = next;
	}
	return (out);
}

char *
output_labels(struct json_object *op, const char *sep)
{
	return (output_join(xstrdup(""), op, "labels", sep, NULL, 0));
}

char *
output_tags(struct json_object *rover, enum output_tags which,
    const char *sep)
{
	static const char *const pilot = "pilot:";
	char			*out = xstrdup("");

	switch (which) {
	case OUTPUT_TAGS_OWN:
		return (output_join(out, rover, "tags", sep, NULL, 0));
	case OUTPUT_TAGS_AUTO:
		return (output_join(out, rover, "auto_tags", sep, NULL, 0));
	case OUTPUT_TAGS_PLAIN:
	case OUTPUT_TAGS_PILOTS:
		out = output_join(out, rover, "tags", sep, pilot,
		    which == OUTPUT_TAGS_PILOTS);
		return (output_join(out, rover, "auto_tags", sep, pilot,
		    which == OUTPUT_TAGS_PILOTS));
	case OUTPUT_TAGS_ALL:
	default:
		out = output_join(out, rover, "tags", sep, NULL, 0);
		return (output_join(out, rover, "auto_tags", sep, NULL, 0));
	}
}

char *
output_ago(const char *ts, int64_t now)
{
	int64_t	 then;
	char	*span, *s;

	if ((then = output_time(ts)) == -1)
		return (NULL);
	span = output_span(now > then ? now - then : 0);
	s = xprintf("%s ago", span);
	free(span);
	return (s);
}
