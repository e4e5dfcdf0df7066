/* fs.c: file-system helpers, the replaceable write(2) and environment access. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/platform.h"

nlog__write_fn nlog__sys_write = write;

const char *nlog__env(const char *name)
{
    return getenv(name);
}

int nlog__mkdir_p(const char *path, unsigned mode)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return len == 0 ? ENOENT : ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    struct stat st;
    if (stat(buf, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, (mode_t) mode) != 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            return e;
        }
        *p = '/';
    }
    if (mkdir(buf, (mode_t) mode) != 0 && errno != EEXIST)
        return errno;
    if (stat(buf, &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}
