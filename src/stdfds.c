/*
 * Descriptors 0-2 never left closed (see stdfds.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "hswatch/stdfds.h"

int
stdfds_ensure(void)
{
	int	 fd, want;

	for (want = 0; want <= 2; want++) {
		if (fcntl(want, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free number: want itself, 0-2 being taken in
		 * order. */
		if ((fd = open("/dev/null", want == 0 ? O_RDONLY : O_WRONLY)) ==
		    -1)
			return -1;
		if (fd != want) {
			if (dup2(fd, want) == -1) {
				close(fd);
				return -1;
			}
			close(fd);
		}
	}
	return 0;
}
