/* The implementation alone, every public function kept: bench/stack/run reads its -fstack-usage. */
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
