/*
 * What ufod, ufo and ufo-rover agree on: the API prefix and version, limits,
 * and the names of every enumerated value that crosses the wire. Each enum is
 * one X-macro table so the value, its name and its order cannot drift.
 */
#ifndef UFO_PROTOCOL_H
#define UFO_PROTOCOL_H

#include <stddef.h>

#define UFO_API_PREFIX		"/api/v1"
#define UFO_PROTOCOL_VERSION	1
#define UFO_MAX_BODY		(1024 * 1024)
#define UFO_VERSION_HEADER	"Ufo-Version"
#define UFO_FLEET_HEADER	"Ufo-Fleet"
/* Rovers send the protocol they speak; ufod answers 426 outside its range. */
#define UFO_ROVER_PROTOCOL_HEADER	"Ufo-Rover-Protocol"
#define UFO_ROVER_PROTOCOL		1
#define UFO_ROVER_PROTOCOL_MIN		1
#define UFO_ROVER_PROTOCOL_MAX		1
/* A rover not seen for longer than this (two leases) is offline. */
#define UFO_ROVER_OFFLINE_SECS		60
/*
 * Being seen is announced (rover.updated) at most this often a rover, so
 * that clients keep "last seen" current and tell offline rovers themselves.
 */
#define UFO_ROVER_SEEN_SECS		15

/* Operation status, in board column order. */
#define UFO_OP_STATUSES(X)				\
	X(OP_BACKLOG,		"backlog")		\
	X(OP_TODO,		"todo")			\
	X(OP_IN_PROGRESS,	"in_progress")		\
	X(OP_IN_REVIEW,		"in_review")		\
	X(OP_DONE,		"done")			\
	X(OP_BLOCKED,		"blocked")		\
	X(OP_CANCELLED,		"cancelled")

#define UFO_RELATION_KINDS(X)				\
	X(REL_BLOCKS,		"blocks")		\
	X(REL_RELATES,		"relates")		\
	X(REL_DUPLICATE,	"duplicate")

#define UFO_PILOT_KINDS(X)				\
	X(PILOT_CLAUDE,		"claude")		\
	X(PILOT_CODEX,		"codex")		\
	X(PILOT_GOOSE,		"goose")		\
	X(PILOT_SHELL,		"shell")		\
	X(PILOT_COMMAND,	"command")

#define UFO_ROLES(X)					\
	X(ROLE_MEMBER,		"member")		\
	X(ROLE_ADMIN,		"admin")		\
	X(ROLE_OWNER,		"owner")

#define UFO_ASSIGNEE_KINDS(X)				\
	X(ASSIGNEE_PILOT,	"pilot")		\
	X(ASSIGNEE_USER,	"user")			\
	X(ASSIGNEE_CREW,	"crew")

#define UFO_COMMENT_AUTHORS(X)				\
	X(AUTHOR_USER,		"user")			\
	X(AUTHOR_PILOT,		"pilot")		\
	X(AUTHOR_SYSTEM,	"system")

#define X(e, name) e,
enum op_status { UFO_OP_STATUSES(X) OP_NSTATUS };
enum relation_kind { UFO_RELATION_KINDS(X) REL_NKINDS };
enum pilot_kind { UFO_PILOT_KINDS(X) PILOT_NKINDS };
enum role { UFO_ROLES(X) ROLE_NROLES };
enum assignee_kind { UFO_ASSIGNEE_KINDS(X) ASSIGNEE_NKINDS };
enum comment_author { UFO_COMMENT_AUTHORS(X) AUTHOR_NKINDS };
#undef X

/* Name of a value, and value of a name (-1 when the name is unknown). */
const char	*op_status_name(int);
int		 op_status_from_name(const char *);
const char	*relation_kind_name(int);
int		 relation_kind_from_name(const char *);
const char	*pilot_kind_name(int);
int		 pilot_kind_from_name(const char *);
const char	*role_name(int);
int		 role_from_name(const char *);
const char	*assignee_kind_name(int);
int		 assignee_kind_from_name(const char *);
const char	*comment_author_name(int);
int		 comment_author_from_name(const char *);

#endif
