/* cmd_keygen_seal.c: `nlog keygen --sealing DIR [--stream NAME]...
 * [--rotate-from OLDDIR]`: makes the offline master key, the public
 * verification key and one initial host sealing state per log file name
 * (nlog_seal_keygen in seal.h), and says what goes where.
 * Exit status: 0 made, 1 failed (an existing state, an unwritable
 * directory, ...), 2 usage error.
 * Tested by: tests/integration/seal/cli_seal.sh */
#include <stdio.h>
#include <string.h>

#include <nlog/nlog.h>

int tool_keygen_sealing(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog keygen --sealing DIR [--stream NAME]... [--rotate-from OLDDIR]\n"
    "\n"
    "Makes, in DIR:\n"
    "  master.key        the master secret: keep it OFFLINE, never on a logging host\n"
    "  seal.pub          the public key that `nlog verify --key` needs\n"
    "  host/NAME.seal    the initial sealing state of each log file NAME\n"
    "                    (default: netlink.log, security.log, audit.log); copy these\n"
    "                    into the host's seal_key_dir (default: <directory>/.seal)\n"
    "An existing DIR/master.key is reused to make more host states.\n"
    "--rotate-from OLDDIR makes a new master in DIR vouched for by OLDDIR's, and\n"
    "host states named NAME.seal.next: copied next to the current states, they\n"
    "replace them at the next checkpoint.\n";

#define MAX_STREAMS 64

int tool_keygen_sealing(int argc, char **argv)
{
    const char *dir = NULL, *from = NULL;
    const char *names[MAX_STREAMS];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(a, "--sealing") == 0 && i + 1 < argc && !dir) {
            dir = argv[++i];
        } else if (strcmp(a, "--stream") == 0 && i + 1 < argc) {
            if (n == MAX_STREAMS) {
                fprintf(stderr, "nlog keygen: at most %d --stream options\n", MAX_STREAMS);
                return 2;
            }
            names[n++] = argv[++i];
        } else if (strcmp(a, "--rotate-from") == 0 && i + 1 < argc && !from) {
            from = argv[++i];
        } else {
            fprintf(stderr, "nlog keygen: unexpected '%s'%s\n%s", a,
                    a[0] == '-' ? " (or its value is missing)" : "", usage_text);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "nlog keygen: --sealing needs a DIR\n%s", usage_text);
        return 2;
    }
    if (nlog_seal_keygen(dir, n ? names : NULL, n, from) != NLOG_OK) {
        fprintf(stderr, "nlog keygen: %s\n", nlog_errmsg());
        return 1;
    }
    static const char *const defaults[] = {"netlink.log", "security.log", "audit.log"};
    const char *const *list = n ? names : defaults;
    size_t count = n ? n : 3;
    printf("master secret : %s/master.key   (move it OFFLINE)\n", dir);
    printf("public key    : %s/seal.pub     (for nlog verify --key)\n", dir);
    for (size_t i = 0; i < count; i++)
        printf("host state    : %s/host/%s.seal%s\n", dir, list[i], from ? ".next" : "");
    printf("Copy the host states into the logging host's seal_key_dir (mode 0600).\n");
    return 0;
}
