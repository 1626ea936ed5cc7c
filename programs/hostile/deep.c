/* Hostile: nests folders 500 levels deep (d/d/d/...), each with a file, for a walk without a
 * depth bound. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    if (chdir("/out") != 0) { printf("no /out\n"); return 1; }
    int depth = 0;
    for (; depth < 500; depth++) {
        if (mkdir("d", 0755) != 0 || chdir("d") != 0) break;
        FILE *f = fopen("f", "w");
        if (f) { fputs("x\n", f); fclose(f); }
    }
    printf("depth %d\n", depth);
    return 0;
}
