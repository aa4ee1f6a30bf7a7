/*
 * The ssh:// targets of `ufo rover add` (user, host, port, IPv6 in
 * brackets, and every malformed part refused with its reason), and ufod's
 * own key in OpenSSH's formats: the private key file read back, the
 * authorized_keys line and the SHA256 fingerprint of a known key (the
 * Ed25519 key of the seed 0, 1, … 31), checked against ssh-keygen when it
 * is installed.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ssh-key.h"
#include "ssh-url.h"
#include "tap.h"
#include "xmalloc.h"

#define KNOWN_LINE	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+" \
			"HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4 test@ufo"
#define KNOWN_FP	"SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg"

static const struct {
	const char	*text, *user, *host;
	int		 port;
} good[] = {
	{ "ssh://host", NULL, "host", 22 },
	{ "ssh://alice@host", "alice", "host", 22 },
	{ "ssh://alice@host:2222", "alice", "host", 2222 },
	{ "ssh://host:1", NULL, "host", 1 },
	{ "ssh://host:65535", NULL, "host", 65535 },
	{ "ssh://host/", NULL, "host", 22 },
	{ "ssh://b.example-1.org:22/", NULL, "b.example-1.org", 22 },
	{ "ssh://root@10.0.0.2:2200", "root", "10.0.0.2", 2200 },
	{ "ssh://[::1]:22", NULL, "::1", 22 },
	{ "ssh://root@[::1]", "root", "::1", 22 },
	{ "ssh://[2001:db8::42]:65535", NULL, "2001:db8::42", 65535 },
	{ "ssh://[fe80::1%eth0]:2222", NULL, "fe80::1%eth0", 2222 },
	{ "ssh://[::ffff:10.0.0.1]", NULL, "::ffff:10.0.0.1", 22 },
	{ "ssh://first.last@host", "first.last", "host", 22 },
};

static const struct {
	const char	*text, *why;
} bad[] = {
	{ "http://host", "not an ssh:// URL" },
	{ "host", "not an ssh:// URL" },
	{ "SSH://host", "not an ssh:// URL" },
	{ "", "not an ssh:// URL" },
	{ "ssh://", "empty host" },
	{ "ssh:///", "empty host" },
	{ "ssh://@host", "empty user" },
	{ "ssh://alice@", "empty host" },
	{ "ssh://alice@:22", "empty host" },
	{ "ssh://:22", "empty host" },
	{ "ssh://host:", "bad port \"\"" },
	{ "ssh://host:0", "bad port \"0\"" },
	{ "ssh://host:65536", "bad port \"65536\"" },
	{ "ssh://host:99999999999", "bad port" },
	{ "ssh://host:-1", "bad port" },
	{ "ssh://host:+22", "bad port" },
	{ "ssh://host:22x", "bad port \"22x\"" },
	{ "ssh://host: 22", "bad port" },
	{ "ssh://host:0x16", "bad port" },
	{ "ssh://::1", "in brackets" },
	{ "ssh://fe80::1:22", "in brackets" },
	{ "ssh://[::1", "no ']'" },
	{ "ssh://[]:22", "empty host" },
	{ "ssh://[not-v6]:22", "\"not-v6\" is not an IPv6 address" },
	{ "ssh://[1.2.3.4]", "is not an IPv6 address" },
	{ "ssh://[fe80::1%]:22", "is not an IPv6 address" },
	{ "ssh://[::1]x", "\"x\" after the host" },
	{ "ssh://[::1]:", "bad port" },
	{ "ssh://[::1]:0", "bad port" },
	{ "ssh://host/path", "a path (\"/path\") is not taken" },
	{ "ssh://host:22/x/", "a path" },
	{ "ssh://ho st", "\"ho st\" is not a host name or address" },
	{ "ssh://a@b@host", "\"b@host\" is not a host name or address" },
	{ "ssh://-oProxyCommand=x", "is not a host name or address" },
	{ "ssh://host?x=1", "is not a host name or address" },
	{ "ssh://al ice@host", "invalid character ' ' in the user" },
	{ "ssh://a:b@host", "invalid character ':' in the user" },
};

static void
skip(const char *why)
{
	tap_count++;
	printf("ok %d # SKIP %s\n", tap_count, why);
}

static void
test_urls(void)
{
	struct ssh_url	 u;
	char		 why[256], name[512];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		rc = ssh_url_parse(good[i].text, &u, why, sizeof why);
		snprintf(name, sizeof name, "%s parses", good[i].text);
		if (!ok(rc == 0, name)) {
			printf("#   %s\n", why);
			continue;
		}
		snprintf(name, sizeof name, "%s: user", good[i].text);
		is_str(u.user, good[i].user, name);
		snprintf(name, sizeof name, "%s: host", good[i].text);
		is_str(u.host, good[i].host, name);
		snprintf(name, sizeof name, "%s: port", good[i].text);
		is_int(u.port, good[i].port, name);
		ssh_url_free(&u);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		rc = ssh_url_parse(bad[i].text, &u, why, sizeof why);
		snprintf(name, sizeof name, "\"%s\" is refused: %s",
		    bad[i].text, bad[i].why);
		if (!ok(rc == -1 && strstr(why, bad[i].why) != NULL &&
		    u.user == NULL && u.host == NULL, name))
			printf("#   rc %d, why \"%s\"\n", rc, why);
	}
}

/* The blob an authorized_keys line's second field holds. */
static unsigned char *
line_blob(const char *line, size_t *len)
{
	const char	*b, *e;
	unsigned char	*blob;

	if ((b = strchr(line, ' ')) == NULL ||
	    (e = strchr(++b, ' ')) == NULL)
		return (NULL);
	blob = xmalloc((size_t)(e - b));
	if (sodium_base642bin(blob, (size_t)(e - b), b, (size_t)(e - b), NULL,
	    len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(blob);
		return (NULL);
	}
	return (blob);
}

/* The key file's text with its binary changed by fn, in the same form. */
static char *
key_mangle(const char *text, void (*fn)(unsigned char *, size_t *))
{
	const char	*b, *e;
	unsigned char	*bin;
	char		*b64, *out;
	size_t		 len, size;

	b = strchr(text, '\n') + 1;
	e = strstr(b, "-----END");
	size = (size_t)(e - b);
	bin = xmalloc(size);
	if (sodium_base642bin(bin, size, b, size, "\n", &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(bin);
		return (NULL);
	}
	fn(bin, &len);
	size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(size);
	sodium_bin2base64(b64, size, bin, len, sodium_base64_VARIANT_ORIGINAL);
	out = xprintf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n"
	    "-----END OPENSSH PRIVATE KEY-----\n", b64);
	free(b64);
	free(bin);
	return (out);
}

static void
mangle_magic(unsigned char *bin, size_t *len)
{
	(void)len;
	bin[0] = 'O';
}

/* The cipher's name, after the magic and its length. */
static void
mangle_cipher(unsigned char *bin, size_t *len)
{
	(void)len;
	memcpy(bin + sizeof "openssh-key-v1" + 4, "aes2", 4);
}

static void
mangle_truncate(unsigned char *bin, size_t *len)
{
	(void)bin;
	*len = 60;
}

static void
mangle_nothing(unsigned char *bin, size_t *len)
{
	(void)bin;
	(void)len;
}

/* Runs a shell command; its first line of output, or NULL. */
static char *
sh_line(const char *cmd)
{
	FILE	*p;
	char	 buf[1024];
	size_t	 n;
	int	 got;

	if ((p = popen(cmd, "r")) == NULL)
		return (NULL);
	got = fgets(buf, sizeof buf, p) != NULL;
	if (pclose(p) != 0 || !got)
		return (NULL);
	n = strcspn(buf, "\n");
	buf[n] = '\0';
	return (xstrdup(buf));
}

static int
write_file(const char *path, const char *text)
{
	size_t	 len = strlen(text);
	int	 fd, rc;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return (rc);
}

static void
test_keys(void)
{
	unsigned char	 seed[crypto_sign_SEEDBYTES];
	unsigned char	 pk[crypto_sign_PUBLICKEYBYTES], back[sizeof pk];
	unsigned char	 sk[crypto_sign_SECRETKEYBYTES], *blob;
	unsigned char	 opk[sizeof pk], osk[sizeof sk];
	char		 dir[] = "/tmp/t-ssh.XXXXXX", *text, *line, *fp, *p;
	char		*m, *path, *pub, *cmd, *got;
	size_t		 i, len, longest;

	for (i = 0; i < sizeof seed; i++)
		seed[i] = (unsigned char)i;
	crypto_sign_seed_keypair(pk, sk, seed);

	/* The private key file. */
	text = ssh_key_encode(pk, sk, "test@ufo");
	ok(strncmp(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36) == 0,
	    "the key file begins as OpenSSH's");
	len = strlen(text);
	ok(len > 34 && strcmp(text + len - 34,
	    "-----END OPENSSH PRIVATE KEY-----\n") == 0,
	    "and ends as OpenSSH's");
	longest = 0;
	for (p = strchr(text, '\n') + 1; *p != '-'; p += len + 1) {
		len = strcspn(p, "\n");
		if (len > longest)
			longest = len;
	}
	is_int(longest, 70, "its base64 is wrapped at 70 columns");
	memset(back, 0, sizeof back);
	ok(ssh_key_decode(text, back) == 0, "it reads back");
	ok(memcmp(back, pk, sizeof pk) == 0, "with the same public key");
	m = key_mangle(text, mangle_nothing);
	ok(m != NULL && ssh_key_decode(m, back) == 0,
	    "unwrapped base64 reads back too");
	free(m);
	m = key_mangle(text, mangle_magic);
	ok(m != NULL && ssh_key_decode(m, back) == -1,
	    "a wrong magic is refused");
	free(m);
	m = key_mangle(text, mangle_cipher);
	ok(m != NULL && ssh_key_decode(m, back) == -1,
	    "an encrypted key is refused");
	free(m);
	m = key_mangle(text, mangle_truncate);
	ok(m != NULL && ssh_key_decode(m, back) == -1,
	    "a truncated key is refused");
	free(m);
	ok(ssh_key_decode("garbage", back) == -1, "garbage is refused");
	ok(ssh_key_decode("-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n"
	    "-----END OPENSSH PRIVATE KEY-----\n", back) == -1,
	    "bad base64 is refused");

	/* Two keys, two files, each its own. */
	crypto_sign_keypair(opk, osk);
	m = ssh_key_encode(opk, osk, "other");
	ok(strcmp(m, text) != 0, "another key makes another file");
	ok(ssh_key_decode(m, back) == 0 && memcmp(back, opk, sizeof opk) == 0,
	    "which reads back as itself");
	free(m);

	/* The authorized_keys line and the fingerprint. */
	line = ssh_key_authorized_line(pk, "test@ufo");
	is_str(line, KNOWN_LINE, "the authorized_keys line of the known key");
	ok(strchr(line, '\n') == NULL, "on one line");
	blob = line_blob(line, &len);
	ok(blob != NULL && len == 51, "its blob: type and key");
	fp = blob != NULL ? ssh_key_fingerprint(blob, len) : NULL;
	is_str(fp, KNOWN_FP, "the fingerprint of the known key");

	/* The same, as ssh-keygen sees them. */
	if (system("command -v ssh-keygen >/dev/null") != 0) {
		skip("ssh-keygen is not installed");
		skip("ssh-keygen is not installed");
		skip("ssh-keygen is not installed");
	} else if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
	} else {
		path = xprintf("%s/key", dir);
		pub = xprintf("%s/key.pub", dir);
		ok(write_file(path, text) == 0 && write_file(pub, line) == 0,
		    "the key files are written");
		cmd = xprintf("ssh-keygen -lf %s | cut -d' ' -f2", pub);
		got = sh_line(cmd);
		is_str(got, fp, "ssh-keygen -lf prints the same fingerprint");
		free(got);
		free(cmd);
		/* Type and key: the comment ssh-keygen prints varies. */
		cmd = xprintf("ssh-keygen -y -f %s | cut -d' ' -f1-2", path);
		got = sh_line(cmd);
		m = xstrndup(line, strlen(line) - strlen(" test@ufo"));
		is_str(got, m, "ssh-keygen -y reads the private key file "
		    "and derives the same public key");
		free(m);
		free(got);
		free(cmd);
		unlink(path);
		unlink(pub);
		rmdir(dir);
		free(path);
		free(pub);
	}
	free(blob);
	free(fp);
	free(line);
	free(text);
}

int
main(void)
{
	if (sodium_init() == -1) {
		printf("Bail out! libsodium cannot start\n");
		return (1);
	}
	test_urls();
	test_keys();
	return (done_testing());
}
