/* Writes the seed corpora of the fuzz targets into OUTDIR/<target>/:
 * hand-written protocol samples (valid, boundary and hostile) and flash
 * images made with the real store and cache. Run it to regenerate
 * tests/fuzz/corpus:
 *     fuzz_gen_seeds tests/fuzz/corpus
 * Every seed starts with the parameter bytes its target expects (see the
 * comment at the top of each fuzz_<target>.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "smtpc/cache.h"
#include "smtpc/dns.h"
#include "smtpc/kvs.h"

#include "fuzz_flash_common.h"
#include "gen_seeds.h"

static const char *g_out;
static unsigned g_files;

void put_file(const char *target, const char *name, const void *p, size_t n)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", g_out, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", g_out, target, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    g_files++;
}

/* A seed made of parameter bytes then a text. */
static void put_text(const char *target, const char *name, const uint8_t *pre, size_t npre,
                     const char *text, size_t ntext)
{
    static uint8_t buf[16384];
    memcpy(buf, pre, npre);
    memcpy(buf + npre, text, ntext);
    put_file(target, name, buf, npre + ntext);
}

#define TEXT(t, name, pre, s) put_text(t, name, pre, sizeof(pre), s, sizeof(s) - 1u)

/* ------------------------------------------------------------- reply --- */

static void seeds_reply(void)
{
    static const uint8_t plain[] = {0x00}, ehlo[] = {0x01}, ehlo_byte[] = {0x21};
    char big[700];
    TEXT("reply", "greeting", plain, "220 mx.example.com ESMTP ready\r\n");
    TEXT("reply", "ehlo-full", ehlo,
         "250-mx.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
         "250-AUTH PLAIN LOGIN XOAUTH2\r\n250-AUTH=LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n"
         "250-8BITMIME\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n");
    TEXT("reply", "ehlo-strip", ehlo, "250-mx.example.com\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n");
    TEXT("reply", "ehlo-size-huge", ehlo_byte, "250-mx\r\n250 SIZE 99999999999999999999\r\n");
    TEXT("reply", "ehlo-lower", ehlo, "250-mx\r\n250-starttls\r\n250 auth plain\r\n");
    TEXT("reply", "enh-ok", plain, "250 2.1.0 Sender ok\r\n");
    TEXT("reply", "enh-class-mismatch", plain, "250 5.1.0 odd\r\n");
    TEXT("reply", "enh-long", plain, "550 5.123.456 x\r\n");
    TEXT("reply", "enh-overflow", plain, "550 5.1234.1 x\r\n");
    TEXT("reply", "rcpt-reject", plain, "550 5.1.1 <a@b>: Recipient address rejected\r\n");
    TEXT("reply", "data-354", plain, "354 End data with <CR><LF>.<CR><LF>\r\n");
    TEXT("reply", "multi-421", plain, "421-4.7.0 too busy\r\n421 4.7.0 try later\r\n");
    TEXT("reply", "multi-mismatch", plain, "250-first\r\n251 second\r\n");
    TEXT("reply", "bare-lf", plain, "250 ok\n");
    TEXT("reply", "bare-cr", plain, "250 ok\rx\r\n");
    TEXT("reply", "nul", plain, "250 o\0k\r\n");
    TEXT("reply", "code-600", plain, "600 no\r\n");
    TEXT("reply", "code-199", plain, "199 no\r\n");
    TEXT("reply", "code-only", plain, "250\r\n");
    TEXT("reply", "empty-text", plain, "250-\r\n250 \r\n");
    TEXT("reply", "bad-sep", plain, "250x\r\n");
    TEXT("reply", "two-replies", plain, "250 ok\r\n354 go\r\n221 bye\r\n");
    TEXT("reply", "split-crlf", ehlo_byte, "250-a\r\n250-b\r\n250 c\r\n");
    TEXT("reply", "eight-bit", plain, "250 \xc3\xa9t\xc3\xa9 \xff\r\n");
    memset(big, 'a', sizeof(big));
    memcpy(big, "250 ", 4);
    memcpy(big + sizeof(big) - 2, "\r\n", 2);
    put_text("reply", "line-too-long", plain, 1, big, sizeof(big));
    {
        char many[40 * 9 + 16];
        size_t o = 0;
        int i;
        for (i = 0; i < 40; i++) {
            o += (size_t)sprintf(many + o, "250-l%02d\r\n", i);
        }
        o += (size_t)sprintf(many + o, "250 end\r\n");
        put_text("reply", "too-many-lines", ehlo, 1, many, o);
    }
}

/* -------------------------------------------------------------- smtp --- */

/* b0 mode|level<<2|auth|pipe|token|8bit, b1 verdict|mechs<<3, b2 rcpt-1|rd<<2,
 * b3 wr-1 | line mode 0x80, b4 b5 body length, body, server bytes */
static void smtp_seed(const char *name, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3,
                      const char *body, const char *server)
{
    static uint8_t buf[8192];
    size_t bl = strlen(body), sl = strlen(server);
    buf[0] = b0;
    buf[1] = b1;
    buf[2] = b2;
    buf[3] = b3;
    buf[4] = (uint8_t)(bl >> 8);
    buf[5] = (uint8_t)bl;
    memcpy(buf + 6, body, bl);
    memcpy(buf + 6 + bl, server, sl);
    put_file("smtp", name, buf, 6 + bl + sl);
}

#define STARTTLS  0u
#define IMPLICIT  1u
#define NOTLS     2u
#define L_PLAIN   (0u << 2)
#define L_ENC     (1u << 2)
#define L_VER     (2u << 2)
#define F_AUTH    0x10u
#define F_PIPE    0x20u
#define F_TOKEN   0x40u
#define F_8BIT    0x80u
#define V_OK      1u
#define V_EXPIRED 2u
#define RD(n)     ((uint8_t)(((n)-1u) << 2))

static void seeds_smtp(void)
{
    const char *body = "Subject: hi\r\n\r\n.dot line\nbare lf\rbare cr\r\n..two\r\nend";
    const char *ehlo_tls = "250-mx.example.com\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
    const char *pre = "220 mx.example.com ESMTP\r\n";
    char s[4096];

    snprintf(s, sizeof(s),
             "%s%s220 2.0.0 go ahead\r\n250-mx.example.com\r\n250-AUTH PLAIN LOGIN\r\n"
             "250 PIPELINING\r\n235 2.7.0 ok\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n"
             "250 2.0.0 queued\r\n221 2.0.0 bye\r\n",
             pre, ehlo_tls);
    smtp_seed("starttls-verified-plain", STARTTLS | L_VER | F_AUTH, V_OK, RD(64), 0xFF, body, s);
    smtp_seed("starttls-verified-1byte", STARTTLS | L_VER | F_AUTH, V_OK, RD(1), 0x80, body, s);
    smtp_seed("early-talker", STARTTLS | L_VER | F_AUTH, V_OK, RD(64), 0x7F, body, s);
    smtp_seed("starttls-bad-cert", STARTTLS | L_VER | F_AUTH, V_EXPIRED, RD(64), 0xFF, body, s);
    smtp_seed("starttls-encrypted-bad-cert", STARTTLS | L_ENC, V_EXPIRED, RD(16), 0xFF, body, s);

    snprintf(s, sizeof(s),
             "%s%s220 go\r\n250-mx\r\n250-AUTH LOGIN\r\n250 SIZE 1000\r\n"
             "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
             "354 go\r\n250 ok\r\n221 bye\r\n",
             pre, ehlo_tls);
    smtp_seed("auth-login-2rcpt", STARTTLS | L_VER | F_AUTH, V_OK | (2u << 3), 1 | RD(32), 0x90,
              body, s);

    snprintf(s, sizeof(s),
             "%s%s220 go\r\n250-mx\r\n250 AUTH XOAUTH2\r\n"
             "334 eyJzdGF0dXMiOiI0MDEifQ==\r\n535 5.7.8 bad token\r\n221 bye\r\n",
             pre, ehlo_tls);
    smtp_seed("xoauth2-fail", STARTTLS | L_VER | F_TOKEN, V_OK, RD(64), 0xFF, body, s);

    /* a token-only configuration against a server without XOAUTH2 */
    snprintf(s, sizeof(s), "%s%s220 go\r\n250-mx\r\n250 AUTH PLAIN LOGIN\r\n221 bye\r\n", pre,
             ehlo_tls);
    smtp_seed("token-only-server-plain", STARTTLS | L_VER | F_TOKEN, V_OK, RD(64), 0xFF, body, s);

    snprintf(s, sizeof(s),
             "%s%s220 go\r\n250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
             "250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go\r\n250 ok\r\n"
             "221 bye\r\n",
             pre, ehlo_tls);
    smtp_seed("pipelining-3rcpt", STARTTLS | L_ENC | F_PIPE | F_8BIT, V_OK, 2 | RD(64), 0xFF, body,
              s);
    snprintf(s, sizeof(s),
             "%s%s220 go\r\n250-mx\r\n250 PIPELINING\r\n"
             "250 ok\r\n550 no\r\n354 go\r\n554 no valid recipients\r\n221 bye\r\n",
             pre, ehlo_tls);
    smtp_seed("pipelining-no-rcpt", STARTTLS | L_ENC | F_PIPE, V_OK, RD(64), 0xFF, body, s);

    smtp_seed("implicit-tls", IMPLICIT | L_ENC, V_OK, RD(64), 0xFF, "x",
              "220 mx ESMTP\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n");
    smtp_seed("plaintext-helo", NOTLS | L_PLAIN, V_OK, RD(64), 0xFF, "hello",
              "220 old ESMTP\r\n502 5.5.1 no EHLO\r\n250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n"
              "250 ok\r\n221 bye\r\n");
    smtp_seed("plaintext-starttls-offered", STARTTLS | L_PLAIN, V_OK, RD(8), 0xFF, "hello",
              "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n250 ok\r\n"
              "250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n");
    smtp_seed("strip", STARTTLS | L_ENC, V_OK, RD(64), 0xFF, "x",
              "220 mx\r\n250-mx\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n221 bye\r\n");
    smtp_seed("starttls-refused", STARTTLS | L_VER, V_OK, RD(64), 0xFF, "x",
              "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 later\r\n221 bye\r\n");
    smtp_seed("injection", STARTTLS | L_VER, V_OK, RD(64), 0x7F, "x",
              "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250-evil\r\n250 AUTH PLAIN\r\n");
    smtp_seed("greeting-421", STARTTLS | L_VER, V_OK, RD(64), 0xFF, "x",
              "421 4.3.2 shutting down\r\n");
    smtp_seed("greeting-multiline", STARTTLS | L_VER, V_OK, RD(3), 0xFF, "x",
              "220-mx\r\n220-welcome\r\n220 ESMTP\r\n250 mx\r\n");
    snprintf(s, sizeof(s), "%s%s220 go\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n", pre, ehlo_tls);
    {
        char lb[1100];
        memset(lb, 'L', sizeof(lb) - 1u);
        lb[sizeof(lb) - 1u] = '\0';
        smtp_seed("body-line-long", STARTTLS | L_ENC, V_OK, RD(64), 0xFF, lb, s);
    }
    snprintf(s, sizeof(s), "%s%s220 go\r\n250 mx\r\n250 ok\r\n550 no\r\n221 bye\r\n", pre,
             ehlo_tls);
    smtp_seed("rcpt-rejected", STARTTLS | L_ENC, V_OK, RD(64), 0xFF, "x", s);
    snprintf(s, sizeof(s),
             "%s%s220 go\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n452 4.3.1 full\r\n"
             "221 bye\r\n",
             pre, ehlo_tls);
    smtp_seed("data-end-452", STARTTLS | L_ENC, V_OK, RD(64), 0xFF, ".\r\n.\r\n", s);
    smtp_seed("bare-lf-server", STARTTLS | L_ENC, V_OK, RD(64), 0xFF, "x", "220 mx\n250 mx\n");
}

/* --------------------------------------------------------------- dns --- */

typedef struct {
    uint8_t b[1024];
    size_t n;
} msg_t;

static void m_u8(msg_t *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
}

static void m_u16(msg_t *m, unsigned v)
{
    m_u8(m, v >> 8);
    m_u8(m, v & 0xFF);
}

static void m_u32(msg_t *m, unsigned long v)
{
    m_u16(m, (unsigned)(v >> 16));
    m_u16(m, (unsigned)(v & 0xFFFF));
}

static void m_name(msg_t *m, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        m_u8(m, (unsigned)l);
        memcpy(m->b + m->n, name, l);
        m->n += l;
        name += l + (dot ? 1u : 0u);
    }
    m_u8(m, 0);
}

static void m_head(msg_t *m, unsigned flags, unsigned an, const char *q, unsigned qtype)
{
    m->n = 0;
    m_u16(m, 0xBEEF);
    m_u16(m, flags);
    m_u16(m, 1);
    m_u16(m, an);
    m_u16(m, 0);
    m_u16(m, 0);
    m_name(m, q);
    m_u16(m, qtype);
    m_u16(m, 1);
}

/* An answer owned by the question name (pointer 0xC00C). */
static void m_rr(msg_t *m, unsigned type, const void *rdata, size_t rdlen)
{
    m_u16(m, 0xC00C);
    m_u16(m, type);
    m_u16(m, 1);
    m_u32(m, 300);
    m_u16(m, (unsigned)rdlen);
    memcpy(m->b + m->n, rdata, rdlen);
    m->n += rdlen;
}

static void m_put(const char *name, uint8_t sel, const msg_t *m)
{
    uint8_t buf[1100];
    buf[0] = sel;
    memcpy(buf + 1, m->b, m->n);
    put_file("dnswire", name, buf, m->n + 1);
}

/* selector: type index | name index << 3 (see fuzz_dnswire.c) */
#define T_A     0u
#define T_CNAME 1u
#define T_MX    2u
#define T_TXT   3u
#define T_AAAA  4u
#define N_EX    0u
#define N_STS   (1u << 3)
#define N_TLS   (2u << 3)
#define N_MX1   (3u << 3)

static void seeds_dns(void)
{
    msg_t m;
    uint8_t rd[300];
    size_t n;

    m_head(&m, 0x8180, 2, "example.com", 15);
    rd[0] = 0;
    rd[1] = 10;
    n = 2;
    memcpy(rd + n, "\3mx1\xC0\x0C", 6);
    n += 6;
    m_rr(&m, 15, rd, n);
    rd[1] = 20;
    n = 2;
    memcpy(rd + n, "\3mx2\7example\3net\0", 17);
    n += 17;
    m_rr(&m, 15, rd, n);
    m_put("mx-two", T_MX | N_EX, &m);

    m_head(&m, 0x8180, 1, "example.com", 15);
    rd[0] = 0;
    rd[1] = 0;
    rd[2] = 0;
    m_rr(&m, 15, rd, 3);
    m_put("mx-null", T_MX | N_EX, &m);

    m_head(&m, 0x8180, 1, "_mta-sts.example.com", 16);
    n = 0;
    rd[n++] = 8;
    memcpy(rd + n, "v=STSv1;", 8);
    n += 8;
    rd[n++] = 19;
    memcpy(rd + n, " id=20190429T010101", 19);
    n += 19;
    m_rr(&m, 16, rd, n);
    m_put("txt-sts", T_TXT | N_STS, &m);

    m_head(&m, 0x8180, 2, "_smtp._tls.example.org", 16);
    n = 0;
    rd[n++] = 42;
    memcpy(rd + n, "v=TLSRPTv1; rua=mailto:tlsrpt@example.org", 42);
    n += 42;
    m_rr(&m, 16, rd, n);
    n = 0;
    rd[n++] = 0;
    m_rr(&m, 16, rd, n);
    m_put("txt-tlsrpt-empty-string", T_TXT | N_TLS, &m);

    m_head(&m, 0x8180, 1, "_mta-sts.example.com", 16);
    n = 0;
    rd[n++] = 40;
    memcpy(rd + n, "v=STSv1", 7);
    n += 7; /* length runs past */
    m_rr(&m, 16, rd, n);
    m_put("txt-overrun", T_TXT | N_STS, &m);

    m_head(&m, 0x8180, 2, "mx1.example.net", 1);
    memcpy(rd, "\xC0\x00\x02\x01", 4);
    m_rr(&m, 1, rd, 4);
    memcpy(rd, "\xC6\x33\x64\x07", 4);
    m_rr(&m, 1, rd, 4);
    m_put("a-two", T_A | N_MX1, &m);

    m_head(&m, 0x8180, 1, "mx1.example.net", 28);
    memcpy(rd, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16);
    m_rr(&m, 28, rd, 16);
    m_put("aaaa", T_AAAA | N_MX1, &m);

    /* CNAME chain then A */
    m_head(&m, 0x8180, 2, "mx1.example.net", 1);
    m_rr(&m, 5, "\5alias\xC0\x10", 8);
    {
        size_t target = m.n - 8u;
        m_u16(&m, 0xC000u | (unsigned)target);
        m_u16(&m, 1);
        m_u16(&m, 1);
        m_u32(&m, 60);
        m_u16(&m, 4);
        memcpy(m.b + m.n, "\x0a\0\0\1", 4);
        m.n += 4;
    }
    m_put("cname-a", T_A | N_MX1, &m);
    m_put("cname-asked", T_CNAME | N_MX1, &m);

    m_head(&m, 0x8183, 0, "example.com", 15);
    m_put("nxdomain", T_MX | N_EX, &m);
    m_head(&m, 0x8182, 0, "example.com", 15);
    m_put("servfail", T_MX | N_EX, &m);
    m_head(&m, 0x8385, 0, "example.com", 15);
    m_put("tc-refused", T_MX | N_EX, &m);
    m_head(&m, 0x8180, 0, "EXAMPLE.com", 15);
    m_put("nodata-case", T_MX | N_EX, &m);

    /* pointer loop in the answer owner */
    m_head(&m, 0x8180, 1, "example.com", 15);
    {
        size_t at = m.n;
        m_u16(&m, 0xC000u | (unsigned)at);
        m_u16(&m, 15);
        m_u16(&m, 1);
        m_u32(&m, 1);
        m_u16(&m, 3);
        m_u8(&m, 0);
        m_u8(&m, 1);
        m_u8(&m, 0);
    }
    m_put("pointer-self", T_MX | N_EX, &m);
    /* forward pointer in the MX exchange */
    m_head(&m, 0x8180, 1, "example.com", 15);
    rd[0] = 0;
    rd[1] = 5;
    rd[2] = 0xC0;
    rd[3] = 0xF0;
    m_rr(&m, 15, rd, 4);
    m_put("pointer-forward", T_MX | N_EX, &m);
    /* label of 64 */
    m_head(&m, 0x8180, 1, "example.com", 15);
    rd[0] = 0;
    rd[1] = 5;
    rd[2] = 64;
    memset(rd + 3, 'a', 64);
    rd[67] = 0;
    m_rr(&m, 15, rd, 68);
    m_put("label-64", T_MX | N_EX, &m);
    /* rdlength past the end */
    m_head(&m, 0x8180, 1, "example.com", 15);
    m_u16(&m, 0xC00C);
    m_u16(&m, 15);
    m_u16(&m, 1);
    m_u32(&m, 1);
    m_u16(&m, 200);
    m_u16(&m, 10);
    m_put("rdlen-past-end", T_MX | N_EX, &m);
    /* wrong question */
    m_head(&m, 0x8180, 0, "example.org", 15);
    m_put("wrong-question", T_MX | N_EX, &m);
    /* a query, not a response */
    m_head(&m, 0x0100, 0, "example.com", 15);
    m_put("not-response", T_MX | N_EX, &m);
    /* many MX */
    m_head(&m, 0x8180, 10, "example.com", 15);
    {
        unsigned i;
        for (i = 0; i < 10; i++) {
            rd[0] = 0;
            rd[1] = (uint8_t)(50 - i * 5);
            rd[2] = 2;
            rd[3] = 'm';
            rd[4] = (uint8_t)('0' + i);
            rd[5] = 0xC0;
            rd[6] = 0x0C;
            m_rr(&m, 15, rd, 7);
        }
    }
    m_put("mx-ten", T_MX | N_EX, &m);
    /* names: the text of a name as query input */
    {
        static const char *const names[] = {"example.com", "a.b.c.d.e.f.g", "_mta-sts.EXAMPLE.com.",
                                            "bad..name",   "-x.example",    "under_score.example"};
        size_t i;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            char nm[32];
            snprintf(nm, sizeof(nm), "qname-%u", (unsigned)i);
            put_text("dnswire", nm, (const uint8_t *)"\x03", 1, names[i], strlen(names[i]));
        }
    }
}

/* --------------------------------------------------------------- sts --- */

/* A string literal with its length (embedded NULs included). */
typedef struct {
    const char *s;
    size_t n;
} lit_t;
#define LIT(x)                                                                                     \
    {                                                                                              \
        x, sizeof(x) - 1u                                                                          \
    }

static void seeds_sts(void)
{
    static const uint8_t none[1] = {0};
    static const lit_t txt[] = {
        LIT("v=STSv1; id=20160831085700Z;"),
        LIT("v=STSv1;id=abc"),
        LIT("v=STSv1 ; id=abc ; ext=1;"),
        LIT("v=STSv1; id=123456789012345678901234567890123;"),
        LIT("v=STSv1; id=abc-def;"),
        LIT("v=STSv1;"),
        LIT("v=STSv10; id=abc;"),
        LIT("v=stsv1; id=abc;"),
        LIT("v=STSv1; id=a;\0v=STSv1; id=b;"),
        LIT("v=spf1 -all\0v=STSv1; id=only;"),
        LIT("v=STSv1; foo; id=x;"),
        LIT("v=STSv1; id=x; id=y;"),
        LIT("v=STSv1;\tid=tab;"),
        LIT(""),
    };
    static const lit_t pol[] = {
        LIT("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
            "mx: backupmx.example.com\r\nmax_age: 604800\r\n\0mail.example.com"),
        LIT("version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: "
            "86400\n\0x.mx.example.org"),
        LIT("version: STSv1\nmode: none\nmax_age: 0\n"),
        LIT("version: STSv1\r\nmode: enforce\r\nmax_age: 31557601\r\nmx: a.example\r\n"),
        LIT("version: STSv1\r\nmode: enforce\r\nmode: none\r\nmx: a.example\r\nmax_age: 1\r\n"),
        LIT("version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 60\r\n"
            "\0sub.example.com."),
        LIT("version: STSv1\nmode:enforce\nmx:   a.example  \nmax_age:00010\nunknown: x\n"),
        LIT("version: STSv1\r\nmode: enforce\rmx: a.example\r\nmax_age: 1\r\n"),
        LIT("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1"),
        LIT("version: STSv1\nmode: enforce\nmx: A.EXAMPLE\nmx: *.*.example\nmax_age: 1\n"),
        LIT("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n"),
        LIT("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 99999999999999999999\n"),
    };
    size_t i;
    char nm[32];
    /* Lengths come from the literals: a NUL inside one separates a second
     * record (TXT) or the host to match (policy). */
    for (i = 0; i < sizeof(txt) / sizeof(txt[0]); i++) {
        snprintf(nm, sizeof(nm), "txt-%02u", (unsigned)i);
        put_text("sts_txt", nm, none, 0, txt[i].s, txt[i].n);
    }
    for (i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
        size_t l = pol[i].n;
        snprintf(nm, sizeof(nm), "policy-%02u", (unsigned)i);
        put_text("sts_policy", nm, none, 0, pol[i].s, l);
    }
    {
        char big[SMTPC_STS_POLICY_MAX + 64];
        size_t o = (size_t)sprintf(big, "version: STSv1\nmode: testing\nmax_age: 10\nmx: a.b\n");
        memset(big + o, 'x', sizeof(big) - o);
        put_text("sts_policy", "policy-too-long", none, 0, big, sizeof(big));
    }
    {
        char many[2048];
        size_t o = (size_t)sprintf(many, "version: STSv1\nmode: enforce\nmax_age: 10\n");
        for (i = 0; i < 12; i++) {
            o += (size_t)sprintf(many + o, "mx: host%02u.a-rather-long-name.example.com\n",
                                 (unsigned)i);
        }
        put_text("sts_policy", "policy-many-mx", none, 0, many, o);
    }
}

/* -------------------------------------------------------------- http --- */

static void seeds_http(void)
{
    /* b0: want_text | (chunk-1) << 1; b1: cap / 8 (0: default) */
    static const uint8_t t_whole[2] = {0x01, 0x00}, t_small[2] = {0x07, 0x08},
                         plain[2] = {0x00, 0x00};
    const char *pol = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n";
    char r[2048];
    int n;
    n = snprintf(r, sizeof(r),
                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %u\r\n\r\n%s",
                 (unsigned)strlen(pol), pol);
    put_text("http", "cl", t_whole, 2, r, (size_t)n);
    put_text("http", "cl-small-cap", t_small, 2, r, (size_t)n);
    n = snprintf(r, sizeof(r),
                 "HTTP/1.1 200 OK\r\ncontent-type: TEXT/PLAIN; charset=utf-8\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n10;ext=1\r\n0123456789abcdef\r\n"
                 "5\r\nhello\r\n0\r\nTrailer: x\r\n\r\n");
    put_text("http", "chunked", t_whole, 2, r, (size_t)n);
    TEXT("http", "chunked-lf", t_small,
         "HTTP/1.1 200 OK\nContent-Type: text/plain\nTransfer-Encoding: chunked\n\n"
         "3\nabc\n0\n\n");
    TEXT("http", "chunked-huge", t_whole,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
         "FFFFFFFFFFFFFFFF\r\nx");
    TEXT("http", "close-delimited", plain,
         "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close");
    TEXT("http", "redirect", t_whole,
         "HTTP/1.1 301 Moved\r\nLocation: https://evil.example/\r\n\r\n");
    TEXT("http", "not-found", t_whole, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    TEXT("http", "status-no-reason", t_whole, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
    TEXT("http", "type-html", t_whole,
         "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi");
    TEXT("http", "no-type", t_whole, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    TEXT("http", "too-large", t_small,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n");
    TEXT("http", "cl-conflict", t_whole,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
         "Content-Length: 3\r\n\r\nabc");
    TEXT("http", "cl-overflow", t_whole,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 99999999999999\r\n\r\n");
    TEXT("http", "te-gzip", t_whole,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip\r\n\r\n");
    TEXT("http", "te-http10", t_whole,
         "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\n");
    TEXT("http", "obs-fold", t_whole,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n folded\r\nContent-Length: 0\r\n\r\n");
    TEXT("http", "bare-cr", t_whole, "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n");
    TEXT("http", "space-before-colon", t_whole, "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n");
    TEXT("http", "http2", t_whole, "HTTP/2 200\r\n\r\n");
    TEXT("http", "trailing-bytes", t_whole,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nxHTTP/1.1");
    TEXT("http", "code-1xx", t_whole, "HTTP/1.1 100 Continue\r\n\r\n");
}

/* -------------------------------------------------------------- idna --- */

static void seeds_idna(void)
{
    static const char *const names[] = {
        "example.com",
        "b\xc3\xbc"
        "cher.example",
        "xn--bcher-kva.example",
        "\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
        "EXAMPLE.COM.",
        "a..b",
        ".leading",
        "\xe4\xbe\x8b\xe3\x80\x82jp",
        "\xef\xbc\x8e"
        "x",
        "\xc0\xaf.example",
        "\xed\xa0\x80.example",
        "\xf4\x90\x80\x80.example",
        "\xe4\xbe",
        "-\xc3\xbc.example",
        "ab--\xc3\xbc.example",
        "r3---sn-x.example",
        "\xf0\x9f\x98\x80.example",
        "under_score.example",
        "\xc3\xbc_x.example",
        "a\x7f.example",
        "a\xc2\x85.example",
    };
    static const uint8_t cap0[1] = {0}, capsmall[1] = {5};
    size_t i;
    char nm[32];
    char longname[300];
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(nm, sizeof(nm), "name-%02u", (unsigned)i);
        put_text("idna", nm, i % 3 ? cap0 : capsmall, 1, names[i], strlen(names[i]));
    }
    memset(longname, 'a', sizeof(longname));
    for (i = 63; i < sizeof(longname); i += 64) {
        longname[i] = '.';
    }
    put_text("idna", "len-253", cap0, 1, longname, 253);
    put_text("idna", "len-254", cap0, 1, longname, 254);
    put_text("idna", "label-64", cap0, 1,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", 66);
    {
        /* a long U-label: 20 x U+00FC */
        char u[64];
        size_t o = 0;
        for (i = 0; i < 20; i++) {
            u[o++] = (char)0xc3;
            u[o++] = (char)0xbc;
        }
        put_text("idna", "ulabel-long", cap0, 1, u, o);
    }
}

/* ------------------------------------------------------- flash images --- */

static smtpc_flash_ram_t g_fl;
static smtpc_kvs_t g_kvs;
static smtpc_cache_t g_cache;

static void image_out(const char *target, const char *name, unsigned gi)
{
    static uint8_t buf[1 + FUZZ_FLASH_MAX];
    const smtpc_flash_geom_t *g = &k_fuzz_geoms[gi];
    size_t dev = (size_t)g->sector_size * g->sector_count;
    /* drop the erased tail: the target leaves it erased */
    while (dev > 0 && g_flash_mem[dev - 1] == g->erased_value) {
        dev--;
    }
    buf[0] = (uint8_t)gi;
    memcpy(buf + 1, g_flash_mem, dev);
    put_file(target, name, buf, dev + 1);
}

static void fresh(unsigned gi)
{
    const smtpc_flash_geom_t *g = &k_fuzz_geoms[gi];
    if (smtpc_flash_ram_init(&g_fl, g_flash_mem, (size_t)g->sector_size * g->sector_count, g) !=
            SMTPC_OK ||
        smtpc_kvs_mount(&g_kvs, &g_fl.ops, &g_fl) != SMTPC_OK) {
        fprintf(stderr, "gen_seeds: geometry %u unusable\n", gi);
        exit(1);
    }
}

static void kv(const char *k, const char *v)
{
    if (smtpc_kvs_put(&g_kvs, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v)) !=
        SMTPC_OK) {
        fprintf(stderr, "gen_seeds: put %s failed\n", k);
        exit(1);
    }
}

static void seeds_kvs(void)
{
    unsigned gi;
    char nm[48];
    for (gi = 0; gi < 8; gi++) {
        const smtpc_flash_geom_t *g = &k_fuzz_geoms[gi];
        size_t dev = (size_t)g->sector_size * g->sector_count;
        unsigned i;
        fresh(gi);
        snprintf(nm, sizeof(nm), "g%u-empty", gi);
        image_out("kvs", nm, gi);
        kv("alpha", "1");
        kv("beta", "two");
        kv("gamma", "a somewhat longer value for the third key");
        kv("alpha", "replaced");
        (void)smtpc_kvs_del(&g_kvs, (const uint8_t *)"beta", 4);
        snprintf(nm, sizeof(nm), "g%u-log", gi);
        image_out("kvs", nm, gi);
        (void)smtpc_kvs_compact(&g_kvs);
        snprintf(nm, sizeof(nm), "g%u-compacted", gi);
        image_out("kvs", nm, gi);
        if (gi < 3) {
            for (i = 0; i < SMTPC_KVS_MAX_KEYS; i++) {
                char k[16], v[40];
                snprintf(k, sizeof(k), "k%02u", i);
                snprintf(v, sizeof(v), "value-%u-%u", i, i * 7919u);
                (void)smtpc_kvs_put(&g_kvs, (const uint8_t *)k, strlen(k), (const uint8_t *)v,
                                    strlen(v));
            }
            snprintf(nm, sizeof(nm), "g%u-full", gi);
            image_out("kvs", nm, gi);
            /* a torn last record: flip a bit in the last programmed byte */
            {
                size_t end = dev;
                while (end > 0 && g_flash_mem[end - 1] == g->erased_value) {
                    end--;
                }
                if (end > 0) {
                    g_flash_mem[end - 1] ^= 0x01;
                    snprintf(nm, sizeof(nm), "g%u-torn", gi);
                    image_out("kvs", nm, gi);
                }
            }
        }
    }
}

static void entry(smtpc_sts_entry_t *e, const char *dom, const char *id, int mode, uint32_t max_age,
                  uint64_t at, const char *pool, size_t pool_len, unsigned count)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->domain, sizeof(e->domain), "%s", dom);
    snprintf(e->id, sizeof(e->id), "%s", id);
    e->has_policy = 1;
    e->fetched_at = at;
    e->policy.mode = (uint8_t)mode;
    e->policy.max_age = max_age;
    memcpy(e->policy.mx_pool, pool, pool_len);
    e->policy.mx_pool_len = (uint16_t)pool_len;
    e->policy.mx_count = (uint8_t)count;
}

static void seeds_cache(void)
{
    static const unsigned geoms[4] = {0, 1, 3, 5};
    smtpc_sts_entry_t e;
    char nm[48];
    unsigned k, i;
    for (k = 0; k < 4; k++) {
        unsigned gi = geoms[k];
        fresh(gi);
        smtpc_cache_init(&g_cache, &g_kvs);
        snprintf(nm, sizeof(nm), "g%u-empty", gi);
        image_out("cache", nm, gi);
        entry(&e, "example.com", "20260101T000000", SMTPC_STS_MODE_ENFORCE, 604800, 1790000000u,
              "mail.example.com\0*.example.net", 31, 2);
        (void)smtpc_cache_ops.put(&g_cache, &e);
        smtpc_cache_time_seen(&g_cache, 1790000000u);
        snprintf(nm, sizeof(nm), "g%u-one", gi);
        image_out("cache", nm, gi);
        e.fetched_at += 86400; /* same policy refetched: a refresh record */
        (void)smtpc_cache_ops.put(&g_cache, &e);
        entry(&e, "testing.example", "abc", SMTPC_STS_MODE_TESTING, 86400, 1790000100u,
              "mx.testing.example", 19, 1);
        (void)smtpc_cache_ops.put(&g_cache, &e);
        memset(&e, 0, sizeof(e));
        strcpy(e.domain, "backoff.example");
        strcpy(e.fail_id, "newid");
        e.fail_at = 1790000200u;
        (void)smtpc_cache_ops.put(&g_cache, &e);
        entry(&e, "none.example", "n1", SMTPC_STS_MODE_NONE, 0, 1790000300u, "", 0, 0);
        (void)smtpc_cache_ops.put(&g_cache, &e);
        snprintf(nm, sizeof(nm), "g%u-mixed", gi);
        image_out("cache", nm, gi);
        if (k < 2) {
            for (i = 0; i < SMTPC_CACHE_ENTRIES + 2u; i++) {
                char dom[40];
                snprintf(dom, sizeof(dom), "d%u.example", i);
                entry(&e, dom, "id1", SMTPC_STS_MODE_ENFORCE, 3600u * (i + 1u), 1790000000u + i,
                      "mx.example", 11, 1);
                (void)smtpc_cache_ops.put(&g_cache, &e);
            }
            snprintf(nm, sizeof(nm), "g%u-evicted", gi);
            image_out("cache", nm, gi);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    g_out = argv[1];
    if (mkdir(g_out, 0755) != 0 && errno != EEXIST) {
        perror(g_out);
        return 1;
    }
    seeds_reply();
    seeds_smtp();
    seeds_dns();
    seeds_sts();
    seeds_http();
    seeds_idna();
    seeds_kvs();
    seeds_cache();
    seeds_tlsrpt();
    printf("gen_seeds: %u files in %s\n", g_files, g_out);
    return 0;
}
