/* numfmt_locale.h (internal): the double formatter with its locale strategy
 * exposed, so tests can exercise the fallback used when no C locale object
 * could be created. Library code calls nlog__fmt_double() (numfmt.h).
 * Tested by: tests/unit/format/test_json_values.c */
#ifndef NLOG_FORMAT_NUMFMT_LOCALE_H
#define NLOG_FORMAT_NUMFMT_LOCALE_H

#include <stddef.h>

/* As nlog__fmt_double(). use_c_locale = 1: switch this thread to the shared
 * C locale object around the conversion (the normal path). 0: format in
 * the thread's current locale, then turn any ',' into '.' (the path taken
 * when newlocale() failed). */
size_t nlog__fmt_double_in(char *out, double v, int use_c_locale);

#endif /* NLOG_FORMAT_NUMFMT_LOCALE_H */
