/*
 * ufo.conf: key = value lines, quoting, comments, ~ expansion, errors that
 * name file:line, the directives kept for the board, and the XDG defaults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "error.h"
#include "tap.h"
#include "xmalloc.h"

static char	*tmpdir;

static int
contains(const char *haystack, const char *needle)
{
	return (haystack != NULL && strstr(haystack, needle) != NULL);
}

/* Writes text to a file in the temporary directory; returns its path. */
static char *
write_conf(const char *name, const char *text)
{
	char	*path;
	FILE	*f;

	path = xprintf("%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return (path);
}

/* Loads text into a fresh conf; returns conf_load's result. */
static int
load(struct conf *conf, const char *text, struct ufo_error *err)
{
	char	*path;
	int	 rc;

	conf_init(conf);
	path = write_conf("ufo.conf", text);
	err_clear(err);
	rc = conf_load(conf, path, 1, err);
	free(path);
	return (rc);
}

static void
test_defaults(void)
{
	struct conf	 conf;
	char		*s, *want;

	setenv("HOME", tmpdir, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_RUNTIME_DIR");

	conf_init(&conf);
	want = xprintf("%s/.config/ufo/ufo.conf", tmpdir);
	is_str(conf.path, want, "defaults: config under $HOME/.config");
	free(want);
	want = xprintf("%s/.local/share/ufo/ufo.db", tmpdir);
	is_str(conf.database, want, "defaults: database under "
	    "$HOME/.local/share");
	free(want);
	want = xprintf("/tmp/ufo-%ld/ufod.sock", (long)getuid());
	is_str(conf.socket, want, "defaults: socket in /tmp/ufo-UID "
	    "without XDG_RUNTIME_DIR");
	free(want);
	ok(conf.listen == NULL, "defaults: no TCP listener");
	is_str(conf.log, "stderr", "defaults: log to stderr");
	is_str(conf.log_level, "info", "defaults: log_level info");
	is_int(conf.max_body, 1024 * 1024, "defaults: max_body 1 MiB");
	is_int(conf.threads, 32, "defaults: thirty-two threads");
	ok(conf.server == NULL, "defaults: no server URL");
	ok(conf.tls_cert == NULL && conf.tls_key == NULL,
	    "defaults: no certificate, plain HTTP");
	ok(conf.ca_file == NULL, "defaults: the system's CAs");
	is_int(conf.nlines, 0, "defaults: no directives");
	conf_free(&conf);

	setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	setenv("XDG_RUNTIME_DIR", "/xdg/run", 1);
	s = conf_default_file();
	is_str(s, "/xdg/config/ufo/ufo.conf", "XDG_CONFIG_HOME honoured");
	free(s);
	s = conf_default_database();
	is_str(s, "/xdg/data/ufo/ufo.db", "XDG_DATA_HOME honoured");
	free(s);
	s = conf_default_socket();
	is_str(s, "/xdg/run/ufo/ufod.sock", "XDG_RUNTIME_DIR honoured");
	free(s);

	/* The XDG spec says relative paths are invalid and to be ignored. */
	setenv("XDG_CONFIG_HOME", "relative/config", 1);
	setenv("XDG_RUNTIME_DIR", "", 1);
	s = conf_default_file();
	want = xprintf("%s/.config/ufo/ufo.conf", tmpdir);
	is_str(s, want, "relative XDG_CONFIG_HOME ignored");
	free(want);
	free(s);
	s = conf_default_socket();
	want = xprintf("/tmp/ufo-%ld/ufod.sock", (long)getuid());
	is_str(s, want, "empty XDG_RUNTIME_DIR ignored");
	free(want);
	free(s);

	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_RUNTIME_DIR");

	s = conf_expand_path("~/x/y");
	want = xprintf("%s/x/y", tmpdir);
	is_str(s, want, "expand: ~/x → $HOME/x");
	free(want);
	free(s);
	s = conf_expand_path("~");
	is_str(s, tmpdir, "expand: ~ → $HOME");
	free(s);
	s = conf_expand_path("/abs/~/x");
	is_str(s, "/abs/~/x", "expand: ~ elsewhere untouched");
	free(s);
	s = conf_expand_path("~other/x");
	ok(s[0] == '/' && strcmp(s + strlen(s) - 9, "/~other/x") == 0,
	    "expand: ~user is not expanded, but made absolute");
	free(s);
	s = conf_expand_path("rel/x");
	ok(s[0] == '/' && strcmp(s + strlen(s) - 6, "/rel/x") == 0,
	    "expand: a relative path is made absolute");
	free(s);
}

static void
test_load(void)
{
	struct conf		 conf;
	struct ufo_error	 err;
	char			*want;

	is_int(load(&conf,
	    "# ufo.conf\n"
	    "\n"
	    "   # indented comment\n"
	    "socket = /run/u/ufod.sock\n"
	    "database=~/db/ufo.db\n"
	    "listen   =   127.0.0.1:7077   \n"
	    "log = syslog\n"
	    "log_level = \"debug\"\n"
	    "max_body = 2M\n"
	    "threads = 12\n"
	    "server = \"http://example.com:7077\"\n"
	    "\tsocket\t=\t~/s.sock\n", &err), 0, "load: a full file loads");
	if (err.message[0] != '\0')
		printf("#   %s\n", err.message);
	want = xprintf("%s/s.sock", tmpdir);
	is_str(conf.socket, want, "load: later line wins, tabs, ~ expanded");
	free(want);
	want = xprintf("%s/db/ufo.db", tmpdir);
	is_str(conf.database, want, "load: no spaces around =, ~ expanded");
	free(want);
	is_str(conf.listen, "127.0.0.1:7077", "load: value trimmed");
	is_str(conf.log, "syslog", "load: log choice");
	is_str(conf.log_level, "debug", "load: quotes removed");
	is_int(conf.max_body, 2 * 1024 * 1024, "load: size with M suffix");
	is_int(conf.threads, 12, "load: threads");
	is_str(conf.server, "http://example.com:7077",
	    "load: quoted URL keeps its colons");
	want = xprintf("%s/ufo.conf", tmpdir);
	is_str(conf.path, want, "load: path is the file read");
	free(want);
	conf_free(&conf);

	is_int(load(&conf, "tls_cert = ~/tls/ufod.pem\n"
	    "tls_key = /etc/ufo/ufod.key\nca_file = ~/ca.pem\n", &err), 0,
	    "load: tls_cert, tls_key and ca_file");
	want = xprintf("%s/tls/ufod.pem", tmpdir);
	is_str(conf.tls_cert, want, "load: tls_cert is a path, ~ expanded");
	free(want);
	is_str(conf.tls_key, "/etc/ufo/ufod.key", "load: tls_key");
	want = xprintf("%s/ca.pem", tmpdir);
	is_str(conf.ca_file, want, "load: ca_file is a path, ~ expanded");
	free(want);
	conf_free(&conf);
	is_int(load(&conf, "tls_key =\n", &err), -1,
	    "load: empty tls_key fails");
	ok(contains(err.message, "tls_key"), "load: the message names tls_key");
	conf_free(&conf);

	is_int(load(&conf, "server = ~/not-a-path\n", &err), 0,
	    "load: server is a plain string");
	is_str(conf.server, "~/not-a-path", "load: ~ not expanded in strings");
	conf_free(&conf);

	is_int(load(&conf, "max_body = 1K\n", &err), 0, "size: K");
	is_int(conf.max_body, 1024, "size: 1K = 1024");
	conf_free(&conf);
	is_int(load(&conf, "max_body = 1g\n", &err), 0, "size: lower-case g");
	is_int(conf.max_body, 1024 * 1024 * 1024, "size: 1g");
	conf_free(&conf);
	is_int(load(&conf, "max_body = 12345\n", &err), 0, "size: bytes");
	is_int(conf.max_body, 12345, "size: plain number of bytes");
	conf_free(&conf);

	is_int(load(&conf, "# one\nsocket = /a\nfrobnicate = 3\n", &err), -1,
	    "unknown key: fails");
	is_int(err.code, UFO_EINVAL, "unknown key: invalid");
	want = xprintf("%s/ufo.conf:3:", tmpdir);
	ok(contains(err.message, want), "unknown key: names file:line");
	if (!contains(err.message, want))
		printf("#   message: %s\n", err.message);
	free(want);
	ok(contains(err.message, "frobnicate"), "unknown key: names the key");
	conf_free(&conf);

	is_int(load(&conf, "max_body = lots\n", &err), -1, "bad size: fails");
	ok(contains(err.message, ":1:") && contains(err.message, "max_body"),
	    "bad size: names line and key");
	conf_free(&conf);
	is_int(load(&conf, "max_body = 0\n", &err), -1, "size 0: fails");
	conf_free(&conf);
	is_int(load(&conf, "max_body = -5\n", &err), -1,
	    "negative size: fails");
	conf_free(&conf);
	is_int(load(&conf, "max_body = 5X\n", &err), -1,
	    "unknown suffix: fails");
	conf_free(&conf);
	is_int(load(&conf, "max_body = 1KB\n", &err), -1,
	    "two-letter suffix: fails");
	conf_free(&conf);

	is_int(load(&conf, "threads = 0\n", &err), -1, "threads 0: fails");
	conf_free(&conf);
	is_int(load(&conf, "threads = 2000\n", &err), -1,
	    "threads 2000: fails");
	conf_free(&conf);
	is_int(load(&conf, "threads = four\n", &err), -1,
	    "threads four: fails");
	conf_free(&conf);

	is_int(load(&conf, "log_level = loud\n", &err), -1,
	    "bad choice: fails");
	ok(contains(err.message, "error warning info debug"),
	    "bad choice: lists the choices");
	conf_free(&conf);
	is_int(load(&conf, "log_level = deb\n", &err), -1,
	    "choice prefix: fails");
	conf_free(&conf);
	is_int(load(&conf, "log = \n", &err), -1, "empty choice: fails");
	conf_free(&conf);
	is_int(load(&conf, "socket =\n", &err), -1, "empty path: fails");
	conf_free(&conf);

	is_int(load(&conf, "\n\nnonsense here\n", &err), -1,
	    "unknown directive: fails");
	ok(contains(err.message, ":3:") && contains(err.message, "nonsense"),
	    "unknown directive: names line and word");
	conf_free(&conf);
}

static void
test_directives(void)
{
	struct conf		 conf;
	struct ufo_error	 err;
	const struct conf_line	*cl;

	is_int(load(&conf,
	    "bind board j cursor-down\n"
	    "socket = /s\n"
	    "color card-running \"bright green\" default # comment\n"
	    "bind board k cursor-up\n", &err), 0,
	    "directives: accepted among keys");
	is_int(conf.nlines, 3, "directives: three kept");
	is_str(conf.socket, "/s", "directives: keys still read");

	cl = conf_next_directive(&conf, "bind", NULL);
	ok(cl != NULL, "bind: first found");
	if (cl != NULL) {
		is_int(cl->argc, 4, "bind: four words");
		is_str(cl->argv[0], "bind", "bind: word 0");
		is_str(cl->argv[1], "board", "bind: word 1");
		is_str(cl->argv[3], "cursor-down", "bind: word 3");
		is_int(cl->line, 1, "bind: line number kept");
		ok(contains(cl->file, "ufo.conf"), "bind: file kept");
	}
	cl = conf_next_directive(&conf, "bind", cl);
	ok(cl != NULL && cl->line == 4 && strcmp(cl->argv[3], "cursor-up") == 0,
	    "bind: second found, in file order");
	ok(conf_next_directive(&conf, "bind", cl) == NULL, "bind: only two");

	cl = conf_next_directive(&conf, "color", NULL);
	ok(cl != NULL, "color: found");
	if (cl != NULL) {
		is_int(cl->argc, 4, "color: quotes group words, comment dropped");
		is_str(cl->argv[2], "bright green", "color: quoted word");
		is_str(cl->argv[3], "default", "color: last word");
	}
	ok(conf_next_directive(&conf, "unbind", NULL) == NULL,
	    "directives: absent name → NULL");
	conf_free(&conf);

	is_int(load(&conf, "color card \"unterminated\n", &err), -1,
	    "directive: unterminated quote fails");
	ok(contains(err.message, ":1:"), "directive: error names the line");
	conf_free(&conf);
}

static void
test_missing(void)
{
	struct conf		 conf;
	struct ufo_error	 err;
	char			*path, *before;

	conf_init(&conf);
	before = xstrdup(conf.path);
	path = xprintf("%s/does-not-exist.conf", tmpdir);
	err_clear(&err);
	is_int(conf_load(&conf, path, 0, &err), 0,
	    "missing file: fine when optional");
	is_str(conf.path, before, "missing file: path unchanged");
	is_int(conf.max_body, 1024 * 1024, "missing file: defaults kept");
	is_int(conf_load(&conf, path, 1, &err), -1,
	    "missing file: error when it must exist");
	ok(contains(err.message, "does-not-exist.conf"),
	    "missing file: error names the file");
	free(path);
	free(before);
	conf_free(&conf);

	conf_init(&conf);
	err_clear(&err);
	is_int(conf_set(&conf, "threads", "16", &err), 0, "conf_set: sets");
	is_int(conf.threads, 16, "conf_set: value");
	is_int(conf_set(&conf, "bogus", "1", &err), -1,
	    "conf_set: unknown key fails");
	is_str(err.field, "bogus", "conf_set: names the key");
	conf_free(&conf);
}

static void
test_mkdir(void)
{
	struct ufo_error	 err;
	struct stat		 sb;
	char			*path, *dir;

	path = xprintf("%s/a/b/c/ufod.sock", tmpdir);
	err_clear(&err);
	is_int(conf_mkdir_parent(path, 0700, &err), 0,
	    "mkdir_parent: creates the chain");
	dir = xprintf("%s/a/b/c", tmpdir);
	ok(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode),
	    "mkdir_parent: leaf directory exists");
	ok((sb.st_mode & 077) == 0, "mkdir_parent: mode 0700 applied");
	ok(access(path, F_OK) == -1, "mkdir_parent: the file is not made");
	is_int(conf_mkdir_parent(path, 0700, &err), 0,
	    "mkdir_parent: existing is fine");
	free(dir);
	free(path);

	is_int(conf_mkdir_parent("plainname", 0700, &err), 0,
	    "mkdir_parent: no directory part is fine");

	path = write_conf("file", "x\n");
	free(path);
	path = xprintf("%s/file/sub/x.db", tmpdir);
	err_clear(&err);
	is_int(conf_mkdir_parent(path, 0700, &err), -1,
	    "mkdir_parent: a file in the way fails");
	ok(contains(err.message, "mkdir"), "mkdir_parent: says mkdir failed");
	free(path);
}

int
main(void)
{
	char	 tmpl[] = "/tmp/ufo-t-conf.XXXXXX";
	char	*cmd;

	umask(022);
	if ((tmpdir = mkdtemp(tmpl)) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return (1);
	}
	test_defaults();
	test_load();
	test_directives();
	test_missing();
	test_mkdir();

	cmd = xprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	return (done_testing());
}
