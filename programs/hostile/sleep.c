/* Hostile: sleeps for an hour in one host call (nanosleep, or with "select" a select() on no
 * descriptors with an hour's timeout), then writes /out/woke.txt. The sandbox must stop it at
 * the deadline. A second argument sleeps that many seconds instead (a sleep that ends). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

int main(int argc, char **argv)
{
    long seconds = argc > 2 ? atol(argv[2]) : 3600;
    printf("sleeping\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "select") == 0) {
        struct timeval hour = { seconds, 0 };
        select(0, NULL, NULL, NULL, &hour);
    } else {
        struct timespec hour = { seconds, 0 };
        nanosleep(&hour, NULL);
    }
    FILE *f = fopen("/out/woke.txt", "w");
    if (f) { fputs("woke\n", f); fclose(f); }
    printf("woke\n");
    return 0;
}
