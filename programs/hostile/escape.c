/* Hostile: tries to write outside /out. Exits with the number of writes that succeeded
 * (0 when the sandbox refused them all) and says which on stdout. */
#include <stdio.h>

int main(void)
{
    const char *targets[] = {
        "/in/escaped.txt", "/out/../escaped.txt", "../escaped.txt", "/escaped.txt",
        "/tmp/escaped.txt", "escaped.txt", "/out/../in/escaped.txt", "/out/../../escaped.txt",
    };
    int written = 0;
    for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        FILE *f = fopen(targets[i], "w");
        if (f && fputs("escaped\n", f) >= 0 && fclose(f) == 0) {
            printf("wrote %s\n", targets[i]);
            written++;
        } else {
            printf("refused %s\n", targets[i]);
        }
    }
    FILE *ok = fopen("/out/inside.txt", "w");
    if (ok) { fputs("inside\n", ok); fclose(ok); }
    return written;
}
