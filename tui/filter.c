#include <stdlib.h>

#include "filter.h"
#include "jsonx.h"
#include "model.h"
#include "tui.h"
#include "xmalloc.h"

char *
filter_text(const struct model_filter *f, int mission)
{
	const struct {
		const char	*prefix;
		const char	*value;
	} parts[] = {
		{ "", f->text },
		{ "label:", f->label },
		{ "assignee:", f->assignee },
		{ "mission:", mission ? f->mission : NULL }
	};
	char	*out = xstrdup(""), *next;
	size_t	 i;

	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (parts[i].value == NULL || *parts[i].value == '\0')
			continue;
		next = xprintf("%s%s%s%s", out, *out != '\0' ? " " : "",
		    parts[i].prefix, parts[i].value);
		free(out);
		out = next;
	}
	return (out);
}

int
filter_ask(struct tui *tui, struct model_filter *f)
{
	char	*initial, *s;
	int	 hidden = f->hidden, rc;

	initial = filter_text(f, 1);
	rc = tui_prompt(tui, "Filter: ", initial, &s);
	free(initial);
	if (rc != 0)
		return (-1);
	model_filter_parse(f, s);
	f->hidden = hidden;
	free(s);
	return (0);
}

int
filter_mission(struct tui *tui, struct model_filter *f)
{
	struct json_object	*missions, *ms;
	const char		**items, *key, *name;
	char			**owned;
	size_t			 i, n, sel = 0;
	int			 rc;

	missions = model_missions(tui_model(tui));
	n = missions != NULL ? json_object_array_length(missions) : 0;
	items = xcalloc(n + 1, sizeof *items);
	owned = xcalloc(n + 1, sizeof *owned);
	items[0] = "All missions";
	for (i = 0; i < n; i++) {
		ms = json_object_array_get_idx(missions, i);
		key = jsonx_str(ms, "key");
		name = jsonx_str(ms, "name");
		owned[i] = xprintf("%s  %s", key != NULL ? key : "?",
		    name != NULL ? name : "");
		items[i + 1] = owned[i];
	}
	if ((rc = tui_pick(tui, "Mission", items, n + 1, &sel)) == 0) {
		free(f->mission);
		f->mission = NULL;
		/* The missions may have changed while the box was open. */
		missions = model_missions(tui_model(tui));
		if (sel > 0 && missions != NULL &&
		    sel - 1 < json_object_array_length(missions) &&
		    (key = jsonx_str(json_object_array_get_idx(missions,
		    sel - 1), "key")) != NULL)
			f->mission = xstrdup(key);
	}
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(owned);
	free(items);
	return (rc);
}

void
filter_toggle_hidden(struct tui *tui, struct model_filter *f)
{
	f->hidden = !f->hidden;
	tui_message(tui, "%s blocked and cancelled", f->hidden ? "Showing" :
	    "Hiding");
}
