#!/usr/bin/env python3
"""handouts.py - check the handouts that "make handouts" built.

    usage: python3 tests/handouts.py HANDOUTS LESSON.c...

For every lesson (its program given in order, lessons/NN-name/prog.c):
  - its page, HANDOUTS/NN-name.html, holds every line of the program's code,
    in order, and every word of its comments;
  - the run on the page is the run the build captured, and shows what the
    program really prints;
  - the datagrams on the wire carry the ports of that run; a missing capture
    fails where this system allows the namespace the capture needs;
  - its PDF is a PDF whose text holds the program's name and its code;
and the index links every lesson, in order.  Prints one line per failure,
then "check-handouts: N pages, N failures"; exits 1 on any failure.
"""
import html.parser
import os
import re
import shutil
import subprocess
import sys

# What each lesson's run must show: words its programs print, not ours.
RUN_SHOWS = {
    "01": [("server", 'sent 11 bytes: "Hello World"'),
           ("server", 'sent 7 bytes: "caf\\xc3\\xa9\\x00\\n"')],
    "02": [("client", "Get off my lawn!")],
    "03": [("client", "Get off my lawn!")],
    "04": [("server", 'received 20 bytes from ::ffff:127.0.0.1 port'),
           ("client", 'received "This is the message."')],
    "05": [("client", 'received "This is the message."'),
           ("client", "no reply within 500 ms")],
    "06": [("server", "^C\nechoed 2 datagrams, 23 bytes\n$ echo $?\n0\n")],
}

failures = []


def fail(page, what):
    failures.append(f"check-handouts: {page}: {what}")


class Page(html.parser.HTMLParser):
    """The parts of a handout the checks read, by the classes on them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # (tag, classes) of the open elements
        self.text = []           # all text
        self.code = []           # text of the program's code blocks
        self.transcripts = []    # each transcript block's text
        self.wire = []           # text of the wire tables
        self.links = []
        self.prose = []          # (kind, text) in page order: "prose" for
        self._pre = None         # a comment's words, "code" for a block

    def _inside(self, cls):
        return any(cls in c for _, c in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("br", "img", "meta", "link", "input", "hr", "col"):
            return
        self.stack.append((tag, classes))
        # A code block is a <pre>, its classes the block's ("c" for the
        # program's code, "transcript" for a run's).
        if tag == "pre":
            kind = ("c" if "c" in classes else
                    "transcript" if "transcript" in classes else None)
            self._pre = [kind, []]

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == "pre" and self._pre is not None:
                kind, parts = self._pre
                if kind == "c":
                    self.code.append("".join(parts))
                    self.prose.append(("code", "".join(parts)))
                elif kind == "transcript":
                    self.transcripts.append("".join(parts))
                self._pre = None
            if t == tag:
                break

    def handle_data(self, data):
        if any(t in ("style", "script", "title") for t, _ in self.stack):
            return
        self.text.append(data)
        if self._pre is not None:
            self._pre[1].append(data)
        # The program's comments: the title, the subtitle, and the prose
        # of each step (a usage line in it is a <pre>, but not code).
        if (self._inside("title") or self._inside("subtitle") or
                self._inside("prose")) and not (
                self._pre is not None and self._pre[0] == "c"):
            self.prose.append(("prose", data))
        if self._inside("wire"):
            self.wire.append(data)


def strip_comments(c_text):
    """The code without its comments and blank lines, as cc sees it."""
    out = subprocess.run(["gcc", "-fpreprocessed", "-dD", "-E", "-P", "-"],
                         input=c_text, capture_output=True, text=True,
                         check=True).stdout
    return [" ".join(l.split()) for l in out.splitlines() if l.strip()]


TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|'
                   r'/\*.*?\*/|//[^\n]*', re.S)


def comment_words(c_text):
    words = []
    for m in TOKEN.finditer(c_text):
        if m.group().startswith("/"):
            words += re.findall(r"\w+", m.group())
    return words


def page_comment_words(p):
    """The page's comment words in order: prose, and a code block's own."""
    words = []
    for kind, text in p.prose:
        words += comment_words(text) if kind == "code" else \
            re.findall(r"\w+", text)
    return words


def check_lesson(handouts, src):
    name = os.path.basename(os.path.dirname(src))
    nn = name.split("-")[0]
    page = f"{name}.html"
    path = os.path.join(handouts, page)
    if not os.path.exists(path):
        fail(page, "no such page: make handouts did not make it")
        return
    with open(src, encoding="utf-8") as f:
        c_text = f.read()
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())

    # Every line of code, in order: the page's code blocks, their comments
    # taken out as the compiler would, are the program's code.
    want = strip_comments(c_text)
    got = strip_comments("\n".join(p.code) + "\n")
    if got != want:
        for i, (w, g) in enumerate(zip(want + [""] * len(got),
                                       got + [""] * len(want))):
            if w != g:
                fail(page, f"code line {i + 1} of {src} (comments left "
                     f"out) is {w!r}, the page's is {g!r}")
                break

    # Every word of every comment, in the program's order: the prose, and
    # the comments that end lines of code.
    need = comment_words(c_text)
    have = page_comment_words(p)
    if have != need:
        for i, (w, g) in enumerate(zip(need + [""] * len(have),
                                       have + [""] * len(need))):
            if w != g:
                fail(page, f"comment word {i + 1} of {src} is {w!r}, the "
                     f"page's is {g!r}: near "
                     f"{' '.join(need[max(0, i - 6):i + 1])!r}")
                break

    # The run: the captured one, and the programs' own words in it.
    run = os.path.join(handouts, "run", name)
    sides = {}
    for side in ("server", "client"):
        with open(os.path.join(run, f"{side}.txt"), encoding="utf-8") as f:
            sides[side] = f.read()
        if not any(t.strip() == sides[side].strip() for t in p.transcripts):
            fail(page, f"the {side}'s transcript on the page is not "
                 f"{run}/{side}.txt")
    for side, words in RUN_SHOWS.get(nn, []):
        if words not in sides[side]:
            fail(page, f"the {side}'s run does not show {words!r}:\n"
                 f"{sides[side]}")
    if nn not in RUN_SHOWS:
        fail(page, "tests/handouts.py does not say what this lesson's run "
             "must show (RUN_SHOWS)")

    # The wire: every port of the run, in the capture's tables.
    ports = set(re.findall(r"port (\d+)", sides["server"] + sides["client"]))
    with open(os.path.join(run, "wire.txt"), encoding="utf-8") as f:
        wire = f.read()
    if wire.startswith("missing: "):
        if shutil.which("tcpdump", path=os.environ.get("PATH", "") +
                        ":/usr/sbin:/sbin") is None:
            fail(page, f"the capture is missing ({wire.strip()}): install "
                 "tcpdump (sh scripts/install-deps handouts)")
        elif namespace_allowed():
            fail(page, f"the capture is missing ({wire.strip()}), and this "
                 "system allows the namespace it needs: remove "
                 f"{run} and make handouts again")
        else:
            print(f"check-handouts: {page}: no capture here: "
                  f"{wire.strip()}")
    else:
        cells = set(re.findall(r"\d+", " ".join(p.wire)))
        if not ports:
            fail(page, "the run shows no port at all")
        for port in sorted(ports - cells):
            fail(page, f"port {port} of the run is in no wire table")

    # The PDF: a real one, with the program in it.
    pdf = os.path.join(handouts, f"{name}.pdf")
    try:
        text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f"{name}.pdf", f"pdftotext cannot read it: {e}")
    else:
        # Every word of the code, in order, wherever paper wrapped it.
        words = iter(re.findall(r"\w+", text))
        code = re.findall(r"\w+", " ".join(want))
        missing = next((w for w in code if w not in words), None)
        if missing is not None:
            fail(f"{name}.pdf", f"its text lacks the code's {missing!r} "
                 "where the program has it, or anything after")


def namespace_allowed():
    uid = os.getuid() or 65534
    r = subprocess.run(["unshare", "-n", "--user", f"--map-user={uid}",
                        f"--map-group={uid}", "--keep-caps", "true"],
                       capture_output=True)
    return r.returncode == 0


def check_index(handouts, srcs):
    p = Page()
    with open(os.path.join(handouts, "index.html"), encoding="utf-8") as f:
        p.feed(f.read())
    names = [os.path.basename(os.path.dirname(s)) for s in srcs]
    linked = [l[:-5] for l in p.links if l.endswith(".html")]
    if linked != names:
        fail("index.html", f"links {linked}, not the lessons in order "
             f"{names}")


def main():
    if len(sys.argv) < 3:
        print("usage: handouts.py HANDOUTS LESSON.c...", file=sys.stderr)
        return 2
    handouts, srcs = sys.argv[1], sys.argv[2:]
    for src in srcs:
        check_lesson(handouts, src)
    check_index(handouts, srcs)
    for line in failures:
        print(line)
    print(f"check-handouts: {len(srcs) + 1} pages, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
