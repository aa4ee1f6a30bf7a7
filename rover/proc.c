#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "xmalloc.h"

extern char **environ;

/* How much of stderr proc_run keeps to explain a failure. */
#define PROC_ERR_TAIL	4096

long long
proc_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

char *
proc_status(int status)
{
	if (WIFEXITED(status))
		return (xprintf("exit status %d", WEXITSTATUS(status)));
	if (WIFSIGNALED(status))
		return (xprintf("killed by signal %d", WTERMSIG(status)));
	return (xprintf("wait status %d", status));
}

char *
proc_which(const char *name, const char *path)
{
	struct stat	 sb;
	const char	*p, *end;
	char		*cand;
	size_t		 len;

	if (*name == '\0')
		return (NULL);
	if (strchr(name, '/') != NULL) {
		if (access(name, X_OK) == 0)
			return (xstrdup(name));
		return (NULL);
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		/* An empty entry is the current directory. */
		cand = len == 0 ? xprintf("./%s", name) :
		    xprintf("%.*s/%s", (int)len, p, name);
		if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(cand, X_OK) == 0)
			return (cand);
		free(cand);
		if (*end == '\0')
			break;
	}
	return (NULL);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void
proc_child(const struct proc_spec *ps, int outw, int errw, int report)
{
	struct sigaction	 sa;
	sigset_t		 set;
	int			 fd, e;

	/* The rover blocks and ignores signals; the pilot must not. */
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (ps->pgrp && setpgid(0, 0) == -1)
		goto fail;
	if (ps->dir != NULL && chdir(ps->dir) == -1)
		goto fail;
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		goto fail;
	if (dup2(fd, STDIN_FILENO) == -1 ||
	    dup2(outw != -1 ? outw : fd, STDOUT_FILENO) == -1 ||
	    dup2(errw != -1 ? errw : fd, STDERR_FILENO) == -1)
		goto fail;
	/* Nothing else of the rover's leaks into the pilot. */
#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
#endif
	{
		for (fd = 3; fd < 1024; fd++) {
			if (fd != report)
				close(fd);
		}
	}
	execve(ps->path, ps->argv, ps->envp != NULL ? ps->envp : environ);
fail:
	e = errno;
	while (write(report, &e, sizeof e) == -1 && errno == EINTR)
		;
	_exit(127);
}

int
proc_spawn(const struct proc_spec *ps, pid_t *pidp, int *outfd, int *errfd,
    struct ufo_error *err)
{
	int	 out[2] = { -1, -1 }, errp[2] = { -1, -1 }, rep[2];
	int	 e = 0;
	ssize_t	 n;
	pid_t	 pid;

	if ((outfd != NULL && pipe2(out, O_CLOEXEC) == -1) ||
	    (errfd != NULL && pipe2(errp, O_CLOEXEC) == -1) ||
	    pipe2(rep, O_CLOEXEC) == -1) {
		e = errno;
		goto fail;
	}
	if ((pid = fork()) == -1) {
		e = errno;
		close(rep[0]);
		close(rep[1]);
		goto fail;
	}
	if (pid == 0)
		proc_child(ps, out[1], errp[1], rep[1]);
	/* Both sides set the group, so a signal right away reaches it. */
	if (ps->pgrp)
		(void)setpgid(pid, pid);
	close(rep[1]);
	if (out[1] != -1)
		close(out[1]);
	if (errp[1] != -1)
		close(errp[1]);
	/* The report pipe closes on exec: nothing read means it ran. */
	while ((n = read(rep[0], &e, sizeof e)) == -1 && errno == EINTR)
		;
	close(rep[0]);
	if (n == (ssize_t)sizeof e) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		if (out[0] != -1)
			close(out[0]);
		if (errp[0] != -1)
			close(errp[0]);
		return (err_set(err, UFO_EINTERNAL, "", "cannot run %s: %s",
		    ps->argv[0], strerror(e)));
	}
	if (out[0] != -1)
		(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	if (errp[0] != -1)
		(void)fcntl(errp[0], F_SETFL, O_NONBLOCK);
	*pidp = pid;
	if (outfd != NULL)
		*outfd = out[0];
	if (errfd != NULL)
		*errfd = errp[0];
	return (0);

fail:
	if (out[0] != -1) {
		close(out[0]);
		close(out[1]);
	}
	if (errp[0] != -1) {
		close(errp[0]);
		close(errp[1]);
	}
	return (err_set(err, UFO_EINTERNAL, "", "cannot run %s: %s",
	    ps->argv[0], strerror(e)));
}

void
proc_result_free(struct proc_result *pr)
{
	free(pr->out);
	free(pr->err);
	memset(pr, 0, sizeof *pr);
}

/* Appends to a growing buffer, keeping at most max bytes (0: any). */
static void
proc_keep(char **buf, size_t *len, const char *p, size_t n, size_t max,
    int tail, int *truncated)
{
	size_t	 drop;

	if (!tail && *len + n > max) {
		if (truncated != NULL)
			*truncated = 1;
		n = max > *len ? max - *len : 0;
	}
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, p, n);
	*len += n;
	if (tail && *len > max) {
		drop = *len - max;
		memmove(*buf, *buf + drop, *len - drop);
		*len -= drop;
	}
	(*buf)[*len] = '\0';
}

int
proc_run(const struct proc_spec *ps, int timeout, size_t outmax,
    struct proc_result *pr, struct ufo_error *err)
{
	struct pollfd	 pfd[2];
	char		 chunk[65536];
	size_t		 errlen = 0;
	long long	 deadline = 0, left;
	ssize_t		 n;
	pid_t		 pid, r;
	int		 fds[2], i, nfds, open_fds = 2, killed = 0;

	memset(pr, 0, sizeof *pr);
	if (proc_spawn(ps, &pid, &fds[0], &fds[1], err) == -1)
		return (-1);
	pr->out = xstrdup("");
	pr->err = xstrdup("");
	if (timeout > 0)
		deadline = proc_now() + (long long)timeout * 1000;
	while (open_fds > 0) {
		nfds = 0;
		for (i = 0; i < 2; i++) {
			if (fds[i] == -1)
				continue;
			pfd[nfds].fd = fds[i];
			pfd[nfds].events = POLLIN;
			pfd[nfds].revents = 0;
			nfds++;
		}
		left = -1;
		if (deadline != 0 && !killed) {
			left = deadline - proc_now();
			if (left <= 0) {
				/* Its descendants keep the pipes open too. */
				kill(ps->pgrp ? -pid : pid, SIGKILL);
				killed = pr->timed_out = 1;
				left = -1;
			}
		}
		if (poll(pfd, (nfds_t)nfds, left > INT_MAX ? INT_MAX :
		    (int)left) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < nfds; i++) {
			if (pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof chunk);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(pfd[i].fd);
				if (pfd[i].fd == fds[0])
					fds[0] = -1;
				else
					fds[1] = -1;
				open_fds--;
				continue;
			}
			if (pfd[i].fd == fds[0])
				proc_keep(&pr->out, &pr->outlen, chunk,
				    (size_t)n, outmax, 0, &pr->truncated);
			else
				proc_keep(&pr->err, &errlen, chunk, (size_t)n,
				    PROC_ERR_TAIL, 1, NULL);
		}
	}
	for (i = 0; i < 2; i++) {
		if (fds[i] != -1)
			close(fds[i]);
	}
	while ((r = waitpid(pid, &pr->status, 0)) == -1 && errno == EINTR)
		;
	if (r == -1)
		return (err_set(err, UFO_EINTERNAL, "", "%s: waitpid: %s",
		    ps->argv[0], strerror(errno)));
	if (pr->timed_out)
		return (err_set(err, UFO_EUNAVAIL, "", "%s: no answer after "
		    "%d s", ps->argv[0], timeout));
	return (0);
}
