/* Names in uncompressed wire format: comparison, hashing, text forms. */
#include "wire/wire.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

size_t wire_name_len(const uint8_t *name)
{
	size_t n = 0;
	while (name[n] != 0)
		n += (size_t)name[n] + 1;
	return n + 1;
}

unsigned wire_name_labels(const uint8_t *name)
{
	unsigned count = 0;
	for (size_t n = 0; name[n] != 0; n += (size_t)name[n] + 1)
		count++;
	return count;
}

static uint64_t word_at(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* Eight bytes per step, lowered as words, the tail as one more word
 * (wire_tail_word: no byte past either name is read). Byte by byte, this
 * was the largest single cost of handling an upstream reply. */
bool wire_name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = wire_name_len(a);
	if (la != wire_name_len(b))
		return false;
	for (size_t i = 0; i + 8 <= la; i += 8)
		if (wire_lower8(word_at(a + i)) != wire_lower8(word_at(b + i)))
			return false;
	return wire_lower8(wire_tail_word(a, la)) == wire_lower8(wire_tail_word(b, la));
}

bool wire_name_eq_exact(const uint8_t *a, const uint8_t *b)
{
	size_t la = wire_name_len(a);
	return la == wire_name_len(b) && memcmp(a, b, la) == 0;
}

const uint8_t *wire_name_strip(const uint8_t *name, unsigned n)
{
	while (n-- > 0 && *name != 0)
		name += *name + 1;
	return name;
}

bool wire_name_in(const uint8_t *name, const uint8_t *zone)
{
	unsigned ln = wire_name_labels(name), lz = wire_name_labels(zone);
	if (ln < lz)
		return false;
	return wire_name_eq(wire_name_strip(name, ln - lz), zone);
}

int wire_name_canon_cmp(const uint8_t *a, const uint8_t *b)
{
	/* Label starts, so the labels can be walked from the right. */
	const uint8_t *la[128], *lb[128];
	unsigned na = 0, nb = 0;
	for (const uint8_t *p = a; *p; p += *p + 1)
		la[na++] = p;
	for (const uint8_t *p = b; *p; p += *p + 1)
		lb[nb++] = p;
	while (na && nb) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		unsigned lx = x[0], ly = y[0], m = lx < ly ? lx : ly;
		for (unsigned i = 1; i <= m; i++) {
			uint8_t cx = lower(x[i]), cy = lower(y[i]);
			if (cx != cy)
				return cx < cy ? -1 : 1;
		}
		if (lx != ly)
			return lx < ly ? -1 : 1;
	}
	if (na == nb)
		return 0;
	return na < nb ? -1 : 1;
}

void wire_name_lower(uint8_t *name)
{
	size_t len = wire_name_len(name), i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t x = wire_lower8(word_at(name + i));
		memcpy(name + i, &x, 8);
	}
	for (; i < len; i++)
		name[i] = lower(name[i]);
}

size_t wire_name_copy(uint8_t *out, const uint8_t *name)
{
	size_t len = wire_name_len(name);
	memmove(out, name, len);
	return len;
}

void wire_name_apply_case(uint8_t *name, const uint8_t *bits)
{
	size_t bit = 0;
	for (size_t n = 0; name[n] != 0; n += (size_t)name[n] + 1) {
		for (size_t i = 1; i <= name[n]; i++, bit++) {
			uint8_t c = name[n + i];
			bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
			if (letter && (bits[bit / 8] >> (bit % 8)) & 1)
				name[n + i] = c ^ 0x20;
		}
	}
}

/* Words lowered on the fly, the tail as in wire_name_eq. */
uint32_t wire_name_hash(const uint8_t *name, const struct hash_key *key)
{
	size_t len = wire_name_len(name);
	struct hash_state s;
	hash_begin(&s, key);
	for (size_t i = 0; i + 8 <= len; i += 8)
		hash_word(&s, wire_lower8(word_at(name + i)), 1);
	return (uint32_t)hash_end(&s, wire_lower8(wire_tail_word(name, len)), len, 1, 3);
}

int wire_name_from_text(const char *text, uint8_t out[WIRE_NAME_MAX])
{
	size_t o = 0;
	const char *p = text;
	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*p != '\0') {
		size_t lenpos = o++;
		uint8_t llen = 0;
		if (o >= WIRE_NAME_MAX)
			return PC_EINVAL;
		while (*p != '\0' && *p != '.') {
			uint8_t c;
			if (*p == '\\') {
				p++;
				if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
				    isdigit((unsigned char)p[2])) {
					int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
					if (v > 255)
						return PC_EINVAL;
					c = (uint8_t)v;
					p += 3;
				} else if (*p != '\0') {
					c = (uint8_t)*p++;
				} else {
					return PC_EINVAL;
				}
			} else {
				c = (uint8_t)*p++;
			}
			if (llen == WIRE_LABEL_MAX || o + 1 >= WIRE_NAME_MAX)
				return PC_EINVAL;
			out[o++] = c;
			llen++;
		}
		if (llen == 0)
			return PC_EINVAL; /* empty label: ".." or leading dot */
		out[lenpos] = llen;
		if (*p == '.')
			p++;
	}
	if (o >= WIRE_NAME_MAX)
		return PC_EINVAL;
	out[o++] = 0;
	return (int)o;
}

int wire_name_to_text(const uint8_t *name, char *out, size_t cap)
{
	size_t o = 0;
	if (cap < 2)
		return PC_ESPACE;
	if (name[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	for (size_t n = 0; name[n] != 0; n += (size_t)name[n] + 1) {
		for (size_t i = 1; i <= name[n]; i++) {
			uint8_t c = name[n + i];
			char tmp[5];
			size_t tl;
			/* master-file specials (RFC 1035 5.1): ';' would start a
			 * comment and '"', '(' and ')' mean something to a reader */
			if (c == '.' || c == '\\' || c == ';' || c == '"' || c == '(' || c == ')') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tl = 2;
			} else if (c <= 0x20 || c >= 0x7f) {
				tl = (size_t)snprintf(tmp, sizeof(tmp), "\\%03u", c);
			} else {
				tmp[0] = (char)c;
				tl = 1;
			}
			if (o + tl + 2 > cap)
				return PC_ESPACE;
			memcpy(out + o, tmp, tl);
			o += tl;
		}
		out[o++] = '.';
	}
	out[o] = '\0';
	return (int)o;
}
