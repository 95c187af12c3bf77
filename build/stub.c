/* The single-file robustapp: this stub + a zstd-compressed copy of the PyInstaller onedir + a trailer.
 *
 *   dist/robustapp = [stub][payload: zstd(archive of the onedir)][trailer: magic, offset, size, version, hash]
 *
 * Every start:  ${XDG_CACHE_HOME:-~/.cache}/robustapp/app-<version>-<hash>/ complete?  (marker checked, every
 *               file's size checked) → exec its robustapp with the same argv; the directory stays locked
 *               (flock LOCK_SH on its fd, inherited through exec) while the app runs.
 * Otherwise:    extract into .tmp-<pid>-<random> beside it (locked LOCK_EX), write the marker last, rename it
 *               into place. A crash mid-extract leaves only a .tmp dir; a concurrent first start that wins
 *               the rename is used instead. Old versions and stale .tmp dirs nobody holds a lock on are removed.
 *
 * Archive (build/bundle.py writes it): records of
 *   u8 kind ('d' dir, 'f' file, 'l' symlink, 'e' end) · u16 mode · u32 path length · path · u64 size · data
 * little-endian; paths relative, '/'-separated.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define MAGIC "RBAPPK01"
#define MARKER ".robustapp-complete"
#define PROGRAM "robustapp"
#define STALE_TMP_SECONDS 60 /* a .tmp dir this young may not be locked yet by the process that made it */

struct trailer {
    char magic[8];
    uint64_t payload_offset;
    uint64_t payload_size;
    char version[32];
    char hash[32];
};

struct source {
    int fd;
    uint64_t left;
    ZSTD_DCtx *dctx;
    ZSTD_inBuffer in;
    ZSTD_outBuffer out;
    size_t out_pos;
    unsigned char *in_buf, *out_buf;
};

static void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("robustapp: cannot start: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* snprintf into a PATH_MAX buffer; a path too long for it is an error, never silently cut. */
static void path_format(char *dst, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(dst, PATH_MAX, format, args);
    va_end(args);
    if (n < 0 || n >= PATH_MAX) die("a path is too long: %s…", dst);
}

static void *checked_malloc(size_t size) {
    void *p = malloc(size);
    if (!p) die("out of memory");
    return p;
}

static void read_at(int fd, void *buf, size_t size, off_t offset, const char *what) {
    if (pread(fd, buf, size, offset) != (ssize_t)size) die("cannot read %s: %s", what, strerror(errno));
}

static void read_trailer(int fd, struct trailer *t) {
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof *t) die("this file holds no app (too small)");
    read_at(fd, t, sizeof *t, st.st_size - sizeof *t, "the trailer");
    if (memcmp(t->magic, MAGIC, 8) != 0) die("this file holds no app (no trailer); rebuild it with build/make.py");
    t->version[sizeof t->version - 1] = t->hash[sizeof t->hash - 1] = '\0';
}

/* -- the compressed archive as a stream ------------------------------------------------------------ */

static void source_open(struct source *s, int fd, uint64_t offset, uint64_t size) {
    s->fd = fd;
    s->left = size;
    if (lseek(fd, (off_t)offset, SEEK_SET) < 0) die("cannot seek to the app: %s", strerror(errno));
    s->dctx = ZSTD_createDCtx();
    s->in_buf = checked_malloc(ZSTD_DStreamInSize());
    s->out_buf = checked_malloc(ZSTD_DStreamOutSize());
    s->in = (ZSTD_inBuffer){s->in_buf, 0, 0};
    s->out = (ZSTD_outBuffer){s->out_buf, ZSTD_DStreamOutSize(), 0};
    s->out_pos = 0;
}

/* Decompress more into out_buf; 0 at the end of the stream. */
static size_t source_fill(struct source *s) {
    s->out.pos = 0;
    s->out_pos = 0;
    while (s->out.pos == 0) {
        if (s->in.pos == s->in.size) {
            if (s->left == 0) return 0;
            size_t want = ZSTD_DStreamInSize() < s->left ? ZSTD_DStreamInSize() : s->left;
            ssize_t got = read(s->fd, s->in_buf, want);
            if (got <= 0) die("cannot read the app: %s", got < 0 ? strerror(errno) : "file truncated");
            s->in = (ZSTD_inBuffer){s->in_buf, (size_t)got, 0};
            s->left -= (uint64_t)got;
        }
        size_t rc = ZSTD_decompressStream(s->dctx, &s->out, &s->in);
        if (ZSTD_isError(rc)) die("the app inside this file is damaged (%s); download it again", ZSTD_getErrorName(rc));
    }
    return s->out.pos;
}

/* Hand out up to `want` bytes of the stream; dies at an early end. */
static const unsigned char *source_take(struct source *s, size_t want, size_t *got) {
    if (s->out_pos == s->out.pos && source_fill(s) == 0) die("the app inside this file is truncated");
    size_t have = s->out.pos - s->out_pos;
    *got = want < have ? want : have;
    const unsigned char *p = s->out_buf + s->out_pos;
    s->out_pos += *got;
    return p;
}

static void source_read(struct source *s, void *dst, size_t size) {
    unsigned char *d = dst;
    while (size > 0) {
        size_t got;
        const unsigned char *p = source_take(s, size, &got);
        memcpy(d, p, got);
        d += got;
        size -= got;
    }
}

static void source_close(struct source *s) {
    ZSTD_freeDCtx(s->dctx);
    free(s->in_buf);
    free(s->out_buf);
}

/* -- extraction ------------------------------------------------------------------------------------ */

static int is_safe_path(const char *path) {
    if (path[0] == '\0' || path[0] == '/') return 0;
    for (const char *p = path; p; p = strchr(p, '/')) {
        if (*p == '/') p++;
        if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0')) return 0;
    }
    return 1;
}

static void write_file(struct source *s, int dir_fd, const char *path, unsigned mode, uint64_t size) {
    int fd = openat(dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) die("cannot write %s: %s", path, strerror(errno));
    while (size > 0) {
        size_t got;
        const unsigned char *p = source_take(s, size < SIZE_MAX ? (size_t)size : SIZE_MAX, &got);
        for (size_t done = 0; done < got;) {
            ssize_t n = write(fd, p + done, got - done);
            if (n < 0) die("cannot write %s: %s", path, strerror(errno));
            done += (size_t)n;
        }
        size -= got;
    }
    if (close(fd) != 0) die("cannot write %s: %s", path, strerror(errno));
}

/* Unpack the archive into dir_fd; `files` gets a "size path" line per regular file. */
static void extract(int self_fd, const struct trailer *t, int dir_fd, FILE *files) {
    struct source s;
    source_open(&s, self_fd, t->payload_offset, t->payload_size);
    char path[PATH_MAX];
    for (;;) {
        unsigned char head[7];
        uint64_t size;
        source_read(&s, head, sizeof head);
        char kind = (char)head[0];
        if (kind == 'e') break;
        unsigned mode = head[1] | (unsigned)head[2] << 8;
        uint32_t length = head[3] | (uint32_t)head[4] << 8 | (uint32_t)head[5] << 16 | (uint32_t)head[6] << 24;
        if (length >= PATH_MAX) die("the app inside this file is damaged (a path is too long)");
        source_read(&s, path, length);
        path[length] = '\0';
        source_read(&s, &size, sizeof size);
        if (!is_safe_path(path)) die("the app inside this file is damaged (path %s)", path);
        if (kind == 'd') {
            if (mkdirat(dir_fd, path, mode) != 0 && errno != EEXIST) die("cannot create %s: %s", path, strerror(errno));
        } else if (kind == 'f') {
            write_file(&s, dir_fd, path, mode, size);
            fprintf(files, "%llu %s\n", (unsigned long long)size, path);
        } else if (kind == 'l') {
            char target[PATH_MAX];
            if (size >= PATH_MAX) die("the app inside this file is damaged (a link is too long)");
            source_read(&s, target, (size_t)size);
            target[size] = '\0';
            if (symlinkat(target, dir_fd, path) != 0) die("cannot create %s: %s", path, strerror(errno));
        } else {
            die("the app inside this file is damaged (record kind %d)", kind);
        }
    }
    source_close(&s);
}

/* The marker, written last: the version line, then the files' sizes (is_complete checks them). */
static void write_marker(int dir_fd, const struct trailer *t, const char *files) {
    int fd = openat(dir_fd, MARKER, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *out = fd < 0 ? NULL : fdopen(fd, "w");
    if (!out) die("cannot write %s: %s", MARKER, strerror(errno));
    fprintf(out, "robustapp %s %s\n%s", t->version, t->hash, files);
    if (fclose(out) != 0) die("cannot write %s: %s", MARKER, strerror(errno));
}

/* Is dir_fd a complete copy of this version: marker names it, every file has its recorded size? */
static int is_complete(int dir_fd, const struct trailer *t) {
    int fd = openat(dir_fd, MARKER, O_RDONLY | O_CLOEXEC);
    FILE *in = fd < 0 ? NULL : fdopen(fd, "r");
    if (!in) return 0;
    char expected[128], line[PATH_MAX + 32];
    snprintf(expected, sizeof expected, "robustapp %s %s\n", t->version, t->hash);
    int ok = fgets(line, sizeof line, in) && strcmp(line, expected) == 0;
    while (ok && fgets(line, sizeof line, in)) {
        char *space = strchr(line, ' ');
        char *end = strchr(line, '\n');
        if (!space || !end) { ok = 0; break; }
        *end = '\0';
        struct stat st;
        ok = fstatat(dir_fd, space + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)
             && (unsigned long long)st.st_size == strtoull(line, NULL, 10);
    }
    fclose(in);
    return ok;
}

/* -- the cache folder ------------------------------------------------------------------------------- */

static void make_dirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) die("cannot create %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) die("cannot create %s: %s", path, strerror(errno));
}

static void cache_root(char *root) {
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0] == '/') path_format(root, "%s/robustapp", xdg);
    else if (home && home[0] == '/') path_format(root, "%s/.cache/robustapp", home);
    else die("neither XDG_CACHE_HOME nor HOME names a folder to unpack the app into");
    make_dirs(root);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Remove old versions and stale .tmp/.trash dirs that no running app holds a lock on. */
static void remove_unused(const char *root, const char *current) {
    DIR *dir = opendir(root);
    if (!dir) return;
    struct dirent *d;
    time_t now = time(NULL);
    while ((d = readdir(dir))) {
        int is_old = strncmp(d->d_name, "app-", 4) == 0 && strcmp(d->d_name, current) != 0;
        int is_leftover = strncmp(d->d_name, ".tmp-", 5) == 0 || strncmp(d->d_name, ".trash-", 7) == 0;
        if (!is_old && !is_leftover) continue;
        int fd = openat(dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (fd < 0) continue;
        int is_young_tmp = strncmp(d->d_name, ".tmp-", 5) == 0 && fstat(fd, &st) == 0
                           && now - st.st_mtime < STALE_TMP_SECONDS;
        if (!is_young_tmp && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            char path[PATH_MAX], trash[PATH_MAX];
            path_format(path, "%s/%s", root, d->d_name);
            path_format(trash, "%s/.trash-%d-%s", root, (int)getpid(), d->d_name);
            /* Renamed first: a start of that old version now finds nothing and unpacks afresh. */
            if (is_leftover || rename(path, trash) == 0)
                nftw(is_leftover ? path : trash, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        }
        close(fd);
    }
    closedir(dir);
}

/* Open and share-lock a version dir; -1 when it is missing or incomplete. */
static int open_complete(const char *path, const struct trailer *t) {
    int fd = open(path, O_RDONLY | O_DIRECTORY); /* no O_CLOEXEC: the lock lives as long as the app */
    if (fd < 0) return -1;
    if (flock(fd, LOCK_SH) == 0 && is_complete(fd, t)) return fd;
    close(fd);
    return -1;
}

/* Unpack a fresh copy and put it in place; returns the path to run from (dir, or the private copy). */
static const char *unpack(int self_fd, const struct trailer *t, const char *root, const char *dir, char *tmp) {
    unsigned int nonce;
    if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce) nonce = (unsigned int)time(NULL);
    path_format(tmp, "%s/.tmp-%d-%08x", root, (int)getpid(), nonce);
    if (mkdir(tmp, 0700) != 0) die("cannot create %s: %s", tmp, strerror(errno));
    int fd = open(tmp, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) die("cannot lock %s: %s", tmp, strerror(errno));
    char *files = NULL;
    size_t files_size = 0;
    FILE *list = open_memstream(&files, &files_size);
    if (!list) die("out of memory");
    extract(self_fd, t, fd, list);
    fclose(list);
    write_marker(fd, t, files);
    free(files);
    /* A broken copy nobody runs is moved away so the rename can take its place. */
    int old = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (old >= 0 && flock(old, LOCK_EX | LOCK_NB) == 0 && !is_complete(old, t)) {
        char trash[PATH_MAX];
        path_format(trash, "%s/.trash-%d-%08x", root, (int)getpid(), nonce);
        rename(dir, trash);
    }
    if (old >= 0) close(old);
    if (rename(tmp, dir) == 0) {
        flock(fd, LOCK_SH);
        return dir;
    }
    int winner = open_complete(dir, t); /* another start got there first, or a copy in use is broken */
    if (winner >= 0) {
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        close(fd);
        return dir;
    }
    flock(fd, LOCK_SH);
    return tmp;
}

int main(int argc, char **argv) {
    (void)argc;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) die("cannot find this program's own file: %s", strerror(errno));
    self[n] = '\0';
    int self_fd = open(self, O_RDONLY | O_CLOEXEC);
    if (self_fd < 0) die("cannot read %s: %s", self, strerror(errno));
    struct trailer t;
    read_trailer(self_fd, &t);

    char root[PATH_MAX], name[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], program[PATH_MAX];
    cache_root(root);
    path_format(name, "app-%s-%s", t.version, t.hash);
    path_format(dir, "%s/%s", root, name);
    const char *run_from = open_complete(dir, &t) >= 0 ? dir : unpack(self_fd, &t, root, dir, tmp);
    close(self_fd);
    remove_unused(root, name);

    path_format(program, "%s/%s", run_from, PROGRAM);
    setenv("ROBUSTAPP_EXECUTABLE", self, 1);
    execv(program, argv);
    die("cannot run %s: %s", program, strerror(errno));
}
