/* Hostile: spins for ever in every test, printing nothing. */
int
main(void)
{
	for (volatile unsigned long n = 0;; n++)
		;
}
