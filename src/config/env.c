/* env.c: the one place the library reads the environment.
 *
 * Kept apart so that a checksrc rule can ban getenv everywhere else, and so
 * a later change (secure_getenv for set-uid programs, a test seam) touches
 * one function. getenv is not safe against a concurrent setenv(); the
 * library reads the environment only while resolving a configuration.
 * Tested by: tests/unit/config/test_config_env.c */
#include <stdlib.h>

#include "config/config_internal.h"

const char *nlog__config_getenv(const char *name)
{
    return getenv(name);
}
