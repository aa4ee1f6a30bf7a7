#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "editor.h"
#include "xmalloc.h"

static const char *
editor_command(void)
{
	const char	*s;

	if ((s = getenv("VISUAL")) != NULL && *s != '\0')
		return (s);
	if ((s = getenv("EDITOR")) != NULL && *s != '\0')
		return (s);
	return ("vi");
}

static int
editor_write(int fd, const char *text, const char *path,
    struct ufo_error *err)
{
	size_t	 len = strlen(text), off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
			    strerror(errno)));
		}
		off += (size_t)n;
	}
	return (0);
}

static int
editor_read(const char *path, char **out, struct ufo_error *err)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, size = 0, n;

	if ((f = fopen(path, "r")) == NULL)
		return (err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno)));
	for (;;) {
		if (size - len < 4096) {
			size = size == 0 ? 8192 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = fread(buf + len, 1, size - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return (err_set(err, UFO_EINTERNAL, "", "%s: read error",
		    path));
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		return (err_set(err, UFO_EINVAL, "", "%s: contains a NUL "
		    "byte", path));
	}
	*out = buf;
	return (0);
}

/*
 * Runs the editor through sh like git does, so EDITOR may hold arguments
 * ("code --wait"). While it runs ufo ignores SIGINT and SIGQUIT like
 * system(3): a ^C belongs to the editor.
 */
static int
editor_spawn(const char *editor, const char *path, struct ufo_error *err)
{
	struct sigaction	 ign, oint, oquit;
	char			*script;
	pid_t			 pid;
	int			 status, rc = 0;

	script = xprintf("%s \"$@\"", editor);
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	fflush(stdout);
	fflush(stderr);
	switch (pid = fork()) {
	case -1:
		rc = err_set(err, UFO_EINTERNAL, "", "fork: %s",
		    strerror(errno));
		break;
	case 0:
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		execl("/bin/sh", "sh", "-c", script, editor, path,
		    (char *)NULL);
		fprintf(stderr, "ufo: /bin/sh: %s\n", strerror(errno));
		_exit(127);
	default:
		while (waitpid(pid, &status, 0) == -1) {
			if (errno != EINTR) {
				rc = err_set(err, UFO_EINTERNAL, "",
				    "waitpid: %s", strerror(errno));
				break;
			}
		}
		if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
			rc = err_set(err, UFO_EINTERNAL, "", "editor \"%s\" "
			    "exited with status %d", editor,
			    WEXITSTATUS(status));
		else if (rc == 0 && WIFSIGNALED(status))
			rc = err_set(err, UFO_EINTERNAL, "", "editor \"%s\" "
			    "killed by signal %d", editor, WTERMSIG(status));
		break;
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	free(script);
	return (rc);
}

int
editor_run(const char *text, char **out, struct ufo_error *err)
{
	const char	*tmpdir;
	char		*path;
	int		 fd, rc;

	*out = NULL;
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir != '/')
		tmpdir = "/tmp";
	/* ".md": operation bodies are Markdown, editors highlight it. */
	path = xprintf("%s/ufo-XXXXXX.md", tmpdir);
	if ((fd = mkstemps(path, 3)) == -1) {
		rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno));
		free(path);
		return (rc);
	}
	rc = editor_write(fd, text, path, err);
	if (close(fd) == -1 && rc == 0)
		rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno));
	if (rc == 0)
		rc = editor_spawn(editor_command(), path, err);
	if (rc == 0)
		rc = editor_read(path, out, err);
	if (unlink(path) == -1 && errno != ENOENT && rc == 0) {
		free(*out);
		*out = NULL;
		rc = err_set(err, UFO_EINTERNAL, "", "%s: %s", path,
		    strerror(errno));
	}
	free(path);
	return (rc);
}

char *
editor_strip(const char *text, int comments)
{
	const char	*line, *end;
	char		*out;
	size_t		 len = 0, n;

	out = xmalloc(strlen(text) + 1);
	for (line = text; *line != '\0'; line = end) {
		if ((end = strchr(line, '\n')) != NULL)
			end++;
		else
			end = line + strlen(line);
		n = (size_t)(end - line);
		if (strncmp(line, EDITOR_SCISSORS,
		    sizeof EDITOR_SCISSORS - 1) == 0)
			break;
		if (comments && *line == '#')
			continue;
		memcpy(out + len, line, n);
		len += n;
	}
	out[len] = '\0';
	return (out);
}

static int
editor_blank(const char *line, const char *end)
{
	for (; line < end; line++) {
		if (!isspace((unsigned char)*line))
			return (0);
	}
	return (1);
}

void
editor_split(const char *text, char **title, char **body)
{
	const char	*line, *end, *start;
	size_t		 len;

	/* The first line with anything on it is the title. */
	for (line = text; *line != '\0'; line = end) {
		if ((end = strchr(line, '\n')) != NULL)
			end++;
		else
			end = line + strlen(line);
		if (!editor_blank(line, end))
			break;
	}
	while (*line != '\0' && isspace((unsigned char)*line))
		line++;
	end = line + strcspn(line, "\n");
	len = (size_t)(end - line);
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	*title = xstrndup(line, len);

	/* The body starts after the blank lines that follow. */
	for (start = *end == '\n' ? end + 1 : end; *start != '\0';
	    start = end) {
		if ((end = strchr(start, '\n')) != NULL)
			end++;
		else
			end = start + strlen(start);
		if (!editor_blank(start, end))
			break;
	}
	len = strlen(start);
	while (len > 0 && isspace((unsigned char)start[len - 1]))
		len--;
	*body = xstrndup(start, len);
}
