/* sysinfo.c: the Linux side of sysinfo.h. Files are read with one open and
 * a bounded read loop (procfs files are generated on read; a short read is
 * not the end until read() returns 0). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "platform/sysinfo.h"

static pthread_mutex_t root_lock = PTHREAD_MUTEX_INITIALIZER;
static char root[1024];

void nlog__sys_set_root(const char *r)
{
    pthread_mutex_lock(&root_lock);
    snprintf(root, sizeof root, "%s", r ? r : "");
    pthread_mutex_unlock(&root_lock);
}

static int full_path(const char *path, char *out, size_t size)
{
    pthread_mutex_lock(&root_lock);
    int n = snprintf(out, size, "%s%s", root, path);
    pthread_mutex_unlock(&root_lock);
    return n < 0 || (size_t) n >= size ? ENAMETOOLONG : 0;
}

int nlog__sys_read(const char *path, char *buf, size_t cap, size_t *ret_len)
{
    char p[2048];
    *ret_len = 0;
    if (cap == 0)
        return EINVAL;
    buf[0] = '\0';
    int err = full_path(path, p, sizeof p);
    if (err)
        return err;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            break;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    (void) close(fd);
    buf[len] = '\0';
    *ret_len = len;
    return err;
}

int nlog__sys_count_dir(const char *path, uint64_t *ret_count)
{
    char p[2048];
    *ret_count = 0;
    int err = full_path(path, p, sizeof p);
    if (err)
        return err;
    DIR *d = opendir(p);
    if (!d)
        return errno;
    uint64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    (void) closedir(d);
    *ret_count = n;
    return 0;
}

int nlog__sys_open_fds(uint64_t *ret_count)
{
    int err = nlog__sys_count_dir("/proc/self/fd", ret_count);
    pthread_mutex_lock(&root_lock);
    int real = root[0] == '\0';
    pthread_mutex_unlock(&root_lock);
    if (!err && real && *ret_count > 0)
        (*ret_count)--; /* the listing's own descriptor */
    return err;
}

int nlog__sys_list_dir(const char *path, char *buf, size_t cap, size_t *ret_n)
{
    char p[2048];
    *ret_n = 0;
    int err = full_path(path, p, sizeof p);
    if (err)
        return err;
    DIR *d = opendir(p);
    if (!d)
        return errno;
    size_t used = 0, n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t l = strlen(e->d_name) + 1;
        if (used + l > cap)
            break;
        memcpy(buf + used, e->d_name, l);
        used += l;
        n++;
    }
    (void) closedir(d);
    *ret_n = n;
    return 0;
}

int nlog__sys_statvfs(const char *path, uint64_t *ret_frsize, uint64_t *ret_bsize,
                      uint64_t *ret_blocks, uint64_t *ret_bfree, uint64_t *ret_bavail)
{
    struct statvfs v;
    if (statvfs(path, &v) != 0)
        return errno;
    *ret_frsize = v.f_frsize;
    *ret_bsize = v.f_bsize;
    *ret_blocks = v.f_blocks;
    *ret_bfree = v.f_bfree;
    *ret_bavail = v.f_bavail;
    return 0;
}

int nlog__sys_dev_of(const char *path, unsigned *ret_major, unsigned *ret_minor)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    *ret_major = major(st.st_dev);
    *ret_minor = minor(st.st_dev);
    return 0;
}

long nlog__sys_clock_ticks(void)
{
    long v = sysconf(_SC_CLK_TCK);
    return v > 0 ? v : 100;
}

long nlog__sys_page_size(void)
{
    long v = sysconf(_SC_PAGESIZE);
    return v > 0 ? v : 4096;
}

long nlog__sys_cpus(void)
{
    long v = sysconf(_SC_NPROCESSORS_ONLN);
    return v > 0 ? v : 1;
}

int nlog__sys_counter_bits(void)
{
    static int bits; /* atomic: 0 until known */
    int b = __atomic_load_n(&bits, __ATOMIC_RELAXED);
    if (b)
        return b;
    struct utsname u;
    b = sizeof(long) * 8 >= 64 ? 64 : 32; /* a 64-bit process runs on a 64-bit kernel */
    if (b == 32 && uname(&u) == 0) {
        /* a 32-bit process: the kernel may still be 64-bit (x86_64, aarch64,
         * ppc64, s390x, riscv64, mips64, sparc64, loongarch64, alpha ...) */
        if (strstr(u.machine, "64") || strcmp(u.machine, "s390x") == 0 ||
            strcmp(u.machine, "alpha") == 0)
            b = 64;
    }
    __atomic_store_n(&bits, b, __ATOMIC_RELAXED);
    return b;
}

void nlog__sys_hostname(char *buf, size_t size)
{
    if (size == 0)
        return;
    if (gethostname(buf, size) != 0 || buf[0] == '\0')
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
}
