/* Hostile: tries to write 10 GB to /out in 1 MiB blocks; then, with that file gone, a byte at
 * 8 GiB with pwrite, a byte after a seek to 8 GiB, and a truncate to 8 GiB; prints what each got
 * (errno 51 is ENOSPC in WASI, 28 on Linux), then proves it can still write a small file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path_buf[4096];

static const char *at(const char *name)
{
    const char *o = getenv("SURPLUS_OUT");
    snprintf(path_buf, sizeof path_buf, "%s/%s", o ? o : "/out", name);
    return path_buf;
}

int main(void)
{
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    int fd = open(at("fill"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { printf("open failed %d\n", errno); return 1; }
    long long written = 0;
    int error = 0;
    for (int i = 0; i < 10 * 1024; i++) {
        ssize_t n = write(fd, block, sizeof block);
        if (n < 0) { error = errno; break; }
        written += n;
        if (n < (ssize_t)sizeof block) { n = write(fd, block, sizeof block); error = n < 0 ? errno : 0; break; }
    }
    printf("wrote %lld then errno %d\n", written, error);
    close(fd);
    unlink(at("fill"));
    fd = open(at("sparse"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("pwrite at 8 GiB: %s %d\n", pwrite(fd, "x", 1, 8LL << 30) == 1 ? "ok" : "refused", errno);
    errno = 0;
    lseek(fd, 8LL << 30, SEEK_SET);
    printf("write after seek to 8 GiB: %s %d\n", write(fd, "x", 1) == 1 ? "ok" : "refused", errno);
    errno = 0;
    printf("truncate to 8 GiB: %s %d\n", ftruncate(fd, 8LL << 30) == 0 ? "ok" : "refused", errno);
    close(fd);
    FILE *f = fopen(at("after.txt"), "w");
    printf("after: %s\n", f && fputs("still here\n", f) >= 0 && fclose(f) == 0 ? "written" : "refused");
    return 0;
}
