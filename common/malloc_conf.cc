// jemalloc's settings for the binaries that link it (dpmon-server and the
// evaluation benchmark), read before main. Transparent huge pages for the
// heap: the block cache and memtables grow by gigabytes in a fresh process
// (the first evaluation of a large council), and each 4 KiB page's first
// touch was a page fault; with 2 MiB pages the first evaluation of 100,000
// accounts took about a tenth less time (docs/benchmarks.md). Where the
// kernel's THP setting is "never" this asks for nothing. An operator
// overrides it with MALLOC_CONF (e.g. MALLOC_CONF=thp:default), which
// jemalloc reads after this (docs/operations.md).
extern "C" {
// NOLINTNEXTLINE: the name jemalloc looks for.
const char* malloc_conf = "thp:always";
}
