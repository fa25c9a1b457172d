/* SPDX-License-Identifier: ISC */
/*
 * deliver.c - running a command per event.
 */
#include <sys/file.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "timefmt.h"
#include "util.h"

extern char **environ;

void
deliver_open(struct deliver *d)
{
	d->dlfd = -1;
	if (d->dlpath == NULL)
		return;
	d->dlfd = openfile(d->dlpath, O_WRONLY | O_APPEND | O_CREAT, 0600);
}

enum deliver_result
deliver_park(struct deliver *d, const char *line, size_t len,
    const char *where, char *err, size_t n)
{
	if (d->dlfd < 0) {
		warnw(where, "delivery stops at this event");
		return DELIVER_STOP;
	}
	/* The lock orders this append with other writers. */
	if (flock(d->dlfd, LOCK_EX) == -1 ||
	    writeall(d->dlfd, line, len) == -1 ||
	    writeall(d->dlfd, "\n", 1) == -1) {
		seterr(err, n, "%s: write: %s", d->dlpath, strerror(errno));
		return DELIVER_ERR;
	}
	(void)flock(d->dlfd, LOCK_UN);
	warnw(where, "the event is kept in %s", d->dlpath);
	return DELIVER_PARKED;
}

/* "NAME=value" for one attribute: its decoded string, or its JSON text. */
static char *
envvar(const char *name, const struct scan_member *m)
{
	size_t nl = strlen(name), len;
	char *s;

	if (m == NULL) {
		s = xmalloc(nl + 2);
		memcpy(s, name, nl);
		memcpy(s + nl, "=", 2);
		return s;
	}
	s = xmalloc(nl + 1 + m->vallen + 1);
	memcpy(s, name, nl);
	s[nl] = '=';
	if (m->type == SCAN_STRING)
		len = scan_unescape(m->val + 1, m->vallen - 2, s + nl + 1);
	else {
		memcpy(s + nl + 1, m->val, m->vallen);
		len = m->vallen;
	}
	s[nl + 1 + len] = '\0';
	return s;
}

/*
 * CE_SEQUENCE in plain decimal: the attribute is zero-padded so that it
 * sorts as a string, but a shell reads "000000000008" as octal, and
 * $((CE_SEQUENCE+1)) fails on it.  A value that is not all digits is
 * left as it is.
 */
static void
unpad(char *var)
{
	char *v = strchr(var, '=') + 1, *d = v;

	if (*v == '\0' || v[strspn(v, "0123456789")] != '\0')
		return;
	while (d[0] == '0' && d[1] != '\0')
		d++;
	memmove(v, d, strlen(d) + 1);
}

static const struct {
	const char *name;	/* the variable */
	int attr;		/* the attribute it holds */
} vars[] = {
	{ "CE_TYPE", CE_TYPE }, { "CE_ID", CE_ID },
	{ "CE_SUBJECT", CE_SUBJECT }, { "CE_SOURCE", CE_SOURCE },
	{ "CE_SEQUENCE", CE_SEQUENCE }
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

/* Tells whether the environment entry e sets the variable name. */
static int
sets(const char *e, const char *name)
{
	size_t n = strlen(name);

	return strncmp(e, name, n) == 0 && e[n] == '=';
}

/* Tells whether the environment entry e is one of ours. */
static int
ours(const char *e)
{
	size_t i;

	for (i = 0; i < NVARS; i++)
		if (sets(e, vars[i].name))
			return 1;
	return sets(e, "CE_OMITTED");
}

/*
 * Runs the command once with the event on its stdin, its wait status in
 * *st.  Returns 0; -1 with errno when it could not be started; -2 with
 * err when no pipe could be made or the command not waited for.
 */
static int
run(struct deliver *d, const char *line, size_t len, char **envp, int *st,
    char *err, size_t n)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def;
	pid_t pid;
	int pfd[2], e;

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		seterr(err, n, "pipe: %s", strerror(errno));
		return -2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[0], STDIN_FILENO);
	/* We ignore SIGPIPE; the command should not inherit that. */
	posix_spawnattr_init(&attr);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	e = posix_spawnp(&pid, d->argv[0], &fa, &attr, d->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pfd[0]);
	if (e != 0) {
		close(pfd[1]);
		errno = e;
		return -1;
	}
	/* A command that does not read its input is its own business. */
	if (writeall(pfd[1], line, len) == 0)
		(void)writeall(pfd[1], "\n", 1);
	close(pfd[1]);
	while (waitpid(pid, st, 0) == -1)
		if (errno != EINTR) {
			seterr(err, n, "waitpid: %s", strerror(errno));
			return -2;
		}
	return 0;
}

static void
describe(int st, char *buf, size_t n)
{
	if (WIFEXITED(st))
		snprintf(buf, n, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, n, "was killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, n, "failed");
}

enum deliver_result
deliver_exec(struct deliver *d, const char *msg, size_t mlen,
    const char *line, size_t len, const struct ce_event *ev,
    const char *where, char *err, size_t errn)
{
	/* "CE_OMITTED=" and every name, each with a space before it. */
	char **envp, how[64], omitted[sizeof("CE_OMITTED=") + NVARS *
	    sizeof(" CE_SEQUENCE")];
	size_t n = 0, k, i, mine;
	long wait = DELIVER_BACKOFF_MS;
	enum deliver_result r = DELIVER_STOP;
	int try, st = 0, ran, nostart = 0, e;

	for (k = 0; environ[k] != NULL; k++)
		;
	envp = xmalloc((k + NVARS + 2) * sizeof(*envp));
	for (k = 0; environ[k] != NULL; k++)
		if (!ours(environ[k]))
			envp[n++] = environ[k];
	mine = n;
	strcpy(omitted, "CE_OMITTED=");
	for (i = 0; i < NVARS; i++) {
		envp[n] = envvar(vars[i].name, ev->a[vars[i].attr]);
		/* A value this long would make every spawn fail (E2BIG: Linux
		 * takes no string over 128 KiB), and the event could never
		 * be delivered; the command has it whole on its stdin. */
		if (strlen(envp[n]) - strlen(vars[i].name) - 1 >
		    DELIVER_ENV_MAX) {
			free(envp[n]);
			if (strchr(omitted, '=')[1] != '\0')
				strcat(omitted, " ");
			strcat(omitted, vars[i].name);
			continue;
		}
		if (vars[i].attr == CE_SEQUENCE)
			unpad(envp[n]);
		n++;
	}
	envp[n++] = xstrdup(omitted);
	envp[n] = NULL;
	for (try = 0; try <= d->retries; try++) {
		if ((ran = run(d, msg, mlen, envp, &st, err, errn)) == -2) {
			r = DELIVER_ERR;
			break;
		}
		if (ran == -1) {
			e = errno;
			warnwe(where, "%s", d->argv[0]);
			/* Missing or not runnable: nor will it be next time.
			 * Anything else (E2BIG from an environment too big
			 * even without the long attributes, EAGAIN, ENOMEM)
			 * is this try's failure. */
			if (e == ENOENT || e == EACCES || e == ENOEXEC ||
			    e == ENOTDIR || e == ELOOP) {
				nostart = 1;
				break;
			}
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			r = DELIVER_OK;
			break;
		}
		if (ran == -1)
			snprintf(how, sizeof(how), "could not start");
		else
			describe(st, how, sizeof(how));
		if (try < d->retries) {
			warnw(where, "%s %s; try %d of %d in %ld ms",
			    d->argv[0], how, try + 2, d->retries + 1, wait);
			sleepms(wait);
			wait = wait * 2 > DELIVER_MAXWAIT_MS ?
			    DELIVER_MAXWAIT_MS : wait * 2;
		} else
			warnw(where, "%s %s, after %d tries", d->argv[0], how,
			    try + 1);
	}
	if (r == DELIVER_STOP && !nostart)
		r = deliver_park(d, line, len, where, err, errn);
	else if (r == DELIVER_STOP)
		warnw(where, "delivery stops at this event");
	for (i = mine; i < n; i++)
		free(envp[i]);
	free(envp);
	return r;
}
