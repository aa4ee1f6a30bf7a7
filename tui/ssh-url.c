#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh-url.h"
#include "xmalloc.h"

#define SSH_URL_SCHEME	"ssh://"

static int __attribute__((format(printf, 3, 4)))
ssh_url_bad(char *why, size_t size, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return (-1);
}

/* A decimal port, 1 to 65535, without sign or spaces. */
static int
ssh_url_port(const char *p, size_t len, int *port)
{
	size_t	 i;
	long	 v = 0;

	if (len == 0 || len > 5)
		return (-1);
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return (-1);
		v = v * 10 + (p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return (-1);
	*port = (int)v;
	return (0);
}

/* A host name or IPv4 address: letters, digits, '.', '-', '_'. */
static int
ssh_url_name(const char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)p[i]) && strchr(".-_", p[i]) == NULL)
			return (-1);
	}
	return (p[0] == '-' || p[0] == '.' ? -1 : 0);
}

/* An IPv6 address, with an optional %zone. */
static int
ssh_url_inet6(const char *p, size_t len)
{
	struct in6_addr	 a;
	const char	*pct;
	char		*addr;
	size_t		 alen, i;
	int		 rc;

	pct = memchr(p, '%', len);
	alen = pct != NULL ? (size_t)(pct - p) : len;
	if (pct != NULL) {
		if (pct + 1 == p + len)
			return (-1);
		for (i = alen + 1; i < len; i++) {
			if (!isalnum((unsigned char)p[i]) &&
			    strchr(".-_", p[i]) == NULL)
				return (-1);
		}
	}
	addr = xstrndup(p, alen);
	rc = inet_pton(AF_INET6, addr, &a) == 1 ? 0 : -1;
	free(addr);
	return (rc);
}

int
ssh_url_parse(const char *text, struct ssh_url *url, char *why, size_t size)
{
	const char	*p, *end, *at, *h, *hend, *rest, *what;
	size_t		 n;
	int		 (*valid)(const char *, size_t);

	memset(url, 0, sizeof *url);
	url->port = 22;
	if (strncmp(text, SSH_URL_SCHEME, strlen(SSH_URL_SCHEME)) != 0)
		return (ssh_url_bad(why, size, "not an ssh:// URL"));
	p = text + strlen(SSH_URL_SCHEME);
	end = p + strlen(p);
	if (end > p && end[-1] == '/')
		end--;
	if ((rest = memchr(p, '/', (size_t)(end - p))) != NULL)
		return (ssh_url_bad(why, size, "a path (\"%s\") is not taken",
		    rest));
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		if (at == p)
			return (ssh_url_bad(why, size, "empty user"));
		for (h = p; h < at; h++) {
			if (isspace((unsigned char)*h) || iscntrl((unsigned char)*h) ||
			    strchr("/:[]", *h) != NULL)
				return (ssh_url_bad(why, size, "invalid "
				    "character '%c' in the user", *h));
		}
		p = at + 1;
	}
	if (p == end)
		return (ssh_url_bad(why, size, "empty host"));
	if (*p == '[') {
		h = p + 1;
		if ((hend = memchr(h, ']', (size_t)(end - h))) == NULL)
			return (ssh_url_bad(why, size, "no ']' after the IPv6 "
			    "address"));
		rest = hend + 1;
		valid = ssh_url_inet6;
		what = "an IPv6 address";
	} else {
		h = p;
		for (hend = h; hend < end && *hend != ':'; hend++)
			;
		rest = hend;
		if (rest < end && memchr(rest + 1, ':', (size_t)(end - rest -
		    1)) != NULL)
			return (ssh_url_bad(why, size, "an IPv6 address goes in "
			    "brackets, as in ssh://[::1]:22"));
		valid = ssh_url_name;
		what = "a host name or address";
	}
	if (hend == h)
		return (ssh_url_bad(why, size, "empty host"));
	if (valid(h, (size_t)(hend - h)) == -1)
		return (ssh_url_bad(why, size, "\"%.*s\" is not %s",
		    (int)(hend - h), h, what));
	if (rest < end) {
		if (*rest != ':')
			return (ssh_url_bad(why, size, "\"%.*s\" after the host",
			    (int)(end - rest), rest));
		rest++;
		n = (size_t)(end - rest);
		if (ssh_url_port(rest, n, &url->port) == -1)
			return (ssh_url_bad(why, size, "bad port \"%.*s\" (1 to "
			    "65535)", (int)n, rest));
	}
	if (at != NULL)
		url->user = xstrndup(text + strlen(SSH_URL_SCHEME),
		    (size_t)(at - text - strlen(SSH_URL_SCHEME)));
	url->host = xstrndup(h, (size_t)(hend - h));
	return (0);
}

void
ssh_url_free(struct ssh_url *url)
{
	free(url->user);
	free(url->host);
	url->user = url->host = NULL;
}
