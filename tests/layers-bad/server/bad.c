/* must be refused: server/ including a lib/ internal header */
#include "internal.h"
