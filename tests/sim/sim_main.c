/* smtpc-sim: the host-side simulator's command line.
 *
 *   smtpc-sim list                 scenario names and what they test
 *   smtpc-sim run NAME             one scenario (exit status 0 on PASS)
 *   smtpc-sim all                  every scenario, then "N passed, M failed"
 *   smtpc-sim demo                 a readable, redacted transcript of one session
 *
 * Option --certs DIR (before the command) names the test PKI made by
 * tests/certs/gen.sh; the default is the directory the build generated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/version.h"
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
#include "mbedtls/memory_buffer_alloc.h"
#endif

#include "sim.h"

#ifndef SMTPC_SIM_CERT_DIR
#define SMTPC_SIM_CERT_DIR "certs"
#endif

/* With an mbedTLS built with MEMORY_BUFFER_ALLOC_C every allocation of the
 * process (client and simulated server alike) comes from this arena. */
#define SIM_ARENA_SIZE (1024u * 1024u)
static uint8_t *sim_arena;
static bool sim_arena_on;

static void arena_setup(void)
{
    sim_arena = (uint8_t *)malloc(SIM_ARENA_SIZE);
    if (sim_arena != NULL && smtpc_mbedtls_arena_init(sim_arena, SIM_ARENA_SIZE) == SMTPC_OK &&
        smtpc_mbedtls_arena_stats(NULL, NULL) == SMTPC_OK) {
        sim_arena_on = true;
    }
}

static void arena_teardown(void)
{
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
    if (sim_arena_on) {
        mbedtls_memory_buffer_alloc_free();
    }
#endif
    free(sim_arena);
    sim_arena = NULL;
}

static void arena_reset_peak(void)
{
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(MBEDTLS_MEMORY_DEBUG)
    if (sim_arena_on) {
        mbedtls_memory_buffer_alloc_max_reset();
    }
#endif
}

/* " arena_peak=N" or "" */
static const char *arena_note(char *buf, size_t cap)
{
    size_t cur = 0;
    size_t peak = 0;
    buf[0] = '\0';
    if (sim_arena_on && smtpc_mbedtls_arena_stats(&cur, &peak) == SMTPC_OK) {
        snprintf(buf, cap, "\tarena peak %zu bytes (client and simulated server)", peak);
    }
    return buf;
}

static int run_one(const char *name, const char *cert_dir, bool *known)
{
    char why[512];
    char note[96];
    int rc;
    arena_reset_peak();
    rc = sim_scenario_run(name, cert_dir, why, sizeof(why));
    *known = rc >= 0;
    if (rc < 0) {
        fprintf(stderr, "smtpc-sim: no scenario named '%s' (see: smtpc-sim list)\n", name);
        return 0;
    }
    if (rc == 1) {
        printf("PASS %s%s\n", name, arena_note(note, sizeof(note)));
    } else {
        printf("FAIL %s: %s\n", name, why);
    }
    fflush(stdout);
    return rc;
}

static void print_arena_na(void)
{
    if (!sim_arena_on) {
        printf("arena: n/a (system mbedTLS)\n");
    }
}

static int cmd_list(void)
{
    size_t i;
    for (i = 0; i < sim_scenario_count(); i++) {
        const char *name = sim_scenario_name(i);
        size_t n = strlen(name);
        bool one = n > 6 && strcmp(name + n - 6, "_1byte") == 0;
        printf("%-40s %s%s\n", name, sim_scenario_desc(i),
               one ? " (pipe moves one byte per call)" : "");
    }
    return 0;
}

static int cmd_all(const char *cert_dir)
{
    size_t i;
    unsigned passed = 0;
    unsigned failed = 0;
    for (i = 0; i < sim_scenario_count(); i++) {
        bool known;
        if (run_one(sim_scenario_name(i), cert_dir, &known) == 1) {
            passed++;
        } else {
            failed++;
        }
    }
    print_arena_na();
    printf("%u passed, %u failed\n", passed, failed);
    return failed > 0 ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: smtpc-sim [--certs DIR] list | run NAME | all | demo [CACHE_FILE] | "
            "demo-submission\n"
            "  CACHE_FILE: the demo keeps its MTA-STS policy cache in this NOR-emulating file\n"
            "  DIR holds the test PKI of tests/certs/gen.sh (default %s)\n",
            SMTPC_SIM_CERT_DIR);
    return 2;
}

int main(int argc, char **argv)
{
    const char *cert_dir = SMTPC_SIM_CERT_DIR;
    int i = 1;
    int rc;
    if (argc > 2 && strcmp(argv[1], "--certs") == 0) {
        cert_dir = argv[2];
        i = 3;
    }
    if (i >= argc) {
        return usage();
    }
    if (strcmp(argv[i], "list") == 0 && i + 1 == argc) {
        return cmd_list();
    }
    arena_setup();
    if (strcmp(argv[i], "all") == 0 && i + 1 == argc) {
        rc = cmd_all(cert_dir);
    } else if (strcmp(argv[i], "run") == 0 && i + 2 == argc) {
        bool known;
        rc = run_one(argv[i + 1], cert_dir, &known) == 1 ? 0 : 1;
        if (known) {
            print_arena_na();
        } else {
            rc = 2;
        }
    } else if (strcmp(argv[i], "demo") == 0 && (i + 1 == argc || i + 2 == argc)) {
        rc = sim_demo(cert_dir, i + 2 == argc ? argv[i + 1] : NULL);
    } else if (strcmp(argv[i], "demo-submission") == 0 && i + 1 == argc) {
        rc = sim_demo_submission(cert_dir);
    } else {
        rc = usage();
    }
    arena_teardown();
    return rc;
}
