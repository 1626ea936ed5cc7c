/* Monte-Carlo estimate of pi: the first argument is the number of samples (default
 * 10,000,000), the second the seed. Writes the estimate to stdout and to /out/pi.txt when
 * /out exists. A xorshift generator keeps the result the same on every machine. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv)
{
    long long samples = argc > 1 ? atoll(argv[1]) : 10000000LL;
    uint64_t state = argc > 2 ? strtoull(argv[2], NULL, 10) : 88172645463325252ULL;
    if (state == 0) state = 1;
    long long inside = 0;
    for (long long i = 0; i < samples; i++) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        double x = (double)(state >> 11) / 9007199254740992.0;
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        double y = (double)(state >> 11) / 9007199254740992.0;
        if (x * x + y * y < 1.0) inside++;
    }
    double pi = 4.0 * (double)inside / (double)(samples > 0 ? samples : 1);
    printf("samples %lld inside %lld pi %.6f\n", samples, inside, pi);
    FILE *out = fopen("/out/pi.txt", "w");
    if (out) { fprintf(out, "%.6f\n", pi); fclose(out); }
    return 0;
}
