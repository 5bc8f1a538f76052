/*
 * Lab 01, hexdump-server: every datagram dumped as "hexdump -C" dumps it,
 * and with -n COUNT, totals of datagrams, bytes and distinct senders.
 *
 * The expected dumps come from the real hexdump -C (util-linux, run with
 * LC_ALL=C), so a program is held to the tool, not to our idea of it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(hexdump_server, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

#define USAGE "usage: hexdump-server [-n count] [host] port"

#define STRLEN_HINT "a datagram is bytes, not a C string: its length is " \
	"what recvfrom() returned, and strlen() would stop at the first NUL"

/* A running server, and the socket the test sends from. */
struct lab {
	struct h_proc *srv;
	uint16_t port;
	const char *host;       /* the test's side: "127.0.0.1" or "::1" */
	const char *shown_as;   /* how the server shows that address */
	int fd;
};

/* Start the program under test (with -n COUNT unless count is NULL). */
static void
start(struct lab *l, const char *count, const char *server_host,
    const char *client_host, const char *shown_as)
{
	const char *opts[] = { "-n", count, NULL };

	l->srv = h_server_args(h_lab_program(), count ? opts : NULL,
	    server_host, &l->port);
	l->host = client_host;
	l->shown_as = shown_as;
	l->fd = h_udp_open(client_host);
}

/* What the real hexdump -C prints for these bytes (the caller frees). */
static char *
hexdump_c(const void *data, size_t len)
{
	struct h_opts o = { .stdin_data = data, .stdin_len = len };
	struct h_proc *p = h_spawn((char *[]){ "env", "LC_ALL=C", "hexdump",
	    "-C", NULL }, &o);
	int status = h_wait(p, h_ms(10000));
	char *out;

	cr_assert(status == 0, "test setup: hexdump -C exited %d: %s",
	    status, h_stderr(p));
	out = strdup(h_stdout(p));
	cr_assert(out != NULL, "strdup");
	return out;
}

/* Split text at its newlines, in place; returns how many lines. */
static size_t
split_lines(char *text, char ***lines)
{
	size_t n = 0;
	char *p = text;
	char **v;

	for (const char *c = text; *c != '\0'; c++)
		if (*c == '\n')
			n++;
	v = calloc(n + 1, sizeof(*v));
	cr_assert(v != NULL, "calloc");
	for (size_t i = 0; i < n; i++) {
		char *nl = strchr(p, '\n');

		*nl = '\0';
		v[i] = p;
		p = nl + 1;
	}
	*lines = v;
	return n;
}

/* The column where two lines first differ (the shorter's length if none). */
static size_t
first_difference(const char *a, const char *b)
{
	size_t i = 0;

	while (a[i] != '\0' && a[i] == b[i])
		i++;
	return i;
}

/*
 * What a line that differs from hexdump -C's from column col on most
 * likely gets wrong.
 */
static const char *
explain(const char *want, const char *got, size_t col)
{
	const char *bar = strchr(want, '|');
	size_t text_at = bar ? (size_t)(bar - want) + 1 : strlen(want);
	size_t wlen = strlen(want);

	if (strstr(got, " ffffff") != NULL && strstr(want, " ffffff") == NULL)
		return "a byte from 0x80 to 0xff shows as ffffff80 and the "
		    "like: the data went through a signed char, which "
		    "printf's %02x gets as a negative int with its sign "
		    "extended; keep the bytes in an unsigned char buffer";
	if (col >= text_at && got[col] == '\0' && col < wlen)
		return "the line stops inside the text column, where the "
		    "datagram has a control byte: a byte outside 0x20 to 0x7e "
		    "was printed raw, not escaped as \".\", and a raw newline "
		    "or NUL cuts the line there";
	if (strcmp(want, "*") == 0)
		return "hexdump -C prints a single \"*\" in place of the lines "
		    "that repeat the line before (all 16 bytes equal), however "
		    "many there are";
	if (strcmp(got, "*") == 0)
		return "\"*\" stands only for full lines equal to the line "
		    "before";
	if (strcasecmp(want, got) == 0)
		return "hex digits are lower case, as %02x prints them";
	if (wlen == 8)
		return "the dump ends with the offset just past the last byte "
		    "(the datagram's length) in 8 hex digits";
	if (*got == '\0')
		return "each 16 bytes get a line, and the last bytes a shorter "
		    "one";
	if (col < 8)
		return "each line starts with the offset of its first byte, in "
		    "8 hex digits, counted from the start of this datagram";
	if (col >= text_at && col + 1 == wlen && got[col] == '\0')
		return "the text column ends with a \"|\"";
	if (col >= text_at && col + 1 == wlen)
		return "a short last line's text is not padded, with spaces or "
		    "anything else: the closing \"|\" comes right after the "
		    "line's last byte";
	if (col >= text_at && col == wlen)
		return "nothing follows the closing \"|\", not even a space";
	if (col >= text_at)
		return "the ASCII column between the bars shows the bytes 0x20 "
		    "to 0x7e as themselves and every other byte as \".\"";
	return "the columns must be hexdump -C's: the offset, two spaces, 8 "
	    "bytes in hex, one more space, 8 more, two spaces, then |ASCII|; "
	    "a short last line keeps three spaces for each missing byte";
}

/*
 * Whether the server's dump so far (want[0..i) matched, then got; NULL if
 * it ended there) is the dump of data up to its first NUL byte: the mark
 * of strlen() on the received bytes.
 */
static bool
cut_at_nul(const void *data, size_t len, char **want, size_t i,
    const char *got)
{
	const char *nul = memchr(data, 0, len);
	char *text;
	char **cut;
	size_t ncut;
	bool same;

	if (nul == NULL)
		return false;
	text = hexdump_c(data, (size_t)(nul - (const char *)data));
	ncut = split_lines(text, &cut);
	if (got == NULL)
		same = ncut == i;
	else
		same = i < ncut && strcmp(cut[i], got) == 0;
	for (size_t k = 0; same && k < i; k++)
		same = strcmp(cut[k], want[k]) == 0;
	free(cut);
	free(text);
	return same;
}

/* The header line a datagram of len bytes from l's socket gets. */
static void
header_for(const struct lab *l, size_t len, char *buf, size_t size)
{
	snprintf(buf, size, "%s port %u sent %zu bytes", l->shown_as,
	    h_udp_port(l->fd), len);
}

/*
 * What a header line that is not the one expected most likely gets wrong,
 * or NULL.  want is "ADDR port P sent N bytes"; so, most often, is got.
 */
static const char *
explain_header(const struct lab *l, size_t len, const char *got)
{
	static char why[320];
	uint16_t port = h_udp_port(l->fd);
	uint16_t swapped = (uint16_t)(port >> 8 | port << 8);
	const char *at = NULL;
	char addr[NET_HOSTLEN];
	unsigned gotport;
	size_t gotlen;
	int end = -1;

	/* The last " port ": an address never holds one. */
	for (const char *p = strstr(got, " port "); p != NULL;
	    p = strstr(p + 1, " port "))
		at = p;
	if (at == NULL || (size_t)(at - got) >= sizeof(addr))
		return "the header line is \"ADDR port P sent N bytes\"";
	memcpy(addr, got, (size_t)(at - got));
	addr[at - got] = '\0';
	if (sscanf(at, " port %u sent %zu byte%n", &gotport, &gotlen,
	    &end) != 2 || end == -1)
		return "the header line is \"ADDR port P sent N bytes\"";
	if (strcmp(at + end, "") == 0 && gotlen == 1)
		return "the word is \"bytes\" even when N is 1";
	if (gotport == swapped && swapped != port) {
		snprintf(why, sizeof(why), "the port %u is %u with its two "
		    "bytes swapped, a matter of byte order (ntohs): a port in "
		    "a sockaddr is in network byte order; convert it with "
		    "ntohs(), or let getnameinfo() (net_addrstr) print it",
		    gotport, (unsigned)port);
		return why;
	}
	if (gotlen < len) {
		snprintf(why, sizeof(why), "the datagram was cut to %zu of its "
		    "%zu bytes: the buffer given to recvfrom() must hold the "
		    "largest datagram, NET_MAX_DATAGRAM (%d) bytes", gotlen,
		    len, NET_MAX_DATAGRAM);
		return why;
	}
	if (strcmp(addr, "::") == 0 || strcmp(addr, "0.0.0.0") == 0)
		return "the sender's address shows as all zeros: the address "
		    "length passed to recvfrom()/getnameinfo() is wrong; "
		    "before each recvfrom() set it to sizeof the "
		    "sockaddr_storage, and pass getnameinfo() the length "
		    "recvfrom() gave back";
	if (strchr(l->shown_as, '%') != NULL &&
	    strncmp(addr, l->shown_as, strcspn(l->shown_as, "%")) == 0 &&
	    strchr(addr, '%') == NULL)
		return "a link-local address needs its scope, \"%LINK\": "
		    "the same fe80:: address may be on two links; inet_ntop() "
		    "leaves it out, getnameinfo() with NI_NUMERICHOST "
		    "(net_addrstr) prints it";
	if (strcmp(addr, l->shown_as) != 0)
		return "the sender's address is what recvfrom() filled in, "
		    "printed by getnameinfo() with NI_NUMERICHOST "
		    "(net_addrstr); check the address length passed to "
		    "recvfrom()/getnameinfo()";
	return NULL;
}

static void
check_header(struct lab *l, const void *data, size_t len,
    const char *label)
{
	const char *nul = memchr(data, 0, len);
	char want[128];
	char cut[128];
	const char *line;
	const char *why;

	header_for(l, len, want, sizeof(want));
	header_for(l, nul ? (size_t)(nul - (const char *)data) : len, cut,
	    sizeof(cut));
	line = h_line(l->srv, h_ms(3000));
	cr_assert(line != NULL, "sent %s; the server printed nothing within "
	    "%ld ms%s; %s", label, h_ms(3000), len > 0 ? "" : ": an empty "
	    "datagram is a datagram too, and recvfrom() returning 0 is not "
	    "an end of file", h_ending(l->srv));
	cr_assert(nul == NULL || len == 0 || strcmp(line, cut) != 0,
	    "sent %s; the header line says \"%s\", not \"%s\": "
	    STRLEN_HINT, label, line, want);
	if (strcmp(line, want) == 0)
		return;
	why = explain_header(l, len, line);
	cr_assert_fail("sent %s; its header line should be \"%s\", got "
	    "\"%s\"%s%s", label, want, line, why ? ": " : "",
	    why ? why : "");
}

/*
 * Send data from l's socket and check that the server prints its header
 * line and then exactly the lines hexdump -C prints for it.
 */
static void
check_dump(struct lab *l, const void *data, size_t len, const char *label)
{
	const char *nul = memchr(data, 0, len);
	size_t nul_at = nul ? (size_t)(nul - (const char *)data) : len;
	char *text;
	char **want;
	size_t nwant;

	h_udp_send(l->fd, l->host, l->port, data, len);
	check_header(l, data, len, label);
	text = hexdump_c(data, len);
	nwant = split_lines(text, &want);
	for (size_t i = 0; i < nwant; i++) {
		const char *got = h_line(l->srv, h_ms(3000));
		char *w;
		char *g;
		char *prefix;
		size_t col;

		if (got != NULL && strcmp(got, want[i]) == 0)
			continue;
		cr_assert(!cut_at_nul(data, len, want, i, got),
		    "dumping %s: the dump stops at the NUL byte at offset "
		    "%zu: " STRLEN_HINT, label, nul_at);
		w = h_escape(want[i], strlen(want[i]));
		cr_assert(got != NULL, "dumping %s: the dump ended after %zu "
		    "of the %zu lines hexdump -C prints; the next would be\n"
		    "  \"%s\"\n%s", label, i, nwant, w,
		    explain(want[i], "", 0));
		/*
		 * Quoted and escaped, so that a trailing space or a control
		 * byte shows; the caret marks the first difference, counted
		 * in the escaped text (both lines escape their common start
		 * alike).  Both quotes open at column 15.
		 */
		col = first_difference(want[i], got);
		g = h_escape(got, strlen(got));
		prefix = h_escape(want[i], col);
		cr_assert_fail("dumping %s: line %zu differs from hexdump -C's"
		    " at the ^:\n  hexdump -C: \"%s\"\n"
		    "  yours:      \"%.300s\"\n%*s^\n%s", label, i + 1, w, g,
		    (int)(15 + strlen(prefix)), "", explain(want[i], got, col));
	}
	free(want);
	free(text);
}

/*
 * The dump is over: the next datagram's header must come next.  why says
 * what a line in between would mean.
 */
static void
check_dump_ends(struct lab *l, const char *label, const char *why)
{
	char want[128];
	const char *line;

	h_udp_send(l->fd, l->host, l->port, "end", 3);
	header_for(l, 3, want, sizeof(want));
	line = h_line(l->srv, h_ms(3000));
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "after the dump of %s, the next datagram's header \"%s\" should "
	    "come next, got \"%.200s\": %s", label, want,
	    line ? line : "(nothing)", why);
}

/* One datagram to a fresh server, dumped right, and nothing more. */
static void
dump_one(const char *server_host, const char *client_host,
    const char *shown_as, const void *data, size_t len, const char *label)
{
	struct lab l;

	start(&l, NULL, server_host, client_host, shown_as);
	check_dump(&l, data, len, label);
	check_dump_ends(&l, label, "hexdump -C prints nothing after the "
	    "final offset line");
	h_expect_clean_stop(l.srv, SIGTERM);
}

static void
check_first_line(const char *host, const char *shown)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_lab_program(), host, &port);
	char want[80];

	snprintf(want, sizeof(want), "listening on %s port %u\n", shown, port);
	h_expect_clean_stop(srv, SIGTERM);
	cr_assert_str_eq(h_stdout(srv), want, "with nothing received the "
	    "server should print only \"%.*s\", got \"%s\"",
	    (int)strlen(want) - 1, want, h_stdout(srv));
}

Test(hexdump_server, first_line_names_the_bound_address_and_port)
{
	check_first_line("127.0.0.1", "127.0.0.1");
	check_first_line("::1", "::1");
	check_first_line(NULL, "::");
}

Test(hexdump_server, binds_the_port_it_is_given)
{
	uint16_t want = h_free_port("127.0.0.1");
	char arg[8];
	char first[80];
	struct lab l;

	snprintf(arg, sizeof(arg), "%u", (unsigned)want);
	l.srv = h_server_cmd((char *[]){ (char *)h_lab_program(), "127.0.0.1",
	    arg, NULL }, true, &l.port);
	cr_assert_eq(l.port, want, "started with port %u, the server should "
	    "bind it and say so: its first line ends \"port %u\"", want,
	    l.port);
	snprintf(first, sizeof(first), "listening on 127.0.0.1 port %u\n",
	    want);
	cr_assert_str_eq(h_stdout(l.srv), first, "the first line should be "
	    "\"%.*s\", got \"%s\"", (int)strlen(first) - 1, first,
	    h_stdout(l.srv));
	l.host = "127.0.0.1";
	l.shown_as = "127.0.0.1";
	l.fd = h_udp_open("127.0.0.1");
	check_dump(&l, "to the given port", 17, "\"to the given port\", sent "
	    "to the port the server was given");
	h_expect_clean_stop(l.srv, SIGTERM);
}

Test(hexdump_server, takes_a_host_name)
{
	struct lab l;
	char v4[80];
	char v6[80];

	/* localhost is 127.0.0.1, ::1 or both; the server binds the first. */
	start(&l, NULL, "localhost", "127.0.0.1", "127.0.0.1");
	snprintf(v4, sizeof(v4), "listening on 127.0.0.1 port %u\n", l.port);
	snprintf(v6, sizeof(v6), "listening on ::1 port %u\n", l.port);
	if (strcmp(h_stdout(l.srv), v6) == 0) {
		close(l.fd);
		l.host = "::1";
		l.shown_as = "::1";
		l.fd = h_udp_open("::1");
	}
	cr_assert(strcmp(h_stdout(l.srv), v4) == 0 ||
	    strcmp(h_stdout(l.srv), v6) == 0, "with the host \"localhost\" "
	    "the server should bind the first address getaddrinfo gives, "
	    "127.0.0.1 or ::1, and print \"%.*s\" or \"%.*s\"; got \"%s\"",
	    (int)strlen(v4) - 1, v4, (int)strlen(v6) - 1, v6,
	    h_stdout(l.srv));
	check_dump(&l, "by name", 7, "\"by name\", to a server started with "
	    "the host \"localhost\"");
	h_expect_clean_stop(l.srv, SIGTERM);
}

Test(hexdump_server, dumps_text_over_ipv4)
{
	dump_one("127.0.0.1", "127.0.0.1", "127.0.0.1", "Hello World", 11,
	    "\"Hello World\"");
}

Test(hexdump_server, dumps_text_over_ipv6)
{
	dump_one("::1", "::1", "::1", "Hello World, over IPv6!", 23,
	    "\"Hello World, over IPv6!\"");
}

Test(hexdump_server, without_host_shows_ipv4_senders_as_mapped)
{
	dump_one(NULL, "127.0.0.1", "::ffff:127.0.0.1", "exactly 16 bytes",
	    16, "\"exactly 16 bytes\"");
}

Test(hexdump_server, without_host_takes_ipv6_too)
{
	dump_one(NULL, "::1", "::1", "0123456789abcdefXYZ", 19,
	    "\"0123456789abcdefXYZ\"");
}

Test(hexdump_server, dumps_a_one_byte_datagram)
{
	dump_one("127.0.0.1", "127.0.0.1", "127.0.0.1", "!", 1,
	    "the one byte \"!\"");
}

Test(hexdump_server, a_nul_byte_does_not_end_the_datagram)
{
	dump_one("127.0.0.1", "127.0.0.1", "127.0.0.1", "ab\0cd", 5,
	    "the 5 bytes \"ab\\x00cd\"");
}

Test(hexdump_server, dumps_all_256_byte_values)
{
	unsigned char data[256];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(255 - i);
	dump_one("::1", "::1", "::1", data, sizeof(data),
	    "the 256 byte values from 0xff down to 0x00");
}

Test(hexdump_server, binary_bytes_show_as_dots_in_the_ascii_column)
{
	static const unsigned char data[] = { 'a', 0x7f, 'b', 0x80, 'c', 0xff,
		'\n', '\t', '\r', 0x1b, ' ', '~', 0xa0, 0xe9, 'z' };

	dump_one("127.0.0.1", "127.0.0.1", "127.0.0.1", data, sizeof(data),
	    "15 bytes mixing letters with 0x7f, 0x80, 0xff, \\n, \\t, \\r, "
	    "ESC, 0xa0 and 0xe9");
}

Test(hexdump_server, repeated_lines_collapse_to_a_star)
{
	unsigned char data[16 * 6 + 5];

	/* AAA, BB, A, then a partial A line: "*" twice, and no more. */
	memset(data, 'A', sizeof(data));
	memset(data + 48, 'B', 32);
	dump_one("::1", "::1", "::1", data, sizeof(data),
	    "101 bytes: 48 'A', 32 'B', 21 'A'");
}

Test(hexdump_server, a_datagram_of_one_repeated_line_ends_with_star)
{
	unsigned char data[64];

	memset(data, 0, sizeof(data));
	dump_one("127.0.0.1", "127.0.0.1", "127.0.0.1", data, sizeof(data),
	    "64 zero bytes");
}

Test(hexdump_server, an_empty_datagram_has_a_header_and_no_dump)
{
	struct lab l;

	start(&l, NULL, "::1", "::1", "::1");
	check_dump(&l, "", 0, "an empty datagram");
	check_dump_ends(&l, "an empty datagram", "hexdump -C prints nothing "
	    "at all for no bytes, not even an offset");
	h_expect_clean_stop(l.srv, SIGTERM);
}

Test(hexdump_server, each_datagram_is_dumped_from_offset_0)
{
	struct lab l;

	start(&l, NULL, "127.0.0.1", "127.0.0.1", "127.0.0.1");
	check_dump(&l, "the first datagram, 36 bytes long...", 36,
	    "a first datagram of 36 bytes");
	check_dump(&l, "and a second one", 16,
	    "a second datagram (offsets start again at 00000000)");
	check_dump(&l, "", 0, "an empty third datagram");
	check_dump(&l, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\0\0\0\0\0\0x", 33, "a fourth datagram of 32 NULs and \"x\"");
	check_dump_ends(&l, "four datagrams", "hexdump -C prints nothing "
	    "after the final offset line");
	h_expect_clean_stop(l.srv, SIGTERM);
}

/* Patterned bytes: runs of equal lines (a "*" each) between varied ones. */
static void
fill(unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t line = i / 16;

		if (line / 4 % 2 == 0)
			data[i] = (unsigned char)(line / 8);
		else
			data[i] = (unsigned char)(i * 7 + line);
	}
}

Test(hexdump_server, dumps_the_largest_ipv4_datagram_whole)
{
	static unsigned char data[NET_MAX_UDP4];

	fill(data, sizeof(data));
	dump_one("127.0.0.1", "127.0.0.1", "127.0.0.1", data, sizeof(data),
	    "the largest IPv4 datagram (65507 bytes; the buffer must hold "
	    "it all)");
}

Test(hexdump_server, dumps_the_largest_ipv6_datagram_whole)
{
	static unsigned char data[NET_MAX_UDP6];

	fill(data, sizeof(data));
	dump_one("::1", "::1", "::1", data, sizeof(data),
	    "the largest IPv6 datagram (65527 bytes; the buffer must hold "
	    "it all)");
}

/* ---------------------------------------------------------------------- */
/* -n COUNT: stop after COUNT datagrams, with totals. */

/*
 * Send data from another socket of the test's (fd, on host, which the
 * server shows as shown_as) and check its header and dump, line by line.
 */
static void
check_dump_from(const struct lab *l, int fd, const char *host,
    const char *shown_as, const void *data, size_t len, int number)
{
	struct lab from = *l;
	char label[96];

	from.fd = fd;
	from.host = host;
	from.shown_as = shown_as;
	snprintf(label, sizeof(label), "datagram %d (%zu bytes from %s port "
	    "%u)", number, len, host, h_udp_port(fd));
	check_dump(&from, data, len, label);
}

/*
 * The three totals lines, each on the very line after the one before:
 * after is what the server printed last (a dump, or its first line).
 */
static void
check_totals_lines(struct lab *l, long datagrams, long bytes,
    const char *senders, const char *senders_why, const char *after)
{
	char want[64];
	const char *line;

	snprintf(want, sizeof(want), "datagrams: %ld", datagrams);
	line = h_line(l->srv, h_ms(3000));
	cr_assert(line != NULL && strcmp(line, want) == 0, "after %s the "
	    "very next line should be \"%s\", got \"%.200s\"", after, want,
	    line ? line : "(nothing)");

	snprintf(want, sizeof(want), "bytes: %ld", bytes);
	line = h_line(l->srv, h_ms(3000));
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "the line after the datagram count should be \"%s\" (every "
	    "datagram's length added up), got \"%.200s\"", want,
	    line ? line : "(nothing)");

	line = h_line(l->srv, h_ms(3000));
	cr_assert(line != NULL && strcmp(line, senders) == 0,
	    "the line after the bytes should be \"%s\", got \"%.200s\": %s",
	    senders, line ? line : "(nothing)", senders_why);
}

/* After the totals: exit 0, on its own, with nothing more said. */
static void
check_exit_after_totals(struct lab *l)
{
	int status = h_wait(l->srv, h_ms(3000));
	const char *line;

	cr_assert(status == 0, "after its totals the server should exit 0 "
	    "by itself; %s", h_ending(l->srv));
	line = h_line(l->srv, 0);
	cr_assert(line == NULL, "nothing should follow the totals; got "
	    "\"%.200s\"", line);
	cr_assert_str_eq(h_stderr(l->srv), "",
	    "nothing should go to stderr; got: %s", h_stderr(l->srv));
}

Test(hexdump_server, n_counts_datagrams_bytes_and_distinct_senders)
{
	struct lab l;
	int b;
	char why[256];

	start(&l, "3", "127.0.0.1", "127.0.0.1", "127.0.0.1");
	b = h_udp_open("127.0.0.1");
	check_dump_from(&l, l.fd, "127.0.0.1", "127.0.0.1", "one", 3, 1);
	check_dump_from(&l, b, "127.0.0.1", "127.0.0.1", "second", 6, 2);
	check_dump_from(&l, l.fd, "127.0.0.1", "127.0.0.1", "3rd!!", 5, 3);
	snprintf(why, sizeof(why), "two sockets, on ports %u and %u of "
	    "127.0.0.1, sent the 3 datagrams, the first socket twice: a "
	    "sender is an address and a port, and one that sends again is "
	    "still one sender", h_udp_port(l.fd), h_udp_port(b));
	check_totals_lines(&l, 3, 14, "senders: 2", why,
	    "the dump of the third datagram of -n 3");
	check_exit_after_totals(&l);
}

Test(hexdump_server, n_counts_senders_of_both_families)
{
	struct lab l;
	int v6;

	start(&l, "4", NULL, "127.0.0.1", "::ffff:127.0.0.1");
	v6 = h_udp_open("::1");
	check_dump_from(&l, l.fd, "127.0.0.1", "::ffff:127.0.0.1", "v4", 2, 1);
	check_dump_from(&l, v6, "::1", "::1", "v6", 2, 2);
	check_dump_from(&l, v6, "::1", "::1", "v6 again", 8, 3);
	check_dump_from(&l, l.fd, "127.0.0.1", "::ffff:127.0.0.1", "v4 again",
	    8, 4);
	check_totals_lines(&l, 4, 20, "senders: 2", "one IPv4 and one IPv6 "
	    "socket sent two datagrams each: a sender is an address and a "
	    "port, counted once however often it sends",
	    "the dump of the fourth datagram of -n 4");
	check_exit_after_totals(&l);
}

Test(hexdump_server, n_counts_an_empty_datagram)
{
	struct lab l;

	start(&l, "2", "::1", "::1", "::1");
	check_dump_from(&l, l.fd, "::1", "::1", "", 0, 1);
	check_dump_from(&l, l.fd, "::1", "::1", "x", 1, 2);
	check_totals_lines(&l, 2, 1, "senders: 1", "one socket sent both "
	    "datagrams, the first of them empty",
	    "the dump of the second datagram of -n 2");
	check_exit_after_totals(&l);
}

Test(hexdump_server, n_1_stops_after_the_first_datagram)
{
	static unsigned char big[NET_MAX_UDP4];
	struct lab l;

	memset(big, 'x', sizeof(big));
	start(&l, "1", "127.0.0.1", "127.0.0.1", "127.0.0.1");
	check_dump_from(&l, l.fd, "127.0.0.1", "127.0.0.1", big, sizeof(big),
	    1);
	check_totals_lines(&l, 1, NET_MAX_UDP4, "senders: 1", "one datagram "
	    "came", "the dump of the only datagram of -n 1");
	check_exit_after_totals(&l);
}

Test(hexdump_server, n_takes_the_largest_count)
{
	struct lab l;
	char first[80];
	int status;

	start(&l, "2147483647", "127.0.0.1", "127.0.0.1", "127.0.0.1");
	snprintf(first, sizeof(first), "its first line, \"listening on "
	    "127.0.0.1 port %u\", and SIGTERM", l.port);
	status = h_stop(l.srv, SIGTERM);
	cr_assert_eq(status, 0, "-n 2147483647 is a count the lab allows; "
	    "started with it, then SIGTERM, the server should exit 0, got %d "
	    "(stderr: %.300s)", status, h_stderr(l.srv));
	check_totals_lines(&l, 0, 0, "senders: 0", "no datagram came", first);
	cr_assert(h_line(l.srv, 0) == NULL, "nothing should follow the "
	    "totals");
	cr_assert_str_eq(h_stderr(l.srv), "", "nothing should go to stderr; "
	    "got: %s", h_stderr(l.srv));
}

Test(hexdump_server, a_signal_before_count_prints_the_totals_so_far)
{
	struct lab l;
	int status;

	start(&l, "5", "127.0.0.1", "127.0.0.1", "127.0.0.1");
	check_dump_from(&l, l.fd, "127.0.0.1", "127.0.0.1", "abc", 3, 1);
	check_dump_from(&l, l.fd, "127.0.0.1", "127.0.0.1", "defg", 4, 2);
	status = h_stop(l.srv, SIGINT);
	cr_assert_eq(status, 0, "SIGINT should exit 0, got %d; %s", status,
	    h_ending(l.srv));
	check_totals_lines(&l, 2, 7, "senders: 1", "one socket sent both "
	    "datagrams", "-n 5, two datagrams and SIGINT, the dump of the "
	    "second datagram");
	cr_assert(h_line(l.srv, 0) == NULL, "nothing should follow the "
	    "totals");
	cr_assert_str_eq(h_stderr(l.srv), "", "nothing should go to stderr; "
	    "got: %s", h_stderr(l.srv));
}

Test(hexdump_server, without_n_a_signal_prints_no_totals)
{
	struct lab l;
	int status;

	const char *line;

	start(&l, NULL, "::1", "::1", "::1");
	check_dump(&l, "abc", 3, "\"abc\"");
	status = h_stop(l.srv, SIGTERM);
	cr_assert_eq(status, 0, "SIGTERM should exit 0, got %d; %s", status,
	    h_ending(l.srv));
	line = h_line(l.srv, 0);
	cr_assert(line == NULL, "without -n there are no totals: after the "
	    "dump of \"abc\" and SIGTERM, nothing more; got \"%.200s\"",
	    line);
}

/*
 * The signal goes the moment the first line is read, and catches what it
 * happens to catch: a server that installs its handler only after its
 * first line dies of the signal (128 + N) if the signal comes first, and
 * one that checks a flag and then blocks in recvfrom sleeps through a
 * signal that comes between the two (h_stop then fails the test).  Both
 * windows are narrow, so such a server often passes; the rounds make a
 * miss less likely, and a pass is no proof.  A handler that lets recvfrom
 * restart (signal(), SA_RESTART) misses every signal that comes while the
 * server waits, which is where it usually is by then: that one fails.
 */
Test(hexdump_server, a_signal_right_after_the_first_line_exits_0)
{
	long rounds = 20 / h_time_factor();

	if (rounds < 3)
		rounds = 3;
	for (long i = 0; i < rounds; i++) {
		const char *opts[] = { "-n", "3", NULL };
		int sig = i % 2 ? SIGINT : SIGTERM;
		bool counting = i % 4 >= 2;
		uint16_t port;
		struct h_proc *srv = h_server_args(h_lab_program(),
		    counting ? opts : NULL, "::1", &port);
		char want[160];
		int status;

		status = h_stop(srv, sig);
		cr_assert_eq(status, 0, "round %ld: %s right after the first "
		    "line should exit 0, got %d%s; %s", i + 1,
		    sig == SIGINT ? "SIGINT" : "SIGTERM", status,
		    status == 128 + sig ? ": it died of the signal, whose "
		    "default action ends a process; catch SIGINT and SIGTERM "
		    "(net_catch_stop_signals) before the first line" : "",
		    h_ending(srv));
		snprintf(want, sizeof(want), "listening on ::1 port %u\n%s",
		    port, counting ? "datagrams: 0\nbytes: 0\nsenders: 0\n" :
		    "");
		cr_assert_str_eq(h_stdout(srv), want, "round %ld, %s: expected"
		    "\n%s\ngot\n%s", i + 1, counting ? "with -n 3" :
		    "without -n", want, h_stdout(srv));
		cr_assert_str_eq(h_stderr(srv), "", "round %ld: nothing "
		    "should go to stderr; got: %s", i + 1, h_stderr(srv));
	}
}

/* ---------------------------------------------------------------------- */
/* The command line. */

/* Inline arrays: Criterion copies parameters, pointers would dangle. */
struct bad_args {
	char args[4][24];
	int nargs;
	char why[80];
};

ParameterizedTestParameters(hexdump_server, bad_command_lines_exit_2)
{
	static struct bad_args cases[] = {
		{ { { 0 } }, 0, "no port" },
		{ { "127.0.0.1", "0", "extra" }, 3, "an extra argument" },
		{ { "65536" }, 1, "port 65536" },
		{ { "http" }, 1, "a service name for the port" },
		{ { "80x" }, 1, "port 80x" },
		{ { "-n" }, 1, "-n without a count" },
		{ { "-n", "0", "0" }, 3, "-n 0" },
		{ { "-n", "-3", "0" }, 3, "-n -3" },
		{ { "-n", "three", "0" }, 3, "-n three" },
		{ { "-n", "2147483648", "0" }, 3, "-n 2147483648" },
		{ { "-v", "0" }, 2, "an unknown option -v" },
		{ { "127.0.0.1", "-1" }, 2, "port -1 (after the host)" },
		{ { "-n", "3x", "0" }, 3, "-n 3x" },
		{ { "-n", "", "0" }, 3, "-n \"\" (an empty count)" },
		{ { "0", "-n", "3" }, 3, "-n 3 after the port (options come "
		    "first: three operands)" },
	};

	return cr_make_param_array(struct bad_args, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_args *c, hexdump_server, bad_command_lines_exit_2)
{
	char *argv[6];

	argv[0] = (char *)h_lab_program();
	for (int i = 0; i < c->nargs; i++)
		argv[i + 1] = c->args[i];
	argv[c->nargs + 1] = NULL;
	h_expect_usage(argv, USAGE, c->why);
}

Test(hexdump_server, an_unresolvable_host_exits_1)
{
	h_expect_unresolvable((char *[]){ (char *)h_lab_program(), "-n", "1",
	    H_BAD_HOST, "0", NULL }, true);
}

/*
 * Every write to /dev/full fails (ENOSPC), as on a full disk.  sh makes
 * the redirection, so this test never runs the server under valgrind.
 */
Test(hexdump_server, a_failed_write_to_stdout_exits_1)
{
	uint16_t port = h_free_port("127.0.0.1");
	char arg[8];
	struct h_proc *p;
	long deadline = h_now_ms() + h_ms(5000);
	int fd = h_udp_open("127.0.0.1");
	int status;

	snprintf(arg, sizeof(arg), "%u", (unsigned)port);
	p = h_spawn((char *[]){ "sh", "-c", "exec \"$0\" \"$@\" >/dev/full",
	    (char *)h_lab_program(), "-n", "1", "127.0.0.1", arg, NULL },
	    &(struct h_opts){ .wrap = false });
	/* No first line comes to say it is ready: send until it is done. */
	do {
		h_udp_send(fd, "127.0.0.1", port, "x", 1);
		status = h_wait(p, 20);
	} while (status == -1 && h_now_ms() < deadline);
	cr_assert(status != -1, "with -n 1 and datagrams sent to its port "
	    "for %ld ms, the server did not exit", h_ms(5000));
	cr_assert(strstr(h_stderr(p), "Address already in use") == NULL,
	    "test setup: port %u, free a moment before, was taken when the "
	    "server started; run the test again", port);
	cr_assert_eq(status, 1, "with its standard output on /dev/full, "
	    "where every write fails, the server printed nothing it was asked "
	    "to: it should exit 1, not %d. Line buffering writes each line "
	    "as it is printed and a failed write only sets the stream's error "
	    "flag: check ferror(stdout) (after fflush) before exiting",
	    status);
	cr_assert_neq(h_stderr(p)[0], '\0', "exit 1 should come with a "
	    "message on stderr");
}

/*
 * LAB.md: the server stops within a second of SIGTERM even while
 * datagrams keep arriving.  A server that waits only in pselect() never
 * sees the signal while a flood lasts (lesson 06 says why).
 */
Test(hexdump_server, sigterm_during_a_flood_ends_it_within_a_second)
{
	h_expect_flood_stop((char *[]){ (char *)h_lab_program(), "127.0.0.1",
	    "0", NULL });
}

/* ---------------------------------------------------------------------- */
/* Sizes at and past the buffers a student might choose. */
Test(hexdump_server, dumps_datagrams_at_and_past_1_and_4_kib_whole)
{
	static const size_t sizes[] = { 1024, 1025, 4096, 4097, 8193 };
	static unsigned char data[8193];
	struct lab l;

	fill(data, sizeof(data));
	start(&l, NULL, "::1", "::1", "::1");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char label[96];

		snprintf(label, sizeof(label), "a datagram of %zu bytes (a "
		    "1 KiB or 4 KiB buffer would cut it)", sizes[i]);
		check_dump(&l, data, sizes[i], label);
	}
	check_dump_ends(&l, "five datagrams of 1024 to 8193 bytes",
	    "hexdump -C prints nothing after the final offset line");
	h_expect_clean_stop(l.srv, SIGTERM);
}

/* ---------------------------------------------------------------------- */
/* Who sent it: an address and a port. */

/* A datagram from fd, which the server shows as shown_as, to l's server. */
static void
check_dump_shown(const struct lab *l, int fd, const char *shown_as,
    const void *data, size_t len, int number)
{
	struct lab from = *l;
	char label[128];

	from.fd = fd;
	from.shown_as = shown_as;
	snprintf(label, sizeof(label), "datagram %d (%zu bytes from %s port "
	    "%u)", number, len, shown_as, h_udp_port(fd));
	check_dump(&from, data, len, label);
}

Test(hexdump_server, n_counts_two_addresses_on_one_port_as_two_senders)
{
	struct lab l;
	uint16_t port;
	int other;
	char why[256];

	start(&l, "3", "127.0.0.1", "127.0.0.1", "127.0.0.1");
	port = h_udp_port(l.fd);
	/* All of 127/8 is loopback: the same port on another address. */
	other = h_udp_open_port("127.0.0.2", port);
	check_dump_shown(&l, l.fd, "127.0.0.1", "first", 5, 1);
	check_dump_shown(&l, other, "127.0.0.2", "second", 6, 2);
	check_dump_shown(&l, l.fd, "127.0.0.1", "third", 5, 3);
	snprintf(why, sizeof(why), "127.0.0.1 port %u and 127.0.0.2 port %u "
	    "sent the 3 datagrams: the same port on two addresses is two "
	    "senders (a sender is an address and a port)", port, port);
	check_totals_lines(&l, 3, 16, "senders: 2", why,
	    "the dump of the third datagram of -n 3");
	check_exit_after_totals(&l);
}

/*
 * In a namespace of our own, two links (veth pairs) carry the same
 * link-local address fe80::1: one sender on each, on the same port.
 */
Test(hexdump_server, on_two_links_in_a_namespace)
{
	h_rerun_in_netns("hexdump_server::on_two_links_in_a_namespace",
	    H_TWO_LINKS, "hexdump_server_links_netns/*");
}

TestSuite(hexdump_server_links_netns, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

Test(hexdump_server_links_netns, the_same_address_on_two_links_is_two_senders)
{
	struct lab l;
	uint16_t port;
	int w0;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that "
		    "hexdump_server::on_two_links_in_a_namespace makes");
	l.srv = h_server_args(h_lab_program(), (const char *[]){ "-n", "3",
	    NULL }, NULL, &l.port);
	l.host = "fe80::1%v0";
	l.shown_as = "fe80::1%v0";
	l.fd = h_udp_open("fe80::1%v0");
	port = h_udp_port(l.fd);
	w0 = h_udp_open_port("fe80::1%w0", port);
	check_dump_shown(&l, l.fd, "fe80::1%v0", "on v0", 5, 1);
	l.host = "fe80::1%w0";
	check_dump_shown(&l, w0, "fe80::1%w0", "on w0", 5, 2);
	check_dump_shown(&l, w0, "fe80::1%w0", "w0 again", 8, 3);
	check_totals_lines(&l, 3, 18, "senders: 2", "fe80::1%v0 and "
	    "fe80::1%w0, the same address and port on two links, sent the 3 "
	    "datagrams: they are two hosts, and two senders; compare the "
	    "addresses with their scope (the sin6_scope_id, or the strings "
	    "net_addrstr prints)", "the dump of the third datagram of -n 3");
	check_exit_after_totals(&l);
}

Test(hexdump_server_links_netns, binds_port_65535)
{
	struct lab l;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that "
		    "hexdump_server::on_two_links_in_a_namespace makes");
	/* A namespace of our own: no one else has the port. */
	l.srv = h_server_cmd((char *[]){ (char *)h_lab_program(), "127.0.0.1",
	    "65535", NULL }, true, &l.port);
	cr_assert_eq(l.port, 65535, "started with port 65535, the largest, "
	    "the server should bind it; its first line ends \"port %u\"",
	    l.port);
	l.host = "127.0.0.1";
	l.shown_as = "127.0.0.1";
	l.fd = h_udp_open("127.0.0.1");
	check_dump(&l, "to 65535", 8, "\"to 65535\"");
	h_expect_clean_stop(l.srv, SIGTERM);
}

/* ---------------------------------------------------------------------- */
/* Without a host, with IPV6_V6ONLY on by default (bindv6only=1). */
Test(hexdump_server, without_host_takes_ipv4_even_with_bindv6only)
{
	h_rerun_in_netns("hexdump_server::without_host_takes_ipv4_even_with_"
	    "bindv6only", "echo 1 > /proc/sys/net/ipv6/bindv6only",
	    "hexdump_server_v6only_netns/*");
}

TestSuite(hexdump_server_v6only_netns, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

Test(hexdump_server_v6only_netns, ipv4_senders_show_as_mapped)
{
	struct lab l;
	int v6;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that hexdump_"
		    "server::without_host_takes_ipv4_even_with_bindv6only "
		    "makes");
	check_first_line(NULL, "::");
	start(&l, "3", NULL, "::1", "::1");
	v6 = l.fd;
	check_dump_from(&l, v6, "::1", "::1", "v6", 2, 1);
	l.fd = h_udp_open("127.0.0.1");
	l.host = "127.0.0.1";
	l.shown_as = "::ffff:127.0.0.1";
	h_udp_send(l.fd, "127.0.0.1", l.port, "v4", 2);
	{
		const char *line = h_line(l.srv, h_ms(2000));
		char want[96];

		header_for(&l, 2, want, sizeof(want));
		cr_assert(line != NULL, "with net.ipv6.bindv6only=1 a server "
		    "without a host got nothing from 127.0.0.1 within %ld ms: "
		    "its :: socket takes IPv6 only, because IPV6_V6ONLY is on "
		    "by default here; turn it off with setsockopt() before "
		    "bind() (net_server_socket does), don't count on the "
		    "system's default", h_ms(2000));
		cr_assert_str_eq(line, want, "with net.ipv6.bindv6only=1, a "
		    "datagram from 127.0.0.1: the header should be \"%s\", "
		    "got \"%s\"", want, line);
		line = h_line(l.srv, h_ms(2000));
		cr_assert(line != NULL && strcmp(line, "00000000  76 34"
		    "                                             |v4|") == 0,
		    "the dump of \"v4\" from 127.0.0.1: got \"%.200s\"",
		    line ? line : "(nothing)");
		line = h_line(l.srv, h_ms(2000));
		cr_assert(line != NULL && strcmp(line, "00000002") == 0,
		    "the dump of \"v4\" from 127.0.0.1 ends \"00000002\", "
		    "got \"%.200s\"", line ? line : "(nothing)");
	}
	check_dump_shown(&l, l.fd, "::ffff:127.0.0.1", "end", 3, 3);
	check_totals_lines(&l, 3, 7, "senders: 2", "one IPv6 and one IPv4 "
	    "socket sent the datagrams", "the dump of the third datagram");
	check_exit_after_totals(&l);
}

/* ---------------------------------------------------------------------- */
/* Totals past what 32 bits hold. */

/*
 * 65570 datagrams of 65507 zero bytes: 4295293990 bytes, past 2^32, so a
 * total in an int or an unsigned (or an uint32_t) shows.  Zeros, so that
 * each dump is 3 lines.  One datagram in flight at a time: the socket
 * holds few of this size, and a lost one would stall the test.
 */
Test(hexdump_server, n_totals_bytes_past_4_gib)
{
	static unsigned char zeros[NET_MAX_UDP4];
	const long count = 65570;
	char arg[16];
	char want[96];
	char *text;
	char **dump;
	size_t ndump;
	struct lab l;

	if (h_valgrind())
		h_skip("hexdump_server::n_totals_bytes_past_4_gib", "it sends "
		    "4 GiB, too many for a program under valgrind");
	snprintf(arg, sizeof(arg), "%ld", count);
	start(&l, arg, "127.0.0.1", "127.0.0.1", "127.0.0.1");
	text = hexdump_c(zeros, sizeof(zeros));
	ndump = split_lines(text, &dump);
	header_for(&l, sizeof(zeros), want, sizeof(want));
	h_udp_send(l.fd, l.host, l.port, zeros, sizeof(zeros));
	for (long i = 0; i < count; i++) {
		const char *line = h_line(l.srv, h_ms(3000));

		cr_assert(line != NULL && strcmp(line, want) == 0, "-n %ld, "
		    "datagram %ld of 65507 zero bytes: expected the header "
		    "\"%s\", got \"%.200s\"; %s", count, i + 1, want,
		    line ? line : "(nothing)", h_ending(l.srv));
		/* The next one may come now: this one has been read. */
		if (i + 1 < count)
			h_udp_send(l.fd, l.host, l.port, zeros, sizeof(zeros));
		for (size_t k = 0; k < ndump; k++) {
			line = h_line(l.srv, h_ms(3000));
			cr_assert(line != NULL && strcmp(line, dump[k]) == 0,
			    "datagram %ld of 65507 zero bytes, line %zu of "
			    "its dump: expected \"%s\", got \"%.200s\"", i + 1,
			    k + 1, dump[k], line ? line : "(nothing)");
		}
	}
	free(dump);
	free(text);
	check_totals_lines(&l, count, count * NET_MAX_UDP4, "senders: 1",
	    "one socket sent them all", "65570 datagrams of 65507 bytes "
	    "(4295293990 bytes in all, more than 2^32: an int or a 32-bit "
	    "unsigned total wraps; use long long, or size_t)");
	check_exit_after_totals(&l);
}

/* ---------------------------------------------------------------------- */
/* Cost: an idle server sleeps. */
Test(hexdump_server, sleeps_while_no_datagram_comes)
{
	struct lab l;
	long cpu0;
	long t0;
	const char *line;

	start(&l, "2", "127.0.0.1", "127.0.0.1", "127.0.0.1");
	cpu0 = h_cpu_ms(l.srv);
	t0 = h_now_ms();
	/* 2.5 s with nothing sent: a wait with a deadline, not a sleep. */
	line = h_line(l.srv, 2500);
	cr_assert(line == NULL, "with nothing sent the server printed "
	    "\"%.200s\"", line);
	h_expect_sleeping(l.srv, cpu0, t0, "waiting 2500 ms for a datagram "
	    "that did not come");
	check_dump_from(&l, l.fd, "127.0.0.1", "127.0.0.1", "awake", 5, 1);
	check_dump_from(&l, l.fd, "127.0.0.1", "127.0.0.1", "", 0, 2);
	check_totals_lines(&l, 2, 5, "senders: 1", "one socket sent both",
	    "the dump of the second datagram of -n 2");
	check_exit_after_totals(&l);
}

/* ---------------------------------------------------------------------- */
/* Exit statuses, also when two things go wrong at once. */
Test(hexdump_server, a_port_in_use_exits_1_naming_bind)
{
	int taken = h_udp_open("127.0.0.1");
	const char *name;
	char want[160];
	char arg[8];
	struct h_proc *p;
	int status;

	snprintf(arg, sizeof(arg), "%u", (unsigned)h_udp_port(taken));
	p = h_spawn((char *[]){ (char *)h_lab_program(), "-n", "1",
	    "127.0.0.1", arg, NULL }, &(struct h_opts){ .wrap = true });
	status = h_wait(p, h_ms(5000));
	cr_assert_eq(status, 1, "started on 127.0.0.1 port %s, which a "
	    "socket of the test's holds, bind() fails: the server should "
	    "exit 1 (a failed system call); %s", arg, h_ending(p));
	/* err(3) names the program by the last part of argv[0]. */
	name = strrchr(h_lab_program(), '/');
	name = name ? name + 1 : h_lab_program();
	snprintf(want, sizeof(want), "%s: bind: Address already in use\n",
	    name);
	cr_assert_str_eq(h_stderr(p), want, "bind() failing should give the "
	    "one line \"%s: bind: Address already in use\" (err(1, "
	    "\"bind\"), or errx with net_server_socket's why); stderr was: "
	    "%.300s", name, h_stderr(p));
	cr_assert_str_eq(h_stdout(p), "", "a server that could not bind "
	    "should print nothing on stdout; it printed: %.300s", h_stdout(p));
	close(taken);
}

/*
 * Two failures at once: a usage error and a host that does not resolve.
 * The command line is checked first: exit 2.
 */
Test(hexdump_server, a_usage_error_comes_before_an_unresolvable_host)
{
	h_expect_usage((char *[]){ (char *)h_lab_program(), "-n", "0",
	    H_BAD_HOST, "0", NULL }, USAGE, "-n 0 and the host " H_BAD_HOST
	    ", which does not resolve (the command line is checked first)");
	h_expect_usage((char *[]){ (char *)h_lab_program(), "-n", "x",
	    H_BAD_HOST, "65536", NULL }, USAGE, "-n x, the port 65536 and "
	    "the host " H_BAD_HOST);
	h_expect_usage((char *[]){ (char *)h_lab_program(), H_BAD_HOST,
	    "99999", NULL }, USAGE, "the port 99999 and the host "
	    H_BAD_HOST);
}

/*
 * Whether pid has taken charge of sig: catches it (SigCgt in
 * /proc/PID/status) or blocks it, to take it with sigwait or a signalfd
 * (SigBlk).
 */
static bool
catches(pid_t pid, int sig)
{
	char path[64];
	char line[256];
	unsigned long long mask;
	unsigned long long both = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "SigCgt: %llx", &mask) == 1 ||
		    sscanf(line, "SigBlk: %llx", &mask) == 1)
			both |= mask;
	fclose(f);
	return (both >> (sig - 1) & 1) != 0;
}

/* Whether a socket of the test's could bind 127.0.0.1 port now. */
static bool
port_is_free(uint16_t port)
{
	struct sockaddr_in sin = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int ok;

	cr_assert(fd != -1, "socket: %s", strerror(errno));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return ok == 0;
}

/*
 * Two failures at once: its output is lost (stdout on /dev/full), then
 * SIGTERM stops it.  Exit 0 would say all went well: it must be 1.
 */
Test(hexdump_server, a_failed_write_then_a_signal_exits_1)
{
	uint16_t port = h_free_port("127.0.0.1");
	long deadline = h_now_ms() + h_ms(5000);
	char arg[8];
	struct h_proc *p;
	bool ready;
	int status;

	snprintf(arg, sizeof(arg), "%u", (unsigned)port);
	p = h_spawn((char *[]){ "sh", "-c", "exec \"$0\" \"$@\" >/dev/full",
	    (char *)h_lab_program(), "-n", "5", "127.0.0.1", arg, NULL },
	    &(struct h_opts){ .wrap = false });
	/* No first line to read: it is ready once it catches SIGTERM and
	 * holds its port. */
	do {
		ready = catches(h_pid(p), SIGTERM) && !port_is_free(port);
		status = ready ? -1 : h_wait(p, 20);
	} while (!ready && status == -1 && h_now_ms() < deadline);
	cr_assert(ready, "with its stdout on /dev/full the server should "
	    "catch SIGTERM and bind 127.0.0.1 port %s, and wait; %s", arg,
	    h_ending(p));
	status = h_stop(p, SIGTERM);
	cr_assert_eq(status, 1, "with its standard output on /dev/full, then "
	    "SIGTERM: none of its lines was written, so it should exit 1, not "
	    "%d. A signal is no reason to skip the check: test "
	    "ferror(stdout) (after fflush) on the way out that a signal takes "
	    "too; %s", status, h_ending(p));
	cr_assert_neq(h_stderr(p)[0], '\0', "exit 1 should come with a "
	    "message on stderr");
}
