/* main.c: the nlog command-line tool: global options and subcommand dispatch.
 *
 * Each subcommand group lives in its own file (cmd_config.c; later
 * cmd_tail.c, cmd_query.c, cmd_export.c, cmd_verify.c, cmd_keygen.c) and
 * exports one entry point `int tool_cmd_<name>(int argc, char **argv)`,
 * where argv[0] is the subcommand's name. Adding one is a new file plus a
 * row in `commands` below. The tool uses the public API of libnlog only.
 *
 * Exit status, for every subcommand: 0 success, 1 the operation failed (an
 * invalid file, ...), 2 the command line was wrong.
 * Tested by: tests/integration/config/cli_config.sh */
#include <stdio.h>
#include <string.h>

#include <nlog/nlog.h>

/* Entry points of the subcommand files. */
int tool_cmd_config(int argc, char **argv);
int tool_cmd_query(int argc, char **argv);
int tool_cmd_export(int argc, char **argv);
int tool_cmd_stats(int argc, char **argv);
int tool_cmd_keygen(int argc, char **argv);
int tool_cmd_decrypt(int argc, char **argv);
int tool_cmd_security(int argc, char **argv);
int tool_cmd_verify(int argc, char **argv);

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"config", tool_cmd_config, "validate a configuration file, show the effective configuration"},
    {"query", tool_cmd_query, "list records stored by an nlogd (filters, search, paging)"},
    {"export", tool_cmd_export, "export records from an nlogd to a file (csv, json, ndjson, txt)"},
    {"stats", tool_cmd_stats, "show an nlogd's statistics"},
    {"keygen", tool_cmd_keygen, "make key pairs (--encryption for encrypted fields, --sealing for sealed logs)"},
    {"decrypt", tool_cmd_decrypt, "restore encrypted fields of a JSON-lines log (--key FILE)"},
    {"security", tool_cmd_security, "replay the threat detectors over a stored log"},
    {"verify", tool_cmd_verify, "verify sealed log files with a public key"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: nlog [--help] [--version] <command> [<args>]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'nlog <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("nlog %s\n", nlog_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "nlog: unknown option '%s'\n", cmd);
    else
        fprintf(stderr, "nlog: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
