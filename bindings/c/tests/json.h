/* A small JSON reader for the shared test vectors (JSON files in tests/vectors): enough of RFC 8259
 * for generated files (objects, arrays, strings with every escape, numbers, literals). */
#ifndef MGN_TEST_JSON_H
#define MGN_TEST_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json {
    json_type type;
    int boolean;
    double number;
    char *string; /* JSON_STRING: UTF-8, NUL-terminated (len excludes the NUL) */
    size_t len;
    struct json *items; /* JSON_ARRAY and JSON_OBJECT values */
    char **keys;        /* JSON_OBJECT keys */
    size_t count;
} json;

typedef struct {
    const char *p;
    const char *error;
} json_parser;

static void json_skip_ws(json_parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') {
        ps->p++;
    }
}

static int json_parse_value(json_parser *ps, json *out);

static void json_put_utf8(char *buf, size_t *len, unsigned long cp) {
    if (cp < 0x80) {
        buf[(*len)++] = (char)cp;
    } else if (cp < 0x800) {
        buf[(*len)++] = (char)(0xC0 | (cp >> 6));
        buf[(*len)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[(*len)++] = (char)(0xE0 | (cp >> 12));
        buf[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*len)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        buf[(*len)++] = (char)(0xF0 | (cp >> 18));
        buf[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*len)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int json_hex4(const char *p, unsigned long *out) {
    int i;
    *out = 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        *out <<= 4;
        if (c >= '0' && c <= '9') {
            *out |= (unsigned long)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            *out |= (unsigned long)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            *out |= (unsigned long)(c - 'A' + 10);
        } else {
            return 0;
        }
    }
    return 1;
}

/* Parses a string starting at the opening quote into a new buffer. */
static char *json_parse_string(json_parser *ps, size_t *len_out) {
    const char *start = ++ps->p;
    char *buf;
    size_t len = 0;
    /* The decoded string is never longer than the escaped one. */
    while (*ps->p && *ps->p != '"') {
        if (*ps->p == '\\' && ps->p[1]) {
            ps->p++;
        }
        ps->p++;
    }
    if (*ps->p != '"') {
        ps->error = "unterminated string";
        return NULL;
    }
    buf = malloc((size_t)(ps->p - start) + 1);
    if (buf == NULL) {
        ps->error = "out of memory";
        return NULL;
    }
    ps->p = start;
    while (*ps->p != '"') {
        char c = *ps->p++;
        unsigned long cp, low;
        if (c != '\\') {
            buf[len++] = c;
            continue;
        }
        c = *ps->p++;
        switch (c) {
        case '"': buf[len++] = '"'; break;
        case '\\': buf[len++] = '\\'; break;
        case '/': buf[len++] = '/'; break;
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'n': buf[len++] = '\n'; break;
        case 'r': buf[len++] = '\r'; break;
        case 't': buf[len++] = '\t'; break;
        case 'u':
            if (!json_hex4(ps->p, &cp)) {
                ps->error = "bad \\u escape";
                free(buf);
                return NULL;
            }
            ps->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && ps->p[0] == '\\' && ps->p[1] == 'u' &&
                json_hex4(ps->p + 2, &low) && low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                ps->p += 6;
            }
            json_put_utf8(buf, &len, cp);
            break;
        default:
            ps->error = "bad escape";
            free(buf);
            return NULL;
        }
    }
    ps->p++;
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

static int json_push(json *container, json *value, char *key) {
    json *items = realloc(container->items, (container->count + 1) * sizeof *items);
    if (items == NULL) {
        return 0;
    }
    container->items = items;
    if (container->type == JSON_OBJECT) {
        char **keys = realloc(container->keys, (container->count + 1) * sizeof *keys);
        if (keys == NULL) {
            return 0;
        }
        container->keys = keys;
        keys[container->count] = key;
    }
    items[container->count++] = *value;
    return 1;
}

static int json_parse_value(json_parser *ps, json *out) {
    memset(out, 0, sizeof *out);
    json_skip_ws(ps);
    switch (*ps->p) {
    case '"':
        out->type = JSON_STRING;
        out->string = json_parse_string(ps, &out->len);
        return out->string != NULL;
    case '{':
    case '[': {
        char close = *ps->p == '{' ? '}' : ']';
        out->type = *ps->p == '{' ? JSON_OBJECT : JSON_ARRAY;
        ps->p++;
        json_skip_ws(ps);
        if (*ps->p == close) {
            ps->p++;
            return 1;
        }
        for (;;) {
            json value;
            char *key = NULL;
            size_t key_len;
            json_skip_ws(ps);
            if (out->type == JSON_OBJECT) {
                if (*ps->p != '"') {
                    ps->error = "expected a key";
                    return 0;
                }
                key = json_parse_string(ps, &key_len);
                if (key == NULL) {
                    return 0;
                }
                json_skip_ws(ps);
                if (*ps->p++ != ':') {
                    ps->error = "expected ':'";
                    free(key);
                    return 0;
                }
            }
            if (!json_parse_value(ps, &value) || !json_push(out, &value, key)) {
                free(key);
                return 0;
            }
            json_skip_ws(ps);
            if (*ps->p == ',') {
                ps->p++;
            } else if (*ps->p == close) {
                ps->p++;
                return 1;
            } else {
                ps->error = "expected ',' or a closing bracket";
                return 0;
            }
        }
    }
    case 't':
    case 'f':
    case 'n': {
        static const char *const words[3] = {"true", "false", "null"};
        int i;
        for (i = 0; i < 3; i++) {
            size_t n = strlen(words[i]);
            if (strncmp(ps->p, words[i], n) == 0) {
                ps->p += n;
                out->type = i == 2 ? JSON_NULL : JSON_BOOL;
                out->boolean = i == 0;
                return 1;
            }
        }
        ps->error = "bad literal";
        return 0;
    }
    default: {
        char *end;
        out->type = JSON_NUMBER;
        out->number = strtod(ps->p, &end);
        if (end == ps->p) {
            ps->error = "unexpected character";
            return 0;
        }
        ps->p = end;
        return 1;
    }
    }
}

static void json_free_value(json *v) {
    size_t i;
    for (i = 0; i < v->count; i++) {
        json_free_value(&v->items[i]);
        if (v->keys != NULL) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

static void json_free(json *v) {
    if (v != NULL) {
        json_free_value(v);
        free(v);
    }
}

/* Reads and parses a whole file; NULL (with a message on stderr) on failure. */
static json *json_load(const char *path) {
    FILE *f = fopen(path, "rb");
    long size;
    char *text;
    json *root;
    json_parser ps;
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    root = malloc(sizeof *root);
    if (text == NULL || root == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        fclose(f);
        free(text);
        free(root);
        return NULL;
    }
    fclose(f);
    text[size] = '\0';
    ps.p = text;
    ps.error = NULL;
    if (!json_parse_value(&ps, root)) {
        fprintf(stderr, "%s: JSON error at offset %ld: %s\n", path, (long)(ps.p - text),
                ps.error ? ps.error : "?");
        json_free(root);
        root = NULL;
    }
    free(text);
    return root;
}

/* The member `key` of an object, or NULL. */
static const json *json_get(const json *object, const char *key) {
    size_t i;
    if (object == NULL || object->type != JSON_OBJECT) {
        return NULL;
    }
    for (i = 0; i < object->count; i++) {
        if (strcmp(object->keys[i], key) == 0) {
            return &object->items[i];
        }
    }
    return NULL;
}

/* The string member `key`, or NULL. */
static const char *json_string(const json *object, const char *key) {
    const json *v = json_get(object, key);
    return v != NULL && v->type == JSON_STRING ? v->string : NULL;
}

/* The boolean member `key`, or `fallback`. */
static int json_bool(const json *object, const char *key, int fallback) {
    const json *v = json_get(object, key);
    return v != NULL && v->type == JSON_BOOL ? v->boolean : fallback;
}

#endif /* MGN_TEST_JSON_H */
