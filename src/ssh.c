#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <sodium.h>

#include "conf.h"
#include "jsonx.h"
#include "local-rover.h"
#include "log.h"
#include "protocol.h"
#include "ssh-hostkey.h"
#include "ssh-key.h"
#include "ssh.h"
#include "store.h"
#include "xmalloc.h"

#define SSH_CONNECT_MS		10000
#define SSH_TIMEOUT_MS		20000	/* each blocking libssh2 call */
#define SSH_KEEPALIVE_SECS	5
#define SSH_BACKOFF_MAX		30
#define SSH_ROVER_UNITS		2
#define SSH_BUF			16384
#define SSH_DIR			".ufo"

/*
 * A shell test on the host that process P is the rover of registration
 * $f.json: its command line says so. A pid alone does not tell: once the
 * rover is gone another process may get its pid (pids wrap around within
 * minutes on a busy host), and a rover reparented to an init slow to reap
 * it lingers as a zombie, whose command line is empty. /proc is read
 * where there is one, else ps(1).
 */
#define SSH_ROVER_ALIVE(p)						\
	"{ tr '\\0' ' ' </proc/" p "/cmdline 2>/dev/null || "		\
	"ps -o args= -p " p " 2>/dev/null; } | "			\
	"grep -qF \"ufo-rover -f $f.json \""

/* A forwarded connection: a channel from the host and ufod's socket. */
struct ssh_tunnel {
	LIBSSH2_CHANNEL		*ch;
	int			 fd;
	char			 buf[SSH_BUF];	/* ufod → channel, unsent */
	size_t			 off, len;
	int			 fd_eof, ch_eof, closing;
	struct ssh_tunnel	*next;
};

struct ssh_host {
	char			 id[48];
	char			 fleet[48];
	char			 user_id[48];
	char			*name, *user, *host, *identity, *direct, *tags;
	int			 port, accept_new, remote_port, up;
	char			 rover[48];
	pthread_t		 thread;
	int			 stop, remove, done;
	int			 wake[2];
	struct ssh_host		*next;
};

/* One connection's state, owned by its host's thread. */
struct ssh_conn {
	struct ssh_host		*h;
	int			 sock;
	LIBSSH2_SESSION		*s;
	LIBSSH2_LISTENER	*l;
	struct ssh_tunnel	*tunnels;
	char			*home;		/* the remote $HOME */
	int			 fatal;		/* retrying cannot help */
};

static struct {
	pthread_mutex_t	 lock;
	struct store	*store;
	char		*socket;
	char		*dir;		/* the database's: key, known_hosts */
	struct conf_line *bins;		/* rover-binary directives */
	size_t		 nbins;
	struct ssh_host	*hosts;
	int		 running;
} ssh = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void	*ssh_host_main(void *);

static void
ssh_host_free(struct ssh_host *h)
{
	free(h->name);
	free(h->user);
	free(h->host);
	free(h->identity);
	free(h->direct);
	free(h->tags);
	if (h->wake[0] != -1) {
		close(h->wake[0]);
		close(h->wake[1]);
	}
	free(h);
}

static char *
ssh_dup_or_null(struct json_object *o, const char *key)
{
	const char	*v = jsonx_str(o, key);

	return (v != NULL ? xstrdup(v) : NULL);
}

static void
ssh_host_spawn(struct json_object *row)
{
	struct ssh_host	*h;
	int		 error;

	h = xcalloc(1, sizeof *h);
	snprintf(h->id, sizeof h->id, "%s", jsonx_str(row, "id"));
	snprintf(h->fleet, sizeof h->fleet, "%s", jsonx_str(row, "fleet"));
	snprintf(h->user_id, sizeof h->user_id, "%s",
	    jsonx_str(row, "created_by"));
	if (jsonx_str(row, "rover_id") != NULL)
		snprintf(h->rover, sizeof h->rover, "%s",
		    jsonx_str(row, "rover_id"));
	h->name = ssh_dup_or_null(row, "name");
	h->user = ssh_dup_or_null(row, "user");
	h->host = ssh_dup_or_null(row, "host");
	h->identity = ssh_dup_or_null(row, "identity");
	h->direct = ssh_dup_or_null(row, "direct");
	h->tags = xstrdup(json_object_to_json_string_ext(
	    json_object_object_get(row, "tags"), JSON_C_TO_STRING_PLAIN));
	h->port = (int)jsonx_int(row, "port", 22);
	h->remote_port = (int)jsonx_int(row, "remote_port", 0);
	h->accept_new = json_object_get_boolean(json_object_object_get(row,
	    "accept_new"));
	h->up = h->rover[0] != '\0';
	if (pipe(h->wake) == -1) {
		log_error("ssh %s: pipe: %s", h->name, strerror(errno));
		h->wake[0] = h->wake[1] = -1;
		ssh_host_free(h);
		return;
	}
	fcntl(h->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(h->wake[1], F_SETFL, O_NONBLOCK);
	pthread_mutex_lock(&ssh.lock);
	h->next = ssh.hosts;
	ssh.hosts = h;
	if ((error = pthread_create(&h->thread, NULL, ssh_host_main,
	    h)) != 0) {
		ssh.hosts = h->next;
		pthread_mutex_unlock(&ssh.lock);
		log_error("ssh %s: pthread_create: %s", h->name,
		    strerror(error));
		ssh_host_free(h);
		return;
	}
	pthread_mutex_unlock(&ssh.lock);
}

static int
ssh_stopping(struct ssh_host *h)
{
	int	 stop;

	pthread_mutex_lock(&ssh.lock);
	stop = h->stop || h->remove;
	pthread_mutex_unlock(&ssh.lock);
	return (stop);
}

static void
ssh_state(struct ssh_host *h, const char *state, const char *error)
{
	struct ufo_error	 err;

	if (store_ssh_host_state(ssh.store, h->id, state, error, &err) == -1)
		log_warn("ssh %s: %s", h->name, err.message);
	if (error != NULL)
		log_warn("ssh %s (%s@%s:%d): %s: %s", h->name, h->user, h->host,
		    h->port, state, error);
	else
		log_info("ssh %s (%s@%s:%d): %s", h->name, h->user, h->host,
		    h->port, state);
}

/* A TCP connection within SSH_CONNECT_MS. */
static int
ssh_connect_tcp(struct ssh_host *h, struct ufo_error *err)
{
	struct addrinfo	 hints, *res, *ai;
	struct pollfd	 pfd;
	char		 port[16];
	socklen_t	 len;
	int		 fd = -1, e, soerr = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", h->port);
	if ((e = getaddrinfo(h->host, port, &hints, &res)) != 0)
		return (err_set(err, UFO_EUNAVAIL, "host", "%s: %s", h->host,
		    gai_strerror(e)));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		soerr = errno;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			len = sizeof soerr;
			if (poll(&pfd, 1, SSH_CONNECT_MS) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &len) == 0 && soerr == 0)
				break;
			if (soerr == 0)
				soerr = ETIMEDOUT;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return (err_set(err, UFO_EUNAVAIL, "host", "cannot connect to "
		    "%s port %d: %s", h->host, h->port, strerror(soerr)));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return (fd);
}

static const char *
ssh_errmsg(LIBSSH2_SESSION *s)
{
	char	*msg = NULL;

	libssh2_session_last_error(s, &msg, NULL, 0);
	return (msg != NULL && *msg != '\0' ? msg : "unknown error");
}

/*
 * Whether the session's last error is the connection's (dropped, timed
 * out), which a later attempt may not meet, rather than the host's answer.
 */
static int
ssh_transport_error(LIBSSH2_SESSION *s)
{
	switch (libssh2_session_last_errno(s)) {
	case LIBSSH2_ERROR_SOCKET_NONE:
	case LIBSSH2_ERROR_BANNER_RECV:
	case LIBSSH2_ERROR_BANNER_SEND:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_TIMEOUT:
		return (1);
	}
	return (0);
}

/*
 * Authentication in OpenSSH's order: the agent's keys, the -i key or the
 * default identity files, then ufod's own key. The error lists each.
 */
static int
ssh_auth(struct ssh_conn *c, struct ufo_error *err)
{
	static const char *const defaults[] = { "~/.ssh/id_ed25519",
	    "~/.ssh/id_ecdsa", "~/.ssh/id_rsa" };
	struct ssh_host			*h = c->h;
	struct libssh2_agent_publickey	*id, *prev = NULL;
	struct ssh_key			 own;
	struct ufo_error		 e;
	LIBSSH2_AGENT			*agent;
	char				*tried, *t, *path, *methods;
	size_t				 i;
	int				 ok = 0;

	methods = libssh2_userauth_list(c->s, h->user, strlen(h->user));
	if (methods == NULL && libssh2_userauth_authenticated(c->s))
		return (0);
	if (methods == NULL && ssh_transport_error(c->s))
		return (err_set(err, UFO_EUNAVAIL, "", "%s:%d broke off before "
		    "authentication: %s", h->host, h->port, ssh_errmsg(c->s)));
	if (methods == NULL || strstr(methods, "publickey") == NULL) {
		c->fatal = 1;
		return (err_set(err, UFO_EFORBIDDEN, "", "%s@%s:%d takes no "
		    "public keys (it offers: %s)", h->user, h->host, h->port,
		    methods != NULL ? methods : ssh_errmsg(c->s)));
	}
	tried = xstrdup("ssh-agent");
	if (getenv("SSH_AUTH_SOCK") == NULL) {
		t = xprintf("%s (SSH_AUTH_SOCK is not set)", tried);
		free(tried);
		tried = t;
	} else if ((agent = libssh2_agent_init(c->s)) != NULL) {
		if (libssh2_agent_connect(agent) == 0 &&
		    libssh2_agent_list_identities(agent) == 0) {
			while (!ok && libssh2_agent_get_identity(agent, &id,
			    prev) == 0) {
				ok = libssh2_agent_userauth(agent, h->user,
				    id) == 0;
				prev = id;
			}
			libssh2_agent_disconnect(agent);
		}
		libssh2_agent_free(agent);
	}
	for (i = 0; !ok && i < (h->identity != NULL ? 1 :
	    sizeof defaults / sizeof defaults[0]); i++) {
		path = conf_expand_path(h->identity != NULL ? h->identity :
		    defaults[i]);
		if (access(path, R_OK) == 0 || h->identity != NULL) {
			t = xprintf("%s, %s", tried, path);
			free(tried);
			tried = t;
			ok = libssh2_userauth_publickey_fromfile_ex(c->s,
			    h->user, strlen(h->user), NULL, path, NULL) == 0;
		}
		free(path);
	}
	if (!ok) {
		if (ssh_key_load(ssh.dir, &own, &e) == 0) {
			t = xprintf("%s, ufod's own key %s", tried, own.path);
			free(tried);
			tried = t;
			ok = libssh2_userauth_publickey_fromfile_ex(c->s,
			    h->user, strlen(h->user), NULL, own.path,
			    NULL) == 0;
			ssh_key_free(&own);
		} else
			log_warn("ssh %s: %s", h->name, e.message);
	}
	if (!ok && ssh_transport_error(c->s))
		err_set(err, UFO_EUNAVAIL, "", "%s:%d broke off during "
		    "authentication: %s", h->host, h->port, ssh_errmsg(c->s));
	else if (!ok) {
		c->fatal = 1;
		err_set(err, UFO_EFORBIDDEN, "", "%s@%s:%d refused every key: "
		    "tried %s (`ufo ssh-key` prints the authorized_keys line "
		    "of ufod's own key)", h->user, h->host, h->port, tried);
	}
	free(tried);
	return (ok ? 0 : -1);
}

/* Runs a command on the host (blocking session); its stdout in *out. */
static int
ssh_exec(struct ssh_conn *c, const char *cmd, char **out, int *status,
    struct ufo_error *err)
{
	LIBSSH2_CHANNEL	*ch;
	char		 buf[4096], *o = NULL;
	size_t		 len = 0;
	ssize_t		 n;

	*status = -1;
	if ((ch = libssh2_channel_open_session(c->s)) == NULL)
		return (err_set(err, UFO_EUNAVAIL, "", "cannot open a channel: "
		    "%s", ssh_errmsg(c->s)));
	if (libssh2_channel_exec(ch, cmd) != 0) {
		libssh2_channel_free(ch);
		return (err_set(err, UFO_EUNAVAIL, "", "cannot run a command: "
		    "%s", ssh_errmsg(c->s)));
	}
	while ((n = libssh2_channel_read(ch, buf, sizeof buf)) > 0) {
		o = xrealloc(o, len + (size_t)n + 1);
		memcpy(o + len, buf, (size_t)n);
		len += (size_t)n;
	}
	while (libssh2_channel_read_stderr(ch, buf, sizeof buf) > 0)
		;
	libssh2_channel_close(ch);
	libssh2_channel_wait_closed(ch);
	*status = libssh2_channel_get_exit_status(ch);
	libssh2_channel_free(ch);
	if (n < 0) {
		free(o);
		return (err_set(err, UFO_EUNAVAIL, "", "the command's output "
		    "broke off: %s", ssh_errmsg(c->s)));
	}
	if (o == NULL)
		o = xstrdup("");
	else
		o[len] = '\0';
	while (len > 0 && (o[len - 1] == '\n' || o[len - 1] == '\r'))
		o[--len] = '\0';
	if (out != NULL)
		*out = o;
	else
		free(o);
	return (0);
}

/* A file's SHA-256 as hex. */
static int
ssh_sha256_file(const char *path, char *hex, struct ufo_error *err)
{
	crypto_hash_sha256_state	 st;
	unsigned char			 buf[65536], h[crypto_hash_sha256_BYTES];
	ssize_t				 n;
	int				 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		crypto_hash_sha256_update(&st, buf, (size_t)n);
	close(fd);
	if (n == -1)
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
	return (0);
}

/* The ufo-rover built for the host's "OS ARCH" (uname -sm). */
static char *
ssh_rover_binary(const char *uname_sm, struct ufo_error *err)
{
	struct utsname	 u;
	char		*mine;
	size_t		 i;

	if (uname(&u) == 0) {
		mine = xprintf("%s %s", u.sysname, u.machine);
		if (strcmp(mine, uname_sm) == 0) {
			free(mine);
			return (local_rover_path());
		}
		free(mine);
	}
	for (i = 0; i < ssh.nbins; i++) {
		mine = xprintf("%s %s", ssh.bins[i].argv[1], ssh.bins[i].argv[2]);
		if (strcmp(mine, uname_sm) == 0) {
			free(mine);
			return (conf_expand_path(ssh.bins[i].argv[3]));
		}
		free(mine);
	}
	err_set(err, UFO_EUNAVAIL, "", "no ufo-rover for %s: build one there "
	    "and name it in ufo.conf with \"rover-binary %s PATH\"", uname_sm,
	    uname_sm);
	return (NULL);
}

/* Uploads the rover unless the host has the same bytes already. */
static int
ssh_install(struct ssh_conn *c, struct ufo_error *err)
{
	LIBSSH2_SFTP		*sftp;
	LIBSSH2_SFTP_HANDLE	*fh;
	char			 hex[65], buf[32768], *sm = NULL, *bin, *have;
	char			*cmd, *tmp;
	ssize_t			 n, w;
	size_t			 off;
	int			 fd, st, rc = -1;

	if (ssh_exec(c, "uname -sm", &sm, &st, err) == -1)
		return (-1);
	if (st != 0 || *sm == '\0') {
		free(sm);
		return (err_set(err, UFO_EUNAVAIL, "", "uname -sm failed on "
		    "the host"));
	}
	if ((bin = ssh_rover_binary(sm, err)) == NULL) {
		c->fatal = 1;
		free(sm);
		return (-1);
	}
	free(sm);
	if (ssh_sha256_file(bin, hex, err) == -1) {
		free(bin);
		return (-1);
	}
	cmd = xprintf("cd && mkdir -p " SSH_DIR "/bin && chmod 700 " SSH_DIR
	    " && { sha256sum " SSH_DIR "/bin/ufo-rover 2>/dev/null || shasum "
	    "-a 256 " SSH_DIR "/bin/ufo-rover 2>/dev/null; } | cut -c1-64");
	if (ssh_exec(c, cmd, &have, &st, err) == -1) {
		free(cmd);
		free(bin);
		return (-1);
	}
	free(cmd);
	if (strcmp(have, hex) == 0) {
		free(have);
		free(bin);
		return (0);
	}
	free(have);
	log_info("ssh %s: uploading %s", c->h->name, bin);
	tmp = xprintf("%s/" SSH_DIR "/bin/.ufo-rover.%ld", c->home,
	    (long)getpid());
	if ((fd = open(bin, O_RDONLY | O_CLOEXEC)) == -1) {
		err_set(err, UFO_EINTERNAL, "", "%s: %s", bin, strerror(errno));
		goto out;
	}
	if ((sftp = libssh2_sftp_init(c->s)) == NULL) {
		close(fd);
		err_set(err, UFO_EUNAVAIL, "", "SFTP: %s", ssh_errmsg(c->s));
		goto out;
	}
	if ((fh = libssh2_sftp_open(sftp, tmp, LIBSSH2_FXF_WRITE |
	    LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0700)) == NULL) {
		err_set(err, UFO_EUNAVAIL, "", "SFTP: cannot write %s: %s", tmp,
		    ssh_errmsg(c->s));
		goto sftp_out;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			if ((w = libssh2_sftp_write(fh, buf + off,
			    (size_t)n - off)) < 0) {
				err_set(err, UFO_EUNAVAIL, "", "SFTP: writing "
				    "%s: %s", tmp, ssh_errmsg(c->s));
				n = -2;
				break;
			}
		}
		if (n == -2)
			break;
	}
	libssh2_sftp_close(fh);
	if (n == -1)
		err_set(err, UFO_EINTERNAL, "", "%s: %s", bin, strerror(errno));
	if (n < 0)
		goto sftp_out;
	/* The checksum is checked there before the rename makes it live. */
	cmd = xprintf("cd && t='%s' && h=$({ sha256sum \"$t\" 2>/dev/null || "
	    "shasum -a 256 \"$t\"; } | cut -c1-64) && [ \"$h\" = %s ] && "
	    "chmod 755 \"$t\" && mv -f \"$t\" " SSH_DIR "/bin/ufo-rover || "
	    "{ rm -f \"$t\"; exit 1; }", tmp, hex);
	if (ssh_exec(c, cmd, NULL, &st, err) == 0) {
		if (st != 0)
			err_set(err, UFO_EUNAVAIL, "", "the uploaded ufo-rover "
			    "does not match its checksum");
		else
			rc = 0;
	}
	free(cmd);
sftp_out:
	libssh2_sftp_shutdown(sftp);
	close(fd);
out:
	free(tmp);
	free(bin);
	return (rc);
}

/* Writes a file over SFTP, readable by its owner only. */
static int
ssh_put(struct ssh_conn *c, const char *path, const char *text,
    struct ufo_error *err)
{
	LIBSSH2_SFTP		*sftp;
	LIBSSH2_SFTP_HANDLE	*fh;
	size_t			 len = strlen(text), off = 0;
	ssize_t			 w = 0;
	int			 rc = -1;

	if ((sftp = libssh2_sftp_init(c->s)) == NULL)
		return (err_set(err, UFO_EUNAVAIL, "", "SFTP: %s",
		    ssh_errmsg(c->s)));
	if ((fh = libssh2_sftp_open(sftp, path, LIBSSH2_FXF_WRITE |
	    LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600)) != NULL) {
		while (off < len && (w = libssh2_sftp_write(fh, text + off,
		    len - off)) > 0)
			off += (size_t)w;
		libssh2_sftp_close(fh);
		rc = off == len ? 0 : -1;
	}
	if (rc == -1)
		err_set(err, UFO_EUNAVAIL, "", "SFTP: cannot write %s: %s",
		    path, ssh_errmsg(c->s));
	libssh2_sftp_shutdown(sftp);
	return (rc);
}

static char *
ssh_server_url(struct ssh_conn *c)
{
	if (c->h->direct != NULL)
		return (xstrdup(c->h->direct));
	return (xprintf("http://127.0.0.1:%d", c->h->remote_port));
}

/*
 * ufod redeems a one-time enrollment code for the host itself, so that
 * neither code nor token appears on a command line there: the token
 * reaches the host only inside a 0600 registration file sent by SFTP.
 */
static int
ssh_enroll(struct ssh_conn *c, const char *file, struct ufo_error *err)
{
	struct ssh_host		*h = c->h;
	struct store_actor	 actor;
	struct json_object	*in, *code = NULL, *out = NULL, *reg, *regs;
	struct json_object	*tags;
	char			*url;
	int			 rc = -1;

	/* A host given up while connecting must not leave a rover behind. */
	if (ssh_stopping(h))
		return (err_set(err, UFO_EUNAVAIL, "", "stopped before the "
		    "rover was enrolled"));
	memset(&actor, 0, sizeof actor);
	snprintf(actor.fleet, sizeof actor.fleet, "%s", h->fleet);
	snprintf(actor.user, sizeof actor.user, "%s", h->user_id);
	actor.role = ROLE_ADMIN;
	in = json_object_new_object();
	json_object_object_add(in, "uses", json_object_new_int(1));
	json_object_object_add(in, "expires_in", json_object_new_int(60));
	tags = json_tokener_parse(h->tags);
	if (tags != NULL)
		json_object_object_add(in, "tags", tags);
	if (store_code_create(ssh.store, &actor, in, &code, err) == -1)
		goto out;
	json_object_put(in);
	in = json_object_new_object();
	json_object_object_add(in, "code",
	    json_object_new_string(jsonx_str(code, "code")));
	json_object_object_add(in, "units",
	    json_object_new_int(SSH_ROVER_UNITS));
	json_object_object_add(in, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(in, "host", json_object_new_string(h->host));
	json_object_object_add(in, "name", json_object_new_string(h->name));
	if (store_rover_enroll(ssh.store, in, &out, err) == -1)
		goto out;
	reg = json_object_new_object();
	snprintf(h->rover, sizeof h->rover, "%s",
	    jsonx_str(json_object_object_get(out, "rover"), "id"));
	json_object_object_add(reg, "id", json_object_new_string(h->rover));
	json_object_object_add(reg, "name", json_object_new_string(h->name));
	url = ssh_server_url(c);
	json_object_object_add(reg, "server", json_object_new_string(url));
	free(url);
	json_object_object_add(reg, "token",
	    json_object_new_string(jsonx_str(out, "token")));
	json_object_object_add(reg, "units",
	    json_object_new_int(SSH_ROVER_UNITS));
	json_object_object_add(reg, "tags", json_object_new_array());
	regs = json_object_new_array();
	json_object_array_add(regs, reg);
	rc = ssh_put(c, file, json_object_to_json_string_ext(regs,
	    JSON_C_TO_STRING_PRETTY), err);
	json_object_put(regs);
	if (rc == 0 && store_ssh_host_bind(ssh.store, h->id, h->rover,
	    h->remote_port, err) == -1)
		rc = -1;
out:
	json_object_put(in);
	json_object_put(code);
	json_object_put(out);
	return (rc);
}

/* Starts the rover detached unless its pid file names a live one. */
static int
ssh_rover_start(struct ssh_conn *c, struct ufo_error *err)
{
	struct ssh_host	*h = c->h;
	char		*file, *cmd, *out = NULL;
	int		 st, rc = -1;

	file = xprintf("%s/" SSH_DIR "/%s.json", c->home, h->id);
	cmd = xprintf("test -s '%s' && echo yes", file);
	if (ssh_exec(c, cmd, &out, &st, err) == -1)
		goto out;
	if (strcmp(out, "yes") != 0 && ssh_enroll(c, file, err) == -1)
		goto out;
	free(cmd);
	free(out);
	out = NULL;
	cmd = xprintf("cd && f=" SSH_DIR "/%s && if [ -f $f.pid ] && "
	    SSH_ROVER_ALIVE("$(cat $f.pid)") "; then echo running; else "
	    "setsid "
	    SSH_DIR "/bin/ufo-rover -f $f.json run </dev/null >>$f.log 2>&1 & "
	    "echo $! >$f.pid; echo started; fi", h->id);
	if (ssh_exec(c, cmd, &out, &st, err) == -1)
		goto out;
	if (st != 0) {
		err_set(err, UFO_EUNAVAIL, "", "cannot start ufo-rover on the "
		    "host (status %d)", st);
		goto out;
	}
	log_info("ssh %s: rover %s", h->name, out);
	rc = 0;
out:
	free(file);
	free(cmd);
	free(out);
	return (rc);
}

static void
ssh_tunnel_free(struct ssh_tunnel *t)
{
	if (t->ch != NULL)
		libssh2_channel_free(t->ch);
	if (t->fd != -1)
		close(t->fd);
	free(t);
}

static void
ssh_disconnect(struct ssh_conn *c, const char *why)
{
	struct ssh_tunnel	*t;

	if (c->s != NULL)
		libssh2_session_set_blocking(c->s, 1);
	while ((t = c->tunnels) != NULL) {
		c->tunnels = t->next;
		ssh_tunnel_free(t);
	}
	if (c->l != NULL)
		libssh2_channel_forward_cancel(c->l);
	c->l = NULL;
	if (c->s != NULL) {
		libssh2_session_disconnect(c->s, why);
		libssh2_session_free(c->s);
	}
	c->s = NULL;
	if (c->sock != -1)
		close(c->sock);
	c->sock = -1;
	free(c->home);
	c->home = NULL;
}

/* Connects, checks, authenticates and learns the remote home. */
static int
ssh_connect(struct ssh_conn *c, struct ufo_error *err)
{
	struct ssh_host	*h = c->h;
	char		*known;
	int		 st, rc;

	if ((c->sock = ssh_connect_tcp(h, err)) == -1)
		return (-1);
	if ((c->s = libssh2_session_init()) == NULL)
		return (err_set(err, UFO_EINTERNAL, "", "libssh2_session_init "
		    "failed"));
	libssh2_session_set_timeout(c->s, SSH_TIMEOUT_MS);
	if (libssh2_session_handshake(c->s, c->sock) != 0)
		return (err_set(err, UFO_EUNAVAIL, "", "SSH handshake with "
		    "%s:%d failed: %s", h->host, h->port, ssh_errmsg(c->s)));
	known = xprintf("%s/known_hosts", ssh.dir);
	rc = ssh_hostkey_check(c->s, h->host, h->port, known, h->accept_new,
	    err);
	free(known);
	if (rc == -1) {
		c->fatal = 1;
		return (-1);
	}
	if (ssh_auth(c, err) == -1)
		return (-1);
	if (ssh_exec(c, "cd && pwd", &c->home, &st, err) == -1)
		return (-1);
	if (st != 0 || c->home[0] != '/')
		return (err_set(err, UFO_EUNAVAIL, "", "cannot find the home "
		    "directory on the host"));
	return (0);
}

/* The forward on the host's loopback, on the port used before if any. */
static int
ssh_forward(struct ssh_conn *c, struct ufo_error *err)
{
	struct ssh_host	*h = c->h;
	int		 bound = 0;

	if (h->direct != NULL)
		return (0);
	if ((c->l = libssh2_channel_forward_listen_ex(c->s, "127.0.0.1",
	    h->remote_port, &bound, 16)) == NULL)
		return (err_set(err, UFO_EUNAVAIL, "", "the host refused to "
		    "forward 127.0.0.1:%d to ufod: %s (is AllowTcpForwarding "
		    "off?)", h->remote_port, ssh_errmsg(c->s)));
	if (h->remote_port == 0) {
		h->remote_port = bound;
		if (store_ssh_host_bind(ssh.store, h->id, NULL, bound,
		    err) == -1)
			return (-1);
	}
	return (0);
}

static int
ssh_ufod_socket(void)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", ssh.socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Moves what can move without blocking; 1 when the tunnel is done. */
static int
ssh_tunnel_pump(struct ssh_tunnel *t, int readable)
{
	char	 buf[SSH_BUF];
	ssize_t	 n, w;
	size_t	 off;

	while ((n = libssh2_channel_read(t->ch, buf, sizeof buf)) > 0) {
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			if ((w = write(t->fd, buf + off, (size_t)n - off)) ==
			    -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				return (1);
			}
		}
	}
	if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
		return (1);
	if (!t->ch_eof && libssh2_channel_eof(t->ch)) {
		t->ch_eof = 1;
		shutdown(t->fd, SHUT_WR);
	}
	if (t->len == 0 && !t->fd_eof && readable) {
		if ((n = read(t->fd, t->buf, sizeof t->buf)) > 0) {
			t->off = 0;
			t->len = (size_t)n;
		} else if (n == 0 || errno != EAGAIN)
			t->fd_eof = 1;
	}
	while (t->len > 0) {
		w = libssh2_channel_write(t->ch, t->buf + t->off, t->len);
		if (w == LIBSSH2_ERROR_EAGAIN)
			break;
		if (w < 0)
			return (1);
		t->off += (size_t)w;
		t->len -= (size_t)w;
	}
	if (t->fd_eof && t->len == 0 && !t->closing) {
		if (libssh2_channel_send_eof(t->ch) !=
		    LIBSSH2_ERROR_EAGAIN)
			t->closing = 1;
	}
	return (t->closing && t->ch_eof);
}

/*
 * The connection's life after set-up: accept forwarded connections and
 * pump them, send keepalives, until the session breaks or the host is
 * stopped. Returns 0 when stopped, -1 when the connection broke.
 */
static int
ssh_serve(struct ssh_conn *c, struct ufo_error *err)
{
	struct ssh_host		*h = c->h;
	struct ssh_tunnel	*t, **tp;
	struct pollfd		*pfd = NULL;
	LIBSSH2_CHANNEL		*ch;
	char			 drain[64];
	size_t			 n, i, npfd = 0;
	int			 next, fd, e;

	/*
	 * Keepalives start only now: OpenSSH answers them with a failure,
	 * which libssh2 would take for the answer to a pending forward
	 * request.
	 */
	libssh2_keepalive_config(c->s, 1, SSH_KEEPALIVE_SECS);
	libssh2_session_set_blocking(c->s, 0);
	for (;;) {
		if (ssh_stopping(h))
			break;
		while (c->l != NULL &&
		    (ch = libssh2_channel_forward_accept(c->l)) != NULL) {
			if ((fd = ssh_ufod_socket()) == -1) {
				log_warn("ssh %s: cannot reach ufod's socket: "
				    "%s", h->name, strerror(errno));
				libssh2_channel_free(ch);
				continue;
			}
			fcntl(fd, F_SETFL, O_NONBLOCK);
			t = xcalloc(1, sizeof *t);
			t->ch = ch;
			t->fd = fd;
			t->next = c->tunnels;
			c->tunnels = t;
		}
		/*
		 * An accept that fails for another reason than "nothing yet"
		 * means the session is gone; libssh2 then says "Channel not
		 * found", which would only puzzle the reader of rover list.
		 */
		if (c->l != NULL && (e = libssh2_session_last_errno(c->s)) !=
		    LIBSSH2_ERROR_EAGAIN && e != 0) {
			err_set(err, UFO_EUNAVAIL, "", "the connection broke: "
			    "%s", e == LIBSSH2_ERROR_CHANNEL_UNKNOWN ?
			    "the host closed it or stopped answering" :
			    ssh_errmsg(c->s));
			free(pfd);
			return (-1);
		}
		if (libssh2_keepalive_send(c->s, &next) != 0 &&
		    libssh2_session_last_errno(c->s) != LIBSSH2_ERROR_EAGAIN) {
			err_set(err, UFO_EUNAVAIL, "", "keepalive failed: %s",
			    ssh_errmsg(c->s));
			free(pfd);
			return (-1);
		}
		for (n = 0, t = c->tunnels; t != NULL; t = t->next)
			n++;
		if (n + 2 > npfd) {
			npfd = n + 2;
			pfd = xreallocarray(pfd, npfd, sizeof *pfd);
		}
		pfd[0].fd = c->sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = h->wake[0];
		pfd[1].events = POLLIN;
		for (i = 2, t = c->tunnels; t != NULL; t = t->next, i++) {
			pfd[i].fd = t->fd;
			pfd[i].events = t->len == 0 && !t->fd_eof ? POLLIN : 0;
			pfd[i].revents = 0;
		}
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, n + 2, c->tunnels != NULL ? 20 : 200) == -1 &&
		    errno != EINTR) {
			err_set(err, UFO_EINTERNAL, "", "poll: %s",
			    strerror(errno));
			free(pfd);
			return (-1);
		}
		if (pfd[1].revents & POLLIN)
			while (read(h->wake[0], drain, sizeof drain) > 0)
				;
		for (i = 2, tp = &c->tunnels; (t = *tp) != NULL; i++) {
			if (ssh_tunnel_pump(t, (pfd[i].revents &
			    (POLLIN | POLLHUP)) != 0)) {
				*tp = t->next;
				ssh_tunnel_free(t);
			} else
				tp = &t->next;
		}
	}
	free(pfd);
	return (0);
}

/* Stops the host's rover and removes what ufod put there. */
static void
ssh_remote_remove(struct ssh_conn *c)
{
	struct ufo_error	 err;
	char			*cmd;
	int			 st;

	/* A host that never served a rover has no work directory there. */
	cmd = xprintf("cd && f=" SSH_DIR "/%s; p=$(cat $f.pid 2>/dev/null); "
	    "if [ -n \"$p\" ] && " SSH_ROVER_ALIVE("$p") "; then kill $p; "
	    "i=0; while " SSH_ROVER_ALIVE("$p") " && [ $i -lt 50 ]; do "
	    "sleep 0.1; i=$((i+1)); done; " SSH_ROVER_ALIVE("$p") " && "
	    "kill -9 $p; fi; rm -rf $f.json $f.json.lock $f.pid "
	    "$f.log%s%s; ls " SSH_DIR "/*.json >/dev/null 2>&1 || "
	    "rm -rf " SSH_DIR "/bin " SSH_DIR "/rovers; rmdir " SSH_DIR
	    " 2>/dev/null; true", c->h->id, c->h->rover[0] != '\0' ?
	    " " SSH_DIR "/rovers/" : "", c->h->rover);
	if (ssh_exec(c, cmd, NULL, &st, &err) == -1)
		log_warn("ssh %s: cleaning up the host: %s", c->h->name,
		    err.message);
	free(cmd);
}

static int
ssh_sleep(struct ssh_host *h, int secs)
{
	struct pollfd	 pfd;
	char		 drain[64];
	time_t		 end = time(NULL) + secs;

	pfd.fd = h->wake[0];
	pfd.events = POLLIN;
	while (!ssh_stopping(h) && time(NULL) < end) {
		if (poll(&pfd, 1, 200) == 1)
			while (read(h->wake[0], drain, sizeof drain) > 0)
				;
	}
	return (ssh_stopping(h));
}

/*
 * A host's life: connect and set up, serve, and after a break connect
 * again with capped exponential backoff and jitter. A first connection
 * that fails is retried the same way when retrying may help (refused,
 * timed out, dropped); an error only a person can fix (a host key unknown
 * or changed, every key refused, no ufo-rover for the host) fails the
 * host, whether it was up before or not. Each attempt shows the error the
 * last one ended with.
 */
static void *
ssh_host_main(void *arg)
{
	struct ssh_host		*h = arg;
	struct ssh_conn		 c;
	struct ufo_error	 err;
	char			 last[sizeof err.message];
	int			 backoff = 1, removing, delay;

	memset(&c, 0, sizeof c);
	c.h = h;
	c.sock = -1;
	last[0] = '\0';
	for (;;) {
		pthread_mutex_lock(&ssh.lock);
		removing = h->remove;
		pthread_mutex_unlock(&ssh.lock);
		if (h->stop)
			break;
		if (removing)
			ssh_state(h, "removing", NULL);
		else
			ssh_state(h, h->up ? "reconnecting" : last[0] != '\0' ?
			    "retrying" : "connecting", last[0] != '\0' ? last :
			    NULL);
		c.fatal = 0;
		if (ssh_connect(&c, &err) == 0 && removing) {
			ssh_remote_remove(&c);
			ssh_disconnect(&c, "removed");
			break;
		}
		if (removing) {
			log_warn("ssh %s: removed without cleaning the host: "
			    "%s", h->name, err.message);
			ssh_disconnect(&c, "removed");
			break;
		}
		if (c.home != NULL && ssh_install(&c, &err) == 0 &&
		    ssh_forward(&c, &err) == 0 &&
		    ssh_rover_start(&c, &err) == 0) {
			h->up = 1;
			backoff = 1;
			last[0] = '\0';
			ssh_state(h, "online", NULL);
			if (ssh_serve(&c, &err) == 0) {
				pthread_mutex_lock(&ssh.lock);
				removing = h->remove;
				pthread_mutex_unlock(&ssh.lock);
				if (removing) {
					libssh2_session_set_blocking(c.s, 1);
					ssh_state(h, "removing", NULL);
					ssh_remote_remove(&c);
				}
				ssh_disconnect(&c, removing ? "removed" :
				    "ufod stops");
				break;
			}
		}
		ssh_disconnect(&c, "error");
		if (c.fatal) {
			ssh_state(h, "failed", err.message);
			break;
		}
		snprintf(last, sizeof last, "%s", err.message);
		ssh_state(h, h->up ? "reconnecting" : "retrying", last);
		delay = backoff + (int)randombytes_uniform(
		    (uint32_t)backoff + 1);
		if (delay > SSH_BACKOFF_MAX)
			delay = SSH_BACKOFF_MAX;
		if (ssh_sleep(h, delay) && h->stop)
			break;
		if (backoff < SSH_BACKOFF_MAX)
			backoff *= 2;
	}
	pthread_mutex_lock(&ssh.lock);
	removing = h->remove;
	h->done = 1;
	pthread_mutex_unlock(&ssh.lock);
	if (removing && store_ssh_host_delete(ssh.store, h->id, &err) == -1)
		log_warn("ssh %s: %s", h->name, err.message);
	return (NULL);
}

int
ssh_start(struct store *store, const struct conf *conf,
    struct ufo_error *err)
{
	const struct conf_line	*cl = NULL;
	struct json_object	*list, *items;
	size_t			 i;

	if (libssh2_init(0) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "libssh2_init "
		    "failed"));
	ssh.store = store;
	ssh.socket = xstrdup(conf->socket);
	ssh.dir = ssh_key_dir(conf->database);
	while ((cl = conf_next_directive(conf, "rover-binary", cl)) != NULL) {
		if (cl->argc != 4) {
			log_warn("%s:%d: expected rover-binary OS ARCH PATH",
			    cl->file, cl->line);
			continue;
		}
		ssh.bins = xreallocarray(ssh.bins, ssh.nbins + 1,
		    sizeof *ssh.bins);
		ssh.bins[ssh.nbins].argc = cl->argc;
		ssh.bins[ssh.nbins].argv = xcalloc(5, sizeof (char *));
		for (i = 0; i < 4; i++)
			ssh.bins[ssh.nbins].argv[i] = xstrdup(cl->argv[i]);
		ssh.bins[ssh.nbins].file = NULL;
		ssh.nbins++;
	}
	ssh.running = 1;
	if (store_ssh_host_resumable(store, &list, err) == -1)
		return (-1);
	items = json_object_object_get(list, "items");
	if (items == NULL)
		items = list;
	for (i = 0; i < json_object_array_length(items); i++)
		ssh_host_spawn(json_object_array_get_idx(items, i));
	json_object_put(list);
	return (0);
}

void
ssh_host_add(const char *id)
{
	struct json_object	*row;
	struct ufo_error	 err;

	if (!ssh.running)
		return;
	if (store_ssh_host_get(ssh.store, NULL, id, &row, &err) == -1) {
		log_warn("ssh: %s", err.message);
		return;
	}
	ssh_host_spawn(row);
	json_object_put(row);
}

/* Flags the live thread of host id (or rover) to remove its host. */
static int
ssh_flag_remove(const char *id, const char *rover)
{
	struct ssh_host	*h;
	int		 n = 0;

	if (!ssh.running)
		return (0);
	pthread_mutex_lock(&ssh.lock);
	for (h = ssh.hosts; h != NULL; h = h->next) {
		if (h->done || (id != NULL && strcmp(h->id, id) != 0) ||
		    (rover != NULL && strcmp(h->rover, rover) != 0))
			continue;
		h->remove = 1;
		n++;
		if (write(h->wake[1], "r", 1) == -1)
			log_debug("%s: wake: %s", __func__, strerror(errno));
	}
	pthread_mutex_unlock(&ssh.lock);
	return (n > 0);
}

int
ssh_host_remove(const char *id)
{
	return (ssh_flag_remove(id, NULL));
}

void
ssh_rover_removed(const char *rover)
{
	if (rover != NULL)
		ssh_flag_remove(NULL, rover);
}

void
ssh_stop(void)
{
	struct ssh_host	*h, *next;
	size_t		 i, j;

	if (!ssh.running)
		return;
	pthread_mutex_lock(&ssh.lock);
	for (h = ssh.hosts; h != NULL; h = h->next) {
		h->stop = 1;
		if (write(h->wake[1], "s", 1) == -1)
			log_debug("%s: wake: %s", __func__, strerror(errno));
	}
	h = ssh.hosts;
	ssh.hosts = NULL;
	pthread_mutex_unlock(&ssh.lock);
	for (; h != NULL; h = next) {
		next = h->next;
		pthread_join(h->thread, NULL);
		ssh_host_free(h);
	}
	for (i = 0; i < ssh.nbins; i++) {
		for (j = 0; j < 4; j++)
			free(ssh.bins[i].argv[j]);
		free(ssh.bins[i].argv);
	}
	free(ssh.bins);
	free(ssh.socket);
	free(ssh.dir);
	ssh.running = 0;
	libssh2_exit();
}
