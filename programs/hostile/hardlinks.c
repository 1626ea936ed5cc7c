/* Hostile: hard links a file of its output folder under a second name (fine), and tries to hard
 * link files from outside it into it: its input, /etc/passwd, and its own program beside the
 * output folder. Prints what each got. Under WASI the folders are /in and /out; under the process
 * runtime SURPLUS_IN and SURPLUS_OUT name them, and a link may well succeed there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void try_link(const char *from, const char *to, const char *label)
{
    errno = 0;
    printf("%s %s (%d)\n", link(from, to) == 0 ? "linked" : "refused", label, errno);
}

int main(void)
{
    const char *out = getenv("SURPLUS_OUT");
    const char *in = getenv("SURPLUS_IN");
    char a[4096], b[4096], from[4096], to[4096];
    if (!out) out = "/out";
    if (!in) in = "/in";
    snprintf(a, sizeof a, "%s/a.txt", out);
    snprintf(b, sizeof b, "%s/b.txt", out);
    FILE *f = fopen(a, "w");
    if (f) { fputs("twice\n", f); fclose(f); }
    try_link(a, b, "/out/b.txt");
    snprintf(from, sizeof from, "%s/input-0", in);
    snprintf(to, sizeof to, "%s/input", out);
    try_link(from, to, "/out/input");
    snprintf(to, sizeof to, "%s/passwd", out);
    try_link("/etc/passwd", to, "/out/passwd");
    snprintf(from, sizeof from, "%s/../program", out);
    snprintf(to, sizeof to, "%s/program", out);
    try_link(from, to, "/out/program");
    return 0;
}
