/* must be refused: common/ including a lib/ internal header */
#include "../lib/internal.h"
