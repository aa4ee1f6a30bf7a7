/*
 * ufo.conf and the XDG default paths. One file serves ufod, ufo and
 * ufo-rover: "key = value" settings, and directive lines ("bind …",
 * "color …") kept in order for the programs that understand them.
 */
#ifndef UFO_CONF_H
#define UFO_CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct conf_line {
	char	*file;
	int	 line;
	int	 argc;
	char	**argv;
};

struct conf {
	char		*path;		/* the file read (may not exist) */
	char		*socket;	/* Unix socket of ufod */
	char		*database;	/* SQLite file */
	char		*listen;	/* TCP "host:port", NULL for none */
	char		*tls_cert;	/* PEM certificate of TCP listener */
	char		*tls_key;	/* PEM private key of TCP listener */
	char		*log;		/* "stderr" or "syslog" */
	char		*log_level;	/* error, warning, info, debug */
	size_t		 max_body;	/* request body limit in bytes */
	int		 threads;	/* HTTP worker threads */
	char		*server;	/* ufo: default server URL */
	char		*ca_file;	/* clients: PEM CAs that verify ufod */
	char		*alert;		/* board: "bell", "flash" or "none" */
	char		*master_key_file; /* the vault's key, NULL: default */
	char		*master_key_env; /* or the variable that holds it */
	struct conf_line *lines;	/* directives, in file order */
	size_t		 nlines;
};

/* Fills defaults: XDG paths, 1 MiB bodies, stderr logging. */
void	 conf_init(struct conf *);
/*
 * Reads path over the current values. A missing file is not an error when
 * must_exist is 0. Errors name the file and line.
 */
int	 conf_load(struct conf *, const char *, int, struct ufo_error *);
void	 conf_free(struct conf *);
/* Sets one key from its text value, as a line of the file would. */
int	 conf_set(struct conf *, const char *, const char *,
	     struct ufo_error *);
/* The directive lines whose first word is name, one after the other. */
const struct conf_line *conf_next_directive(const struct conf *,
	     const char *, const struct conf_line *);

/* Default locations, newly allocated. */
char	*conf_default_file(void);
char	*conf_default_database(void);
/* ufo's tokens from ufo login, by server URL. */
char	*conf_default_tokens(void);
char	*conf_default_socket(void);
/* "~/x" → "$HOME/x"; a relative path is made absolute. */
char	*conf_expand_path(const char *);
/* mkdir -p of the directory holding path (mode for what it creates). */
int	 conf_mkdir_parent(const char *, mode_t, struct ufo_error *);

#endif
