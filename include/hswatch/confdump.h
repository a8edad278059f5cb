/*
 * confdump: render a configuration model for people (text) and for
 * programs (one JSON object): servers, locations, targets, upstream
 * groups and every effective upstream-TLS setting with its origin.
 */
#ifndef HSWATCH_CONFDUMP_H
#define HSWATCH_CONFDUMP_H

struct buf;
struct confmodel;

void	confdump_json(const struct confmodel *, struct buf *);
void	confdump_text(const struct confmodel *, struct buf *);

#endif
