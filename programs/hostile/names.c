/* Hostile: names files with control characters (a line break, a tab, a terminal escape, a
 * carriage return) so the archive or the buyer's terminal breaks. */
#include <stdio.h>

int main(void)
{
    const char *names[] = { "/out/new\nline", "/out/tab\there", "/out/\x1b[31mred", "/out/carriage\rreturn", "/out/plain.txt" };
    int made = 0;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        FILE *f = fopen(names[i], "w");
        if (f) { fputs("x\n", f); fclose(f); made++; }
    }
    printf("made %d\n", made);
    return 0;
}
