/* identity.c: who and where this process is, for audit records: the user it
 * runs as and "host/program[pid]" as the origin of what it does itself.
 * Tested by: tests/unit/security/test_security_audit.c */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/platform.h"

void nlog__process_user(char *buf, size_t size)
{
    char pwbuf[1024];
    struct passwd pw, *res = NULL;
    uid_t uid = getuid();
    if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res && res->pw_name)
        snprintf(buf, size, "%s", res->pw_name);
    else
        snprintf(buf, size, "uid:%u", (unsigned) uid);
}

void nlog__process_origin(char *buf, size_t size)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(buf, size, "%s/%s[%lld]", host, program_invocation_short_name,
             (long long) nlog__process_id());
}
