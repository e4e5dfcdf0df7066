/* mask.h: deciding what is sensitive (never installed).
 *
 * Two questions, asked wherever records are encoded and by the detectors:
 *   - is this field key one whose value must not be written as it is
 *     (mask_fields: "***"; encrypt_fields: encrypted)? Keys are compared
 *     case-insensitively by components: `password` matches "password",
 *     "db_password", "userPassword" and "X-Password-Hint", because keys are
 *     lower-cased, camelCase is split, '-' and '.' count as '_', and a listed
 *     name matches any run of whole components — also with the separators
 *     of both left out ("CREDITCARD", "passWord", "pass_word");
 *   - does this text hold a payment card number (13 to 19 digits, optionally
 *     in groups separated by up to 3 blanks, tabs, dashes or dots,
 *     Luhn-valid, not part of a longer number; letters next to it do not
 *     count) or a bearer token ("Bearer" at a word start, separators such as
 *     blanks, ':', '=', quotes, '+', %20, and a token of at least 8
 *     characters of the RFC 6750 alphabet)? Those parts become "***".
 * The scan for the second reads 8 bytes at a time and looks closer only at
 * digits and the letter b, so text without either costs a few instructions
 * per word.
 * Tested by: tests/unit/security/test_security_mask.c */
#ifndef NLOG_SECURITY_MASK_H
#define NLOG_SECURITY_MASK_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/nlog.h>

/* What a key asks for. */
#define NLOG__KEY_PLAIN 0
#define NLOG__KEY_MASK 1
#define NLOG__KEY_ENCRYPT 2

#define NLOG__MASK_SLOTS 256 /* hash slots; power of two, > 2 * 2 * NLOG_NAME_LIST_MAX */
#define NLOG__MASK_PAIRS 1024 /* prefilter bits: the first two letters of listed names */

typedef struct nlog__masker {
    int cards;                 /* mask card numbers in text */
    int bearer;                /* mask bearer tokens in text */
    int any_names;             /* some name is listed */
    uint64_t lengths;          /* bit n: some listed name is n bytes long */
    uint64_t pairs[NLOG__MASK_PAIRS / 64]; /* bit: some listed name starts with these two */
    struct {
        uint64_t hash;         /* 0: empty slot */
        uint8_t what;          /* NLOG__KEY_* */
        uint8_t len;
        char name[NLOG_SECURITY_NAME_MAX];
    } slot[NLOG__MASK_SLOTS];
} nlog__masker;

/* The text masked in place of a value. */
#define NLOG__MASKED "***"

/* Fills *m from a resolved configuration (mask_fields, encrypt_fields when
 * `with_encrypt`, mask_card_numbers, mask_bearer_tokens). An encrypted name
 * wins over a masked one. This function can't fail. */
void nlog__masker_init(nlog__masker *m, const nlog_config *cfg, int with_encrypt);

/* NLOG__KEY_PLAIN, NLOG__KEY_MASK or NLOG__KEY_ENCRYPT for a key. */
int nlog__masker_key(const nlog__masker *m, const char *key, size_t len);

/* Whether s[0..len) holds anything the content rules mask. */
int nlog__mask_needed(const nlog__masker *m, const char *s, size_t len);

/* Writes s[0..len) with what the content rules mask replaced by "***" into
 * dst (which must hold len bytes: the result is never longer) and returns
 * the length written. */
size_t nlog__mask_copy(const nlog__masker *m, const char *s, size_t len, char *dst);

/* Luhn check of `n` digits (ASCII). */
int nlog__luhn(const char *digits, size_t n);

#endif /* NLOG_SECURITY_MASK_H */
