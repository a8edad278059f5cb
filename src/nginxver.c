/*
 * The version of the installed nginx (nginxver.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/nginxver.h"

extern char **environ;

/*
 * The version the installed nginx reports: "nginx version: nginx/X.Y.Z"
 * on the stderr of `nginx -v` ($HSWATCH_NGINX, else nginx in PATH, else
 * /usr/sbin/nginx), or NULL. The child is waited for by its PID.
 */
char *
nginxver_installed(void)
{
	static char		 a0[] = "nginx", a1[] = "-v";
	char *const		 argv[] = { a0, a1, NULL };
	posix_spawn_file_actions_t fa;
	const char		*cand[3], *p, *q;
	char			 buf[512];
	size_t			 n = 0, i;
	ssize_t			 r;
	pid_t			 pid = -1;
	int			 fd[2], st;

	cand[0] = getenv("HSWATCH_NGINX");
	cand[1] = "nginx";
	cand[2] = "/usr/sbin/nginx";
	if (pipe2(fd, O_CLOEXEC) == -1)
		return NULL;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(fd[0]);
		close(fd[1]);
		return NULL;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
	for (i = 0; i < 3 && pid == -1; i++)
		if (cand[i] != NULL && cand[i][0] != '\0' && posix_spawnp(&pid,
		    cand[i], &fa, NULL, argv, environ) != 0)
			pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	while (pid != -1 && n < sizeof buf - 1) {
		r = read(fd[0], buf + n, sizeof buf - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd[0]);
	if (pid == -1)
		return NULL;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	buf[n] = '\0';
	if ((p = strstr(buf, "nginx version: ")) == NULL ||
	    (p = strchr(p, '/')) == NULL)
		return NULL;
	for (q = ++p; isdigit((unsigned char)*q) || *q == '.'; q++)
		;
	return q > p ? strndup(p, (size_t)(q - p)) : NULL;
}


int
nginxver_valid(const char *v)
{
	int	 dots = 0;

	if (v == NULL || !isdigit((unsigned char)*v))
		return 0;
	for (; *v != '\0'; v++) {
		if (*v == '.') {
			if (!isdigit((unsigned char)v[1]))
				return 0;
			dots++;
		} else if (!isdigit((unsigned char)*v))
			return 0;
	}
	return dots == 2;
}
