#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "mask.h"
#include "xmalloc.h"

/* Lines of a multi-line value shorter than this are not patterns alone. */
#define MASK_PART_MIN	6

static void
mask_insert(struct mask *m, const char *p, size_t len)
{
	size_t	 i, at;

	if (len == 0)
		return;
	for (i = 0; i < m->n; i++) {
		if (strlen(m->v[i]) == len && memcmp(m->v[i], p, len) == 0)
			return;
	}
	for (at = 0; at < m->n && strlen(m->v[at]) >= len; at++)
		;
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof *m->v);
	m->v[at] = xstrndup(p, len);
	m->n++;
}

void
mask_add(struct mask *m, const char *value)
{
	struct json_object	*js;
	const char		*line, *nl, *esc;
	size_t			 len;

	if (value == NULL || *value == '\0')
		return;
	mask_insert(m, value, strlen(value));
	if (strchr(value, '\n') != NULL) {
		for (line = value; *line != '\0'; line = nl + 1) {
			if ((nl = strchr(line, '\n')) == NULL)
				nl = line + strlen(line);
			len = (size_t)(nl - line);
			if (len > 0 && line[len - 1] == '\r')
				len--;
			if (len >= MASK_PART_MIN)
				mask_insert(m, line, len);
			if (*nl == '\0')
				break;
		}
	}
	/* As a JSON string spells it, quotes off. */
	js = json_object_new_string(value);
	esc = jsonx_compact(js);
	len = strlen(esc);
	if (len >= 2 && (len - 2 != strlen(value) ||
	    memcmp(esc + 1, value, len - 2) != 0))
		mask_insert(m, esc + 1, len - 2);
	jsonx_wipe(js);
	json_object_put(js);
}

char *
mask_bytes(const struct mask *m, const char *in, size_t len, size_t *outlen)
{
	char		*out = NULL, *next;
	const char	*at, *src = in;
	size_t		 i, plen, cur = len, off, nlen;

	for (i = 0; i < m->n; i++) {
		plen = strlen(m->v[i]);
		off = 0;
		while (off + plen <= cur && (at = memmem(src + off, cur - off,
		    m->v[i], plen)) != NULL) {
			nlen = cur - plen + strlen(MASK_TEXT);
			next = xmalloc(nlen + 1);
			off = (size_t)(at - src);
			memcpy(next, src, off);
			memcpy(next + off, MASK_TEXT, strlen(MASK_TEXT));
			memcpy(next + off + strlen(MASK_TEXT), at + plen,
			    cur - off - plen);
			next[nlen] = '\0';
			if (out != NULL) {
				explicit_bzero(out, cur);
				free(out);
			}
			out = next;
			src = out;
			cur = nlen;
			off += strlen(MASK_TEXT);
		}
	}
	if (outlen != NULL)
		*outlen = cur;
	return (out);
}

void
mask_json(const struct mask *m, struct json_object *obj)
{
	const char	*s;
	char		*masked;
	size_t		 i, n, len;

	if (m->n == 0 || obj == NULL)
		return;
	switch (json_object_get_type(obj)) {
	case json_type_string:
		s = json_object_get_string(obj);
		len = (size_t)json_object_get_string_len(obj);
		if ((masked = mask_bytes(m, s, len, &len)) == NULL)
			break;
		explicit_bzero((char *)s, (size_t)json_object_get_string_len(
		    obj));
		json_object_set_string_len(obj, masked, (int)len);
		free(masked);
		break;
	case json_type_object:
		json_object_object_foreach(obj, key, val) {
			(void)key;
			mask_json(m, val);
		}
		break;
	case json_type_array:
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			mask_json(m, json_object_array_get_idx(obj, i));
		break;
	default:
		break;
	}
}

void
mask_free(struct mask *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++) {
		explicit_bzero(m->v[i], strlen(m->v[i]));
		free(m->v[i]);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
