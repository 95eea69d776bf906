#!/usr/bin/env bash
# The documentation's checks, run by ctest (label docs) and so by CI:
#  - man: every option `rpdns --help` prints has an entry in rpdns(8), every
#    command and option `rpdnsctl --help` prints one in rpdnsctl(8), and
#    neither page has an entry for an option its program lacks; every key
#    `rpdns --print-schema` prints has an entry in rpdns.yaml(5), and the
#    page's key reference is exactly what `scripts/man.sh --update` writes,
#    so a changed range, default or help text fails too;
#  - links: every relative link of README.md, ARCHITECTURE.md and doc/ leads
#    to a file that exists and, with a #fragment, to a heading of that file.
# An entry is a definition-list term: a line of the page's Markdown source
# that starts with "**" and names the option, command or key in bold.
# Usage: scripts/check-docs.sh [man|links]   (default: both)
# RPDNS and RPDNSCTL name the binaries (default build/rpdns, build/rpdnsctl).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
what=${1:-all}
export RPDNS=${RPDNS:-build/rpdns}
rpdnsctl=${RPDNSCTL:-build/rpdnsctl}
status=0

problem() {
  echo "check-docs: $*" >&2
  status=1
}

# PAGE: the words its terms set in bold ("**--config** *FILE*" gives --config).
terms() { grep -E '^\*\*' "$1" | grep -oE '\*\*[^*]+\*\*' | tr -d '*' | sort -u; }

# The flags a program's help (on stdin) lists at the start of its lines.
help_flags() { sed -nE 's/^  (--[a-z][a-z-]*).*/\1/p' | sort -u; }

# PAGE PROGRAM WANTED...: each wanted word has a term in PAGE.
expect_terms() {
  local page=$1 program=$2 word
  shift 2
  for word in "$@"; do
    grep -qxF -- "$word" <<<"$(terms "$page")" || problem "$page has no entry for '$word' ($program --help lists it)"
  done
}

# PAGE PROGRAM KNOWN...: each flag a term of PAGE names is known to the program.
expect_known_flags() {
  local page=$1 program=$2 flag
  shift 2
  for flag in $(terms "$page" | grep -E '^--' || true); do
    printf '%s\n' "$@" | grep -qxF -- "$flag" || problem "$page documents $flag, which $program --help does not list"
  done
}

check_rpdns() {
  local page=doc/man/rpdns.8.md flags
  flags=$("$RPDNS" --help | help_flags)
  [ -n "$flags" ] || { problem "$RPDNS --help lists no option"; return; }
  # shellcheck disable=SC2086  # one flag a word
  expect_terms "$page" rpdns $flags
  # shellcheck disable=SC2086
  expect_known_flags "$page" rpdns $flags -h -V
}

check_rpdnsctl() {
  local page=doc/man/rpdnsctl.8.md help commands flags
  help=$("$rpdnsctl" --help)
  commands=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | sed -nE 's/^  ([a-z][a-z-]*).*/\1/p' | sort -u)
  flags=$(sed -n '/^Options:/,/^$/p' <<<"$help" | help_flags)
  [ -n "$commands" ] && [ -n "$flags" ] || { problem "$rpdnsctl --help lists no command or no option"; return; }
  # shellcheck disable=SC2086
  expect_terms "$page" rpdnsctl $commands $flags
  # shellcheck disable=SC2086
  expect_known_flags "$page" rpdnsctl $flags
}

check_keys() {
  local page=doc/man/rpdns.yaml.5.md keys key expected actual
  keys=$("$RPDNS" --print-schema | tail -n +2 | cut -f1)
  [ -n "$keys" ] || { problem "$RPDNS --print-schema prints no key"; return; }
  actual=$(sed -n '/^<!-- BEGIN KEYS/,/^<!-- END KEYS -->/p' "$page" | sed '1d;$d')
  for key in $keys; do
    grep -qxF -- "**$key**" <<<"$actual" || problem "$page has no entry for the key $key (rpdns --print-schema lists it)"
  done
  expected=$(scripts/man.sh --keys)
  if [ "$expected" != "$actual" ]; then
    problem "$page: the key reference is not what rpdns --print-schema says; run scripts/man.sh --update:"
    diff <(echo "$actual") <(echo "$expected") | sed 's/^/  /' >&2 || true
  fi
}

# FILE: the GitHub anchors of its headings (lower case, spaces as hyphens,
# punctuation but - and _ dropped; a repeated one numbered), outside code.
anchors() {
  awk '/^```/ { fenced = !fenced; next }
       fenced || !/^#+ / { next }
       { h = tolower($0); sub(/^#+ +/, "", h); gsub(/[^a-z0-9 _\200-\377-]/, "", h); gsub(/ /, "-", h)
         n = seen[h]++; print (n ? h "-" n : h) }' "$1"
}

# FILE: the targets of its Markdown links, outside code blocks.
links() {
  awk '/^```/ { fenced = !fenced; next }
       !fenced { line = $0
                 while (match(line, /\]\([^) ]+\)/)) { print substr(line, RSTART + 2, RLENGTH - 3); line = substr(line, RSTART + RLENGTH) } }' "$1"
}

check_links() {
  local file link path fragment target
  for file in README.md ARCHITECTURE.md doc/*.md doc/man/*.md; do
    for link in $(links "$file"); do
      [[ $link =~ ^[a-z]+: ]] && continue  # https:, mailto:
      path=${link%%#*}
      fragment=
      [[ $link == *"#"* ]] && fragment=${link#*#}
      target=$file
      [ -z "$path" ] || target=$(dirname "$file")/$path
      if [ ! -e "$target" ]; then
        problem "$file links to $link: no file $target"
      elif [ -n "$fragment" ] && ! anchors "$target" | grep -qxF -- "$fragment"; then
        problem "$file links to $link: no heading of $target has the anchor #$fragment"
      fi
    done
  done
}

if [ "$what" = all ] || [ "$what" = man ]; then
  echo "== man pages (doc/man/) against --help and --print-schema" >&2
  check_rpdns
  check_rpdnsctl
  check_keys
fi
if [ "$what" = all ] || [ "$what" = links ]; then
  echo "== links of README.md, ARCHITECTURE.md and doc/" >&2
  check_links
fi
exit $status
