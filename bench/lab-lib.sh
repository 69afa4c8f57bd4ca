# What the lab benchmarks share: sourced by bench/lab-*.sh inside L1, after tests/lab/lib.sh.
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
fmt() { printf '%.2f' "$1"; }
die() {
  echo "bench: $*"
  exit 1
}
