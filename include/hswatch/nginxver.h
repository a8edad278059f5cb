/*
 * nginxver: which nginx the configuration model is for. Built-in
 * defaults change between versions (proxy_ssl_protocols in 1.23.4 and
 * 1.27.3): the CLI and hswatchd take the version from an option or a
 * setting, else from the installed nginx.
 */
#ifndef HSWATCH_NGINXVER_H
#define HSWATCH_NGINXVER_H

/*
 * The version the installed nginx reports: "nginx version: nginx/X.Y.Z"
 * on the stderr of `nginx -v` ($HSWATCH_NGINX, else nginx in PATH, else
 * /usr/sbin/nginx), newly allocated, or NULL. The child is waited for
 * by its PID.
 */
char	*nginxver_installed(void);

/* "X.Y.Z", digits and two dots. */
int	 nginxver_valid(const char *);

#endif
