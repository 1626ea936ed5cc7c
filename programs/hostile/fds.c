/* Hostile: opens files until refused (at most 100,000), prints how many and the errno, closes
 * them all and shows it can open again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fds[100000];

int main(void)
{
    char path[4096];
    const char *o = getenv("SURPLUS_OUT");
    snprintf(path, sizeof path, "%s/f", o ? o : "/out");
    int n = 0, error = 0;
    for (; n < 100000; n++) {
        fds[n] = open(path, O_RDONLY | O_CREAT, 0644);
        if (fds[n] < 0) { error = errno; break; }
    }
    printf("opened %d then errno %d\n", n, error);
    for (int i = 0; i < n; i++) close(fds[i]);
    int again = open(path, O_RDONLY);
    printf("after closing: %s\n", again >= 0 ? "opened" : "refused");
    return 0;
}
