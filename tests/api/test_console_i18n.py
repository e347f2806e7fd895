"""The console's catalogue: every string the console can show has its English (contract §9.7)."""
import glob
import os
import subprocess
import tempfile

from harness import check, eq, main, test

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PO = os.path.join(ROOT, "assets", "po", "en.po")


def sources():
    return sorted(glob.glob(os.path.join(ROOT, "tui", "*.c")) + glob.glob(os.path.join(ROOT, "screens", "*.c")) +
                  [os.path.join(ROOT, "net", "client.c"), os.path.join(ROOT, "net", "credstore.c")])


@test
def every_marked_string_is_translated():
    with tempfile.TemporaryDirectory() as d:
        pot = os.path.join(d, "guichet.pot")
        p = subprocess.run(["xgettext", "--from-code=UTF-8", "-k_", "-kN_", "-o", pot, *sources()], capture_output=True)
        eq(p.returncode, 0, p.stderr.decode())
        p = subprocess.run(["msgcmp", PO, pot], capture_output=True)
        eq(p.returncode, 0, "strings without English (msgmerge -U assets/po/en.po guichet.pot):\n" + p.stderr.decode())
    p = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, PO], capture_output=True)
    eq(p.returncode, 0, p.stderr.decode())
    stats = p.stderr.decode()
    check("untranslated" not in stats and "fuzzy" not in stats, stats)


@test
def translations_keep_their_printf_conversions():
    """msgfmt --check compares the conversions of c-format strings; the French and the English take the same arguments."""
    text = open(PO, encoding="utf-8").read()
    check(text.count("#, c-format") >= 30, "xgettext's c-format flags are kept")


if __name__ == "__main__":
    main()
