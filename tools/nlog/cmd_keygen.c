/* cmd_keygen.c: `nlog keygen --<kind> ...`: dispatch to the file of each
 * kind of key (cmd_keygen_seal.c for --sealing). Kept to the dispatch only,
 * so that each kind of key lives in its own file.
 * Exit status: that of the kind; 2 for a command line without a known kind. */
#include <stdio.h>
#include <string.h>

int tool_cmd_keygen(int argc, char **argv);
int tool_keygen_sealing(int argc, char **argv);

static const struct kind {
    const char *option;
    int (*run)(int argc, char **argv);
    const char *summary;
} kinds[] = {
    {"--sealing", tool_keygen_sealing, "keys for tamper-evident sealed log files"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: nlog keygen <kind> ...\n\nkinds:\n");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        fprintf(out, "  %-12s %s\n", kinds[i].option, kinds[i].summary);
    fprintf(out, "\nRun 'nlog keygen <kind> --help' for the options of a kind.\n");
}

int tool_cmd_keygen(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(argv[i], kinds[k].option) == 0)
                return kinds[k].run(argc, argv);
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    fprintf(stderr, "nlog keygen: say which kind of key to make\n");
    usage(stderr);
    return 2;
}
