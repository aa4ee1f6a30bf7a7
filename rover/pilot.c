#include <sys/types.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "pilot.h"
#include "xmalloc.h"

/* Longest stderr line kept to explain a failure. */
#define PILOT_MAX_REASON	200

static const struct pilot_entry *const pilot_table[] = {
	&pilot_claude,
	&pilot_codex,
	&pilot_goose,
	&pilot_shell,
	&pilot_command,
};
#define PILOT_NKINDS	(sizeof pilot_table / sizeof pilot_table[0])

const struct pilot_entry *
pilot_find(const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < PILOT_NKINDS; i++) {
		if (strcmp(pilot_table[i]->name, name) == 0)
			return (pilot_table[i]);
	}
	return (NULL);
}

const struct pilot_entry *
pilot_at(size_t i)
{
	if (i >= PILOT_NKINDS)
		return (NULL);
	return (pilot_table[i]);
}

void
pilot_strv_add(struct pilot_strv *sv, const char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 2, sizeof *sv->v);
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

void
pilot_strv_addf(struct pilot_strv *sv, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		s = xstrdup("");
	sv->v = xreallocarray(sv->v, sv->n + 2, sizeof *sv->v);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
pilot_strv_free(struct pilot_strv *sv)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void
pilot_strv_args(struct pilot_strv *sv, const char *const *args)
{
	size_t	 i;

	for (i = 0; args != NULL && args[i] != NULL; i++)
		pilot_strv_add(sv, args[i]);
}

int
pilot_build_argv(const struct pilot_entry *kind, const struct pilot_spec *spec,
    struct pilot_strv *sv, char **cause)
{
	*cause = NULL;
	if (kind->argv(spec, sv, cause) == -1) {
		pilot_strv_free(sv);
		return (-1);
	}
	return (0);
}

void
pilot_build_env(const struct pilot_entry *kind, const struct pilot_spec *spec,
    struct pilot_strv *sv)
{
	if (kind->env != NULL)
		kind->env(spec, sv);
}

/* Length of the UTF-8 sequence at s (at most len bytes), 0 if invalid. */
static size_t
pilot_utf8_char(const unsigned char *s, size_t len)
{
	size_t		 n, i;
	unsigned int	 cp, min;

	if (s[0] < 0x80)
		return (s[0] == 0 ? 0 : 1);
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (n);
}

char *
pilot_utf8(const char *in, size_t len)
{
	const unsigned char	*s = (const unsigned char *)in;
	char			*out;
	size_t			 i, o, n;

	/* Each bad byte grows to three. */
	out = xmalloc(len * 3 + 1);
	for (i = o = 0; i < len; i += n) {
		if ((n = pilot_utf8_char(s + i, len - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
	}
	out[o] = '\0';
	return (out);
}

char *
pilot_clip(const char *s, size_t max)
{
	size_t	 len = strlen(s);

	if (len <= max)
		return (xstrdup(s));
	/* Back off to the start of a character. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (xprintf("%.*s\n[ufo-rover: %zu bytes clipped]", (int)max, s,
	    len - max));
}

/*
 * Keeps every message small enough to travel in a batch: long strings
 * are clipped, and a large non-string value (a tool's input) becomes the
 * clipped text of its JSON.
 */
static void
pilot_clip_data(struct json_object *data)
{
	struct json_object	*v;
	const char		*s;
	char			*c;
	size_t			 len;

	if (!json_object_is_type(data, json_type_object))
		return;
	json_object_object_foreach(data, key, val) {
		if (json_object_is_type(val, json_type_string)) {
			len = (size_t)json_object_get_string_len(val);
			if (len <= PILOT_MAX_FIELD)
				continue;
			c = pilot_clip(json_object_get_string(val),
			    PILOT_MAX_FIELD);
		} else if (json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array)) {
			s = json_object_to_json_string_ext(val,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			if (strlen(s) <= PILOT_MAX_FIELD)
				continue;
			c = pilot_clip(s, PILOT_MAX_FIELD);
		} else
			continue;
		v = json_object_new_string(c);
		free(c);
		/* Replacing a value keeps the key; safe inside foreach. */
		json_object_object_add(data, key, v);
	}
}

void
pilot_emit(struct pilot_state *st, const char *type, struct json_object *data)
{
	pilot_clip_data(data);
	st->messages++;
	if (st->emit != NULL)
		st->emit(st->arg, type, data);
	else
		json_object_put(data);
}

void
pilot_emit_text(struct pilot_state *st, const char *type, const char *text)
{
	struct json_object	*data;

	data = json_object_new_object();
	json_object_object_add(data, "text", json_object_new_string(text));
	pilot_emit(st, type, data);
}

void
pilot_emit_error(struct pilot_state *st, const char *message)
{
	struct json_object	*data;

	data = json_object_new_object();
	json_object_object_add(data, "message",
	    json_object_new_string(message));
	pilot_emit(st, "error", data);
}

static void
pilot_emit_log(struct pilot_state *st, const char *line, const char *stream)
{
	struct json_object	*data;

	data = json_object_new_object();
	json_object_object_add(data, "line", json_object_new_string(line));
	if (stream != NULL) {
		json_object_object_add(data, "stream",
		    json_object_new_string(stream));
	}
	pilot_emit(st, "log", data);
}

void
pilot_emit_usage(struct pilot_state *st, const struct pilot_usage *u)
{
	struct json_object	*data;

	data = json_object_new_object();
	json_object_object_add(data, "input_tokens",
	    json_object_new_int64(u->input_tokens));
	json_object_object_add(data, "output_tokens",
	    json_object_new_int64(u->output_tokens));
	json_object_object_add(data, "cache_read_tokens",
	    json_object_new_int64(u->cache_read_tokens));
	/* No cost is not a zero cost: codex and goose report none. */
	json_object_object_add(data, "cost_usd", u->have_cost ?
	    json_object_new_double(u->cost_usd) : NULL);
	pilot_emit(st, "usage", data);
}

void
pilot_set_final(struct pilot_state *st, const char *text)
{
	free(st->final_message);
	st->final_message = xstrdup(text);
}

void
pilot_set_session(struct pilot_state *st, const char *id)
{
	if (id == NULL || *id == '\0')
		return;
	if (st->session_id != NULL && strcmp(st->session_id, id) == 0)
		return;
	free(st->session_id);
	st->session_id = xstrdup(id);
}

void
pilot_fail(struct pilot_state *st, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	st->failed = 1;
	free(st->error);
	st->error = s != NULL ? pilot_clip(s, 1024) : xstrdup("failed");
	free(s);
}

static int64_t
pilot_step(int64_t now, int64_t before)
{
	/* Totals going down mean another session: count it whole. */
	return (now >= before ? now - before : now);
}

void
pilot_cumulative(struct pilot_state *st, const struct pilot_usage *cum)
{
	const struct pilot_usage	*prev;
	struct pilot_usage		 step;

	prev = st->last.have ? &st->last : &st->base;
	memset(&step, 0, sizeof step);
	step.have = 1;
	step.input_tokens = pilot_step(cum->input_tokens, prev->input_tokens);
	step.output_tokens = pilot_step(cum->output_tokens,
	    prev->output_tokens);
	step.cache_read_tokens = pilot_step(cum->cache_read_tokens,
	    prev->cache_read_tokens);
	if (cum->have_cost) {
		step.have_cost = 1;
		step.cost_usd = cum->cost_usd >= prev->cost_usd ?
		    cum->cost_usd - prev->cost_usd : cum->cost_usd;
	}
	pilot_emit_usage(st, &step);

	st->last = *cum;
	st->last.have = 1;
	st->usage.have = 1;
	st->usage.input_tokens = pilot_step(cum->input_tokens,
	    st->base.input_tokens);
	st->usage.output_tokens = pilot_step(cum->output_tokens,
	    st->base.output_tokens);
	st->usage.cache_read_tokens = pilot_step(cum->cache_read_tokens,
	    st->base.cache_read_tokens);
	if (cum->have_cost) {
		st->usage.have_cost = 1;
		st->usage.cost_usd = cum->cost_usd >= st->base.cost_usd ?
		    cum->cost_usd - st->base.cost_usd : cum->cost_usd;
	}
}

/* Appends a piece to a newline-separated text. */
static void
pilot_join(char **out, const char *piece)
{
	char	*tmp;

	if (*out == NULL) {
		*out = xstrdup(piece);
		return;
	}
	tmp = *out;
	*out = xprintf("%s\n%s", tmp, piece);
	free(tmp);
}

char *
pilot_content_text(struct json_object *content)
{
	struct json_object	*block;
	const char		*type, *text;
	char			*out = NULL, *tag;
	size_t			 i, n;

	if (content == NULL)
		return (xstrdup(""));
	if (json_object_is_type(content, json_type_string))
		return (xstrdup(json_object_get_string(content)));
	if (!json_object_is_type(content, json_type_array)) {
		return (xstrdup(json_object_to_json_string_ext(content,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	}
	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		block = json_object_array_get_idx(content, i);
		if (json_object_is_type(block, json_type_string))
			pilot_join(&out, json_object_get_string(block));
		else if ((text = jsonx_str(block, "text")) != NULL)
			pilot_join(&out, text);
		else {
			/* An image or other block: say that it was there. */
			type = jsonx_str(block, "type");
			tag = xprintf("[%s]", type != NULL ? type : "content");
			pilot_join(&out, tag);
			free(tag);
		}
	}
	return (out != NULL ? out : xstrdup(""));
}

/* Shared by shell and command: a stdout line is text; keep the tail. */
int
pilot_text_line(struct pilot_state *st, struct json_object *obj,
    const char *line)
{
	size_t	 len = strlen(line), drop;

	if (st->outlen + len + 1 > 4 * PILOT_MAX_FINAL) {
		drop = st->outlen + len + 1 - 4 * PILOT_MAX_FINAL;
		if (drop > st->outlen)
			drop = st->outlen;
		memmove(st->out, st->out + drop, st->outlen - drop);
		st->outlen -= drop;
	}
	st->out = xrealloc(st->out, st->outlen + len + 2);
	memcpy(st->out + st->outlen, line, len);
	st->outlen += len;
	st->out[st->outlen++] = '\n';
	st->out[st->outlen] = '\0';
	if (len > 0)
		pilot_emit_text(st, "text", line);
	return (1);
}

/* The final message of a text pilot: the end of its stdout. */
void
pilot_text_finish(struct pilot_state *st, int status)
{
	size_t	 start = 0, len = st->outlen;
	char	*s;

	while (len > 0 && (st->out[len - 1] == '\n' || st->out[len - 1] == ' '))
		len--;
	if (len == 0)
		return;
	if (len > PILOT_MAX_FINAL) {
		start = len - PILOT_MAX_FINAL;
		/* Start at a line, else at a character. */
		while (start < len && st->out[start - 1] != '\n' &&
		    start - (len - PILOT_MAX_FINAL) < 256)
			start++;
		while (start < len &&
		    ((unsigned char)st->out[start] & 0xc0) == 0x80)
			start++;
	}
	s = xstrndup(st->out + start, len - start);
	pilot_set_final(st, s);
	free(s);
}

void
pilot_state_init(struct pilot_state *st, const struct pilot_entry *kind,
    pilot_emit_cb emit, void *arg)
{
	memset(st, 0, sizeof *st);
	st->kind = kind;
	st->emit = emit;
	st->arg = arg;
	st->started = json_object_new_object();
}

void
pilot_state_free(struct pilot_state *st)
{
	free(st->session_id);
	free(st->final_message);
	free(st->error);
	free(st->last_stderr);
	json_object_put(st->started);
	free(st->last_error);
	free(st->pending_id);
	free(st->pending_text);
	free(st->out);
	memset(st, 0, sizeof *st);
}

void
pilot_state_base(struct pilot_state *st, const struct pilot_usage *base)
{
	st->base = *base;
	st->base.have = 0;
}

const char *
pilot_prompt_arg(const char *prompt, char **tmp)
{
	*tmp = NULL;
	if (prompt[0] != '-')
		return (prompt);
	*tmp = xprintf(" %s", prompt);
	return (*tmp);
}

int
pilot_exited_ok(int status)
{
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int
pilot_blank(const char *s)
{
	return (s[strspn(s, " \t\r\n\f\v")] == '\0');
}

void
pilot_state_stdout(struct pilot_state *st, const char *line, size_t len)
{
	struct json_object	*obj = NULL;
	char			*s;
	int			 taken = 0;

	st->lines++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	s = pilot_utf8(line, len);
	if (st->kind->json && pilot_blank(s)) {
		free(s);
		return;
	}
	if (st->kind->json) {
		obj = jsonx_parse(s, strlen(s), NULL);
		if (obj != NULL && json_object_is_type(obj, json_type_object))
			taken = st->kind->line(st, obj, s);
		json_object_put(obj);
	} else
		taken = st->kind->line(st, NULL, s);
	if (!taken) {
		/* What is held back came first. */
		if (st->kind->flush != NULL)
			st->kind->flush(st);
		pilot_emit_log(st, s, NULL);
	}
	free(s);
}

void
pilot_state_stderr(struct pilot_state *st, const char *line, size_t len)
{
	char	*s;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	s = pilot_utf8(line, len);
	if (pilot_blank(s)) {
		free(s);
		return;
	}
	free(st->last_stderr);
	st->last_stderr = pilot_clip(s, PILOT_MAX_REASON);
	pilot_emit_log(st, s, "stderr");
	free(s);
}

void
pilot_state_finish(struct pilot_state *st, int status)
{
	const char	*prefix = st->kind->json ? st->kind->name : NULL;
	char		*why;

	if (st->kind->flush != NULL)
		st->kind->flush(st);
	if (WIFEXITED(status))
		st->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		st->exit_code = 128 + WTERMSIG(status);
	else
		st->exit_code = -1;
	if (st->kind->finish != NULL)
		st->kind->finish(st, status);
	if (st->failed || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return;

	if (WIFEXITED(status))
		why = xprintf("exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		why = xprintf("killed by signal %d", WTERMSIG(status));
	else
		why = xprintf("ended with wait status %d", status);
	if (st->last_stderr != NULL)
		pilot_fail(st, "%s%s%s: %s", prefix != NULL ? prefix : "",
		    prefix != NULL ? ": " : "", why, st->last_stderr);
	else
		pilot_fail(st, "%s%s%s", prefix != NULL ? prefix : "",
		    prefix != NULL ? ": " : "", why);
	free(why);
}
