// libFuzzer's driver (libclang_rt.fuzzer, linked by -sanitize=fuzzer). Each
// harness's main calls it: SwiftPM links an executable target's main under
// another name, so libFuzzer's own main would never run.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
