/* Hostile to the reports: what it prints, the failures' messages quote,
 * and each platform's report must stay valid: quotes, backslashes,
 * control bytes, invalid UTF-8, U+2028, "]]>" (which ends XML's CDATA),
 * a fake TAP line, and a megabyte of text. */
#include <stdio.h>
#include <string.h>

int
main(void)
{
	static const char nasty[] = "\"quoted\" back\\slash \x01\x02\x1b[31m "
	    "\xff\xfe\xc3 bad UTF-8, \xe2\x80\xa8 line separator, ]]> "
	    "</failure> &amp; ok 1 - checked_client::waits_1000_ms_by_default";
	static char mib[1 << 20];

	memset(mib, 'm', sizeof(mib));
	fwrite(mib, 1, sizeof(mib), stderr);
	fprintf(stderr, "\n%s\n%s\n", nasty, nasty);
	return 0;
}
