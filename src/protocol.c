#include <string.h>

#include "protocol.h"

static int
protocol_lookup(const char *const *names, int n, const char *name)
{
	int	 i;

	for (i = 0; name != NULL && i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return (i);
	}
	return (-1);
}

#define X(e, name) name,
#define PROTOCOL_NAMES(prefix, table, count)				\
static const char *const prefix##_names[] = { table(X) };		\
const char *								\
prefix##_name(int v)							\
{									\
	if (v < 0 || v >= (count))					\
		return ("?");						\
	return (prefix##_names[v]);					\
}									\
int									\
prefix##_from_name(const char *name)					\
{									\
	return (protocol_lookup(prefix##_names, (count), name));	\
}

PROTOCOL_NAMES(op_status, UFO_OP_STATUSES, OP_NSTATUS)
PROTOCOL_NAMES(relation_kind, UFO_RELATION_KINDS, REL_NKINDS)
PROTOCOL_NAMES(pilot_kind, UFO_PILOT_KINDS, PILOT_NKINDS)
PROTOCOL_NAMES(role, UFO_ROLES, ROLE_NROLES)
PROTOCOL_NAMES(assignee_kind, UFO_ASSIGNEE_KINDS, ASSIGNEE_NKINDS)
PROTOCOL_NAMES(comment_author, UFO_COMMENT_AUTHORS, AUTHOR_NKINDS)
#undef X
