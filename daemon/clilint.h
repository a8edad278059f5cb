/*
 * clilint: "hswatch lint", the diagnosis rules that need no log, for CI.
 */
#ifndef HSWATCH_CLILINT_H
#define HSWATCH_CLILINT_H

int	 clilint_cmd(int, char **);

#endif
