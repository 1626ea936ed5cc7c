/* Rewrites one 1 MiB file a hundred times (100 MiB written, 1 MiB kept): a job that stays well
 * inside its disk quota however much it writes, which the quota must not refuse. */
#include <stdio.h>
#include <string.h>

int main(void)
{
    static char block[1 << 20];
    memset(block, 'c', sizeof block);
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen("/out/churn", "w");
        if (f && fwrite(block, 1, sizeof block, f) == sizeof block && fclose(f) == 0) ok++;
    }
    printf("rewrote %d\n", ok);
    return ok == 100 ? 0 : 1;
}
