/*
 * Helpers shared by the libFuzzer targets (see fuzzutil.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hswatch/confload.h"
#include "hswatch/escape.h"
#include "hswatch/confmodel.h"

#include "fuzzutil.h"

#define MAX_PATHS	256

static char		*tmpdir;
static char		*paths[MAX_PATHS];	/* files, then their dirs */
static int		 isdir[MAX_PATHS];
static size_t		 npaths;
static struct confmodel	*fixed;

const char fuzz_fixed_conf[] =
    "worker_processes 1; events {}\n"		/* 1 */
    "http {\n"						/* 2 */
    "    proxy_ssl_name outer.name;\n"			/* 3 */
    "    upstream pool {\n"				/* 4 */
    "        zone pool 64k;\n"			/* 5 */
    "        server 127.0.0.6:8443 max_fails=2;\n"	/* 6 */
    "        server 127.0.0.7:8443;\n"			/* 7 */
    "        server [::1]:8443 backup;\n"		/* 8 */
    "    }\n"						/* 9 */
    "    upstream names { server backend.example:443; }\n"	/* 10 */
    "    server {\n"					/* 11 */
    "        listen 127.0.0.1:8080;\n"			/* 12 */
    "        server_name lab.test .Lab.test *.w.test;\n"	/* 13 */
    "        location / {\n"				/* 14 */
    "            proxy_pass https://pool;\n"		/* 15 */
    "            location /nested/ {\n"		/* 16 */
    "                proxy_pass https://names;\n"	/* 17 */
    "                proxy_ssl_server_name on;\n"	/* 18 */
    "            }\n"					/* 19 */
    "        }\n"					/* 20 */
    "        location = /exact { proxy_pass https://127.0.0.2:8443/x; }\n"
    "        location ^~ /static/ { proxy_pass https://pool; }\n"	/* 22 */
    "        location ~ \\.php$ {\n"			/* 23 */
    "            proxy_pass https://127.0.0.3:8443;\n"	/* 24 */
    "            proxy_ssl_verify on;\n"		/* 25 */
    "            proxy_ssl_trusted_certificate pki/ca.pem;\n"	/* 26 */
    "        }\n"					/* 27 */
    "        location ~* ^/(API|v[0-9]+)/ {\n"		/* 28 */
    "            proxy_pass https://pool;\n"		/* 29 */
    "            proxy_ssl_protocols TLSv1.3;\n"	/* 30 */
    "        }\n"					/* 31 */
    "        location @fallback { proxy_pass https://pool; }\n"	/* 32 */
    "        location /grpc { grpc_pass grpcs://127.0.0.5:9000; }\n"	/* 33 */
    "        location /uwsgi { uwsgi_pass suwsgi://127.0.0.8:9001; }\n" /* 34 */
    "        location /var { proxy_pass https://$host; }\n"	/* 35 */
    "        location /plain { proxy_pass http://127.0.0.9:80; }\n"	/* 36 */
    "    }\n"						/* 37 */
    "    server { listen 8081 default_server; server_name dup;\n"	/* 38 */
    "        location / { proxy_pass https://127.0.0.3; } }\n"	/* 39 */
    "    server { listen 8082; server_name dup;\n"		/* 40 */
    "        location / { proxy_pass https://127.0.0.4; } }\n"	/* 41 */
    "    server { listen 8083; server_name ~^(?<s>.+)\\.rx\\.test$;\n"
    "        location / { proxy_pass https://pool;\n"	/* 43 */
    "            proxy_ssl_certificate pki/client.pem;\n"	/* 44 */
    "            proxy_ssl_certificate_key pki/client.key; } }\n"	/* 45 */
    "}\n"						/* 46 */
    "stream {\n"					/* 47 */
    "    upstream tcp { server 127.0.0.10:8443; server 127.0.0.11:8443; }\n"
    "    server { listen 127.0.0.1:9443; proxy_pass 127.0.0.2:8443;\n"
    "        proxy_ssl on; }\n"				/* 50 */
    "    server { listen 9444; proxy_pass tcp; proxy_ssl on;\n"	/* 51 */
    "        proxy_ssl_name tcp.example; }\n"		/* 52 */
    "}\n";

static void
fuzz_atexit(void)
{
	fuzz_clean();
	confmodel_free(fixed);
	fixed = NULL;
	if (tmpdir != NULL) {
		char	 p[4096];

		snprintf(p, sizeof p, "%s/fixed/nginx.conf", tmpdir);
		unlink(p);
		snprintf(p, sizeof p, "%s/fixed", tmpdir);
		rmdir(p);
		rmdir(tmpdir);
		free(tmpdir);
		tmpdir = NULL;
	}
}

const char *
fuzz_tmpdir(void)
{
	const char	*base;
	char		 t[4096];

	if (tmpdir != NULL)
		return tmpdir;
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	snprintf(t, sizeof t, "%s/hswatch-fuzz.XXXXXX", base);
	if (mkdtemp(t) == NULL) {
		perror("mkdtemp");
		abort();
	}
	/* realpath: confload canonicalises, the tree names must agree. */
	if ((tmpdir = realpath(t, NULL)) == NULL)
		abort();
	atexit(fuzz_atexit);
	return tmpdir;
}

static void
remember(const char *p, int dir)
{
	if (npaths == MAX_PATHS)
		abort();
	paths[npaths] = strdup(p);
	isdir[npaths++] = dir;
}

/* A relative path that stays inside the directory. */
static int
safe_rel(const char *rel)
{
	const char	*p;

	if (rel[0] == '\0' || rel[0] == '/' || strstr(rel, "//") != NULL)
		return 0;
	for (p = rel; *p != '\0'; p++)
		if (*p == '\\' || (unsigned char)*p < 0x20)
			return 0;
	for (p = rel; p != NULL; p = strchr(p, '/') ? strchr(p, '/') + 1 :
	    NULL) {
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 0;
		if (strncmp(p, ".", 1) == 0 && (p[1] == '/' || p[1] == '\0'))
			return 0;
		if (*p == '\0')
			return 0;
	}
	return 1;
}

int
fuzz_write(const char *rel, const char *data, size_t len)
{
	char	 p[4096], *s;
	int	 fd;

	if (!safe_rel(rel) || npaths + 16 > MAX_PATHS ||
	    strlen(fuzz_tmpdir()) + strlen(rel) + 2 > sizeof p)
		return -1;
	snprintf(p, sizeof p, "%s/%s", fuzz_tmpdir(), rel);
	/* Create the directories on the way. */
	for (s = p + strlen(fuzz_tmpdir()) + 1; (s = strchr(s, '/')) != NULL;
	    s++) {
		*s = '\0';
		if (mkdir(p, 0700) == 0)
			remember(p, 1);
		else if (errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
		if (npaths + 2 > MAX_PATHS)
			return -1;
	}
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1)
		return -1;	/* a directory of that name, or written twice */
	remember(p, 0);
	while (len > 0) {
		ssize_t	 r = write(fd, data, len);

		if (r <= 0)
			abort();
		data += r;
		len -= (size_t)r;
	}
	close(fd);
	return 0;
}

void
fuzz_clean(void)
{
	size_t	 i;

	/* Files first, then directories deepest (latest) first. */
	for (i = npaths; i-- > 0; )
		if (!isdir[i])
			unlink(paths[i]);
	for (i = npaths; i-- > 0; )
		if (isdir[i] && rmdir(paths[i]) != 0) {
			perror(paths[i]);
			abort();
		}
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	npaths = 0;
}

char *
fuzz_strndup(const void *data, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

const struct confmodel *
fuzz_fixed_model(void)
{
	struct conftree	*t;
	char		 p[4096], *cause = NULL;
	FILE		*f;

	if (fixed != NULL)
		return fixed;
	snprintf(p, sizeof p, "%s/fixed", fuzz_tmpdir());
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		abort();
	snprintf(p, sizeof p, "%s/fixed/nginx.conf", fuzz_tmpdir());
	if ((f = fopen(p, "w")) == NULL)
		abort();
	fputs(fuzz_fixed_conf, f);
	fclose(f);
	if ((t = confload_files(p, NULL, &cause)) == NULL ||
	    (fixed = confmodel_new(t, NULL, &cause)) == NULL) {
		fprintf(stderr, "fixed config: %s\n", cause);
		abort();
	}
	return fixed;
}

void
fuzz_check_utf8(const char *p, size_t n)
{
	size_t	 i = 0, k;

	while (i < n) {
		if ((unsigned char)p[i] < 0x20)
			abort();
		if ((k = escape_utf8_len((const unsigned char *)p + i,
		    n - i)) == 0)
			abort();
		i += k;
	}
}
