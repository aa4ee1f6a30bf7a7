#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "card.h"
#include "colors.h"
#include "jsonx.h"
#include "model.h"
#include "output.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

/* By priority: 0 (none), 1 (urgent) to 4 (low). */
static const struct {
	const char		*mark;
	enum color_element	 color;
} card_priorities[] = {
	{ "", COLOR_DEFAULT },
	{ "!!", COLOR_PRIORITY_URGENT },
	{ "!", COLOR_PRIORITY_HIGH },
	{ "=", COLOR_DEFAULT },
	{ "-", COLOR_PRIORITY_LOW }
};
#define CARD_NPRIORITIES (sizeof card_priorities / sizeof card_priorities[0])

const char *
card_priority(struct json_object *op, int *attr)
{
	int64_t	 p = jsonx_int(op, "priority", 0);

	if (p < 0 || p >= (int64_t)CARD_NPRIORITIES)
		p = 0;
	*attr = colors_attr(card_priorities[p].color);
	return (card_priorities[p].mark);
}

char *
card_duration(int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		return (xprintf("%llds", (long long)s));
	if (s < 3600)
		return (xprintf("%lldm%02llds", (long long)(s / 60),
		    (long long)(s % 60)));
	return (xprintf("%lldh%02lldm", (long long)(s / 3600),
	    (long long)(s % 3600 / 60)));
}

char *
card_run_state(struct json_object *run, time_t now, int brief, int *attr)
{
	const char	*status;
	char		*span, *s;
	int64_t		 since;

	if (run == NULL || (status = jsonx_str(run, "status")) == NULL)
		return (NULL);
	if (json_object_get_boolean(json_object_object_get(run,
	    "needs_input"))) {
		*attr = colors_attr(COLOR_RUN_NEEDS_INPUT);
		return (xstrdup(brief ? "input" : "needs input"));
	}
	if (strcmp(status, "queued") == 0 || strcmp(status, "claimed") == 0) {
		*attr = colors_attr(COLOR_RUN_QUEUED);
		return (xstrdup(status));
	}
	if (strcmp(status, "running") == 0) {
		*attr = colors_attr(COLOR_RUN_RUNNING);
		if ((since = output_time(jsonx_str(run, "started_at"))) == -1)
			return (xstrdup("running"));
		span = card_duration(now - since);
		s = brief ? xstrdup(span) : xprintf("running %s", span);
		free(span);
		return (s);
	}
	if (strcmp(status, "failed") == 0) {
		*attr = colors_attr(COLOR_RUN_FAILED);
		return (xstrdup("failed"));
	}
	return (NULL);
}

void
card_age(const char *ts, time_t now, char *buf, size_t len)
{
	int64_t	 t, d;

	if ((t = output_time(ts)) == -1) {
		snprintf(buf, len, "-");
		return;
	}
	d = now > t ? now - t : 0;
	if (d < 60)
		snprintf(buf, len, "%llds", (long long)d);
	else if (d < 3600)
		snprintf(buf, len, "%lldm", (long long)(d / 60));
	else if (d < 86400)
		snprintf(buf, len, "%lldh", (long long)(d / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(d / 86400));
}

int
card_attr(int attr, int on)
{
	int	 cur;

	if (!on)
		return (attr);
	cur = colors_attr(COLOR_CURSOR);
	if ((cur & A_COLOR) != 0)
		attr &= ~A_COLOR;
	return (attr | cur);
}

int
card_matches(struct json_object *op, const char *needle)
{
	const char	*s;

	if ((s = jsonx_str(op, "code")) != NULL &&
	    strcasestr(s, needle) != NULL)
		return (1);
	return ((s = jsonx_str(op, "title")) != NULL &&
	    strcasestr(s, needle) != NULL);
}

int
card_open(struct tui *tui, struct json_object *op, enum action a)
{
	struct json_object	*run;
	const char		*id;

	if (a != ACTION_ENTER && a != ACTION_VIEW_RUN && a != ACTION_VIEW_DIFF)
		return (0);
	if (op == NULL) {
		tui_message(tui, "No operation here");
		return (1);
	}
	if (a == ACTION_ENTER) {
		tui_open(tui, &view_op_class, jsonx_str(op, "code"));
		return (1);
	}
	run = model_op_run(tui_model(tui), jsonx_str(op, "id"));
	if (run == NULL || (id = jsonx_str(run, "id")) == NULL) {
		tui_message(tui, "%s has no run", jsonx_str(op, "code"));
		return (1);
	}
	tui_open(tui, a == ACTION_VIEW_DIFF ? &view_diff_class :
	    &view_run_class, id);
	return (1);
}

int
card_action(struct tui *tui, struct json_object *op, enum action a,
    const char *status, const char *mission)
{
	int	 done;

	if (card_open(tui, op, a))
		return (1);
	if (a == ACTION_CREATE) {
		actions_create_in(tui, status, mission);
		return (1);
	}
	/* Held while the action's prompts let events replace it. */
	json_object_get(op);
	done = actions_op(tui, a, op, status);
	json_object_put(op);
	return (done);
}
