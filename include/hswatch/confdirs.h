/*
 * confdirs: nginx's directive table (names, module types, contexts and
 * argument counts), generated from nginx's own source and from the
 * third-party modules Debian's nginx-full ships by
 * scripts/gen-confdirs.py; confdirs_origin says from which versions.
 */
#ifndef HSWATCH_CONFDIRS_H
#define HSWATCH_CONFDIRS_H

#include <stddef.h>
#include <stdint.h>

/* The nginx version the table was taken from. */
#define CONFDIRS_NGINX_VERSION	"1.22.1"

/* The type of the module a directive belongs to (ngx_module_t.type). */
enum confdirs_type {
	CONFDIRS_CORE = 1,
	CONFDIRS_EVENT,
	CONFDIRS_HTTP,
	CONFDIRS_STREAM,
	CONFDIRS_MAIL,
	CONFDIRS_CONF		/* include: any context */
};

/* nginx's NGX_CONF_* flags (src/core/ngx_conf_file.h). */
#define CONFDIRS_NOARGS		0x00000001u
#define CONFDIRS_ARGS_NUMBER	0x000000ffu
#define CONFDIRS_BLOCK		0x00000100u
#define CONFDIRS_FLAG		0x00000200u
#define CONFDIRS_ANY		0x00000400u
#define CONFDIRS_1MORE		0x00000800u
#define CONFDIRS_2MORE		0x00001000u
#define CONFDIRS_MAX_ARGS	8

/* Context bits (NGX_MAIN_CONF, NGX_HTTP_*_CONF, NGX_STREAM_*_CONF, ...). */
#define CONFDIRS_MAIN		0x01000000u	/* core, top level */
#define CONFDIRS_L2		0x02000000u	/* events{}, http{}, stream{}, mail{} */
#define CONFDIRS_HTTP_SRV	0x04000000u
#define CONFDIRS_HTTP_LOC	0x08000000u
#define CONFDIRS_HTTP_UPS	0x10000000u
#define CONFDIRS_HTTP_SIF	0x20000000u
#define CONFDIRS_HTTP_LIF	0x40000000u
#define CONFDIRS_HTTP_LMT	0x80000000u
#define CONFDIRS_STREAM_SRV	0x04000000u
#define CONFDIRS_STREAM_UPS	0x08000000u
#define CONFDIRS_MAIL_SRV	0x04000000u

struct confdirs_entry {
	const char		*name;
	enum confdirs_type	 type;
	uint32_t		 flags;
	const char		*module;	/* "ngx_http_proxy_module" */
};

extern const char			confdirs_origin[];
extern const struct confdirs_entry	confdirs[];	/* sorted by name */
extern const size_t			confdirs_count;

#endif
