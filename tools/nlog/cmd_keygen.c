/* cmd_keygen.c: `nlog keygen`, the key-making subcommand. Each kind of key
 * has its own file and entry point; this file only dispatches, so that other
 * kinds (--sealing, for sealed logs) plug in with one row.
 *
 *   nlog keygen --encryption DIR   key pair for client-side field encryption
 *   nlog keygen --sealing DIR ...  master, public key and host states for
 *                                  sealed logs (its own parser, in
 *                                  cmd_keygen_seal.c)
 *
 * Exit status: 0 ok, 1 the keys could not be written, 2 usage error.
 * Tested by: tests/integration/security/cli_security.sh,
 * tests/integration/seal/cli_seal.sh */
#include <stdio.h>
#include <string.h>

int tool_cmd_keygen(int argc, char **argv);
int tool_keygen_encryption(const char *dir, int force);
int tool_keygen_sealing(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog keygen --encryption DIR [--force]\n"
    "       nlog keygen --sealing DIR [--stream NAME]... [--rotate-from OLDDIR]\n"
    "  --encryption DIR  write DIR/encryption.pub (for encryption_public_key) and\n"
    "                    DIR/encryption.key (mode 0600, for nlog decrypt --key)\n"
    "  --force           replace keys that exist (they are refused otherwise)\n"
    "  --sealing DIR     keys for sealed logs; 'nlog keygen --sealing --help' for more\n";

int tool_cmd_keygen(int argc, char **argv)
{
    const char *kind = NULL, *dir = NULL;
    int force = 0;
    /* --sealing has options of its own (--stream, --rotate-from): without
     * --encryption, hand the whole command line to its parser. */
    int sealing = 0, encryption = 0;
    for (int i = 1; i < argc; i++) {
        sealing |= strcmp(argv[i], "--sealing") == 0;
        encryption |= strcmp(argv[i], "--encryption") == 0;
    }
    if (sealing && !encryption)
        return tool_keygen_sealing(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (strcmp(argv[i], "--encryption") == 0 || strcmp(argv[i], "--sealing") == 0) {
            if (kind) {
                fprintf(stderr, "nlog keygen: give one of --encryption and --sealing\n%s",
                        usage_text);
                return 2;
            }
            kind = argv[i] + 2;
            if (i + 1 >= argc) {
                fprintf(stderr, "nlog keygen: %s needs a directory\n%s", argv[i], usage_text);
                return 2;
            }
            dir = argv[++i];
        } else {
            fprintf(stderr, "nlog keygen: unknown option '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    if (!kind) {
        fprintf(stderr, "nlog keygen: say which key: --encryption DIR or --sealing DIR\n%s",
                usage_text);
        return 2;
    }
    return tool_keygen_encryption(dir, force);
}
