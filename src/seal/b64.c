/* b64.c: strict base64url (see b64.h). */
#include "seal/b64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t nlog__b64_encode(const uint8_t *in, size_t n, char *out)
{
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t) in[i] << 16;
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
    }
    return (size_t) (o - out);
}

/* Value + 1 of each character, 0 for the others: a table, because
 * checkpoints carry kilobytes of tags and verification decodes every one. */
#define V(c, v) [c] = (v) + 1
static const unsigned char vals[256] = {
    V('A', 0),  V('B', 1),  V('C', 2),  V('D', 3),  V('E', 4),  V('F', 5),  V('G', 6),
    V('H', 7),  V('I', 8),  V('J', 9),  V('K', 10), V('L', 11), V('M', 12), V('N', 13),
    V('O', 14), V('P', 15), V('Q', 16), V('R', 17), V('S', 18), V('T', 19), V('U', 20),
    V('V', 21), V('W', 22), V('X', 23), V('Y', 24), V('Z', 25), V('a', 26), V('b', 27),
    V('c', 28), V('d', 29), V('e', 30), V('f', 31), V('g', 32), V('h', 33), V('i', 34),
    V('j', 35), V('k', 36), V('l', 37), V('m', 38), V('n', 39), V('o', 40), V('p', 41),
    V('q', 42), V('r', 43), V('s', 44), V('t', 45), V('u', 46), V('v', 47), V('w', 48),
    V('x', 49), V('y', 50), V('z', 51), V('0', 52), V('1', 53), V('2', 54), V('3', 55),
    V('4', 56), V('5', 57), V('6', 58), V('7', 59), V('8', 60), V('9', 61), V('-', 62),
    V('_', 63),
};
#undef V

long nlog__b64_decode(const char *text, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 == 1)
        return -1;
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (n > cap)
        return -1;
    const unsigned char *t = (const unsigned char *) text;
    size_t o = 0, i = 0;
    for (; i + 4 <= len; i += 4) {
        unsigned a = vals[t[i]], b = vals[t[i + 1]], c = vals[t[i + 2]], d = vals[t[i + 3]];
        if (!a || !b || !c || !d)
            return -1;
        uint32_t v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
        out[o++] = (uint8_t) (v >> 16);
        out[o++] = (uint8_t) (v >> 8);
        out[o++] = (uint8_t) v;
    }
    if (len - i >= 2) {
        unsigned a = vals[t[i]], b = vals[t[i + 1]];
        unsigned c = len - i == 3 ? vals[t[i + 2]] : 1;
        if (!a || !b || !c)
            return -1;
        a--, b--, c--;
        if (len - i == 2 && (b & 15))
            return -1; /* unused bits must be zero: one text per value */
        if (len - i == 3 && (c & 3))
            return -1;
        out[o++] = (uint8_t) (a << 2 | b >> 4);
        if (len - i == 3)
            out[o++] = (uint8_t) ((b & 15) << 4 | c >> 2);
    }
    return (long) o;
}
