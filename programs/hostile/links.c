/* Hostile: leaves links in /out for the packer to follow: a relative link to the seller's /etc,
 * an absolute one, a link to /etc/passwd, a link to its own folder's parent (up1 -> ..), a cycle
 * (a -> sub/b, sub/b -> ../a) and one to itself. Prints which links it made. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *out(void)
{
    const char *o = getenv("SURPLUS_OUT");
    return o ? o : "/out";
}

static void link_to(const char *target, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out(), name);
    printf("%s %s -> %s\n", symlink(target, path) == 0 ? "linked" : "refused", name, target);
}

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sub", out());
    mkdir(path, 0755);
    link_to("../../../../../../../../../../../../etc", "rel_etc");
    link_to("/etc", "abs_etc");
    link_to("/etc/passwd", "passwd");
    link_to("..", "up1");
    link_to(".", "self");
    link_to("sub/b", "a");
    link_to("../a", "sub/b");
    snprintf(path, sizeof path, "%s/ok.txt", out());
    FILE *f = fopen(path, "w");
    if (f) { fputs("ok\n", f); fclose(f); }
    return 0;
}
