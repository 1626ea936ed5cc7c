/* Hostile: never ends. The sandbox must stop it by fuel or by the deadline. */
int main(void)
{
    volatile unsigned long long n = 0;
    for (;;) n++;
}
