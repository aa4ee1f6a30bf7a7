#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "ssh-hostkey.h"
#include "ssh-key.h"
#include "xmalloc.h"

static const struct ssh_hostkey_type {
	int		 hostkey;	/* LIBSSH2_HOSTKEY_TYPE_* */
	int		 knownhost;	/* LIBSSH2_KNOWNHOST_KEY_* */
	const char	*name;
} ssh_hostkey_types[] = {
	{ LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa" },
	{ LIBSSH2_HOSTKEY_TYPE_DSS, LIBSSH2_KNOWNHOST_KEY_SSHDSS, "ssh-dss" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
	    "ecdsa-sha2-nistp256" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384,
	    "ecdsa-sha2-nistp384" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521,
	    "ecdsa-sha2-nistp521" },
	{ LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519,
	    "ssh-ed25519" },
};

static const struct ssh_hostkey_type *
ssh_hostkey_type(int hostkey)
{
	size_t	 i;

	for (i = 0; i < sizeof ssh_hostkey_types /
	    sizeof ssh_hostkey_types[0]; i++)
		if (ssh_hostkey_types[i].hostkey == hostkey)
			return (&ssh_hostkey_types[i]);
	return (NULL);
}

char *
ssh_hostkey_fingerprint(LIBSSH2_SESSION *session)
{
	const char	*key;
	size_t		 len;
	int		 type;

	if ((key = libssh2_session_hostkey(session, &len, &type)) == NULL)
		return (NULL);
	return (ssh_key_fingerprint((const unsigned char *)key, len));
}

/* Checks against one file; a missing file knows no host. */
static int
ssh_hostkey_check_file(LIBSSH2_SESSION *session, const char *file,
    const char *host, int port, const char *key, size_t len, int mask)
{
	LIBSSH2_KNOWNHOSTS		*kh;
	struct libssh2_knownhost	*found = NULL;
	struct stat			 sb;
	int				 rc;

	if (stat(file, &sb) == -1)
		return (LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
	if ((kh = libssh2_knownhost_init(session)) == NULL)
		return (LIBSSH2_KNOWNHOST_CHECK_FAILURE);
	if (libssh2_knownhost_readfile(kh, file,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0)
		rc = LIBSSH2_KNOWNHOST_CHECK_FAILURE;
	else
		rc = libssh2_knownhost_checkp(kh, host, port, key, len,
		    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
		    mask, &found);
	libssh2_knownhost_free(kh);
	return (rc);
}

/* Appends the host to ufod's file in OpenSSH's "[host]:port" form. */
static int
ssh_hostkey_add(LIBSSH2_SESSION *session, const char *file, const char *host,
    int port, const char *key, size_t len, int mask, struct ufo_error *err)
{
	LIBSSH2_KNOWNHOSTS	*kh;
	struct stat		 sb;
	char			*name;
	int			 rc = 0;

	if (conf_mkdir_parent(file, 0700, err) == -1)
		return (-1);
	if ((kh = libssh2_knownhost_init(session)) == NULL)
		return (err_set(err, UFO_EINTERNAL, "", "libssh2 cannot read "
		    "known hosts"));
	name = port == 22 ? xstrdup(host) : xprintf("[%s]:%d", host, port);
	if ((stat(file, &sb) == 0 && libssh2_knownhost_readfile(kh, file,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) ||
	    libssh2_knownhost_addc(kh, name, NULL, key, len, NULL, 0,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    mask, NULL) != 0 ||
	    libssh2_knownhost_writefile(kh, file,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
		rc = err_set(err, UFO_EINTERNAL, "", "cannot record the host "
		    "key of %s in %s", name, file);
	if (rc == 0)
		chmod(file, 0600);
	free(name);
	libssh2_knownhost_free(kh);
	return (rc);
}

int
ssh_hostkey_check(LIBSSH2_SESSION *session, const char *host, int port,
    const char *own, int accept_new, struct ufo_error *err)
{
	const struct ssh_hostkey_type	*t;
	const char			*key;
	char				*user, *fp;
	size_t				 len;
	int				 type, rc[2], i, ret;

	if ((key = libssh2_session_hostkey(session, &len, &type)) == NULL)
		return (err_set(err, UFO_EUNAVAIL, "", "%s offered no host key",
		    host));
	if ((t = ssh_hostkey_type(type)) == NULL)
		return (err_set(err, UFO_EUNAVAIL, "", "%s offered a host key "
		    "of a type ufod does not know", host));
	user = conf_expand_path("~/.ssh/known_hosts");
	rc[0] = ssh_hostkey_check_file(session, user, host, port, key, len,
	    t->knownhost);
	rc[1] = ssh_hostkey_check_file(session, own, host, port, key, len,
	    t->knownhost);
	fp = ssh_hostkey_fingerprint(session);
	ret = 0;
	for (i = 0; i < 2; i++) {
		if (rc[i] == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
			ret = err_set(err, UFO_EFORBIDDEN, "host_key",
			    "HOST KEY OF %s:%d HAS CHANGED (now %s %s, "
			    "recorded otherwise in %s): someone may be "
			    "intercepting the connection, or the host was "
			    "reinstalled; refusing to connect (remove the "
			    "old key from %s if the change is expected)",
			    host, port, t->name, fp != NULL ? fp : "?",
			    i == 0 ? user : own, i == 0 ? user : own);
			goto out;
		}
	}
	for (i = 0; i < 2; i++) {
		if (rc[i] == LIBSSH2_KNOWNHOST_CHECK_FAILURE) {
			ret = err_set(err, UFO_EINTERNAL, "host_key", "cannot "
			    "read %s", i == 0 ? user : own);
			goto out;
		}
		if (rc[i] == LIBSSH2_KNOWNHOST_CHECK_MATCH)
			goto out;
	}
	if (!accept_new) {
		ret = err_set(err, UFO_EFORBIDDEN, "host_key", "the host key "
		    "of %s:%d is unknown (%s %s); check the fingerprint, then "
		    "add it to %s or add the host again with --accept-new",
		    host, port, t->name, fp != NULL ? fp : "?", user);
		goto out;
	}
	ret = ssh_hostkey_add(session, own, host, port, key, len,
	    t->knownhost, err);
out:
	free(fp);
	free(user);
	return (ret);
}
