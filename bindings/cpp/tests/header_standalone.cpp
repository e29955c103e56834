// Nothing but the binding's header: it must compile on its own (with -Wall -Wextra -Wpedantic
// -Werror), bringing every include it needs.
#include "teleplug.hpp"
