/* Hostile, or only unlucky: a syntax error. */
int
main(void)
{
	return 0
}
