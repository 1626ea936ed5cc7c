/* Hostile (native, process runtime): leaves a named pipe and a listening socket in its output
 * folder, for a packer that would open the pipe and wait for ever, or read a socket. WASI has no
 * way to make either, so under wasm it only writes its note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifndef __wasi__
#include <sys/socket.h>
#include <sys/un.h>
#endif

int main(void)
{
    const char *out = getenv("SURPLUS_OUT");
    char path[4096];
    if (!out) out = "/out";
#ifndef __wasi__
    snprintf(path, sizeof path, "%s/pipe", out);
    printf("pipe %s\n", mkfifo(path, 0644) == 0 ? "made" : "refused");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    snprintf(address.sun_path, sizeof address.sun_path, "%s/sock", out);
    printf("socket %s\n", s >= 0 && bind(s, (struct sockaddr *)&address, sizeof address) == 0 && listen(s, 1) == 0 ? "made" : "refused");
#endif
    snprintf(path, sizeof path, "%s/note.txt", out);
    FILE *f = fopen(path, "w");
    if (f) { fputs("special files beside me\n", f); fclose(f); }
    return 0;
}
