/* keygen_encryption.c: `nlog keygen --encryption DIR`: an X25519 key pair
 * for client-side field encryption. encryption.pub holds the public key for
 * the application's encryption_public_key; encryption.key holds the secret
 * key for `nlog decrypt --key`, created with mode 0600 from the start (never
 * chmod-ed afterwards, so it is never readable by others for a moment), and
 * never overwritten without --force. Both files are the key in base64 and a
 * newline.
 * Tested by: tests/integration/security/cli_security.sh */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlog/nlog.h>

int tool_keygen_encryption(const char *dir, int force);

static int write_key(const char *dir, const char *name, const char *text, mode_t mode,
                     int force)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);
    int fd = open(path, flags, mode);
    if (fd < 0) {
        fprintf(stderr, "nlog keygen: cannot create %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (use --force to replace the key)" : "");
        return 1;
    }
    if (fchmod(fd, mode) != 0) { /* an existing file replaced with --force */
        fprintf(stderr, "nlog keygen: cannot set the mode of %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t) len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        fprintf(stderr, "nlog keygen: cannot write %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "nlog keygen: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int tool_keygen_encryption(const char *dir, int force)
{
    char pub[NLOG_ENCRYPTION_KEY_B64_SIZE], sec[NLOG_ENCRYPTION_KEY_B64_SIZE];
    struct stat sb;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "nlog keygen: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "nlog keygen: %s is not a directory\n", dir);
        return 1;
    }
    if (nlog_encryption_keypair(pub, sec) != NLOG_OK) {
        fprintf(stderr, "nlog keygen: cannot make a key pair\n");
        return 1;
    }
    int rc = write_key(dir, "encryption.key", sec, 0600, force);
    explicit_bzero(sec, sizeof sec);
    if (rc == 0)
        rc = write_key(dir, "encryption.pub", pub, 0644, force);
    if (rc != 0)
        return rc;
    printf("wrote %s/encryption.pub and %s/encryption.key (0600)\n", dir, dir);
    printf("encryption_public_key: %s\n", pub);
    return 0;
}
