#!/usr/bin/env bash
# The man pages rpdns(8), rpdnsctl(8) and rpdns.yaml(5), each from one
# Markdown source in doc/man/, converted by pandoc (scripts/setup.sh
# installs it).
#
#   scripts/man.sh [DIR]     write the roff pages into DIR (default build/man),
#                            and fail if groff warns about any of them
#   scripts/man.sh --update  rewrite rpdns.yaml(5)'s key reference (between its
#                            BEGIN KEYS and END KEYS lines) from the output of
#                            `rpdns --print-schema`
#   scripts/man.sh --keys    print that key reference to stdout
#
# scripts/check-docs.sh fails when the key reference is not what --update
# would write. RPDNS names the binary (default build/rpdns).
# Read a page: man -l build/man/rpdns.yaml.5
set -euo pipefail
cd "$(dirname "$0")/.."
rpdns=${RPDNS:-build/rpdns}
yaml_page=doc/man/rpdns.yaml.5.md

# The key reference in Markdown: a definition list, one term per key, from
# the tab-separated lines of --print-schema (key, type, range, default,
# applies, flag, help), its header line skipped.
key_reference() {
  "$rpdns" --print-schema | awk -F'\t' '
    # Markdown that would be read as markup is escaped.
    function md(s) { gsub(/[][\\`*_<>]/, "\\\\&", s); return s }
    NR == 1 { next }
    {
      key = $1; type = $2; range = $3; fallback = $4; applies = $5; flag = $6; help = $7
      facts = "Type: " type
      if (range != "") facts = facts (type == "choice" ? ", one of " : ", ") md(range)
      facts = facts "."
      if (type != "section") {
        facts = facts " Default: " md(fallback) "."
        facts = facts (applies == "reload" ? " Takes effect on reload." : " Takes effect on restart only.")
      }
      if (flag != "") {
        split(flag, part, " ")
        facts = facts " Flag: **" part[1] "** *" md(part[2]) "*."
      }
      printf "**%s**\n:   %s.\n    %s\n\n", md(key), md(help), facts
    }'
}

# The page with its key reference replaced by the one on stdin.
with_keys() {
  awk -v keys_file="$1" '
    /^<!-- BEGIN KEYS/ { print; while ((getline line < keys_file) > 0) print line; skipping = 1; next }
    /^<!-- END KEYS -->/ { skipping = 0 }
    !skipping { print }' "$yaml_page"
}

case "${1:-}" in
  --keys)
    key_reference
    ;;
  --update)
    keys=$(mktemp)
    trap 'rm -f "$keys" "$keys.page"' EXIT
    key_reference >"$keys"
    [ -s "$keys" ] || { echo "man: $rpdns --print-schema printed no key" >&2; exit 1; }
    grep -q '^<!-- END KEYS -->' "$yaml_page" || { echo "man: $yaml_page has no END KEYS line" >&2; exit 1; }
    with_keys "$keys" >"$keys.page"
    cat "$keys.page" >"$yaml_page"
    echo "man: $yaml_page: $(grep -c '^\*\*' "$keys") keys" >&2
    ;;
  -*)
    sed -n '2,/^set /p' "$0" | sed '$d' >&2
    exit 2
    ;;
  *)
    out=${1:-build/man}
    mkdir -p "$out"
    command -v pandoc >/dev/null || { echo "man: pandoc is missing (scripts/setup.sh installs it)" >&2; exit 1; }
    version=$(sed -nE 's/^project\(rpdns VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
    status=0
    for source in doc/man/*.md; do
      page=$out/$(basename "$source" .md)
      # The date of the source's last commit, so the same tree makes the same page.
      date=$(git log -1 --format=%cs -- "$source" 2>/dev/null || true)
      pandoc --standalone --from markdown-smart --to man -M footer="rpdns $version" ${date:+-M date="$date"} \
        -o "$page" "$source"
      warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
      if [ -n "$warnings" ]; then
        echo "man: groff warns about $page:" >&2
        echo "$warnings" >&2
        status=1
      fi
      echo "man: $page" >&2
    done
    exit $status
    ;;
esac
