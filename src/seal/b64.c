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

static int value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long nlog__b64_decode(const char *text, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 == 1)
        return -1;
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (n > cap)
        return -1;
    size_t o = 0, i = 0;
    for (; i + 4 <= len; i += 4) {
        int a = value((unsigned char) text[i]), b = value((unsigned char) text[i + 1]);
        int c = value((unsigned char) text[i + 2]), d = value((unsigned char) text[i + 3]);
        if ((a | b | c | d) < 0)
            return -1;
        uint32_t v = (uint32_t) a << 18 | (uint32_t) b << 12 | (uint32_t) c << 6 | (uint32_t) d;
        out[o++] = (uint8_t) (v >> 16);
        out[o++] = (uint8_t) (v >> 8);
        out[o++] = (uint8_t) v;
    }
    if (len - i == 2) {
        int a = value((unsigned char) text[i]), b = value((unsigned char) text[i + 1]);
        if ((a | b) < 0 || (b & 15))
            return -1;
        out[o++] = (uint8_t) (a << 2 | b >> 4);
    } else if (len - i == 3) {
        int a = value((unsigned char) text[i]), b = value((unsigned char) text[i + 1]);
        int c = value((unsigned char) text[i + 2]);
        if ((a | b | c) < 0 || (c & 3))
            return -1;
        out[o++] = (uint8_t) (a << 2 | b >> 4);
        out[o++] = (uint8_t) ((b & 15) << 4 | c >> 2);
    }
    return (long) o;
}
