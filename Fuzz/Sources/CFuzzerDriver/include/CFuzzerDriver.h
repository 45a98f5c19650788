// libFuzzer's driver entry point (compiler-rt FuzzerInterface.h), linked in by -sanitize=fuzzer: runs the fuzzing
// loop (or replays the files given) with `callback` as the harness and returns the process's exit status.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
