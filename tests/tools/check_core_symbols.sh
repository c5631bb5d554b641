#!/usr/bin/env bash
# Fails when the core library references heap or stdio functions.
# Allowed from libc: memcpy, memmove, memset, memcmp (and compiler/sanitizer
# runtime symbols, which appear only in sanitizer builds).
set -euo pipefail
lib=${1:?usage: check_core_symbols.sh libsmtpc_core.a}
undef=$(nm -u "$lib" | awk 'NF && $NF !~ /:$/ {print $NF}' | sort -u)
bad=$(printf '%s\n' "$undef" | grep -E '^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup|printf|fprintf|sprintf|snprintf|vsnprintf|vprintf|vfprintf|puts|fputs|putchar|fopen|fclose|fread|fwrite|fflush|perror|abort|exit|gmtime|localtime|time|rand|srand)$' || true)
echo "undefined symbols of $(basename "$lib"):" $undef
if [ -n "$bad" ]; then
  echo "FAIL: core references forbidden functions:" $bad
  exit 1
fi
# cJSON (ARCHITECTURE §6): only the TLS-RPT renderer's object may reference it.
cjson_elsewhere=$(nm -A -u "$lib" | awk '$NF ~ /^cJSON_/ && $1 !~ /smtpc_tlsrpt_json\.c\.o:$/ {print $NF}' | sort -u)
if [ -n "$cjson_elsewhere" ]; then
  echo "FAIL: cJSON referenced outside smtpc_tlsrpt_json.c:" $cjson_elsewhere
  exit 1
fi
other=$(printf '%s\n' "$undef" | grep -vE '^(memcpy|memmove|memset|memcmp|cJSON_[A-Za-z]+|__(asan|ubsan|sanitizer|stack_chk)_.*|__stack_chk_fail|_GLOBAL_OFFSET_TABLE_)$' | grep -v '^$' || true)
# Symbols defined in other core objects also show as undefined per object: filter those out.
defined=$(nm --defined-only "$lib" | awk 'NF==3{print $3}' | sort -u)
ext=$(comm -23 <(printf '%s\n' $other | sort -u) <(printf '%s\n' $defined) | grep -v '^$' || true)
if [ -n "$ext" ]; then
  echo "FAIL: core references unexpected external symbols:" $ext
  exit 1
fi
echo "PASS: core uses only memcpy/memmove/memset/memcmp from libc (and cJSON in smtpc_tlsrpt_json.c)"
