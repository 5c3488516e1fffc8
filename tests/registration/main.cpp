// The main of the library-registration tests: scenarios come only from what is linked in.
#include <pacer/main.hpp>

PACER_MAIN();
