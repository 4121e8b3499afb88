#!/usr/bin/env bash
# `khsweep report`'s page opened in a real browser (Debian's headless chromium): it renders (the
# screenshot is not blank: many colours, the plot's among them), the console has no errors, and
# the rendered DOM holds every section and the inlined SVG.
# Usage: report_browser.sh KHSWEEP STORE.h5   (skipped, exit 77, without chromium)
set -uo pipefail
khsweep=$1
store=$2
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "report_browser: SKIPPED: chromium is not installed (apt-get install chromium)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/khsweep-report-browser.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "report_browser: FAIL: $*"; exit 1; }

"$khsweep" report "$store" --out "$work/report.html" || fail "khsweep report exited $?"
# Headless, as root in a container: no sandbox, no GPU, a profile of its own in the scratch folder.
flags=(--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile"
       --enable-logging=stderr --v=0 --window-size=1200,1600)
timeout 120 "$browser" "${flags[@]}" --screenshot="$work/shot.png" "file://$work/report.html" > "$work/shot.log" 2>&1 ||
  { cat "$work/shot.log"; fail "chromium --screenshot exited $?"; }
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$work/report.html" > "$work/dom.html" 2> "$work/dom.log" ||
  { cat "$work/dom.log"; fail "chromium --dump-dom exited $?"; }

# Console messages of the page are logged as CONSOLE(...) lines; any error of the page fails.
if grep -E 'CONSOLE|Uncaught|Failed to load' "$work/shot.log" "$work/dom.log"; then
  fail "the page logged to the console (above)"
fi
for section in runs jobs configurations best curves problems; do
  grep -q "id=\"$section\"" "$work/dom.html" || fail "the rendered page has no section '$section'"
done
if command -v gnuplot > /dev/null; then
  grep -q "<svg" "$work/dom.html" || fail "the rendered page has no inlined SVG plot"
fi

# Not blank: count the screenshot's distinct colours (a PNG decoded with the standard library).
colours=$(/usr/bin/python3 - "$work/shot.png" << 'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height, kind = 8, b"", 0, 0, 0
while pos < len(data):
    length, tag = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if tag == b"IHDR":
        width, height, depth, kind = struct.unpack(">IIBB", body[:10])
    elif tag == b"IDAT":
        idat += body
    pos += 12 + length
channels = {2: 3, 6: 4}[kind]
raw, stride, prev, seen = zlib.decompress(idat), width * channels, bytearray(width * channels), set()
for y in range(height):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b, c = prev[i], prev[i - channels] if i >= channels else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, channels * 7):  # every 7th pixel is plenty
        seen.add(bytes(line[x:x + 3]))
    prev = line
print(len(seen))
PY
) || fail "cannot read the screenshot"
((colours >= 20)) || fail "the screenshot has $colours colours: blank or unstyled"
echo "report_browser: ok: chromium rendered every section, no console errors, $colours colours in the screenshot"
