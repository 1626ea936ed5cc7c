/* Hostile: writes to stdout and stderr without end. The sandbox must cap what it keeps
 * and stop the program. */
#include <stdio.h>

int main(void)
{
    static char line[4096];
    for (unsigned i = 0; i < sizeof line - 1; i++) line[i] = 'A' + i % 26;
    line[sizeof line - 1] = '\n';
    for (;;) {
        fwrite(line, 1, sizeof line, stdout);
        fputs("flood\n", stderr);
    }
}
