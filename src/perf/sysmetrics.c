/* sysmetrics.c: see sysmetrics.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf/sysmetrics.h"
#include "platform/sysinfo.h"

#define MAX_DEVS 256
#define TEXT_CAP (256 * 1024)

typedef struct snap {
    int have;
    int64_t mono_ns;
    nlog__cpu_times cpu;
    nlog__proc_stat self;
    nlog__disk disks[MAX_DEVS];
    size_t n_disks;
    nlog__netif nets[MAX_DEVS];
    size_t n_nets;
} snap;

struct nlog__sysm {
    snap prev, cur;
    char *text;
    char *names; /* /sys/block listing */
    int bits;    /* atomic: width of the kernel's counters (32 or 64) */
};

nlog__sysm *nlog__sysm_create(void)
{
    nlog__sysm *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->text = malloc(TEXT_CAP);
    s->names = malloc(16384);
    s->bits = nlog__sys_counter_bits();
    if (!s->text || !s->names) {
        nlog__sysm_destroy(s);
        return NULL;
    }
    return s;
}

void nlog__sysm_destroy(nlog__sysm *s)
{
    if (!s)
        return;
    free(s->text);
    free(s->names);
    free(s);
}

void nlog__sysm_out_free(nlog__sysm_out *out)
{
    free(out->v);
    memset(out, 0, sizeof *out);
}

static void put(nlog__sysm_out *out, int group, const char *name, const char *unit,
                const char *tag_key, const char *tag_value, double value)
{
    if (out->n == out->cap) {
        size_t nc = out->cap ? out->cap * 2 : 32;
        nlog__sysval *nv = realloc(out->v, nc * sizeof *nv);
        if (!nv)
            return;
        out->v = nv;
        out->cap = nc;
    }
    nlog__sysval *v = &out->v[out->n++];
    v->name = name;
    v->unit = unit;
    v->tag_key = tag_key;
    snprintf(v->tag_value, sizeof v->tag_value, "%s", tag_value ? tag_value : "");
    v->value = value;
    v->group = group;
}

const nlog__sysval *nlog__sysm_find(const nlog__sysm_out *out, const char *name, const char *tag)
{
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->v[i].name, name) == 0 && (!tag || strcmp(out->v[i].tag_value, tag) == 0))
            return &out->v[i];
    return NULL;
}

/* Reads `path` into s->text; 0 or an errno. */
static int slurp(nlog__sysm *s, const char *path, size_t *len)
{
    return nlog__sys_read(path, s->text, TEXT_CAP, len);
}

static int skip_disk(const char *name)
{
    static const char *const prefixes[] = {"loop", "ram", "zram", "sr", "fd"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

static int whole_disk(const nlog__sysm *s, size_t n_names, const char *name)
{
    const char *p = s->names;
    for (size_t i = 0; i < n_names; i++, p += strlen(p) + 1)
        if (strcmp(p, name) == 0)
            return 1;
    return 0;
}

/* Space of the nearest existing directory at or above `dir`. */
static int disk_space(const char *dir, nlog__fs_usage *u)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir && dir[0] ? dir : ".");
    for (int depth = 0; depth < 64; depth++) {
        uint64_t frsize, bsize, blocks, bfree, bavail;
        if (nlog__sys_statvfs(path, &frsize, &bsize, &blocks, &bfree, &bavail) == 0) {
            nlog__fs_usage_from(frsize, bsize, blocks, bfree, bavail, u);
            return u->have ? 0 : -1;
        }
        char *slash = strrchr(path, '/');
        if (!slash) {
            if (strcmp(path, ".") == 0)
                return -1;
            snprintf(path, sizeof path, ".");
        } else if (slash == path) {
            path[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    return -1;
}

static const nlog__disk *find_disk(const snap *p, const char *name)
{
    for (size_t i = 0; i < p->n_disks; i++)
        if (strcmp(p->disks[i].name, name) == 0)
            return &p->disks[i];
    return NULL;
}

static const nlog__netif *find_net(const snap *p, const char *name)
{
    for (size_t i = 0; i < p->n_nets; i++)
        if (strcmp(p->nets[i].name, name) == 0)
            return &p->nets[i];
    return NULL;
}

void nlog__sysm_set_counter_bits(nlog__sysm *s, int bits)
{
    __atomic_store_n(&s->bits, bits == 32 || bits == 64 ? bits : nlog__sys_counter_bits(),
                     __ATOMIC_RELAXED);
}

/* Rate of a counter, or -1 when it cannot be told (reset, saturated). */
static double rate(uint64_t prev, uint64_t cur, int bits, double secs, double scale)
{
    int unknown;
    uint64_t d = nlog__counter_delta(prev, cur, bits, &unknown);
    if (unknown)
        return -1;
    return (double) d * scale / secs;
}

int nlog__sysm_collect(nlog__sysm *s, const char *directory, int64_t mono_ns,
                       nlog__sysm_out *out)
{
    int errors = 0;
    size_t len;
    int bits = __atomic_load_n(&s->bits, __ATOMIC_RELAXED);
    snap *c = &s->cur;
    memset(c, 0, sizeof *c);
    c->mono_ns = mono_ns;
    const snap *p = s->prev.have ? &s->prev : NULL;
    double secs = p ? (double) (mono_ns - p->mono_ns) / 1e9 : 0;
    if (secs <= 0)
        p = NULL;

    if (slurp(s, "/proc/stat", &len) == 0)
        nlog__parse_proc_stat_cpu(s->text, len, &c->cpu);
    if (!c->cpu.have)
        errors++;
    if (p) {
        double pct = nlog__cpu_percent(&p->cpu, &c->cpu);
        if (pct >= 0)
            put(out, NLOG__SYS_MACHINE, "cpu_usage", "percent", NULL, NULL, pct);
    }

    if (slurp(s, "/proc/self/stat", &len) == 0)
        nlog__parse_proc_self_stat(s->text, len, &c->self);
    if (!c->self.have)
        errors++;
    if (p && p->self.have && c->self.have) {
        uint64_t a = p->self.utime + p->self.stime, b = c->self.utime + c->self.stime;
        if (b >= a)
            put(out, NLOG__SYS_MACHINE, "process_cpu_usage", "percent", NULL, NULL,
                100.0 * (double) (b - a) / (double) nlog__sys_clock_ticks() / secs);
    }

    double load[3];
    if (slurp(s, "/proc/loadavg", &len) == 0 && nlog__parse_loadavg(s->text, len, load)) {
        put(out, NLOG__SYS_MACHINE, "load_average_1m", "", NULL, NULL, load[0]);
        put(out, NLOG__SYS_MACHINE, "load_average_5m", "", NULL, NULL, load[1]);
        put(out, NLOG__SYS_MACHINE, "load_average_15m", "", NULL, NULL, load[2]);
    } else {
        errors++;
    }

    nlog__meminfo mi;
    if (slurp(s, "/proc/meminfo", &len) == 0) {
        nlog__parse_meminfo(s->text, len, &mi);
    } else {
        memset(&mi, 0, sizeof mi);
    }
    if (mi.have_total && mi.total > 0) {
        uint64_t avail = mi.available > mi.total ? mi.total : mi.available;
        put(out, NLOG__SYS_MACHINE, "memory_total", "bytes", NULL, NULL, (double) mi.total);
        put(out, NLOG__SYS_MACHINE, "memory_available", "bytes", NULL, NULL, (double) avail);
        put(out, NLOG__SYS_MACHINE, "memory_usage", "percent", NULL, NULL,
            100.0 * ((double) (mi.total - avail) / (double) mi.total));
    } else {
        errors++;
    }

    nlog__proc_status ps;
    if (slurp(s, "/proc/self/status", &len) == 0) {
        nlog__parse_proc_status(s->text, len, &ps);
    } else {
        memset(&ps, 0, sizeof ps);
        errors++;
    }
    if (ps.have_rss)
        put(out, NLOG__SYS_MACHINE, "process_memory_rss", "bytes", NULL, NULL,
            (double) ps.rss_bytes);
    else if (c->self.have)
        put(out, NLOG__SYS_MACHINE, "process_memory_rss", "bytes", NULL, NULL,
            (double) c->self.rss_pages * (double) nlog__sys_page_size());
    if (ps.have_threads || c->self.have)
        put(out, NLOG__SYS_MACHINE, "process_threads", "threads", NULL, NULL,
            (double) (ps.have_threads ? ps.threads : c->self.threads));
    uint64_t fds;
    if (nlog__sys_open_fds(&fds) == 0)
        put(out, NLOG__SYS_MACHINE, "process_open_fds", "descriptors", NULL, NULL, (double) fds);
    else
        errors++;

    nlog__fs_usage fs;
    if (disk_space(directory, &fs) == 0) {
        put(out, NLOG__SYS_MACHINE, "disk_total", "bytes", NULL, NULL, (double) fs.total);
        put(out, NLOG__SYS_MACHINE, "disk_available", "bytes", NULL, NULL, (double) fs.available);
        put(out, NLOG__SYS_MACHINE, "disk_usage", "percent", NULL, NULL, fs.used_percent);
    } else {
        errors++;
    }

    /* disks */
    size_t n_names = 0;
    if (nlog__sys_list_dir("/sys/block", s->names, 16384, &n_names) != 0)
        n_names = 0;
    if (slurp(s, "/proc/diskstats", &len) == 0) {
        nlog__disk all[MAX_DEVS];
        size_t n = nlog__parse_diskstats(s->text, len, all, MAX_DEVS);
        for (size_t i = 0; i < n; i++) {
            if (skip_disk(all[i].name) || (n_names && !whole_disk(s, n_names, all[i].name)))
                continue;
            c->disks[c->n_disks++] = all[i];
        }
    } else {
        errors++;
    }
    for (size_t i = 0; p && i < c->n_disks; i++) {
        const nlog__disk *d = &c->disks[i], *o = find_disk(p, d->name);
        if (!o)
            continue;
        double v[4] = {rate(o->read_sectors, d->read_sectors, bits, secs, 512),
                       rate(o->write_sectors, d->write_sectors, bits, secs, 512),
                       rate(o->reads, d->reads, bits, secs, 1),
                       rate(o->writes, d->writes, bits, secs, 1)};
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
            continue;
        put(out, NLOG__SYS_DISK, "disk_read_bytes_per_second", "bytes/s", "device", d->name, v[0]);
        put(out, NLOG__SYS_DISK, "disk_write_bytes_per_second", "bytes/s", "device", d->name, v[1]);
        put(out, NLOG__SYS_DISK, "disk_read_ops_per_second", "ops/s", "device", d->name, v[2]);
        put(out, NLOG__SYS_DISK, "disk_write_ops_per_second", "ops/s", "device", d->name, v[3]);
    }

    /* network */
    if (slurp(s, "/proc/net/dev", &len) == 0)
        c->n_nets = nlog__parse_net_dev(s->text, len, c->nets, MAX_DEVS);
    else
        errors++;
    for (size_t i = 0; p && i < c->n_nets; i++) {
        const nlog__netif *f = &c->nets[i], *o = find_net(p, f->name);
        if (!o)
            continue;
        int r1, r2;
        double v[4] = {rate(o->rx_bytes, f->rx_bytes, bits, secs, 1),
                       rate(o->tx_bytes, f->tx_bytes, bits, secs, 1),
                       rate(o->rx_packets, f->rx_packets, bits, secs, 1),
                       rate(o->tx_packets, f->tx_packets, bits, secs, 1)};
        uint64_t rx_err = nlog__counter_delta(o->rx_errors, f->rx_errors, bits, &r1);
        uint64_t tx_err = nlog__counter_delta(o->tx_errors, f->tx_errors, bits, &r2);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || r1 || r2)
            continue;
        const char *ifn = f->name;
        put(out, NLOG__SYS_NET, "network_receive_bytes_per_second", "bytes/s", "interface", ifn, v[0]);
        put(out, NLOG__SYS_NET, "network_transmit_bytes_per_second", "bytes/s", "interface", ifn, v[1]);
        put(out, NLOG__SYS_NET, "network_receive_packets_per_second", "packets/s", "interface", ifn,
            v[2]);
        put(out, NLOG__SYS_NET, "network_transmit_packets_per_second", "packets/s", "interface",
            ifn, v[3]);
        put(out, NLOG__SYS_NET, "network_receive_errors", "errors", "interface", ifn, (double) rx_err);
        put(out, NLOG__SYS_NET, "network_transmit_errors", "errors", "interface", ifn, (double) tx_err);
    }

    c->have = 1;
    s->prev = s->cur;
    return errors;
}
