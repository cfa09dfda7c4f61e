// jemalloc's settings for the binaries that link it (dpmon-server and the
// evaluation benchmark), read before main. Transparent huge pages for the
// heap: the block cache and memtables grow by gigabytes in a fresh process
// (the first evaluation of a large council), and each 4 KiB page's first
// touch was a page fault; with 2 MiB pages the first evaluation of 100,000
// accounts took about a tenth less time (docs/benchmarks.md). Where the
// kernel's THP setting is "never" this asks for nothing.
// Background threads give unused pages back to the kernel, instead of the
// threads that freed them: inline, each give-back (madvise) flushed the
// TLBs of every core and the pages were faulted in and zeroed again by the
// next allocations; an evaluation of 100,000 accounts in which nothing
// changed took 1.75-1.79 s instead of 2.37-2.78 s (docs/benchmarks.md).
// An operator overrides either with MALLOC_CONF (e.g. MALLOC_CONF=
// thp:default,background_thread:false), which jemalloc reads after this
// (docs/operations.md).
extern "C" {
// NOLINTNEXTLINE: the name jemalloc looks for.
const char* malloc_conf = "thp:always,background_thread:true";
}
