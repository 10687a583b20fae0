#!/usr/bin/env python3
# The explorer's map cells as tmux shows them (capture-pane -p -e), for
# the tests that look at colours and attributes.
#
#   cells.py screen < CAPTURE
#       prints "W H" (map cells across, rows down), then "ROW COL WHAT" for
#       each map cell that is highlighted (WHAT "mark": a yellow background,
#       226 in 256 colours or 43 in 8, or underlined without colours) or
#       the cursor (WHAT "cursor": reverse video).  The map is the body left of the side pane's rule,
#       from the line under the title down to the first line holding
#       anything but map glyphs or owner letters, or blanks before its
#       end (the legend).
#   cells.py expect CELL TOP W H < RANGES
#       RANGES is "START LENGTH" a line, bytes of the view's space; prints
#       "ROW COL" for each cell on screen (rows TOP.. TOP+H-1 of cells W
#       wide, CELL bytes each) that holds some of them.
# SPDX-License-Identifier: GPL-2.0-or-later
import re
import sys

SGR = re.compile(r'\x1b\[([0-9;]*)m')
GLYPHS = set('\u2588\u2593\u2592\u2591\u00b7\u259a\u2580\u2584?!#%+-.= ')


def parse_line(line, state):
    """The line's characters, each with (background, reverse)."""
    out = []
    pos = 0
    for m in SGR.finditer(line):
        for ch in line[pos:m.start()]:
            out.append((ch, state['bg'] or state['ul'], state['rev']))
        pos = m.end()
        params = [int(p) if p else 0 for p in m.group(1).split(';')]
        i = 0
        while i < len(params):
            p = params[i]
            if p == 0:
                state['bg'] = None
                state['rev'] = False
                state['ul'] = False
            elif p == 4:
                state['ul'] = True
            elif p == 24:
                state['ul'] = False
            elif p == 7:
                state['rev'] = True
            elif p == 27:
                state['rev'] = False
            elif p in (38, 48) and i + 2 < len(params) and params[i + 1] == 5:
                if p == 48:
                    state['bg'] = params[i + 2]
                i += 2
            elif p in (38, 48) and i + 4 < len(params) and params[i + 1] == 2:
                i += 4
            elif 40 <= p <= 47:
                state['bg'] = p
            elif p == 49:
                state['bg'] = None
            i += 1
    for ch in line[pos:]:
        out.append((ch, state['bg'] or state['ul'], state['rev']))
    return out


def screen():
    lines = sys.stdin.read().split('\n')
    state = {'bg': None, 'rev': False, 'ul': False}
    rows = [parse_line(l, state) for l in lines]
    if len(rows) < 3:
        sys.exit('cells.py: no screen')
    top = [c[0] for c in rows[1]]
    rule = next((i for i, ch in enumerate(top) if ch in '\u2502|'), None)
    if rule is None:
        sys.exit('cells.py: no side pane rule on the first body line')
    w = rule - 1
    body = []
    for r in rows[1:]:
        # glyphs, or owner letters without colours; blanks only past
        # the end of the view (the legend's words have blanks between)
        text = ''.join(c[0] for c in r[:w]).rstrip()
        if not text or ' ' in text or \
                any(ch not in GLYPHS and not ch.isalpha() for ch in text):
            break
        body.append(r)
    print(w, len(body))
    for y, r in enumerate(body):
        for x, (ch, bg, rev) in enumerate(r[:w]):
            if rev:
                print(y, x, 'cursor')
            elif bg in (226, 43, True):
                print(y, x, 'mark')


def expect(cell, top, w, h):
    seen = set()
    for line in sys.stdin:
        f = line.split()
        if len(f) < 2:
            continue
        start, length = int(f[0]), int(f[1])
        if length <= 0:
            continue
        first, last = start // cell, (start + length - 1) // cell
        for i in range(first, last + 1):
            row, col = divmod(i, w)
            if top <= row < top + h and (row, col) not in seen:
                seen.add((row, col))
                print(row - top, col)


if __name__ == '__main__':
    if len(sys.argv) >= 2 and sys.argv[1] == 'screen':
        screen()
    elif len(sys.argv) == 6 and sys.argv[1] == 'expect':
        expect(*(int(a) for a in sys.argv[2:]))
    else:
        sys.exit('usage: cells.py screen | expect CELL TOP W H')
