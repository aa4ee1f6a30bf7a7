#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ssh-key.h"
#include "xmalloc.h"

#define SSH_KEY_FILE	"ssh_ed25519"
#define SSH_KEY_MAGIC	"openssh-key-v1"	/* and its NUL */
#define SSH_KEY_TYPE	"ssh-ed25519"
#define SSH_KEY_BEGIN	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define SSH_KEY_END	"-----END OPENSSH PRIVATE KEY-----\n"
#define SSH_KEY_MAX	8192

/* Two requests asking for the first key must not both make one. */
static pthread_mutex_t ssh_key_lock = PTHREAD_MUTEX_INITIALIZER;

struct ssh_key_buf {
	unsigned char	*p;
	size_t		 len, size;
};

static void
ssh_key_put(struct ssh_key_buf *b, const void *p, size_t len)
{
	if (b->len + len > b->size) {
		b->size = (b->len + len) * 2;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void
ssh_key_put_u32(struct ssh_key_buf *b, uint32_t v)
{
	unsigned char	 be[4];

	be[0] = v >> 24;
	be[1] = v >> 16;
	be[2] = v >> 8;
	be[3] = v;
	ssh_key_put(b, be, 4);
}

static void
ssh_key_put_string(struct ssh_key_buf *b, const void *p, size_t len)
{
	ssh_key_put_u32(b, (uint32_t)len);
	ssh_key_put(b, p, len);
}

/* The public key blob: string "ssh-ed25519", string pk. */
static void
ssh_key_put_public(struct ssh_key_buf *b, const unsigned char *pk)
{
	ssh_key_put_string(b, SSH_KEY_TYPE, strlen(SSH_KEY_TYPE));
	ssh_key_put_string(b, pk, crypto_sign_PUBLICKEYBYTES);
}

static char *
ssh_key_base64(const unsigned char *p, size_t len)
{
	size_t	 size;
	char	*out;

	size = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL);
	out = xmalloc(size);
	sodium_bin2base64(out, size, p, len, sodium_base64_VARIANT_ORIGINAL);
	return (out);
}

static char *
ssh_key_comment(void)
{
	char	 host[256];

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	return (xprintf("ufod@%s", host));
}

char *
ssh_key_authorized_line(const unsigned char *pk, const char *comment)
{
	struct ssh_key_buf	 b = { NULL, 0, 0 };
	char			*b64, *line;

	ssh_key_put_public(&b, pk);
	b64 = ssh_key_base64(b.p, b.len);
	line = xprintf("%s %s %s", SSH_KEY_TYPE, b64, comment);
	free(b64);
	free(b.p);
	return (line);
}

/*
 * PROTOCOL.key of OpenSSH: magic, cipher "none", kdf "none", no kdf
 * options, one key, its public blob, then the private section (two equal
 * check words, the key, a comment) padded 1, 2, 3… to the 8-byte block.
 */
char *
ssh_key_encode(const unsigned char *pk, const unsigned char *sk,
    const char *comment)
{
	struct ssh_key_buf	 b = { NULL, 0, 0 }, pub = { NULL, 0, 0 };
	struct ssh_key_buf	 priv = { NULL, 0, 0 };
	uint32_t		 check;
	unsigned char		 pad;
	char			*b64, *text;
	size_t			 i, n, len;

	check = randombytes_random();
	ssh_key_put_u32(&priv, check);
	ssh_key_put_u32(&priv, check);
	ssh_key_put_public(&priv, pk);
	ssh_key_put_string(&priv, sk, crypto_sign_SECRETKEYBYTES);
	ssh_key_put_string(&priv, comment, strlen(comment));
	for (pad = 1; priv.len % 8 != 0; pad++)
		ssh_key_put(&priv, &pad, 1);

	ssh_key_put_public(&pub, pk);
	ssh_key_put(&b, SSH_KEY_MAGIC, sizeof SSH_KEY_MAGIC);
	ssh_key_put_string(&b, "none", 4);
	ssh_key_put_string(&b, "none", 4);
	ssh_key_put_string(&b, "", 0);
	ssh_key_put_u32(&b, 1);
	ssh_key_put_string(&b, pub.p, pub.len);
	ssh_key_put_string(&b, priv.p, priv.len);
	b64 = ssh_key_base64(b.p, b.len);
	sodium_memzero(priv.p, priv.len);
	sodium_memzero(b.p, b.len);
	free(priv.p);
	free(pub.p);
	free(b.p);

	/* OpenSSH wraps the base64 at 70 columns. */
	len = strlen(b64);
	text = xmalloc(strlen(SSH_KEY_BEGIN) + len + len / 70 + 2 +
	    strlen(SSH_KEY_END));
	strcpy(text, SSH_KEY_BEGIN);
	n = strlen(text);
	for (i = 0; i < len; i += 70) {
		memcpy(text + n, b64 + i, len - i < 70 ? len - i : 70);
		n += len - i < 70 ? len - i : 70;
		text[n++] = '\n';
	}
	strcpy(text + n, SSH_KEY_END);
	sodium_memzero(b64, len);
	free(b64);
	return (text);
}

static int
ssh_key_get_u32(const unsigned char **p, const unsigned char *end,
    uint32_t *v)
{
	if (end - *p < 4)
		return (-1);
	*v = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
	    (uint32_t)(*p)[2] << 8 | (*p)[3];
	*p += 4;
	return (0);
}

static int
ssh_key_get_string(const unsigned char **p, const unsigned char *end,
    const unsigned char **s, uint32_t *len)
{
	if (ssh_key_get_u32(p, end, len) == -1 ||
	    (size_t)(end - *p) < *len)
		return (-1);
	*s = *p;
	*p += *len;
	return (0);
}

int
ssh_key_decode(const char *text, unsigned char *pk)
{
	const char		*b, *e;
	const unsigned char	*p, *end, *s, *blob;
	unsigned char		*bin;
	uint32_t		 len, n, bloblen;
	size_t			 binlen, size;
	int			 i, rc = -1;

	if ((b = strstr(text, SSH_KEY_BEGIN)) == NULL ||
	    (e = strstr(b, "-----END")) == NULL)
		return (-1);
	b += strlen(SSH_KEY_BEGIN);
	size = (size_t)(e - b);
	bin = xmalloc(size);
	if (sodium_base642bin(bin, size, b, size, "\r\n", &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		goto out;
	p = bin;
	end = bin + binlen;
	if (binlen < sizeof SSH_KEY_MAGIC ||
	    memcmp(p, SSH_KEY_MAGIC, sizeof SSH_KEY_MAGIC) != 0)
		goto out;
	p += sizeof SSH_KEY_MAGIC;
	for (i = 0; i < 3; i++) {
		if (ssh_key_get_string(&p, end, &s, &len) == -1)
			goto out;
		if (i < 2 && (len != 4 || memcmp(s, "none", 4) != 0))
			goto out;	/* encrypted: not one of ours */
	}
	if (ssh_key_get_u32(&p, end, &n) == -1 || n != 1 ||
	    ssh_key_get_string(&p, end, &blob, &bloblen) == -1)
		goto out;
	p = blob;
	end = blob + bloblen;
	if (ssh_key_get_string(&p, end, &s, &len) == -1 ||
	    len != strlen(SSH_KEY_TYPE) || memcmp(s, SSH_KEY_TYPE, len) != 0 ||
	    ssh_key_get_string(&p, end, &s, &len) == -1 ||
	    len != crypto_sign_PUBLICKEYBYTES)
		goto out;
	memcpy(pk, s, len);
	rc = 0;
out:
	sodium_memzero(bin, size);
	free(bin);
	return (rc);
}

static int
ssh_key_read(const char *path, char **text, struct ufo_error *err)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	}
	buf = xmalloc(SSH_KEY_MAX + 1);
	while ((n = read(fd, buf + len, SSH_KEY_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n == -1) {
		free(buf);
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	}
	buf[len] = '\0';
	*text = buf;
	return (1);
}

/* Writes a new key with O_EXCL so a file never holds half a key. */
static int
ssh_key_generate(const char *path, struct ufo_error *err)
{
	unsigned char	 pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char	 sk[crypto_sign_SECRETKEYBYTES];
	char		*text, *comment, *tmp;
	size_t		 len;
	int		 fd, rc = 0;

	if (crypto_sign_keypair(pk, sk) != 0)
		return (err_set(err, UFO_EINTERNAL, "", "cannot make an "
		    "Ed25519 key"));
	comment = ssh_key_comment();
	text = ssh_key_encode(pk, sk, comment);
	sodium_memzero(sk, sizeof sk);
	free(comment);
	len = strlen(text);
	tmp = xprintf("%s.tmp", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
	}
	sodium_memzero(text, len);
	free(text);
	free(tmp);
	return (rc);
}

char *
ssh_key_dir(const char *database)
{
	char	*dir, *p;

	dir = xstrdup(database);
	if ((p = strrchr(dir, '/')) == NULL) {
		free(dir);
		return (xstrdup("."));
	}
	if (p == dir)
		p[1] = '\0';
	else
		*p = '\0';
	return (dir);
}

int
ssh_key_load(const char *dir, struct ssh_key *key, struct ufo_error *err)
{
	unsigned char	 pk[crypto_sign_PUBLICKEYBYTES];
	char		*path, *text = NULL, *comment, *sp;
	int		 rc;

	memset(key, 0, sizeof *key);
	if (sodium_init() == -1)
		return (err_set(err, UFO_EINTERNAL, "", "libsodium cannot "
		    "start"));
	path = xprintf("%s/%s", dir, SSH_KEY_FILE);
	pthread_mutex_lock(&ssh_key_lock);
	if ((rc = ssh_key_read(path, &text, err)) == 0 &&
	    (rc = ssh_key_generate(path, err)) == 0)
		rc = ssh_key_read(path, &text, err);
	pthread_mutex_unlock(&ssh_key_lock);
	if (rc == -1) {
		free(path);
		return (-1);
	}
	if (rc == 0 || ssh_key_decode(text, pk) == -1) {
		if (text != NULL)
			sodium_memzero(text, strlen(text));
		free(text);
		rc = err_set(err, UFO_EINTERNAL, "", "%s is not an "
		    "unencrypted OpenSSH Ed25519 key (move it away and ufod "
		    "makes a new one)", path);
		free(path);
		return (rc);
	}
	sodium_memzero(text, strlen(text));
	free(text);
	comment = ssh_key_comment();
	/* The line's comment is this host's; whitespace would split it. */
	for (sp = comment; *sp != '\0'; sp++)
		if (*sp == ' ' || *sp == '\t')
			*sp = '_';
	key->line = ssh_key_authorized_line(pk, comment);
	key->path = path;
	free(comment);
	return (0);
}

/* OpenSSH's: SHA-256 of the blob, base64 without its padding. */
char *
ssh_key_fingerprint(const unsigned char *blob, size_t len)
{
	unsigned char	 hash[crypto_hash_sha256_BYTES];
	char		 b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
			    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	crypto_hash_sha256(hash, blob, len);
	sodium_bin2base64(b64, sizeof b64, hash, sizeof hash,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return (xprintf("SHA256:%s", b64));
}

void
ssh_key_free(struct ssh_key *key)
{
	free(key->path);
	free(key->line);
	key->path = key->line = NULL;
}
