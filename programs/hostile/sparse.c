/* Hostile: makes an 8 GiB file of zeros that takes no room on disk (a truncate past its end),
 * for the packer to read whole. Prints whether it could. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    char path[4096];
    const char *o = getenv("SURPLUS_OUT");
    snprintf(path, sizeof path, "%s/zeros", o ? o : "/out");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { printf("open failed %d\n", errno); return 1; }
    int ok = ftruncate(fd, 8LL << 30) == 0;
    printf("sparse 8 GiB: %s %d\n", ok ? "made" : "refused", ok ? 0 : errno);
    close(fd);
    snprintf(path, sizeof path, "%s/small.txt", o ? o : "/out");
    FILE *f = fopen(path, "w");
    if (f) { fputs("small\n", f); fclose(f); }
    return 0;
}
