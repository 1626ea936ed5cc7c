/* Hostile: takes memory until it is refused, touching every page, then aborts (a trap).
 * The sandbox's memory limit must refuse the growth long before the host feels it. The blocks
 * are kept in a list so the compiler cannot drop the allocations. */
#include <stdlib.h>
#include <string.h>

static char *volatile keep[1 << 16];

int main(void)
{
    for (unsigned i = 0;; i = (i + 1) % (1 << 16)) {
        char *block = malloc(1 << 20);
        if (!block) abort();
        memset(block, 0x5a, 1 << 20);
        keep[i] = block;
    }
}
