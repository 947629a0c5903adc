// Gloo header of the same name: see declarations.h.
#include "declarations.h"
