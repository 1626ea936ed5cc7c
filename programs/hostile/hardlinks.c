/* Hostile: hard links a file of /out under a second name (fine), and tries to hard link files
 * from outside /out into it (/in's input, /etc/passwd); prints what each got. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void try_link(const char *from, const char *to)
{
    errno = 0;
    printf("%s %s -> %s (%d)\n", link(from, to) == 0 ? "linked" : "refused", to, from, errno);
}

int main(void)
{
    FILE *f = fopen("/out/a.txt", "w");
    if (f) { fputs("twice\n", f); fclose(f); }
    try_link("/out/a.txt", "/out/b.txt");
    try_link("/in/input-0", "/out/input");
    try_link("/etc/passwd", "/out/passwd");
    try_link("/out/../../program", "/out/program");
    return 0;
}
