/* random.c: random bytes for identifiers (the remote output's batch ids). */
#include <errno.h>
#include <sys/random.h>

#include "platform/platform.h"

int nlog__random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += got;
        n -= (size_t) got;
    }
    return 0;
}
