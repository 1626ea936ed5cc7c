/* Payroll sum: reads CSV files of employee,hours,rate (the file given as the first argument,
 * else every file in /in, in name order), writes one line per employee and the total to
 * /out/payroll.txt and the total to stdout. Amounts are kept in cents so the sum is exact. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long cents(const char *text)
{
    /* "12.5" -> 1250; at most two decimals are read. */
    long long whole = 0, frac = 0;
    int digits = 0, negative = 0;
    const char *p = text;
    while (*p == ' ') p++;
    if (*p == '-') { negative = 1; p++; }
    while (*p >= '0' && *p <= '9') whole = whole * 10 + (*p++ - '0');
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9' && digits < 2) { frac = frac * 10 + (*p++ - '0'); digits++; }
    }
    while (digits++ < 2) frac *= 10;
    return (negative ? -1 : 1) * (whole * 100 + frac);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long long total = 0;
static long employees = 0;

static int add_file(const char *input, FILE *out)
{
    FILE *in = fopen(input, "r");
    if (!in) { fprintf(stderr, "payroll: cannot open %s\n", input); return 0; }
    char line[512];
    long lineno = 0;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        char *name = strtok(line, ",\r\n");
        char *hours = strtok(NULL, ",\r\n");
        char *rate = strtok(NULL, ",\r\n");
        if (!name || !hours || !rate) continue;
        if (lineno == 1 && strcmp(hours, "hours") == 0) continue; /* header */
        long long pay = cents(hours) * cents(rate) / 100;
        total += pay;
        employees++;
        fprintf(out, "%s,%lld.%02lld\n", name, pay / 100, pay % 100);
    }
    fclose(in);
    return 1;
}

int main(int argc, char **argv)
{
    char *files[256];
    int count = 0;
    if (argc > 1) {
        files[count++] = argv[1];
    } else {
        DIR *dir = opendir("/in");
        if (!dir) { fprintf(stderr, "payroll: cannot read /in\n"); return 2; }
        struct dirent *e;
        while ((e = readdir(dir)) && count < 256) {
            if (e->d_name[0] == '.') continue;
            char *path = malloc(strlen(e->d_name) + 5);
            strcpy(path, "/in/");
            strcat(path, e->d_name);
            files[count++] = path;
        }
        closedir(dir);
        qsort(files, count, sizeof files[0], by_name);
    }
    if (count == 0) { fprintf(stderr, "payroll: no input in /in\n"); return 2; }
    FILE *out = fopen("/out/payroll.txt", "w");
    if (!out) { fprintf(stderr, "payroll: cannot write /out/payroll.txt\n"); return 3; }
    for (int i = 0; i < count; i++) {
        if (!add_file(files[i], out)) { fclose(out); return 2; }
    }
    fprintf(out, "TOTAL,%lld.%02lld\n", total / 100, total % 100);
    fclose(out);
    printf("employees %ld total %lld.%02lld\n", employees, total / 100, total % 100);
    return 0;
}
