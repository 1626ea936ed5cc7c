/* Hostile: takes memory until it is refused, touching every page, then aborts (a trap).
 * The sandbox's memory limit must refuse the growth long before the host feels it. */
#include <stdlib.h>
#include <string.h>

int main(void)
{
    for (;;) {
        char *block = malloc(1 << 20);
        if (!block) abort();
        memset(block, 0x5a, 1 << 20);
    }
}
