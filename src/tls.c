#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"
#include "tls.h"
#include "xmalloc.h"

/* A certificate chain or a key is a few KiB; more is not one. */
#define TLS_MAX_FILE	(1024 * 1024)

/*
 * Reads a whole PEM file for key (the ufo.conf key naming it, for the
 * message); *mode gets its permission bits.
 */
static char *
tls_read(const char *key, const char *path, mode_t *mode,
    struct ufo_error *err)
{
	struct stat	 sb;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_set(err, UFO_EINVAL, key, "%s %s: %s", key, path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &sb) == -1) {
		err_set(err, UFO_EINVAL, key, "%s %s: %s", key, path,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > TLS_MAX_FILE) {
		err_set(err, UFO_EINVAL, key, "%s %s: %s", key, path,
		    S_ISDIR(sb.st_mode) ? "is a directory" :
		    !S_ISREG(sb.st_mode) ? "not a regular file" :
		    "larger than 1 MiB, not a PEM file");
		close(fd);
		return (NULL);
	}
	*mode = sb.st_mode & 07777;
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size && (n = read(fd, buf + len,
	    (size_t)sb.st_size - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_set(err, UFO_EINVAL, key, "%s %s: %s", key, path,
			    strerror(errno));
			close(fd);
			free(buf);
			return (NULL);
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (buf);
}

/* The certificate's validity against now: a warning, never a refusal. */
static void
tls_check_dates(const struct tls_pair *p, gnutls_x509_crt_t crt)
{
	time_t		 now = time(NULL), t;
	struct tm	 tm;
	char		 when[32];

	if ((t = gnutls_x509_crt_get_expiration_time(crt)) != (time_t)-1 &&
	    t < now) {
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		log_warn("tls_cert %s expired at %s: clients will refuse it",
		    p->cert_file, when);
	}
	if ((t = gnutls_x509_crt_get_activation_time(crt)) != (time_t)-1 &&
	    t > now) {
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		log_warn("tls_cert %s is valid only from %s: clients will "
		    "refuse it until then", p->cert_file, when);
	}
}

/* Whether the PEM texts are a certificate chain and its private key. */
static int
tls_check(const struct tls_pair *p, struct ufo_error *err)
{
	gnutls_datum_t				 cd, kd;
	gnutls_x509_crt_t			*crts = NULL;
	gnutls_x509_privkey_t			 pk = NULL;
	gnutls_certificate_credentials_t	 cred = NULL;
	unsigned int				 ncrts = 0, i;
	int					 r, rc = -1;

	cd.data = (unsigned char *)p->cert;
	cd.size = (unsigned int)strlen(p->cert);
	kd.data = (unsigned char *)p->key;
	kd.size = (unsigned int)strlen(p->key);

	if ((r = gnutls_x509_crt_list_import2(&crts, &ncrts, &cd,
	    GNUTLS_X509_FMT_PEM, 0)) < 0 || ncrts == 0) {
		err_set(err, UFO_EINVAL, "tls_cert", "tls_cert %s: not a PEM "
		    "certificate: %s", p->cert_file, r < 0 ?
		    gnutls_strerror(r) : "no certificate in it");
		goto out;
	}
	tls_check_dates(p, crts[0]);
	if ((r = gnutls_x509_privkey_init(&pk)) < 0 ||
	    (r = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM,
	    NULL, 0)) < 0) {
		err_set(err, UFO_EINVAL, "tls_key", "tls_key %s: not an "
		    "unencrypted PEM private key: %s", p->key_file,
		    gnutls_strerror(r));
		goto out;
	}
	if ((r = gnutls_certificate_allocate_credentials(&cred)) < 0) {
		err_set(err, UFO_EINTERNAL, "", "GnuTLS: %s",
		    gnutls_strerror(r));
		goto out;
	}
	if ((r = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
			err_set(err, UFO_EINVAL, "tls_key", "tls_key %s is not "
			    "the key of the certificate in tls_cert %s",
			    p->key_file, p->cert_file);
		else
			err_set(err, UFO_EINVAL, "tls_cert", "tls_cert %s with "
			    "tls_key %s: %s", p->cert_file, p->key_file,
			    gnutls_strerror(r));
		goto out;
	}
	rc = 0;
out:
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	if (pk != NULL)
		gnutls_x509_privkey_deinit(pk);
	for (i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return (rc);
}

int
tls_load(const char *cert_file, const char *key_file, struct tls_pair **out,
    struct ufo_error *err)
{
	struct tls_pair	*p;
	mode_t		 mode = 0;

	*out = NULL;
	if (cert_file == NULL && key_file == NULL)
		return (0);
	if (cert_file == NULL || key_file == NULL)
		return (err_set(err, UFO_EINVAL, cert_file == NULL ?
		    "tls_cert" : "tls_key", "%s %s is set but %s is not: "
		    "TLS needs both", cert_file == NULL ? "tls_key" :
		    "tls_cert", cert_file == NULL ? key_file : cert_file,
		    cert_file == NULL ? "tls_cert" : "tls_key"));
	p = xcalloc(1, sizeof *p);
	p->cert_file = xstrdup(cert_file);
	p->key_file = xstrdup(key_file);
	if ((p->cert = tls_read("tls_cert", cert_file, &mode, err)) == NULL ||
	    (p->key = tls_read("tls_key", key_file, &mode, err)) == NULL ||
	    tls_check(p, err) == -1) {
		tls_free(p);
		return (-1);
	}
	if (mode & 077)
		log_warn("tls_key %s may be read by others (mode %04o): "
		    "chmod 600 it", key_file, (unsigned int)mode);
	*out = p;
	return (0);
}

struct tls_pair *
tls_copy(const struct tls_pair *p)
{
	struct tls_pair	*c;

	if (p == NULL)
		return (NULL);
	c = xcalloc(1, sizeof *c);
	c->cert_file = xstrdup(p->cert_file);
	c->key_file = xstrdup(p->key_file);
	c->cert = xstrdup(p->cert);
	c->key = xstrdup(p->key);
	return (c);
}

void
tls_free(struct tls_pair *p)
{
	if (p == NULL)
		return;
	if (p->key != NULL) {
		explicit_bzero(p->key, strlen(p->key));
		free(p->key);
	}
	free(p->cert);
	free(p->cert_file);
	free(p->key_file);
	free(p);
}

int
tls_same(const struct tls_pair *a, const struct tls_pair *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a->cert, b->cert) == 0 && strcmp(a->key, b->key) == 0);
}
