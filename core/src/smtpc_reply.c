/* SMTP reply parser: RFC 5321 §4.2 (reply syntax), RFC 3463 (enhanced status
 * codes), RFC 1869/5321 §4.1.1.1 (EHLO keywords). Streams byte by byte; see
 * smtpc/reply.h. */
#include <string.h>

#include "smtpc/reply.h"

enum { ST_CODE0 = 0, ST_CODE1, ST_CODE2, ST_SEP, ST_TEXT, ST_LF, ST_DONE, ST_ERR };

/* Keyword table: the EHLO keywords smtpc acts on. */
typedef struct {
    const char *name;
    uint16_t cap;
} reply_kw_t;

static const reply_kw_t reply_keywords[] = {
    {"STARTTLS", SMTPC_CAP_STARTTLS}, {"PIPELINING", SMTPC_CAP_PIPELINING},
    {"8BITMIME", SMTPC_CAP_8BITMIME}, {"SMTPUTF8", SMTPC_CAP_SMTPUTF8},
    {"SIZE", SMTPC_CAP_SIZE},         {"ENHANCEDSTATUSCODES", SMTPC_CAP_ENHANCEDSTATUSCODES},
    {"AUTH", SMTPC_CAP_AUTH},         {"CHUNKING", SMTPC_CAP_CHUNKING},
};

static const reply_kw_t reply_mechs[] = {
    {"PLAIN", SMTPC_AUTH_PLAIN},
    {"LOGIN", SMTPC_AUTH_LOGIN},
    {"XOAUTH2", SMTPC_AUTH_XOAUTH2},
};

static uint8_t reply_upper(uint8_t c)
{
    return (c >= 'a' && c <= 'z') ? (uint8_t)(c - 32u) : c;
}

/* Case-insensitive compare of a counted word with a NUL-terminated upper-case name. */
static int reply_word_is(const char *w, size_t n, const char *name)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (name[i] == '\0' || reply_upper((uint8_t)w[i]) != (uint8_t)name[i]) {
            return 0;
        }
    }
    return name[n] == '\0';
}

static uint16_t reply_lookup(const reply_kw_t *tab, size_t count, const char *w, size_t n)
{
    size_t i;
    for (i = 0; i < count; i++) {
        if (reply_word_is(w, n, tab[i].name)) {
            return tab[i].cap;
        }
    }
    return 0;
}

void smtpc_reply_begin(smtpc_reply_t *p, bool is_ehlo)
{
    memset(p, 0, sizeof(*p));
    p->is_ehlo_ = is_ehlo ? 1u : 0u;
    p->st_ = ST_CODE0;
}

static size_t reply_fail(smtpc_reply_t *p, int err, size_t consumed)
{
    p->st_ = ST_ERR;
    p->event = SMTPC_REPLY_ERROR;
    p->err = (int16_t)err;
    return consumed;
}

size_t smtpc_enh_parse(const char *s, size_t len, uint8_t out[3])
{
    /* status-code = class "." subject "." detail; class 2/4/5, subject and
     * detail 1-3 digits (RFC 3463 §2), followed by SP or the end. */
    unsigned part = 0;
    unsigned val = 0;
    unsigned digits = 0;
    uint8_t tmp[3] = {0, 0, 0};
    size_t i;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (digits == (part == 0 ? 1u : 3u)) {
                return 0;
            }
            val = val * 10u + (unsigned)(c - '0');
            digits++;
        } else if (c == '.' && part < 2 && digits > 0) {
            if (val > 255u) {
                return 0;
            }
            tmp[part++] = (uint8_t)val;
            val = 0;
            digits = 0;
        } else if (c == ' ') {
            break;
        } else {
            return 0;
        }
    }
    if (part != 2 || digits == 0 || val > 255u) {
        return 0;
    }
    tmp[2] = (uint8_t)val;
    if (tmp[0] != 2 && tmp[0] != 4 && tmp[0] != 5) {
        return 0;
    }
    memcpy(out, tmp, 3);
    return i;
}

/* A whole word of an EHLO line is in word_ (wlen_ 0xff = too long to matter). */
static void reply_word_end(smtpc_reply_t *p)
{
    size_t n = p->wlen_;
    if (n == 0) {
        return;
    }
    if (n == 0xffu) {
        p->widx_++;
        p->wlen_ = 0;
        return;
    }
    if (p->widx_ == 0) {
        p->kw_ = reply_lookup(reply_keywords, sizeof(reply_keywords) / sizeof(reply_keywords[0]),
                              p->word_, n);
        if (p->kw_ == 0 && n > 5 && reply_word_is(p->word_, 5, "AUTH=")) {
            /* Pre-RFC 4954 form "AUTH=LOGIN PLAIN": the rest is a mechanism. */
            p->kw_ = SMTPC_CAP_AUTH;
            p->auth_mechs |= (uint8_t)reply_lookup(
                reply_mechs, sizeof(reply_mechs) / sizeof(reply_mechs[0]), p->word_ + 5, n - 5);
        } else if (p->kw_ == 0 && n == 8) {
            p->caps |= SMTPC_CAP_UNKNOWN_8;
        }
        p->caps |= p->kw_;
    } else if (p->kw_ == SMTPC_CAP_AUTH) {
        p->auth_mechs |= (uint8_t)reply_lookup(
            reply_mechs, sizeof(reply_mechs) / sizeof(reply_mechs[0]), p->word_, n);
    } else if (p->kw_ == SMTPC_CAP_SIZE && p->widx_ == 1) {
        uint32_t v = 0;
        size_t i;
        for (i = 0; i < n; i++) {
            uint8_t d = (uint8_t)(p->word_[i] - '0');
            if (d > 9u) {
                v = 0;
                break;
            }
            v = (v > (UINT32_MAX - d) / 10u) ? UINT32_MAX : v * 10u + d;
        }
        p->size_max = v;
    }
    p->widx_++;
    p->wlen_ = 0;
}

static void reply_text_byte(smtpc_reply_t *p, uint8_t c)
{
    if (p->lines == 0 && p->enhbuf_len_ < sizeof(p->enhbuf_)) {
        p->enhbuf_[p->enhbuf_len_++] = (char)c;
    }
    if (p->text_len < sizeof(p->text)) {
        p->text[p->text_len++] = (char)c;
    }
    if (p->is_ehlo_ && p->lines > 0) {
        if (c == ' ') {
            reply_word_end(p);
        } else if (p->wlen_ < sizeof(p->word_)) {
            p->word_[p->wlen_++] = (char)c;
        } else {
            p->wlen_ = 0xffu;
        }
    }
}

/* End of a line (its LF has been consumed). Returns 1 when the reply is done. */
static int reply_line_end(smtpc_reply_t *p)
{
    if (p->is_ehlo_ && p->lines > 0) {
        reply_word_end(p);
    }
    if (p->lines == 0) {
        uint8_t enh[3];
        if (smtpc_enh_parse(p->enhbuf_, p->enhbuf_len_, enh) > 0 &&
            enh[0] == (uint8_t)(p->code / 100u)) {
            memcpy(p->enh, enh, 3);
        }
    }
    p->lines++;
    p->llen_ = 0;
    p->wlen_ = 0;
    p->widx_ = 0;
    p->kw_ = 0;
    if (p->last_) {
        p->st_ = ST_DONE;
        p->event = SMTPC_REPLY_DONE;
        return 1;
    }
    p->st_ = ST_CODE0;
    return 0;
}

/* The three-digit code of a line: first digit 2..5, second 0..5 (RFC 5321 §4.2). */
static int reply_code_digit(smtpc_reply_t *p, uint8_t c)
{
    static const uint8_t lo[3] = {'2', '0', '0'};
    static const uint8_t hi[3] = {'5', '5', '9'};
    unsigned k = p->st_;
    if (c < lo[k] || c > hi[k]) {
        return SMTPC_ERR_REPLY_SYNTAX;
    }
    p->code_cur_ = (uint16_t)(p->code_cur_ * 10u + (uint16_t)(c - '0'));
    p->st_++;
    if (p->st_ == ST_SEP) {
        if (p->lines == 0) {
            p->code = p->code_cur_;
        } else if (p->code_cur_ != p->code) {
            return SMTPC_ERR_REPLY_CODE_MISMATCH;
        }
    }
    return SMTPC_OK;
}

static int reply_sep(smtpc_reply_t *p, uint8_t c)
{
    if (c == '-') {
        p->last_ = 0;
    } else if (c == ' ' || c == '\r') {
        p->last_ = 1;
    } else {
        return SMTPC_ERR_REPLY_SYNTAX;
    }
    if (p->lines > 0 && p->text_len > 0 && p->text_len < sizeof(p->text)) {
        p->text[p->text_len++] = ' ';
    }
    p->st_ = (c == '\r') ? ST_LF : ST_TEXT;
    return SMTPC_OK;
}

size_t smtpc_reply_push(smtpc_reply_t *p, const uint8_t *data, size_t len)
{
    size_t i;
    if (p->st_ == ST_DONE || p->st_ == ST_ERR) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        uint8_t c = data[i];
        int rc = SMTPC_OK;
        if (++p->llen_ > SMTPC_REPLY_LINE_MAX) {
            return reply_fail(p, SMTPC_ERR_REPLY_LINE_TOO_LONG, i);
        }
        if (p->st_ == ST_CODE0) {
            if (p->lines >= SMTPC_REPLY_LINES_MAX) {
                return reply_fail(p, SMTPC_ERR_REPLY_TOO_MANY_LINES, i);
            }
            p->code_cur_ = 0;
        }
        switch (p->st_) {
        case ST_CODE0:
        case ST_CODE1:
        case ST_CODE2:
            rc = reply_code_digit(p, c);
            break;
        case ST_SEP:
            rc = reply_sep(p, c);
            break;
        case ST_TEXT:
            if (c == '\r') {
                p->st_ = ST_LF;
            } else if (c == '\n' || c == 0) {
                /* Bare LF or NUL: not a reply line (RFC 5321 §2.3.8). */
                rc = SMTPC_ERR_REPLY_SYNTAX;
            } else {
                reply_text_byte(p, c);
            }
            break;
        default: /* ST_LF */
            if (c != '\n') {
                rc = SMTPC_ERR_REPLY_SYNTAX;
            } else if (reply_line_end(p)) {
                return i + 1;
            }
            break;
        }
        if (rc != SMTPC_OK) {
            return reply_fail(p, rc, i);
        }
    }
    return len;
}
