/* Payroll sum: reads a CSV of employee,hours,rate from /in (the first argument, default
 * /in/payroll.csv), writes one line per employee and the total to /out/payroll.txt and the
 * total to stdout. Amounts are kept in cents so the sum is exact. */
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

int main(int argc, char **argv)
{
    const char *input = argc > 1 ? argv[1] : "/in/payroll.csv";
    FILE *in = fopen(input, "r");
    if (!in) { fprintf(stderr, "payroll: cannot open %s\n", input); return 2; }
    FILE *out = fopen("/out/payroll.txt", "w");
    if (!out) { fprintf(stderr, "payroll: cannot write /out/payroll.txt\n"); return 3; }

    char line[512];
    long long total = 0;
    long employees = 0, lineno = 0;
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
    fprintf(out, "TOTAL,%lld.%02lld\n", total / 100, total % 100);
    fclose(out);
    fclose(in);
    printf("employees %ld total %lld.%02lld\n", employees, total / 100, total % 100);
    return 0;
}
